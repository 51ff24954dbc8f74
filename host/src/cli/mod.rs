//! The operator's commands against a running host, over its admin API
//! (`/api/v1`): `portcullis status`,
//! `servers list|start|stop|restart|logs|health|call|add|remove`,
//! `plugins list|reload|enable|disable`, `sessions list|end`, `tools list`,
//! `containers list|rm`, `activity [--follow]`. Tables for people, `--json`
//! for scripts (the API's JSON as it came).
//!
//! The host is `--url`, else `PORTCULLIS_URL`, else the default listener
//! ([`client::DEFAULT_URL`]); the admin key is `ADMIN_API_KEY` (or
//! `--admin-key`, which other local users can read in `ps`). The key is
//! sent only as a bearer header and never printed.
//!
//! Exit codes: 0 done, 1 the host refused or failed the operation (an API
//! error, a server that did not start, a tool error, an unhealthy server),
//! 2 the command line is wrong or no admin API answered at the URL.

pub mod accounts;
mod activity;
pub mod check;
pub mod client;
pub mod plugin;
pub mod registry;
pub mod table;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::config::{Environment, ProcessEnv};
use crate::state::activity::now_ms;
use client::{CliError, Client};
use table::Table;

/// Prints what a local command produced and exits 0, or its error on
/// stderr and exits 1.
pub(crate) fn print_outcome(result: anyhow::Result<String>) -> ExitCode {
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("portcullis: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// The operator's commands, flattened into `portcullis`'s.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show a running host's health: version, uptime, plugins, servers, sessions.
    Status {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
    },
    /// List and control a running host's upstream servers.
    Servers {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// What to do.
        #[command(subcommand)]
        command: ServersCommand,
    },
    /// List, reload, enable and disable a running host's plugins.
    Plugins {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// What to do.
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// List and end a running host's live sessions.
    Sessions {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// What to do.
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// List the tools a running host serves, plugins' and servers'.
    Tools {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// What to do.
        #[command(subcommand)]
        command: ToolsCommand,
    },
    /// List and remove the containers a running host owns.
    Containers {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// What to do.
        #[command(subcommand)]
        command: ContainersCommand,
    },
    /// Show a running host's activity log: tool calls and admin changes, newest first.
    Activity {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// Which records.
        #[command(flatten)]
        filter: ActivityArgs,
    },
}

/// Which host to ask, and how to answer.
#[derive(Args, Debug)]
pub struct HostArgs {
    /// The host's base URL [env: PORTCULLIS_URL] [default: http://127.0.0.1:8808].
    #[arg(long, value_name = "URL", env = "PORTCULLIS_URL", global = true, hide_env = true)]
    url: Option<String>,
    /// An admin key; prefer ADMIN_API_KEY (or ADMIN_API_KEY_FILE, a file
    /// holding it) in the environment, as other local users can read a
    /// command line (`ps`).
    #[arg(long, value_name = "KEY", env = "ADMIN_API_KEY", hide_env_values = true, global = true)]
    admin_key: Option<String>,
    /// Print the API's JSON as it came, for scripts.
    #[arg(long, global = true)]
    json: bool,
}

/// `portcullis servers …`.
#[derive(Subcommand, Debug)]
pub enum ServersCommand {
    /// Every shared server with its state.
    List,
    /// Start a stopped or failed server.
    Start(LifeArgs),
    /// Stop a server; its tools go until it is started again.
    Stop {
        /// The server.
        name: String,
    },
    /// Stop a server and start it again.
    Restart(LifeArgs),
    /// A server's last stderr lines.
    Logs {
        /// The server.
        name: String,
    },
    /// Whether a server runs; exit 1 if it does not.
    Health {
        /// The server.
        name: String,
    },
    /// Call one of a server's tools and print the text it answers; exit 1 on a tool error.
    Call(CallArgs),
    /// Add a server (saved in the host's state, started now and after a restart).
    Add(AddArgs),
    /// Stop a server added with `servers add` and forget it.
    Remove {
        /// The server.
        name: String,
    },
}

/// `servers call NAME TOOL …`.
#[derive(Args, Debug)]
pub struct CallArgs {
    /// The server.
    name: String,
    /// The tool, as the server names it (without the `<server>__` prefix).
    tool: String,
    /// The arguments as one JSON object.
    #[arg(long, value_name = "JSON")]
    arguments: Option<String>,
    /// One argument, KEY=VALUE (repeatable; over --arguments). VALUE is taken
    /// as JSON when it parses as JSON (`n=3`, `on=true`), else as a string.
    #[arg(long = "arg", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `servers add NAME (--image | --server-url | --command) …`. The remote
/// server's URL is not `--url`, which names the host on every command.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("launch").required(true).args(["image", "server_url", "program"])))]
pub struct AddArgs {
    /// Its name: letters, digits, `-` and `_`; its tools are published as `<name>__<tool>`.
    name: String,
    /// An image to run as a hardened container speaking MCP on stdio.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// The URL of a remote Streamable HTTP server (`--url` is the host's).
    #[arg(long, value_name = "URL")]
    server_url: Option<String>,
    /// A program to run on the host (the host must allow it: `[admin] allow_host_commands = true`).
    #[arg(long = "command", value_name = "PROGRAM")]
    program: Option<String>,
    /// An argument of the program (or the container's command); repeatable.
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    args: Vec<String>,
    /// An environment variable, KEY=VALUE, or KEY alone for the value of $KEY
    /// here (out of `ps`'s sight); repeatable. Values are never shown back.
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<String>,
    /// What it is for.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    /// Wait until it runs (at most 60 s); exit 1 if it fails instead.
    #[arg(long)]
    wait: bool,
}

/// A server to start, and whether to wait for it.
#[derive(Args, Debug)]
pub struct LifeArgs {
    /// The server.
    name: String,
    /// Wait until it runs (at most 60 s); exit 1 if it fails or stops instead.
    #[arg(long)]
    wait: bool,
}

/// `portcullis plugins …`.
#[derive(Subcommand, Debug)]
pub enum PluginsCommand {
    /// The loaded plugins, and the disabled ones.
    List,
    /// Load a plugin again from its file (or the bundled copy).
    Reload {
        /// The plugin.
        name: String,
    },
    /// Load a disabled plugin again.
    Enable {
        /// The plugin.
        name: String,
    },
    /// Unload a plugin and keep it unloaded, across restarts.
    Disable {
        /// The plugin.
        name: String,
    },
}

/// `portcullis sessions …`.
#[derive(Subcommand, Debug)]
pub enum SessionsCommand {
    /// The live sessions with their containers and session-scoped servers.
    List,
    /// End a session: its containers and session-scoped servers are released.
    End {
        /// The session's id (`sessions list` shows it).
        id: String,
    },
}

/// `portcullis tools …`.
#[derive(Subcommand, Debug)]
pub enum ToolsCommand {
    /// Every tool as clients see it, with the plugin or server that serves it.
    List,
}

/// `portcullis containers …`.
#[derive(Subcommand, Debug)]
pub enum ContainersCommand {
    /// Every container the host owns (needs Docker on the host).
    List,
    /// Remove one of the host's containers.
    Rm {
        /// The container's id or name.
        id: String,
    },
}

/// `portcullis activity`'s filters: every one given must match.
#[derive(Args, Debug)]
pub struct ActivityArgs {
    /// Only this tool (as clients name it) or admin action (`server.create`, `plugin.disable`, …).
    #[arg(long)]
    tool: Option<String>,
    /// Only this principal (`local`, `key:<name>`, `admin:<name>`, …).
    #[arg(long)]
    principal: Option<String>,
    /// Only this session.
    #[arg(long)]
    session: Option<String>,
    /// Only this outcome: ok, tool_error, fault, denied, cancelled, timeout.
    #[arg(long)]
    outcome: Option<String>,
    /// Only this transport: stdio, http, sse, admin.
    #[arg(long)]
    transport: Option<String>,
    /// Only records since then: a time ago (`30s`, `10m`, `2h`, `7d`) or milliseconds since the epoch.
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// At most this many records (the host's default is 100, at most 1000).
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Keep printing new records, oldest first, as they come (every second) until interrupted.
    #[arg(long)]
    follow: bool,
}

/// Runs `command` against the host and returns the exit code; what went
/// wrong goes to stderr.
pub fn run(command: Command) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("portcullis: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(execute(command)) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            if let CliError::Answered { out, .. } = &e {
                print!("{out}");
            }
            eprintln!("portcullis: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// What `command` prints, or why it failed.
async fn execute(command: Command) -> Result<String, CliError> {
    let host = match &command {
        Command::Status { host } => host,
        Command::Servers { host, .. }
        | Command::Plugins { host, .. }
        | Command::Sessions { host, .. }
        | Command::Tools { host, .. }
        | Command::Containers { host, .. }
        | Command::Activity { host, .. } => host,
    };
    let url = host.url.as_deref().filter(|u| !u.is_empty()).unwrap_or(client::DEFAULT_URL);
    // Without --admin-key or ADMIN_API_KEY, ADMIN_API_KEY_FILE (a Docker secret) may hold it.
    let key = match &host.admin_key {
        Some(key) => Some(key.clone()),
        None => ProcessEnv.secret("ADMIN_API_KEY").map_err(|e| CliError::Usage(e.to_string()))?,
    };
    let client = Client::new(url, key.as_deref())?;
    let json = host.json;
    match command {
        Command::Status { .. } => {
            let body = client.get(&["health"]).await?;
            answer(json, body, |b| Ok(status(&client, &client.parse(b)?)))
        }
        Command::Servers { command, .. } => match command {
            ServersCommand::List => {
                let body = client.get(&["servers"]).await?;
                answer(json, body, |b| Ok(servers(&client.parse::<Vec<Server>>(b)?)))
            }
            ServersCommand::Stop { name } => {
                let body = client.post(&["servers", &name, "stop"]).await?;
                answer(json, body, |b| Ok(server_state(&client.parse(b)?)))
            }
            ServersCommand::Start(life) => start(&client, &life, "start", json).await,
            ServersCommand::Restart(life) => start(&client, &life, "restart", json).await,
            ServersCommand::Logs { name } => {
                let body = client.get(&["servers", &name, "logs"]).await?;
                answer(json, body, |b| {
                    let logs: Logs = client.parse(b)?;
                    if logs.lines.is_empty() {
                        eprintln!("portcullis: server `{}` has written nothing to stderr", table::clean(&logs.name));
                    }
                    Ok(logs.lines.iter().map(|l| line(l)).collect())
                })
            }
            ServersCommand::Health { name } => {
                let body = client.get_also(&["servers", &name, "health"], StatusCode::SERVICE_UNAVAILABLE).await?;
                let health: ServerHealth = client.parse(&body)?;
                let out = answer(json, body, |_| Ok(server_health(&health)))?;
                let why =
                    || format!("server `{name}` is not healthy; `portcullis servers logs {name}` shows its stderr");
                verdict(out, (!health.healthy).then(why))
            }
            ServersCommand::Call(call) => {
                let arguments = call_arguments(&call)?;
                let request = serde_json::json!({"tool": call.tool, "arguments": arguments});
                let body = client.post_json(&["servers", &call.name, "call"], &request).await?;
                let answered: CallAnswer = client.parse(&body)?;
                let out = answer(json, body, |_| Ok(call_text(&answered)))?;
                let why = || format!("tool `{}` of server `{}` answered with an error", call.tool, call.name);
                verdict(out, answered.is_error.then(why))
            }
            ServersCommand::Add(add) => {
                let body = client.post_json(&["servers"], &server_body(&add)?).await?;
                let life = LifeArgs { name: add.name, wait: add.wait };
                let (body, server) = wait(&client, &life, body).await?;
                answer(json, body, |_| Ok(format!("added {}", server_state(&server))))
            }
            ServersCommand::Remove { name } => {
                let body = client.delete(&["servers", &name]).await?;
                answer(json, body, |_| Ok(line(&format!("removed server `{name}`"))))
            }
        },
        Command::Plugins { command, .. } => match command {
            PluginsCommand::List => {
                let body = client.get(&["plugins"]).await?;
                answer(json, body, |b| Ok(plugins(&client.parse(b)?)))
            }
            PluginsCommand::Reload { name } => {
                let body = client.post(&["plugins", &name, "reload"]).await?;
                answer(json, body, |b| {
                    let plugin: Plugin = client.parse(b)?;
                    let sha = plugin.sha256.as_deref().map(|s| &s[..s.len().min(12)]).unwrap_or("?");
                    Ok(format!(
                        "reloaded plugin `{}` from {} (sha256 {sha}…, {} tool{})\n",
                        table::clean(&plugin.name),
                        table::clean(&plugin.source),
                        plugin.tools.len(),
                        if plugin.tools.len() == 1 { "" } else { "s" }
                    ))
                })
            }
            PluginsCommand::Enable { name } => {
                let body = client.post(&["plugins", &name, "enable"]).await?;
                answer(json, body, |_| Ok(line(&format!("plugin `{name}`: enabled"))))
            }
            PluginsCommand::Disable { name } => {
                let body = client.post(&["plugins", &name, "disable"]).await?;
                answer(json, body, |_| Ok(line(&format!("plugin `{name}`: disabled"))))
            }
        },
        Command::Sessions { command, .. } => match command {
            SessionsCommand::List => {
                let body = client.get(&["sessions"]).await?;
                answer(json, body, |b| Ok(sessions(&client.parse::<Vec<Session>>(b)?, now_ms())))
            }
            SessionsCommand::End { id } => {
                let body = client.delete(&["sessions", &id]).await?;
                answer(json, body, |_| Ok(line(&format!("ended session `{id}`"))))
            }
        },
        Command::Tools { command: ToolsCommand::List, .. } => {
            let body = client.get(&["tools"]).await?;
            answer(json, body, |b| Ok(tools(&client.parse::<Vec<Tool>>(b)?)))
        }
        Command::Containers { command, .. } => match command {
            ContainersCommand::List => {
                let body = client.get(&["containers"]).await?;
                answer(json, body, |b| Ok(containers(&client.parse::<Vec<Container>>(b)?)))
            }
            ContainersCommand::Rm { id } => {
                let body = client.delete(&["containers", &id]).await?;
                answer(json, body, |_| Ok(line(&format!("removed container `{id}`"))))
            }
        },
        Command::Activity { filter, .. } => activity::show(&client, &filter, json).await,
    }
}

/// The body as it came with `--json` (nothing for an empty one, as of a
/// 204), else what `human` makes of it.
fn answer(json: bool, body: String, human: impl FnOnce(&str) -> Result<String, CliError>) -> Result<String, CliError> {
    match json {
        true if body.is_empty() || body.ends_with('\n') => Ok(body),
        true => Ok(body + "\n"),
        false => human(&body),
    }
}

/// `out` as a success; or, where the host's answer is a failure (`why`),
/// `out` printed all the same and exit 1.
fn verdict(out: String, why: Option<String>) -> Result<String, CliError> {
    match why {
        None => Ok(out),
        Some(why) => Err(CliError::Answered { out, why: table::clean(&why) }),
    }
}

/// `servers start|restart NAME [--wait]`.
async fn start(client: &Client, life: &LifeArgs, action: &str, json: bool) -> Result<String, CliError> {
    let body = client.post(&["servers", &life.name, action]).await?;
    let (body, server) = wait(client, life, body).await?;
    answer(json, body, |_| Ok(server_state(&server)))
}

/// The server an answer `body` shows; with `--wait`, its body and itself once
/// it runs (an error if it fails, stops or takes too long instead).
async fn wait(client: &Client, life: &LifeArgs, mut body: String) -> Result<(String, Server), CliError> {
    let mut server: Server = client.parse(&body)?;
    if life.wait {
        let deadline = Instant::now() + WAIT;
        while server.state != "running" {
            if matches!(server.state.as_str(), "failed" | "stopped") {
                return Err(CliError::Failed(format!(
                    "server `{}` did not start: {}{}; `portcullis servers logs {}` shows its stderr",
                    server.name,
                    server.state,
                    server
                        .reason
                        .as_deref()
                        .map(|r| format!(" ({})", table::clean(&first_line(r))))
                        .unwrap_or_default(),
                    server.name,
                )));
            }
            if Instant::now() >= deadline {
                return Err(CliError::Failed(format!(
                    "server `{}` is still {} after {} s",
                    server.name,
                    server.state,
                    WAIT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            body = client.get(&["servers", &life.name]).await?;
            server = client.parse(&body)?;
        }
    }
    Ok((body, server))
}

/// `servers call`'s arguments: `--arguments`' object, with each `--arg` set over it.
fn call_arguments(call: &CallArgs) -> Result<serde_json::Map<String, Value>, CliError> {
    let mut arguments = match &call.arguments {
        None => serde_json::Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(CliError::Usage("--arguments takes a JSON object, such as '{\"text\": \"hi\"}'".into()));
            }
            Err(e) => {
                return Err(CliError::Usage(format!(
                    "--arguments is not JSON ({e}); it takes an object, such as '{{\"text\": \"hi\"}}'"
                )));
            }
        },
    };
    for arg in &call.args {
        let (key, value) = key_value(arg, "--arg")?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        arguments.insert(key.to_string(), value);
    }
    Ok(arguments)
}

/// `KEY=VALUE` split; a mistake names the flag but never shows the value.
fn key_value<'a>(text: &'a str, flag: &str) -> Result<(&'a str, &'a str), CliError> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key, value)),
        _ => Err(CliError::Usage(format!("{flag} takes KEY=VALUE; one of them has no key or no `=`"))),
    }
}

/// The API's `ServerBody` for `servers add`: only what was given, so the
/// host's defaults stand for the rest.
fn server_body(add: &AddArgs) -> Result<Value, CliError> {
    let mut env = serde_json::Map::new();
    for pair in &add.env {
        let (key, value) = match pair.contains('=') {
            true => key_value(pair, "--env").map(|(k, v)| (k, v.to_string()))?,
            // Not named: a mistyped value would be a secret shown.
            false => (
                pair.as_str(),
                std::env::var(pair).map_err(|_| {
                    CliError::Usage(
                    "an --env without `=` passes that variable of this environment, and one of them is not set here; \
                     set it, or give KEY=VALUE"
                        .into(),
                )
                })?,
            ),
        };
        if env.insert(key.to_string(), Value::String(value)).is_some() {
            return Err(CliError::Usage(format!("--env sets `{key}` twice")));
        }
    }
    let mut body = serde_json::json!({"name": add.name, "args": add.args, "env": env});
    for (field, value) in
        [("image", &add.image), ("url", &add.server_url), ("command", &add.program), ("description", &add.description)]
    {
        if let Some(value) = value {
            body[field] = Value::String(value.clone());
        }
    }
    Ok(body)
}

/// How long `--wait` waits for a server to run.
const WAIT: Duration = Duration::from_secs(60);

/// `GET /api/v1/health`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Health {
    status: String,
    version: String,
    uptime_secs: u64,
    plugins: usize,
    servers: usize,
    servers_running: usize,
    sessions: usize,
}

/// A server of `GET /api/v1/servers`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Server {
    name: String,
    source: String,
    kind: String,
    state: String,
    reason: Option<String>,
    restarts: u32,
    tools: Vec<String>,
}

