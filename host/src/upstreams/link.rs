//! The client side of the connection to an upstream server: what Portcullis
//! does with the server's notifications. Progress goes to the client whose
//! call carries the token; log records go to the host's log (tagged with the
//! server) and to every client with a call in flight to the server; list
//! changes refresh the server's catalog and reach every client. The server's
//! own requests (sampling, elicitation, roots) are answered as a client with
//! none of those capabilities would: not supported.

// MCP logging is deprecated by SEP-2577 but still what servers send.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use rmcp::ClientHandler;
use rmcp::model::{
    ClientInfo, LoggingLevel, LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken,
    ResourceUpdatedNotificationParam,
};
use rmcp::service::{NotificationContext, RoleClient};

use super::server::Upstream;
use crate::caller::ClientLink;
use crate::providers::Change;
use crate::providers::Provider;
use crate::wit::log::Level;

/// The downstream clients of the calls in flight to one server, by the
/// progress token each call was sent with.
#[derive(Default)]
pub(super) struct InFlight {
    calls: Mutex<HashMap<ProgressToken, Arc<dyn ClientLink>>>,
}

impl InFlight {
    /// Records `link` as the client of the call sent with `token`, until the
    /// guard is dropped.
    pub(super) fn enter(self: &Arc<Self>, token: ProgressToken, link: Arc<dyn ClientLink>) -> Leave {
        self.lock().insert(token.clone(), link);
        Leave { in_flight: self.clone(), token }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ProgressToken, Arc<dyn ClientLink>>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn link(&self, token: &ProgressToken) -> Option<Arc<dyn ClientLink>> {
        self.lock().get(token).cloned()
    }

    fn all(&self) -> Vec<Arc<dyn ClientLink>> {
        self.lock().values().cloned().collect()
    }
}

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
pub(super) struct Link {
    pub(super) server: Weak<Upstream>,
    pub(super) in_flight: Arc<InFlight>,
}

impl ClientHandler for Link {
    fn get_info(&self) -> ClientInfo {
        let mut info = ClientInfo::default();
        info.client_info.name = "portcullis".into();
        info.client_info.version = env!("CARGO_PKG_VERSION").into();
        info
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
