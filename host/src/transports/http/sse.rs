//! The legacy HTTP+SSE transport (MCP 2024-11-05), for older remote agents.
//!
//! `GET /sse` opens a session: its first event, `endpoint`, names the URL to
//! POST messages to (`/messages?sessionId=<id>`); every message the server
//! sends follows as a `message` event. A POSTed message is answered `202
//! Accepted`, and its response arrives on the stream. The session is the same
//! [`McpSession`] handler that every transport uses; it ends when the client
//! closes the stream or the host shuts down.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::{Stream, StreamExt, stream};
use rmcp::model::{ClientJsonRpcMessage, GetExtensions, ServerJsonRpcMessage};
use rmcp::service::serve_server_with_ct;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use super::reject;
use crate::protocol::{McpSession, McpState};

/// Messages buffered per direction and session.
const BUFFER: usize = 64;

/// The open legacy sessions: where each one's POSTed messages go.
struct LegacySessions {
    state: Arc<McpState>,
    close: CancellationToken,
    inboxes: Mutex<HashMap<String, mpsc::Sender<ClientJsonRpcMessage>>>,
}

/// `GET /sse` and `POST /messages`. `close` ends every session (at shutdown).
pub fn routes(state: Arc<McpState>, close: CancellationToken) -> Router {
    let sessions = Arc::new(LegacySessions { state, close, inboxes: Mutex::default() });
    Router::new().route("/sse", get(open)).route("/messages", post(deliver)).with_state(sessions)
}

/// Removes a session's inbox when its stream is dropped, which ends the session.
struct Inbox {
    sessions: Arc<LegacySessions>,
    id: String,
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.sessions.inboxes.lock().unwrap().remove(&self.id);
        tracing::debug!(session = self.id, "legacy SSE stream closed");
    }
}

async fn open(State(sessions): State<Arc<LegacySessions>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (inbox, inbound) = mpsc::channel(BUFFER);
    let (outbound, outbox) = futures::channel::mpsc::channel::<ServerJsonRpcMessage>(BUFFER);
    sessions.inboxes.lock().unwrap().insert(id.clone(), inbox);
    let session = McpSession::new(sessions.state.clone());
    let stop = sessions.close.child_token();
    tracing::debug!(session = id, "legacy SSE stream opened");
    tokio::spawn(async move {
        match serve_server_with_ct(session, (outbound, ReceiverStream::new(inbound)), stop).await {
            Ok(running) => drop(running.waiting().await),
            Err(e) => tracing::debug!("a legacy SSE session ended before it was initialized: {e}"),
        }
    });
    let endpoint = Event::default().event("endpoint").data(format!("/messages?sessionId={id}"));
    let guard = Inbox { sessions, id };
    // The stream ends when the session ends and drops its sender.
    let messages = outbox.map(move |message| {
        let _open = &guard;
        let json = serde_json::to_string(&message).expect("MCP messages serialize");
        Ok(Event::default().event("message").data(json))
    });
    Sse::new(stream::once(async { Ok(endpoint) }).chain(messages)).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
struct Target {
    #[serde(rename = "sessionId")]
    session_id: String,
}

async fn deliver(
    State(sessions): State<Arc<LegacySessions>>,
    Query(target): Query<Target>,
    parts: Parts,
    body: Bytes,
) -> Response {
    let mut message: ClientJsonRpcMessage = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(e) => return reject(StatusCode::BAD_REQUEST, "invalid_request", format!("not a JSON-RPC message: {e}")),
    };
    match &mut message {
        ClientJsonRpcMessage::Request(request) => drop(request.request.extensions_mut().insert(parts)),
        ClientJsonRpcMessage::Notification(notification) => {
            drop(notification.notification.extensions_mut().insert(parts))
        }
        ClientJsonRpcMessage::Response(_) | ClientJsonRpcMessage::Error(_) => {}
    }
    let inbox = sessions.inboxes.lock().unwrap().get(&target.session_id).cloned();
    let Some(inbox) = inbox else {
        return reject(StatusCode::NOT_FOUND, "not_found", "no such session; open a new one with GET /sse");
    };
    match inbox.send(message).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(_) => reject(StatusCode::NOT_FOUND, "not_found", "the session has ended; open a new one with GET /sse"),
    }
}
