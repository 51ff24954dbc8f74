//! `/api/v1/servers`: the upstream servers, their life (start, stop,
//! restart), their stderr and health, and calls to their tools. Servers
//! created here are saved in the state database and started again after a
//! restart; servers of `portcullis.toml` are listed and controlled but
//! changed only in the file.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::AdminState;
use super::audit::audit;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody, parse};
use crate::caller::{CallContext, Principal};
use crate::protocol::{CallOrigin, Detached};
use crate::providers::Provider;
use crate::state::StoredServer;
use crate::upstreams::{Launch, Secret, ServerFile, ServerSpec, State as ServerState, Upstream};
use rmcp::model::CallToolResponse;

/// A server as the API creates it (seed 004's body): exactly one of
/// `command`, `image` or `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerBody {
    /// Its name: letters, digits, `-` and `_`; its tools are published as `<name>__<tool>`.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// A program to run on the host (refused unless `[admin] allow_host_commands = true`).
    pub command: Option<String>,
    /// An image to run as a hardened container speaking MCP on stdio.
    pub image: Option<String>,
    /// The URL of a remote Streamable HTTP server.
    pub url: Option<String>,
    /// The program's arguments (or the container's command).
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables of the process or container (never shown back).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// HTTP headers for a `url` server (never shown back).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Whether it is restarted when it ends (default true).
    #[serde(default = "yes")]
    pub auto_restart: bool,
    /// Whether its container gets a network (the operator must allow networks).
    #[serde(default)]
    pub network: bool,
    /// Accepted for seed 004's clients: `stdio` (command, image) or `http` (url).
    pub transport_type: Option<String>,
}

fn yes() -> bool {
    true
}

/// What the API shows of a server. Secrets (env and header values) are redacted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServerView {
    /// Its name.
    pub name: String,
    /// What it is for (API servers only).
    pub description: String,
    /// `api` (created here, saved in the state database) or `config` (portcullis.toml).
    pub source: &'static str,
    /// `command`, `container` or `url`.
    pub kind: &'static str,
    /// The program and arguments, or the container's command.
    pub command: Vec<String>,
    /// The image, for a container.
    pub image: Option<String>,
    /// The URL, for a remote server.
    pub url: Option<String>,
    /// Environment variable (or header) names, each with `<redacted>`.
    pub env: BTreeMap<String, String>,
    /// `starting`, `running`, `restarting`, `failed` or `stopped`.
    pub state: &'static str,
    /// Why it is not running, when it is not.
    pub reason: Option<String>,
    /// Restarts since it last ran stably.
    pub restarts: u32,
    /// Whether it is restarted when it ends.
    pub auto_restart: bool,
    /// Its tools, as clients see them.
    pub tools: Vec<String>,
}

/// A server's last stderr lines.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServerLogs {
    /// The server.
    pub name: String,
    /// Its last stderr lines, oldest first.
    pub lines: Vec<String>,
}

/// A server's health.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServerHealth {
    /// The server.
    pub name: String,
    /// Whether it is running and answering.
    pub healthy: bool,
    /// Its state.
    pub state: &'static str,
    /// Why it is not running, when it is not.
    pub reason: Option<String>,
    /// Restarts since it last ran stably.
    pub restarts: u32,
}

/// A tool call through the admin API (seed 003's body).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    /// The tool, as the server names it (without the `<server>__` prefix).
    pub tool: String,
    /// Its arguments.
    #[serde(default)]
    pub arguments: serde_json::Map<String, Value>,
}

/// What a tool call answered: the MCP `CallToolResult`'s fields.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallAnswer {
    /// Content blocks (`{"type": "text", "text": …}`, …).
    #[schema(value_type = Vec<Object>)]
    pub content: Vec<Value>,
    /// Structured content, if the tool returns any.
    #[schema(value_type = Option<Object>)]
    pub structured_content: Option<Value>,
    /// Whether the tool answered with an error.
    pub is_error: bool,
}

const REDACTED: &str = "<redacted>";

