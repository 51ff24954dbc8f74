//! Ownership and bookkeeping: which containers this instance owns and for
//! which session, when each was last used, and removing them again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::models::{ContainerInspectResponse, ContainerSummary};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListVolumesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};

use super::engine::Client;
use super::error::Error;
use super::identity::{self, Identity, Scope};
use crate::caller::Principal;
use crate::wit::docker::Container;

/// What this instance remembers about its live containers and sessions. The
/// engine's labels are the truth about ownership; this adds what labels
/// cannot hold: last use, network leases and out-of-memory counts.
#[derive(Default)]
pub(super) struct Ledger {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    containers: HashMap<String, Tracked>,
    /// Last use of each session that has a workspace volume.
    sessions: HashMap<String, Instant>,
}

struct Tracked {
    session: String,
    last_used: Instant,
    /// Execs running in it now; a container in use is never idle.
    active: u32,
    /// The image its next install step starts from (see `install`).
    install_parent: Option<String>,
    oom_kills: u64,
}

/// Marks a container in use until dropped (see [`Ledger::in_use`]).
pub(super) struct InUse {
    ledger: Arc<Ledger>,
    id: String,
}

impl Drop for InUse {
    fn drop(&mut self) {
        self.ledger.with(|inner| {
            if let Some(t) = inner.containers.get_mut(&self.id) {
                t.active = t.active.saturating_sub(1);
                t.last_used = Instant::now();
            }
        });
    }
}

impl Ledger {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Records a use of container `id` of `session` now, tracking it if new.
    pub(super) fn touch(&self, id: &str, session: &str) {
        self.track(id, session, |_| ());
    }

    /// Records a use of container `id` that lasts until the guard is dropped.
    pub(super) fn in_use(self: &Arc<Self>, id: &str, session: &str) -> InUse {
        self.track(id, session, |t| t.active += 1);
        InUse { ledger: self.clone(), id: id.to_string() }
    }

    fn track(&self, id: &str, session: &str, update: impl FnOnce(&mut Tracked)) {
        let now = Instant::now();
        self.with(|inner| {
            inner.sessions.insert(session.to_string(), now);
            let tracked = inner.containers.entry(id.to_string()).or_insert_with(|| Tracked {
                session: session.to_string(),
                last_used: now,
                active: 0,
                install_parent: None,
                oom_kills: 0,
            });
            tracked.last_used = now;
            update(tracked);
        });
    }

    /// Forgets container `id` (it was removed).
    pub(super) fn forget(&self, id: &str) {
        self.with(|inner| inner.containers.remove(id));
    }

    /// Forgets the scoped `session` and its containers.
    pub(super) fn forget_session(&self, session: &str) {
        self.with(|inner| {
            inner.sessions.remove(session);
            inner.containers.retain(|_, t| t.session != session);
        });
    }

    /// Containers not in use and unused for at least `ttl`.
    pub(super) fn idle_containers(&self, ttl: Duration) -> Vec<String> {
        self.with(|inner| {
            inner
                .containers
                .iter()
                .filter(|(_, t)| t.active == 0 && t.last_used.elapsed() >= ttl)
                .map(|(id, _)| id.clone())
                .collect()
        })
    }

    /// Sessions unused for at least `ttl` that have no container left.
    pub(super) fn idle_sessions(&self, ttl: Duration) -> Vec<String> {
        self.with(|inner| {
            inner
                .sessions
                .iter()
                .filter(|(s, used)| used.elapsed() >= ttl && !inner.containers.values().any(|t| &t.session == *s))
                .map(|(s, _)| s.clone())
                .collect()
        })
    }

    /// The image container `id`'s next install step starts from, once it has had one.
    pub(super) fn install_parent(&self, id: &str) -> Option<String> {
        self.with(|inner| inner.containers.get(id).and_then(|t| t.install_parent.clone()))
    }

    /// Records `image` as the start of container `id`'s next install step.
    pub(super) fn set_install_parent(&self, id: &str, image: &str) {
        self.with(|inner| {
            if let Some(t) = inner.containers.get_mut(id) {
                t.install_parent = Some(image.to_string());
            }
        });
    }

    /// Records the container's out-of-memory kill counter; true if it rose
    /// since last recorded (a process was killed for memory meanwhile).
    pub(super) fn record_oom_kills(&self, id: &str, count: u64) -> bool {
        self.with(|inner| match inner.containers.get_mut(id) {
            Some(t) if count > t.oom_kills => {
                t.oom_kills = count;
                true
            }
            Some(_) => false,
            None => count > 0,
        })
    }
}

/// A container this instance owns, as resolved from a caller's reference.
#[derive(Debug, Clone)]
pub(super) struct Owned {
    pub(super) id: String,
    pub(super) session: String,
    /// Whether it was created with a network (rather than `none`).
    pub(super) networked: bool,
}

