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

impl super::bindings::types::Host for super::call::CallState {}