/// `GET /api/v1/servers/{name}/logs`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Logs {
    name: String,
    lines: Vec<String>,
}

/// `GET /api/v1/servers/{name}/health` (200 or 503).
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct ServerHealth {
    name: String,
    healthy: bool,
    state: String,
    reason: Option<String>,
    restarts: u32,
}

/// `POST /api/v1/servers/{name}/call`: the MCP `CallToolResult`.
#[derive(Deserialize, Debug, Default)]
#[serde(default, rename_all = "camelCase")]
struct CallAnswer {
    content: Vec<Value>,
    structured_content: Option<Value>,
    is_error: bool,
}

/// A tool of `GET /api/v1/tools`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Tool {
    name: String,
    provider: String,
    provider_kind: String,
    description: String,
}

/// A container of `GET /api/v1/containers`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Container {
    id: String,
    name: String,
    image: String,
    state: String,
    session_id: String,
    network: bool,
}

/// `GET /api/v1/plugins`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct PluginList {
    plugins: Vec<Plugin>,
    disabled: Vec<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Plugin {
    name: String,
    source: String,
    sha256: Option<String>,
    wit_version: String,
    exports: Vec<String>,
    tools: Vec<String>,
    calls: u64,
    faults: u64,
}

/// A session of `GET /api/v1/sessions`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Session {
    id: String,
    transport: String,
    principal: Option<String>,
    client_name: Option<String>,
    client_version: Option<String>,
    started_ms: i64,
    last_seen_ms: i64,
    containers: Vec<String>,
    servers: Vec<String>,
}

