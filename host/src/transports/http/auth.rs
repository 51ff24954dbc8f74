//! Authentication: API keys as Bearer tokens, and OAuth 2.1 resource-server
//! mode (JWT access tokens checked against the issuer's published keys, and
//! the RFC 9728 protected-resource metadata that tells clients where to get
//! them). With neither configured, requests pass unauthenticated.
//!
//! A refused request gets 401 with a `WWW-Authenticate: Bearer` challenge
//! that, in OAuth mode, points at the resource metadata. A credential limited
//! to some scopes carries them on in the request ([`Granted`]), for the scope
//! check of each call (`scopes`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::reject;
use super::scopes::Granted;
use crate::auth::{KeyRing, bearer};
use crate::caller::Principal;
use crate::config::{HttpConfig, OAuthConfig};
use crate::oauth::AuthorizationServer;

/// Checks credentials: the configured API keys, then (in OAuth mode) JWTs.
pub struct Authenticator {
    keys: KeyRing,
    /// The scopes of the keys limited to some, by key name.
    key_scopes: BTreeMap<String, Granted>,
    oauth: Option<OAuth>,
}

/// OAuth resource-server mode: the issuer's settings and its cached keys,
/// or the host's own authorization server, which checks its tokens itself.
struct OAuth {
    config: OAuthConfig,
    /// The built-in authorization server, when it is the issuer.
    local: Option<Arc<AuthorizationServer>>,
    /// Where the resource metadata is published (RFC 9728, section 3.1).
    metadata_url: String,
    http: reqwest::Client,
    keys: Mutex<KeyCache>,
}

#[derive(Default)]
struct KeyCache {
    keys: Vec<Jwk>,
    fetched: Option<Instant>,
}

/// Why a request was not let through.
enum Refusal {
    /// No or bad credentials (401).
    Unauthorized { why: String, invalid_token: bool },
    /// The issuer's keys cannot be fetched, so no token can be checked (503).
    KeysUnavailable(String),
}

/// How long fetched keys are used before they are fetched again.
const KEYS_TTL: Duration = Duration::from_secs(600);
/// A token naming an unknown key makes the keys be fetched again, but not
/// more often than this (forged key ids must not flood the issuer).
const REFETCH_AFTER: Duration = Duration::from_secs(30);

