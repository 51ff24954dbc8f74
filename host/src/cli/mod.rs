//! The operator's commands against a running host, over its admin API
//! (`/api/v1`): `portcullis status`, `servers list|start|stop|restart|logs`,
//! `plugins list|reload`, `sessions list`. Tables for people, `--json` for
//! scripts (the API's JSON as it came).
//!
//! The host is `--url`, else `PORTCULLIS_URL`, else the default listener
//! ([`client::DEFAULT_URL`]); the admin key is `ADMIN_API_KEY` (or
//! `--admin-key`, which other local users can read in `ps`). The key is
//! sent only as a bearer header and never printed.
//!
//! Exit codes: 0 done, 1 the host refused or failed the operation (an API
//! error, a server that did not start), 2 the command line is wrong or no
//! admin API answered at the URL.

pub mod check;
pub mod client;
pub mod plugin;
pub mod table;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use serde::Deserialize;

use client::{CliError, Client};
use table::Table;

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
    /// List and reload a running host's plugins.
    Plugins {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// What to do.
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// List a running host's live sessions.
    Sessions {
        /// Which host, and how to answer.
        #[command(flatten)]
        host: HostArgs,
        /// What to do.
        #[command(subcommand)]
        command: SessionsCommand,
    },
}

/// Which host to ask, and how to answer.
#[derive(Args, Debug)]
pub struct HostArgs {
    /// The host's base URL [env: PORTCULLIS_URL] [default: http://127.0.0.1:8808].
    #[arg(long, value_name = "URL", env = "PORTCULLIS_URL", global = true, hide_env = true)]
    url: Option<String>,
    /// An admin key; prefer ADMIN_API_KEY in the environment, as other local
    /// users can read a command line (`ps`).
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
}

/// `portcullis sessions …`.
#[derive(Subcommand, Debug)]
pub enum SessionsCommand {
    /// The live sessions with their containers and session-scoped servers.
    List,
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
            eprintln!("portcullis: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// What `command` prints, or why it failed.
async fn execute(command: Command) -> Result<String, CliError> {
    let host = match &command {
        Command::Status { host } => host,
        Command::Servers { host, .. } | Command::Plugins { host, .. } | Command::Sessions { host, .. } => host,
    };
    let url = host.url.as_deref().filter(|u| !u.is_empty()).unwrap_or(client::DEFAULT_URL);
    let client = Client::new(url, host.admin_key.as_deref())?;
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
                    Ok(logs.lines.iter().map(|l| format!("{}\n", table::clean(l))).collect())
                })
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
        },
        Command::Sessions { command: SessionsCommand::List, .. } => {
            let body = client.get(&["sessions"]).await?;
            answer(json, body, |b| Ok(sessions(&client.parse::<Vec<Session>>(b)?, now_ms())))
        }
    }
}

/// The body as it came with `--json`, else what `human` makes of it.
fn answer(json: bool, body: String, human: impl FnOnce(&str) -> Result<String, CliError>) -> Result<String, CliError> {
    match json {
        true if body.ends_with('\n') => Ok(body),
        true => Ok(body + "\n"),
        false => human(&body),
    }
}

/// `servers start|restart NAME [--wait]`.
async fn start(client: &Client, life: &LifeArgs, action: &str, json: bool) -> Result<String, CliError> {
    let mut body = client.post(&["servers", &life.name, action]).await?;
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
    answer(json, body, |_| Ok(server_state(&server)))
}

/// How long `--wait` waits for a server to run.
const WAIT: Duration = Duration::from_secs(60);

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

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
    table::clean(&format!("server `{}`: {}{reason}", server.name, server.state)) + "\n"
}

/// A reason's first line (a table row stays one line; `--json` has it whole).
fn first_line(reason: &str) -> String {
    let mut lines = reason.lines();
    let first = lines.next().unwrap_or_default().trim_end_matches(':');
    if lines.next().is_some() { format!("{first} …") } else { first.to_string() }
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
    fn json_is_passed_through() {
        let out = answer(true, r#"{"a":1}"#.into(), |_| unreachable!()).unwrap();
        assert_eq!(out, "{\"a\":1}\n");
    }
}
