//! [`McpSession`]: rmcp's `ServerHandler` over the plugin registry.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::*;
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::json;
use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

use super::activity::{CallOrigin, ResponseDeadline};
use super::changes;
use super::client_link::{Interruption, LogFilter, RequestLink};
use super::convert;
use super::metrics::Metrics;
use super::request_state::StateSigner;
use super::sessions::{SessionEntry, SessionIndex, SessionInfo};
use super::task_call;
use super::tasks::{Resume, Tasks};
use crate::caller::{CallContext, Principal};
use crate::config::TasksConfig;
use crate::plugins::{HostServices, PluginFault};
use crate::providers::Snapshot;
use crate::state::StateDb;
use crate::upstreams::Upstreams;
use crate::wit::{completions, tools, types};

/// The MCP tool list converted from one registry snapshot.
type ToolCache = (Arc<Snapshot>, Arc<Vec<Tool>>);

/// State shared by every session: the host services and caches derived from
/// the current registry snapshot.
pub struct McpState {
    services: Arc<HostServices>,
    upstreams: Upstreams,
    signer: StateSigner,
    tools: Mutex<Option<ToolCache>>,
    metrics: Metrics,
    in_flight: TaskTracker,
    state: Arc<StateDb>,
    sessions: SessionIndex,
    tasks: Arc<Tasks>,
}

impl McpState {
    /// Shared state over `services`, the upstream servers and the state
    /// database, keeping tasks as `tasks` says.
    pub fn new(
        services: Arc<HostServices>,
        upstreams: Upstreams,
        state: Arc<StateDb>,
        tasks: TasksConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            services,
            upstreams,
            signer: StateSigner::default(),
            tools: Mutex::new(None),
            metrics: Metrics::new(&state),
            in_flight: TaskTracker::new(),
            tasks: Arc::new(Tasks::new(tasks, state.clone())),
            state,
            sessions: SessionIndex::default(),
        })
    }

    /// The tasks of every principal.
    pub fn tasks(&self) -> &Arc<Tasks> {
        &self.tasks
    }

    /// How a call through `link` must end instead of with the plugin's
    /// answer, if it must (see [`RequestLink::interruption`]).
    pub(super) fn interrupted<T: From<InputRequiredResult>>(&self, link: &RequestLink) -> Option<Result<T, ErrorData>> {
        link.interruption(&self.signer).map(|i| match i {
            Interruption::InputRequired(input) => Ok(input.into()),
            Interruption::Error(error) => Err(error),
        })
    }

    /// The state database (and its activity log).
    pub fn state(&self) -> &Arc<StateDb> {
        &self.state
    }

    /// The live sessions, by id.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.sessions.list()
    }

    /// The principals owning containers or session-scoped servers in session `id`.
    pub fn session_owners(&self, id: &str) -> Vec<Principal> {
        self.sessions.owners(id)
    }

    /// Ends session `id` for the operator: its containers and session-scoped
    /// servers are released and its further calls refused. Whether it was live.
    pub fn end_session(&self, id: &str) -> bool {
        let Some(entry) = self.sessions.remove(id) else { return false };
        for principal in entry.end() {
            self.session_ended(principal, id);
        }
        true
    }

    /// The host services.
    pub fn services(&self) -> &Arc<HostServices> {
        &self.services
    }

    /// The upstream servers.
    pub fn upstreams(&self) -> &Upstreams {
        &self.upstreams
    }

    /// The host's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Marks work in flight (a call into a plugin, a response still being
    /// sent) until the token is dropped; [`drain`](Self::drain) waits for it.
    pub fn track(&self) -> TaskTrackerToken {
        self.in_flight.token()
    }

    /// Waits until no work is in flight, for at most `bound`; returns whether
    /// everything finished. Work that starts meanwhile is waited for too.
    pub async fn drain(&self, bound: Duration) -> bool {
        self.in_flight.close();
        tokio::time::timeout(bound, self.in_flight.wait()).await.is_ok()
    }

    /// Counts a plugin fault, then hands it on.
    pub(super) fn fault(&self, fault: PluginFault) -> PluginFault {
        self.metrics.fault(&fault);
        fault
    }

    /// The MCP tool list of `snapshot`, converted once per snapshot. Tools
    /// whose schemas are not JSON objects are left out, with a warning.
    pub(super) fn tool_list(&self, snapshot: &Arc<Snapshot>) -> Arc<Vec<Tool>> {
        let mut cache = self.tools.lock().unwrap();
        if let Some((cached, tools)) = &*cache
            && Arc::ptr_eq(cached, snapshot)
        {
            return tools.clone();
        }
        let tools: Vec<Tool> = snapshot
            .tools()
            .iter()
            .filter_map(|(name, route)| match convert::tool(name, &route.tool) {
                Ok(tool) => Some(tool),
                Err(e) => {
                    tracing::warn!(plugin = route.provider.name(), tool = name, "tool left out: {e}");
                    None
                }
            })
            .collect();
        let tools = Arc::new(tools);
        *cache = Some((snapshot.clone(), tools.clone()));
        tools
    }

    /// Called when a session ends: whatever `principal` owns in it is released.
    fn session_ended(&self, principal: Principal, session_id: &str) {
        self.upstreams.end_session(&principal, session_id);
        for plugin in self.services.registry.snapshot().plugins().values() {
            plugin.end_session(&principal, session_id);
        }
        if let Some(docker) = self.services.docker.clone() {
            let session_id = session_id.to_string();
            tokio::spawn(async move { docker.end_session(&principal, &session_id).await });
        }
    }
}