/// Middleware: lets authenticated requests through with their [`Principal`]
/// (and [`Granted`], for a credential limited to scopes) in the extensions;
/// refuses the others.
pub async fn require(State(auth): State<Arc<Authenticator>>, mut request: Request, next: Next) -> Response {
    match auth.authenticate(request.headers()).await {
        Ok(Some((principal, granted))) => {
            request.extensions_mut().insert(principal);
            if let Some(granted) = granted {
                request.extensions_mut().insert(granted);
            }
            next.run(request).await
        }
        Ok(None) => next.run(request).await,
        Err(Refusal::Unauthorized { why, invalid_token }) => {
            tracing::info!("refused an HTTP request: {why}");
            let mut response = reject(StatusCode::UNAUTHORIZED, "unauthorized", why.clone());
            response.headers_mut().insert(header::WWW_AUTHENTICATE, auth.challenge(invalid_token.then_some(&why)));
            response
        }
        Err(Refusal::KeysUnavailable(why)) => {
            tracing::warn!("cannot check an access token: {why}");
            reject(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", why)
        }
    }
}

/// Middleware for routes open without credentials that still want to know
/// who calls: a request without an `Authorization` header passes with no
/// [`Principal`]; one with it is checked as by [`require`].
pub async fn identify(auth: State<Arc<Authenticator>>, request: Request, next: Next) -> Response {
    if request.headers().contains_key(header::AUTHORIZATION) {
        require(auth, request, next).await
    } else {
        next.run(request).await
    }
}

/// The RFC 9728 metadata routes (in OAuth mode; 404 otherwise): the document
/// is served at the root well-known path and at the path-inserted form that
/// `WWW-Authenticate` names.
pub fn metadata_routes(auth: Arc<Authenticator>) -> Router {
    Router::new()
        .route("/.well-known/oauth-protected-resource", get(resource_metadata))
        .route("/.well-known/oauth-protected-resource/{*resource}", get(resource_metadata))
        .with_state(auth)
}

async fn resource_metadata(State(auth): State<Arc<Authenticator>>) -> Response {
    match &auth.oauth {
        Some(oauth) => axum::Json(json!({
            "resource": oauth.config.resource,
            "authorization_servers": [oauth.config.issuer],
            "bearer_methods_supported": ["header"],
            "resource_name": "Portcullis MCP host",
        }))
        .into_response(),
        None => reject(StatusCode::NOT_FOUND, "not_found", "this server is not configured for OAuth (`[http.oauth]`)"),
    }
}

impl Authenticator {
    /// An authenticator for the configured API keys and OAuth issuer.
    pub fn new(config: &HttpConfig) -> Result<Self> {
        let keys = KeyRing::new(&config.api_keys);
        if let Some(name) = config.api_key_scopes.keys().find(|name| !config.api_keys.contains_key(*name)) {
            bail!("`http.api_key_scopes.{name}` names no key of `[http.api_keys]` (nor API_KEY)");
        }
        let key_scopes = config
            .api_key_scopes
            .iter()
            .map(|(name, scopes)| (name.clone(), Granted(scopes.iter().cloned().collect())))
            .collect();
        let oauth = config.oauth.clone().map(OAuth::new).transpose()?;
        Ok(Self { keys, key_scopes, oauth })
    }

    /// Tokens are checked by `server`, the host's own authorization server
    /// (the configuration made it the OAuth issuer), revocations included.
    pub fn with_authorization_server(mut self, server: Arc<AuthorizationServer>) -> Self {
        if let Some(oauth) = &mut self.oauth {
            oauth.local = Some(server);
        }
        self
    }

    /// In OAuth mode, fetches the issuer's keys in the background, so that a
    /// wrong `jwks_url` shows in the log at start-up.
    pub fn prefetch_keys(self: &Arc<Self>) {
        if self.oauth.as_ref().is_none_or(|oauth| oauth.local.is_some()) {
            return;
        }
        let auth = self.clone();
        tokio::spawn(async move {
            if let Some(oauth) = &auth.oauth {
                oauth.refresh_keys().await;
            }
        });
    }

    /// The principal behind the request's credentials, with the scopes it is
    /// limited to if it is; `None` when no authentication is configured.
    async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<(Principal, Option<Granted>)>, Refusal> {
        if self.keys.is_empty() && self.oauth.is_none() {
            return Ok(None);
        }
        let token = bearer(headers).ok_or_else(|| Refusal::Unauthorized {
            why: "this server needs an `Authorization: Bearer <token>` header".into(),
            invalid_token: false,
        })?;
        if let Some(name) = self.keys.name_of(token) {
            return Ok(Some((Principal::api_key(name), self.key_scopes.get(name).cloned())));
        }
        match &self.oauth {
            Some(oauth) => oauth.verify(token).await.map(Some),
            None => Err(Refusal::Unauthorized { why: "the API key is not valid".into(), invalid_token: true }),
        }
    }

    /// The start of every `WWW-Authenticate` value: the scheme, the realm
    /// and, in OAuth mode, the resource metadata.
    fn bearer_challenge(&self) -> String {
        let mut value = String::from("Bearer realm=\"portcullis\"");
        if let Some(oauth) = &self.oauth {
            value.push_str(&format!(", resource_metadata=\"{}\"", oauth.metadata_url));
        }
        value
    }

    /// The `WWW-Authenticate` value of a call refused for lacking `scope`
    /// (a scope name from the configuration: visible ASCII, no quotes).
    pub fn insufficient_scope(&self, scope: &str) -> HeaderValue {
        let value = format!("{}, error=\"insufficient_scope\", scope=\"{scope}\"", self.bearer_challenge());
        HeaderValue::from_str(&value).expect("built from visible ASCII")
    }

    /// The `WWW-Authenticate` value, with an `invalid_token` error when the
    /// client sent a token that did not pass.
    fn challenge(&self, invalid_token: Option<&str>) -> HeaderValue {
        let mut value = self.bearer_challenge();
        if let Some(why) = invalid_token {
            let why: String =
                why.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').filter(|c| *c != '"' && *c != '\\').collect();
            value.push_str(&format!(", error=\"invalid_token\", error_description=\"{why}\""));
        }
        HeaderValue::from_str(&value).expect("built from visible ASCII")
    }
}

/// The claims Portcullis reads; `iss`, `aud`, `exp` and `nbf` are checked by
/// `jsonwebtoken` itself.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    client_id: Option<String>,
    /// Space-separated scopes (RFC 9068).
    scope: Option<String>,
    /// Scopes as some issuers write them: a list, or space-separated.
    scp: Option<Value>,
}

