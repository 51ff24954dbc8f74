//! One upstream server as a [`Provider`]: its connection, its catalog, and
//! the supervisor that starts it, restarts it with backoff when it dies
//! (within a crash budget), and stops it.
//!
//! One session per server stays open and serves every call. While a server
//! restarts its catalog stays published, so clients do not see its tools
//! vanish and come back; calls meanwhile fail at once with a tool error that
//! names the server and its state.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use rmcp::model::{
    CallToolRequestParams, CancelledNotificationParam, ClientRequest, GetPromptRequestParams, JsonObject,
    ReadResourceRequestParams, Request, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, RoleClient, ServiceError};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::config::ServerSpec;
use super::convert;
use super::launch;
use super::link::{InFlight, Link};
use crate::caller::{CallContext, Principal};
use crate::plugins::{Catalog, HostServices};
use crate::providers::{Answer, Change, Provider, ProviderKind, Registry, ToolResult};
use crate::wit::{completions, prompts, types};

/// How many of a server's last stderr lines are kept for its status.
const STDERR_LINES: usize = 20;

/// A run this long counts as stable: the restart count starts again.
const STABLE_RUN: Duration = Duration::from_secs(60);

/// Where a server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Being started (the first time).
    Starting,
    /// Connected and serving.
    Running,
    /// Waiting to start again after it ended.
    Restarting,
    /// Ended too often; not started again.
    Failed,
    /// Stopped by the host.
    Stopped,
}

impl State {
    /// The name used in statuses, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Running => "running",
            State::Restarting => "restarting",
            State::Failed => "failed",
            State::Stopped => "stopped",
        }
    }
}

/// A server's state, why it is in it, and how often it was restarted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Its state.
    pub state: State,
    /// Why it is not running, when it is not.
    pub reason: Option<String>,
    /// Restarts since it last ran stably.
    pub restarts: u32,
}

/// The last lines a server wrote to stderr.
#[derive(Default)]
pub(super) struct StderrTail {
    lines: Mutex<VecDeque<String>>,
    /// Set while a process's stderr is being read; cleared at its end.
    reading: watch::Sender<bool>,
}

/// How long a failed start waits for the rest of the process's stderr.
const STDERR_SETTLE: Duration = Duration::from_millis(500);

impl StderrTail {
    /// Marks a process's stderr as being read, until [`StderrTail::ended`].
    pub(super) fn reading(&self) {
        self.reading.send_replace(true);
    }

    /// The stderr being read has ended.
    pub(super) fn ended(&self) {
        self.reading.send_replace(false);
    }

    /// Waits (briefly) until the stderr being read has ended, so a failure's
    /// reason holds what the process said last.
    async fn settle(&self) {
        let mut reading = self.reading.subscribe();
        let _ = tokio::time::timeout(STDERR_SETTLE, reading.wait_for(|r| !r)).await;
    }

    /// Keeps `line` (cut to 500 characters), dropping the oldest beyond [`STDERR_LINES`].
    pub(super) fn push(&self, line: &str) {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == STDERR_LINES {
            lines.pop_front();
        }
        lines.push_back(line.chars().take(500).collect());
    }

    fn text(&self) -> String {
        self.lines().join("\n")
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }
}

/// An upstream server.
pub struct Upstream {
    spec: ServerSpec,
    services: Arc<HostServices>,
    /// Whether it publishes itself in the registry (a session's own
    /// instance does not: its session-scoped server is published instead).
    published: bool,
    status: watch::Sender<Status>,
    peer: RwLock<Option<Peer<RoleClient>>>,
    catalog: RwLock<Arc<Catalog>>,
    in_flight: Arc<InFlight>,
    stderr: Arc<StderrTail>,
    stop: CancellationToken,
}

