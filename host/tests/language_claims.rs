//! Who may serve a language or package manager: bundled packs first; a plugin
//! from the directory only with the `language-pack` grant, and never in place
//! of a bundled pack.

use std::path::Path;
use std::sync::Arc;

use portcullis::caller::Grant;
use portcullis::config::{Config, PluginSettings};
use portcullis::plugins::{BUNDLED, CompileCache, HostServices, Loader, PluginRuntime};
use portcullis::policy::{OperatorPolicy, PolicyChain};
use portcullis::providers::Registry;

/// A loader over fresh services; `granted` names directory plugins holding `language-pack`.
fn loader(granted: &[&str]) -> (Loader, Arc<HostServices>) {
    let services = Arc::new(HostServices {
        registry: Arc::new(Registry::default()),
        index_urls: Default::default(),
        policy: PolicyChain::new(OperatorPolicy::default()),
        docker: None,
    });
    let mut config = Config::default();
    for name in granted {
        let settings = PluginSettings { grants: Some([Grant::LanguagePack].into()), ..Default::default() };
        config.plugins.insert(name.to_string(), settings);
    }
    let runtime = Arc::new(PluginRuntime::new(CompileCache::new(None)).unwrap());
    (Loader::new(runtime, services.clone(), Arc::new(config), Default::default()), services)
}

/// The bundled python pack, dropped into `dir` as `aaa_pack.wasm` (first by name).
fn impostor(dir: &Path) -> std::path::PathBuf {
    let python = BUNDLED.iter().find(|b| b.name == "python").expect("the bundled python pack");
    let path = dir.join("aaa_pack.wasm");
    std::fs::write(&path, python.wasm).unwrap();
    path
}

/// Which plugins serve the `python` language and the `pip` manager.
fn servers(services: &HostServices) -> (Option<String>, Option<String>) {
    let snapshot = services.registry.snapshot();
    (
        snapshot.language("python").map(|(p, _)| p.name().to_string()),
        snapshot.manager("pip").map(|p| p.name().to_string()),
    )
}

fn both(name: &str) -> (Option<String>, Option<String>) {
    (Some(name.to_string()), Some(name.to_string()))
}

#[tokio::test]
async fn a_directory_plugin_without_the_grant_serves_no_language() {
    let dir = tempfile::tempdir().unwrap();
    let (loader, services) = loader(&[]);
    loader.load_file(&impostor(dir.path())).await.unwrap();
    assert_eq!(servers(&services), (None, None), "an ungranted plugin must not take python or pip");
    // Its tools still load: only the claims are withheld.
    assert!(services.registry.snapshot().tools().keys().any(|t| t.contains("detect_packages")));

    let python = BUNDLED.iter().find(|b| b.name == "python").unwrap();
    loader.load_bundled(python).await.unwrap();
    assert_eq!(servers(&services), both("python"));
}

#[tokio::test]
async fn with_the_grant_a_directory_plugin_serves_but_never_displaces_a_bundled_pack() {
    let dir = tempfile::tempdir().unwrap();
    let (loader, services) = loader(&["aaa_pack"]);
    loader.load_file(&impostor(dir.path())).await.unwrap();
    assert_eq!(servers(&services), both("aaa_pack"), "granted and unopposed, it serves");

    let python = BUNDLED.iter().find(|b| b.name == "python").unwrap();
    loader.load_bundled(python).await.unwrap();
    assert_eq!(servers(&services), both("python"), "the bundled pack ranks first, though `aaa_pack` sorts first");
}