impl ServerBody {
    /// The spec this body asks for, checked as a `[servers.<name>]` entry would
    /// be, and against what the operator allows the API.
    fn spec(&self, allow_host_commands: bool) -> Result<ServerSpec, ApiError> {
        let chosen = [&self.command, &self.image, &self.url].iter().filter(|o| o.is_some()).count();
        if chosen != 1 {
            return Err(ApiError::bad_request("set exactly one of `command`, `image` or `url`"));
        }
        if self.command.is_some() && !allow_host_commands {
            return Err(ApiError::forbidden(
                "`command` servers run programs on the host; the operator must set `[admin] allow_host_commands = true` to add them through the API (or use `image`)",
            ));
        }
        if !allow_host_commands
            && let Some((key, _)) =
                self.env.iter().chain(&self.headers).find(|(_, v)| v.starts_with("${") || v.starts_with("file:"))
        {
            return Err(ApiError::forbidden(format!(
                "`env`/`headers` value of `{key}` reads the host's environment or files (`${{…}}`, `file:`), which needs `[admin] allow_host_commands = true`"
            )));
        }
        match self.transport_type.as_deref() {
            None | Some("stdio") if self.url.is_none() => {}
            None | Some("http") | Some("streamable-http") if self.url.is_some() => {}
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "`transport_type` `{other}` does not fit: `stdio` for `command` and `image`, `http` for `url`"
                )));
            }
            None => {}
        }
        let mut file = json!({"env": self.env, "headers": self.headers});
        if let Some(command) = &self.command {
            file["command"] = json!(std::iter::once(command).chain(&self.args).collect::<Vec<_>>());
        }
        if let Some(image) = &self.image {
            file["image"] = json!(image);
            file["network"] = json!(self.network);
            if !self.args.is_empty() {
                file["command"] = json!(self.args);
            }
        }
        if let Some(url) = &self.url {
            file["url"] = json!(url);
        }
        if !self.auto_restart {
            file["max_restarts"] = json!(0);
        }
        let file: ServerFile =
            serde_json::from_value(file).map_err(|e| ApiError::bad_request(format!("invalid server: {e}")))?;
        file.resolve(&self.name, crate::upstreams::DEFAULT_STARTUP_TIMEOUT)
            .map_err(|e| ApiError::bad_request(e.replace("servers.", "")))
    }
}

/// The spec of a saved server, as the host starts it; a saved body that no
/// longer passes (the operator turned host commands off) is an error saying so.
pub fn stored_spec(stored: &StoredServer, allow_host_commands: bool) -> Result<ServerSpec, String> {
    let body: ServerBody = serde_json::from_value(stored.body.clone()).map_err(|e| e.to_string())?;
    body.spec(allow_host_commands).map_err(|e| e.message().to_string())
}

/// The names of `values`, each with `<redacted>` for its value.
fn redacted(values: &[(String, Secret)]) -> BTreeMap<String, String> {
    values.iter().map(|(name, _)| (name.clone(), REDACTED.to_string())).collect()
}

fn view(server: &Upstream, body: Option<&ServerBody>) -> ServerView {
    let spec = server.spec();
    let status = server.status();
    let (kind, command, image, url, env) = match &spec.launch {
        Launch::Command { argv, env, .. } => ("command", argv.clone(), None, None, redacted(env)),
        Launch::Container { image, cmd, env, .. } => {
            ("container", cmd.clone().unwrap_or_default(), Some(image.clone()), None, redacted(env))
        }
        Launch::Url { url, headers } => ("url", Vec::new(), None, Some(url.clone()), redacted(headers)),
    };
    ServerView {
        name: spec.name.clone(),
        description: body.map(|b| b.description.clone()).unwrap_or_default(),
        source: if body.is_some() { "api" } else { "config" },
        kind,
        command,
        image,
        url,
        env,
        state: status.state.as_str(),
        reason: status.reason,
        restarts: status.restarts,
        auto_restart: spec.max_restarts > 0,
        tools: server.catalog().tools.iter().map(|t| format!("{}{}", spec.prefix, t.name)).collect(),
    }
}

impl AdminState {
    fn server(&self, name: &str) -> Result<Arc<Upstream>, ApiError> {
        self.mcp.upstreams().get(name).ok_or_else(|| ApiError::not_found("server", name, "/api/v1/servers"))
    }

