//! Tools over plain REST, for what is not an MCP client (custom GPT Actions,
//! Open WebUI, scripts):
//!
//! - `POST /rest/tools/{name}`: the body is the tool's arguments, a JSON
//!   object (an empty body is `{}`). 200 with `{"content", "structuredContent"}`;
//!   a tool error is 422 with its text in `error_description` (and its
//!   content); no such tool, or one the caller may not see, is 404; a body
//!   that is not a JSON object is 400 naming the problem.
//! - `GET /rest/openapi.json`: the OpenAPI 3.1 document of those operations
//!   ([`openapi`]), generated from the tools the reader may see, cached until
//!   the registry changes.
//!
//! A call takes exactly the path of an MCP `tools/call`
//! ([`McpState::call_tool`]): the same policies, visibility, metrics and
//! log. It has no MCP client: progress and log records are dropped, and a tool
//! that asks the client for input gets an error saying why ([`Detached`]).
//! Calls belong to no session (like stateless MCP requests).
//!
//! Both routes pass the MCP routes' guards (Host and Origin, CORS, the
//! failed-authentication budget, authentication with the MCP credentials,
//! the rate limit, the body cap, the deadline). The document needs no
//! credentials, so that a GPT can import its URL: without them it lists the
//! tools open to an unauthenticated caller (`anonymous`); with them, the
//! caller's own; wrong ones are 401.

mod openapi;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rmcp::ErrorData;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, JsonObject};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::forwarded::Scheme;
use super::scopes::{Granted, ScopeGuard};
use super::{Credentials, Guards, limits, reject};
use crate::caller::{CallContext, Principal};
use crate::config::HttpConfig;
use crate::protocol::{CallOrigin, Detached, McpState, ResponseDeadline};
use crate::providers::Snapshot;

/// How calls over this plane are named in messages to the tool.
const PLANE: &str = "REST (`/rest/tools`)";

/// The REST plane's routes, each behind the MCP routes' guards.
pub(super) fn routes(state: Arc<McpState>, config: &HttpConfig, guards: &Guards) -> Router {
    let rest = Arc::new(Rest::new(state.clone(), config, guards.scope_guard(&state)));
    let calls = Router::new().route("/rest/tools/{name}", post(call)).with_state(rest.clone());
    let document = Router::new().route("/rest/openapi.json", get(document)).with_state(rest);
    guards.wrap(calls, &state, Credentials::Required).merge(guards.wrap(document, &state, Credentials::Optional))
}

/// The plane's state: the shared MCP state and the cached documents.
struct Rest {
    mcp: Arc<McpState>,
    /// The base URL for `servers`, when the configuration names one.
    public_url: Option<String>,
    /// Whether authentication is configured (the document then says so).
    bearer: bool,
    max_body_bytes: usize,
    documents: Mutex<Option<Documents>>,
    /// The scope check of calls.
    scopes: Arc<ScopeGuard>,
}

/// The documents of one registry snapshot.
struct Documents {
    snapshot: Arc<Snapshot>,
    /// Every tool's operation id, so a tool's id is the same for every reader.
    ids: BTreeMap<String, String>,
    /// A document per set of visible tools (readers differ only in that).
    views: HashMap<Vec<String>, Arc<Value>>,
}

impl Rest {
    fn new(mcp: Arc<McpState>, config: &HttpConfig, scopes: Arc<ScopeGuard>) -> Self {
        Self {
            mcp,
            public_url: public_url(config),
            bearer: !config.api_keys.is_empty() || config.oauth.is_some(),
            max_body_bytes: config.max_body_bytes,
            documents: Mutex::default(),
            scopes,
        }
    }

    /// The document of the tools `principal` may see, built once per registry
    /// snapshot and set of visible tools.
    async fn document(&self, principal: &Principal) -> Arc<Value> {
        let (snapshot, tools) = self.mcp.visible_tools(principal).await;
        let mut cache = self.documents.lock().unwrap();
        let documents = match &mut *cache {
            Some(documents) if Arc::ptr_eq(&documents.snapshot, &snapshot) => documents,
            stale => {
                let ids = openapi::operation_ids(snapshot.tools().keys().map(String::as_str));
                stale.insert(Documents { snapshot, ids, views: HashMap::new() })
            }
        };
        let key: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
        let ids = &documents.ids;
        documents.views.entry(key).or_insert_with(|| Arc::new(openapi::document(&tools, ids, self.bearer))).clone()
    }

    /// The base URL readers reach this host at: the configured one, else the
    /// request's `Host` with the scheme the client used (`X-Forwarded-Proto`
    /// counts from a trusted proxy only: [`Scheme`]).
    fn base_url(&self, headers: &HeaderMap, scheme: Option<Scheme>) -> Option<String> {
        if let Some(url) = &self.public_url {
            return Some(url.clone());
        }
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let Scheme(scheme) = scheme.unwrap_or(Scheme("http"));
        Some(format!("{scheme}://{host}"))
    }
}

/// The public base URL from the configuration: the OAuth resource (this
/// host's public `/mcp` URL) without its `/mcp`.
fn public_url(config: &HttpConfig) -> Option<String> {
    let resource = config.oauth.as_ref()?.resource.trim_end_matches('/');
    Some(resource.strip_suffix("/mcp").unwrap_or(resource).to_string())
}

