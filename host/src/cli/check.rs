//! Checks that need no running host: `portcullis config check` (every
//! configuration problem with its key, or the effective configuration with
//! its secrets redacted) and `portcullis health` (the configuration, the
//! plugins, and the HTTP listener's `/readyz` when one runs), both exiting
//! 0 when all is well and 1 otherwise. Container health checks run
//! `portcullis health`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::config::{Config, ConfigError, Environment, HttpConfig, ProcessEnv};
use crate::plugins::{BUNDLED, CompileCache, HostServices, Loader, PluginRuntime, wasm_files};
use crate::policy::PolicyChain;
use crate::providers::Registry;
use crate::transports::http::HttpServer;

/// `portcullis config …`.
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Report every configuration problem with its key (exit 1), or print the
    /// effective configuration with its secrets redacted (exit 0).
    Check {
        /// The configuration file (else CONFIG_FILE).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `portcullis health`.
#[derive(Args, Debug)]
pub struct HealthArgs {
    /// The configuration file (else CONFIG_FILE).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A directory of *.wasm plugins (else PORTCULLIS_PLUGINS or `plugin_dir`).
    #[arg(long, value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// The base URL of the running host's HTTP listener, whose /readyz is
    /// asked; else `http.bind` when it is configured.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
}

/// Runs `portcullis config check`.
pub fn config_check(command: ConfigCommand) -> ExitCode {
    let ConfigCommand::Check { config } = command;
    let (config, problems) = checked(config.as_deref(), &ProcessEnv);
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("portcullis: {problem}");
        }
        eprintln!("portcullis: {} problem{} found", problems.len(), if problems.len() == 1 { "" } else { "s" });
        return ExitCode::from(1);
    }
    println!("{:#?}", config.redacted());
    ExitCode::SUCCESS
}

/// The configuration and every problem found in it, the `[http]` settings included.
fn checked(path: Option<&Path>, env: &dyn Environment) -> (Config, Vec<ConfigError>) {
    let (config, mut problems) = Config::check(path, env);
    if let Err(e) = HttpServer::check(&config.http) {
        problems.push(ConfigError(format!("{e:#}")));
    }
    (config, problems)
}

