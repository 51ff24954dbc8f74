//! Fan-out of registry changes to clients: legacy sessions get list-changed
//! notifications through their peer; 2026-07-28 clients through their
//! `subscriptions/listen` stream (rmcp filters what each listener accepted).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use rmcp::RoleServer;
use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::{Peer, SubscriptionSink};
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio_util::sync::CancellationToken;

use crate::providers::Change;

/// Forwards changes to a legacy session's peer until `stop` fires or the peer
/// goes away. Resource updates go only for URIs the session subscribed to.
pub async fn forward_to_peer(
    mut changes: Receiver<Change>,
    peer: Peer<RoleServer>,
    subscribed: Arc<Mutex<BTreeSet<String>>>,
    stop: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            _ = stop.cancelled() => return,
            change = changes.recv() => change,
        };
        let sent = match change {
            Ok(Change::Tools) => peer.notify_tool_list_changed().await,
            Ok(Change::Prompts) => peer.notify_prompt_list_changed().await,
            Ok(Change::Resources) => peer.notify_resource_list_changed().await,
            Ok(Change::ResourceUpdated(uri)) => {
                if !subscribed.lock().unwrap().contains(&uri) {
                    continue;
                }
                peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri)).await
            }
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        if sent.is_err() && peer.is_transport_closed() {
            return;
        }
    }
}

/// Forwards changes to one `subscriptions/listen` stream until it closes.
pub async fn forward_to_listener(mut changes: Receiver<Change>, sink: &SubscriptionSink, stop: CancellationToken) {
    loop {
        let change = tokio::select! {
            _ = stop.cancelled() => return,
            change = changes.recv() => change,
        };
        let sent = match change {
            Ok(Change::Tools) => sink.notify_tool_list_changed().await,
            Ok(Change::Prompts) => sink.notify_prompt_list_changed().await,
            Ok(Change::Resources) => sink.notify_resource_list_changed().await,
            Ok(Change::ResourceUpdated(uri)) => sink.notify_resource_updated(uri).await,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        match sent {
            Ok(()) | Err(rmcp::service::SubscriptionSendError::NotificationNotAccepted(_)) => {}
            Err(_) => return,
        }
    }
}
