//! `[oauth_server]`: the built-in OAuth 2.1 authorization server (see
//! `crate::oauth`), on when `issuer` (or OAUTH_ISSUER) names the host's
//! public base URL. Seed 004's variables add a pre-registered client:
//! OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET (or `_FILE`), OAUTH_REDIRECT_URI and
//! OAUTH_SCOPE; ADMIN_PASSWORD (or `_FILE`) creates the user `admin`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Environment};

/// The scopes the authorization server grants, as seed 004 names them.
pub const SCOPES: [&str; 2] = ["mcp:read", "mcp:write"];

/// What `[oauth_server]` resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthServerConfig {
    /// The issuer identifier: the host's public base URL (`https://…`, no
    /// trailing slash), which every endpoint hangs off.
    pub issuer: String,
    /// The protected resource tokens are issued for (default `<issuer>/mcp`).
    pub resource: String,
    /// How long an access token lives (default an hour).
    pub access_token_ttl: Duration,
    /// How long a grant (and its refresh token) lives (default 30 days).
    pub refresh_token_ttl: Duration,
    /// How long a rotated refresh token still works, for a client that lost
    /// the response that rotated it (default 2 s).
    pub refresh_grace: Duration,
    /// How long an authorization code may wait for its exchange (default 60 s).
    pub code_ttl: Duration,
    /// Whether clients may register themselves at `/register` (RFC 7591).
    pub dynamic_registration: bool,
    /// How long a dynamically registered client is kept without being used.
    pub registration_idle: Duration,
    /// Whether a client may be identified by the URL of its metadata document (CIMD).
    pub client_metadata_documents: bool,
    /// Whether metadata documents on loopback addresses are fetched (tests
    /// and development only; off by default).
    pub cimd_allow_loopback: bool,
    /// A PEM file of extra CA certificates trusted for metadata documents.
    pub cimd_ca_file: Option<PathBuf>,
    /// The pre-registered clients, by id.
    pub clients: BTreeMap<String, ClientConfig>,
    /// ADMIN_PASSWORD: the password of the user `admin`, created or updated at start.
    pub admin_password: Option<String>,
}

/// A pre-registered client (`[oauth_server.clients.<id>]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientConfig {
    /// Its secret; `None` makes it a public client (PKCE only).
    pub secret: Option<String>,
    /// The name the consent page shows.
    pub name: String,
    /// Where it may be sent back to; empty for the presets (Claude's and
    /// ChatGPT's callbacks, loopback on any port).
    pub redirect_uris: Vec<String>,
    /// The scopes it may ask for (default both).
    pub scopes: Vec<String>,
}

impl OAuthServerConfig {
    /// The defaults for `issuer` (checked: an absolute https URL).
    pub fn with_defaults(issuer: String) -> Result<Self, ConfigError> {
        let issuer = check_issuer(&issuer)?;
        Ok(Self {
            resource: format!("{issuer}/mcp"),
            issuer,
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_grace: Duration::from_secs(2),
            code_ttl: Duration::from_secs(60),
            dynamic_registration: true,
            registration_idle: Duration::from_secs(30 * 24 * 3600),
            client_metadata_documents: true,
            cimd_allow_loopback: false,
            cimd_ca_file: None,
            clients: BTreeMap::new(),
            admin_password: None,
        })
    }

    /// Applies OAUTH_ISSUER, seed 004's client variables and ADMIN_PASSWORD
    /// over `current` (the file's section, if any).
    pub(super) fn apply_env(current: &mut Option<OAuthServerConfig>, env: &dyn Environment) -> Result<(), ConfigError> {
        if let Some(issuer) = env.var("OAUTH_ISSUER") {
            match current {
                Some(server) => server.issuer = check_issuer(&issuer)?,
                None => *current = Some(OAuthServerConfig::with_defaults(issuer)?),
            }
        }
        let client_id = env.var("OAUTH_CLIENT_ID");
        let admin_password = env.secret("ADMIN_PASSWORD")?;
        let Some(server) = current else {
            return match (client_id, admin_password) {
                (None, None) => Ok(()),
                _ => Err(ConfigError(
                    "OAUTH_CLIENT_ID and ADMIN_PASSWORD need the authorization server: set OAUTH_ISSUER (or `[oauth_server] issuer`) to the host's public URL".into(),
                )),
            };
        };
        if let Some(id) = client_id {
            let client = ClientConfig {
                secret: env.secret("OAUTH_CLIENT_SECRET")?,
                name: "ChatGPT".into(),
                redirect_uris: env.var("OAUTH_REDIRECT_URI").into_iter().collect(),
                scopes: env
                    .var("OAUTH_SCOPE")
                    .map(|s| s.split_whitespace().map(String::from).collect())
                    .unwrap_or_default(),
            };
            server.clients.insert(id.clone(), check_client(&id, client, "OAUTH_SCOPE")?);
        }
        if admin_password.is_some() {
            server.admin_password = admin_password;
        }
        Ok(())
    }
}