fn status(client: &Client, health: &Health) -> String {
    table::pairs(&[
        ("host", client.url()),
        ("status", health.status.clone()),
        ("version", health.version.clone()),
        ("uptime", table::duration(health.uptime_secs)),
        ("plugins", health.plugins.to_string()),
        ("servers", format!("{} ({} running)", health.servers, health.servers_running)),
        ("sessions", health.sessions.to_string()),
    ])
}

fn servers(servers: &[Server]) -> String {
    if servers.is_empty() {
        return "no upstream servers\n".into();
    }
    let mut table = Table::new(&["NAME", "STATE", "KIND", "SOURCE", "TOOLS", "RESTARTS", "REASON"]);
    for s in servers {
        table.row([
            s.name.clone(),
            s.state.clone(),
            s.kind.clone(),
            s.source.clone(),
            s.tools.len().to_string(),
            s.restarts.to_string(),
            s.reason.as_deref().map(first_line).unwrap_or_default(),
        ]);
    }
    table.render()
}

fn server_state(server: &Server) -> String {
    let reason = server.reason.as_deref().map(|r| format!(" ({})", first_line(r))).unwrap_or_default();
    line(&format!("server `{}`: {}{reason}", server.name, server.state))
}

/// One line of what the host or the command line said, control characters escaped.
fn line(text: &str) -> String {
    table::clean(text) + "\n"
}

