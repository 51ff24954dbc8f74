//! Configuration: `portcullis.toml` (from `--config` or `CONFIG_FILE`), then the
//! environment, then command-line flags; later sources override earlier ones.
//! Every error names the key and what is wrong with it.

mod admin;
mod aliases;
mod chatgpt;
mod docker_admin;
mod file;
mod http;
mod oauth_server;
mod plugin_trust;
mod state;
mod tasks;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use crate::caller::{Grant, Instances, Limits, PluginPolicy};

pub use admin::AdminConfig;
pub use file::ConfigFile;
pub use http::{HttpConfig, OAuthConfig, RateLimit, TlsFiles, parse_bind, parse_proxy};
pub use oauth_server::{ClientConfig, OAuthServerConfig, SCOPES};
pub use tasks::TasksConfig;

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
    /// How long an upstream server that sets no `startup_timeout_secs` may
    /// take to start and answer `initialize` (`SERVER_TIMEOUT`, default 30 s).
    pub servers_startup_timeout: Duration,
    /// The most shared upstream servers configured or added at once
    /// (`MAX_CONCURRENT_SERVERS`); `None` is no limit.
    pub max_servers: Option<usize>,
    /// Whether `command` entries of `servers_file` run in containers
    /// (`servers_in_containers`, with `[servers_images]` and `servers_network`).
    pub servers_in_containers: Option<crate::upstreams::ContainedImport>,
    /// Where the state database lives (`state_dir`, `PORTCULLIS_STATE_DIR`).
    pub state_dir: Option<PathBuf>,
    /// `[activity]`: what the activity log keeps.
    pub activity: crate::state::ActivityConfig,
    /// `[admin]`: admin keys and what the admin API may do.
    pub admin: AdminConfig,
    /// `[tasks]`: how long task results are kept, how many may run.
    pub tasks: TasksConfig,
    /// `[chatgpt] search_fetch`: whether the host offers ChatGPT's `search`
    /// and `fetch` tools over the published resources.
    pub chatgpt_search_fetch: bool,
    /// `[oauth_server]`: the built-in authorization server, when on.
    pub oauth_server: Option<OAuthServerConfig>,
    /// `plugins_lock`: the lock file of plugins from OCI registries
    /// (`PORTCULLIS_PLUGINS_LOCK`); by default `plugins.lock` beside the
    /// configuration file, else in the state directory.
    pub plugins_lock: Option<PathBuf>,
    /// `[[plugin_trust]]`: who must have signed plugins from registries.
    pub plugin_trust: crate::oci::TrustPolicy,
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
    /// `instance = "per-session"` keeps one instance per session.
    pub instances: Instances,
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
            servers_startup_timeout: crate::upstreams::DEFAULT_STARTUP_TIMEOUT,
            max_servers: None,
            servers_in_containers: None,
            state_dir: crate::state::default_state_dir(),
            activity: crate::state::ActivityConfig::default(),
            admin: AdminConfig::default(),
            tasks: TasksConfig::default(),
            chatgpt_search_fetch: false,
            oauth_server: None,
            plugins_lock: None,
            plugin_trust: crate::oci::TrustPolicy::default(),
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

    /// A secret setting: variable `name`, else the contents of the file that
    /// `<name>_FILE` names (a Docker secret under `/run/secrets`), its
    /// trailing newline trimmed. Both set, an unreadable file or an empty
    /// one are errors that name the variable and the file, never the value.
    fn secret(&self, name: &str) -> Result<Option<String>, ConfigError> {
        let file_var = format!("{name}_FILE");
        match (self.var(name), self.var(&file_var)) {
            (Some(_), Some(_)) => Err(ConfigError(format!("both `{name}` and `{file_var}` are set; unset one"))),
            (Some(value), None) => Ok(Some(value)),
            (None, Some(path)) => {
                let value = crate::upstreams::secrets::read_secret_file(&path)
                    .map_err(|e| ConfigError(format!("`{file_var}` names `{path}`, which cannot be read: {e}")))?;
                if value.is_empty() {
                    return Err(ConfigError(format!("`{file_var}` names `{path}`, which is empty")));
                }
                Ok(Some(value))
            }
            (None, None) => Ok(None),
        }
    }
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
        if let Some(timeout) = aliases::server_timeout(env)? {
            config.servers_startup_timeout = timeout;
        }
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
            ConfigFile::parse(&text, &path)?.apply(&mut config)?;
        }
        if let Some(problem) = config.apply_env(env).into_iter().next() {
            return Err(problem);
        }
        config.serve_own_tokens()?;
        config.check_server_count()?;
        Ok(config)
    }

    /// Like [`Config::load`] followed by [`Config::load_servers_file`], but
    /// gathers every problem it can find instead of stopping at the first:
    /// each top-level key and each `[servers.<name>]` of the file is checked
    /// on its own when the file as a whole does not apply, then the
    /// environment, the servers file, the server count and the log filter.
    /// Returns the configuration as far as it applied, and the problems.
    pub fn check(path: Option<&std::path::Path>, env: &dyn Environment) -> (Config, Vec<ConfigError>) {
        let path = path.map(PathBuf::from).or_else(|| env.var("CONFIG_FILE").map(PathBuf::from));
        let mut problems = Vec::new();
        let mut config = Config::default();
        match aliases::server_timeout(env) {
            Ok(Some(timeout)) => config.servers_startup_timeout = timeout,
            Ok(None) => {}
            Err(e) => problems.push(e),
        }
        if let Some(path) = &path {
            match std::fs::read_to_string(path) {
                Err(e) => problems.push(ConfigError(format!("cannot read config file {}: {e}", path.display()))),
                Ok(text) => problems.extend(apply_file_parts(&text, path, &mut config)),
            }
        }
        problems.extend(config.apply_env(env));
        problems.extend(config.serve_own_tokens().err());
        problems.extend(config.load_servers_file().err());
        problems.extend(config.log_filter().err());
        (config, problems)
    }

    /// The `tracing` filter of `log_level`. rmcp logs every request's start
    /// and end at `info`, so it is kept to warnings unless the filter names it.
    pub fn log_filter(&self) -> Result<tracing_subscriber::EnvFilter, ConfigError> {
        match tracing_subscriber::EnvFilter::try_new(&self.log_level) {
            Ok(filter) if !self.log_level.contains("rmcp") => {
                Ok(filter.add_directive("rmcp=warn".parse().expect("a valid directive")))
            }
            Ok(filter) => Ok(filter),
            Err(e) => {
                Err(ConfigError(format!("`log_level` / LOG_LEVEL `{}` is not a valid filter: {e}", self.log_level)))
            }
        }
    }

    /// The lock file of plugins from OCI registries, if there is a place for one.
    pub fn plugins_lock_path(&self) -> Option<PathBuf> {
        self.plugins_lock.clone().or_else(|| self.state_dir.as_ref().map(|d| d.join("plugins.lock")))
    }

    /// The store that plugins from OCI registries are kept in: `oci/` in the
    /// state directory.
    pub fn plugin_store(&self) -> Option<crate::oci::Store> {
        self.state_dir.as_ref().map(|d| crate::oci::Store::new(d.join("oci")))
    }

    /// A copy whose secrets (API keys, admin keys) read `<redacted>`, for
    /// printing; server environments and headers redact themselves.
    pub fn redacted(&self) -> Config {
        let mut copy = self.clone();
        for key in copy.http.api_keys.values_mut().chain(copy.admin.keys.values_mut()) {
            *key = REDACTED.into();
        }
        if let Some(server) = &mut copy.oauth_server {
            let secrets = server.clients.values_mut().filter_map(|c| c.secret.as_mut());
            for secret in secrets.chain(server.admin_password.as_mut()) {
                *secret = REDACTED.into();
            }
        }
        copy
    }

    /// Applies the environment: the seed projects' aliases, then Portcullis's
    /// own variables, which win. Returns the problems, each naming its variable.
    fn apply_env(&mut self, env: &dyn Environment) -> Vec<ConfigError> {
        let mut problems = aliases::apply(self, env);
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
            match parse_bool("PORTCULLIS_BUNDLED_PLUGINS", &v) {
                Ok(bundled) => self.bundled_plugins = bundled,
                Err(e) => problems.push(e),
            }
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
        problems.extend(self.http.apply_env(env).err());
        problems.extend(self.admin.apply_env(env).err());
        problems.extend(OAuthServerConfig::apply_env(&mut self.oauth_server, env).err());
        if let Some(dir) = env.var("PORTCULLIS_STATE_DIR") {
            self.state_dir = Some(dir.into());
        }
        if let Some(path) = env.var("PORTCULLIS_PLUGINS_LOCK") {
            self.plugins_lock = Some(path.into());
        }
        if let Some(path) = env.var("PORTCULLIS_SERVERS") {
            self.servers_file = Some(path.into());
        }
        problems
    }

    /// With the built-in authorization server on, makes `/mcp` accept its
    /// tokens (resource-server mode for its issuer and resource, scopes
    /// required) and lets its public URL through the Host and Origin checks.
    /// `[http.oauth]` (another issuer) cannot be combined with it.
    fn serve_own_tokens(&mut self) -> Result<(), ConfigError> {
        let Some(server) = &self.oauth_server else { return Ok(()) };
        if self.http.oauth.as_ref().is_some_and(|oauth| oauth.issuer != server.issuer) {
            return Err(ConfigError(
                "`[http.oauth]` (tokens from another issuer) and `[oauth_server]` (this host issues them) cannot both be set; remove one".into(),
            ));
        }
        self.http.oauth = Some(OAuthConfig {
            issuer: server.issuer.clone(),
            audience: server.resource.clone(),
            jwks_url: format!("{}/.well-known/jwks.json", server.issuer),
            resource: server.resource.clone(),
            require_scopes: true,
        });
        let url: ::http::Uri =
            server.issuer.parse().map_err(|_| ConfigError("`oauth_server.issuer` is not a URL".into()))?;
        if let Some(authority) = url.authority() {
            let host = authority.host().to_string();
            if !self.http.allowed_hosts.contains(&host) && !self.http.allowed_hosts.iter().any(|h| h == "*") {
                self.http.allowed_hosts.push(host);
            }
            let origin = format!("{}://{authority}", url.scheme_str().unwrap_or("https"));
            if !self.http.allowed_origins.contains(&origin) {
                self.http.allowed_origins.push(origin);
            }
        }
        Ok(())
    }

    /// Adds the servers of `servers_file`, if set, to `servers`; a name that
    /// both define is an error.
    pub fn load_servers_file(&mut self) -> Result<(), ConfigError> {
        let Some(path) = &self.servers_file else { return self.check_server_count() };
        let contained = self.servers_in_containers.as_ref();
        let specs =
            crate::upstreams::load_desktop_file(path, contained, self.servers_startup_timeout).map_err(ConfigError)?;
        for spec in specs {
            if self.servers.iter().any(|s| s.name == spec.name) {
                return Err(ConfigError(format!(
                    "server `{}` is defined both under [servers] and in {}; rename one",
                    spec.name,
                    path.display()
                )));
            }
            self.servers.push(spec);
        }
        self.check_server_count()
    }

    /// Refuses more shared servers than `MAX_CONCURRENT_SERVERS` allows.
    fn check_server_count(&self) -> Result<(), ConfigError> {
        let shared = self.servers.iter().filter(|s| s.scope == crate::upstreams::Scope::Shared).count();
        match self.max_servers {
            Some(max) if shared > max => Err(ConfigError(format!(
                "{shared} upstream servers are configured, but MAX_CONCURRENT_SERVERS allows {max}; raise it or remove servers"
            ))),
            _ => Ok(()),
        }
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
            instances: settings.instances,
            grants: settings.grants.unwrap_or_else(|| default_grants.iter().copied().collect()),
            settings: settings.settings,
        }
    }
}

