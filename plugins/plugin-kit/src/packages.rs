//! The `packages` export, implemented over a [`PackSpec`].

use crate::fail::Fail;
use crate::spec::{LanguageSpec, PackSpec};
use crate::types::{InstallPlan, InstallStep, Language};
use crate::validate::check_argument;

impl PackSpec {
    /// The languages this pack runs (none for OS-package packs).
    pub fn languages(&self) -> Vec<Language> {
        self.language
            .iter()
            .map(|l| Language {
                name: l.name.into(),
                file_extension: l.file_extension.into(),
                manager: self.manager.name.into(),
            })
            .collect()
    }

    /// The package managers this pack drives: its one manager.
    pub fn managers(&self) -> Vec<String> {
        vec![self.manager.name.to_string()]
    }

    /// The language called `name` (canonical or alias, any ASCII case), or
    /// `invalid-params` naming the languages this pack accepts; `doing` says
    /// what the language was wanted for, for packs that run none.
    pub fn resolve_language(&self, name: &str, doing: &str) -> Result<&LanguageSpec, Fail> {
        let Some(language) = &self.language else {
            return Err(Fail::InvalidParams(format!(
                "{} plans OS packages; it {doing} none (asked for language {name:?})",
                self.name
            )));
        };
        let known = std::iter::once(&language.name).chain(language.aliases);
        if known.clone().any(|k| k.eq_ignore_ascii_case(name)) {
            return Ok(language);
        }
        let names: Vec<&str> = known.copied().collect();
        Err(Fail::InvalidParams(format!(
            "unknown language {name:?}: the {} pack supports {}",
            self.name,
            names.join(", ")
        )))
    }

    /// The installable packages `source` imports: the language's detector's
    /// answer, sorted, without duplicates, and without any name the pack's
    /// manager would refuse to install.
    pub fn detect(&self, language: &str, source: &str) -> Result<Vec<String>, Fail> {
        let language = self.resolve_language(language, "detects")?;
        let mut packages: Vec<String> =
            (language.detect)(source).into_iter().filter(|name| self.manager.names.check(name).is_ok()).collect();
        packages.sort();
        packages.dedup();
        Ok(packages)
    }

    /// The steps that install `packages` with `manager`: the manager's
    /// `prepare` commands, then its install command. Every name is validated
    /// before any argument is built; the names follow `--`, so none can be
    /// read as an option. Every step gets the manager's environment.
    pub fn plan_install(
        &self,
        manager: &str,
        packages: &[String],
        index_url: Option<&str>,
    ) -> Result<InstallPlan, Fail> {
        let spec = &self.manager;
        if manager != spec.name {
            return Err(Fail::InvalidParams(format!(
                "unknown package manager {manager:?}: the {} pack supports {}",
                self.name, spec.name
            )));
        }
        if packages.is_empty() {
            return Err(Fail::InvalidParams(format!("no packages given for {manager} to install")));
        }
        spec.names.check_all(manager, packages)?;
        let mut argv: Vec<String> = spec.argv.iter().map(|a| a.to_string()).collect();
        if let Some(url) = index_url {
            let Some(option) = spec.index_option else {
                return Err(Fail::InvalidParams(format!(
                    "{manager} takes no index URL (got {url:?}); configure its sources in the image instead"
                )));
            };
            check_argument(url).map_err(|rule| Fail::InvalidParams(format!("index URL {url:?} {rule}")))?;
            argv.extend([option.to_string(), url.to_string()]);
        }
        argv.push("--".into());
        argv.extend(packages.iter().cloned());
        let env: Vec<(String, String)> = spec.env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let step = |argv: Vec<String>| InstallStep { argv, env: env.clone() };
        let prepare = spec.prepare.iter().map(|command| step(command.iter().map(|a| a.to_string()).collect()));
        Ok(InstallPlan { steps: prepare.chain([step(argv)]).collect() })
    }