/// The issuer without a trailing slash; it must be an absolute https URL
/// (http only on loopback), without query or fragment.
fn check_issuer(issuer: &str) -> Result<String, ConfigError> {
    let issuer = issuer.trim_end_matches('/');
    let uri: http::Uri = issuer
        .parse()
        .map_err(|_| ConfigError(format!("`oauth_server.issuer` / OAUTH_ISSUER is not a URL: `{issuer}`")))?;
    let loopback = matches!(uri.host(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => loopback,
        _ => false,
    };
    if !scheme_ok || uri.authority().is_none() || uri.query().is_some() || issuer.contains('#') {
        return Err(ConfigError(format!(
            "`oauth_server.issuer` / OAUTH_ISSUER must be the host's public https URL, such as `https://mcp.example.com` (http only on loopback), not `{issuer}`"
        )));
    }
    Ok(issuer.to_string())
}

/// A client's scopes must be ones this server grants (both when none are given).
fn check_client(id: &str, mut client: ClientConfig, key: &str) -> Result<ClientConfig, ConfigError> {
    if id.is_empty() || id.len() > 200 || !id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ConfigError(format!("the client id `{id}` must be 1 to 200 visible ASCII characters")));
    }
    if let Some(scope) = client.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(ConfigError(format!("`{key}` has `{scope}`; the scopes are {}", SCOPES.join(" "))));
    }
    if client.scopes.is_empty() {
        client.scopes = SCOPES.iter().map(|s| s.to_string()).collect();
    }
    for uri in &client.redirect_uris {
        crate::oauth::clients::check_redirect_uri(uri)
            .map_err(|why| ConfigError(format!("client `{id}`: redirect URI `{uri}` {why}")))?;
    }
    Ok(client)
}

/// `[oauth_server]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OAuthServerFile {
    issuer: Option<String>,
    resource: Option<String>,
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_secs: Option<u64>,
    refresh_grace_ms: Option<u64>,
    code_ttl_secs: Option<u64>,
    dynamic_registration: Option<bool>,
    registration_idle_secs: Option<u64>,
    client_metadata_documents: Option<bool>,
    cimd_allow_loopback: Option<bool>,
    cimd_ca_file: Option<PathBuf>,
    #[serde(default)]
    clients: BTreeMap<String, ClientFile>,
}

/// `[oauth_server.clients.<id>]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    secret: Option<String>,
    name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

