//! `/api/v1/tasks`: the tool calls running or kept as MCP tasks, whoever
//! owns them; the operator can read one in full and cancel it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::AdminState;
use super::audit::audit;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody};
use crate::caller::Principal;
use crate::protocol::{TaskDetail, TaskInfo};

/// Which tasks `GET /api/v1/tasks` lists.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskFilter {
    /// Only this principal's (e.g. `key:alice`).
    pub owner: Option<String>,
    /// Only tasks in this status (`working`, `input_required`, `completed`, `failed`, `cancelled`).
    pub status: Option<String>,
}

impl AdminState {
    /// The tasks `filter` picks, newest first.
    pub fn tasks(&self, filter: &TaskFilter) -> Vec<TaskInfo> {
        let wanted = |value: &str, filter: &Option<String>| filter.as_deref().is_none_or(|f| f == value);
        let tasks = self.mcp.tasks().all().into_iter();
        tasks.filter(|t| wanted(&t.owner, &filter.owner) && wanted(&t.status, &filter.status)).collect()
    }

    /// Task `id` in full.
    pub fn task(&self, id: &str) -> Result<TaskDetail, ApiError> {
        self.mcp.tasks().inspect(id).ok_or_else(|| ApiError::not_found("task", id, "/api/v1/tasks"))
    }

    /// Cancels task `id` (whoever owns it) as `who`, recorded in the
    /// activity log; cancelling a task that already ended is a conflict.
    pub fn cancel_task(&self, who: &Principal, id: &str) -> Result<(), ApiError> {
        let done = match self.mcp.tasks().cancel_any(id) {
            Some(true) => Ok(()),
            Some(false) => Err(ApiError::conflict(format!("task `{id}` has already ended"))),
            None => Err(ApiError::not_found("task", id, "/api/v1/tasks")),
        };
        audit(self, who, "task.cancel", id, &done);
        done
    }
}

/// `GET /api/v1/tasks`: the tasks kept, newest first.
#[utoipa::path(get, path = "/api/v1/tasks", operation_id = "list_tasks", tag = "tasks", params(TaskFilter),
    responses((status = 200, body = [TaskInfo]), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(admin): State<Arc<AdminState>>,
    query: Result<Query<TaskFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<TaskInfo>>, ApiError> {
    let Query(filter) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(admin.tasks(&filter)))
}

/// `GET /api/v1/tasks/{id}`: one task with its result, error or input requests.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", operation_id = "get_task", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = TaskDetail), (status = 404, body = ErrorBody)))]
pub async fn get(State(admin): State<Arc<AdminState>>, Path(id): Path<String>) -> Result<Json<TaskDetail>, ApiError> {
    admin.task(&id).map(Json)
}

/// `POST /api/v1/tasks/{id}/cancel`: cancels a running task (its exec is killed).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/cancel", operation_id = "cancel_task", tag = "tasks", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.cancel_task(&who, &id).map(|()| StatusCode::NO_CONTENT)
}
