//! Who may ask for tokens: pre-registered clients (`[oauth_server.clients]`,
//! seed 004's OAUTH_CLIENT_ID), clients that registered themselves at
//! `/register` (RFC 7591, kept in the state database, dropped when unused),
//! and clients named by the URL of their metadata document (CIMD, [`cimd`]).
//! An unknown or expired client is 401 `invalid_client`, which makes Claude
//! register again.
//!
//! Redirect URIs must match as registered, except that a loopback one
//! matches on any port (RFC 8252, section 7.3). A pre-registered client
//! without redirect URIs gets the presets: Claude's and ChatGPT's callbacks
//! and loopback on any port.
//!
//! [`cimd`]: super::cimd

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::{AuthorizationServer, OAuthError, cimd, digest, now_ms, random_token, records};
use crate::config::{OAuthServerConfig, SCOPES};
use crate::state::StateDb;

/// Callbacks a pre-registered client without redirect URIs may use.
pub const PRESET_REDIRECTS: [&str; 3] = [
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "https://chatgpt.com/connector_platform_oauth_redirect",
];
/// ChatGPT's callback, followed by one path segment (the connector's id).
pub const CHATGPT_CONNECTOR_REDIRECT: &str = "https://chatgpt.com/connector/oauth/";
/// How long a registration that never obtained a token is kept.
const UNUSED_REGISTRATION: Duration = Duration::from_secs(24 * 3600);
/// The most redirect URIs one registration may have.
const MAX_REDIRECT_URIS: usize = 16;

/// Where a client's registration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The configuration.
    Configured,
    /// Dynamic registration.
    Registered,
    /// A client ID metadata document.
    Metadata,
}

/// A client, whatever its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// Its client id.
    pub id: String,
    /// The name the consent page shows.
    pub name: String,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Whether the presets are allowed too (pre-registered clients without URIs).
    #[serde(default)]
    pub presets: bool,
    /// The SHA-256 of its secret; `None` for a public client.
    pub secret_sha256: Option<String>,
    /// The scopes it may ask for.
    pub scopes: Vec<String>,
    /// Where it comes from.
    pub source: Source,
    /// Whether it has obtained a token (registered clients only).
    #[serde(default)]
    pub used: bool,
    /// When it was registered (ms since the epoch; 0 for configured ones).
    #[serde(default)]
    pub registered_ms: i64,
}

impl Client {
    /// Whether it may be sent back to `uri`.
    pub fn allows_redirect(&self, uri: &str) -> bool {
        if self.redirect_uris.iter().any(|registered| same_redirect(registered, uri)) {
            return true;
        }
        self.presets
            && (PRESET_REDIRECTS.contains(&uri)
                || is_chatgpt_connector(uri)
                || Url::parse(uri).is_ok_and(|url| url.scheme() == "http" && is_loopback(&url)))
    }

    /// Checks the secret it presented: a confidential client must present
    /// its own; a public one presents none.
    pub fn authenticate(&self, secret: Option<&str>) -> Result<(), OAuthError> {
        match (&self.secret_sha256, secret) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(OAuthError::invalid_client("this client is public: it has no secret to send")),
            (Some(_), None) => Err(OAuthError::invalid_client("this client must authenticate with its secret")),
            (Some(expected), Some(secret)) => match bool::from(expected.as_bytes().ct_eq(digest(secret).as_bytes())) {
                true => Ok(()),
                false => Err(OAuthError::invalid_client("the client secret is wrong")),
            },
        }
    }
}

