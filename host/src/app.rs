//! The composition root: builds the runtime, registry and services from the
//! configuration, loads plugins, watches the plugin directory, and tears it all
//! down on shutdown.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use tokio_util::sync::CancellationToken;

use crate::admin::AdminState;
use crate::config::Config;
use crate::docker::DockerService;
use crate::oauth::AuthorizationServer;
use crate::plugins::{CompileCache, HostServices, Loader, PluginRuntime};
use crate::policy::PolicyChain;
use crate::protocol::McpState;
use crate::providers::Registry;
use crate::state::StateDb;
use crate::upstreams::Upstreams;

/// How long shutting down waits for the activity log to be written.
const FLUSH: std::time::Duration = std::time::Duration::from_secs(1);

/// A running host: its MCP state and the tasks it owns.
pub struct App {
    /// Shared MCP state for every transport.
    pub mcp: Arc<McpState>,
    /// The admin API's state.
    pub admin: Arc<AdminState>,
    /// The built-in authorization server (`[oauth_server]`), when on.
    pub oauth: Option<Arc<AuthorizationServer>>,
    /// Fires on shutdown; background tasks stop.
    pub shutdown: CancellationToken,
}

/// Loads every plugin, then marks the registry loaded and starts watching
/// the plugin directory and the lock file (as they were just before the
/// load read them, so that a change during the load is picked up).
async fn load_then_watch(
    loader: Arc<Loader>,
    registry: Arc<Registry>,
    config: Arc<Config>,
    started: Instant,
    shutdown: CancellationToken,
) {
    // The watchers take their first look before the load reads anything.
    let directory = config.plugin_dir.clone().map(|dir| {
        if !dir.is_dir() {
            tracing::warn!(dir = %dir.display(), "the plugin directory does not exist (yet); plugins added there later are loaded");
        }
        crate::plugins::watch(dir, loader.clone(), shutdown.clone())
    });
    let lock = config.plugins_lock_path().map(|lock| crate::plugins::watch_lock(lock, loader.clone(), shutdown));
    let loaded = loader.load_all().await;
    registry.finish_loading();
    tracing::info!(plugins = loaded, ms = started.elapsed().as_millis() as u64, "plugins loaded");
    if let Some(directory) = directory {
        tokio::spawn(directory);
    }
    if let Some(lock) = lock {
        tokio::spawn(lock);
    }
}

impl App {
    /// Starts the host: opens the state database (a corrupt or locked one
    /// is an error naming the file), starts the upstream servers in the
    /// background (each joins when it has answered; those saved through the
    /// admin API too), and starts loading every plugin the operator has not
    /// disabled (broken ones are reported and skipped) in the background,
    /// then watching the plugin directory and the lock file.
    pub async fn start(config: Config) -> Result<App> {
        let started = Instant::now();
        crate::install_crypto_provider();
        let config = Arc::new(config);
        let state_dir = config.state_dir.clone().context(
            "there is no default state directory (HOME is not set): set PORTCULLIS_STATE_DIR or `state_dir`",
        )?;
        let activity = config.activity;
        let state = Arc::new(tokio::task::spawn_blocking(move || StateDb::open(&state_dir, activity)).await??);
        let disabled = state.run(|s| s.disabled_plugins()).await?;
        let runtime = Arc::new(
            PluginRuntime::new(CompileCache::new(config.cache_dir.clone())).context("starting the plugin runtime")?,
        );
        let docker = config.docker.enabled.then(|| Arc::new(DockerService::connect(config.docker.clone())));
        if let Some(docker) = &docker {
            // Leftovers of a crashed run are swept in the background: an absent
            // engine must neither delay nor fail start-up.
            let sweeper = docker.clone();
            tokio::spawn(async move {
                if let Err(e) = sweeper.reap_leftovers().await {
                    tracing::warn!("could not sweep containers left by crashed runs: {}", e.message());
                }
            });
            docker.start_idle_reaper();
        }
        let services = Arc::new(HostServices {
            registry: Arc::new(Registry::loading()),
            index_urls: config.index_urls.clone(),
            policy: PolicyChain::new(config.docker.operator_policy()),
            docker,
        });
        if config.chatgpt_search_fetch {
            services.registry.insert_server(Arc::new(crate::chatgpt::SearchFetch::default()));
        }
        let upstreams = Upstreams::start(config.servers.clone(), &services).with_max_servers(config.max_servers);
        let loader = Arc::new(Loader::new(runtime, services.clone(), config.clone(), disabled.into_iter().collect()));
        let shutdown = CancellationToken::new();
        // The first load runs while the transports start: `initialize` is
        // answered at once, and what lists or calls waits for the load.
        let first_load =
            load_then_watch(loader.clone(), services.registry.clone(), config.clone(), started, shutdown.clone());
        tokio::spawn(first_load);
        let oauth = match config.oauth_server.clone() {
            Some(oauth) => {
                let server = AuthorizationServer::start(oauth, state.clone()).await?;
                server.start_sweeper(shutdown.clone());
                Some(server)
            }
            None => None,
        };
        let stored_tasks = state.run(|s| s.tasks()).await?;
        let mcp = McpState::new(services, upstreams, state, config.tasks.clone());
        let interrupted = mcp.tasks().restore(stored_tasks);
        if interrupted > 0 {
            tracing::warn!(tasks = interrupted, "tasks that were running when the host stopped are now failed");
        }
        let admin = AdminState::start(mcp.clone(), loader, &config.admin, oauth.clone()).await?;
        Ok(App { mcp, admin, oauth, shutdown })
    }

    /// Stops background work and releases what this instance owns: every
    /// container and session volume it created. The activity log is written
    /// out (for at most a second).
    pub async fn stop(&self) {
        self.shutdown.cancel();
        self.mcp.upstreams().stop().await;
        let state = self.mcp.state().clone();
        if !tokio::task::spawn_blocking(move || state.activity().flush(FLUSH)).await.unwrap_or(false) {
            tracing::warn!("the activity log could not be written out before exit");
        }
        if let Some(docker) = &self.mcp.services().docker {
            match docker.shutdown().await {
                Ok(removed) => tracing::info!(containers = removed, "removed this instance's containers"),
                Err(e) => tracing::warn!("could not remove this instance's containers: {}", e.message()),
            }
        }
    }
}