/// A reason's first line (a table row stays one line; `--json` has it whole).
fn first_line(reason: &str) -> String {
    let mut lines = reason.lines();
    let first = lines.next().unwrap_or_default().trim_end_matches(':');
    if lines.next().is_some() { format!("{first} …") } else { first.to_string() }
}

fn server_health(health: &ServerHealth) -> String {
    let reason = health.reason.as_deref().map(|r| format!(" ({})", first_line(r))).unwrap_or_default();
    let restarts = match health.restarts {
        0 => String::new(),
        n => format!(", {n} restart{}", if n == 1 { "" } else { "s" }),
    };
    let verdict = if health.healthy { "healthy" } else { "unhealthy" };
    line(&format!("server `{}`: {verdict}, {}{reason}{restarts}", health.name, health.state))
}

/// A tool result's text blocks, a line each (control characters escaped);
/// other blocks by their type; the structured content when there is no text.
fn call_text(answered: &CallAnswer) -> String {
    let mut out = String::new();
    for block in &answered.content {
        let text = match block.get("type").and_then(Value::as_str) {
            Some("text") => block.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
            Some(kind) => format!("[{kind} content; --json shows it]"),
            None => "[content of no type; --json shows it]".into(),
        };
        out.extend(text.lines().map(line));
    }
    if out.is_empty()
        && let Some(structured) = &answered.structured_content
    {
        out = line(&structured.to_string());
    }
    out
}