/// One MCP connection (or stateless request) to the host.
pub struct McpSession {
    state: Arc<McpState>,
    session_id: String,
    log_level: Mutex<Option<LoggingLevel>>,
    subscribed: Arc<Mutex<BTreeSet<String>>>,
    /// Whether the client initialized this session (counted as live).
    initialized: AtomicBool,
    /// Its entry in the session index (listed once initialized).
    entry: Arc<SessionEntry>,
    alive: CancellationToken,
    _end: DropGuard,
}

impl McpSession {
    /// A new session with a fresh random id.
    pub fn new(state: Arc<McpState>) -> Self {
        let alive = CancellationToken::new();
        let session_id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            state,
            entry: SessionEntry::new(session_id.clone()),
            session_id,
            log_level: Mutex::new(None),
            subscribed: Default::default(),
            initialized: AtomicBool::new(false),
            _end: alive.clone().drop_guard(),
            alive,
        }
    }

    /// The session's id, which owns its containers.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The call context of a request: its principal, session, client link and
    /// cancellation. Stateless HTTP requests belong to no session unless a
    /// tool names one.
    /// Refused once the operator ended the session.
    fn call_context(&self, ctx: &RequestContext<RoleServer>, link: Arc<RequestLink>) -> Result<CallContext, ErrorData> {
        let stateless = is_stateless(ctx);
        let principal = self.principal(ctx);
        if !stateless && !self.entry.claim(&principal) {
            return Err(ErrorData::invalid_request("the operator ended this session; start a new one", None));
        }
        Ok(CallContext {
            principal,
            session_id: (!stateless).then(|| self.session_id.clone()),
            client: Some(link),
            cancel: ctx.ct.clone(),
        })
    }

    /// Who made a request and how, for the activity log.
    fn origin(&self, ctx: &RequestContext<RoleServer>) -> CallOrigin {
        CallOrigin {
            principal: self.principal(ctx),
            session: (!is_stateless(ctx)).then(|| self.session_id.clone()),
            transport: transport(&ctx.extensions),
            era: if is_modern(ctx) { "2026-07-28" } else { "initialize" },
            deadline: ctx
                .extensions
                .get::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<ResponseDeadline>())
                .cloned(),
        }
    }

    /// Who sent a request: the local user on stdio, else the authenticated
    /// principal over HTTP, else an anonymous one (see [`Principal`]).
    fn principal(&self, ctx: &RequestContext<RoleServer>) -> Principal {
        match ctx.extensions.get::<http::request::Parts>() {
            None => Principal::local(),
            Some(parts) => match parts.extensions.get::<Principal>() {
                Some(authenticated) => authenticated.clone(),
                None if is_stateless(ctx) => Principal::anonymous(),
                None => Principal::anonymous_session(&self.session_id),
            },
        }
    }

    /// The client link of a request. `binding` names the request (method and
    /// target) for input-required round trips.
    fn link(
        &self,
        ctx: &RequestContext<RoleServer>,
        binding: String,
        state: Option<&str>,
        answers: Option<&InputResponses>,
    ) -> Result<Arc<RequestLink>, ErrorData> {
        let modern = is_modern(ctx);
        let level = if modern { ctx.meta.log_level() } else { *self.log_level.lock().unwrap() };
        let filter = match level {
            Some(level) => LogFilter::AtLeast(level),
            None if modern => LogFilter::Nothing,
            None => LogFilter::All,
        };
        let link = if modern {
            RequestLink::replay(ctx, filter, &self.state.signer, binding, state, answers)?
        } else {
            RequestLink::session(ctx, filter)
        };
        Ok(Arc::new(link))
    }
}

