//! The host side of the plugin imports. Each import interface is one module;
//! all of them act on [`CallState`](super::call::CallState), the data of the
//! calling plugin's store, and reach the host through [`HostServices`].

mod client;
mod config;
mod dependencies;
mod docker;
mod events;
mod log;
mod progress;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::registry::Registry;

/// What the imports may use of the host: the registry (routing dependency
/// requests and tool-list changes), the operator's install settings and Docker.
pub struct HostServices {
    /// The live plugin set.
    pub registry: Arc<Registry>,
    /// Package index or registry mirror per package manager (`pip` → URL).
    pub index_urls: BTreeMap<String, String>,
    /// The Docker primitives, when configured.
    pub docker: Option<Arc<crate::docker::DockerService>>,
}

/// Raised (as a trap) by a client request that must travel as a 2026-07-28
/// input-required result: the call ends and the client will call again.
#[derive(Debug)]
pub struct InputRequired;

impl std::fmt::Display for InputRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the call needs input from the client")
    }
}

impl std::error::Error for InputRequired {}

impl super::bindings::types::Host for super::call::CallState {}
