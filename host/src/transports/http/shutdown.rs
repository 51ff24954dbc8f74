//! Graceful shutdown's HTTP part: a POST's response counts as in flight until
//! its last byte is produced, so the drain (see
//! [`McpState::drain`](crate::protocol::McpState::drain)) does not end a
//! streamed answer between the plugin's return and the client's receipt.
//!
//! Long-lived streams are not in flight: they are what shutdown closes. They
//! are GET streams and `subscriptions/listen` (named by its `Mcp-Method`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::protocol::McpState;

/// Middleware: holds an in-flight token until the response body ends.
pub async fn track_responses(State(state): State<Arc<McpState>>, request: Request, next: Next) -> Response {
    let streams_forever = request.method() != Method::POST
        || request.headers().get("mcp-method").is_some_and(|m| m.as_bytes().trim_ascii() == b"subscriptions/listen");
    if streams_forever {
        return next.run(request).await;
    }
    let token = state.track();
    let response = next.run(request).await;
    response.map(|body| Body::new(Tracked { body, _in_flight: token }))
}

/// A response body that keeps its request in flight while it lasts.
struct Tracked {
    body: Body,
    _in_flight: TaskTrackerToken,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
