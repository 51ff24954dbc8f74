//! `[http]`: where the HTTP transport listens and how it guards itself
//! (allowed hosts and origins, API keys, OAuth, rate limits, body and time caps).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use super::{ConfigError, Environment};

/// The HTTP transport's settings. Used only when `portcullis serve --http` runs.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The address to listen on.
    pub bind: SocketAddr,
    /// `Host` values accepted (DNS-rebinding guard): `name` (any port),
    /// `name:port`, or `*` for any host.
    pub allowed_hosts: Vec<String>,
    /// Browser `Origin` values accepted: `scheme://host` (the scheme's default
    /// port), `scheme://host:port`, `scheme://host:*`, `null`, or `*`.
    /// Requests without an `Origin` are not browser requests and pass.
    pub allowed_origins: Vec<String>,
    /// Origins that may call from a browser (CORS); they are accepted as
    /// origins too.
    pub cors_origins: Vec<String>,
    /// Bearer API keys by name; the name identifies the client in logs and
    /// rate limits.
    pub api_keys: BTreeMap<String, String>,
    /// The scopes an API key is restricted to, by key name
    /// (`[http.api_key_scopes]`); a key not listed may call every tool.
    pub api_key_scopes: BTreeMap<String, Vec<String>>,
    /// The scope a tool needs, by tool-name pattern (`[http.tool_scopes]`,
    /// `*` any run of characters), over the default: `mcp:read` for tools
    /// marked read-only, `mcp:write` for the rest.
    pub tool_scopes: BTreeMap<String, String>,
    /// OAuth 2.1 resource-server mode, for deployments behind an
    /// authorization server.
    pub oauth: Option<OAuthConfig>,
    /// Per-client rate limit; `None` turns it off.
    pub rate_limit: Option<RateLimit>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a request may take before its response starts.
    pub request_timeout: Duration,
    /// The most initialize-era sessions (Streamable HTTP) kept at once;
    /// idle ones expire after `session_idle`.
    pub max_sessions: usize,
    /// How long an initialize-era session may go without a message before it
    /// ends (with its containers and session-scoped servers): the end of a
    /// client that vanished without a DELETE.
    pub session_idle: Duration,
    /// The most of those sessions one authenticated principal (an API key,
    /// an OAuth subject) holds at once.
    pub max_sessions_per_principal: usize,
    /// The most connections open at once; more are closed on arrival.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// TLS on the listener itself; `None` serves plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto`
    /// count; from any other address they are ignored. Empty by default.
    pub trusted_proxies: Vec<IpNet>,
}

/// `http.tls_cert` and `http.tls_key`: the PEM files of the listener's
/// certificate chain (leaf first) and its private key, read at start and
/// again whenever either changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// `[http.oauth]`: validate JWT access tokens issued by an existing
/// authorization server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthConfig {
    /// The authorization server's issuer identifier (`iss` must equal it).
    pub issuer: String,
    /// The audience tokens must be issued for (`aud` must contain it).
    pub audience: String,
    /// Where the issuer publishes its signing keys (a JWK Set).
    pub jwks_url: String,
    /// This server's resource identifier (its public `/mcp` URL), announced in
    /// the protected-resource metadata; defaults to the audience.
    pub resource: String,
    /// Whether a token's `scope` (or `scp`) claim limits the tools it may
    /// call (`require_scopes`, default off: the issuer may know nothing of
    /// MCP scopes).
    pub require_scopes: bool,
}

/// At most `requests` per `window` for each client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

/// The default listen address (loopback only).
const DEFAULT_BIND: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 8808));

/// The rate-limit window when only the request count is configured.
const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

