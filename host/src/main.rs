//! The `portcullis` command.
//!
//! `portcullis serve` exit codes: 0 clean shutdown (also after SIGINT, SIGTERM
//! or SIGQUIT, once in-flight requests finish), 1 configuration error,
//! 2 start-up failure, 3 fatal runtime error.
//!
//! `portcullis health`, `config check` and `plugin …` need no
//! running host (see [`portcullis::cli::check`], [`portcullis::cli::plugin`]):
//! they exit 0 when done or healthy, 1 when not.
//!
//! The operator's commands against a running host (`status`, `servers`,
//! `plugins`, `sessions`; see [`portcullis::cli`]) exit with 0 when done, 1
//! when the host refused or failed the operation, 2 on a usage error or when
//! no admin API answered at the URL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use futures::stream::{FuturesUnordered, StreamExt};
use portcullis::app::App;
use portcullis::config::{Config, ProcessEnv, parse_bind};
use portcullis::transports::http::{HttpServer, StartError};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "portcullis",
    version,
    about = "An extensible MCP host: WebAssembly plugins, Docker primitives, stdio and HTTP."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP with the bundled plugins and any in --plugins: on stdio, or
    /// over HTTP with --http.
    Serve {
        /// The configuration file (else CONFIG_FILE).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A directory of *.wasm plugins, watched while running (else PORTCULLIS_PLUGINS).
        #[arg(long, value_name = "DIR")]
        plugins: Option<PathBuf>,
        /// Serve MCP over HTTP (Streamable HTTP at /mcp, legacy SSE at /sse) on
        /// ADDR, else on `http.bind` (127.0.0.1:8808; HTTP_PORT sets the port).
        #[arg(long, value_name = "ADDR", num_args = 0..=1)]
        http: Option<Option<String>>,
        /// With --http, serve on stdio as well.
        #[arg(long)]
        stdio: bool,
        /// A Claude Desktop style `mcpServers` JSON file of upstream servers
        /// to serve too (else PORTCULLIS_SERVERS or `servers_file`).
        #[arg(long, value_name = "FILE")]
        servers: Option<PathBuf>,
        /// When stdin is /dev/null (a container started with `docker run -d`,
        /// no `-i`), serve nothing on stdio: check the configuration and the
        /// plugins (warming the compile cache), then stay up until a shutdown
        /// signal, so that clients reach the host with `docker exec -i
        /// CONTAINER portcullis serve`. The image sets it.
        #[arg(long, env = "PORTCULLIS_WAIT_FOR_EXEC")]
        wait_for_exec: bool,
    },
    /// Check that this host can start: validate the configuration, load the
    /// plugins and, when an HTTP listener runs (`http.bind` or --url), ask
    /// its /readyz. Exit 0 healthy, 1 not.
    Health(portcullis::cli::check::HealthArgs),
    /// Check the configuration.
    Config {
        /// What to do.
        #[command(subcommand)]
        command: portcullis::cli::check::ConfigCommand,
    },
    /// Plugins: inspect a component, start a crate, publish, sign and pin plugins from OCI registries.
    Plugin {
        /// What to do.
        #[command(subcommand)]
        command: portcullis::cli::plugin::PluginCommand,
    },
    /// The authorization server's users (`[oauth_server]`): add, list, remove.
    Users {
        /// Where the state database is.
        #[command(flatten)]
        state: portcullis::cli::accounts::StateArgs,
        /// What to do.
        #[command(subcommand)]
        command: portcullis::cli::accounts::UsersCommand,
    },
    /// The authorization server's signing keys.
    Oauth {
        /// Where the state database is.
        #[command(flatten)]
        state: portcullis::cli::accounts::StateArgs,
        /// What to do.
        #[command(subcommand)]
        command: portcullis::cli::accounts::OAuthCommand,
    },
    #[command(flatten)]
    Ops(portcullis::cli::Command),
}

const EXIT_CONFIG: u8 = 1;
const EXIT_STARTUP: u8 = 2;
const EXIT_RUNTIME: u8 = 3;

