//! What a single call into a plugin carries: the client it runs for, and the
//! per-call store state (WASI context, memory limiter, grants, host services).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::client::{ElicitRequest, ElicitResponse, Root, SamplingRequest, SamplingResponse};
use super::bindings::log::Level;
use super::host_api::HostServices;
use super::limits::{Limits, MemoryLimiter};

/// A permission the operator grants a plugin. Calls beyond the grants fail
/// with an error that names the missing grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grant {
    /// Use the Docker primitives.
    Docker,
    /// Create containers with a network attached.
    Network,
    /// Attach a network to a container for the duration of an install.
    InstallNetwork,
}

impl Grant {
    /// Every grant, for messages that list them.
    pub const ALL: [Grant; 3] = [Grant::Docker, Grant::Network, Grant::InstallNetwork];

    /// The name used in `portcullis.toml` (`grants = ["docker"]`).
    pub fn name(self) -> &'static str {
        match self {
            Grant::Docker => "docker",
            Grant::Network => "network",
            Grant::InstallNetwork => "install-network",
        }
    }

    /// Parses a grant name as written in the config file.
    pub fn parse(name: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// The operator's view of one plugin: its name, limits, grants and settings.
#[derive(Debug, Clone, Default)]
pub struct PluginPolicy {
    /// Resource limits for each call.
    pub limits: Limits,
    /// What the plugin may do beyond computing.
    pub grants: BTreeSet<Grant>,
    /// Values the plugin reads through the `config` import.
    pub settings: BTreeMap<String, String>,
}

/// Why a request to the client was not answered. Either way the plugin gets a
/// `failed` error with the text; a pending request also makes the call end
/// with an input-required result once the plugin returns.
#[derive(Debug, Clone)]
pub enum ClientRequestError {
    /// The client cannot do this (no capability, disconnected, refused).
    Failed(String),
    /// 2026-07-28: the answer comes with the next attempt of the call.
    Pending(String),
}

/// The client on whose behalf a call runs, as the plugin imports see it.
/// Implemented by the protocol layer for each session and request.
pub trait ClientLink: Send + Sync {
    /// Sends a log record if the client asked for that level.
    fn log(&self, level: Level, logger: String, message: String) -> BoxFuture<'_, ()>;
    /// Sends a progress notification if the request carried a progress token.
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) -> BoxFuture<'_, ()>;
    /// Asks the user for input.
    fn elicit(&self, request: ElicitRequest) -> BoxFuture<'_, Result<ElicitResponse, ClientRequestError>>;
    /// Asks the client's model for a completion.
    fn sample(&self, request: SamplingRequest) -> BoxFuture<'_, Result<SamplingResponse, ClientRequestError>>;
    /// Asks the client for its roots.
    fn list_roots(&self, key: Option<String>) -> BoxFuture<'_, Result<Vec<Root>, ClientRequestError>>;
}

/// Everything a call knows about its caller. `Default` is a call on the host's
/// own behalf (loading a plugin, routing a dependency request).
#[derive(Clone, Default)]
pub struct CallContext {
    /// The session the call belongs to (stdio connection, HTTP session, or an
    /// explicit `session_id` from a stateless client).
    pub session_id: Option<String>,
    /// The client to log to, report progress to and ask for input.
    pub client: Option<Arc<dyn ClientLink>>,
    /// Fires when the client cancels the request or disconnects.
    pub cancel: CancellationToken,
}

/// The data of a call's store. One per call, dropped when the call ends.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    /// The plugin being called.
    pub(crate) plugin: Arc<str>,
    /// The operator's policy for that plugin.
    pub(crate) policy: Arc<PluginPolicy>,
    /// The caller.
    pub(crate) call: CallContext,
    /// The host services the imports use.
    pub(crate) services: Arc<HostServices>,
}

impl CallState {
    /// Fresh state for one call: no environment, no files, no network, no stdio.
    pub fn new(
        plugin: Arc<str>,
        policy: Arc<PluginPolicy>,
        limiter: MemoryLimiter,
        call: CallContext,
        services: Arc<HostServices>,
    ) -> Self {
        Self {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limiter,
            plugin,
            policy,
            call,
            services,
        }
    }

    /// The caller, for host services.
    pub(crate) fn caller(&self) -> Caller {
        Caller { plugin: self.plugin.clone(), policy: self.policy.clone(), call: self.call.clone() }
    }
}

/// Who is asking, as host services see it: the plugin, its policy and the call's
/// context. Cheap to clone and `Send`, unlike the store data it comes from.
#[derive(Clone)]
pub struct Caller {
    /// The calling plugin's name.
    pub plugin: Arc<str>,
    /// Its policy (grants, settings).
    pub policy: Arc<PluginPolicy>,
    /// The call's context (session, client, cancellation).
    pub call: CallContext,
}

impl Caller {
    /// Fails with a message naming `grant` unless the operator granted it.
    pub fn require(&self, grant: Grant) -> Result<(), String> {
        if self.policy.grants.contains(&grant) {
            return Ok(());
        }
        Err(format!(
            "plugin `{}` lacks the `{}` grant; the operator can add it with `grants = [\"{}\"]` under [plugins.{}] in portcullis.toml",
            self.plugin,
            grant.name(),
            grant.name(),
            self.plugin
        ))
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