impl Default for HttpConfig {
    fn default() -> Self {
        let loopback = ["localhost", "127.0.0.1", "[::1]"];
        Self {
            bind: DEFAULT_BIND,
            allowed_hosts: loopback.iter().map(|h| h.to_string()).collect(),
            allowed_origins: ["http", "https"]
                .iter()
                .flat_map(|scheme| loopback.iter().map(move |h| format!("{scheme}://{h}:*")))
                .collect(),
            cors_origins: Vec::new(),
            api_keys: BTreeMap::new(),
            api_key_scopes: BTreeMap::new(),
            tool_scopes: BTreeMap::new(),
            oauth: None,
            rate_limit: None,
            max_body_bytes: 4 << 20,
            request_timeout: Duration::from_secs(300),
            max_sessions: 1000,
            session_idle: Duration::from_secs(300),
            max_sessions_per_principal: 100,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            tls: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// Applies `HTTP_PORT`, `API_KEY` (or `API_KEY_FILE`),
    /// `RATE_LIMIT_REQUESTS` and `RATE_LIMIT_WINDOW` (milliseconds).
    pub(super) fn apply_env(&mut self, env: &dyn Environment) -> Result<(), ConfigError> {
        if let Some(port) = env.var("HTTP_PORT") {
            self.bind.set_port(parse_number("HTTP_PORT", &port)?);
        }
        if let Some(key) = env.secret("API_KEY")? {
            self.api_keys.insert("API_KEY".into(), key);
        }
        let requests =
            env.var("RATE_LIMIT_REQUESTS").map(|v| parse_number::<u32>("RATE_LIMIT_REQUESTS", &v)).transpose()?;
        let window_ms =
            env.var("RATE_LIMIT_WINDOW").map(|v| parse_number::<u64>("RATE_LIMIT_WINDOW", &v)).transpose()?;
        self.set_rate_limit(("RATE_LIMIT_REQUESTS", requests), ("RATE_LIMIT_WINDOW", window_ms))
    }

    /// Sets the rate limit from a request count and a window in milliseconds,
    /// either of which may be absent (keeping the current value). A count of
    /// zero turns the limit off.
    fn set_rate_limit(
        &mut self,
        (requests_key, requests): (&str, Option<u32>),
        (window_key, window_ms): (&str, Option<u64>),
    ) -> Result<(), ConfigError> {
        if window_ms == Some(0) {
            return Err(ConfigError(format!("`{window_key}` must be greater than zero")));
        }
        let window = window_ms.map(Duration::from_millis);
        self.rate_limit = match (requests, self.rate_limit) {
            (Some(0), _) => None,
            (Some(requests), current) => {
                Some(RateLimit { requests, window: window.or(current.map(|c| c.window)).unwrap_or(DEFAULT_WINDOW) })
            }
            (None, Some(current)) => Some(RateLimit { window: window.unwrap_or(current.window), ..current }),
            (None, None) if window.is_some() => {
                return Err(ConfigError(format!("`{window_key}` is set but `{requests_key}` is not")));
            }
            (None, None) => None,
        };
        Ok(())
    }
}

fn parse_number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e| ConfigError(format!("`{key}` must be a number, not `{value}` ({e})")))
}

/// `[http]` as written in `portcullis.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpFile {
    bind: Option<String>,
    allowed_hosts: Option<Vec<String>>,
    allowed_origins: Option<Vec<String>>,
    cors_origins: Option<Vec<String>>,
    api_keys: Option<BTreeMap<String, String>>,
    api_key_scopes: Option<BTreeMap<String, Vec<String>>>,
    tool_scopes: Option<BTreeMap<String, String>>,
    oauth: Option<OAuthFile>,
    rate_limit_requests: Option<u32>,
    rate_limit_window_ms: Option<u64>,
    max_body_bytes: Option<u64>,
    request_timeout_secs: Option<u64>,
    max_sessions: Option<u64>,
    session_idle_secs: Option<u64>,
    max_sessions_per_principal: Option<u64>,
    max_connections: Option<u64>,
    header_timeout_secs: Option<u64>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    trusted_proxies: Option<Vec<String>>,
}

/// `[http.oauth]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OAuthFile {
    issuer: String,
    audience: String,
    jwks_url: String,
    resource: Option<String>,
    #[serde(default)]
    require_scopes: bool,
}

