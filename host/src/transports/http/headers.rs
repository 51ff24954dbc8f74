//! The standard request headers of 2026-07-28 (SEP-2243): rmcp requires
//! `Mcp-Method` on every message, but a notification without it is accepted
//! (as the TypeScript SDK's server does), its method taken from the body.
//! Only the body of a 2026-era POST without `Mcp-Method` is read here.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use rmcp::model::ProtocolVersion;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::limits;

const MCP_METHOD: &str = "mcp-method";

/// Middleware: gives a 2026-era notification without `Mcp-Method` the header
/// its body names. Other requests pass unchanged; a body over `max` bytes is
/// refused (413).
pub async fn name_notifications(State(max): State<usize>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || request.headers().contains_key(MCP_METHOD) || !standard(request.headers()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, max).await else { return limits::too_large(max) };
    if let Some(method) = notification_method(&body).and_then(|m| HeaderValue::from_str(&m).ok()) {
        parts.headers.insert(MCP_METHOD, method);
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// Whether the request's protocol version requires the standard headers.
fn standard(headers: &HeaderMap) -> bool {
    headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|version| version >= ProtocolVersion::STANDARD_HEADERS.as_str())
}

/// The method of a JSON-RPC notification: a message with a method and no id.
fn notification_method(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
        method: Option<String>,
    }
    match serde_json::from_slice::<Probe>(body).ok()? {
        Probe { id: None, method } => method,
        Probe { id: Some(_), .. } => None,
    }
}
