//! Fan-out of registry changes to clients: legacy sessions get list-changed
//! notifications through their peer; 2026-07-28 clients through their
//! `subscriptions/listen` stream (rmcp filters what each listener accepted).
//! Listeners that speak the tasks extension also get `notifications/tasks`
//! for their own principal's tasks.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use rmcp::RoleServer;
use rmcp::model::{
    NotificationMetaObject, RequestId, ResourceUpdatedNotificationParam, ServerNotification, TaskStatusNotification,
    TaskStatusNotificationParams,
};
use rmcp::service::{Peer, SubscriptionSink};
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::tasks::TaskChange;
use crate::caller::Principal;
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

/// Sends `owner`'s task changes to the `subscriptions/listen` stream of
/// request `listen` on `peer`, as `notifications/tasks` carrying what
/// `tasks/get` would answer, until the stream closes. (rmcp's sink refuses
/// these, since the filter has no field for them yet; SEP-2663 lets a server
/// send them on the stream, tagged with its subscription id like the rest.)
pub async fn forward_tasks_to_listener(
    mut changes: Receiver<TaskChange>,
    owner: Principal,
    peer: Peer<RoleServer>,
    listen: RequestId,
) {
    loop {
        let change = match changes.recv().await {
            Ok(change) if change.owner == owner.as_str() => change,
            Ok(_) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        let mut meta = NotificationMetaObject::new();
        meta.set_subscription_id(listen.clone());
        let params = TaskStatusNotificationParams::new(change.task).with_meta(meta);
        let notice = ServerNotification::TaskStatusNotification(TaskStatusNotification::new(params));
        if peer.send_notification(notice).await.is_err() && peer.is_transport_closed() {
            return;
        }
    }
}