impl HttpFile {
    /// Applies the section over `http`, validating each key.
    pub(super) fn apply(self, http: &mut HttpConfig) -> Result<(), ConfigError> {
        if let Some(bind) = self.bind {
            http.bind = parse_bind("http.bind", &bind)?;
        }
        if let Some(hosts) = self.allowed_hosts {
            http.allowed_hosts = hosts;
        }
        if let Some(origins) = self.allowed_origins {
            http.allowed_origins = origins;
        }
        if let Some(origins) = self.cors_origins {
            http.cors_origins = origins;
        }
        if let Some(keys) = self.api_keys {
            if let Some((name, _)) = keys.iter().find(|(_, key)| key.len() < 16) {
                return Err(ConfigError(format!("`http.api_keys.{name}` is too short: use at least 16 characters")));
            }
            http.api_keys = keys;
        }
        if let Some(scopes) = self.api_key_scopes {
            for (name, granted) in &scopes {
                check_scopes(&format!("http.api_key_scopes.{name}"), granted.iter())?;
            }
            http.api_key_scopes = scopes;
        }
        if let Some(scopes) = self.tool_scopes {
            for (pattern, scope) in &scopes {
                check_scopes(&format!("http.tool_scopes.\"{pattern}\""), std::iter::once(scope))?;
            }
            http.tool_scopes = scopes;
        }
        if let Some(oauth) = self.oauth {
            http.oauth = Some(oauth.validate()?);
        }
        http.set_rate_limit(
            ("http.rate_limit_requests", self.rate_limit_requests),
            ("http.rate_limit_window_ms", self.rate_limit_window_ms),
        )?;
        if let Some(bytes) = self.max_body_bytes {
            http.max_body_bytes = match usize::try_from(bytes) {
                Ok(0) => return Err(ConfigError("`http.max_body_bytes` must be greater than zero".into())),
                Ok(bytes) => bytes,
                Err(_) => return Err(ConfigError(format!("`http.max_body_bytes` is too large: {bytes}"))),
            };
        }
        if let Some(secs) = self.request_timeout_secs {
            http.request_timeout = seconds("http.request_timeout_secs", secs)?;
        }
        if let Some(n) = self.max_sessions {
            http.max_sessions = count("http.max_sessions", n)?;
        }
        if let Some(secs) = self.session_idle_secs {
            http.session_idle = seconds("http.session_idle_secs", secs)?;
        }
        if let Some(n) = self.max_sessions_per_principal {
            http.max_sessions_per_principal = count("http.max_sessions_per_principal", n)?;
        }
        if let Some(n) = self.max_connections {
            http.max_connections = count("http.max_connections", n)?;
        }
        if let Some(secs) = self.header_timeout_secs {
            http.header_timeout = seconds("http.header_timeout_secs", secs)?;
        }
        http.tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError("`http.tls_cert` is set but `http.tls_key` is not".into())),
            (None, Some(_)) => return Err(ConfigError("`http.tls_key` is set but `http.tls_cert` is not".into())),
        };
        if let Some(proxies) = self.trusted_proxies {
            http.trusted_proxies = proxies
                .iter()
                .map(|entry| parse_proxy(entry).map_err(|why| ConfigError(format!("`http.trusted_proxies`: {why}"))))
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }
}

/// Scope names are OAuth scope tokens (RFC 6749, section 3.3): visible
/// ASCII without spaces, quotes or backslashes.
fn check_scopes<'a>(key: &str, scopes: impl Iterator<Item = &'a String>) -> Result<(), ConfigError> {
    for scope in scopes {
        let valid = !scope.is_empty() && scope.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
        if !valid {
            return Err(ConfigError(format!("`{key}`: `{scope}` is not a scope name (such as `mcp:read`)")));
        }
    }
    Ok(())
}

/// A duration setting in seconds: at least one.
fn seconds(key: &str, secs: u64) -> Result<Duration, ConfigError> {
    match secs {
        0 => Err(ConfigError(format!("`{key}` must be greater than zero"))),
        secs => Ok(Duration::from_secs(secs)),
    }
}

/// A count setting: at least one, and representable.
fn count(key: &str, n: u64) -> Result<usize, ConfigError> {
    match usize::try_from(n) {
        Ok(0) => Err(ConfigError(format!("`{key}` must be greater than zero"))),
        Ok(n) => Ok(n),
        Err(_) => Err(ConfigError(format!("`{key}` is too large: {n}"))),
    }
}

impl OAuthFile {
    fn validate(self) -> Result<OAuthConfig, ConfigError> {
        for (key, value) in [("issuer", &self.issuer), ("jwks_url", &self.jwks_url)] {
            if !(value.starts_with("https://") || value.starts_with("http://")) {
                return Err(ConfigError(format!("`http.oauth.{key}` must be an http(s) URL, not `{value}`")));
            }
        }
        if self.audience.trim().is_empty() {
            return Err(ConfigError("`http.oauth.audience` must not be empty".into()));
        }
        let resource = self.resource.unwrap_or_else(|| self.audience.clone());
        let require_scopes = self.require_scopes;
        Ok(OAuthConfig {
            issuer: self.issuer,
            audience: self.audience,
            jwks_url: self.jwks_url,
            resource,
            require_scopes,
        })
    }
}

