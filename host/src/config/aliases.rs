//! Environment variables of the projects Portcullis replaces, accepted as
//! aliases so that a deployment can swap Portcullis in unchanged: seed 002's
//! Docker MCP server (`DOCKER_MCP_*`) and seed 004's MCP host (`CORS_ORIGINS`,
//! `HOST`, `PORT`, `SERVER_TIMEOUT`, `MAX_CONCURRENT_SERVERS`,
//! `RATE_LIMIT_PER_MINUTE`). Seed 000's (`API_KEY`, `HTTP_PORT`,
//! `RATE_LIMIT_REQUESTS`, `RATE_LIMIT_WINDOW`) are Portcullis's own.
//!
//! An alias overrides the file, and Portcullis's own variable overrides the
//! alias: [`apply`] runs before the own variables are read.

use std::net::IpAddr;
use std::time::Duration;

use super::{Config, ConfigError, Environment, parse_bool};

/// Applies every alias that is set over `config`; returns the problems, each
/// naming its variable.
pub(super) fn apply(config: &mut Config, env: &dyn Environment) -> Vec<ConfigError> {
    let mut problems = Vec::new();
    let p = &mut problems;
    let docker = &mut config.docker;
    if let Some(bytes) = keep(p, number::<u64>(env, "DOCKER_MCP_MEMORY_LIMIT")) {
        docker.memory_bytes = bytes;
    }
    if let Some(cpus) = keep(p, cpus(env)) {
        docker.cpus = cpus;
    }
    if let Some(pids) = keep(p, number::<u32>(env, "DOCKER_MCP_PIDS_LIMIT")) {
        docker.pids = pids;
    }
    if let Some(secs) = keep(p, number::<u64>(env, "DOCKER_MCP_TIMEOUT")) {
        docker.exec_timeout = Duration::from_secs(secs);
    }
    let debug = env.var("DOCKER_MCP_DEBUG").map(|v| parse_bool("DOCKER_MCP_DEBUG", &v)).transpose();
    if keep(p, debug) == Some(true) {
        config.log_level = "debug".into();
    }
    let http = &mut config.http;
    if let Some(origins) = env.var("CORS_ORIGINS") {
        http.cors_origins = origins.split(',').map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect();
    }
    if let Some(ip) = env.var("HOST").and_then(|h| host_address(&h)) {
        http.bind.set_ip(ip);
    }
    if let Some(port) = keep(p, number::<u16>(env, "PORT")) {
        http.bind.set_port(port);
    }
    if let Some(requests) = keep(p, number::<u32>(env, "RATE_LIMIT_PER_MINUTE")) {
        http.rate_limit = Some(super::RateLimit { requests, window: Duration::from_secs(60) });
    }
    if let Some(n) = keep(p, number::<usize>(env, "MAX_CONCURRENT_SERVERS")) {
        config.max_servers = Some(n);
    }
    problems
}

/// The value found, or `None` with the problem added to `problems`.
fn keep<T>(problems: &mut Vec<ConfigError>, found: Result<Option<T>, ConfigError>) -> Option<T> {
    found.unwrap_or_else(|e| {
        problems.push(e);
        None
    })
}

/// `DOCKER_MCP_CPU_LIMIT`: a positive number of cores.
fn cpus(env: &dyn Environment) -> Result<Option<f64>, ConfigError> {
    let Some(v) = env.var("DOCKER_MCP_CPU_LIMIT") else { return Ok(None) };
    match v.trim().parse::<f64>() {
        Ok(cpus) if cpus.is_finite() && cpus > 0.0 => Ok(Some(cpus)),
        _ => Err(ConfigError(format!("`DOCKER_MCP_CPU_LIMIT` must be a positive number, not `{v}`"))),
    }
}

/// `SERVER_TIMEOUT`: the start-up timeout of servers that set none. Read
/// before the file, whose servers are resolved with it.
pub(super) fn server_timeout(env: &dyn Environment) -> Result<Option<Duration>, ConfigError> {
    Ok(number::<u64>(env, "SERVER_TIMEOUT")?.map(Duration::from_secs))
}

/// A positive number in variable `name`, if set.
fn number<T: std::str::FromStr + PartialEq + Default>(
    env: &dyn Environment,
    name: &str,
) -> Result<Option<T>, ConfigError> {
    let Some(value) = env.var(name) else { return Ok(None) };
    match value.trim().parse::<T>() {
        Ok(n) if n != T::default() => Ok(Some(n)),
        Ok(_) => Err(ConfigError(format!("`{name}` must be greater than zero"))),
        Err(_) => Err(ConfigError(format!("`{name}` must be a whole number, not `{value}`"))),
    }
}

