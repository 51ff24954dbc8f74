//! The admin REST API under `/api/v1`: JSON in and out, errors as
//! `{"error": {"code", "message"}}`, behind admin keys ([`auth`]) that are
//! never MCP credentials. One module per resource: [`health`], [`servers`],
//! plugins and tools ([`catalog`]), sessions and containers ([`sessions`]),
//! [`tasks`], [`activity`]; every change is recorded in the activity log ([`audit`]).
//! The OpenAPI 3.1 document at `/api/v1/openapi.json` is generated from the
//! handlers' types ([`openapi`]).
//!
//! [`router`] carries its own guard (admin keys); the HTTP transport adds
//! the guards every route shares (Host and Origin, rate limit, body cap).

pub mod activity;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod error;
pub mod health;
pub mod oauth;
pub mod openapi;
pub mod servers;
pub mod sessions;
pub mod tasks;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::config::AdminConfig;
use crate::docker::DockerService;
use crate::plugins::Loader;
use crate::protocol::McpState;
use crate::state::StateDb;
use error::ApiError;
use servers::ServerBody;

/// What the admin API works on: the MCP state, the plugin loader, and the
/// bodies of the servers created through it.
pub struct AdminState {
    mcp: Arc<McpState>,
    loader: Arc<Loader>,
    config: AdminConfig,
    allow_host_commands: bool,
    /// Servers created through the API, by name; the lock also orders changes to servers.
    api_servers: tokio::sync::Mutex<BTreeMap<String, ServerBody>>,
    started: Instant,
    /// The built-in authorization server, when on.
    oauth: Option<Arc<crate::oauth::AuthorizationServer>>,
}

impl AdminState {
    /// The admin API over `mcp`. Starts the servers saved in the state
    /// database; one that no longer passes (a name now in portcullis.toml,
    /// host commands no longer allowed) is skipped with an error in the log.
    pub async fn start(
        mcp: Arc<McpState>,
        loader: Arc<Loader>,
        config: &AdminConfig,
        oauth: Option<Arc<crate::oauth::AuthorizationServer>>,
    ) -> anyhow::Result<Arc<AdminState>> {
        let stored = mcp.state().run(|s| s.servers()).await?;
        let mut bodies = BTreeMap::new();
        for server in stored {
            let started = servers::stored_spec(&server, config.allow_host_commands)
                .and_then(|spec| mcp.upstreams().add(spec))
                .and_then(|_| serde_json::from_value::<ServerBody>(server.body.clone()).map_err(|e| e.to_string()));
            match started {
                Ok(body) => {
                    bodies.insert(server.name.clone(), body);
                }
                Err(e) => {
                    tracing::error!(server = server.name, "not starting a server saved through the admin API: {e}")
                }
            }
        }
        Ok(Arc::new(AdminState {
            mcp,
            loader,
            config: config.clone(),
            allow_host_commands: config.allow_host_commands,
            api_servers: tokio::sync::Mutex::new(bodies),
            started: Instant::now(),
            oauth,
        }))
    }

    /// The admin-key check for a listener that is `loopback`-only or not.
    pub fn auth(&self, loopback: bool) -> auth::AdminAuth {
        auth::AdminAuth::new(&self.config, loopback)
    }

    fn state(&self) -> &StateDb {
        self.mcp.state()
    }

    fn docker(&self) -> Result<&Arc<DockerService>, ApiError> {
        self.mcp.services().docker.as_ref().ok_or_else(|| {
            ApiError::unavailable("Docker is not enabled on this host (`[docker] enabled = true` turns it on)")
        })
    }
}

/// The `/api/v1` routes behind `auth` (an unknown one is a JSON 404), and
/// the open `GET /health`.
pub fn router(admin: Arc<AdminState>, auth: Arc<auth::AdminAuth>) -> Router {
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/openapi.json", get(openapi::document))
        .route("/servers", get(servers::list).post(servers::create))
        .route("/servers/{name}", get(servers::get).put(servers::update).delete(servers::delete))
        .route("/servers/{name}/start", post(servers::start))
        .route("/servers/{name}/stop", post(servers::stop))
        .route("/servers/{name}/restart", post(servers::restart))
        .route("/servers/{name}/logs", get(servers::logs))
        .route("/servers/{name}/health", get(servers::health))
        .route("/servers/{name}/call", post(servers::call))
        .route("/plugins", get(catalog::list))
        .route("/plugins/{name}/reload", post(catalog::reload))
        .route("/plugins/{name}/enable", post(catalog::enable))
        .route("/plugins/{name}/disable", post(catalog::disable))
        .route("/tools", get(catalog::tools))
        .route("/sessions", get(sessions::list))
        .route("/sessions/{id}", delete(sessions::end))
        .route("/containers", get(sessions::containers))
        .route("/containers/{id}", delete(sessions::remove_container))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{id}", get(tasks::get))
        .route("/tasks/{id}/cancel", post(tasks::cancel))
        .route("/activity", get(activity::list))
        .route("/oauth/users", get(oauth::users).post(oauth::add_user))
        .route("/oauth/users/{name}", delete(oauth::remove_user))
        .route("/oauth/clients", get(oauth::clients))
        .route("/oauth/clients/{id}", delete(oauth::remove_client))
        .route("/oauth/grants", get(oauth::grants))
        .route("/oauth/grants/{id}", delete(oauth::revoke_grant))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such admin route; `GET /api/v1/openapi.json` lists them",
            )
        })
        .layer(from_fn_with_state(auth, auth::require))
        .layer(from_fn(read_whole_body))
        .with_state(admin);
    Router::new().route("/health", get(health::liveness)).nest("/api/v1", api)
}

/// Reads a request's whole body (within the transport's body cap) before
/// anything answers it. A refusal or a route that takes no body would
/// otherwise answer with the body unread, and the connection, which the
/// client may already be reusing for its next request, would be closed.
async fn read_whole_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(e) => ApiError::bad_request(format!("could not read the request body: {e}")).into_response(),
    }
}
