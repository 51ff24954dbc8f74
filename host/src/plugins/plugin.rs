//! One loaded plugin: its pre-instantiated component, the exports it has, the
//! catalog it offers, and calls into it under its limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use futures::future::BoxFuture;
use wasmtime::component::{Instance, InstancePre};
use wasmtime::{Store, UpdateDeadline};

use super::call::CallState;
use super::exports::{Exports, Interface};
use super::host_api::HostServices;
use super::kept::{KeptInstances, Live};
use super::limits::{MemoryLimiter, epoch_ticks};
use crate::caller::{CallContext, Caller, Instances, Limits, PluginPolicy, Principal};
use crate::providers::{Answer, Provider, ProviderKind, ToolResult};
use crate::wit::{completions, policy, prompts, resources, tools, types};

/// Why a call into a plugin did not produce an answer. The message says what
/// happened and, where one exists, which setting changes it.
#[derive(Debug, thiserror::Error)]
pub enum PluginFault {
    /// The guest trapped (a panic, an abort, an out-of-bounds access).
    #[error("plugin `{plugin}` crashed: {message}")]
    Trap {
        /// The plugin.
        plugin: String,
        /// What the trap said.
        message: String,
    },
    /// The guest tried to grow its memory past the limit.
    #[error(
        "plugin `{plugin}` exceeded its memory limit of {limit_mib} MiB and was stopped (raise `memory_mib` under [plugins.{plugin}])"
    )]
    MemoryLimit {
        /// The plugin.
        plugin: String,
        /// Its memory limit.
        limit_mib: usize,
    },
    /// The guest computed past its CPU deadline.
    #[error(
        "plugin `{plugin}` ran past its CPU time limit of {limit_ms} ms and was stopped (raise `cpu_ms` under [plugins.{plugin}])"
    )]
    CpuLimit {
        /// The plugin.
        plugin: String,
        /// Its CPU time limit.
        limit_ms: u128,
    },
    /// The call, including host waits, took longer than the wall-clock limit.
    #[error(
        "plugin `{plugin}` did not finish within {limit_s} s and was stopped (raise `wall_ms` under [plugins.{plugin}])"
    )]
    WallTimeout {
        /// The plugin.
        plugin: String,
        /// Its wall-clock limit.
        limit_s: u64,
    },
    /// The client cancelled the request.
    #[error("the call to plugin `{plugin}` was cancelled")]
    Cancelled {
        /// The plugin.
        plugin: String,
    },
    /// The plugin does not export what was asked of it.
    #[error("plugin `{plugin}` does not export `{interface}`")]
    MissingExport {
        /// The plugin.
        plugin: String,
        /// The interface it lacks.
        interface: &'static str,
    },
}

/// Where a plugin was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Built into the binary.
    Bundled,
    /// A file in the plugin directory.
    File(std::path::PathBuf),
    /// An entry of the lock file: the reference it was added from and the
    /// manifest digest it is pinned to.
    Oci {
        /// The reference as added (`oci://…`).
        source: String,
        /// The manifest digest.
        digest: String,
        /// The component's SHA-256 (`sha256:…`).
        sha256: String,
    },
}

/// Names, owned and sorted.
fn sorted_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = names.map(String::from).collect();
    names.sort();
    names
}

impl PluginSource {
    /// Where a plugin pinned by lock entry `entry` comes from.
    pub fn locked(entry: &crate::oci::LockEntry) -> Self {
        Self::Oci { source: entry.source.clone(), digest: entry.digest.clone(), sha256: entry.sha256.clone() }
    }
}

/// What a plugin offers: read at load, and read again in full whenever the
/// plugin says (through `events`) that its tools, prompts or resources changed.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// MCP tools.
    pub tools: Vec<tools::Tool>,
    /// Concrete resources.
    pub resources: Vec<resources::Resource>,
    /// Resource templates.
    pub templates: Vec<resources::ResourceTemplate>,
    /// Prompts.
    pub prompts: Vec<prompts::Prompt>,
    /// Languages a language pack runs.
    pub languages: Vec<types::Language>,
    /// Package managers a language pack drives.
    pub managers: Vec<String>,
    /// Whether it completes arguments.
    pub completions: bool,
    /// Whether it is a policy.
    pub policy: bool,
}