/// Finds the container `reference` among `principal`'s containers on this
/// instance: by id, id prefix or engine name, else by the name given at
/// creation in any of the principal's sessions (an ambiguous name is an error
/// that lists the candidates). Another principal's container is not found,
/// with no hint that it exists.
pub(super) async fn resolve(
    client: &Client,
    me: &Identity,
    reference: &str,
    principal: &Principal,
) -> Result<Owned, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "you have no container `{reference}`; list_containers shows yours (by id, id prefix or name)"
        ))
    };
    if reference.is_empty() {
        return Err(Error::InvalidParams("the container id is empty".into()));
    }
    let inspected =
        match client.api.inspect_container(reference, None).await.map_err(client.err("inspect the container")) {
            Ok(found) => found,
            Err(e) if e.is_missing() => {
                let mut filters = me.filters(Scope::Principal(principal));
                filters.entry("label".into()).or_default().push(format!("{}={reference}", identity::NAME));
                let matches: Vec<_> = list(client, filters).await?.into_iter().map(from_summary).collect();
                let id = match matches.as_slice() {
                    [] => return Err(not_found()),
                    [only] => only.id.clone(),
                    several => {
                        let sessions: Vec<String> = several.iter().map(|c| format!("`{}`", c.session_id)).collect();
                        return Err(Error::InvalidParams(format!(
                            "`{reference}` names {} of your containers (in sessions {}); pass the container id instead",
                            several.len(),
                            sessions.join(", ")
                        )));
                    }
                };
                client.api.inspect_container(&id, None).await.map_err(client.err("inspect the container"))?
            }
            Err(e) => return Err(e),
        };
    let labels = inspected.config.as_ref().and_then(|c| c.labels.clone()).unwrap_or_default();
    if !me.owned_by(&labels, principal) {
        return Err(not_found());
    }
    Ok(Owned {
        id: inspected.id.clone().unwrap_or_default(),
        session: labels.get(identity::SESSION).cloned().unwrap_or_default(),
        networked: inspected
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.as_deref())
            .is_some_and(|mode| mode != "none"),
    })
}

/// Every container (running or not) matching `filters`.
pub(super) async fn list(
    client: &Client,
    filters: HashMap<String, Vec<String>>,
) -> Result<Vec<ContainerSummary>, Error> {
    let options = ListContainersOptionsBuilder::new().all(true).filters(&filters).build();
    client.api.list_containers(Some(options)).await.map_err(client.err("list containers"))
}

/// Force-removes container `id` and its anonymous volumes; one already gone is
/// fine, and one another task is removing is waited for, so that the session's
/// volume can be removed next.
pub(super) async fn remove_container(client: &Client, id: &str) -> Result<(), Error> {
    let options = RemoveContainerOptionsBuilder::new().force(true).v(true).build();
    match client.api.remove_container(id, Some(options)).await.map_err(client.err("remove the container")) {
        Err(Error::Engine { status: 409, ref message, .. }) if message.contains("in progress") => {
            wait_gone(client, id).await
        }
        Err(e) if !e.is_missing() => Err(e),
        _ => Ok(()),
    }
}

/// Waits (up to 30 s) until container `id` no longer exists.
async fn wait_gone(client: &Client, id: &str) -> Result<(), Error> {
    for _ in 0..300 {
        match client.api.inspect_container(id, None).await.map_err(client.err("inspect the container")) {
            Err(e) if e.is_missing() => return Ok(()),
            Err(e) => return Err(e),
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    Err(Error::Engine {
        action: "remove the container",
        status: 409,
        message: format!("container {id} was still being removed after 30 s"),
    })
}

/// Removes volume `name`; one already gone is fine.
pub(super) async fn remove_volume(client: &Client, name: &str) -> Result<(), Error> {
    let options = RemoveVolumeOptionsBuilder::new().force(true).build();
    match client.api.remove_volume(name, Some(options)).await.map_err(client.err("remove the volume")) {
        Err(e) if !e.is_missing() => Err(e),
        _ => Ok(()),
    }
}

/// Names and labels of every volume matching `filters`.
pub(super) async fn volumes(
    client: &Client,
    filters: HashMap<String, Vec<String>>,
) -> Result<Vec<(String, HashMap<String, String>)>, Error> {
    let options = ListVolumesOptionsBuilder::new().filters(&filters).build();
    let listed = client.api.list_volumes(Some(options)).await.map_err(client.err("list volumes"))?;
    Ok(listed.volumes.unwrap_or_default().into_iter().map(|v| (v.name, v.labels)).collect())
}

/// How a caller sees a container from a list.
pub(super) fn from_summary(summary: ContainerSummary) -> Container {
    let networks = summary.network_settings.and_then(|n| n.networks).unwrap_or_default();
    describe(
        summary.id.unwrap_or_default(),
        summary.names.and_then(|n| n.into_iter().next()).unwrap_or_default(),
        summary.image.unwrap_or_default(),
        summary.state.map(|s| s.to_string()).unwrap_or_default(),
        summary.labels.unwrap_or_default(),
        networks.keys(),
    )
}

/// How a caller sees an inspected container.
pub(super) fn from_inspect(inspected: ContainerInspectResponse) -> Container {
    let config = inspected.config.unwrap_or_default();
    let networks = inspected.network_settings.and_then(|n| n.networks).unwrap_or_default();
    describe(
        inspected.id.unwrap_or_default(),
        inspected.name.unwrap_or_default(),
        config.image.unwrap_or_default(),
        inspected.state.and_then(|s| s.status).map(|s| s.to_string()).unwrap_or_default(),
        config.labels.unwrap_or_default(),
        networks.keys(),
    )
}

fn describe<'a>(
    id: String,
    engine_name: String,
    image: String,
    state: String,
    mut labels: HashMap<String, String>,
    mut networks: impl Iterator<Item = &'a String>,
) -> Container {
    let name = labels.remove(identity::NAME).unwrap_or_else(|| engine_name.trim_start_matches('/').to_string());
    // The caller sees its own name of the session, not the scoped one.
    let scoped = labels.remove(identity::SESSION).unwrap_or_default();
    let principal = labels.remove(identity::PRINCIPAL).unwrap_or_default();
    let session_id = scoped.strip_prefix(&format!("{principal}/")).unwrap_or(&scoped).to_string();
    Container { id, name, image, state, session_id, network: networks.any(|n| n != "none") }
}