impl Drop for McpSession {
    fn drop(&mut self) {
        if self.initialized.load(Ordering::Relaxed) {
            self.state.metrics.sessions(-1);
        }
        self.state.sessions.remove(&self.session_id);
        for principal in self.entry.end() {
            self.state.session_ended(principal, &self.session_id);
        }
    }
}

/// The transport a request came through: stdio has no HTTP parts, legacy
/// SSE posts to `/messages`, Streamable HTTP to `/mcp`.
fn transport(extensions: &Extensions) -> &'static str {
    match extensions.get::<http::request::Parts>() {
        None => "stdio",
        Some(parts) if parts.uri.path().starts_with("/mcp") => "http",
        Some(_) => "sse",
    }
}

/// Whether the request is a stateless 2026-07-28 HTTP request.
fn is_stateless(ctx: &RequestContext<RoleServer>) -> bool {
    is_modern(ctx) && ctx.extensions.get::<http::request::Parts>().is_some()
}

/// Whether the request follows the 2026-07-28 revision (no `initialize`).
fn is_modern(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.protocol_version().is_some_and(|v| !v.has_initialize())
}

fn unknown(kind: &str, name: &str, list: &str) -> ErrorData {
    ErrorData::invalid_params(format!("unknown {kind} `{name}`; call {list} to see what is available"), None)
}

/// The requests rmcp decodes into typed params: one that reaches
/// [`ServerHandler::on_custom_request`] under such a name had params that do
/// not decode.
const TYPED_REQUESTS: [&str; 16] = [
    InitializeResultMethod::VALUE,
    DiscoverRequestMethod::VALUE,
    CompleteRequestMethod::VALUE,
    SetLevelRequestMethod::VALUE,
    GetPromptRequestMethod::VALUE,
    ListPromptsRequestMethod::VALUE,
    ListResourcesRequestMethod::VALUE,
    ListResourceTemplatesRequestMethod::VALUE,
    ReadResourceRequestMethod::VALUE,
    SubscribeRequestMethod::VALUE,
    UnsubscribeRequestMethod::VALUE,
    CallToolRequestMethod::VALUE,
    ListToolsRequestMethod::VALUE,
    GetTaskMethod::VALUE,
    UpdateTaskMethod::VALUE,
    CancelTaskMethod::VALUE,
];

/// The typed requests the 2026-07-28 revision removed: unknown methods there
/// (`-32601`, and 404 over HTTP), whatever their params.
const REMOVED_IN_2026: [&str; 4] = [
    InitializeResultMethod::VALUE,
    SetLevelRequestMethod::VALUE,
    SubscribeRequestMethod::VALUE,
    UnsubscribeRequestMethod::VALUE,
];