    async fn server_view(&self, server: &Upstream) -> ServerView {
        let bodies = self.api_servers.lock().await;
        view(server, bodies.get(server.name()))
    }

    /// Every shared server with its state, as `GET /api/v1/servers` lists them.
    pub async fn servers(&self) -> Vec<ServerView> {
        let bodies = self.api_servers.lock().await;
        self.mcp.upstreams().servers().iter().map(|s| view(s, bodies.get(s.name()))).collect()
    }

    /// Server `name` with its state.
    pub async fn server_by_name(&self, name: &str) -> Result<ServerView, ApiError> {
        let server = self.server(name)?;
        Ok(self.server_view(&server).await)
    }

    /// The last stderr lines of server `name`, oldest first.
    pub fn server_logs(&self, name: &str) -> Result<Vec<String>, ApiError> {
        Ok(self.server(name)?.stderr())
    }

    /// Carries out `life` on server `name` as `who`, recorded in the activity log.
    pub async fn server_life(&self, who: &Principal, name: &str, life: Life) -> Result<ServerView, ApiError> {
        let done = async {
            let server = self.server(name)?;
            let upstreams = self.mcp.upstreams();
            let server = match life {
                Life::Stop => {
                    upstreams.stop_server(name).await;
                    server
                }
                Life::Restart => upstreams.start_server(name, Some(server.spec().clone())).await.unwrap_or(server),
                Life::Start => upstreams.start_server(name, None).await.unwrap_or(server),
            };
            Ok(self.server_view(&server).await)
        }
        .await;
        audit(self, who, life.action(), name, &done);
        done
    }

    /// Calls tool `public` (its name as clients see it) as admin `who`,
    /// through the same policies and activity log as MCP clients.
    pub async fn call_tool(
        &self,
        who: &Principal,
        public: &str,
        arguments: &Map<String, Value>,
    ) -> Result<CallAnswer, ApiError> {
        let Some(route) = self.mcp.visible_tool(who, public).await else {
            return Err(ApiError::not_found("tool", public, "/api/v1/tools"));
        };
        let origin = CallOrigin { principal: who.clone(), session: None, transport: "admin", era: "", deadline: None };
        let cancel = CancellationToken::new();
        let _cancel_when_dropped = cancel.clone().drop_guard();
        let link = Arc::new(Detached { plane: "the admin API" });
        let call = CallContext { principal: who.clone(), session_id: None, client: Some(link), cancel };
        match self.mcp.call_tool(origin, public, &route, arguments, call, || None).await {
            Ok(CallToolResponse::Complete(result)) => Ok(CallAnswer {
                content: result.content.iter().map(|c| serde_json::to_value(c).expect("content is JSON")).collect(),
                structured_content: result.structured_content,
                is_error: result.is_error == Some(true),
            }),
            Ok(_) => Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "tool_failed",
                "the tool asked for input, which this API cannot give",
            )),
            Err(e) if e.code.0 == -32602 => Err(ApiError::bad_request(e.message.to_string())),
            Err(e) => Err(ApiError::new(StatusCode::BAD_GATEWAY, "tool_failed", e.message.to_string())),
        }
    }

    /// The saved body of API server `name`; a config server is a conflict.
    async fn api_body(&self, name: &str) -> Result<ServerBody, ApiError> {
        self.server(name)?;
        self.api_servers.lock().await.get(name).cloned().ok_or_else(|| {
            ApiError::conflict(format!("server `{name}` is defined in portcullis.toml; change or remove it there"))
        })
    }
}

/// `GET /api/v1/servers`: every shared server with its state.
#[utoipa::path(get, path = "/api/v1/servers", operation_id = "list_servers", tag = "servers", responses((status = 200, body = [ServerView])))]
pub async fn list(State(admin): State<Arc<AdminState>>) -> Json<Vec<ServerView>> {
    Json(admin.servers().await)
}