fn tools(tools: &[Tool]) -> String {
    if tools.is_empty() {
        return "no tools\n".into();
    }
    let mut table = Table::new(&["NAME", "PROVIDER", "KIND", "DESCRIPTION"]);
    for t in tools {
        table.row([t.name.clone(), t.provider.clone(), t.provider_kind.clone(), first_line(&t.description)]);
    }
    table.render()
}

fn containers(containers: &[Container]) -> String {
    if containers.is_empty() {
        return "no containers\n".into();
    }
    let mut table = Table::new(&["ID", "NAME", "IMAGE", "STATE", "SESSION", "NETWORK"]);
    for c in containers {
        table.row([
            c.id.chars().take(12).collect(),
            c.name.clone(),
            c.image.clone(),
            c.state.clone(),
            c.session_id.clone(),
            if c.network { "yes" } else { "no" }.into(),
        ]);
    }
    table.render()
}

fn plugins(list: &PluginList) -> String {
    if list.plugins.is_empty() && list.disabled.is_empty() {
        return "no plugins\n".into();
    }
    let mut table = Table::new(&["NAME", "STATE", "WIT", "EXPORTS", "TOOLS", "CALLS", "FAULTS", "SOURCE"]);
    for p in &list.plugins {
        table.row([
            p.name.clone(),
            "loaded".into(),
            p.wit_version.clone(),
            table::list(&p.exports),
            p.tools.len().to_string(),
            p.calls.to_string(),
            p.faults.to_string(),
            p.source.clone(),
        ]);
    }
    for name in &list.disabled {
        table.row([name.clone(), "disabled".into()]);
    }
    table.render()
}