/// A loaded plugin. Cheap to share; every call instantiates afresh, unless
/// the operator keeps its instances per session.
pub struct Plugin {
    name: Arc<str>,
    source: PluginSource,
    policy: Arc<PluginPolicy>,
    pre: InstancePre<CallState>,
    exports: Exports,
    catalog: std::sync::RwLock<Arc<Catalog>>,
    /// The instances kept for sessions (`instance = "per-session"` only).
    kept: KeptInstances,
}

impl Plugin {
    /// Discovers the exports of a prepared component and reads its catalog.
    /// Any failure means the plugin is not usable and is reported with its name.
    pub async fn new(
        services: &Arc<HostServices>,
        name: &str,
        source: PluginSource,
        pre: InstancePre<CallState>,
        policy: PluginPolicy,
    ) -> Result<Arc<Plugin>> {
        let exports = Exports::discover(&pre)?;
        let plugin = Plugin {
            name: name.into(),
            source,
            policy: Arc::new(policy),
            pre,
            exports,
            catalog: Default::default(),
            kept: KeptInstances::default(),
        };
        let catalog = plugin.read_catalog(services).await?;
        *plugin.catalog.write().unwrap() = Arc::new(catalog);
        Ok(Arc::new(plugin))
    }

    /// The plugin's name (its file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version of `portcullis:plugin` the component was built against.
    pub fn contract_version(&self) -> &'static str {
        self.exports.version()
    }

    /// What it exports, by what it offers: `tools`, `resources`, `prompts`,
    /// `completions`, `policy`, `language-pack`.
    pub fn exported(&self) -> Vec<&'static str> {
        let catalog = self.catalog();
        [
            (!catalog.tools.is_empty(), "tools"),
            (!(catalog.resources.is_empty() && catalog.templates.is_empty()), "resources"),
            (!catalog.prompts.is_empty(), "prompts"),
            (catalog.completions, "completions"),
            (catalog.policy, "policy"),
            (!(catalog.languages.is_empty() && catalog.managers.is_empty()), "language-pack"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect()
    }

    /// The interfaces the component imports (`portcullis:plugin/docker@0.2.0`,
    /// `wasi:cli/environment@0.2.6`, …), in name order.
    pub fn imports(&self) -> Vec<String> {
        let component_type = self.pre.component().component_type();
        sorted_names(component_type.imports(self.pre.engine()).map(|(name, _)| name))
    }

    /// The component's world-level export names (`portcullis:plugin/tools@0.2.0`, …).
    pub fn export_names(&self) -> Vec<String> {
        let component_type = self.pre.component().component_type();
        sorted_names(component_type.exports(self.pre.engine()).map(|(name, _)| name))
    }

    /// Where it came from.
    pub fn source(&self) -> &PluginSource {
        &self.source
    }

    /// The operator's policy for it: limits, grants and settings.
    pub fn policy(&self) -> &PluginPolicy {
        &self.policy
    }

    /// What it offers now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap().clone()
    }

    /// Reads the plugin's catalog again (after it said its tools, prompts or
    /// resources changed).
    pub async fn refresh_catalog(&self, services: &Arc<HostServices>) -> Result<()> {
        let catalog = self.read_catalog(services).await?;
        *self.catalog.write().unwrap() = Arc::new(catalog);
        Ok(())
    }

    /// Detects the packages `source` in `language` needs.
    pub async fn detect_packages(
        &self,
        services: &Arc<HostServices>,
        language: &str,
        source: &str,
    ) -> Result<Result<Vec<String>, types::Failure>, PluginFault> {
        self.require(Interface::Packages)?;
        self.run(services, CallContext::default(), async |store, instance| {
            self.exports.detect_packages(store, instance, language, source).await
        })
        .await
    }

    /// Plans an install of `packages` with `manager`.
    pub async fn plan_install(
        &self,
        services: &Arc<HostServices>,
        manager: &str,
        packages: Vec<String>,
        options: types::InstallOptions,
    ) -> Result<Result<types::InstallPlan, types::Failure>, PluginFault> {
        self.require(Interface::Packages)?;
        self.run(services, CallContext::default(), async |store, instance| {
            self.exports.plan_install(store, instance, manager, &packages, &options).await
        })
        .await
    }

    /// The command that runs a source file of `language`.
    pub async fn run_command(
        &self,
        services: &Arc<HostServices>,
        language: &str,
        path: &str,
    ) -> Result<Result<Vec<String>, types::Failure>, PluginFault> {
        self.require(Interface::Packages)?;
        self.run(services, CallContext::default(), async |store, instance| {
            self.exports.run_command(store, instance, language, path).await
        })
        .await
    }

    /// Asks this policy about a host path.
    pub async fn check_path(
        &self,
        services: &Arc<HostServices>,
        path: &str,
        access: policy::Access,
    ) -> Result<policy::Decision, PluginFault> {
        self.require(Interface::Policy)?;
        self.run(services, CallContext::default(), async |store, instance| {
            self.exports.check_path(store, instance, path, access).await
        })
        .await
    }

    /// Asks this policy about a container request.
    pub async fn check_container(
        &self,
        services: &Arc<HostServices>,
        request: policy::ContainerRequest,
    ) -> Result<policy::Decision, PluginFault> {
        self.require(Interface::Policy)?;
        self.run(services, CallContext::default(), async |store, instance| {
            self.exports.check_container(store, instance, &request).await
        })
        .await
    }

    /// Asks this policy about a tool call about to run. A policy built against
    /// 0.1.0 has no such check: it allows, and is not instantiated.
    pub async fn check_tool_call(
        &self,
        services: &Arc<HostServices>,
        call: &policy::ToolCall,
    ) -> Result<policy::Decision, PluginFault> {
        self.require(Interface::Policy)?;
        if !self.exports.checks_tool_calls() {
            return Ok(policy::Decision::Allow);
        }
        self.run(services, CallContext::default(), async |store, instance| {
            self.exports.check_tool_call(store, instance, call).await
        })
        .await
    }

    fn require(&self, interface: Interface) -> Result<(), PluginFault> {
        match self.exports.offers(interface) {
            true => Ok(()),
            false => Err(PluginFault::MissingExport { plugin: self.name.to_string(), interface: interface.name() }),
        }
    }

    async fn read_catalog(&self, services: &Arc<HostServices>) -> Result<Catalog> {
        let e = &self.exports;
        let catalog = self
            .run(services, CallContext::default(), async |store, instance| {
                store.data_mut().reading_catalog = true;
                let mut c = Catalog {
                    completions: e.offers(Interface::Completions),
                    policy: e.offers(Interface::Policy),
                    ..Catalog::default()
                };
                if e.offers(Interface::Tools) {
                    c.tools = e.list_tools(store, instance).await?;
                }
                if e.offers(Interface::Resources) {
                    (c.resources, c.templates) = e.list_resources(store, instance).await?;
                }
                if e.offers(Interface::Prompts) {
                    c.prompts = e.list_prompts(store, instance).await?;
                }
                if e.offers(Interface::Packages) {
                    (c.languages, c.managers) = e.languages_and_managers(store, instance).await?;
                }
                Ok(c)
            })
            .await?;
        Ok(catalog)
    }

    /// Runs `work` against an instance under the plugin's memory, CPU and
    /// wall-clock limits, and the caller's cancellation: a fresh instance in
    /// a fresh store, or with `instance = "per-session"` the instance kept
    /// for the caller's session (see [`kept`](super::kept)). Faults end this
    /// call only (and drop a kept instance).
    async fn run<R>(
        &self,
        services: &Arc<HostServices>,
        ctx: CallContext,
        work: impl AsyncFnOnce(&mut Store<CallState>, &Instance) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFault> {
        let limits = self.policy.limits;
        let cancel = ctx.cancel.clone();
        let slot = match (self.policy.instances, &ctx.session_id) {
            (Instances::PerSession, Some(session)) => Some(self.kept.slot(&ctx.principal, session).lock_owned().await),
            _ => None,
        };
        let caller = Caller { plugin: self.name.clone(), policy: self.policy.clone(), call: ctx };
        let (mut slot, kept) = match slot {
            Some(mut slot) => {
                let kept = slot.take();
                (Some(slot), kept)
            }
            None => (None, None),
        };
        let mut live = match kept {
            Some(mut live) => {
                live.store.data_mut().begin_call(caller);
                live
            }
            None => self.live(services, caller),
        };
        budget(&mut live.store, &limits);
        let refused = live.refused.clone();
        let call = async {
            let instance = match live.instance {
                Some(instance) => instance,
                None => *live.instance.insert(self.pre.instantiate_async(&mut live.store).await?),
            };
            work(&mut live.store, &instance).await
        };
        let plugin = self.name.to_string();
        let outcome = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(PluginFault::Cancelled { plugin }),
            outcome = tokio::time::timeout(limits.wall_time, call) => outcome,
        };
        let value = match outcome {
            Err(_elapsed) => return Err(PluginFault::WallTimeout { plugin, limit_s: limits.wall_time.as_secs() }),
            Ok(Err(error)) => return Err(classify(error, plugin, &refused, &limits)),
            Ok(Ok(value)) => value,
        };
        if let Some(slot) = &mut slot {
            **slot = Some(live);
        }
        Ok(value)
    }

    /// A fresh store for `caller`'s call, with the plugin's memory limiter.
    fn live(&self, services: &Arc<HostServices>, caller: Caller) -> Live {
        let refused = Arc::new(AtomicBool::new(false));
        let limiter = MemoryLimiter::new(self.policy.limits.memory_bytes, refused.clone());
        let mut store = Store::new(self.pre.engine(), CallState::new(caller, limiter, services.clone()));
        store.limiter(|s| &mut s.limiter);
        Live { store, instance: None, refused }
    }

    /// Drops the instance kept for `session` of `principal`, if any.
    pub fn end_session(&self, principal: &Principal, session: &str) {
        self.kept.end(principal, session);
    }
}

