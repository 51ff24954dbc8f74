//! Reclaiming what this instance created: a session's containers and volume
//! when the session ends, containers left idle past the operator's TTL, the
//! leftovers of crashed runs at start-up, and everything at shutdown.

use std::sync::Arc;
use std::time::Duration;

use super::error::Error;
use super::identity::{self, Scope};
use super::{DockerService, install, sessions};
use crate::caller::Principal;
use crate::wit::types::Failure;

/// What [`DockerService::reap_leftovers`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reaped {
    /// Containers of crashed runs.
    pub containers: u32,
    /// Workspace volumes of crashed runs.
    pub volumes: u32,
    /// Cached install steps past their time to live.
    pub cached_installs: u32,
}

impl DockerService {
    /// Removes every container of `principal`'s `session`, or of all its
    /// sessions when `session` is `None`, and with `remove_volumes` their
    /// volumes. Returns how many containers were removed.
    pub async fn remove_session(
        &self,
        principal: &Principal,
        session: Option<&str>,
        remove_volumes: bool,
    ) -> Result<u32, Failure> {
        let scoped = session.map(|s| identity::scoped(principal, s));
        let scope = scoped.as_deref().map_or(Scope::Principal(principal), Scope::Session);
        Ok(self.remove_in(scope, remove_volumes).await?)
    }

    /// Ends `principal`'s `session`: removes its containers and its workspace
    /// volume. The protocol layer calls this when a stdio connection or HTTP
    /// session ends. Returns how many containers were removed.
    pub async fn end_session(&self, principal: &Principal, session: &str) -> Result<u32, Failure> {
        let removed = self.remove_session(principal, Some(session), true).await?;
        tracing::debug!(%principal, session, removed, "ended a Docker session");
        Ok(removed)
    }

    /// Removes the containers in `scope`, and with `remove_volumes` their
    /// sessions' volumes. Returns how many containers were removed.
    async fn remove_in(&self, scope: Scope<'_>, remove_volumes: bool) -> Result<u32, Error> {
        let client = self.engine.client().await?;
        let containers = sessions::list(&client, self.me.filters(scope)).await?;
        let removed = sweep(containers.into_iter().filter_map(|c| c.id), |id| {
            let client = &client;
            async move {
                sessions::remove_container(client, &id).await?;
                self.ledger.forget(&id);
                Ok(())
            }
        })
        .await;
        if remove_volumes {
            let volumes = sessions::volumes(&client, self.me.filters(scope)).await?;
            let ended: Vec<String> =
                volumes.iter().filter_map(|(_, labels)| labels.get(identity::SESSION).cloned()).collect();
            sweep(volumes.into_iter().map(|(name, _)| name), |name| {
                let client = &client;
                async move { sessions::remove_volume(client, &name).await }
            })
            .await;
            for session in &ended {
                self.ledger.forget_session(session);
            }
        }
        Ok(removed)
    }

    /// Removes the containers and volumes that hosts on this machine left
    /// behind when they crashed: objects labelled with this hostname whose
    /// owning process is gone, and cached install steps past their time to
    /// live. Call once at start-up.
    pub async fn reap_leftovers(&self) -> Result<Reaped, Failure> {
        let client = self.engine.client().await?;
        let containers = sessions::list(&client, self.me.machine_filters()).await?;
        let leftovers = containers.into_iter().filter(|c| c.labels.as_ref().is_some_and(|l| self.me.is_leftover(l)));
        let containers = sweep(leftovers.filter_map(|c| c.id), |id| {
            let client = &client;
            async move { sessions::remove_container(client, &id).await }
        })
        .await;
        let volumes = sessions::volumes(&client, self.me.machine_filters()).await?;
        let leftovers = volumes.into_iter().filter(|(_, labels)| self.me.is_leftover(labels));
        let volumes = sweep(leftovers.map(|(name, _)| name), |name| {
            let client = &client;
            async move { sessions::remove_volume(client, &name).await }
        })
        .await;
        if containers + volumes > 0 {
            tracing::info!(containers, volumes, "removed what crashed runs left behind");
        }
        let cached_installs = install::remove_expired(&client).await?;
        if cached_installs > 0 {
            tracing::info!(cached_installs, "removed cached install steps past their time to live");
        }
        Ok(Reaped { containers, volumes, cached_installs })
    }

    /// Removes this instance's containers that no exec or file operation has
    /// used for the operator's idle TTL, and the volumes of sessions that have
    /// been idle as long with no container left. Returns how many containers
    /// were removed.
    pub async fn reap_idle(&self) -> Result<u32, Failure> {
        let ttl = self.config.idle_ttl;
        let idle = self.ledger.idle_containers(ttl);
        if idle.is_empty() && self.ledger.idle_sessions(ttl).is_empty() {
            return Ok(0);
        }
        let client = self.engine.client().await?;
        let removed = sweep(idle.into_iter(), |id| {
            let client = &client;
            async move {
                sessions::remove_container(client, &id).await?;
                self.ledger.forget(&id);
                tracing::info!(container = %id, "removed an idle container");
                Ok(())
            }
        })
        .await;
        sweep(self.ledger.idle_sessions(ttl).into_iter(), |session| {
            let client = &client;
            async move {
                sessions::remove_volume(client, &self.me.volume_name(&session)).await?;
                self.ledger.forget_session(&session);
                Ok(())
            }
        })
        .await;
        Ok(removed)
    }

    /// Starts the task that calls [`reap_idle`](Self::reap_idle) periodically
    /// (every half TTL, between 1 s and 60 s). It stops at
    /// [`shutdown`](Self::shutdown) or when the service is dropped; calling
    /// this again replaces it.
    pub fn start_idle_reaper(self: &Arc<Self>) {
        let period = (self.config.idle_ttl / 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
        let service = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(service) = service.upgrade() else { break };
                if let Err(e) = service.reap_idle().await {
                    tracing::warn!("idle container sweep failed: {e:?}");
                }
            }
        });
        if let Some(previous) = self.reaper.lock().unwrap_or_else(|p| p.into_inner()).replace(task.abort_handle()) {
            previous.abort();
        }
    }

    /// Stops the idle reaper and removes every container and volume this
    /// instance owns. Returns how many containers were removed.
    pub async fn shutdown(&self) -> Result<u32, Failure> {
        if let Some(reaper) = self.reaper.lock().unwrap_or_else(|p| p.into_inner()).take() {
            reaper.abort();
        }
        Ok(self.remove_in(Scope::All, true).await?)
    }
}

/// Applies `action` to each item, logging failures; returns how many succeeded.
pub(super) async fn sweep<T, F, Fut>(items: impl Iterator<Item = T>, action: F) -> u32
where
    T: std::fmt::Display + Clone,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    let mut done = 0;
    for item in items {
        match action(item.clone()).await {
            Ok(()) => done += 1,
            Err(e) => tracing::warn!(%item, "cleanup step failed: {e}"),
        }
    }
    done
}
