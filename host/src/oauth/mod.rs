//! The built-in OAuth 2.1 authorization server (`[oauth_server]`), so that
//! ChatGPT, Claude and other MCP clients can connect without a third-party
//! identity provider.
//!
//! - [`metadata`]: the RFC 8414 document and the JWK Set;
//! - [`clients`]: pre-registered clients, dynamic registration (RFC 7591),
//!   client ID metadata documents ([`cimd`]), and redirect URI rules;
//! - [`authorize`]: the authorization endpoint, its login and consent pages;
//! - [`token`]: the token endpoint (code and refresh grants) and revocation;
//! - [`keys`]: the signing keys, kept in the state database;
//! - [`users`]: local accounts with argon2 password hashes;
//! - [`manage`]: what the admin API and the dashboard list and revoke;
//! - [`records`]: how all of it is stored in the state database.
//!
//! Access tokens are ES256 JWTs for one resource (the host's `/mcp`); the
//! host's own resource server checks them with [`AuthorizationServer::verify`],
//! which also refuses tokens of revoked grants. Every step of a flow is
//! logged with the flow's correlation id, without secrets.

pub mod authorize;
pub mod cimd;
pub mod clients;
pub mod keys;
pub mod manage;
pub mod metadata;
pub mod records;
pub mod token;
pub mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::OAuthServerConfig;
use crate::state::{StateDb, StateError};

pub use keys::AccessClaims;

/// How often expired records (codes, registrations, grants) are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// The authorization server of one host.
pub struct AuthorizationServer {
    config: OAuthServerConfig,
    state: Arc<StateDb>,
    keys: keys::SigningKeys,
    clients: clients::Clients,
    /// Revoked grants, by id, until their last access token has expired (ms):
    /// checked on every request, so a revocation holds at once.
    revoked: Mutex<HashMap<String, i64>>,
    /// Serialises the redemption of codes and refresh tokens, so one can
    /// never be spent twice by two requests racing.
    redeem: tokio::sync::Mutex<()>,
}

/// An OAuth error answer (RFC 6749, section 5.2): a status, an error code
/// and a description for the client's developer.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self { status, code, description: description.into() }
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401 `invalid_client`: unknown, expired, or failed authentication.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// 400 `invalid_grant`: the code or refresh token does not hold.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 400 with another code (`invalid_scope`, `invalid_target`, …).
    pub fn bad(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// The error code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }
}

impl From<StateError> for OAuthError {
    fn from(error: StateError) -> Self {
        tracing::error!("authorization server: {error}");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "the state database cannot be used")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = axum::Json(json!({"error": self.code, "error_description": self.description}));
        (self.status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
    }
}

impl AuthorizationServer {
    /// The authorization server over `state`: loads (or on the first start
    /// creates) its signing key, and the user `admin` when ADMIN_PASSWORD is set.
    pub async fn start(config: OAuthServerConfig, state: Arc<StateDb>) -> anyhow::Result<Arc<Self>> {
        let keys = keys::SigningKeys::load(&state).await?;
        if let Some(password) = config.admin_password.clone() {
            let created = state.run(move |s| Ok(users::set(s, users::ADMIN, &password))).await??;
            tracing::info!(created, "ADMIN_PASSWORD: the user `admin` is ready to sign in");
        }
        let clients = clients::Clients::new(&config)?;
        let revoked = state
            .run(|s| s.records(records::REVOKED, now_ms()))
            .await?
            .into_iter()
            .filter_map(|r| Some((r.id, r.expires_at_ms?)))
            .collect();
        Ok(Arc::new(Self {
            config,
            state,
            keys,
            clients,
            revoked: Mutex::new(revoked),
            redeem: tokio::sync::Mutex::default(),
        }))
    }

    /// The settings it runs with.
    pub fn config(&self) -> &OAuthServerConfig {
        &self.config
    }

    /// Its routes: the metadata, the JWK Set, registration, the
    /// authorization, token and revocation endpoints.
    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/.well-known/oauth-authorization-server", get(metadata::document))
            .route("/.well-known/oauth-authorization-server/{*issuer_path}", get(metadata::document))
            .route("/.well-known/openid-configuration", get(metadata::document))
            .route("/.well-known/jwks.json", get(metadata::jwks))
            .route("/register", post(clients::register))
            .route("/auth/authorize", get(authorize::start).post(authorize::submit))
            .route("/auth/token", post(token::token))
            .route("/auth/revoke", post(token::revoke))
            .with_state(self.clone())
    }

    /// Sweeps expired records every few minutes until `stop` fires.
    pub fn start_sweeper(self: &Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        let server = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(SWEEP_EVERY) => {}
                }
                let now = now_ms();
                if let Ok(swept) = server.state.write("expired OAuth records", move |s| s.prune_records(now)).await {
                    tracing::debug!(swept, "swept expired OAuth records");
                }
                server.revoked.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, until| *until > now);
            }
        });
    }

    /// Checks an access token for this server's resource: its signature by
    /// one of the current keys, issuer, audience, expiry, and that its grant
    /// is not revoked. The error says why, for the `WWW-Authenticate` header.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, String> {
        let claims = self.keys.verify(&self.state, token, &self.config.issuer, Some(&self.config.resource)).await?;
        if self.is_revoked(&claims.gid) {
            return Err("the token has been revoked".into());
        }
        Ok(claims)
    }

    fn is_revoked(&self, grant: &str) -> bool {
        self.revoked.lock().unwrap_or_else(|p| p.into_inner()).contains_key(grant)
    }

    /// Revokes grant `id`: its refresh token stops working and its access
    /// tokens are refused from the next request on. `why` goes to the log.
    pub async fn revoke_grant(&self, id: &str, why: &str) -> Result<(), StateError> {
        let until = now_ms() + self.config.access_token_ttl.as_millis() as i64;
        self.revoked.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), until);
        let grant = id.to_string();
        self.state
            .write("a revoked grant", move |s| {
                s.delete_record(records::GRANT, &grant)?;
                s.put_record(&crate::state::StoredRecord {
                    kind: records::REVOKED.into(),
                    id: grant,
                    body: json!({}),
                    expires_at_ms: Some(until),
                })
            })
            .await?;
        tracing::info!(grant = id, reason = why, "oauth: grant revoked");
        Ok(())
    }

    /// The state database it keeps its records in.
    pub fn state(&self) -> &Arc<StateDb> {
        &self.state
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A fresh secret: 32 random bytes, base64url.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A short random id for the log, to follow one flow through its steps.
fn correlation_id() -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of a secret, in hex: secrets are stored only as this.
fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
