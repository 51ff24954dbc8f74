//! MCP over HTTP for remote agents, with axum.
//!
//! Routes:
//! - `/mcp`: Streamable HTTP through rmcp, in both eras (2025-11-25 sessions
//!   with `Mcp-Session-Id`, a GET stream and DELETE; stateless 2026-07-28
//!   requests).
//! - `/sse` and `/messages`: the legacy HTTP+SSE transport (`sse`).
//! - `/healthz`, `/readyz`, `/metrics`: operations (`ops`).
//! - `/.well-known/oauth-protected-resource`: OAuth resource metadata (`auth`).
//! - `/rest/tools/{name}` and `/rest/openapi.json`: tools over plain REST
//!   (`rest`).
//! - `/api/v1/…` and `/health`: the admin API ([`crate::admin`]), behind
//!   admin keys instead of MCP credentials.
//! - `/ui/…`: the web dashboard ([`crate::dashboard`]), behind a login with
//!   an admin key, and the admin API's guards.
//!
//! The MCP and REST routes pass, outermost first (`Guards::wrap`): Host and
//! Origin validation (`origin`), CORS, the failed-authentication budget,
//! authentication (`auth`), the per-client rate limit, the body cap and the
//! response deadline (`limits`), and in-flight tracking for graceful
//! shutdown (`shutdown`); `/mcp` then fills in a
//! missing `Mcp-Method` on notifications (`headers`). `/metrics` needs
//! authentication too; health, readiness and the resource metadata are open.
//! Beneath every route, `connections` caps open connections and header
//! read time and closes connections whose request body went unread
//! (`unread_body`), and `sessions` caps live Streamable HTTP sessions.

mod auth;
mod connections;
mod forwarded;
mod headers;
mod limits;
mod ops;
mod origin;
mod rest;
mod scopes;
mod sessions;
mod shutdown;
mod sse;
mod tls;
mod unread_body;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::admin::AdminState;
use crate::config::HttpConfig;
use crate::oauth::AuthorizationServer;
use crate::protocol::{McpSession, McpState};

/// Why the HTTP transport could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting under `[http]` cannot be used; the message names it.
    #[error("configuration error: {0:#}")]
    Config(anyhow::Error),
    /// Something else listens on the address.
    #[error(
        "cannot listen on {addr}: the port is already in use (is another portcullis running?); choose another with `--http ADDR`, HTTP_PORT or `http.bind`"
    )]
    InUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Any other failure (no such address, no permission for the port).
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// An HTTP listener bound to its address, with its guards, ready to serve.
pub struct HttpServer {
    listener: TcpListener,
    config: HttpConfig,
    guards: Guards,
    tls: Option<Arc<tls::Tls>>,
}

/// The guards of the MCP and REST routes, built from `[http]`. They share
/// one rate limiter and one failed-authentication budget, so a client's
/// requests count the same on every plane.
struct Guards {
    origins: Arc<origin::OriginPolicy>,
    auth: Arc<auth::Authenticator>,
    limiter: Arc<limits::RateLimiter>,
    auth_failures: Arc<limits::RateLimiter>,
    cors: CorsLayer,
    max_body_bytes: usize,
    request_timeout: Duration,
    tool_scopes: scopes::ToolScopes,
}

/// Whether a guarded route needs credentials (when authentication is
/// configured at all).
#[derive(Debug, Clone, Copy)]
enum Credentials {
    /// Refused (401) without valid credentials.
    Required,
    /// Open without credentials; credentials that are sent are checked (401
    /// when wrong) and name the principal.
    Optional,
    /// Not looked at: the routes check credentials of their own kind (the
    /// authorization server's client authentication).
    Own,
}

impl Guards {
    fn new(config: &HttpConfig) -> Result<Guards> {
        Ok(Guards {
            origins: Arc::new(origin::OriginPolicy::new(config)?),
            auth: Arc::new(auth::Authenticator::new(config)?),
            limiter: Arc::new(limits::RateLimiter::new(config.rate_limit)),
            auth_failures: Arc::new(limits::RateLimiter::new(Some(limits::AUTH_FAILURES))),
            cors: cors(config)?,
            max_body_bytes: config.max_body_bytes,
            request_timeout: config.request_timeout,
            tool_scopes: scopes::ToolScopes::new(config),
        })
    }

    /// The scope check of tool calls over `state`'s tools.
    fn scope_guard(&self, state: &Arc<McpState>) -> Arc<scopes::ScopeGuard> {
        Arc::new(scopes::ScopeGuard {
            scopes: self.tool_scopes.clone(),
            state: state.clone(),
            auth: self.auth.clone(),
            max_body_bytes: self.max_body_bytes,
        })
    }

