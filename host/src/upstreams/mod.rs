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
mod secrets;
mod server;
mod session;

use std::sync::Arc;

pub use config::{ContainedImport, Launch, Scope, ServerFile, ServerSpec, load_desktop_file};
pub use secrets::Secret;
pub use server::{State, Status, Upstream};
pub use session::SessionScoped;

use crate::caller::Principal;
use crate::plugins::HostServices;

/// The upstream servers of one host.
#[derive(Default)]
pub struct Upstreams {
    servers: Vec<Arc<Upstream>>,
    session_scoped: Vec<Arc<SessionScoped>>,
}

impl Upstreams {
    /// Starts every server in `specs`, in parallel; each joins the
    /// services' registry when it has answered. Returns at once.
    pub fn start(specs: Vec<ServerSpec>, services: &Arc<HostServices>) -> Upstreams {
        let mut upstreams = Upstreams::default();
        for spec in specs {
            match spec.scope {
                Scope::Shared => upstreams.servers.push(Upstream::start(spec, services.clone(), true)),
                Scope::Session => upstreams.session_scoped.push(SessionScoped::start(spec, services.clone())),
            }
        }
        upstreams
    }

    /// The shared servers, in configuration order.
    pub fn servers(&self) -> &[Arc<Upstream>] {
        &self.servers
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
        for server in &self.servers {
            server.stop();
        }
        let ended = futures::future::join_all(self.servers.iter().map(|s| s.wait_for(|s| s.state >= State::Failed)));
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), ended).await;
    }
}
