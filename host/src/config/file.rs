//! The shape of `portcullis.toml`. Unknown keys are errors, so a typo is
//! reported instead of silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{Config, ConfigError, PluginSettings};
use crate::caller::{Grant, Instances};

/// `portcullis.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    log_level: Option<String>,
    plugin_dir: Option<PathBuf>,
    bundled_plugins: Option<bool>,
    cache_dir: Option<PathBuf>,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    plugins: BTreeMap<String, PluginFile>,
    #[serde(default)]
    install: InstallFile,
    #[serde(default)]
    docker: DockerFile,
    #[serde(default)]
    docker_admin: super::docker_admin::DockerAdminFile,
    #[serde(default)]
    http: super::http::HttpFile,
    servers_file: Option<PathBuf>,
    servers_in_containers: Option<bool>,
    servers_network: Option<bool>,
    servers_images: Option<BTreeMap<String, String>>,
    #[serde(default)]
    servers: BTreeMap<String, crate::upstreams::ServerFile>,
    state_dir: Option<PathBuf>,
    #[serde(default)]
    activity: super::state::ActivityFile,
    #[serde(default)]
    admin: super::admin::AdminFile,
    #[serde(default)]
    tasks: super::tasks::TasksFile,
    #[serde(default)]
    chatgpt: super::chatgpt::ChatGptFile,
    oauth_server: Option<super::oauth_server::OAuthServerFile>,
    plugins_lock: Option<PathBuf>,
    #[serde(default)]
    plugin_trust: Vec<super::plugin_trust::PluginTrustFile>,
    /// The file's directory, which relative paths of plugin keys and the
    /// lock file start from.
    #[serde(skip)]
    dir: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    memory_mib: Option<u64>,
    cpu_ms: Option<u64>,
    wall_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginFile {
    memory_mib: Option<u64>,
    cpu_ms: Option<u64>,
    wall_ms: Option<u64>,
    grants: Option<Vec<String>>,
    instance: Option<String>,
    #[serde(default)]
    settings: BTreeMap<String, toml::Value>,
}

/// `[install]`: where installers fetch packages.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstallFile {
    pip_index_url: Option<String>,
    npm_registry: Option<String>,
}

/// `[docker]`: the engine, container limits, allowlists and bookkeeping.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DockerFile {
    enabled: Option<bool>,
    host: Option<String>,
    memory_mib: Option<u64>,
    cpus: Option<f64>,
    pids: Option<u64>,
    allow_network: Option<bool>,
    images: Option<Vec<String>>,
    mount_allow: Option<Vec<PathBuf>>,
    idle_ttl_secs: Option<u64>,
    exec_timeout_secs: Option<u64>,
    output_cap_bytes: Option<u64>,
    default_image: Option<String>,
    max_containers_per_principal: Option<u64>,
    workspace_mib: Option<u64>,
}

impl DockerFile {
    fn apply(self, docker: &mut crate::docker::DockerConfig) -> Result<(), ConfigError> {
        if let Some(v) = self.enabled {
            docker.enabled = v;
        }
        if let Some(v) = self.host {
            docker.host = Some(v);
        }
        if let Some(bytes) = mib_bytes("docker.memory_mib", self.memory_mib)? {
            docker.memory_bytes = bytes;
        }
        if let Some(bytes) = mib_bytes("docker.workspace_mib", self.workspace_mib)? {
            docker.workspace_bytes = bytes;
        }
        if let Some(cpus) = self.cpus {
            if !(cpus.is_finite() && cpus > 0.0) {
                return Err(ConfigError(format!("`docker.cpus` must be a positive number, not {cpus}")));
            }
            docker.cpus = cpus;
        }
        if let Some(pids) = positive("docker.pids", self.pids)? {
            docker.pids =
                u32::try_from(pids).map_err(|_| ConfigError(format!("`docker.pids` is too large: {pids}")))?;
        }
        if let Some(v) = self.allow_network {
            docker.allow_network = v;
        }
        if let Some(v) = self.images {
            docker.images = v;
        }
        if let Some(v) = self.mount_allow {
            docker.mount_allow = v;
        }
        if let Some(secs) = positive("docker.idle_ttl_secs", self.idle_ttl_secs)? {
            docker.idle_ttl = Duration::from_secs(secs);
        }
        if let Some(secs) = positive("docker.exec_timeout_secs", self.exec_timeout_secs)? {
            docker.exec_timeout = Duration::from_secs(secs);
        }
        if let Some(bytes) = positive("docker.output_cap_bytes", self.output_cap_bytes)? {
            docker.output_cap_bytes = usize::try_from(bytes)
                .map_err(|_| ConfigError(format!("`docker.output_cap_bytes` is too large: {bytes}")))?;
        }
        if let Some(v) = self.default_image {
            docker.default_image = v;
        }
        if let Some(n) = positive("docker.max_containers_per_principal", self.max_containers_per_principal)? {
            docker.max_containers_per_principal = usize::try_from(n)
                .map_err(|_| ConfigError(format!("`docker.max_containers_per_principal` is too large: {n}")))?;
        }
        Ok(())
    }
}