/// `POST /api/v1/servers`: creates, saves and starts a server.
#[utoipa::path(post, path = "/api/v1/servers", operation_id = "create_server", tag = "servers", request_body = ServerBody, responses(
    (status = 201, body = ServerView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    body: Bytes,
) -> Result<(StatusCode, Json<ServerView>), ApiError> {
    let body: Result<ServerBody, _> = parse(&body);
    let target = body.as_ref().map(|b| b.name.clone()).unwrap_or_default();
    let done = async {
        let body = body?;
        let spec = body.spec(admin.allow_host_commands)?;
        let mut bodies = admin.api_servers.lock().await;
        if admin.mcp.upstreams().contains(&body.name) {
            return Err(ApiError::conflict(format!("a server called `{}` exists already", body.name)));
        }
        admin.mcp.upstreams().check_room().map_err(ApiError::conflict)?;
        save(&admin, &body).await?;
        let server = admin.mcp.upstreams().add(spec).map_err(ApiError::conflict)?;
        bodies.insert(body.name.clone(), body.clone());
        Ok(view(&server, Some(&body)))
    }
    .await;
    audit(&admin, &who, "server.create", &target, &done);
    done.map(|v| (StatusCode::CREATED, Json(v)))
}

/// `GET /api/v1/servers/{name}`.
#[utoipa::path(get, path = "/api/v1/servers/{name}", operation_id = "get_server", tag = "servers", params(("name" = String, Path)),
    responses((status = 200, body = ServerView), (status = 404, body = ErrorBody)))]
pub async fn get(State(admin): State<Arc<AdminState>>, Path(name): Path<String>) -> Result<Json<ServerView>, ApiError> {
    admin.server_by_name(&name).await.map(Json)
}

/// `PUT /api/v1/servers/{name}`: replaces an API server's definition and restarts it.
#[utoipa::path(put, path = "/api/v1/servers/{name}", operation_id = "update_server", tag = "servers", params(("name" = String, Path)), request_body = ServerBody,
    responses((status = 200, body = ServerView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<ServerView>, ApiError> {
    let done = async {
        let body: ServerBody = parse(&body)?;
        if body.name != name {
            return Err(ApiError::bad_request(format!(
                "`name` is `{}` but the path names `{name}`; a server cannot be renamed",
                body.name
            )));
        }
        admin.api_body(&name).await?;
        let spec = body.spec(admin.allow_host_commands)?;
        let mut bodies = admin.api_servers.lock().await;
        save(&admin, &body).await?;
        let server = admin
            .mcp
            .upstreams()
            .start_server(&name, Some(spec))
            .await
            .ok_or_else(|| ApiError::not_found("server", &name, "/api/v1/servers"))?;
        bodies.insert(name.clone(), body.clone());
        Ok(view(&server, Some(&body)))
    };
    let done = done.await;
    audit(&admin, &who, "server.update", &name, &done);
    done.map(Json)
}

/// `DELETE /api/v1/servers/{name}`: stops an API server and forgets it.
#[utoipa::path(delete, path = "/api/v1/servers/{name}", operation_id = "delete_server", tag = "servers", params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let done = async {
        admin.api_body(&name).await?;
        let mut bodies = admin.api_servers.lock().await;
        let key = name.clone();
        admin.state().write("a deleted server", move |s| s.delete_server(&key)).await.map_err(ApiError::storage)?;
        admin.mcp.upstreams().remove(&name).await;
        bodies.remove(&name);
        Ok(())
    }
    .await;
    audit(&admin, &who, "server.delete", &name, &done);
    done.map(|()| StatusCode::NO_CONTENT)
}

async fn save(admin: &AdminState, body: &ServerBody) -> Result<(), ApiError> {
    let stored = StoredServer { name: body.name.clone(), body: serde_json::to_value(body).expect("a body is JSON") };
    admin.state().write("a server", move |s| s.put_server(&stored)).await.map_err(ApiError::storage)
}

/// `POST /api/v1/servers/{name}/start`: starts a stopped or failed server (a running one is left as it is).
#[utoipa::path(post, path = "/api/v1/servers/{name}/start", operation_id = "start_server", tag = "servers", params(("name" = String, Path)),
    responses((status = 200, body = ServerView), (status = 404, body = ErrorBody)))]
