//! Commands for plugin authors, which need no running host:
//! `portcullis plugin inspect FILE.wasm` (what a component declares and
//! needs, read by the host's own loader) and `portcullis plugin new NAME`
//! (a ready-to-build crate from the `examples/hello` template, with the WIT
//! contract copied in). Publishing, signing and pinning plugins from OCI
//! registries are in [`super::registry`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use crate::caller::Grant;
use crate::cli::table::clean;
use crate::plugins::Plugin;

/// `portcullis plugin …`.
#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// Print what a component declares: its WIT version, exports, tools,
    /// resources and prompts, and the imports it uses (so the grants it needs).
    Inspect {
        /// The component (`NAME.wasm`).
        file: PathBuf,
        /// Print JSON, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Write a ready-to-build plugin crate from the `examples/hello` template.
    New {
        /// The crate's name, which becomes the plugin's and its tool's name.
        name: String,
        /// The directory to create the crate in (default: the current one).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Publish, sign, add, update, remove and verify plugins from OCI registries.
    #[command(flatten)]
    Registry(super::registry::RegistryCommand),
}

/// Runs a `portcullis plugin` command: 0 done, 1 failed (the reason on stderr).
pub fn run(command: PluginCommand) -> ExitCode {
    let result = match command {
        PluginCommand::Inspect { file, json } => inspect(&file, json),
        PluginCommand::New { name, dir } => new(&name, dir.as_deref().unwrap_or(Path::new("."))),
        PluginCommand::Registry(command) => super::registry::run(command),
    };
    super::print_outcome(result)
}

/// What `plugin inspect` prints for `file`.
fn inspect(file: &Path, as_json: bool) -> anyhow::Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = runtime.block_on(async {
        let plugin = super::check::component_loader()?
            .load_file(file)
            .await
            .map_err(|e| e.context(format!("{} does not load", file.display())))?;
        anyhow::Ok(report(&plugin))
    })?;
    if as_json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(&report)?));
    }
    Ok(human(&report))
}

/// The grants a component needs for what it imports and exports.
fn grants_needed(imports: &[String], exported: &[&str]) -> Vec<(&'static str, &'static str)> {
    let mut needed = Vec::new();
    if imports.iter().any(|i| i.starts_with("portcullis:plugin/docker@")) {
        needed.push((Grant::Docker.name(), "to use the Docker primitives it imports"));
        needed.push((Grant::Network.name(), "if it creates containers with a network"));
        needed.push((Grant::InstallNetwork.name(), "if it installs dependencies from the network"));
    }
    if imports.iter().any(|i| i.starts_with("portcullis:plugin/docker-engine@")) {
        needed.push((Grant::DockerRead.name(), "to read the Docker engine's containers, images, volumes and networks"));
        needed.push((Grant::DockerManage.name(), "to change them (start, stop, remove, pull, create)"));
    }
    if exported.contains(&"language-pack") {
        needed.push((
            Grant::LanguagePack.name(),
            "to serve its languages and package managers from the plugin directory",
        ));
    }
    needed
}

/// Everything `inspect` shows, as JSON.
fn report(plugin: &Plugin) -> Value {
    let catalog = plugin.catalog();
    let imports = plugin.imports();
    let exported = plugin.exported();
    let grants: Vec<Value> =
        grants_needed(&imports, &exported).into_iter().map(|(g, why)| json!({"grant": g, "why": why})).collect();
    json!({
        "name": plugin.name(),
        "wit_version": plugin.contract_version(),
        "package": format!("portcullis:plugin@{}", plugin.contract_version()),
        "exports": exported,
        "tools": catalog.tools.iter().map(|t| json!({"name": t.name, "description": t.description})).collect::<Vec<_>>(),
        "resources": catalog.resources.iter().map(|r| json!({"uri": r.uri, "name": r.name})).collect::<Vec<_>>(),
        "resource_templates": catalog.templates.iter().map(|r| json!({"uri_template": r.uri_template, "name": r.name})).collect::<Vec<_>>(),
        "prompts": catalog.prompts.iter().map(|p| json!({"name": p.name, "description": p.description})).collect::<Vec<_>>(),
        "languages": catalog.languages.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
        "package_managers": catalog.managers,
        "imports": imports,
        "grants": grants,
    })
}