impl ConfigFile {
    /// Parses the file's text; errors carry the file name, key and line.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Ok(file.read_from(path))
    }

    /// Parses one part of the file (some of its top-level keys).
    pub(super) fn parse_part(part: toml::Table, path: &Path) -> Result<ConfigFile, ConfigError> {
        let file: ConfigFile =
            toml::Value::Table(part).try_into().map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Ok(file.read_from(path))
    }

    /// Records the file's directory.
    fn read_from(mut self, path: &Path) -> Self {
        self.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self
    }

    /// Applies the file's values over `config`, validating as it goes.
    pub fn apply(self, config: &mut Config) -> Result<(), ConfigError> {
        if let Some(v) = self.log_level {
            config.log_level = v;
        }
        if let Some(v) = self.plugin_dir {
            config.plugin_dir = Some(v);
        }
        if let Some(v) = self.bundled_plugins {
            config.bundled_plugins = v;
        }
        if let Some(v) = self.cache_dir {
            config.cache_dir = Some(v);
        }
        let limits = &mut config.default_limits;
        if let Some(mib) = positive("limits.memory_mib", self.limits.memory_mib)? {
            limits.memory_bytes = (mib as usize) << 20;
        }
        if let Some(ms) = positive("limits.cpu_ms", self.limits.cpu_ms)? {
            limits.cpu_time = Duration::from_millis(ms);
        }
        if let Some(ms) = positive("limits.wall_ms", self.limits.wall_ms)? {
            limits.wall_time = Duration::from_millis(ms);
        }
        for (name, plugin) in self.plugins {
            let key = |field: &str| format!("plugins.{name}.{field}");
            let grants = match plugin.grants {
                None => None,
                Some(names) => Some(
                    names
                        .iter()
                        .map(|g| {
                            Grant::parse(g).ok_or_else(|| {
                                let known: Vec<_> = Grant::ALL.iter().map(|g| g.name()).collect();
                                ConfigError(format!(
                                    "`{}` has unknown grant `{g}` (known: {})",
                                    key("grants"),
                                    known.join(", ")
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                ),
            };
            let settings = plugin
                .settings
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        toml::Value::String(s) => s,
                        other => serde_json::to_string(&other).expect("TOML values are JSON-encodable"),
                    };
                    (k, text)
                })
                .collect();
            let instances = match plugin.instance.as_deref() {
                None => Instances::PerCall,
                Some(name) => Instances::parse(name).ok_or_else(|| {
                    ConfigError(format!(
                        "`{}` is `{name}`; it is one of {}",
                        key("instance"),
                        Instances::NAMES.join(", ")
                    ))
                })?,
            };
            let parsed = PluginSettings {
                instances,
                memory_mib: positive(&key("memory_mib"), plugin.memory_mib)?,
                cpu_ms: positive(&key("cpu_ms"), plugin.cpu_ms)?,
                wall_ms: positive(&key("wall_ms"), plugin.wall_ms)?,
                grants,
                settings,
            };
            config.plugins.insert(name, parsed);
        }
        if let Some(url) = self.install.pip_index_url {
            config.index_urls.insert("pip".into(), url);
        }
        if let Some(url) = self.install.npm_registry {
            config.index_urls.insert("npm".into(), url);
        }
        self.docker.apply(&mut config.docker)?;
        self.docker_admin.apply(&mut config.docker.admin)?;
        self.http.apply(&mut config.http)?;
        if let Some(path) = self.servers_file {
            config.servers_file = Some(path);
        }
        if self.servers_in_containers == Some(true) {
            let mut import = crate::upstreams::ContainedImport::default();
            import.images.extend(self.servers_images.unwrap_or_default());
            import.network = self.servers_network.unwrap_or(false);
            config.servers_in_containers = Some(import);
        } else if self.servers_images.is_some() || self.servers_network.is_some() {
            return Err(ConfigError(
                "`servers_images` and `servers_network` apply only with `servers_in_containers = true`".into(),
            ));
        }
        if let Some(dir) = self.state_dir {
            config.state_dir = Some(dir);
        }
        self.activity.apply(&mut config.activity)?;
        self.admin.apply(&mut config.admin)?;
        self.tasks.apply(&mut config.tasks)?;
        config.chatgpt_search_fetch = self.chatgpt.search_fetch(config.chatgpt_search_fetch);
        if let Some(oauth_server) = self.oauth_server {
            oauth_server.apply(&mut config.oauth_server)?;
        }
        for (name, server) in self.servers {
            config.servers.push(server.resolve(&name, config.servers_startup_timeout).map_err(ConfigError)?);
        }
        config.plugins_lock = Some(self.dir.join(self.plugins_lock.as_deref().unwrap_or(Path::new("plugins.lock"))));
        for (index, rule) in self.plugin_trust.into_iter().enumerate() {
            config.plugin_trust.rules.push(rule.resolve(index, &self.dir)?);
        }
        Ok(())
    }
}

fn positive(key: &str, value: Option<u64>) -> Result<Option<u64>, ConfigError> {
    match value {
        Some(0) => Err(ConfigError(format!("`{key}` must be greater than zero"))),
        other => Ok(other),
    }
}

/// A positive number of MiB at `key`, in bytes.
fn mib_bytes(key: &str, value: Option<u64>) -> Result<Option<u64>, ConfigError> {
    positive(key, value)?
        .map(|mib| mib.checked_mul(1 << 20).ok_or_else(|| ConfigError(format!("`{key}` is too large: {mib}"))))
        .transpose()
}
