//! Operations endpoints: liveness (`/healthz`), readiness (`/readyz`) and
//! Prometheus metrics (`/metrics`).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::caller::Grant;
use crate::protocol::{McpState, ServerFigures};
use crate::providers::Provider;

/// How long readiness and metrics wait for the Docker engine.
const ENGINE_WAIT: Duration = Duration::from_secs(2);

/// `GET /healthz`: the process is alive and serving.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// `GET /readyz`: the first load of plugins is done (`"loading": true`
/// until then) and, when a loaded plugin holds the `docker` grant, the Docker engine
/// answers. 503 names what is missing. Each upstream server's state (and why,
/// when it is not running) is in the details; a failed server does not make
/// the host unready.
pub async fn readyz(State(state): State<Arc<McpState>>) -> Response {
    let servers: serde_json::Map<String, serde_json::Value> = state
        .upstreams()
        .servers()
        .iter()
        .map(|s| {
            let status = s.status();
            let details = json!({"state": status.state.as_str(), "restarts": status.restarts, "reason": status.reason});
            (s.name().to_string(), details)
        })
        .collect();
    let registry = &state.services().registry;
    let snapshot = registry.snapshot();
    let plugins = snapshot.plugins().len();
    if !registry.is_loaded() {
        let body = json!({"status": "not ready", "plugins": plugins, "loading": true, "servers": servers});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let docker_users: Vec<&str> =
        snapshot.plugins().values().filter(|p| p.policy().grants.contains(&Grant::Docker)).map(|p| p.name()).collect();
    let docker = if docker_users.is_empty() {
        Ok("not used".to_string())
    } else {
        match &state.services().docker {
            None => Err("Docker is not configured".to_string()),
            Some(docker) => match tokio::time::timeout(ENGINE_WAIT, docker.engine(None)).await {
                Ok(Ok(info)) => Ok(format!("reachable (engine {})", info.version)),
                Ok(Err(failure)) => Err(format!("unreachable: {}", failure.message())),
                Err(_) => Err(format!("no answer within {} s", ENGINE_WAIT.as_secs())),
            },
        }
    };
    match docker {
        Ok(docker) => {
            Json(json!({"status": "ready", "plugins": plugins, "docker": docker, "servers": servers})).into_response()
        }
        Err(why) => {
            let body = json!({
                "status": "not ready", "plugins": plugins, "docker": why, "docker_plugins": docker_users, "servers": servers
            });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// `GET /metrics`: the Prometheus text format. The live-container gauge is
/// read from the Docker engine when Docker is configured.
pub async fn metrics(State(state): State<Arc<McpState>>) -> Response {
    let plugins = state.services().registry.snapshot().plugins().len();
    let containers = match &state.services().docker {
        None => Some(0),
        Some(docker) => match tokio::time::timeout(ENGINE_WAIT, docker.engine(None)).await {
            Ok(Ok(info)) => Some(info.owned_containers),
            _ => None,
        },
    };
    let statuses: Vec<_> = state.upstreams().servers().iter().map(|s| (s.name().to_string(), s.status())).collect();
    let servers: Vec<ServerFigures<'_>> = statuses
        .iter()
        .map(|(name, status)| ServerFigures { name, state: status.state.as_str(), restarts: status.restarts })
        .collect();
    let text = state.metrics().encode(plugins, containers, &servers);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}
