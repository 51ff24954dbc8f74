//! Session-scoped servers (`scope = "session"`): one instance of the server
//! per client session, started on the session's first call and stopped when
//! the session ends, so no session sees another's server state, and nothing
//! outlives its session. The server is published once, with the catalog a
//! probe instance read at start (then stopped); each call goes to the
//! calling session's own instance. Stateless clients, which have no
//! session, get one instance per principal, stopped once it has gone unused
//! for the server's `idle_timeout_secs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::config::ServerSpec;
use super::server::{State, Upstream};
use crate::caller::{CallContext, Principal};
use crate::plugins::{Catalog, HostServices};
use crate::providers::{Answer, Provider, ProviderKind, ToolResult};
use crate::wit::{completions, prompts, types};

/// Who owns an instance: a principal and its session (empty for stateless clients).
type Owner = (Principal, String);

/// A running instance and when a call last asked for it.
struct Instance {
    upstream: Arc<Upstream>,
    last_used: Instant,
    /// Cloned into every [`Held`]: more than one count means a call holds it.
    in_use: Arc<()>,
}

/// An instance held by a call; while one is held, the instance is not idle.
struct Held {
    upstream: Arc<Upstream>,
    _in_use: Arc<()>,
}

impl std::ops::Deref for Held {
    type Target = Upstream;

    fn deref(&self) -> &Upstream {
        &self.upstream
    }
}

/// A session-scoped server.
pub struct SessionScoped {
    spec: ServerSpec,
    services: Arc<HostServices>,
    catalog: RwLock<Arc<Catalog>>,
    instances: Mutex<HashMap<Owner, Instance>>,
}

impl SessionScoped {
    /// Reads the server's catalog with a probe instance and, once it has,
    /// publishes the server. Returns at once.
    pub fn start(spec: ServerSpec, services: Arc<HostServices>) -> Arc<SessionScoped> {
        let server =
            Arc::new(SessionScoped { spec, services, catalog: RwLock::default(), instances: Mutex::default() });
        let publishing = server.clone();
        tokio::spawn(async move {
            let probe = Upstream::start(publishing.spec.clone(), publishing.services.clone(), false);
            let status = probe.wait_for(|s| matches!(s.state, State::Running | State::Failed)).await;
            let catalog = Provider::catalog(&*probe);
            probe.stop();
            if status.state != State::Running {
                let why = status.reason.unwrap_or_default();
                tracing::error!(server = publishing.spec.name, "a session-scoped server could not be probed: {why}");
                return;
            }
            *publishing.catalog.write().unwrap_or_else(|p| p.into_inner()) = catalog;
            publishing.services.registry.insert_server(publishing.clone());
        });
        tokio::spawn(stop_idle_instances(Arc::downgrade(&server)));
        server
    }

    /// Stops `principal`'s instance for `session`, if it has one.
    pub fn end_session(&self, principal: &Principal, session: &str) {
        let ended = self.lock().remove(&(principal.clone(), session.to_string()));
        if let Some(instance) = ended {
            tracing::info!(server = self.spec.name, %principal, session, "stopping a session's server");
            instance.upstream.stop();
        }
    }

    /// Whether `principal` has an instance for `session`.
    pub fn runs_for(&self, principal: &Principal, session: &str) -> bool {
        self.lock().contains_key(&(principal.clone(), session.to_string()))
    }

    /// Stops every instance.
    pub fn stop(&self) {
        for (_, instance) in self.lock().drain() {
            instance.upstream.stop();
        }
    }

    /// Stops the stateless clients' instances that no call holds and none
    /// has asked for within `idle_timeout`.
    fn stop_idle(&self) {
        let idle = self.spec.idle_timeout;
        self.lock().retain(|(principal, session), instance| {
            let keep =
                !session.is_empty() || instance.last_used.elapsed() < idle || Arc::strong_count(&instance.in_use) > 1;
            if !keep {
                tracing::info!(server = self.spec.name, %principal, "stopping a stateless client's idle server");
                instance.upstream.stop();
            }
            keep
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Owner, Instance>> {
        self.instances.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The calling session's instance, started if it has none, once it runs.
    async fn instance(&self, ctx: &CallContext) -> Result<Held, types::Failure> {
        let owner = (ctx.principal.clone(), ctx.session_id.clone().unwrap_or_default());
        let instance = {
            let mut instances = self.lock();
            let instance = instances.entry(owner).or_insert_with(|| Instance {
                upstream: Upstream::start(self.spec.clone(), self.services.clone(), false),
                last_used: Instant::now(),
                in_use: Arc::default(),
            });
            instance.last_used = Instant::now();
            Held { upstream: instance.upstream.clone(), _in_use: instance.in_use.clone() }
        };
        let status = instance.wait_for(|s| s.state != State::Starting).await;
        if status.state == State::Running {
            return Ok(instance);
        }
        let why = status.reason.map(|r| format!(": {r}")).unwrap_or_default();
        Err(types::Failure::Failed(format!(
            "your instance of server `{}` is {}{why}",
            self.spec.name,
            status.state.as_str()
        )))
    }
}

/// Every so often (at most a minute, at least half the idle timeout), stops
/// `server`'s idle stateless instances; ends with the server.
async fn stop_idle_instances(server: Weak<SessionScoped>) {
    let Some(every) = server.upgrade().map(|s| (s.spec.idle_timeout / 2).min(Duration::from_secs(60))) else {
        return;
    };
    loop {
        tokio::time::sleep(every).await;
        match server.upgrade() {
            Some(server) => server.stop_idle(),
            None => return,
        }
    }
}

/// Runs `call` on the calling session's instance, or fails with why there is none.
macro_rules! on_instance {
    ($self:ident, $ctx:ident, |$instance:ident| $call:expr) => {
        Box::pin(async move {
            match $self.instance(&$ctx).await {
                Ok($instance) => $call.await,
                Err(failure) => Ok(Err(failure)),
            }
        })
    };
}

impl Provider for SessionScoped {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::Server
    }

    fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn fixed_prefix(&self) -> Option<&str> {
        Some(&self.spec.prefix)
    }

    fn serves(&self, principal: &Principal) -> bool {
        super::server::allows(&self.spec, principal)
    }

    fn call_tool<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: &'a str,
    ) -> BoxFuture<'a, Answer<ToolResult>> {
        on_instance!(self, ctx, |instance| instance.call_tool(services, ctx.clone(), name, arguments))
    }

    fn read_resource<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        uri: &'a str,
    ) -> BoxFuture<'a, Answer<Vec<types::ResourceContents>>> {
        on_instance!(self, ctx, |instance| instance.read_resource(services, ctx.clone(), uri))
    }

    fn get_prompt<'a>(
        &'a self,
        services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<prompts::PromptResult>> {
        on_instance!(self, ctx, |instance| instance.get_prompt(services, ctx.clone(), name, arguments))
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
        on_instance!(self, ctx, |instance| instance.complete(
            services,
            ctx.clone(),
            reference,
            argument,
            value,
            context
        ))
    }
}
