//! Upstream MCP servers: the servers users already have, run by Portcullis
//! as child processes or reached by URL, and served through the registry
//! like plugins (see [`crate::providers`]). Each concern has its module:
//! configuration (`config`, `secrets`), starting a connection (`launch`,
//! and `legacy_sse` for servers that speak only the old HTTP transport),
//! the client side of the connection (`link`), the provider and its
//! supervision (`server`), and the wire-to-contract conversions (`convert`).

mod config;
mod convert;
mod launch;
mod legacy_sse;
mod link;
pub mod secrets;
mod server;
mod session;

use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use config::{ContainedImport, DEFAULT_STARTUP_TIMEOUT, Launch, Scope, ServerFile, ServerSpec, load_desktop_file};
pub use secrets::Secret;
pub use server::{State, Status, Upstream};
pub use session::SessionScoped;

use crate::caller::Principal;
use crate::plugins::HostServices;
use crate::providers::Provider;

/// The upstream servers of one host. Shared servers can be added, stopped,
/// started again and removed while running (the admin API does);
/// session-scoped ones are fixed at start.
pub struct Upstreams {
    services: Arc<HostServices>,
    servers: RwLock<Vec<Arc<Upstream>>>,
    session_scoped: Vec<Arc<SessionScoped>>,
    /// The most shared servers at once (`MAX_CONCURRENT_SERVERS`).
    max_servers: Option<usize>,
}

/// Refuses a shared server beyond `max` when there are `count` already.
fn room(max: Option<usize>, count: usize) -> Result<(), String> {
    match max {
        Some(max) if count >= max => {
            Err(format!("at most {max} servers may run at once (MAX_CONCURRENT_SERVERS); remove one first"))
        }
        _ => Ok(()),
    }
}

/// How long stopping a server waits for it to end.
const STOP_WAIT: Duration = Duration::from_secs(5);

impl Upstreams {
    /// Starts every server in `specs`, in parallel; each joins the
    /// services' registry when it has answered. Returns at once.
    pub fn start(specs: Vec<ServerSpec>, services: &Arc<HostServices>) -> Upstreams {
        let mut servers = Vec::new();
        let mut session_scoped = Vec::new();
        for spec in specs {
            match spec.scope {
                Scope::Shared => servers.push(Upstream::start(spec, services.clone(), true)),
                Scope::Session => session_scoped.push(SessionScoped::start(spec, services.clone())),
            }
        }
        Upstreams { services: services.clone(), servers: RwLock::new(servers), session_scoped, max_servers: None }
    }

    /// Whether [`Upstreams::add`] would take one more shared server; the
    /// error says which setting refuses it.
    pub fn check_room(&self) -> Result<(), String> {
        room(self.max_servers, self.servers.read().unwrap_or_else(|p| p.into_inner()).len())
    }

    /// Refuses [`Upstreams::add`] beyond `max` shared servers (`MAX_CONCURRENT_SERVERS`).
    pub fn with_max_servers(self, max: Option<usize>) -> Upstreams {
        Upstreams { max_servers: max, ..self }
    }

    /// The shared servers, in the order they were added.
    pub fn servers(&self) -> Vec<Arc<Upstream>> {
        self.servers.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The shared server called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Upstream>> {
        self.servers.read().unwrap_or_else(|p| p.into_inner()).iter().find(|s| s.name() == name).cloned()
    }

    /// Whether any server, shared or session-scoped, is called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some() || self.session_scoped.iter().any(|s| s.name() == name)
    }

    /// Starts a new shared server; refused when the name is taken.
    pub fn add(&self, spec: ServerSpec) -> Result<Arc<Upstream>, String> {
        if spec.scope != Scope::Shared {
            return Err("only shared servers can be added while running".into());
        }
        let mut servers = self.servers.write().unwrap_or_else(|p| p.into_inner());
        if servers.iter().any(|s| s.name() == spec.name) || self.session_scoped.iter().any(|s| s.name() == spec.name) {
            return Err(format!("a server called `{}` exists already", spec.name));
        }
        room(self.max_servers, servers.len())?;
        let server = Upstream::start(spec, self.services.clone(), true);
        servers.push(server.clone());
        Ok(server)
    }

    /// Starts server `name` again with `spec` (its own, or a new one) unless it
    /// is starting or running; returns the server now in its place.
    pub async fn start_server(&self, name: &str, spec: Option<ServerSpec>) -> Option<Arc<Upstream>> {
        let current = self.get(name)?;
        if spec.is_none() && current.status().state < State::Failed {
            return Some(current);
        }
        halt(&current, &self.services).await;
        let server = Upstream::start(spec.unwrap_or_else(|| current.spec().clone()), self.services.clone(), true);
        let mut servers = self.servers.write().unwrap_or_else(|p| p.into_inner());
        for slot in servers.iter_mut().filter(|s| s.name() == name) {
            *slot = server.clone();
        }
        Some(server)
    }

    /// Stops server `name` and takes its tools out of the registry; it stays
    /// listed as stopped. Whether it exists.
    pub async fn stop_server(&self, name: &str) -> bool {
        let Some(server) = self.get(name) else { return false };
        halt(&server, &self.services).await;
        true
    }

    /// Stops server `name` and forgets it; returns its spec.
    pub async fn remove(&self, name: &str) -> Option<ServerSpec> {
        let server = self.get(name)?;
        halt(&server, &self.services).await;
        self.servers.write().unwrap_or_else(|p| p.into_inner()).retain(|s| !Arc::ptr_eq(s, &server));
        Some(server.spec().clone())
    }

    /// The session-scoped servers with an instance for `principal`'s `session`.
    pub fn session_servers(&self, principal: &Principal, session: &str) -> Vec<String> {
        self.session_scoped.iter().filter(|s| s.runs_for(principal, session)).map(|s| s.name().to_string()).collect()
    }

    /// Stops `principal`'s instances of session-scoped servers for `session`.
    pub fn end_session(&self, principal: &Principal, session: &str) {
        for server in &self.session_scoped {
            server.end_session(principal, session);
        }
    }

    /// Stops every server and waits (at most 5 s) until each shared one has
    /// ended its process or connection.
    pub async fn stop(&self) {
        for server in &self.session_scoped {
            server.stop();
        }
        let servers = self.servers();
        for server in &servers {
            server.stop();
        }
        let ended = futures::future::join_all(servers.iter().map(|s| s.wait_for(|s| s.state >= State::Failed)));
        let _ = tokio::time::timeout(STOP_WAIT, ended).await;
    }
}

/// Stops `server`, waits (at most [`STOP_WAIT`]) until it has ended, and
/// takes it out of the registry, so its tools go with it.
async fn halt(server: &Upstream, services: &HostServices) {
    server.stop();
    let _ = tokio::time::timeout(STOP_WAIT, server.wait_for(|s| s.state >= State::Failed)).await;
    services.registry.remove_server(server.name());
}
