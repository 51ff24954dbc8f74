//! The `portcullis` command.
//!
//! Exit codes: 0 clean shutdown, 1 configuration error, 2 start-up failure,
//! 3 fatal runtime error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use portcullis::app::App;
use portcullis::config::{Config, ProcessEnv};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "portcullis", version, about = "An extensible MCP host: WebAssembly plugins, Docker primitives, stdio and HTTP.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP on stdio with the bundled plugins and any in --plugins.
    Serve {
        /// The configuration file (else CONFIG_FILE).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A directory of *.wasm plugins, watched while running (else PORTCULLIS_PLUGINS).
        #[arg(long, value_name = "DIR")]
        plugins: Option<PathBuf>,
    },
}

const EXIT_CONFIG: u8 = 1;
const EXIT_STARTUP: u8 = 2;
const EXIT_RUNTIME: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Serve { config, plugins } = cli.command;
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
    let filter = match EnvFilter::try_new(&config.log_level) {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("portcullis: configuration error: `log_level` / LOG_LEVEL `{}` is not a valid filter: {e}", config.log_level);
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_STARTUP);
        }
    };
    let code = runtime.block_on(serve(config));
    // The stdin reader is a blocking thread that only a new line would wake; do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

async fn serve(config: Config) -> ExitCode {
    // Listen for signals before anything slow, so a signal during start-up is a clean exit too.
    let mut signals = match ShutdownSignals::install() {
        Ok(signals) => signals,
        Err(e) => {
            tracing::error!("cannot install signal handlers: {e}");
            return ExitCode::from(EXIT_STARTUP);
        }
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
    let mut stdio = tokio::spawn(portcullis::transports::stdio::serve(app.mcp.clone(), app.shutdown.child_token()));
    let code = tokio::select! {
        result = &mut stdio => exit_code(result),
        signal = signals.recv() => {
            tracing::info!("{signal}; finishing in-flight requests (at most {} s) and shutting down", DRAIN.as_secs());
            app.shutdown.cancel();
            match tokio::time::timeout(DRAIN, stdio).await {
                Ok(result) => exit_code(result),
                Err(_) => ExitCode::SUCCESS,
            }
        }
    };
    app.stop().await;
    code
}

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

fn exit_code(served: Result<anyhow::Result<()>, tokio::task::JoinError>) -> ExitCode {
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            tracing::error!("fatal: {e:#}");
            ExitCode::from(EXIT_RUNTIME)
        }
        Err(e) => {
            tracing::error!("fatal: the stdio server failed: {e}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

/// SIGINT and SIGTERM, registered as soon as this is created.
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }

    /// Resolves on the next SIGINT or SIGTERM, naming which.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}
