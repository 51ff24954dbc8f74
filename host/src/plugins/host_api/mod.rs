//! The host side of the plugin imports that concern plugins themselves. Each
//! import interface is one module; all of them act on
//! [`CallState`], the data of the calling plugin's
//! store, and reach the host through [`HostServices`]. The `docker` import
//! and `docker-engine` imports belong to their capability ([`crate::docker`]);
//! [`link`] wires them all.

mod client;
mod config;
mod context;
mod dependencies;
mod events;
mod log;
mod policy_plugins;
mod progress;
mod v0_1;

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use super::call::CallState;
use crate::docker::{DockerCall, DockerImport, DockerService, EngineCall, EngineImport};
use crate::policy::PolicyChain;
use crate::providers::Registry;
use crate::wit;

/// What the imports may use of the host: the registry (routing dependency
/// requests and tool-list changes), the operator's install settings, the
/// policy chain and Docker.
pub struct HostServices {
    /// The live plugin set.
    pub registry: Arc<Registry>,
    /// Package index or registry mirror per package manager (`pip` → URL).
    pub index_urls: BTreeMap<String, String>,
    /// The operator's rules, consulted (with the policy plugins) before a capability acts.
    pub policy: PolicyChain,
    /// The Docker primitives, when configured.
    pub docker: Option<Arc<DockerService>>,
}

impl wit::types::Host for CallState {}

/// Adds every `portcullis:plugin` import to `linker`, in the current version
/// and in 0.1.0.
pub fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    link_current(linker)?;
    link_v0_1(linker)
}

fn this(state: &mut CallState) -> &mut CallState {
    state
}

fn docker(state: &mut CallState) -> DockerCall<'_> {
    DockerCall {
        caller: &state.caller,
        service: state.services.docker.as_deref(),
        policy: &state.services.policy,
        plugins: &state.services,
    }
}

fn engine(state: &mut CallState) -> EngineCall<'_> {
    EngineCall { caller: &state.caller, service: state.services.docker.as_deref() }
}

fn link_current(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    wit::types::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::log::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::progress::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::client::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::context::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::events::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::config::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::dependencies::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    wit::docker::add_to_linker::<_, DockerImport>(linker, docker)?;
    wit::docker_engine::add_to_linker::<_, EngineImport>(linker, engine)
}

fn link_v0_1(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    use wit::v0_1::portcullis::plugin as v0_1;
    v0_1::types::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    v0_1::log::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    v0_1::progress::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    v0_1::client::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    v0_1::events::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    v0_1::config::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    v0_1::dependencies::add_to_linker::<_, HasSelf<_>>(linker, this)?;
    v0_1::docker::add_to_linker::<_, DockerImport>(linker, docker)
}
