//! Configuration: `portcullis.toml` (from `--config` or `CONFIG_FILE`), then the
//! environment, then command-line flags; later sources override earlier ones.
//! Every error names the key and what is wrong with it.

mod admin;
mod file;
mod http;
mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use crate::caller::{Grant, Limits, PluginPolicy};

pub use admin::AdminConfig;
pub use file::ConfigFile;
pub use http::{HttpConfig, OAuthConfig, RateLimit, parse_bind};

/// A configuration problem, reported with exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// The resolved configuration of a host process.
#[derive(Debug, Clone)]
pub struct Config {
    /// A `tracing` filter (`info`, `debug`, `portcullis=trace`, …).
    pub log_level: String,
    /// A directory of `*.wasm` plugins watched while running.
    pub plugin_dir: Option<PathBuf>,
    /// Whether to load the plugins built into the binary.
    pub bundled_plugins: bool,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Limits for plugins that set none of their own.
    pub default_limits: Limits,
    /// Per-plugin settings by plugin name.
    pub plugins: BTreeMap<String, PluginSettings>,
    /// Package index or registry mirror per package manager.
    pub index_urls: BTreeMap<String, String>,
    /// `[docker]`: the engine, container limits and allowlists.
    pub docker: crate::docker::DockerConfig,
    /// `[http]`: the HTTP transport's address and guards.
    pub http: HttpConfig,
    /// `[servers.<name>]`: upstream MCP servers, in name order.
    pub servers: Vec<crate::upstreams::ServerSpec>,
    /// A Claude Desktop style `mcpServers` file of more upstream servers
    /// (`servers_file`, `PORTCULLIS_SERVERS`, `--servers`), read by
    /// [`Config::load_servers_file`].
    pub servers_file: Option<PathBuf>,
    /// Whether `command` entries of `servers_file` run in containers
    /// (`servers_in_containers`, with `[servers_images]` and `servers_network`).
    pub servers_in_containers: Option<crate::upstreams::ContainedImport>,
    /// Where the state database lives (`state_dir`, `PORTCULLIS_STATE_DIR`).
    pub state_dir: Option<PathBuf>,
    /// `[activity]`: what the activity log keeps.
    pub activity: crate::state::ActivityConfig,
    /// `[admin]`: admin keys and what the admin API may do.
    pub admin: AdminConfig,
}

/// What `[plugins.<name>]` says about one plugin.
#[derive(Debug, Clone, Default)]
pub struct PluginSettings {
    /// Limit overrides.
    pub memory_mib: Option<u64>,
    /// CPU time override.
    pub cpu_ms: Option<u64>,
    /// Wall-clock override.
    pub wall_ms: Option<u64>,
    /// Grants; `None` keeps the plugin's default grants.
    pub grants: Option<BTreeSet<Grant>>,
    /// Values for the plugin's `config` import.
    pub settings: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            log_level: "info".into(),
            plugin_dir: None,
            bundled_plugins: true,
            cache_dir: default_cache_dir(),
            default_limits: Limits::default(),
            plugins: BTreeMap::new(),
            index_urls: BTreeMap::new(),
            docker: crate::docker::DockerConfig::default(),
            http: HttpConfig::default(),
            servers: Vec::new(),
            servers_file: None,
            servers_in_containers: None,
            state_dir: crate::state::default_state_dir(),
            activity: crate::state::ActivityConfig::default(),
            admin: AdminConfig::default(),
        }
    }
}

/// Where compiled components are cached by default:
/// `$XDG_CACHE_HOME/portcullis/components` or `~/.cache/portcullis/components`.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))?;
    Some(base.join("portcullis").join("components"))
}