impl OAuthServerFile {
    /// The section over `current`: `issuer` is required (here or in OAUTH_ISSUER).
    pub(super) fn apply(self, current: &mut Option<OAuthServerConfig>) -> Result<(), ConfigError> {
        let mut server = match (current.take(), self.issuer) {
            (_, Some(issuer)) => OAuthServerConfig::with_defaults(issuer)?,
            (Some(server), None) => server,
            (None, None) => {
                return Err(ConfigError(
                    "`[oauth_server]` needs `issuer`, the host's public URL such as `https://mcp.example.com`".into(),
                ));
            }
        };
        if let Some(resource) = self.resource {
            server.resource = resource;
        }
        let secs = |key: &str, value: Option<u64>| -> Result<Option<Duration>, ConfigError> {
            match value {
                Some(0) => Err(ConfigError(format!("`oauth_server.{key}` must be greater than zero"))),
                other => Ok(other.map(Duration::from_secs)),
            }
        };
        if let Some(ttl) = secs("access_token_ttl_secs", self.access_token_ttl_secs)? {
            server.access_token_ttl = ttl;
        }
        if let Some(ttl) = secs("refresh_token_ttl_secs", self.refresh_token_ttl_secs)? {
            server.refresh_token_ttl = ttl;
        }
        if let Some(ttl) = secs("code_ttl_secs", self.code_ttl_secs)? {
            server.code_ttl = ttl;
        }
        if let Some(idle) = secs("registration_idle_secs", self.registration_idle_secs)? {
            server.registration_idle = idle;
        }
        if let Some(ms) = self.refresh_grace_ms {
            server.refresh_grace = Duration::from_millis(ms);
        }
        server.dynamic_registration = self.dynamic_registration.unwrap_or(server.dynamic_registration);
        server.client_metadata_documents = self.client_metadata_documents.unwrap_or(server.client_metadata_documents);
        server.cimd_allow_loopback = self.cimd_allow_loopback.unwrap_or(server.cimd_allow_loopback);
        server.cimd_ca_file = self.cimd_ca_file.or(server.cimd_ca_file);
        for (id, client) in self.clients {
            let client = ClientConfig {
                secret: client.secret,
                name: client.name.unwrap_or_else(|| id.clone()),
                redirect_uris: client.redirect_uris,
                scopes: client.scopes,
            };
            let key = format!("oauth_server.clients.{id}.scopes");
            server.clients.insert(id.clone(), check_client(&id, client, &key)?);
        }
        *current = Some(server);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Env(Vec<(&'static str, &'static str)>);
    impl Environment for Env {
        fn var(&self, name: &str) -> Option<String> {
            self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        }
    }

    fn applied(toml: &str) -> Result<Option<OAuthServerConfig>, ConfigError> {
        let file: OAuthServerFile = toml::from_str(toml).map_err(|e| ConfigError(e.to_string()))?;
        let mut server = None;
        file.apply(&mut server)?;
        Ok(server)
    }

    #[test]
    fn the_issuer_is_required_https_and_loses_its_trailing_slash() {
        let server = applied("issuer = \"https://mcp.example.com/\"").unwrap().unwrap();
        assert_eq!(server.issuer, "https://mcp.example.com");
        assert_eq!(server.resource, "https://mcp.example.com/mcp");
        assert!(applied("dynamic_registration = false").unwrap_err().0.contains("needs `issuer`"));
        for bad in ["http://mcp.example.com", "mcp.example.com", "https://x/?a=b"] {
            let error = applied(&format!("issuer = \"{bad}\"")).unwrap_err().0;
            assert!(error.contains("public https URL"), "{bad}: {error}");
        }
        assert!(applied("issuer = \"http://127.0.0.1:8808\"").is_ok());
    }

    #[test]
    fn clients_get_both_scopes_by_default_and_unknown_scopes_are_refused() {
        let text = "issuer = \"https://h\"\n[clients.c1]\nsecret = \"s\"\n[clients.c2]\nscopes = [\"mcp:read\"]\n";
        let server = applied(text).unwrap().unwrap();
        assert_eq!(server.clients["c1"].scopes, SCOPES);
        assert_eq!(server.clients["c1"].name, "c1");
        assert_eq!(server.clients["c2"].scopes, ["mcp:read"]);
        let error = applied("issuer = \"https://h\"\n[clients.c]\nscopes = [\"admin\"]\n").unwrap_err().0;
        assert!(error.contains("oauth_server.clients.c.scopes") && error.contains("admin"), "{error}");
        let error = applied("issuer = \"https://h\"\n[clients.c]\nredirect_uris = [\"https://x/#f\"]\n").unwrap_err().0;
        assert!(error.contains("client `c`"), "{error}");
    }

    #[test]
    fn seed_004s_variables_add_a_client_and_need_an_issuer() {
        let mut server = None;
        let env = Env(vec![("OAUTH_CLIENT_ID", "abc"), ("OAUTH_CLIENT_SECRET", "xyz")]);
        let error = OAuthServerConfig::apply_env(&mut server, &env).unwrap_err().0;
        assert!(error.contains("OAUTH_ISSUER") && !error.contains("xyz"), "{error}");
        let env = Env(vec![
            ("OAUTH_ISSUER", "https://mcp.example.com"),
            ("OAUTH_CLIENT_ID", "abc"),
            ("OAUTH_CLIENT_SECRET", "xyz"),
            ("OAUTH_SCOPE", "mcp:read mcp:write"),
            ("ADMIN_PASSWORD", "hunter2"),
        ]);
        OAuthServerConfig::apply_env(&mut server, &env).unwrap();
        let server = server.unwrap();
        assert_eq!(server.clients["abc"].secret.as_deref(), Some("xyz"));
        assert!(server.clients["abc"].redirect_uris.is_empty());
        assert_eq!(server.admin_password.as_deref(), Some("hunter2"));
    }
}