impl ServerHandler for McpSession {
    fn get_info(&self) -> ServerInfo {
        ServerInfo::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_resources_list_changed()
                .enable_prompts()
                .enable_prompts_list_changed()
                .enable_completions()
                .enable_logging()
                .enable_tasks()
                .build(),
        )
        .with_server_info(Implementation::new("portcullis", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Portcullis serves tools from WebAssembly plugins. Tools named `plugin__tool` come from the plugin \
             named before the double underscore (two plugins offer a tool of that name).",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.state.visible_tools(&self.principal(&ctx)).await.1))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let snapshot = self.state.services.registry.snapshot();
        self.state.tool_list(&snapshot).iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(route) = self.state.visible_tool(&self.principal(&ctx), &request.name).await else {
            return Err(unknown("tool", &request.name, "tools/list"));
        };
        let capabilities = ctx.client_capabilities().unwrap_or_default();
        let task_support = route.tool.task_support;
        if task_support == tools::TaskSupport::Required && !capabilities.supports_tasks() {
            return Err(ErrorData::missing_required_client_capability(
                ClientCapabilities::builder().enable_tasks().build(),
            ));
        }
        let binding = format!("tools/call:{}", request.name);
        let link =
            self.link(&ctx, binding.clone(), request.request_state.as_deref(), request.input_responses.as_ref())?;
        let call = self.call_context(&ctx, link.clone())?;
        let arguments = request.arguments.take().unwrap_or_default();
        let origin = self.origin(&ctx);
        if task_support == tools::TaskSupport::Forbidden || !capabilities.supports_tasks() {
            return self
                .state
                .call_tool(origin, &request.name, &route, &arguments, call, || self.state.interrupted(&link))
                .await;
        }
        let session_id = call.session_id.clone();
        let resume = Resume { name: request.name.into(), arguments, origin, session_id, capabilities, binding };
        task_call::call_tool(&self.state, route, resume, call, link, ctx.ct.clone()).await
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        self.state.tasks.get(&self.principal(&ctx), &request.task_id).map(GetTaskResult::new)
    }

    async fn update_task(&self, request: UpdateTaskParams, ctx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        let principal = self.principal(&ctx);
        if let Some(rerun) = self.state.tasks.answer(&principal, &request.task_id, request.input_responses)? {
            task_call::rerun(&self.state, principal, &request.task_id, rerun);
        }
        Ok(())
    }

    async fn cancel_task(&self, request: CancelTaskParams, ctx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        self.state.tasks.cancel(&self.principal(&ctx), &request.task_id)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let snapshot = self.state.services.registry.loaded_snapshot().await;
        let principal = self.principal(&ctx);
        let visible = snapshot.resources().values().filter(|(p, _)| p.serves(&principal));
        let resources = visible.map(|(_, r)| convert::resource(r)).collect::<Result<_, _>>()?;
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let snapshot = self.state.services.registry.loaded_snapshot().await;
        let principal = self.principal(&ctx);
        let visible = snapshot.templates().iter().filter(|(p, _)| p.serves(&principal));
        let templates = visible.map(|(_, t)| convert::resource_template(t)).collect::<Result<_, _>>()?;
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let snapshot = self.state.services.registry.loaded_snapshot().await;
        let not_found = || {
            ErrorData::resource_not_found(
                format!("no resource at `{}`", request.uri),
                Some(json!({"uri": request.uri})),
            )
        };
        let principal = self.principal(&ctx);
        let plugin = snapshot.resource_owner(&request.uri).filter(|p| p.serves(&principal)).ok_or_else(not_found)?;
        let _in_flight = self.state.track();
        let binding = format!("resources/read:{}", request.uri);
        let link = self.link(&ctx, binding, request.request_state.as_deref(), request.input_responses.as_ref())?;
        let call = self.call_context(&ctx, link.clone())?;
        let outcome = plugin.read_resource(&self.state.services, call, &request.uri).await;
        if let Some(interrupted) = self.state.interrupted(&link) {
            return interrupted;
        }
        match outcome {
            Ok(Ok(contents)) => Ok(convert::read_result(&contents)?.into()),
            Ok(Err(types::Failure::NotFound(_))) => Err(not_found()),
            Ok(Err(failure)) => Err(convert::failure(failure)),
            Err(fault) => Err(convert::fault(self.state.fault(fault))),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscribed.lock().unwrap().insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscribed.lock().unwrap().remove(&request.uri);
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let snapshot = self.state.services.registry.loaded_snapshot().await;
        let principal = self.principal(&ctx);
        let visible = snapshot.prompts().iter().filter(|(_, r)| r.provider.serves(&principal));
        let prompts = visible.map(|(name, r)| convert::prompt(name, &r.prompt)).collect::<Result<_, _>>()?;
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let snapshot = self.state.services.registry.loaded_snapshot().await;
        let principal = self.principal(&ctx);
        let Some(route) = snapshot.prompts().get(&request.name).filter(|r| r.provider.serves(&principal)) else {
            return Err(unknown("prompt", &request.name, "prompts/list"));
        };
        let missing: Vec<&str> = route
            .prompt
            .arguments
            .iter()
            .filter(|a| a.required && request.arguments.as_ref().is_none_or(|m| !m.contains_key(&a.name)))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(ErrorData::invalid_params(format!("missing required arguments: {}", missing.join(", ")), None));
        }
        let _in_flight = self.state.track();
        let arguments = convert::string_pairs(request.arguments.as_ref());
        let binding = format!("prompts/get:{}", request.name);
        let link = self.link(&ctx, binding, request.request_state.as_deref(), request.input_responses.as_ref())?;
        let call = self.call_context(&ctx, link.clone())?;
        let outcome = route.provider.get_prompt(&self.state.services, call, &route.prompt.name, arguments).await;
        if let Some(interrupted) = self.state.interrupted(&link) {
            return interrupted;
        }
        match outcome {
            Ok(Ok(result)) => Ok(convert::prompt_result(&result)?.into()),
            Ok(Err(failure)) => Err(convert::failure(failure)),
            Err(fault) => Err(convert::fault(self.state.fault(fault))),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let snapshot = self.state.services.registry.loaded_snapshot().await;
        let principal = self.principal(&ctx);
        let (plugin, reference) = match &request.r#ref {
            Reference::Prompt(p) => {
                let route = snapshot
                    .prompts()
                    .get(&p.name)
                    .filter(|r| r.provider.serves(&principal))
                    .ok_or_else(|| unknown("prompt", &p.name, "prompts/list"))?;
                (route.provider.clone(), completions::Reference::Prompt(route.prompt.name.clone()))
            }
            Reference::Resource(r) => {
                let (plugin, _) = snapshot
                    .templates()
                    .iter()
                    .find(|(owner, t)| t.uri_template == r.uri && owner.serves(&principal))
                    .ok_or_else(|| unknown("resource template", &r.uri, "resources/templates/list"))?;
                (plugin.clone(), completions::Reference::ResourceTemplate(r.uri.clone()))
            }
            _ => return Err(ErrorData::invalid_params("unsupported completion reference", None)),
        };
        if !plugin.catalog().completions {
            return Ok(CompleteResult::default());
        }
        let _in_flight = self.state.track();
        let context: Vec<(String, String)> = request.context.and_then(|c| c.arguments).into_iter().flatten().collect();
        let link = self.link(&ctx, "completion/complete".into(), None, None)?;
        let call = self.call_context(&ctx, link)?;
        let argument = &request.argument;
        match plugin.complete(&self.state.services, call, reference, &argument.name, &argument.value, context).await {
            Ok(Ok(completion)) => convert::completion(&completion),
            Ok(Err(failure)) => Err(convert::failure(failure)),
            Err(fault) => Err(convert::fault(self.state.fault(fault))),
        }
    }

    /// A known method whose params did not decode is `-32602`; any other is
    /// `-32601`.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let method = request.method;
        let removed = is_modern(&ctx) && REMOVED_IN_2026.contains(&method.as_str());
        if TYPED_REQUESTS.contains(&method.as_str()) && !removed {
            Err(ErrorData::invalid_params(format!("the params of `{method}` do not match its schema"), None))
        } else {
            Err(ErrorData::new(ErrorCode::METHOD_NOT_FOUND, format!("unknown method `{method}`"), None))
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self.log_level.lock().unwrap() = Some(request.level);
        Ok(())
    }

    async fn on_initialized(&self, ctx: NotificationContext<RoleServer>) {
        if !self.initialized.swap(true, Ordering::Relaxed) {
            self.state.metrics.sessions(1);
            let client = ctx.peer.peer_info().map(|i| (i.client_info.name.clone(), i.client_info.version.clone()));
            let principal = match ctx.extensions.get::<http::request::Parts>() {
                None => Principal::local(),
                Some(parts) => parts
                    .extensions
                    .get::<Principal>()
                    .cloned()
                    .unwrap_or_else(|| Principal::anonymous_session(&self.session_id)),
            };
            self.entry.describe(transport(&ctx.extensions), principal, client);
            self.state.sessions.insert(self.entry.clone());
        }
        let changes = self.state.services.registry.subscribe();
        let forward = changes::forward_to_peer(changes, ctx.peer, self.subscribed.clone(), self.alive.clone());
        tokio::spawn(forward);
    }

    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    async fn listen(&self, ctx: SubscriptionContext) -> Result<(), ErrorData> {
        // A stream opened during the first load starts when it is done, with
        // one announcement of each list: they have just come into being.
        let registry = &self.state.services.registry;
        let opened_while_loading = !registry.is_loaded();
        registry.loaded_snapshot().await;
        let changes = registry.subscribe();
        if opened_while_loading {
            let sink = ctx.sink();
            let _ = sink.notify_tool_list_changed().await;
            let _ = sink.notify_prompt_list_changed().await;
            let _ = sink.notify_resource_list_changed().await;
        }
        let stop = self.alive.child_token();
        let request = ctx.request_context();
        let tasks = async {
            if request.client_capabilities().is_some_and(|c| c.supports_tasks()) {
                let (owner, peer, id) = (self.principal(request), request.peer.clone(), request.id.clone());
                changes::forward_tasks_to_listener(self.state.tasks.changes(), owner, peer, id).await;
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            _ = ctx.cancelled() => {}
            _ = changes::forward_to_listener(changes, ctx.sink(), stop) => {}
            _ = tasks => {}
        }
        Ok(())
    }
}