fn main() -> ExitCode {
    let (config, plugins, http, stdio, servers, wait_for_exec) = match Cli::parse().command {
        Command::Serve { config, plugins, http, stdio, servers, wait_for_exec } => {
            (config, plugins, http, stdio, servers, wait_for_exec)
        }
        Command::Ops(command) => return portcullis::cli::run(command),
        Command::Health(args) => return portcullis::cli::check::health(args),
        Command::Config { command } => return portcullis::cli::check::config_check(command),
        Command::Plugin { command } => return portcullis::cli::plugin::run(command),
        Command::Users { state, command } => return portcullis::cli::accounts::users(state, command),
        Command::Oauth { state, command } => return portcullis::cli::accounts::oauth(state, command),
    };
    let mut config = match Config::load(config.as_deref(), &ProcessEnv) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("portcullis: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Some(dir) = plugins {
        config.plugin_dir = Some(dir);
    }
    if let Some(file) = servers {
        config.servers_file = Some(file);
    }
    if let Err(e) = config.load_servers_file() {
        eprintln!("portcullis: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    if let Some(Some(addr)) = &http {
        match parse_bind("--http", addr) {
            Ok(addr) => config.http.bind = addr,
            Err(e) => {
                eprintln!("portcullis: {e}");
                return ExitCode::from(EXIT_CONFIG);
            }
        }
    }
    let transports = Transports { http: http.is_some(), stdio: http.is_none() || stdio };
    let detached = wait_for_exec && !transports.http && portcullis::transports::stdio::stdin_is_dev_null();
    let filter = match config.log_filter() {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("portcullis: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();

    // One stdio client is served best on one thread (no cross-thread wake-up
    // per message); HTTP serves many clients on every core.
    let runtime = if transports.http {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_STARTUP);
        }
    };
    let code = match detached {
        true => runtime.block_on(wait_for_exec_clients(config)),
        false => runtime.block_on(serve(config, transports)),
    };
    // The stdin reader is a blocking thread that only a new line would wake; do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

/// Which transports to serve.
struct Transports {
    http: bool,
    stdio: bool,
}

async fn serve(config: Config, transports: Transports) -> ExitCode {
    // Listen for signals before anything slow, so a signal during start-up is a clean exit too.
    let mut signals = match ShutdownSignals::install() {
        Ok(signals) => signals,
        Err(e) => {
            tracing::error!("cannot install signal handlers: {e}");
            return ExitCode::from(EXIT_STARTUP);
        }
    };
    // Bind before loading plugins: a port in use is reported at once.
    let http = match transports.http {
        false => None,
        true => match HttpServer::bind(config.http.clone()).await {
            Ok(server) => Some(server),
            Err(e @ StartError::Config(_)) => {
                tracing::error!("{e}");
                return ExitCode::from(EXIT_CONFIG);
            }
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::from(EXIT_STARTUP);
            }
        },
    };
    let app = tokio::select! {
        app = App::start(config) => match app {
            Ok(app) => app,
            Err(e) => {
                tracing::error!("start-up failed: {e:#}");
                return ExitCode::from(EXIT_STARTUP);
            }
        },
        signal = signals.recv() => {
            tracing::info!("{signal} during start-up; exiting");
            return ExitCode::SUCCESS;
        }
    };
    let stop_accepting = CancellationToken::new();
    let mut running = FuturesUnordered::new();
    if let Some(server) = http {
        match server.local_addr() {
            Ok(addr) => {
                tracing::info!("serving MCP over HTTP at {}://{addr}/mcp (legacy SSE at /sse)", server.scheme())
            }
            Err(e) => tracing::warn!("serving MCP over HTTP on an address the OS will not name: {e}"),
        }
        let serve = server.serve(
            app.mcp.clone(),
            app.admin.clone(),
            app.oauth.clone(),
            stop_accepting.clone(),
            app.shutdown.child_token(),
        );
        running.push(named("HTTP", tokio::spawn(serve)));
    }
    if transports.stdio {
        let serve = portcullis::transports::stdio::serve(app.mcp.clone(), app.shutdown.child_token());
        running.push(named("stdio", tokio::spawn(serve)));
    }
    let code = tokio::select! {
        Some((transport, result)) = running.next() => exit_code(transport, result),
        signal = signals.recv() => {
            tracing::info!("{signal}; finishing in-flight requests (at most {} s) and shutting down", DRAIN.as_secs());
            ExitCode::SUCCESS
        }
    };
    // Stop taking new work, let what is in flight finish, then close the streams.
    stop_accepting.cancel();
    if !app.mcp.drain(DRAIN).await {
        tracing::warn!("requests still in flight after {} s are cancelled", DRAIN.as_secs());
    }
    app.shutdown.cancel();
    let closed = tokio::time::timeout(CLOSE, async { while running.next().await.is_some() {} }).await;
    if closed.is_err() {
        tracing::warn!("connections still open after {} s are dropped", CLOSE.as_secs());
    }
    app.stop().await;
    code
}

/// The detached container's main process (`--wait-for-exec` with stdin on
/// /dev/null): checks what `portcullis health` checks, which also fills the
/// compile cache the `docker exec` sessions share, then waits for a signal.
async fn wait_for_exec_clients(config: Config) -> ExitCode {
    let mut signals = match ShutdownSignals::install() {
        Ok(signals) => signals,
        Err(e) => {
            tracing::error!("cannot install signal handlers: {e}");
            return ExitCode::from(EXIT_STARTUP);
        }
    };
    tokio::select! {
        loaded = portcullis::cli::check::load_plugins(&config) => match loaded {
            Ok((loaded, failed)) => {
                tracing::info!("{loaded} plugins load");
                failed.iter().for_each(|failure| tracing::warn!("{failure}"));
            }
            Err(e) => tracing::warn!("cannot start the plugin runtime: {e:#}"),
        },
        signal = signals.recv() => {
            tracing::info!("{signal} during start-up; exiting");
            return ExitCode::SUCCESS;
        }
    }
    tracing::info!(
        "stdin is /dev/null: serving nothing on stdio; reach this host with `docker exec -i CONTAINER portcullis serve`"
    );
    let signal = signals.recv().await;
    tracing::info!("{signal}; exiting");
    ExitCode::SUCCESS
}

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);
/// How long transports may take to close their streams after the drain.
const CLOSE: std::time::Duration = std::time::Duration::from_secs(3);

type Served = Result<anyhow::Result<()>, tokio::task::JoinError>;

/// A transport's task, resolving to its name and outcome.
async fn named(transport: &'static str, task: tokio::task::JoinHandle<anyhow::Result<()>>) -> (&'static str, Served) {
    (transport, task.await)
}

fn exit_code(transport: &str, served: Served) -> ExitCode {
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            tracing::error!("fatal: the {transport} transport failed: {e:#}");
            ExitCode::from(EXIT_RUNTIME)
        }
        Err(e) => {
            tracing::error!("fatal: the {transport} transport failed: {e}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

/// SIGINT, SIGTERM and SIGQUIT, registered as soon as this is created; each
/// shuts down the same graceful way (SIGQUIT would otherwise kill the process
/// and leave its containers behind).
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            quit: signal(SignalKind::quit())?,
        })
    }

    /// Resolves on the next SIGINT, SIGTERM or SIGQUIT, naming which.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.quit.recv() => "SIGQUIT",
        }
    }
}