    /// `routes` behind the guards, outermost first: Host and Origin, CORS,
    /// the failed-authentication budget, authentication as `credentials`
    /// says, the rate limit, the body cap, the deadline, and in-flight
    /// tracking for the drain.
    fn wrap(&self, routes: Router, state: &Arc<McpState>, credentials: Credentials) -> Router {
        // Each layer wraps the ones before it: the last is the outermost.
        let routes = routes
            .layer(from_fn_with_state(state.clone(), shutdown::track_responses))
            .layer(from_fn_with_state(self.request_timeout, limits::deadline))
            .layer(DefaultBodyLimit::max(self.max_body_bytes))
            .layer(from_fn_with_state(self.max_body_bytes, limits::cap_body))
            .layer(from_fn_with_state(self.limiter.clone(), limits::rate_limit));
        let routes = match credentials {
            Credentials::Required => routes.layer(from_fn_with_state(self.auth.clone(), auth::require)),
            Credentials::Optional => routes.layer(from_fn_with_state(self.auth.clone(), auth::identify)),
            Credentials::Own => routes,
        };
        routes
            .layer(from_fn_with_state(self.auth_failures.clone(), limits::limit_auth_failures))
            .layer(self.cors.clone())
            .layer(from_fn_with_state(self.origins.clone(), origin::check))
    }
}

impl HttpServer {
    /// Checks the `[http]` settings and binds `config.bind`. This happens
    /// before plugins load, so a bad setting or a port in use is a quick and
    /// clear start-up failure.
    pub async fn bind(config: HttpConfig) -> Result<HttpServer, StartError> {
        let guards = Guards::new(&config).map_err(StartError::Config)?;
        let tls = load_tls(&config).map_err(StartError::Config)?.map(Arc::new);
        let addr = config.bind;
        let listener = TcpListener::bind(addr).await.map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => StartError::InUse { addr },
            _ => StartError::Listen { addr, source },
        })?;
        warn_if_exposed(&config);
        Ok(HttpServer { listener, config, guards, tls })
    }

    /// Checks the `[http]` settings as [`HttpServer::bind`] does, without
    /// binding (for `portcullis config check` and `portcullis health`).
    pub fn check(config: &HttpConfig) -> Result<()> {
        Guards::new(config)?;
        load_tls(config).map(drop)
    }

    /// `https` when the listener serves TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The address actually bound (the port is chosen by the OS for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop_accepting` fires and every connection has closed.
    /// After `stop_accepting`, no new connection is accepted, but requests
    /// in flight finish; `close_streams` then ends the long-lived streams
    /// (the GET streams, legacy SSE sessions, subscriptions) and the sessions.
    ///
    /// With `issuer` (the built-in authorization server), its routes are
    /// served too and `/mcp` accepts the tokens it issues.
    pub async fn serve(
        mut self,
        state: Arc<McpState>,
        admin: Arc<AdminState>,
        issuer: Option<Arc<AuthorizationServer>>,
        stop_accepting: CancellationToken,
        close_streams: CancellationToken,
    ) -> Result<()> {
        if let Some(server) = &issuer {
            let auth = auth::Authenticator::new(&self.config)?.with_authorization_server(server.clone());
            self.guards.auth = Arc::new(auth);
        }
        self.guards.auth.prefetch_keys();
        let (max_connections, header_timeout) = (self.config.max_connections, self.config.header_timeout);
        let admin = admin_routes(admin, &self.config, &self.guards, close_streams.clone());
        let forwarding = Arc::new(forwarded::Forwarding::new(self.config.trusted_proxies.clone(), self.tls.is_some()));
        let app = router(state, &self.config, self.guards, issuer, close_streams)
            .merge(admin)
            .layer(from_fn_with_state(forwarding, forwarded::resolve));
        connections::serve(self.listener, app, self.tls, max_connections, header_timeout, stop_accepting).await;
        Ok(())
    }
}

/// The listener's TLS, if `[http]` turns it on; an error names the file at fault.
fn load_tls(config: &HttpConfig) -> Result<Option<tls::Tls>> {
    config.tls.as_ref().map(tls::Tls::load).transpose().map_err(anyhow::Error::msg)
}

/// Warns about a listener other machines can reach that lacks authentication
/// or that only loopback names may reach.
fn warn_if_exposed(config: &HttpConfig) {
    if config.bind.ip().is_loopback() {
        return;
    }
    if config.api_keys.is_empty() && config.oauth.is_none() {
        tracing::warn!(
            "HTTP on {} has no authentication: anyone who reaches it can call every tool; set API_KEY, `http.api_keys` or `[http.oauth]`",
            config.bind
        );
    }
    if config.allowed_hosts == HttpConfig::default().allowed_hosts {
        tracing::warn!(
            "HTTP on {} accepts only loopback Host names; add the names clients use to `http.allowed_hosts`",
            config.bind
        );
    }
}