/// The caller: the authenticated principal, else (no authentication
/// configured, or the open document) every unauthenticated caller together.
fn caller(principal: Option<Extension<Principal>>) -> Principal {
    principal.map_or_else(Principal::anonymous, |Extension(principal)| principal)
}

/// `GET /rest/openapi.json`.
async fn document(
    State(rest): State<Arc<Rest>>,
    principal: Option<Extension<Principal>>,
    scheme: Option<Extension<Scheme>>,
    headers: HeaderMap,
) -> Response {
    let mut document = Value::clone(&*rest.document(&caller(principal)).await);
    if let Some(url) = rest.base_url(&headers, scheme.map(|Extension(scheme)| scheme)) {
        document["servers"] = json!([{ "url": url }]);
    }
    axum::Json(document).into_response()
}

/// `POST /rest/tools/{name}`.
async fn call(
    State(rest): State<Arc<Rest>>,
    Path(name): Path<String>,
    principal: Option<Extension<Principal>>,
    granted: Option<Extension<Granted>>,
    deadline: Option<Extension<ResponseDeadline>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let principal = caller(principal);
    let Some(route) = rest.mcp.visible_tool(&principal, &name).await else {
        let why = format!("there is no tool `{name}`; GET /rest/openapi.json lists the tools you may call");
        return reject(StatusCode::NOT_FOUND, "not_found", why);
    };
    if let Some(Extension(granted)) = granted
        && let Some(scope) = rest.scopes.missing(&principal, &granted, &name).await
    {
        return rest.scopes.refusal(&name, &scope);
    }
    let arguments = match body {
        Ok(body) => match arguments(&body) {
            Ok(arguments) => arguments,
            Err(why) => return reject(StatusCode::BAD_REQUEST, "invalid_request", why),
        },
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return limits::too_large(rest.max_body_bytes);
        }
        Err(rejection) => return reject(rejection.status(), "invalid_request", rejection.body_text()),
    };
    // The call is cancelled when its request is dropped (the client went
    // away, or the deadline passed).
    let cancel = CancellationToken::new();
    let _cancel_when_dropped = cancel.clone().drop_guard();
    let deadline = deadline.map(|Extension(deadline)| deadline);
    let origin = CallOrigin { principal: principal.clone(), session: None, transport: "rest", era: "", deadline };
    let context =
        CallContext { principal, session_id: None, client: Some(Arc::new(Detached { plane: PLANE })), cancel };
    let response = rest.mcp.call_tool(origin, &name, &route, &arguments, context, || None).await;
    answer(response)
}

/// The tool's arguments from a request body: a JSON object, or nothing.
fn arguments(body: &[u8]) -> Result<JsonObject, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(JsonObject::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(arguments)) => Ok(arguments),
        Ok(other) => Err(format!(
            "the body must be a JSON object of the tool's arguments, not {}",
            plugin_kit::json_kind(&other)
        )),
        Err(e) => Err(format!("the body is not valid JSON: {e}")),
    }
}

/// The HTTP answer to a finished call.
fn answer(response: Result<CallToolResponse, ErrorData>) -> Response {
    match response {
        Ok(CallToolResponse::Complete(result)) => result_answer(result),
        Ok(_) => reject(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the call ended without a result"),
        Err(error) => reject(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", error.message),
    }
}

/// 200 with the result, or 422 when it is a tool error.
fn result_answer(result: CallToolResult) -> Response {
    let mut body = json!({ "content": result.content });
    if let Some(structured) = result.structured_content {
        body["structuredContent"] = structured;
    }
    if result.is_error != Some(true) {
        return (StatusCode::OK, axum::Json(body)).into_response();
    }
    let text: Vec<&str> = result.content.iter().filter_map(ContentBlock::as_text).map(|t| t.text.as_str()).collect();
    body["error"] = "tool_error".into();
    body["error_description"] = text.join("\n").into();
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_must_be_a_json_object_or_nothing() {
        assert_eq!(arguments(br#"{"name": "Ada"}"#).unwrap()["name"], "Ada");
        assert!(arguments(b"").unwrap().is_empty());
        assert!(arguments(b" \n").unwrap().is_empty());
        assert!(arguments(b"[1]").unwrap_err().contains("not an array"));
        assert!(arguments(b"{\"name\"").unwrap_err().contains("not valid JSON"));
    }

    #[test]
    fn the_public_url_is_the_oauth_resource_without_mcp() {
        let oauth = |resource: &str| HttpConfig {
            oauth: Some(crate::config::OAuthConfig {
                issuer: "https://issuer".into(),
                audience: "aud".into(),
                jwks_url: "https://issuer/jwks".into(),
                resource: resource.into(),
                require_scopes: false,
            }),
            ..HttpConfig::default()
        };
        assert_eq!(public_url(&oauth("https://mcp.example.com/mcp")).as_deref(), Some("https://mcp.example.com"));
        assert_eq!(public_url(&oauth("https://example.com/tools/mcp/")).as_deref(), Some("https://example.com/tools"));
        assert_eq!(public_url(&HttpConfig::default()), None);
    }
}
