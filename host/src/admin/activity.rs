//! `/api/v1/activity`: the activity log, filtered and paged by cursor.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;

use super::AdminState;
use super::error::{ApiError, ErrorBody};
use crate::state::{ActivityEntry, ActivityFilter};

/// One page of the activity log, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityPage {
    /// The records.
    pub entries: Vec<ActivityEntry>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// `GET /api/v1/activity`: tool calls and admin changes, newest first.
#[utoipa::path(get, path = "/api/v1/activity", operation_id = "list_activity", tag = "activity", params(ActivityFilter),
    responses((status = 200, body = ActivityPage), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(admin): State<Arc<AdminState>>,
    query: Result<Query<ActivityFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ActivityPage>, ApiError> {
    let Query(filter) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    admin.activity(filter).await.map(Json)
}

impl AdminState {
    /// One page of the activity log that `filter` picks, newest first.
    pub async fn activity(&self, filter: ActivityFilter) -> Result<ActivityPage, ApiError> {
        let size = filter.page_size() as usize;
        let entries = self.state().run(move |s| s.activity(&filter)).await.map_err(ApiError::storage)?;
        let next_cursor = (entries.len() == size).then(|| entries.last().map(|e| e.id)).flatten();
        Ok(ActivityPage { entries, next_cursor })
    }
}