impl Claims {
    /// The scopes the token grants, from `scope` or else `scp`.
    fn granted(&self) -> Granted {
        match (&self.scope, &self.scp) {
            (Some(scope), _) => Granted::parse(scope),
            (None, Some(Value::String(scp))) => Granted::parse(scp),
            (None, Some(Value::Array(scp))) => {
                Granted(scp.iter().filter_map(Value::as_str).map(str::to_string).collect())
            }
            _ => Granted(Default::default()),
        }
    }
}

impl OAuth {
    fn new(config: OAuthConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("cannot create the HTTP client that fetches the issuer's keys")?;
        let metadata_url = metadata_url(&config.resource)?;
        Ok(Self { config, local: None, metadata_url, http, keys: Mutex::default() })
    }

    /// Checks a JWT's signature (with the issuer's key named by its `kid`),
    /// issuer, audience and expiry; with `require_scopes`, its scopes come too.
    async fn verify(&self, token: &str) -> Result<(Principal, Option<Granted>), Refusal> {
        let invalid = |why: String| Refusal::Unauthorized { why, invalid_token: true };
        if let Some(server) = &self.local {
            let claims = server.verify(token).await.map_err(invalid)?;
            return Ok((Principal::token(&self.config.issuer, &claims.sub), Some(Granted::parse(&claims.scope))));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| invalid(format!("the token is neither a valid API key nor a JWT ({e})")))?;
        if AlgorithmFamily::Hmac == header.alg.family() {
            return Err(invalid(format!(
                "tokens signed with {:?} are not accepted; the issuer must sign with a published key",
                header.alg
            )));
        }
        let jwk = self.key(header.kid.as_deref()).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("the issuer's key cannot be used: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            invalid(match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired".to_string(),
                ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_string(),
                ErrorKind::InvalidIssuer => format!("the token was not issued by {}", self.config.issuer),
                ErrorKind::InvalidAudience => format!("the token is not meant for {}", self.config.audience),
                ErrorKind::InvalidSignature => "the token's signature does not verify".to_string(),
                ErrorKind::InvalidAlgorithm => "the token's algorithm does not match the issuer's key".to_string(),
                _ => format!("the token is not valid: {e}"),
            })
        })?;
        let granted = self.config.require_scopes.then(|| claims.claims.granted());
        let who = claims.claims.sub.or(claims.claims.client_id).unwrap_or_else(|| "anonymous".into());
        Ok((Principal::token(&self.config.issuer, &who), granted))
    }

    /// The issuer's key named `kid` (or its only key when the token names
    /// none), fetching the key set when the cache is stale or lacks the key.
    async fn key(&self, kid: Option<&str>) -> Result<Jwk, Refusal> {
        let mut cache = self.keys.lock().await;
        let stale = cache.fetched.is_none_or(|at| at.elapsed() > KEYS_TTL);
        let missing = pick(&cache.keys, kid).is_none();
        if stale || (missing && cache.fetched.is_none_or(|at| at.elapsed() > REFETCH_AFTER)) {
            match self.fetch_keys().await {
                Ok(keys) => *cache = KeyCache { keys, fetched: Some(Instant::now()) },
                Err(e) if cache.keys.is_empty() => return Err(Refusal::KeysUnavailable(format!("{e:#}"))),
                Err(e) => tracing::warn!("could not refresh the issuer's keys, using the cached ones: {e:#}"),
            }
        }
        pick(&cache.keys, kid).cloned().ok_or_else(|| Refusal::Unauthorized {
            why: match kid {
                Some(kid) => format!("the token is signed with key `{kid}`, which the issuer does not publish"),
                None => "the token names no key (`kid`) and the issuer publishes several".into(),
            },
            invalid_token: true,
        })
    }

    /// Fetches the keys into the cache, or says in the log why it could not.
    async fn refresh_keys(&self) {
        let mut cache = self.keys.lock().await;
        match self.fetch_keys().await {
            Ok(keys) => *cache = KeyCache { keys, fetched: Some(Instant::now()) },
            Err(e) => tracing::warn!("{e:#}; access tokens are refused until the keys can be fetched"),
        }
    }

    /// The issuer's signing keys; keys this host cannot parse are skipped.
    async fn fetch_keys(&self) -> Result<Vec<Jwk>> {
        let url = &self.config.jwks_url;
        let set: Value = async { self.http.get(url).send().await?.error_for_status()?.json().await }
            .await
            .with_context(|| format!("cannot fetch the issuer's keys from {url} (`http.oauth.jwks_url`)"))?;
        let keys = set.get("keys").and_then(Value::as_array).with_context(|| format!("{url} is not a JWK Set"))?;
        let keys: Vec<Jwk> = keys.iter().filter_map(|k| serde_json::from_value(k.clone()).ok()).collect();
        tracing::debug!(url, keys = keys.len(), "fetched the issuer's keys");
        Ok(keys)
    }
}