/// Parses a `http.trusted_proxies` entry: an address or a network in CIDR form.
pub fn parse_proxy(entry: &str) -> Result<IpNet, String> {
    let entry = entry.trim();
    entry
        .parse::<IpNet>()
        .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{entry}` is neither an IP address nor a network such as `10.0.0.0/8`"))
}

/// Parses a listen address (`127.0.0.1:8808`, `[::]:8808`, `0.0.0.0:0`);
/// errors name `key`.
pub fn parse_bind(key: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.trim().parse().map_err(|_| {
        ConfigError(format!(
            "`{key}` must be an IP address and port such as `127.0.0.1:8808` or `[::]:8808`, not `{value}`"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, FakeEnv};

    fn load(text: &str, env: Vec<(&'static str, &'static str)>) -> Result<HttpConfig, ConfigError> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        Config::load(Some(file.path()), &FakeEnv(env)).map(|c| c.http)
    }

    #[test]
    fn defaults_are_loopback_only_without_auth_or_rate_limit() {
        let http = load("", vec![]).unwrap();
        assert_eq!(http.bind, DEFAULT_BIND);
        assert_eq!(http.allowed_hosts, ["localhost", "127.0.0.1", "[::1]"]);
        assert!(http.allowed_origins.contains(&"http://127.0.0.1:*".to_string()));
        assert!(http.api_keys.is_empty() && http.oauth.is_none() && http.rate_limit.is_none());
    }

    #[test]
    fn environment_overrides_the_section() {
        let text = "[http]\nbind = \"0.0.0.0:9000\"\nrate_limit_requests = 10\nrate_limit_window_ms = 1000\n[http.api_keys]\nci = \"0123456789abcdef\"\n";
        let env = vec![("HTTP_PORT", "3001"), ("API_KEY", "from-the-environment"), ("RATE_LIMIT_REQUESTS", "5")];
        let http = load(text, env).unwrap();
        assert_eq!(http.bind, "0.0.0.0:3001".parse().unwrap());
        assert_eq!(http.api_keys.len(), 2);
        assert_eq!(http.rate_limit, Some(RateLimit { requests: 5, window: Duration::from_secs(1) }));
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("[http]\nbind = \"localhost\"\n", vec![], "http.bind"),
            ("[http]\nrate_limit_window_ms = 10\n", vec![], "http.rate_limit_requests"),
            ("[http]\nmax_body_bytes = 0\n", vec![], "http.max_body_bytes"),
            ("[http]\nmax_sessions = 0\n", vec![], "http.max_sessions"),
            ("[http]\nmax_sessions_per_principal = 0\n", vec![], "http.max_sessions_per_principal"),
            ("[http]\nmax_connections = 0\n", vec![], "http.max_connections"),
            ("[http]\nheader_timeout_secs = 0\n", vec![], "http.header_timeout_secs"),
            ("[http.api_keys]\nshort = \"abc\"\n", vec![], "http.api_keys.short"),
            ("[http]\ntls_cert = \"cert.pem\"\n", vec![], "http.tls_key"),
            ("[http]\ntls_key = \"key.pem\"\n", vec![], "http.tls_cert"),
            ("[http]\ntrusted_proxies = [\"proxy.internal\"]\n", vec![], "proxy.internal"),
            ("[http.api_key_scopes]\nci = [\"mcp read\"]\n", vec![], "http.api_key_scopes.ci"),
            ("[http.tool_scopes]\n\"git__*\" = \"\"\n", vec![], "http.tool_scopes"),
            (
                "[http.oauth]\nissuer = \"example\"\naudience = \"a\"\njwks_url = \"https://x/jwks\"\n",
                vec![],
                "http.oauth.issuer",
            ),
            ("[http]\nbindd = \"x\"\n", vec![], "bindd"),
            ("", vec![("HTTP_PORT", "eighty")], "HTTP_PORT"),
            ("", vec![("RATE_LIMIT_WINDOW", "0")], "RATE_LIMIT_WINDOW"),
        ];
        for (text, env, key) in cases {
            let err = load(text, env).unwrap_err().to_string();
            assert!(err.contains(key), "expected `{key}` in: {err}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let http = load("[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\", \"::1\"]\n", vec![]).unwrap();
        let shown: Vec<String> = http.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        assert!(load("", vec![]).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn tls_takes_both_files() {
        let http =
            load("[http]\ntls_cert = \"/etc/portcullis/cert.pem\"\ntls_key = \"/etc/portcullis/key.pem\"\n", vec![]);
        let tls = http.unwrap().tls.expect("TLS is on");
        assert_eq!(
            (tls.cert.to_str(), tls.key.to_str()),
            (Some("/etc/portcullis/cert.pem"), Some("/etc/portcullis/key.pem"))
        );
        assert_eq!(load("", vec![]).unwrap().tls, None);
    }

    #[test]
    fn oauth_resource_defaults_to_the_audience() {
        let text = "[http.oauth]\nissuer = \"https://auth.example\"\naudience = \"https://mcp.example/mcp\"\njwks_url = \"https://auth.example/jwks\"\n";
        let oauth = load(text, vec![]).unwrap().oauth.unwrap();
        assert_eq!(oauth.resource, "https://mcp.example/mcp");
    }
}