/// The report for people.
fn human(report: &Value) -> String {
    let strings = |key: &str, field: &str| -> Vec<String> {
        report[key].as_array().into_iter().flatten().map(|v| clean(v[field].as_str().unwrap_or_default())).collect()
    };
    let list = |items: Vec<String>| if items.is_empty() { "-".to_string() } else { items.join(", ") };
    let mut out = format!(
        "plugin      {}\nwit         {}\nexports     {}\n",
        clean(report["name"].as_str().unwrap_or_default()),
        report["package"].as_str().unwrap_or_default(),
        list(report["exports"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect()),
    );
    out += &format!("tools       {}\n", list(strings("tools", "name")));
    let mut resources = strings("resources", "uri");
    resources.extend(strings("resource_templates", "uri_template"));
    out += &format!("resources   {}\n", list(resources));
    out += &format!("prompts     {}\n", list(strings("prompts", "name")));
    out += "imports\n";
    for import in report["imports"].as_array().into_iter().flatten() {
        out += &format!("  {}\n", clean(import.as_str().unwrap_or_default()));
    }
    let grants = report["grants"].as_array().cloned().unwrap_or_default();
    if grants.is_empty() {
        out += "grants      none needed\n";
    } else {
        out += "grants      (under [plugins.NAME] grants = [...])\n";
        for g in grants {
            out += &format!(
                "  {:<16}{}\n",
                g["grant"].as_str().unwrap_or_default(),
                g["why"].as_str().unwrap_or_default()
            );
        }
    }
    out
}

/// The WIT files of the contract, copied into every new crate.
const WIT: &[(&str, &str)] = &[
    ("client.wit", include_str!("../../../wit/client.wit")),
    ("completions.wit", include_str!("../../../wit/completions.wit")),
    ("config.wit", include_str!("../../../wit/config.wit")),
    ("context.wit", include_str!("../../../wit/context.wit")),
    ("dependencies.wit", include_str!("../../../wit/dependencies.wit")),
    ("docker.wit", include_str!("../../../wit/docker.wit")),
    ("docker-engine.wit", include_str!("../../../wit/docker-engine.wit")),
    ("events.wit", include_str!("../../../wit/events.wit")),
    ("log.wit", include_str!("../../../wit/log.wit")),
    ("packages.wit", include_str!("../../../wit/packages.wit")),
    ("policy.wit", include_str!("../../../wit/policy.wit")),
    ("progress.wit", include_str!("../../../wit/progress.wit")),
    ("prompts.wit", include_str!("../../../wit/prompts.wit")),
    ("resources.wit", include_str!("../../../wit/resources.wit")),
    ("tools.wit", include_str!("../../../wit/tools.wit")),
    ("types.wit", include_str!("../../../wit/types.wit")),
    ("worlds.wit", include_str!("../../../wit/worlds.wit")),
];

/// The template: `examples/hello`'s source.
const TEMPLATE: &str = include_str!("../../../examples/hello/src/lib.rs");

/// The `wit-bindgen` version the workspace builds plugins with (a test
/// checks it against the workspace's Cargo.toml).
const WIT_BINDGEN: &str = "0.63";

/// Checks a new crate's name: a letter, then letters, digits, `-` or `_`.
pub(super) fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        return Ok(());
    }
    anyhow::bail!(
        "`{}` is not a valid plugin name: use a letter followed by letters, digits, `-` or `_` (at most 64), without paths (`/`, `..`) or shell characters; choose the parent directory with --dir",
        name.escape_debug()
    )
}

/// The new crate's files, by path within it.
fn crate_files(name: &str) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let module = name.replace('-', "_");
    let replacements = [
        (
            "//! The smallest Portcullis plugin: one tool, `hello`, that greets by name.",
            format!("//! The Portcullis plugin `{name}`: one tool, `{name}`, that greets by name."),
        ),
        (
            "`cargo build --target wasm32-wasip2 --release -p hello`",
            "`cargo build --target wasm32-wasip2 --release`".to_string(),
        ),
        ("`target/wasm32-wasip2/release/hello.wasm`", format!("`target/wasm32-wasip2/release/{module}.wasm`")),
        ("path: \"../../wit\",", "path: \"wit\",".to_string()),
        ("name: \"hello\".into(),", format!("name: \"{name}\".into(),")),
        ("if name != \"hello\" {", format!("if name != \"{name}\" {{")),
    ];
    let mut lib = TEMPLATE.to_string();
    for (from, to) in replacements {
        anyhow::ensure!(lib.contains(from), "the built-in template lacks `{from}`: this is a bug in portcullis");
        lib = lib.replace(from, &to);
    }
    let manifest = format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