fn pick<'a>(keys: &'a [Jwk], kid: Option<&str>) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
}

/// The RFC 9728 metadata URL of `resource`: the well-known path inserted
/// between its authority and its path.
fn metadata_url(resource: &str) -> Result<String> {
    let uri: axum::http::Uri =
        resource.parse().with_context(|| format!("`http.oauth.resource` is not a URL: `{resource}`"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        bail!("`http.oauth.resource` must be an absolute URL such as `https://mcp.example.com/mcp`, not `{resource}`");
    };
    let path = uri.path().trim_end_matches('/');
    Ok(format!("{scheme}://{authority}/.well-known/oauth-protected-resource{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authenticator(keys: &[(&str, &str)]) -> Authenticator {
        let api_keys = keys.iter().map(|(n, k)| (n.to_string(), k.to_string())).collect();
        Authenticator::new(&HttpConfig { api_keys, ..HttpConfig::default() }).unwrap()
    }

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[tokio::test]
    async fn api_keys_name_their_principal() {
        let auth = authenticator(&[("ci", "0123456789abcdef"), ("ops", "fedcba9876543210")]);
        let principal = auth.authenticate(&with_auth("Bearer fedcba9876543210")).await.ok().flatten();
        assert_eq!(principal, Some((Principal::api_key("ops"), None)));
        assert!(auth.authenticate(&with_auth("bearer 0123456789abcdef")).await.is_ok());
        for refused in [with_auth("Bearer 0123456789abcdeF"), with_auth("Basic 0123456789abcdef"), HeaderMap::new()] {
            assert!(matches!(auth.authenticate(&refused).await, Err(Refusal::Unauthorized { .. })));
        }
    }

    #[tokio::test]
    async fn a_key_limited_to_scopes_carries_them_and_a_scope_for_no_key_is_refused() {
        let api_keys = [("ci".to_string(), "0123456789abcdef".to_string())].into();
        let api_key_scopes = [("ci".to_string(), vec!["mcp:read".to_string()])].into();
        let auth = Authenticator::new(&HttpConfig { api_keys, api_key_scopes, ..HttpConfig::default() }).unwrap();
        let (_, granted) = auth.authenticate(&with_auth("Bearer 0123456789abcdef")).await.ok().flatten().unwrap();
        assert_eq!(granted, Some(Granted(["mcp:read".to_string()].into())));
        let api_key_scopes = [("ghost".to_string(), vec!["mcp:read".to_string()])].into();
        let error = Authenticator::new(&HttpConfig { api_key_scopes, ..HttpConfig::default() }).err().unwrap();
        assert!(error.to_string().contains("http.api_key_scopes.ghost"), "{error}");
        let challenge = auth.insufficient_scope("mcp:write");
        assert_eq!(challenge, "Bearer realm=\"portcullis\", error=\"insufficient_scope\", scope=\"mcp:write\"");
    }

    #[tokio::test]
    async fn without_keys_or_oauth_everyone_passes() {
        assert_eq!(authenticator(&[]).authenticate(&HeaderMap::new()).await.ok(), Some(None));
    }

    #[test]
    fn the_metadata_url_inserts_the_well_known_path() {
        assert_eq!(
            metadata_url("https://mcp.example.com/mcp").unwrap(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            metadata_url("http://127.0.0.1:8808/").unwrap(),
            "http://127.0.0.1:8808/.well-known/oauth-protected-resource"
        );
        assert!(metadata_url("mcp").unwrap_err().to_string().contains("http.oauth.resource"));
    }
}