pub async fn start(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiError> {
    admin.server_life(&who, &name, Life::Start).await.map(Json)
}

/// `POST /api/v1/servers/{name}/stop`: stops a server; its tools go until it is started again.
#[utoipa::path(post, path = "/api/v1/servers/{name}/stop", operation_id = "stop_server", tag = "servers", params(("name" = String, Path)),
    responses((status = 200, body = ServerView), (status = 404, body = ErrorBody)))]
pub async fn stop(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiError> {
    admin.server_life(&who, &name, Life::Stop).await.map(Json)
}

/// `POST /api/v1/servers/{name}/restart`: stops a server and starts it again.
#[utoipa::path(post, path = "/api/v1/servers/{name}/restart", operation_id = "restart_server", tag = "servers", params(("name" = String, Path)),
    responses((status = 200, body = ServerView), (status = 404, body = ErrorBody)))]
pub async fn restart(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiError> {
    admin.server_life(&who, &name, Life::Restart).await.map(Json)
}

/// A change to a server's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Starts a stopped or failed server (a running one is left as it is).
    Start,
    /// Stops a server; its tools go until it is started again.
    Stop,
    /// Stops a server and starts it again.
    Restart,
}

impl Life {
    /// The action's name in the activity log.
    fn action(self) -> &'static str {
        match self {
            Life::Start => "server.start",
            Life::Stop => "server.stop",
            Life::Restart => "server.restart",
        }
    }
}

/// `GET /api/v1/servers/{name}/logs`: its last stderr lines.
#[utoipa::path(get, path = "/api/v1/servers/{name}/logs", operation_id = "server_logs", tag = "servers", params(("name" = String, Path)),
    responses((status = 200, body = ServerLogs), (status = 404, body = ErrorBody)))]
pub async fn logs(
    State(admin): State<Arc<AdminState>>,
    Path(name): Path<String>,
) -> Result<Json<ServerLogs>, ApiError> {
    let lines = admin.server_logs(&name)?;
    Ok(Json(ServerLogs { name, lines }))
}

/// `GET /api/v1/servers/{name}/health`: 200 when it runs, 503 when it does not.
#[utoipa::path(get, path = "/api/v1/servers/{name}/health", operation_id = "server_health", tag = "servers", params(("name" = String, Path)),
    responses((status = 200, body = ServerHealth), (status = 503, body = ServerHealth), (status = 404, body = ErrorBody)))]
pub async fn health(
    State(admin): State<Arc<AdminState>>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<ServerHealth>), ApiError> {
    let status = admin.server(&name)?.status();
    let healthy = status.state == ServerState::Running;
    let code = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok((
        code,
        Json(ServerHealth {
            name,
            healthy,
            state: status.state.as_str(),
            reason: status.reason,
            restarts: status.restarts,
        }),
    ))
}

/// `POST /api/v1/servers/{name}/call`: calls one of its tools as the admin,
/// through the same policies as MCP clients; the answer is the MCP `CallToolResult`.
#[utoipa::path(post, path = "/api/v1/servers/{name}/call", operation_id = "call_server_tool", tag = "servers", params(("name" = String, Path)), request_body = CallBody,
    responses((status = 200, body = CallAnswer),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn call(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<CallAnswer>, ApiError> {
    let server = admin.server(&name)?;
    let body: CallBody = parse(&body)?;
    let status = server.status();
    if status.state != ServerState::Running {
        return Err(ApiError::conflict(format!(
            "server `{name}` is {}; `POST /api/v1/servers/{name}/start` starts it",
            status.state.as_str()
        )));
    }
    if !server.catalog().tools.iter().any(|t| t.name == body.tool) {
        return Err(ApiError::not_found("tool", &body.tool, &format!("/api/v1/servers/{name}")));
    }
    let public = format!("{}{}", server.spec().prefix, body.tool);
    match admin.call_tool(&who, &public, &body.arguments).await {
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            Err(ApiError::not_found("tool", &body.tool, &format!("/api/v1/servers/{name}")))
        }
        done => done.map(Json),
    }
}
