//! The apk pack: plans installs of Alpine OS packages with `apk add`. It
//! runs no language and detects no packages, so it offers no tools; its
//! `languages` list is empty and `detect-packages` and `run-command` fail
//! with `invalid-params`.

mod apk_add;

use pack_kit::PackSpec;

/// The pack: no language, packages installed by `apk`.
pub const PACK: PackSpec = PackSpec {
    name: "apk",
    language: None,
    manager: apk_add::APK,
};

#[cfg(target_arch = "wasm32")]
pack_kit::export_pack!(crate::PACK);

#[cfg(test)]
mod tests {
    use super::*;
    use pack_kit::Fail;

    fn invalid<T: std::fmt::Debug>(result: Result<T, Fail>) -> String {
        match result {
            Err(Fail::InvalidParams(msg)) => msg,
            other => panic!("expected invalid-params, got {other:?}"),
        }
    }

    #[test]
    fn no_languages_one_manager_no_tools() {
        assert!(PACK.languages().is_empty());
        assert_eq!(PACK.managers(), ["apk"]);
        assert!(PACK.tools().is_empty());
        assert!(matches!(
            PACK.call_tool("detect_packages", "{}"),
            Err(Fail::NotFound(_))
        ));
    }

    #[test]
    fn detects_and_runs_nothing() {
        assert!(
            invalid(PACK.detect("node", "require('x')"))
                .starts_with("apk plans OS packages; it detects none")
        );
        assert!(invalid(PACK.run_command("node", "/a.js")).starts_with("apk plans OS packages"));
    }

    #[test]
    fn plan_install_builds_apk_add() {
        let plan = PACK
            .plan_install("apk", &["curl".into(), "py3-pip".into()], None)
            .unwrap();
        assert_eq!(
            plan.argv,
            ["apk", "add", "--no-cache", "--", "curl", "py3-pip"]
        );
        assert!(plan.env.is_empty());
    }

    #[test]
    fn plan_install_passes_the_repository() {
        let url = "https://dl-cdn.alpinelinux.org/alpine/edge/community";
        let plan = PACK
            .plan_install("apk", &["curl".into()], Some(url))
            .unwrap();
        assert_eq!(
            plan.argv,
            [
                "apk",
                "add",
                "--no-cache",
                "--repository",
                url,
                "--",
                "curl"
            ]
        );
    }

    #[test]
    fn plan_install_refuses_bad_names_managers_and_lists() {
        let msg = invalid(PACK.plan_install("apk", &["curl".into(), "$(reboot)".into()], None));
        assert!(
            msg.contains("\"$(reboot)\"") && msg.contains("`$`"),
            "{msg}"
        );
        assert!(invalid(PACK.plan_install("apt", &["curl".into()], None)).contains("supports apk"));
        assert!(invalid(PACK.plan_install("apk", &[], None)).contains("no packages"));
    }
}