    /// The command that runs the source file at `path`: the language's runner
    /// followed by the path, which must not be empty, start with `-` (the
    /// runner would take it as an option: `-c…` runs code) or hold newlines or
    /// control characters.
    pub fn run_command(&self, language: &str, path: &str) -> Result<Vec<String>, Fail> {
        let language = self.resolve_language(language, "runs")?;
        check_argument(path).map_err(|rule| Fail::InvalidParams(format!("path {path:?} {rule}")))?;
        Ok(vec![language.runner.to_string(), path.to_string()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::invalid;
    use crate::toy::{LANG, OS};

    #[test]
    fn languages_and_managers() {
        assert_eq!(
            LANG.languages(),
            vec![Language { name: "toylang".into(), file_extension: "toy".into(), manager: "toy".into() }]
        );
        assert_eq!(OS.languages(), vec![]);
        assert_eq!(OS.managers(), vec!["toy".to_string()]);
    }

    #[test]
    fn detect_sorts_dedups_and_drops_uninstallable_names() {
        let found = LANG.detect("toylang", "zeta alpha zeta BAD -x alpha").unwrap();
        assert_eq!(found, vec!["alpha", "zeta"]);
    }

    #[test]
    fn detect_accepts_aliases_in_any_case() {
        assert_eq!(LANG.detect("TL", "a").unwrap(), vec!["a"]);
        assert_eq!(LANG.detect("ToyLang", "a").unwrap(), vec!["a"]);
    }

    #[test]
    fn unknown_language_names_the_supported_ones() {
        let msg = invalid(LANG.detect("ruby", "x"));
        assert!(msg.contains("\"ruby\"") && msg.contains("toylang, tl"), "{msg}");
    }

    #[test]
    fn os_pack_detects_and_runs_nothing() {
        assert!(invalid(OS.detect("toylang", "x")).starts_with("toyos plans OS packages; it detects none"));
        assert!(invalid(OS.run_command("toylang", "/a")).starts_with("toyos plans OS packages; it runs none"));
    }

    #[test]
    fn plan_puts_names_after_double_dash() {
        let plan = LANG.plan_install("toy", &["a".into(), "b".into()], None).unwrap();
        let env = vec![("TOY_QUIET".to_string(), "1".to_string())];
        let step = |argv: &[&str]| InstallStep { argv: argv.iter().map(|a| a.to_string()).collect(), env: env.clone() };
        assert_eq!(
            plan,
            InstallPlan { steps: vec![step(&["toy", "refresh"]), step(&["toy", "install", "--", "a", "b"])] },
            "the prepare steps come first, each with the environment"
        );
    }

    #[test]
    fn plan_adds_index_option_before_names() {
        let plan = LANG.plan_install("toy", &["a".into()], Some("https://mirror/x")).unwrap();
        assert_eq!(plan.steps[1].argv, ["toy", "install", "--index", "https://mirror/x", "--", "a"]);
    }

    #[test]
    fn plan_refuses_bad_index_urls_and_unsupported_index() {
        assert!(invalid(LANG.plan_install("toy", &["a".into()], Some("-oops"))).contains("`-`"));
        assert!(invalid(LANG.plan_install("toy", &["a".into()], Some("http://x\ny"))).contains("newlines"));
        assert!(invalid(OS.plan_install("toy", &["a".into()], Some("http://m"))).contains("takes no index URL"));
    }

    #[test]
    fn plan_refuses_unknown_manager_and_empty_list() {
        let msg = invalid(LANG.plan_install("pip", &["a".into()], None));
        assert!(msg.contains("\"pip\"") && msg.contains("supports toy"), "{msg}");
        assert!(invalid(LANG.plan_install("toy", &[], None)).contains("no packages"));
    }

    #[test]
    fn plan_validates_before_building() {
        let msg = invalid(LANG.plan_install("toy", &["ok".into(), "x;y".into()], Some("-bad")));
        assert!(msg.contains("\"x;y\""), "names are checked before the index URL: {msg}");
    }

    #[test]
    fn run_command_is_runner_then_path() {
        assert_eq!(LANG.run_command("tl", "/workspace/a.toy").unwrap(), ["toyrun", "/workspace/a.toy"]);
        assert!(invalid(LANG.run_command("tl", "-cimport os")).contains("`-`"));
        assert!(invalid(LANG.run_command("tl", "a\nb")).contains("newlines"));
        assert!(invalid(LANG.run_command("tl", "")).contains("empty"));
        assert!(invalid(LANG.run_command("cobol", "a")).contains("unknown language"));
    }
}
