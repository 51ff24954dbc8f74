//! Turns bytes into registered plugins: the bundled first-party plugins and
//! the `*.wasm` files of the plugin directory. A broken file is reported with
//! its name and the reason, and skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use super::host_api::HostServices;
use super::plugin::{Plugin, PluginSource};
use super::runtime::PluginRuntime;
use crate::caller::Grant;
use crate::config::Config;

/// A plugin compiled into the binary.
pub struct BundledPlugin {
    /// Its name.
    pub name: &'static str,
    /// Its component bytes.
    pub wasm: &'static [u8],
    /// What it needs to work out of the box (the operator can narrow it).
    pub default_grants: &'static [Grant],
    /// Loaded only when `[plugins.<name>] grants` grants it something: a
    /// plugin that offers nothing without grants (`docker`) costs nothing
    /// until the operator turns it on.
    pub opt_in: bool,
}

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

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
    /// directory's `<name>.wasm`, else the bundled plugin of that name.
    pub async fn reload(&self, name: &str) -> Result<Arc<Plugin>> {
        let file = self.config.plugin_dir.as_ref().map(|d| d.join(format!("{name}.wasm"))).filter(|f| f.is_file());
        match file {
            Some(file) => self.load_file(&file).await,
            None => match self.bundled(name) {
                Some(bundled) => self.load_bundled(bundled).await,
                None => Err(anyhow!("no plugin `{name}`: neither <plugin_dir>/{name}.wasm nor a bundled plugin")),
            },
        }
    }

    /// Loads every bundled plugin (if enabled) and every `*.wasm` in the plugin
    /// directory. Broken plugins are logged and skipped; returns how many loaded.
    pub async fn load_all(&self) -> usize {
        let mut loaded = 0;
        for bundled in BUNDLED.iter().filter(|b| self.bundled(b.name).is_some()) {
            loaded += self.report(bundled.name, self.load_bundled(bundled).await) as usize;
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
        self.load(bundled.name, PluginSource::Bundled, bundled.wasm.to_vec(), bundled.default_grants).await
    }

    /// Loads (or reloads) the plugin in `path`; its name is the file stem.
    pub async fn load_file(&self, path: &Path) -> Result<Arc<Plugin>> {
        let name = plugin_name(path)?;
        let wasm = tokio::fs::read(path).await.with_context(|| format!("reading {}", path.display()))?;
        self.load(&name, PluginSource::File(path.to_path_buf()), wasm, &[]).await
    }

    /// Removes the plugin loaded from `path`. A bundled plugin it replaced comes back.
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
        if let Some(bundled) = self.bundled(&name) {
            self.report(bundled.name, self.load_bundled(bundled).await);
        }
    }

    async fn load(&self, name: &str, source: PluginSource, wasm: Vec<u8>, grants: &[Grant]) -> Result<Arc<Plugin>> {
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