/// Reads the environment: a seam so tests need not mutate the process environment.
pub trait Environment {
    /// The variable's value, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Config {
    /// Loads the file (if any) and applies the environment on top.
    pub fn load(path: Option<&std::path::Path>, env: &dyn Environment) -> Result<Config, ConfigError> {
        let path = path.map(PathBuf::from).or_else(|| env.var("CONFIG_FILE").map(PathBuf::from));
        let mut config = Config::default();
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
            ConfigFile::parse(&text, &path)?.apply(&mut config)?;
        }
        config.apply_env(env)?;
        Ok(config)
    }

    fn apply_env(&mut self, env: &dyn Environment) -> Result<(), ConfigError> {
        if let Some(level) = env.var("LOG_LEVEL") {
            self.log_level = level;
        }
        if let Some(dir) = env.var("PORTCULLIS_PLUGINS") {
            self.plugin_dir = Some(dir.into());
        }
        if let Some(dir) = env.var("PORTCULLIS_CACHE_DIR") {
            self.cache_dir = Some(dir.into());
        }
        if let Some(v) = env.var("PORTCULLIS_BUNDLED_PLUGINS") {
            self.bundled_plugins = parse_bool("PORTCULLIS_BUNDLED_PLUGINS", &v)?;
        }
        for (manager, var) in [("pip", "PIP_INDEX_URL"), ("npm", "NPM_CONFIG_REGISTRY")] {
            if let Some(url) = env.var(var) {
                self.index_urls.insert(manager.into(), url);
            }
        }
        if let Some(host) = env.var("DOCKER_HOST") {
            self.docker.host = Some(host);
        }
        if let Some(images) = env.var("PORTCULLIS_DOCKER_IMAGES") {
            self.docker.images = images.split(',').map(str::trim).filter(|i| !i.is_empty()).map(String::from).collect();
        }
        self.http.apply_env(env)?;
        self.admin.apply_env(env)?;
        if let Some(dir) = env.var("PORTCULLIS_STATE_DIR") {
            self.state_dir = Some(dir.into());
        }
        if let Some(path) = env.var("PORTCULLIS_SERVERS") {
            self.servers_file = Some(path.into());
        }
        Ok(())
    }

    /// Adds the servers of `servers_file`, if set, to `servers`; a name that
    /// both define is an error.
    pub fn load_servers_file(&mut self) -> Result<(), ConfigError> {
        let Some(path) = &self.servers_file else { return Ok(()) };
        let contained = self.servers_in_containers.as_ref();
        for spec in crate::upstreams::load_desktop_file(path, contained).map_err(ConfigError)? {
            if self.servers.iter().any(|s| s.name == spec.name) {
                return Err(ConfigError(format!(
                    "server `{}` is defined both under [servers] and in {}; rename one",
                    spec.name,
                    path.display()
                )));
            }
            self.servers.push(spec);
        }
        Ok(())
    }

    /// The operator's policy for plugin `name`, starting from `default_grants`
    /// (what a bundled plugin needs to work out of the box; none for others).
    pub fn plugin_policy(&self, name: &str, default_grants: &[Grant]) -> PluginPolicy {
        let settings = self.plugins.get(name).cloned().unwrap_or_default();
        let mut limits = self.default_limits;
        if let Some(mib) = settings.memory_mib {
            limits.memory_bytes = (mib as usize) << 20;
        }
        if let Some(ms) = settings.cpu_ms {
            limits.cpu_time = Duration::from_millis(ms);
        }
        if let Some(ms) = settings.wall_ms {
            limits.wall_time = Duration::from_millis(ms);
        }
        PluginPolicy {
            limits,
            grants: settings.grants.unwrap_or_else(|| default_grants.iter().copied().collect()),
            settings: settings.settings,
        }
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError(format!("`{key}` must be true or false, not `{value}`"))),
    }
}

/// An environment of fixed variables, for tests.
#[cfg(test)]
pub(crate) struct FakeEnv(pub Vec<(&'static str, &'static str)>);

#[cfg(test)]
impl Environment for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn the_example_configuration_is_valid() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/portcullis.toml");
        let config = Config::load(Some(&example), &FakeEnv(vec![])).unwrap();
        assert_eq!(config.index_urls["pip"], "https://pypi.org/simple");
        assert!(config.plugin_policy("sandbox", &[]).grants.contains(&Grant::InstallNetwork));
    }

    #[test]
    fn environment_overrides_file() {
        let file = write("log_level = \"warn\"\nplugin_dir = \"/from/file\"\n");
        let env = FakeEnv(vec![("PORTCULLIS_PLUGINS", "/from/env")]);
        let config = Config::load(Some(file.path()), &env).unwrap();
        assert_eq!(config.log_level, "warn");
        assert_eq!(config.plugin_dir, Some(PathBuf::from("/from/env")));
    }

    #[test]
    fn unknown_key_is_named() {
        let file = write("log_levle = \"warn\"\n");
        let err = Config::load(Some(file.path()), &FakeEnv(vec![])).unwrap_err().to_string();
        assert!(err.contains("log_levle"), "{err}");
    }

    #[test]
    fn unknown_grant_is_named_with_the_plugin() {
        let file = write("[plugins.sandbox]\ngrants = [\"dockr\"]\n");
        let err = Config::load(Some(file.path()), &FakeEnv(vec![])).unwrap_err().to_string();
        assert!(err.contains("plugins.sandbox.grants") && err.contains("dockr"), "{err}");
    }

    #[test]
    fn per_plugin_limits_and_settings_apply() {
        let file = write(
            "[limits]\nmemory_mib = 32\n[plugins.paths]\ncpu_ms = 50\n[plugins.paths.settings]\nallow = [\"/srv\"]\nmode = \"strict\"\n",
        );
        let config = Config::load(Some(file.path()), &FakeEnv(vec![])).unwrap();
        let policy = config.plugin_policy("paths", &[Grant::Docker]);
        assert_eq!(policy.limits.memory_bytes, 32 << 20);
        assert_eq!(policy.limits.cpu_time, Duration::from_millis(50));
        assert_eq!(policy.settings["allow"], "[\"/srv\"]");
        assert_eq!(policy.settings["mode"], "strict");
        assert!(policy.grants.contains(&Grant::Docker));
    }
}