/// Gives the call in `store` its CPU budget: it yields to the executor at
/// every epoch tick, so a computing plugin never holds up other requests or
/// its own cancellation, and is interrupted once it has used the budget.
fn budget(store: &mut Store<CallState>, limits: &Limits) {
    let budget = epoch_ticks(limits);
    let mut ticks = 0;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        ticks += 1;
        Ok(if ticks >= budget { UpdateDeadline::Interrupt } else { UpdateDeadline::Yield(1) })
    });
}

fn classify(error: wasmtime::Error, plugin: String, refused: &AtomicBool, limits: &Limits) -> PluginFault {
    if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
        return PluginFault::CpuLimit { plugin, limit_ms: limits.cpu_time.as_millis() };
    }
    if refused.load(Ordering::Relaxed) {
        return PluginFault::MemoryLimit { plugin, limit_mib: limits.memory_bytes >> 20 };
    }
    let message = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => format!("{trap}"),
        None => format!("{error:#}"),
    };
    PluginFault::Trap { plugin, message }
}

impl Provider for Plugin {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::Plugin
    }

    fn catalog(&self) -> Arc<Catalog> {
        Plugin::catalog(self)
    }

    fn call_tool<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: &'a str,
    ) -> BoxFuture<'a, Answer<ToolResult>> {
        Box::pin(async move {
            self.require(Interface::Tools)?;
            let answer = self
                .run(services, ctx, async |store, instance| {
                    self.exports.call_tool(store, instance, name, arguments).await
                })
                .await?;
            Ok(answer.map(ToolResult::Contract))
        })
    }

    fn read_resource<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        uri: &'a str,
    ) -> BoxFuture<'a, Answer<Vec<types::ResourceContents>>> {
        Box::pin(async move {
            self.require(Interface::Resources)?;
            self.run(services, ctx, async |store, instance| self.exports.read_resource(store, instance, uri).await)
                .await
        })
    }

    fn get_prompt<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<prompts::PromptResult>> {
        Box::pin(async move {
            self.require(Interface::Prompts)?;
            self.run(services, ctx, async |store, instance| {
                self.exports.get_prompt(store, instance, name, &arguments).await
            })
            .await
        })
    }

    fn complete<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        reference: completions::Reference,
        argument: &'a str,
        value: &'a str,
        context: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<completions::Completion>> {
        Box::pin(async move {
            self.require(Interface::Completions)?;
            self.run(services, ctx, async |store, instance| {
                self.exports.complete(store, instance, &reference, argument, value, &context).await
            })
            .await
        })
    }
}