fn sessions(sessions: &[Session], now_ms: i64) -> String {
    if sessions.is_empty() {
        return "no live sessions\n".into();
    }
    let mut table =
        Table::new(&["ID", "TRANSPORT", "PRINCIPAL", "CLIENT", "STARTED", "LAST SEEN", "CONTAINERS", "SERVERS"]);
    for s in sessions {
        let client = match (&s.client_name, &s.client_version) {
            (Some(name), Some(version)) => format!("{name} {version}"),
            (Some(name), None) => name.clone(),
            _ => "-".into(),
        };
        table.row([
            s.id.clone(),
            s.transport.clone(),
            s.principal.clone().unwrap_or_else(|| "-".into()),
            client,
            table::ago(s.started_ms, now_ms),
            table::ago(s.last_seen_ms, now_ms),
            table::list(&s.containers),
            table::list(&s.servers),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_render_as_a_table() {
        let listed: Vec<Server> = serde_json::from_str(
            r#"[{"name":"fixture","source":"config","kind":"command","state":"running","reason":null,
                 "restarts":0,"tools":["fixture__echo","fixture__add"],"env":{},"command":[]}]"#,
        )
        .unwrap();
        assert_eq!(
            servers(&listed),
            "NAME     STATE    KIND     SOURCE  TOOLS  RESTARTS  REASON\nfixture  running  command  config  2      0\n"
        );
        assert_eq!(servers(&[]), "no upstream servers\n");
        assert_eq!(first_line("it could not be started: its stderr:\nboom\n"), "it could not be started: its stderr …");
        assert_eq!(first_line("exited with 1"), "exited with 1");
    }

    #[test]
    fn plugins_list_the_disabled_too() {
        let list: PluginList = serde_json::from_str(
            r#"{"plugins":[{"name":"hello","source":"/p/hello.wasm","sha256":"ab","wit_version":"0.2.0",
                 "exports":["tools"],"tools":["hello"],"grants":[],"limits":{},"calls":3,"faults":0}],
                 "disabled":["faulty"]}"#,
        )
        .unwrap();
        let out = plugins(&list);
        assert!(out.starts_with("NAME    STATE     WIT    EXPORTS  TOOLS  CALLS  FAULTS  SOURCE\n"), "{out}");
        assert!(out.contains("hello   loaded    0.2.0  tools    1      3      0       /p/hello.wasm\n"), "{out}");
        assert!(out.ends_with("faulty  disabled\n"), "{out}");
    }

    #[test]
    fn sessions_show_their_client_and_age() {
        let listed: Vec<Session> = serde_json::from_str(
            r#"[{"id":"abc","transport":"http","era":"initialize","principal":"key:ci","client_name":"mcp",
                 "client_version":"1.0","started_ms":1000,"last_seen_ms":61000,"owners":[],"containers":[],"servers":["git"]}]"#,
        )
        .unwrap();
        let out = sessions(&listed, 121_000);
        assert!(out.contains("abc  http       key:ci     mcp 1.0  2m 0s ago  1m 0s ago  -           git\n"), "{out}");
    }

    #[test]
    fn call_arguments_take_json_and_key_values() {
        let call = |arguments: Option<&str>, args: &[&str]| {
            call_arguments(&CallArgs {
                name: "s".into(),
                tool: "t".into(),
                arguments: arguments.map(String::from),
                args: args.iter().map(|a| a.to_string()).collect(),
            })
        };
        let got = call(Some(r#"{"a": 1, "b": "x"}"#), &["b=2", "c=hello world", "d=", "e=a=b"]).unwrap();
        assert_eq!(Value::Object(got), serde_json::json!({"a": 1, "b": 2, "c": "hello world", "d": "", "e": "a=b"}));
        for (arguments, args) in [(Some("[1]"), &[][..]), (Some("{"), &[]), (None, &["novalue"]), (None, &["=v"])] {
            let Err(e) = call(arguments, args) else { panic!("{arguments:?} {args:?} was taken") };
            assert_eq!(e.exit_code(), 2, "{e}");
        }
    }

    #[test]
    fn server_bodies_carry_only_what_was_given_and_errors_hide_env_values() {
        let add = |env: &[&str]| AddArgs {
            name: "made".into(),
            image: Some("img".into()),
            server_url: None,
            program: None,
            args: vec!["--flag".into()],
            env: env.iter().map(|e| e.to_string()).collect(),
            description: None,
            wait: false,
        };
        assert_eq!(
            server_body(&add(&["K=v=1"])).unwrap(),
            serde_json::json!({"name": "made", "image": "img", "args": ["--flag"], "env": {"K": "v=1"}})
        );
        // SAFETY: no other test reads or writes this variable.
        unsafe { std::env::set_var("PORTCULLIS_CLI_TEST_SECRET", "from here") };
        assert_eq!(
            server_body(&add(&["PORTCULLIS_CLI_TEST_SECRET"])).unwrap()["env"],
            serde_json::json!({"PORTCULLIS_CLI_TEST_SECRET": "from here"})
        );
        for env in [&["hunter2"][..], &["K=hunter2", "K=hunter2"], &["=hunter2"]] {
            let Err(e) = server_body(&add(env)) else { panic!("{env:?} was taken") };
            assert!(e.exit_code() == 2 && !e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn call_results_print_their_text_and_health_its_state() {
        let answered: CallAnswer = serde_json::from_str(
            r#"{"content":[{"type":"text","text":"one\ntwo\u001b[2J"},{"type":"image","data":"","mimeType":"image/png"}],
                "isError":false}"#,
        )
        .unwrap();
        assert_eq!(call_text(&answered), "one\ntwo\\u{1b}[2J\n[image content; --json shows it]\n");
        let structured: CallAnswer =
            serde_json::from_str(r#"{"content":[],"structuredContent":{"n":5},"isError":false}"#).unwrap();
        assert_eq!(call_text(&structured), "{\"n\":5}\n");
        let health: ServerHealth = serde_json::from_str(
            r#"{"name":"b","healthy":false,"state":"failed","reason":"exited with 1","restarts":2}"#,
        )
        .unwrap();
        assert_eq!(server_health(&health), "server `b`: unhealthy, failed (exited with 1), 2 restarts\n");
    }

    #[test]
    fn tools_and_containers_render_as_tables() {
        let listed: Vec<Tool> = serde_json::from_str(
            r#"[{"name":"hello","provider":"hello","provider_kind":"plugin","description":"Says hello.\nMore.","input_schema":{}}]"#,
        )
        .unwrap();
        assert_eq!(tools(&listed), "NAME   PROVIDER  KIND    DESCRIPTION\nhello  hello     plugin  Says hello. …\n");
        let owned: Vec<Container> = serde_json::from_str(
            r#"[{"id":"0123456789abcdef","name":"pc-1","image":"alpine","state":"running","session_id":"s1","network":false}]"#,
        )
        .unwrap();
        assert_eq!(
            containers(&owned),
            "ID            NAME  IMAGE   STATE    SESSION  NETWORK\n0123456789ab  pc-1  alpine  running  s1       no\n"
        );
        assert_eq!(containers(&[]), "no containers\n");
    }

    #[test]
    fn json_is_passed_through() {
        let out = answer(true, r#"{"a":1}"#.into(), |_| unreachable!()).unwrap();
        assert_eq!(out, "{\"a\":1}\n");
        assert_eq!(answer(true, String::new(), |_| unreachable!()).unwrap(), "", "a 204 prints nothing");
    }
}