wit-bindgen = {{ version = "{WIT_BINDGEN}", default-features = false, features = ["macros", "realloc"] }}
serde_json = "1"

# A workspace of its own, so that no workspace in a parent directory claims it.
[workspace]

[profile.release]
opt-level = "s"
strip = true
"#
    );
    let mut files = vec![
        (PathBuf::from("Cargo.toml"), manifest),
        (PathBuf::from("src/lib.rs"), lib),
        (PathBuf::from(".gitignore"), "/target\n".to_string()),
    ];
    files.extend(WIT.iter().map(|(file, text)| (Path::new("wit").join(file), text.to_string())));
    Ok(files)
}

/// Writes crate `name` under `dir` and says how to build it.
fn new(name: &str, dir: &Path) -> anyhow::Result<String> {
    check_name(name)?;
    let root = dir.join(name);
    if root.exists() {
        anyhow::bail!("{} exists already; choose another name or --dir", root.display());
    }
    for (path, text) in crate_files(name)? {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    let module = name.replace('-', "_");
    Ok(format!(
        "created plugin crate `{name}` in {}\nbuild it:  cd {} && cargo build --target wasm32-wasip2 --release\nthen copy target/wasm32-wasip2/release/{module}.wasm into the plugin directory\n",
        root.display(),
        root.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_crate_names_are_refused() {
        for bad in ["", "../x", "a/b", "a\\b", "..", "x;rm -rf", "$(id)", "a b", "9lives", "`x`", "a|b"] {
            let err = check_name(bad).unwrap_err().to_string();
            assert!(err.contains("not a valid plugin name"), "{bad}: {err}");
        }
        for good in ["demo", "my-plugin", "tool_2"] {
            check_name(good).unwrap();
        }
    }

    #[test]
    fn a_new_crate_is_self_contained() {
        let dir = tempfile::tempdir().unwrap();
        new("demo-x", dir.path()).unwrap();
        let root = dir.path().join("demo-x");
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"demo-x\"") && manifest.contains("\n[workspace]\n"), "{manifest}");
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        assert!(lib.contains("path: \"wit\"") && lib.contains("name: \"demo-x\".into()"), "{lib}");
        for (file, _) in WIT {
            assert!(root.join("wit").join(file).is_file(), "{file}");
        }
        assert_eq!(std::fs::read_dir(root.join("wit")).unwrap().count(), WIT.len());
        let again = new("demo-x", dir.path()).unwrap_err().to_string();
        assert!(again.contains("exists already"), "{again}");
    }

    #[test]
    fn the_embedded_contract_and_dependencies_match_the_workspace() {
        let wit_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
        let on_disk = std::fs::read_dir(&wit_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "wit"))
            .count();
        assert_eq!(on_disk, WIT.len(), "every file of wit/ is embedded");
        let workspace = include_str!("../../../Cargo.toml");
        assert!(workspace.contains(&format!("wit-bindgen = {{ version = \"{WIT_BINDGEN}\"")), "update WIT_BINDGEN");
    }

    #[test]
    fn grants_follow_the_imports() {
        let imports = vec!["portcullis:plugin/docker@0.2.0".to_string()];
        let names: Vec<_> = grants_needed(&imports, &["tools"]).into_iter().map(|(g, _)| g).collect();
        assert_eq!(names, ["docker", "network", "install-network"]);
        let engine = vec!["portcullis:plugin/docker-engine@0.2.0".to_string()];
        let names: Vec<_> = grants_needed(&engine, &["tools"]).into_iter().map(|(g, _)| g).collect();
        assert_eq!(names, ["docker-read", "docker-manage"]);
        assert!(grants_needed(&[], &["tools"]).is_empty());
        assert_eq!(grants_needed(&[], &["language-pack"])[0].0, "language-pack");
    }
}
