//! Scopes per tool: a credential may be limited to some scopes (an API key
//! in `[http.api_key_scopes]`; an OAuth token's `scope` claim with
//! `http.oauth.require_scopes`), and each tool needs one: `mcp:read` for a
//! tool marked read-only, `mcp:write` for the rest, unless
//! `[http.tool_scopes]` names another for it (patterns over the published
//! tool name, the most specific matching pattern winning, so `git__*`
//! covers one upstream server and `git__status` one of its tools).
//!
//! A call of a tool whose scope the credential lacks is refused before it
//! reaches the MCP layer, as the MCP authorization spec asks: HTTP 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`, so a
//! client can ask for the scope and try again. A credential that is not
//! limited (no scopes configured for it) may call every tool.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::auth::Authenticator;
use super::{limits, reject};
use crate::caller::Principal;
use crate::config::HttpConfig;
use crate::protocol::McpState;
use crate::wit::tools;

/// What a tool marked read-only needs.
pub const READ: &str = "mcp:read";
/// What every other tool needs.
pub const WRITE: &str = "mcp:write";

/// The scopes a request's credential is limited to; absent from a request
/// whose credential is not limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted(pub BTreeSet<String>);

impl Granted {
    /// The scopes of a space-separated `scope` claim.
    pub fn parse(scope: &str) -> Granted {
        Granted(scope.split_whitespace().map(str::to_string).collect())
    }
}

/// Which scope each tool needs.
#[derive(Debug, Clone, Default)]
pub struct ToolScopes {
    overrides: BTreeMap<String, String>,
}

impl ToolScopes {
    /// The rules of `[http.tool_scopes]`.
    pub fn new(config: &HttpConfig) -> Self {
        Self { overrides: config.tool_scopes.clone() }
    }

    /// The scope a call of `tool`, published as `name`, needs.
    pub fn needed<'a>(&'a self, name: &str, tool: &tools::Tool) -> &'a str {
        let matching = self.overrides.iter().filter(|(pattern, _)| plugin_kit::glob(pattern, name));
        // The most specific pattern: the one with the most literal characters.
        let specific = matching.max_by_key(|(pattern, _)| pattern.chars().filter(|c| *c != '*').count());
        match specific {
            Some((_, scope)) => scope,
            None if tool.annotations.as_ref().and_then(|a| a.read_only) == Some(true) => READ,
            None => WRITE,
        }
    }
}

/// What [`check_calls`] works with.
pub struct ScopeGuard {
    /// The rules.
    pub scopes: ToolScopes,
    /// Where the tools are.
    pub state: Arc<McpState>,
    /// Whose challenge names the resource metadata.
    pub auth: Arc<Authenticator>,
    /// The largest body read.
    pub max_body_bytes: usize,
}

impl ScopeGuard {
    /// The scope `principal` lacks to call tool `name` with `granted`, if any.
    /// A tool it cannot see is left to the MCP layer, which says it is unknown.
    pub async fn missing(&self, principal: &Principal, granted: &Granted, name: &str) -> Option<String> {
        let route = self.state.visible_tool(principal, name).await?;
        let needed = self.scopes.needed(name, &route.tool);
        (!granted.0.contains(needed)).then(|| needed.to_string())
    }

    /// The 403 answer for a call that needs `scope`.
    pub fn refusal(&self, name: &str, scope: &str) -> Response {
        tracing::info!(tool = name, scope, "refused a call: the credential lacks the scope");
        let why = format!("calling `{name}` needs the scope `{scope}`, which this credential was not granted");
        let mut response = reject(StatusCode::FORBIDDEN, "insufficient_scope", why);
        response.headers_mut().insert(header::WWW_AUTHENTICATE, self.auth.insufficient_scope(scope));
        response
    }
}

/// Middleware, inside authentication: refuses (403) a request whose
/// credential is limited to scopes when it calls (`tools/call`, alone or in
/// a batch) a tool whose scope it lacks. Other requests pass unread.
pub async fn check_calls(State(guard): State<Arc<ScopeGuard>>, request: Request, next: Next) -> Response {
    let Some(granted) = request.extensions().get::<Granted>().cloned() else { return next.run(request).await };
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let principal = request.extensions().get::<Principal>().cloned().unwrap_or_else(Principal::anonymous);
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, guard.max_body_bytes).await else {
        return limits::too_large(guard.max_body_bytes);
    };
    for name in called_tools(&body) {
        if let Some(scope) = guard.missing(&principal, &granted, &name).await {
            return guard.refusal(&name, &scope);
        }
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// The tools a JSON-RPC message (or batch) calls.
fn called_tools(body: &[u8]) -> Vec<String> {
    let Ok(message) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let messages = match message {
        Value::Array(batch) => batch,
        single => vec![single],
    };
    messages
        .iter()
        .filter(|m| m.get("method").and_then(Value::as_str) == Some("tools/call"))
        .filter_map(|m| m.pointer("/params/name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(read_only: Option<bool>) -> tools::Tool {
        tools::Tool {
            name: "t".into(),
            title: None,
            description: String::new(),
            input_schema: "{}".into(),
            output_schema: None,
            annotations: Some(tools::Annotations { read_only, destructive: None, idempotent: None, open_world: None }),
            task_support: tools::TaskSupport::Forbidden,
        }
    }

    #[test]
    fn read_only_tools_need_read_and_the_most_specific_override_wins() {
        let config = HttpConfig {
            tool_scopes: [("git__*", "git:write"), ("git__status", "mcp:read"), ("*", "ops")]
                .into_iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect(),
            ..HttpConfig::default()
        };
        let scopes = ToolScopes::new(&config);
        assert_eq!(scopes.needed("git__push", &tool(None)), "git:write");
        assert_eq!(scopes.needed("git__status", &tool(None)), "mcp:read");
        assert_eq!(scopes.needed("hello", &tool(Some(true))), "ops");
        let defaults = ToolScopes::default();
        assert_eq!(defaults.needed("hello", &tool(Some(true))), READ);
        assert_eq!(defaults.needed("hello", &tool(Some(false))), WRITE);
        assert_eq!(defaults.needed("hello", &tool(None)), WRITE);
    }

    #[test]
    fn calls_are_found_alone_and_in_batches() {
        let single = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}"#;
        assert_eq!(called_tools(single), ["a"]);
        let batch = br#"[{"method":"tools/list"},{"method":"tools/call","params":{"name":"b"}}]"#;
        assert_eq!(called_tools(batch), ["b"]);
        assert!(called_tools(b"not json").is_empty());
        assert_eq!(Granted::parse(" mcp:read  mcp:write "), Granted(["mcp:read".into(), "mcp:write".into()].into()));
    }
}
