//! Turns bytes into registered plugins: the bundled first-party plugins, the
//! entries of the lock file (plugins from OCI registries, verified from the
//! store on every load) and the `*.wasm` files of the plugin directory. Of
//! plugins of one name, the directory's wins, then the lock file's, then the
//! bundled one. A broken plugin is reported with its name and the reason,
//! and skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use super::compile_cache::ComponentBytes;
use super::host_api::HostServices;
use super::plugin::{Plugin, PluginSource};
use super::runtime::PluginRuntime;
use crate::caller::Grant;
use crate::config::Config;
use crate::oci::{LockEntry, LockFile};

/// A plugin compiled into the binary.
pub struct BundledPlugin {
    /// Its name.
    pub name: &'static str,
    /// Its component bytes.
    pub wasm: &'static [u8],
    /// Their SHA-256, computed by the build.
    pub sha256: [u8; 32],
    /// What it needs to work out of the box (the operator can narrow it).
    pub default_grants: &'static [Grant],
    /// Loaded only when `[plugins.<name>] grants` grants it something: a
    /// plugin that offers nothing without grants (`docker`) costs nothing
    /// until the operator turns it on.
    pub opt_in: bool,
}

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

impl BundledPlugin {
    /// Its bytes for the compile cache, keyed by the build's digest.
    pub fn component(&self) -> ComponentBytes {
        ComponentBytes::embedded(self.wasm, self.sha256)
    }
}

/// Loads plugins into the registry under the operator's configuration.
pub struct Loader {
    runtime: Arc<PluginRuntime>,
    services: Arc<HostServices>,
    config: Arc<Config>,
    /// Plugins the operator disabled: not loaded until enabled again.
    disabled: RwLock<BTreeSet<String>>,
}

impl Loader {
    /// A loader that registers into `services.registry`.
    /// Plugins named in `disabled` are not loaded.
    pub fn new(
        runtime: Arc<PluginRuntime>,
        services: Arc<HostServices>,
        config: Arc<Config>,
        disabled: BTreeSet<String>,
    ) -> Self {
        Self { runtime, services, config, disabled: RwLock::new(disabled) }
    }

    /// Whether the operator disabled plugin `name`.
    pub fn is_disabled(&self, name: &str) -> bool {
        self.disabled.read().unwrap_or_else(|p| p.into_inner()).contains(name)
    }

    /// The plugins the operator disabled, by name.
    pub fn disabled(&self) -> Vec<String> {
        self.disabled.read().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }

    /// Disables plugin `name` (unloading it), or enables it again (loading it).
    /// Fails when enabling a plugin that cannot be found or loaded.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let changed = {
            let mut set = self.disabled.write().unwrap_or_else(|p| p.into_inner());
            if disabled { set.insert(name.to_string()) } else { set.remove(name) }
        };
        if disabled {
            if self.services.registry.remove(name) {
                tracing::info!(plugin = name, "unloaded (disabled by the operator)");
            }
            return Ok(());
        }
        match changed {
            true => self.reload(name).await.map(drop),
            false => Ok(()),
        }
    }

    /// Loads plugin `name` again from where it comes from: the plugin
    /// directory's `<name>.wasm`, else the lock file's entry, else the
    /// bundled plugin of that name.
    pub async fn reload(&self, name: &str) -> Result<Arc<Plugin>> {
        match self.directory_file(name) {
            Some(file) => self.load_file(&file).await,
            None => self.load_behind_directory(name).await.unwrap_or_else(|| {
                Err(anyhow!("no plugin `{name}`: not <plugin_dir>/{name}.wasm, nor in the lock file, nor bundled"))
            }),
        }
    }

    /// `<plugin_dir>/<name>.wasm`, if there is such a file.
    fn directory_file(&self, name: &str) -> Option<PathBuf> {
        self.config.plugin_dir.as_ref().map(|d| d.join(format!("{name}.wasm"))).filter(|f| f.is_file())
    }

    /// Loads `name` from the lock file, else bundled: what serves when the
    /// directory has no such plugin. `None` when neither has one.
    async fn load_behind_directory(&self, name: &str) -> Option<Result<Arc<Plugin>>> {
        if let Some(entry) = self.lock().get(name) {
            return Some(self.load_locked(entry).await);
        }
        Some(self.load_bundled(self.bundled(name)?).await)
    }

    /// The lock file's entries; an unreadable lock file is logged and read as empty.
    pub fn lock(&self) -> LockFile {
        let Some(path) = self.config.plugins_lock_path() else { return LockFile::default() };
        LockFile::read(&path).unwrap_or_else(|e| {
            tracing::error!("ignoring the lock file: {e:#}");
            LockFile::default()
        })
    }

    /// Loads the plugin a lock entry pins, from the store, after verifying
    /// its content hash and signature again.
    pub async fn load_locked(&self, entry: &LockEntry) -> Result<Arc<Plugin>> {
        let store = self.config.plugin_store().ok_or_else(|| anyhow!("no state directory, so no plugin store"))?;
        let (locked, policy) = (entry.clone(), self.config.plugin_trust.clone());
        let wasm =
            tokio::task::spawn_blocking(move || crate::oci::verify::load_locked(&store, &locked, &policy)).await??;
        self.load(&entry.name, PluginSource::locked(entry), ComponentBytes::new(wasm), &[]).await
    }

    /// Brings the loaded plugins in line with the lock file: loads entries
    /// added or re-pinned, unloads plugins whose entries were removed (the
    /// bundled plugin of the name comes back). Directory files keep priority.
    pub async fn sync_lock(&self) {
        let lock = self.lock();
        let registry = &self.services.registry;
        for entry in &lock.plugins {
            let pinned = PluginSource::locked(entry);
            let loaded = registry.snapshot().plugins().get(&entry.name).is_some_and(|p| p.source() == &pinned);
            if !loaded && self.directory_file(&entry.name).is_none() {
                self.report(&entry.name, self.load_locked(entry).await);
            }
        }
        let snapshot = registry.snapshot();
        let unlocked = snapshot.plugins().values().filter(|p| matches!(p.source(), PluginSource::Oci { .. }));
        for plugin in unlocked.filter(|p| lock.get(p.name()).is_none()) {
            registry.remove(plugin.name());
            tracing::info!(plugin = plugin.name(), "unloaded (removed from the lock file)");
            if let Some(bundled) = self.bundled(plugin.name()) {
                self.report(bundled.name, self.load_bundled(bundled).await);
            }
        }
    }

    /// Loads every bundled plugin (if enabled), every lock file entry and
    /// every `*.wasm` in the plugin directory. Broken plugins are logged and
    /// skipped; returns how many loaded.
    pub async fn load_all(&self) -> usize {
        let mut loaded = 0;
        for bundled in BUNDLED.iter().filter(|b| self.bundled(b.name).is_some()) {
            loaded += self.report(bundled.name, self.load_bundled(bundled).await) as usize;
        }
        for entry in self.lock().plugins.iter().filter(|e| self.directory_file(&e.name).is_none()) {
            loaded += self.report(&entry.name, self.load_locked(entry).await) as usize;
        }
        if let Some(dir) = &self.config.plugin_dir {
            match wasm_files(dir) {
                Ok(files) => {
                    let results = futures::future::join_all(files.iter().map(|f| self.load_file(f))).await;
                    for (file, result) in files.iter().zip(results) {
                        loaded += self.report(&file.display().to_string(), result) as usize;
                    }
                }
                Err(e) => tracing::error!(dir = %dir.display(), "cannot read the plugin directory: {e}"),
            }
        }
        loaded
    }

    /// The bundled plugin `name`, if bundled plugins are on and, for an
    /// opt-in one, the operator granted it something.
    fn bundled(&self, name: &str) -> Option<&'static BundledPlugin> {
        let granted = |b: &BundledPlugin| {
            !b.opt_in || self.config.plugins.get(b.name).and_then(|p| p.grants.as_ref()).is_some_and(|g| !g.is_empty())
        };
        BUNDLED.iter().find(|b| b.name == name).filter(|b| self.config.bundled_plugins && granted(b))
    }

    /// Loads one bundled plugin.
    pub async fn load_bundled(&self, bundled: &BundledPlugin) -> Result<Arc<Plugin>> {
        self.load(bundled.name, PluginSource::Bundled, bundled.component(), bundled.default_grants).await
    }

    /// Loads (or reloads) the plugin in `path`; its name is the file stem.
    pub async fn load_file(&self, path: &Path) -> Result<Arc<Plugin>> {
        let name = plugin_name(path)?;
        let wasm = tokio::fs::read(path).await.with_context(|| format!("reading {}", path.display()))?;
        self.load(&name, PluginSource::File(path.to_path_buf()), ComponentBytes::new(wasm), &[]).await
    }

    /// Removes the plugin loaded from `path`. A locked or bundled plugin it
    /// replaced comes back.
    pub async fn unload_file(&self, path: &Path) {
        let Ok(name) = plugin_name(path) else { return };
        let registry = &self.services.registry;
        let from_this_file = registry
            .snapshot()
            .plugins()
            .get(&name)
            .is_some_and(|p| p.source() == &PluginSource::File(path.to_path_buf()));
        if !from_this_file {
            return;
        }
        registry.remove(&name);
        tracing::info!(plugin = name, "unloaded (file removed)");
        if let Some(result) = self.load_behind_directory(&name).await {
            self.report(&name, result);
        }
    }

    async fn load(
        &self,
        name: &str,
        source: PluginSource,
        wasm: ComponentBytes,
        grants: &[Grant],
    ) -> Result<Arc<Plugin>> {
        if self.is_disabled(name) {
            return Err(anyhow!("the operator disabled it (`POST /api/v1/plugins/{name}/enable` enables it)"));
        }
        let started = Instant::now();
        let runtime = self.runtime.clone();
        let (pre, outcome) = tokio::task::spawn_blocking(move || runtime.prepare(&wasm)).await??;
        let policy = self.config.plugin_policy(name, grants);
        let plugin = Plugin::new(&self.services, name, source, pre, policy).await?;
        let catalog = plugin.catalog();
        tracing::info!(
            plugin = name,
            contract = plugin.contract_version(),
            tools = catalog.tools.len(),
            resources = catalog.resources.len() + catalog.templates.len(),
            prompts = catalog.prompts.len(),
            cache = ?outcome,
            ms = started.elapsed().as_millis() as u64,
            "loaded"
        );
        if let Some(previous) = self.services.registry.snapshot().plugins().get(name)
            && previous.source() != plugin.source()
        {
            tracing::warn!(plugin = name, "replaces the plugin of the same name from {:?}", previous.source());
        }
        self.services.registry.insert(plugin.clone());
        Ok(plugin)
    }

    fn report(&self, what: &str, result: Result<Arc<Plugin>>) -> bool {
        match result {
            Ok(_) => true,
            Err(e) => {
                tracing::error!("skipping plugin {what}: {e:#}");
                false
            }
        }
    }
}

/// The plugin's name: the file stem, which must be a plain identifier.
pub fn plugin_name(path: &Path) -> Result<String> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let valid = !stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(anyhow!("the file name must be letters, digits, `-` or `_` followed by .wasm"));
    }
    Ok(stem.to_string())
}

/// The `*.wasm` files directly in `dir`, in name order.
pub fn wasm_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::BUNDLED;

    #[test]
    fn the_builds_digests_are_those_of_the_embedded_bytes() {
        for bundled in BUNDLED {
            assert_eq!(<[u8; 32]>::from(Sha256::digest(bundled.wasm)), bundled.sha256, "{}", bundled.name);
        }
    }
}