impl Upstream {
    /// Starts supervising server `spec`; its tools join the services'
    /// registry once it has answered when `published`. Returns at once.
    pub fn start(spec: ServerSpec, services: Arc<HostServices>, published: bool) -> Arc<Upstream> {
        let initial = Status { state: State::Starting, reason: None, restarts: 0 };
        let server = Arc::new(Upstream {
            spec,
            services,
            published,
            status: watch::channel(initial).0,
            peer: RwLock::new(None),
            catalog: RwLock::default(),
            in_flight: Arc::default(),
            stderr: Arc::default(),
            stop: CancellationToken::new(),
        });
        tokio::spawn(supervise(server.clone()));
        server
    }

    /// How it was configured.
    pub fn spec(&self) -> &ServerSpec {
        &self.spec
    }

    /// The last lines it wrote to stderr, oldest first.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lines()
    }

    /// Its state now.
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Waits until it is in a state `until` accepts, and returns that status.
    pub async fn wait_for(&self, until: impl Fn(&Status) -> bool) -> Status {
        let mut watching = self.status.subscribe();
        let status = watching.wait_for(|s| until(s)).await.map(|s| s.clone());
        status.unwrap_or_else(|_| self.status())
    }

    /// Stops it: the connection is closed and a child process or container ended.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    pub(super) fn registry(&self) -> &Registry {
        &self.services.registry
    }

    /// Reads its catalog again after it said `change`, and republishes it.
    pub(super) async fn refresh(&self, change: Change) {
        let Some(peer) = self.peer() else { return };
        match read_catalog(&peer).await {
            Ok(catalog) => {
                *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(catalog);
                if self.published {
                    self.registry().refresh(change);
                }
            }
            Err(e) => tracing::warn!(server = self.name(), "could not read the changed catalog: {e}"),
        }
    }

    fn peer(&self) -> Option<Peer<RoleClient>> {
        self.peer.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, state: State, reason: Option<String>, restarts: u32) {
        let status = Status { state, reason, restarts };
        match &status.reason {
            Some(reason) => tracing::warn!(server = self.name(), state = state.as_str(), "{reason}"),
            None => tracing::info!(server = self.name(), state = state.as_str(), "upstream server"),
        }
        self.status.send_replace(status);
    }

    /// Sends `request` on behalf of `ctx`'s client: its progress comes back
    /// to that client, and its cancellation reaches the server.
    async fn request(&self, ctx: &CallContext, request: ClientRequest) -> Result<ServerResult, types::Failure> {
        let Some(peer) = self.peer() else {
            let status = self.status();
            let why = status.reason.map(|r| format!(": {r}")).unwrap_or_default();
            return Err(types::Failure::Failed(format!(
                "server `{}` is {}{why}; try again once it is running",
                self.name(),
                status.state.as_str()
            )));
        };
        let handle = peer
            .send_cancellable_request(request, PeerRequestOptions::no_options())
            .await
            .map_err(|e| self.failure(e))?;
        let _in_flight = ctx.client.clone().map(|link| self.in_flight.enter(handle.progress_token.clone(), link));
        let id = handle.id.clone();
        tokio::select! {
            answer = handle.await_response() => answer.map_err(|e| self.failure(e)),
            () = ctx.cancel.cancelled() => {
                let cancelled = CancelledNotificationParam::new(Some(id), Some("cancelled by the client".into()));
                let _ = peer.notify_cancelled(cancelled).await;
                Err(types::Failure::Failed(format!("the call to server `{}` was cancelled", self.name())))
            }
        }
    }

    fn failure(&self, error: ServiceError) -> types::Failure {
        let name = self.name();
        match error {
            ServiceError::McpError(e) if e.code.0 == -32602 => types::Failure::InvalidParams(e.message.into()),
            ServiceError::McpError(e) if matches!(e.code.0, -32601 | -32002) => {
                types::Failure::NotFound(e.message.into())
            }
            ServiceError::McpError(e) => types::Failure::Failed(format!("server `{name}`: {}", e.message)),
            other => types::Failure::Failed(format!("server `{name}` did not answer: {other}")),
        }
    }
}

