//! `GET /api/v1/health` (and the open `GET /health` of seed 003): whether the
//! host is up, with a summary an operator reads at a glance.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AdminState;
use crate::upstreams::State as ServerState;

/// The host's health.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` while the host serves.
    pub status: &'static str,
    /// The host's version.
    pub version: &'static str,
    /// Seconds since the host started.
    pub uptime_secs: u64,
    /// Loaded plugins.
    pub plugins: usize,
    /// Shared upstream servers.
    pub servers: usize,
    /// Those of them running.
    pub servers_running: usize,
    /// Live sessions.
    pub sessions: usize,
}

/// `GET /health`'s answer (seed 003): `{"status": "ok"}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Liveness {
    /// `ok` while the host serves.
    pub status: &'static str,
}

/// `GET /api/v1/health`.
#[utoipa::path(get, path = "/api/v1/health", operation_id = "host_health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(admin): State<Arc<AdminState>>) -> Json<Health> {
    Json(admin.health())
}

impl AdminState {
    /// The host's health: uptime and what it serves.
    pub fn health(&self) -> Health {
        let servers = self.mcp.upstreams().servers();
        Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            uptime_secs: self.started.elapsed().as_secs(),
            plugins: self.mcp.services().registry.snapshot().plugins().len(),
            servers: servers.len(),
            servers_running: servers.iter().filter(|s| s.status().state == ServerState::Running).count(),
            sessions: self.mcp.sessions().len(),
        }
    }
}

/// `GET /health` (open, like `/healthz`): seed 003's shape.
#[utoipa::path(get, path = "/health", operation_id = "liveness", tag = "health", security(()), responses((status = 200, body = Liveness)))]
pub async fn liveness() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}
