//! `/api/v1/sessions` and `/api/v1/containers`: who is connected, and the
//! containers this instance owns; the operator can end either.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::AdminState;
use super::audit::audit;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody};
use crate::caller::Principal;
use crate::protocol::SessionInfo;

/// A container this instance owns.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContainerView {
    /// The engine's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its image.
    pub image: String,
    /// The engine's state (`running`, `exited`, …).
    pub state: String,
    /// The session that owns it (scoped by principal).
    pub session_id: String,
    /// Whether it has a network.
    pub network: bool,
}

/// A live session with what it holds.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// The session.
    #[serde(flatten)]
    pub session: SessionInfo,
    /// The names of its containers (empty without Docker).
    pub containers: Vec<String>,
    /// Its session-scoped servers' instances, by server name.
    pub servers: Vec<String>,
}

/// How long listing sessions waits for the Docker engine.
const ENGINE_WAIT: Duration = Duration::from_secs(2);

impl AdminState {
    async fn session_view(&self, session: SessionInfo) -> SessionView {
        let (mut containers, mut servers) = (Vec::new(), Vec::new());
        for owner in self.mcp.session_owners(&session.id) {
            servers.extend(self.mcp.upstreams().session_servers(&owner, &session.id));
            let Some(docker) = &self.mcp.services().docker else { continue };
            match tokio::time::timeout(ENGINE_WAIT, docker.list_containers(&owner, true, Some(&session.id))).await {
                Ok(Ok(owned)) => containers.extend(owned.into_iter().map(|c| c.name)),
                Ok(Err(f)) => tracing::debug!("cannot list a session's containers: {}", f.message()),
                Err(_) => tracing::debug!("the Docker engine did not list a session's containers in time"),
            }
        }
        SessionView { session, containers, servers }
    }

    /// The live sessions with their containers and session-scoped servers.
    pub async fn sessions(&self) -> Vec<SessionView> {
        let mut views = Vec::new();
        for session in self.mcp.sessions() {
            views.push(self.session_view(session).await);
        }
        views
    }

    /// Ends session `id` as `who` (recorded in the activity log): its
    /// containers and session-scoped servers are released, and its further
    /// calls are refused.
    pub fn end_session(&self, who: &Principal, id: &str) -> Result<(), ApiError> {
        let done = match self.mcp.end_session(id) {
            true => Ok(()),
            false => Err(ApiError::not_found("session", id, "/api/v1/sessions")),
        };
        audit(self, who, "session.end", id, &done);
        done
    }

    /// Every container this instance owns (503 without Docker).
    pub async fn containers(&self) -> Result<Vec<ContainerView>, ApiError> {
        let docker = self.docker()?;
        let owned = docker.owned_containers().await.map_err(|f| ApiError::unavailable(f.message()))?;
        let views = owned
            .into_iter()
            .map(|c| ContainerView {
                id: c.id,
                name: c.name,
                image: c.image,
                state: c.state,
                session_id: c.session_id,
                network: c.network,
            })
            .collect();
        Ok(views)
    }

    /// Removes one of this instance's containers (by id or name) as `who`,
    /// recorded in the activity log.
    pub async fn remove_container(&self, who: &Principal, id: &str) -> Result<(), ApiError> {
        let done = async {
            let docker = self.docker()?;
            match docker.remove_owned(id).await.map_err(|f| ApiError::unavailable(f.message()))? {
                true => Ok(()),
                false => Err(ApiError::not_found("container", id, "/api/v1/containers")),
            }
        }
        .await;
        audit(self, who, "container.remove", id, &done);
        done
    }
}

/// `GET /api/v1/sessions`: the live sessions (stdio, initialize-era HTTP,
/// legacy SSE) with their containers and session-scoped servers.
#[utoipa::path(get, path = "/api/v1/sessions", operation_id = "list_sessions", tag = "sessions", responses((status = 200, body = [SessionView])))]
pub async fn list(State(admin): State<Arc<AdminState>>) -> Json<Vec<SessionView>> {
    Json(admin.sessions().await)
}

/// `DELETE /api/v1/sessions/{id}`: ends a session: its containers and
/// session-scoped servers are released, and its further calls are refused.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", operation_id = "end_session", tag = "sessions", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn end(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.end_session(&who, &id).map(|()| StatusCode::NO_CONTENT)
}

/// `GET /api/v1/containers`: every container this instance owns (503 without Docker).
#[utoipa::path(get, path = "/api/v1/containers", operation_id = "list_containers", tag = "containers",
    responses((status = 200, body = [ContainerView]), (status = 503, body = ErrorBody)))]
pub async fn containers(State(admin): State<Arc<AdminState>>) -> Result<Json<Vec<ContainerView>>, ApiError> {
    admin.containers().await.map(Json)
}

/// `DELETE /api/v1/containers/{id}`: removes one of this instance's containers (by id or name).
#[utoipa::path(delete, path = "/api/v1/containers/{id}", operation_id = "remove_container", tag = "containers", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn remove_container(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.remove_container(&who, &id).await.map(|()| StatusCode::NO_CONTENT)
}