/// Whether `spec`'s `principals` globs let `principal` see and call it.
pub(super) fn allows(spec: &ServerSpec, principal: &Principal) -> bool {
    spec.principals.is_empty() || spec.principals.iter().any(|pattern| plugin_kit::glob(pattern, principal.as_str()))
}

/// Maps a server's answer of the wrong kind to a failure.
fn unexpected(server: &str, what: &str) -> types::Failure {
    types::Failure::Failed(format!("server `{server}` answered a {what} request with something else"))
}

impl Provider for Upstream {
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
        allows(&self.spec, principal)
    }

    fn call_tool<'a>(
        &'a self,
        _services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: &'a str,
    ) -> BoxFuture<'a, Answer<ToolResult>> {
        Box::pin(async move {
            // The host passes the text of a JSON object.
            let arguments: JsonObject = serde_json::from_str(arguments).unwrap_or_default();
            let params = CallToolRequestParams::new(name.to_string()).with_arguments(arguments);
            let answer = self.request(&ctx, ClientRequest::CallToolRequest(Request::new(params))).await;
            Ok(answer.and_then(|result| match result {
                ServerResult::CallToolResult(result) => Ok(ToolResult::Mcp(result)),
                _ => Err(unexpected(self.name(), "tools/call")),
            }))
        })
    }

    fn read_resource<'a>(
        &'a self,
        _services: &'a Arc<HostServices>,
        ctx: CallContext,
        uri: &'a str,
    ) -> BoxFuture<'a, Answer<Vec<types::ResourceContents>>> {
        Box::pin(async move {
            let params = ReadResourceRequestParams::new(uri);
            let answer = self.request(&ctx, ClientRequest::ReadResourceRequest(Request::new(params))).await;
            Ok(answer.and_then(|result| match result {
                ServerResult::ReadResourceResult(result) => {
                    convert::read_result(&result).map_err(types::Failure::Failed)
                }
                _ => Err(unexpected(self.name(), "resources/read")),
            }))
        })
    }

    fn get_prompt<'a>(
        &'a self,
        _services: &'a Arc<HostServices>,
        ctx: CallContext,
        name: &'a str,
        arguments: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<prompts::PromptResult>> {
        Box::pin(async move {
            let arguments: JsonObject = arguments.into_iter().map(|(k, v)| (k, v.into())).collect();
            let params = GetPromptRequestParams::new(name).with_arguments(arguments);
            let answer = self.request(&ctx, ClientRequest::GetPromptRequest(Request::new(params))).await;
            Ok(answer.and_then(|result| match result {
                ServerResult::GetPromptResult(result) => {
                    convert::prompt_result(&result).map_err(types::Failure::Failed)
                }
                _ => Err(unexpected(self.name(), "prompts/get")),
            }))
        })
    }

    fn complete<'a>(
        &'a self,
        _services: &'a Arc<HostServices>,
        ctx: CallContext,
        reference: completions::Reference,
        argument: &'a str,
        value: &'a str,
        context: Vec<(String, String)>,
    ) -> BoxFuture<'a, Answer<completions::Completion>> {
        Box::pin(async move {
            let reference = match reference {
                completions::Reference::Prompt(name) => json!({"type": "ref/prompt", "name": name}),
                completions::Reference::ResourceTemplate(uri) => json!({"type": "ref/resource", "uri": uri}),
            };
            let arguments: serde_json::Map<String, Value> = context.into_iter().map(|(k, v)| (k, v.into())).collect();
            let params = json!({
                "ref": reference,
                "argument": {"name": argument, "value": value},
                "context": {"arguments": arguments},
            });
            let request = serde_json::from_value(json!({"method": "completion/complete", "params": params}))
                .map_err(|e| types::Failure::InvalidParams(format!("invalid completion/complete parameters: {e}")));
            let answer = match request {
                Ok(request) => self.request(&ctx, request).await,
                Err(invalid) => Err(invalid),
            };
            Ok(answer.and_then(|result| match result {
                ServerResult::CompleteResult(result) => Ok(convert::completion(&result)),
                _ => Err(unexpected(self.name(), "completion/complete")),
            }))
        })
    }
}