/// `HOST`: an IP address (`0.0.0.0`, `::`, `[::1]`) or `localhost`. Any
/// other value is ignored: many machines export their own name as `HOST`,
/// which is no listen address, and must not stop a stdio server.
fn host_address(value: &str) -> Option<IpAddr> {
    let trimmed = value.trim();
    if trimmed.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    }
    trimmed.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, FakeEnv, RateLimit};
    use std::time::Duration;

    fn load(text: &str, env: Vec<(&'static str, &'static str)>) -> Result<Config, crate::config::ConfigError> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        Config::load(Some(file.path()), &FakeEnv(env))
    }

    #[test]
    fn seed_002_docker_variables_set_the_container_limits() {
        let file = "[docker]\nmemory_mib = 64\ncpus = 0.5\npids = 10\nexec_timeout_secs = 5\n";
        let env = vec![
            ("DOCKER_MCP_MEMORY_LIMIT", "2147483648"),
            ("DOCKER_MCP_CPU_LIMIT", "2.0"),
            ("DOCKER_MCP_PIDS_LIMIT", "1024"),
            ("DOCKER_MCP_TIMEOUT", "90"),
            ("DOCKER_MCP_DEBUG", "true"),
        ];
        let config = load(file, env).unwrap();
        assert_eq!(config.docker.memory_bytes, 2 << 30);
        assert_eq!(config.docker.cpus, 2.0);
        assert_eq!(config.docker.pids, 1024);
        assert_eq!(config.docker.exec_timeout, Duration::from_secs(90));
        assert_eq!(config.log_level, "debug");
        // The file alone still holds; DOCKER_MCP_DEBUG=false leaves the level.
        let config = load(file, vec![("DOCKER_MCP_DEBUG", "false")]).unwrap();
        assert_eq!((config.docker.memory_bytes, config.docker.pids, config.log_level.as_str()), (64 << 20, 10, "info"));
    }

    #[test]
    fn portcullis_own_variables_win_over_the_aliases() {
        let env = vec![
            ("DOCKER_MCP_DEBUG", "1"),
            ("LOG_LEVEL", "warn"),
            ("PORT", "8000"),
            ("HTTP_PORT", "3001"),
            ("RATE_LIMIT_PER_MINUTE", "100"),
            ("RATE_LIMIT_REQUESTS", "5"),
        ];
        let config = load("", env).unwrap();
        assert_eq!(config.log_level, "warn");
        assert_eq!(config.http.bind.port(), 3001);
        assert_eq!(config.http.rate_limit, Some(RateLimit { requests: 5, window: Duration::from_secs(60) }));
    }

    #[test]
    fn seed_004_variables_set_the_listener_and_servers() {
        let file = "[http]\nbind = \"127.0.0.1:9000\"\ncors_origins = [\"https://file.example\"]\n";
        let env = vec![
            ("CORS_ORIGINS", "https://chat.openai.com, https://chatgpt.com"),
            ("HOST", "0.0.0.0"),
            ("PORT", "8000"),
            ("SERVER_TIMEOUT", "45"),
            ("MAX_CONCURRENT_SERVERS", "10"),
            ("RATE_LIMIT_PER_MINUTE", "100"),
        ];
        let config = load(file, env).unwrap();
        assert_eq!(config.http.cors_origins, ["https://chat.openai.com", "https://chatgpt.com"]);
        assert_eq!(config.http.bind, "0.0.0.0:8000".parse().unwrap());
        assert_eq!(config.http.rate_limit, Some(RateLimit { requests: 100, window: Duration::from_secs(60) }));
        assert_eq!(config.servers_startup_timeout, Duration::from_secs(45));
        assert_eq!(config.max_servers, Some(10));
        assert_eq!(load("", vec![("HOST", "[::]")]).unwrap().http.bind, "[::]:8808".parse().unwrap());
        // A machine's name in HOST is not a listen address, and is no error either.
        assert_eq!(load("", vec![("HOST", "my-laptop")]).unwrap().http.bind, "127.0.0.1:8808".parse().unwrap());
    }

    #[test]
    fn server_timeout_is_the_default_start_up_timeout_of_servers() {
        let file = "[servers.a]\ncommand = [\"a\"]\n[servers.b]\ncommand = [\"b\"]\nstartup_timeout_secs = 5\n";
        let config = load(file, vec![("SERVER_TIMEOUT", "45")]).unwrap();
        let timeouts: Vec<_> = config.servers.iter().map(|s| s.startup_timeout.as_secs()).collect();
        assert_eq!(timeouts, [45, 5]);
    }

    #[test]
    fn max_concurrent_servers_caps_the_configured_servers() {
        let file = "[servers.a]\ncommand = [\"a\"]\n[servers.b]\ncommand = [\"b\"]\n";
        let err = load(file, vec![("MAX_CONCURRENT_SERVERS", "1")]).unwrap_err().to_string();
        assert!(err.contains("MAX_CONCURRENT_SERVERS") && err.contains('2'), "{err}");
    }

    #[test]
    fn config_check_reports_every_bad_alias() {
        let env = FakeEnv(vec![("DOCKER_MCP_PIDS_LIMIT", "0"), ("DOCKER_MCP_DEBUG", "maybe"), ("PORT", "http")]);
        let (_, problems) = Config::check(None, &env);
        let text = format!("{problems:?}");
        assert_eq!(problems.len(), 3, "{text}");
        assert!(text.contains("DOCKER_MCP_PIDS_LIMIT") && text.contains("DEBUG") && text.contains("PORT"), "{text}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("DOCKER_MCP_MEMORY_LIMIT", "2GB"),
            ("DOCKER_MCP_CPU_LIMIT", "-1"),
            ("DOCKER_MCP_PIDS_LIMIT", "0"),
            ("DOCKER_MCP_TIMEOUT", "soon"),
            ("DOCKER_MCP_DEBUG", "maybe"),
            ("PORT", "99999"),
            ("SERVER_TIMEOUT", "0"),
            ("MAX_CONCURRENT_SERVERS", "x"),
            ("RATE_LIMIT_PER_MINUTE", "lots"),
        ] {
            let err = load("", vec![(name, value)]).unwrap_err().to_string();
            assert!(err.contains(name), "expected `{name}` in: {err}");
        }
    }
}