/// What a secret reads as when printed.
const REDACTED: &str = "<redacted>";

/// Applies `text` (the file at `path`) over `config`. When the whole file
/// does not apply, each top-level key (and each server) is tried on its own,
/// so that every mistake is reported, not only the first.
fn apply_file_parts(text: &str, path: &std::path::Path, config: &mut Config) -> Vec<ConfigError> {
    let whole = ConfigFile::parse(text, path).and_then(|file| {
        let mut trial = config.clone();
        file.apply(&mut trial).map(|()| trial)
    });
    let first = match whole {
        Ok(applied) => {
            *config = applied;
            return Vec::new();
        }
        Err(e) => e,
    };
    let Ok(table) = text.parse::<toml::Table>() else { return vec![first] };
    let mut parts: Vec<toml::Table> = Vec::new();
    let mut grouped = toml::Table::new();
    for (key, value) in table {
        match (key.as_str(), value) {
            ("servers", toml::Value::Table(servers)) => {
                for (name, server) in servers {
                    let one = toml::Table::from_iter([(name, server)]);
                    parts.push(toml::Table::from_iter([("servers".to_string(), toml::Value::Table(one))]));
                }
            }
            // Keys that are checked together.
            ("servers_in_containers" | "servers_images" | "servers_network", value) => {
                grouped.insert(key, value);
            }
            (_, value) => parts.push(toml::Table::from_iter([(key, value)])),
        }
    }
    if !grouped.is_empty() {
        parts.push(grouped);
    }
    let problems: Vec<ConfigError> = parts
        .into_iter()
        .filter_map(|part| match ConfigFile::parse_part(part, path) {
            Err(e) => Some(e),
            Ok(file) => file.apply(config).err(),
        })
        .collect();
    if problems.is_empty() { vec![first] } else { problems }
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

/// A temporary file holding `text`, for tests.
#[cfg(test)]
pub(crate) fn write(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn secrets_come_from_files_named_by_file_variables() {
        let api = write("api-key-from-a-docker-secret\n");
        let admin = write("admin-key-from-a-docker-secret\r\n");
        let (api_path, admin_path) = (api.path().display().to_string(), admin.path().display().to_string());
        let env = FakeEnv(vec![("API_KEY_FILE", api_path.leak()), ("ADMIN_API_KEY_FILE", admin_path.leak())]);
        let config = Config::load(None, &env).unwrap();
        assert_eq!(config.http.api_keys["API_KEY"], "api-key-from-a-docker-secret");
        assert_eq!(config.admin.keys["ADMIN_API_KEY"], "admin-key-from-a-docker-secret");

        let missing = FakeEnv(vec![("API_KEY_FILE", "/run/secrets/no-such-secret")]);
        let err = Config::load(None, &missing).unwrap_err().to_string();
        assert!(err.contains("API_KEY_FILE") && err.contains("/run/secrets/no-such-secret"), "{err}");
        let both = FakeEnv(vec![("ADMIN_API_KEY", "x"), ("ADMIN_API_KEY_FILE", "/y")]);
        let err = Config::load(None, &both).unwrap_err().to_string();
        assert!(err.contains("ADMIN_API_KEY") && err.contains("ADMIN_API_KEY_FILE") && !err.contains("`x`"), "{err}");
        let empty = write("\n");
        let empty_path = empty.path().display().to_string();
        let err = Config::load(None, &FakeEnv(vec![("API_KEY_FILE", empty_path.leak())])).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
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
