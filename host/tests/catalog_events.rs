//! A plugin that says its catalog changed from inside `list-tools` is refused,
//! instead of making the host read the catalog again without end.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portcullis::caller::CallContext;
use portcullis::config::{Config, PluginSettings};
use portcullis::plugins::{CompileCache, HostServices, Loader, PluginRuntime};
use portcullis::policy::{OperatorPolicy, PolicyChain};
use portcullis::providers::Registry;

/// The built test plugin `faulty` (`cargo build --profile plugin --target wasm32-wasip2 -p faulty`).
fn faulty_wasm() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("wasm32-wasip2/plugin/faulty.wasm");
    assert!(path.exists(), "{} is missing: build the test plugins first (scripts/test.sh)", path.display());
    path
}

/// Everything logged at warning level and above, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap()).matches(needle).count()
    }
}

/// The process's resident memory, in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn tools_changed_from_list_tools_is_refused() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let services = Arc::new(HostServices {
        registry: Arc::new(Registry::default()),
        index_urls: Default::default(),
        policy: PolicyChain::new(OperatorPolicy::default()),
        docker: None,
    });
    let mut config = Config::default();
    let settings = [("tools_changed_from_list_tools".to_string(), "true".to_string())].into();
    config.plugins.insert("faulty".into(), PluginSettings { settings, ..Default::default() });
    let runtime = Arc::new(PluginRuntime::new(CompileCache::new(None)).unwrap());
    let loader = Loader::new(runtime, services.clone(), Arc::new(config), Default::default());
    loader.load_file(&faulty_wasm()).await.unwrap();
    const REFUSED: &str = "refused: the plugin said its catalog changed while it was being read";
    assert_eq!(logs.count(REFUSED), 1, "the read at load is refused once");

    let before = resident_kib();
    let snapshot = services.registry.snapshot();
    let route = snapshot.tools().get("announce").expect("faulty's `announce`");
    let call = route.provider.call_tool(&services, CallContext::default(), "announce", "{}");
    let answer = tokio::time::timeout(Duration::from_secs(60), call).await.expect("the call ends").unwrap();
    assert!(answer.is_ok(), "{answer:?}");

    // `announce` re-read the catalog once; that read's own announcement was refused.
    assert_eq!(logs.count(REFUSED), 2, "{}", String::from_utf8_lossy(&logs.0.lock().unwrap()));
    assert_eq!(logs.count("could not re-read the catalog"), 0);
    assert!(services.registry.snapshot().tools().contains_key("announce"));
    let grown = resident_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "resident memory grew by {grown} KiB");
}