/// What a server offers, read in full.
async fn read_catalog(peer: &Peer<RoleClient>) -> Result<Catalog, ServiceError> {
    let capabilities = peer.peer_info().map(|info| info.capabilities.clone()).unwrap_or_default();
    let mut catalog = Catalog::default();
    if capabilities.tools.is_some() {
        catalog.tools = peer.list_all_tools().await?.iter().map(convert::tool).collect();
    }
    if capabilities.resources.is_some() {
        catalog.resources = peer.list_all_resources().await?.iter().map(convert::resource).collect();
        catalog.templates = peer.list_all_resource_templates().await?.iter().map(convert::resource_template).collect();
    }
    if capabilities.prompts.is_some() {
        catalog.prompts = peer.list_all_prompts().await?.iter().map(convert::prompt).collect();
    }
    catalog.completions = capabilities.completions.is_some();
    Ok(catalog)
}

/// The delay before restart number `restarts` (from 1): 1 s, doubling, at most 30 s.
fn backoff(restarts: u32) -> Duration {
    Duration::from_secs(1u64 << restarts.saturating_sub(1).min(5)).min(Duration::from_secs(30))
}

/// Runs `server` until it is stopped or has failed too often.
async fn supervise(server: Arc<Upstream>) {
    let mut restarts = 0;
    let mut published = false;
    loop {
        let link = Link { server: Arc::downgrade(&server), in_flight: server.in_flight.clone() };
        let timeout = server.spec.startup_timeout;
        let connected = tokio::select! {
            () = server.stop.cancelled() => break,
            connected = tokio::time::timeout(timeout, launch::connect(&server.spec, &server.services, link, server.stderr.clone())) => connected,
        };
        let reason = match connected {
            Err(_) => format!("it did not answer `initialize` within {} s", timeout.as_secs()),
            Ok(Err(e)) => format!("it could not be started: {e:#}"),
            Ok(Ok(connection)) => {
                let launch::Connection { service, _container } = connection;
                let started = Instant::now();
                match read_catalog(service.peer()).await {
                    Ok(catalog) => {
                        *server.catalog.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(catalog);
                        *server.peer.write().unwrap_or_else(|p| p.into_inner()) = Some(service.peer().clone());
                        server.set(State::Running, None, restarts);
                        if server.published && published {
                            server.registry().refresh(Change::Tools);
                        } else if server.published {
                            server.registry().insert_server(server.clone());
                            published = true;
                        }
                        let cancel = service.cancellation_token();
                        let stop = server.stop.clone();
                        let ended = tokio::spawn(async move {
                            stop.cancelled().await;
                            cancel.cancel();
                        });
                        let quit = service.waiting().await;
                        ended.abort();
                        *server.peer.write().unwrap_or_else(|p| p.into_inner()) = None;
                        if server.stop.is_cancelled() {
                            break;
                        }
                        if started.elapsed() >= STABLE_RUN {
                            restarts = 0;
                        }
                        format!("its connection ended ({quit:?})")
                    }
                    Err(e) => format!("it answered `initialize` but not the listing of its catalog: {e}"),
                }
            }
        };
        server.stderr.settle().await;
        let stderr = server.stderr.text();
        let reason = if stderr.is_empty() { reason } else { format!("{reason}; its last stderr lines:\n{stderr}") };
        restarts += 1;
        if restarts > server.spec.max_restarts {
            let limit = server.spec.max_restarts;
            let reason =
                format!("{reason}\n(gave up after {limit} restarts; `servers.{}.max_restarts`)", server.name());
            server.set(State::Failed, Some(reason), restarts - 1);
            return;
        }
        server.set(State::Restarting, Some(reason), restarts);
        tokio::select! {
            () = server.stop.cancelled() => break,
            () = tokio::time::sleep(backoff(restarts)) => {}
        }
    }
    server.set(State::Stopped, None, restarts);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_back_off_from_one_second_to_thirty() {
        let delays: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
