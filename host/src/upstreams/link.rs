//! The client side of the connection to an upstream server: what Portcullis
//! does with the server's notifications. Progress goes to the client whose
//! call carries the token; log records go to the host's log (tagged with the
//! server) and to every client with a call in flight to the server; list
//! changes refresh the server's catalog and reach every client. The server's
//! own requests (sampling, elicitation, roots) go to the client of its most
//! recent call in flight, the one whose work they are part of; with no call
//! in flight there is no one to ask, and the server is told so.

// MCP logging is deprecated by SEP-2577 but still what servers send.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use rmcp::ClientHandler;
use rmcp::model::{
    ClientInfo, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult, ErrorData,
    ListRootsResult, LoggingLevel, LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken,
    ResourceUpdatedNotificationParam,
};
use rmcp::service::{NotificationContext, RequestContext, RoleClient};
use serde_json::{Value, json};

use super::convert;
use super::server::Upstream;
use crate::caller::ClientLink;
use crate::providers::Change;
use crate::providers::Provider;
use crate::wit::log::Level;
use crate::wit::wire::{content_from_wire, content_json};
use crate::wit::{client, types};

/// The downstream clients of the calls in flight to one server, by the
/// progress token each call was sent with.
#[derive(Default)]
pub(super) struct InFlight {
    calls: Mutex<Calls>,
    entered: std::sync::atomic::AtomicU64,
}

impl InFlight {
    /// Records `link` as the client of the call sent with `token`, until the
    /// guard is dropped.
    pub(super) fn enter(self: &Arc<Self>, token: ProgressToken, link: Arc<dyn ClientLink>) -> Leave {
        let order = self.entered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.lock().insert(token.clone(), (order, link));
        Leave { in_flight: self.clone(), token }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn link(&self, token: &ProgressToken) -> Option<Arc<dyn ClientLink>> {
        self.lock().get(token).map(|(_, link)| link.clone())
    }

    fn all(&self) -> Vec<Arc<dyn ClientLink>> {
        self.lock().values().map(|(_, link)| link.clone()).collect()
    }

    /// The client of the most recent call in flight, or an error for the server.
    fn latest(&self) -> Result<Arc<dyn ClientLink>, ErrorData> {
        let calls = self.lock();
        let latest = calls.values().max_by_key(|(order, _)| *order).map(|(_, link)| link.clone());
        latest.ok_or_else(|| ErrorData::invalid_request("no client call is in flight to ask", None))
    }
}

/// Each call's client, with the order in which the calls were sent.
type Calls = HashMap<ProgressToken, (u64, Arc<dyn ClientLink>)>;

/// Forgets a call's client when dropped (see [`InFlight::enter`]).
pub(super) struct Leave {
    in_flight: Arc<InFlight>,
    token: ProgressToken,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.in_flight.lock().remove(&self.token);
    }
}

/// The handler of one connection to a server.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) server: Weak<Upstream>,
    pub(super) in_flight: Arc<InFlight>,
}

impl ClientHandler for Link {
    fn get_info(&self) -> ClientInfo {
        let info = json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {"sampling": {}, "elicitation": {"form": {}}, "roots": {"listChanged": false}},
            "clientInfo": {"name": "portcullis", "version": env!("CARGO_PKG_VERSION")},
        });
        serde_json::from_value(info).expect("a valid client description")
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let request = sampling_request(&serde_json::to_value(&params).unwrap_or_default()).map_err(invalid)?;
        let answer = self.in_flight.latest()?.sample(request).await.map_err(refused)?;
        let result = json!({
            "role": if answer.message.role == types::Role::User { "user" } else { "assistant" },
            "content": content_json(&answer.message.content),
            "model": answer.model,
            "stopReason": answer.stop_reason,
        });
        serde_json::from_value(result).map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let wire = serde_json::to_value(&params).unwrap_or_default();
        let request = client::ElicitRequest {
            key: None,
            message: wire.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
            requested_schema: wire.get("requestedSchema").map_or_else(|| "{}".into(), Value::to_string),
        };
        let answer = self.in_flight.latest()?.elicit(request).await.map_err(refused)?;
        let result = match answer {
            client::ElicitResponse::Accept(content) => {
                json!({"action": "accept", "content": serde_json::from_str::<Value>(&content).unwrap_or_default()})
            }
            client::ElicitResponse::Decline => json!({"action": "decline"}),
            client::ElicitResponse::Cancel => json!({"action": "cancel"}),
        };
        serde_json::from_value(result).map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    async fn list_roots(&self, _context: RequestContext<RoleClient>) -> Result<ListRootsResult, ErrorData> {
        let roots = self.in_flight.latest()?.list_roots(None).await.map_err(refused)?;
        let roots: Vec<Value> = roots.into_iter().map(|r| json!({"uri": r.uri, "name": r.name})).collect();
        serde_json::from_value(json!({"roots": roots})).map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    async fn on_progress(&self, params: ProgressNotificationParam, _context: NotificationContext<RoleClient>) {
        if let Some(link) = self.in_flight.link(&params.progress_token) {
            link.progress(params.progress, params.total, params.message).await;
        }
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let message = match &params.data {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let server = self.server.upgrade().map(|s| s.name().to_string()).unwrap_or_default();
        tracing::info!(server, logger = params.logger.as_deref().unwrap_or(""), "{message}");
        let level = level(params.level);
        let logger = params.logger.unwrap_or_else(|| server.clone());
        for link in self.in_flight.all() {
            link.log(level, logger.clone(), message.clone()).await;
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.refresh(Change::Tools).await;
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.refresh(Change::Prompts).await;
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.refresh(Change::Resources).await;
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(server) = self.server.upgrade() {
            server.registry().resource_updated(&params.uri);
        }
    }
}

impl Link {
    async fn refresh(&self, change: Change) {
        if let Some(server) = self.server.upgrade() {
            server.refresh(change).await;
        }
    }
}

/// A sampling request from its wire JSON.
fn sampling_request(wire: &Value) -> Result<client::SamplingRequest, String> {
    let messages = wire.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let message = |m: &Value| {
        let role = convert::role(m);
        // Newer revisions allow a list of blocks; the first carries the text.
        let content = match m.get("content") {
            Some(Value::Array(blocks)) => blocks.first().cloned().unwrap_or_default(),
            Some(block) => block.clone(),
            None => Value::Null,
        };
        Ok(client::SamplingMessage { role, content: content_from_wire(&content)? })
    };
    Ok(client::SamplingRequest {
        key: None,
        messages: messages.iter().map(message).collect::<Result<_, String>>()?,
        system_prompt: wire.get("systemPrompt").and_then(Value::as_str).map(str::to_string),
        max_tokens: wire.get("maxTokens").and_then(Value::as_u64).and_then(|t| u32::try_from(t).ok()).unwrap_or(1024),
    })
}

fn invalid(message: String) -> ErrorData {
    ErrorData::invalid_params(message, None)
}

/// The downstream client's refusal, for the server.
fn refused(error: crate::caller::ClientRequestError) -> ErrorData {
    ErrorData::internal_error(format!("the client could not answer: {error:?}"), None)
}

/// The contract's level nearest to an MCP logging level.
fn level(level: LoggingLevel) -> Level {
    match level {
        LoggingLevel::Debug => Level::Debug,
        LoggingLevel::Info => Level::Info,
        LoggingLevel::Notice => Level::Notice,
        LoggingLevel::Warning => Level::Warning,
        _ => Level::Error,
    }
}
