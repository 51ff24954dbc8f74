//! The hardened configuration of a container: limits within the operator's
//! ceilings, no new privileges, no capabilities, no network unless approved,
//! an init process, ownership labels and the session's `/workspace` volume
//! (installers, see `install`, get the same hardening without the volume).

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType};

use super::config::DockerConfig;
use super::error::Error;
use crate::wit::docker::ContainerSpec;
use crate::wit::policy;

/// Where the session's volume is mounted, and the default working directory.
pub(super) const WORKSPACE: &str = "/workspace";

/// The smallest memory limit the engine accepts.
const MIN_MEMORY_BYTES: u64 = 6 << 20;

/// A container's resource limits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    memory_bytes: u64,
    nano_cpus: i64,
    pids: u32,
}

impl Limits {
    /// The spec's limits, or the operator's where unset. A limit above the
    /// operator's is denied, naming the setting that raises it.
    pub(super) fn resolve(config: &DockerConfig, spec: &ContainerSpec) -> Result<Limits, Error> {
        fn ceiling<T: PartialOrd + std::fmt::Display>(asked: T, max: T, what: &str, setting: &str) -> Result<T, Error> {
            if asked > max {
                return Err(Error::Denied(format!(
                    "a {what} of {asked} exceeds the operator's maximum of {max}; the operator can raise `{setting}` under [docker] in portcullis.toml"
                )));
            }
            Ok(asked)
        }
        let memory_bytes = ceiling(
            spec.memory_bytes.unwrap_or(config.memory_bytes),
            config.memory_bytes,
            "memory limit (bytes)",
            "docker.memory_mib",
        )?;
        if memory_bytes < MIN_MEMORY_BYTES {
            return Err(Error::InvalidParams(format!("memory-bytes must be at least {MIN_MEMORY_BYTES} (6 MiB)")));
        }
        let cpus = ceiling(spec.cpus.unwrap_or(config.cpus), config.cpus, "CPU limit (cores)", "docker.cpus")?;
        if !(cpus.is_finite() && cpus >= 0.01) {
            return Err(Error::InvalidParams(format!("cpus must be at least 0.01, not {cpus}")));
        }
        let pids = ceiling(spec.pids.unwrap_or(config.pids), config.pids, "process limit", "docker.pids")?;
        if pids == 0 {
            return Err(Error::InvalidParams("pids must be at least 1".into()));
        }
        Ok(Limits { memory_bytes, nano_cpus: (cpus * 1e9).round() as i64, pids })
    }

    /// The limits a container was created with.
    pub(super) fn of(host: &HostConfig) -> Limits {
        Limits {
            memory_bytes: host.memory.and_then(|m| u64::try_from(m).ok()).unwrap_or(MIN_MEMORY_BYTES),
            nano_cpus: host.nano_cpus.unwrap_or(10_000_000),
            pids: host.pids_limit.and_then(|p| u32::try_from(p).ok()).unwrap_or(1),
        }
    }
}

/// Everything that goes into a container beyond the image.
pub(super) struct Blueprint<'a> {
    pub(super) image: &'a str,
    pub(super) env: Vec<String>,
    pub(super) network: bool,
    /// Host mounts, already approved by the policy chain (resolved paths).
    pub(super) mounts: &'a [policy::Mount],
    pub(super) labels: HashMap<String, String>,
    /// The session's workspace volume; installers and servers have none.
    pub(super) volume: Option<&'a str>,
    pub(super) limits: Limits,
    /// What the container runs.
    pub(super) process: Process,
}

/// What a container runs.
pub(super) enum Process {
    /// `sleep infinity` under the init process, in `/workspace`, so it stays
    /// up for execs and stops at once (sandboxes, installers).
    Idle,
    /// The image's own command, or `cmd`, with stdin kept open and nothing
    /// else (no TTY): an MCP server spoken to through the attach API.
    Server { cmd: Option<Vec<String>> },
}

impl Blueprint<'_> {
    /// The engine's create request.
    pub(super) fn body(self) -> ContainerCreateBody {
        let workspace = self.volume.map(|volume| Mount {
            target: Some(WORKSPACE.into()),
            source: Some(volume.into()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        });
        let binds = self.mounts.iter().map(|m| Mount {
            target: Some(m.container_path.clone()),
            source: Some(m.host_path.clone()),
            typ: Some(MountType::BIND),
            read_only: Some(m.read_only),
            ..Default::default()
        });
        let memory = i64::try_from(self.limits.memory_bytes).unwrap_or(i64::MAX);
        let host_config = HostConfig {
            memory: Some(memory),
            memory_swap: Some(memory),
            nano_cpus: Some(self.limits.nano_cpus),
            pids_limit: Some(i64::from(self.limits.pids)),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges:true".into()]),
            network_mode: Some(if self.network { "bridge" } else { "none" }.into()),
            init: Some(true),
            mounts: Some(workspace.into_iter().chain(binds).collect()),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(self.image.into()),
            env: Some(self.env),
            labels: Some(self.labels),
            host_config: Some(host_config),
            ..Default::default()
        };
        match self.process {
            Process::Idle => ContainerCreateBody {
                entrypoint: Some(vec!["sleep".into()]),
                cmd: Some(vec!["infinity".into()]),
                working_dir: Some(WORKSPACE.into()),
                ..body
            },
            Process::Server { cmd } => ContainerCreateBody {
                cmd,
                open_stdin: Some(true),
                stdin_once: Some(false),
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(false),
                ..body
            },
        }
    }
}

/// `KEY=value` strings for the engine; keys must be non-empty, without `=` or NUL.
pub(super) fn env(pairs: &[(String, String)]) -> Result<Vec<String>, Error> {
    pairs
        .iter()
        .map(|(key, value)| {
            if key.is_empty() || key.contains(['=', '\0']) || value.contains('\0') {
                return Err(Error::InvalidParams(format!(
                    "environment variable `{key}` is invalid: names must be non-empty and contain no `=` or NUL"
                )));
            }
            Ok(format!("{key}={value}"))
        })
        .collect()
}

/// Checks a caller's container name: 1 to 64 of `A-Z a-z 0-9 _ . -`, starting alphanumeric.
pub(super) fn check_name(name: &str) -> Result<(), Error> {
    let valid = name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if valid {
        return Ok(());
    }
    Err(Error::InvalidParams(format!(
        "container name `{name}` is invalid: use 1 to 64 letters, digits, `_`, `.` or `-`, starting with a letter or digit"
    )))
}

/// Checks where a host mount appears: absolute, no `..`, and not `/workspace` itself.
pub(super) fn check_mount_target(path: &str) -> Result<(), Error> {
    let valid = path.starts_with('/') && !path.split('/').any(|c| c == "..") && path.trim_end_matches('/') != WORKSPACE;
    if valid && path != "/" {
        return Ok(());
    }
    Err(Error::InvalidParams(format!(
        "mount target `{path}` is invalid: it must be an absolute container path without `..`, other than `/` and `{WORKSPACE}`"
    )))
}