/// Runs `portcullis health`: prints what it checked to stdout, what failed to
/// stderr, and exits 1 if anything failed.
pub fn health(args: HealthArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("portcullis: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let failures = runtime.block_on(check_health(args, &ProcessEnv));
    for failure in &failures {
        eprintln!("portcullis: unhealthy: {failure}");
    }
    if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// What `portcullis health` found wrong (empty when healthy).
async fn check_health(args: HealthArgs, env: &dyn Environment) -> Vec<String> {
    let (mut config, problems) = checked(args.config.as_deref(), env);
    if !problems.is_empty() {
        return problems.iter().map(|p| p.to_string()).collect();
    }
    println!("configuration: ok");
    if let Some(dir) = args.plugins {
        config.plugin_dir = Some(dir);
    }
    let mut failures = match load_plugins(&config).await {
        Ok((loaded, failed)) => {
            println!("plugins: {loaded} loaded");
            failed
        }
        Err(e) => vec![format!("cannot start the plugin runtime: {e:#}")],
    };
    // The host's own TLS listener is asked without checking its certificate,
    // which names the public host, not this address; nothing secret is sent.
    let url = match args.url {
        Some(url) => Some((url, false)),
        None => configured_listener(&config.http).map(|url| (url, config.http.tls.is_some())),
    };
    if let Some((url, own_certificate)) = url {
        match ready(&url, own_certificate).await {
            Ok(()) => println!("http: {url}/readyz answered ready"),
            Err(e) => failures.push(e),
        }
    }
    failures
}

/// Loads every plugin the host would (the bundled ones, the lock file's,
/// the plugin directory's), without Docker; returns how many loaded and why the
/// others did not. Loading them fills the compile cache, as the host's
/// start would.
pub async fn load_plugins(config: &Config) -> anyhow::Result<(usize, Vec<String>)> {
    let loader = offline_loader(config.clone())?;
    let (mut loaded, mut failed) = (0, Vec::new());
    if config.bundled_plugins {
        for bundled in BUNDLED {
            match loader.load_bundled(bundled).await {
                Ok(_) => loaded += 1,
                Err(e) => failed.push(format!("bundled plugin `{}` does not load: {e:#}", bundled.name)),
            }
        }
    }
    for entry in loader.lock().plugins {
        match loader.load_locked(&entry).await {
            Ok(_) => loaded += 1,
            Err(e) => failed.push(format!("locked plugin `{}` does not load: {e:#}", entry.name)),
        }
    }
    if let Some(dir) = &config.plugin_dir {
        let files = match wasm_files(dir) {
            Ok(files) => files,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                failed.push(format!("cannot read the plugin directory {}: {e}", dir.display()));
                Vec::new()
            }
        };
        for file in files {
            match loader.load_file(&file).await {
                Ok(_) => loaded += 1,
                Err(e) => failed.push(format!("plugin {} does not load: {e:#}", file.display())),
            }
        }
    }
    Ok((loaded, failed))
}

/// A loader like the host's for commands that run no host: its own plugin
/// runtime and registry, the operator's policy, no Docker, nothing disabled.
pub(super) fn offline_loader(config: Config) -> anyhow::Result<Loader> {
    let runtime = Arc::new(PluginRuntime::new(CompileCache::new(config.cache_dir.clone()))?);
    let services = Arc::new(HostServices {
        registry: Arc::new(Registry::default()),
        index_urls: config.index_urls.clone(),
        policy: PolicyChain::new(config.docker.operator_policy()),
        docker: None,
    });
    Ok(Loader::new(runtime, services, Arc::new(config), BTreeSet::new()))
}

/// An offline loader for one component file on its own: no bundled
/// plugins, no compile cache, no operator configuration.
pub(super) fn component_loader() -> anyhow::Result<Loader> {
    offline_loader(Config { bundled_plugins: false, cache_dir: None, ..Config::default() })
}

/// The listener's URL (`https` with `http.tls_cert`) when `[http] bind` (or
/// HOST, PORT, HTTP_PORT) moved it from the default, which only `serve
/// --http` uses; unspecified addresses (`0.0.0.0`, `::`) are asked on loopback.
fn configured_listener(http: &HttpConfig) -> Option<String> {
    let mut addr = http.bind;
    if addr == HttpConfig::default().bind {
        return None;
    }
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let scheme = if http.tls.is_some() { "https" } else { "http" };
    Some(format!("{scheme}://{addr}"))
}

/// Asks `{url}/readyz`, accepting any certificate when `own_certificate`;
/// an error says what answered, or that nothing did.
async fn ready(url: &str, own_certificate: bool) -> Result<(), String> {
    let readyz = format!("{}/readyz", url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .danger_accept_invalid_certs(own_certificate)
        .build()
        .map_err(|e| e.to_string())?;
    match client.get(&readyz).send().await {
        Ok(answer) if answer.status().is_success() => Ok(()),
        Ok(answer) => {
            let status = answer.status();
            let body = answer.text().await.unwrap_or_default();
            Err(format!("{readyz} answered {status}: {}", body.trim()))
        }
        Err(e) => Err(format!(
            "nothing answered at {readyz} ({e}); is `portcullis serve --http` running there? (--url names another listener)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FakeEnv, write};

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let file = write(
            "log_levle = \"warn\"\n[docker]\npids = 0\n[http]\ncors_origins = [\"chatgpt.com\"]\n[servers.a]\nurl = \"ftp://x\"\n[servers.b]\ncommand = []\n",
        );
        let env = FakeEnv(vec![("HTTP_PORT", "eighty")]);
        let (_, problems) = checked(Some(file.path()), &env);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        for key in ["log_levle", "docker.pids", "servers.a.url", "servers.b.command", "HTTP_PORT"] {
            assert!(text.iter().any(|p| p.contains(key)), "expected `{key}` in {text:#?}");
        }
    }

    #[test]
    fn a_good_configuration_prints_without_its_secrets() {
        let file = write(
            "[http.api_keys]\nci = \"file-api-key-0123456789\"\n[admin.keys]\nops = \"file-admin-key-0123456789\"\n[servers.git]\ncommand = [\"git-mcp\"]\nenv = { TOKEN = \"server-token-value\" }\n",
        );
        let env = FakeEnv(vec![("API_KEY", "env-api-key-0123456789")]);
        let (config, problems) = checked(Some(file.path()), &env);
        assert!(problems.is_empty(), "{problems:?}");
        let printed = format!("{:#?}", config.redacted());
        for secret in ["file-api-key", "file-admin-key", "server-token-value", "env-api-key"] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
        assert!(
            printed.contains("\"ci\"") && printed.contains("<redacted>") && printed.contains("git-mcp"),
            "{printed}"
        );
    }

    #[test]
    fn only_a_moved_listener_is_asked() {
        assert_eq!(configured_listener(&HttpConfig::default()), None);
        let moved = HttpConfig { bind: "0.0.0.0:9000".parse().unwrap(), ..HttpConfig::default() };
        assert_eq!(configured_listener(&moved).as_deref(), Some("http://127.0.0.1:9000"));
        let files = crate::config::TlsFiles { cert: "c.pem".into(), key: "k.pem".into() };
        let tls = HttpConfig { tls: Some(files), ..moved };
        assert_eq!(configured_listener(&tls).as_deref(), Some("https://127.0.0.1:9000"));
    }
}
