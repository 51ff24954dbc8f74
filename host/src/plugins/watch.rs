//! Hot reload: polls the plugin directory and loads, reloads or unloads
//! plugins whose files were added, replaced or removed. A file is picked up
//! once it has stayed the same for one poll, so half-written files are not read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use super::loader::{Loader, wasm_files};

/// How often the directory is scanned; a change is live within two polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Size and modification time: what "the file changed" means here.
type Fingerprint = (u64, Option<SystemTime>);

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

fn scan(dir: &Path) -> HashMap<PathBuf, Fingerprint> {
    wasm_files(dir).unwrap_or_default().into_iter().filter_map(|p| fingerprint(&p).map(|f| (p, f))).collect()
}

/// Watches the lock file `path` until `stop` fires, bringing the loaded
/// plugins in line with it when it changes (it is replaced whole, by rename).
/// The file as it is when this is called counts as loaded: call it before
/// the load that reads it, so that no change in between is missed.
pub fn watch_lock(path: PathBuf, loader: Arc<Loader>, stop: CancellationToken) -> impl Future<Output = ()> {
    let mut current = fingerprint(&path);
    async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            let seen = fingerprint(&path);
            if seen != current {
                current = seen;
                loader.sync_lock().await;
            }
        }
    }
}

/// Watches `dir` until `stop` fires, loading through `loader`. Files present
/// when this is called count as loaded: call it before the start-up load
/// reads the directory, so that a file added in between is picked up.
pub fn watch(dir: PathBuf, loader: Arc<Loader>, stop: CancellationToken) -> impl Future<Output = ()> {
    let mut current = scan(&dir);
    async move {
        let mut previous = current.clone();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            let seen = scan(&dir);
            for (path, print) in &seen {
                let settled = previous.get(path) == Some(print);
                if settled && current.get(path) != Some(print) {
                    current.insert(path.clone(), *print);
                    if let Err(e) = loader.load_file(path).await {
                        tracing::error!("skipping plugin {}: {e:#}", path.display());
                    }
                }
            }
            let gone: Vec<PathBuf> = current.keys().filter(|p| !seen.contains_key(*p)).cloned().collect();
            for path in gone {
                current.remove(&path);
                loader.unload_file(&path).await;
            }
            previous = seen;
        }
    }
}