/// Whether `uri` matches `registered`: equal, or both loopback and equal
/// but for the port.
fn same_redirect(registered: &str, uri: &str) -> bool {
    if registered == uri {
        return true;
    }
    match (Url::parse(registered), Url::parse(uri)) {
        (Ok(mut a), Ok(mut b)) if a.scheme() == "http" && is_loopback(&a) && is_loopback(&b) => {
            let _ = a.set_port(None);
            let _ = b.set_port(None);
            a == b
        }
        _ => false,
    }
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn is_chatgpt_connector(uri: &str) -> bool {
    uri.strip_prefix(CHATGPT_CONNECTOR_REDIRECT).is_some_and(|id| {
        !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// Checks a redirect URI before it is registered: absolute, no fragment;
/// https, or http on loopback, or a native app's private-use scheme.
pub fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    let url = Url::parse(uri).map_err(|_| "is not an absolute URL")?;
    if url.fragment().is_some() {
        return Err("must not have a fragment");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err("must be https (http only on loopback)"),
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" => Err("has a scheme that cannot be a callback"),
        _ => Ok(()),
    }
}

/// Every source of clients.
pub struct Clients {
    configured: BTreeMap<String, Client>,
    metadata: Option<cimd::Fetcher>,
    idle: Duration,
}

impl Clients {
    /// The configured clients, and the metadata fetcher when CIMD is on.
    pub fn new(config: &OAuthServerConfig) -> anyhow::Result<Self> {
        let configured = config
            .clients
            .iter()
            .map(|(id, client)| {
                let entry = Client {
                    id: id.clone(),
                    name: client.name.clone(),
                    redirect_uris: client.redirect_uris.clone(),
                    presets: client.redirect_uris.is_empty(),
                    secret_sha256: client.secret.as_deref().map(digest),
                    scopes: client.scopes.clone(),
                    source: Source::Configured,
                    used: true,
                    registered_ms: 0,
                };
                (id.clone(), entry)
            })
            .collect();
        let metadata = config.client_metadata_documents.then(|| cimd::Fetcher::new(config)).transpose()?;
        Ok(Self { configured, metadata, idle: config.registration_idle })
    }

    /// The pre-registered clients.
    pub fn configured(&self) -> impl Iterator<Item = &Client> {
        self.configured.values()
    }

    /// Whether client ids may be metadata document URLs.
    pub fn metadata_documents(&self) -> bool {
        self.metadata.is_some()
    }

    /// The client `id`, or 401 `invalid_client`.
    pub async fn find(&self, state: &StateDb, id: &str) -> Result<Client, OAuthError> {
        if let Some(client) = self.configured.get(id) {
            return Ok(client.clone());
        }
        if id.starts_with("https://") {
            let Some(fetcher) = &self.metadata else {
                return Err(OAuthError::invalid_client("client ID metadata documents are turned off on this server"));
            };
            return fetcher.client(id).await.map_err(|why| {
                OAuthError::invalid_client(format!("the client's metadata document cannot be used: {why}"))
            });
        }
        let lookup = id.to_string();
        let registered: Option<Client> = state.run(move |s| records::get(s, records::CLIENT, &lookup)).await?;
        registered.ok_or_else(|| {
            OAuthError::invalid_client(format!(
                "client `{}` is not registered here (or its registration expired); register again",
                id.chars().take(80).collect::<String>()
            ))
        })
    }

    /// Records that a registered client obtained a token: it is kept for
    /// `registration_idle` from now.
    pub async fn touch(&self, state: &StateDb, client: &Client) -> Result<(), OAuthError> {
        if client.source != Source::Registered {
            return Ok(());
        }
        let client = Client { used: true, ..client.clone() };
        let expires = now_ms() + self.idle.as_millis() as i64;
        state
            .write("a client's registration", move |s| {
                records::put(s, records::CLIENT, &client.id, &client, Some(expires))
            })
            .await?;
        Ok(())
    }
}

/// A registration request (RFC 7591, section 2), as far as it matters here.
#[derive(Deserialize)]
struct RegistrationRequest {
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
}

/// `POST /register`: registers a client and answers 201 with its id (and
/// secret, for a confidential one); 400 `invalid_client_metadata` or
/// `invalid_redirect_uri` says what is wrong.
pub async fn register(State(server): State<Arc<AuthorizationServer>>, body: Bytes) -> Response {
    if !server.config.dynamic_registration {
        return OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "dynamic client registration is turned off on this server; ask its operator for a client id",
        )
        .into_response();
    }
    match registration(&body) {
        Err(error) => {
            tracing::info!(step = "register", reason = error.description(), "oauth: registration refused");
            error.into_response()
        }
        Ok((client, secret, metadata)) => {
            let saved = client.clone();
            let expires = now_ms() + UNUSED_REGISTRATION.as_millis() as i64;
            let stored = server
                .state
                .write("a client registration", move |s| {
                    records::put(s, records::CLIENT, &saved.id, &saved, Some(expires))
                })
                .await;
            if let Err(e) = stored {
                return OAuthError::from(e).into_response();
            }
            tracing::info!(step = "register", client_id = client.id, name = client.name, "oauth: client registered");
            let mut answer = metadata;
            answer["client_id"] = json!(client.id);
            answer["client_id_issued_at"] = json!(client.registered_ms / 1000);
            if let Some(secret) = secret {
                answer["client_secret"] = json!(secret);
                answer["client_secret_expires_at"] = json!(0);
            }
            (StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response()
        }
    }
}

/// The client a registration request describes, its secret (if
/// confidential) and the metadata to answer with.
fn registration(body: &[u8]) -> Result<(Client, Option<String>, Value), OAuthError> {
    let bad = |why: String| OAuthError::bad("invalid_client_metadata", why);
    let request: RegistrationRequest =
        serde_json::from_slice(body).map_err(|e| bad(format!("the registration is not valid JSON: {e}")))?;
    let redirect_uris = request.redirect_uris.unwrap_or_default();
    if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::bad(
            "invalid_redirect_uri",
            format!("`redirect_uris` must list 1 to {MAX_REDIRECT_URIS} callback URLs"),
        ));
    }
    for uri in &redirect_uris {
        check_redirect_uri(uri)
            .map_err(|why| OAuthError::bad("invalid_redirect_uri", format!("redirect URI `{uri}` {why}")))?;
    }
    let method = request.token_endpoint_auth_method.unwrap_or_else(|| "client_secret_basic".into());
    if !super::metadata::AUTH_METHODS.contains(&method.as_str()) {
        return Err(bad(format!(
            "`token_endpoint_auth_method` `{method}` is not supported; use one of {}",
            super::metadata::AUTH_METHODS.join(", ")
        )));
    }
    let grant_types = request.grant_types.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(grant) = grant_types.iter().find(|g| !super::metadata::GRANT_TYPES.contains(&g.as_str())) {
        return Err(bad(format!("grant type `{grant}` is not supported")));
    }
    let response_types = request.response_types.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(bad("only the `code` response type is supported".into()));
    }
    let scopes: Vec<String> = match request.scope {
        Some(scope) => scope.split_whitespace().map(String::from).collect(),
        None => SCOPES.iter().map(|s| s.to_string()).collect(),
    };
    if let Some(scope) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(bad(format!("scope `{scope}` is not offered; the scopes are {}", SCOPES.join(" "))));
    }
    let name: String = request.client_name.unwrap_or_else(|| "an unnamed client".into()).chars().take(100).collect();
    let secret = (method != "none").then(random_token);
    let client = Client {
        id: format!("pc-{}", &random_token()[..24]),
        name: name.clone(),
        redirect_uris: redirect_uris.clone(),
        presets: false,
        secret_sha256: secret.as_deref().map(digest),
        scopes: scopes.clone(),
        source: Source::Registered,
        used: false,
        registered_ms: now_ms(),
    };
    let metadata = json!({
        "client_name": name,
        "redirect_uris": redirect_uris,
        "grant_types": grant_types,
        "response_types": response_types,
        "token_endpoint_auth_method": method,
        "scope": scopes.join(" "),
    });
    Ok((client, secret, metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(redirect_uris: &[&str], presets: bool) -> Client {
        Client {
            id: "c".into(),
            name: "c".into(),
            redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
            presets,
            secret_sha256: Some(digest("s3cret")),
            scopes: vec![],
            source: Source::Configured,
            used: true,
            registered_ms: 0,
        }
    }

    #[test]
    fn redirects_match_as_registered_and_loopback_on_any_port() {
        let c = client(&["https://app.example/cb", "http://127.0.0.1:3000/callback"], false);
        assert!(c.allows_redirect("https://app.example/cb"));
        assert!(c.allows_redirect("http://127.0.0.1:49152/callback"));
        for refused in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "http://127.0.0.1:3000/other",
            "https://claude.ai/api/mcp/auth_callback",
        ] {
            assert!(!c.allows_redirect(refused), "{refused}");
        }
    }

    #[test]
    fn presets_cover_claude_chatgpt_and_loopback() {
        let c = client(&[], true);
        for allowed in [
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.com/api/mcp/auth_callback",
            "https://chatgpt.com/connector_platform_oauth_redirect",
            "https://chatgpt.com/connector/oauth/abc-123_X",
            "http://localhost:33418/callback",
        ] {
            assert!(c.allows_redirect(allowed), "{allowed}");
        }
        for refused in [
            "https://chatgpt.com/connector/oauth/",
            "https://chatgpt.com/connector/oauth/a/b",
            "https://chatgpt.com.evil.example/connector/oauth/x",
            "https://evil.example/api/mcp/auth_callback",
            "http://claude.ai/api/mcp/auth_callback",
        ] {
            assert!(!c.allows_redirect(refused), "{refused}");
        }
    }

    #[test]
    fn secrets_are_checked_and_public_clients_send_none() {
        let confidential = client(&[], true);
        assert!(confidential.authenticate(Some("s3cret")).is_ok());
        assert_eq!(confidential.authenticate(Some("S3cret")).unwrap_err().code(), "invalid_client");
        assert_eq!(confidential.authenticate(None).unwrap_err().code(), "invalid_client");
        let public = Client { secret_sha256: None, ..client(&[], true) };
        assert!(public.authenticate(None).is_ok());
    }

    #[test]
    fn registrations_are_checked() {
        let (c, secret, answer) =
            registration(br#"{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"token_endpoint_auth_method":"none","client_name":"Claude"}"#).unwrap();
        assert!(secret.is_none() && c.secret_sha256.is_none() && c.id.starts_with("pc-"));
        assert_eq!(answer["scope"], "mcp:read mcp:write");
        let (c, secret, _) = registration(br#"{"redirect_uris":["http://localhost:1/cb"]}"#).unwrap();
        assert_eq!(c.secret_sha256, secret.as_deref().map(digest), "confidential by default, as RFC 7591 says");
        for (body, code) in [
            (&br#"{"redirect_uris":[]}"#[..], "invalid_redirect_uri"),
            (br#"{"redirect_uris":["http://evil.example/cb"]}"#, "invalid_redirect_uri"),
            (br#"{"redirect_uris":["javascript:alert(1)"]}"#, "invalid_redirect_uri"),
            (br#"{"redirect_uris":["https://a/cb"],"grant_types":["password"]}"#, "invalid_client_metadata"),
            (br#"{"redirect_uris":["https://a/cb"],"scope":"admin"}"#, "invalid_client_metadata"),
            (
                br#"{"redirect_uris":["https://a/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
                "invalid_client_metadata",
            ),
            (b"not json", "invalid_client_metadata"),
        ] {
            assert_eq!(registration(body).unwrap_err().code(), code, "{}", String::from_utf8_lossy(body));
        }
    }
}