/// The headers MCP clients send and read, for CORS.
const MCP_HEADERS: [&str; 6] =
    ["mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id", "authorization"];

fn router(
    state: Arc<McpState>,
    config: &HttpConfig,
    guards: Guards,
    issuer: Option<Arc<AuthorizationServer>>,
    close_streams: CancellationToken,
) -> Router {
    let session_state = state.clone();
    let streamable = StreamableHttpService::new(
        move || Ok(McpSession::new(session_state.clone())),
        sessions::CappedSessions::start(config),
        // Hosts and origins are checked by `origin` for every route.
        StreamableHttpServerConfig::default()
            .disable_allowed_hosts()
            // Stateless answers with nothing before them are plain JSON; the
            // others (progress, logs) stream as SSE.
            .with_json_response(true)
            .with_max_request_body_bytes(config.max_body_bytes)
            .with_cancellation_token(close_streams.clone()),
    );
    let mcp = Router::new()
        .route_service("/mcp", streamable)
        .layer(from_fn_with_state(config.max_body_bytes, headers::name_notifications))
        .merge(sse::routes(state.clone(), close_streams))
        .layer(from_fn_with_state(guards.scope_guard(&state), scopes::check_calls));
    let mcp = guards.wrap(mcp, &state, Credentials::Required);
    let rest = rest::routes(state.clone(), config, &guards);
    let metrics = Router::new()
        .route("/metrics", get(ops::metrics))
        .layer(from_fn_with_state(guards.auth.clone(), auth::require))
        .layer(from_fn_with_state(guards.auth_failures.clone(), limits::limit_auth_failures))
        .layer(from_fn_with_state(guards.origins.clone(), origin::check))
        .with_state(state.clone());
    let authorization = match issuer {
        Some(server) => guards.wrap(server.routes(), &state, Credentials::Own),
        None => Router::new(),
    };
    let open = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .with_state(state)
        .merge(auth::metadata_routes(guards.auth));
    mcp.merge(rest).merge(metrics).merge(open).merge(authorization)
}

/// The admin API (`/api/v1`, with its own admin-key guard), `/health` and
/// the dashboard (`/ui`, with its login), behind Host and Origin
/// validation, the failed-authentication limit (which counts wrong admin
/// keys and failed logins), a rate limit like `/mcp`'s (per address: it runs
/// before the admin is known) and the body cap. `close_streams` ends the
/// dashboard's live streams.
fn admin_routes(
    admin: Arc<AdminState>,
    config: &HttpConfig,
    guards: &Guards,
    close_streams: CancellationToken,
) -> Router {
    let auth = Arc::new(admin.auth(config.bind.ip().is_loopback()));
    let dashboard = crate::dashboard::router(admin.clone(), auth.clone(), close_streams, config.tls.is_some());
    crate::admin::router(admin, auth)
        .merge(dashboard)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(from_fn_with_state(config.max_body_bytes, limits::cap_body))
        .layer(from_fn_with_state(Arc::new(limits::RateLimiter::new(config.rate_limit)), limits::rate_limit))
        .layer(from_fn_with_state(guards.auth_failures.clone(), limits::limit_auth_failures))
        .layer(from_fn_with_state(guards.origins.clone(), origin::check))
}

/// CORS for the configured browser origins (none by default; `*` for any).
fn cors(config: &HttpConfig) -> Result<CorsLayer> {
    let origins = if config.cors_origins.iter().any(|o| o.trim() == "*") {
        AllowOrigin::any()
    } else {
        let list = config
            .cors_origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o).with_context(|| format!("`http.cors_origins` has an invalid origin `{o}`"))
            })
            .collect::<Result<Vec<_>>>()?;
        AllowOrigin::list(list)
    };
    let headers: Vec<HeaderName> =
        MCP_HEADERS.iter().map(|h| HeaderName::from_static(h)).chain([header::CONTENT_TYPE, header::ACCEPT]).collect();
    Ok(CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(headers)
        .expose_headers([HeaderName::from_static("mcp-session-id"), header::WWW_AUTHENTICATE]))
}

/// A refusal with a JSON body: `{"error": code, "error_description": why}`.
fn reject(status: StatusCode, code: &str, why: impl Into<String>) -> Response {
    let body = json!({"error": code, "error_description": why.into()});
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_takes_a_list_or_a_wildcard_and_names_a_bad_entry() {
        for origins in [vec![], vec!["https://chatgpt.com".to_string()], vec!["*".to_string()]] {
            assert!(cors(&HttpConfig { cors_origins: origins, ..HttpConfig::default() }).is_ok());
        }
        let bad = HttpConfig { cors_origins: vec!["https://bad\norigin".into()], ..HttpConfig::default() };
        assert!(cors(&bad).unwrap_err().to_string().contains("http.cors_origins"));
    }
}
