//! The operator's `[docker]` settings: engine address, container limits,
//! allowlists and bookkeeping intervals.

use std::path::PathBuf;
use std::time::Duration;

use crate::policy::OperatorPolicy;

/// The engine address used when neither `host` under `[docker]` nor
/// `DOCKER_HOST` names one.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// `[docker]` in `portcullis.toml`, after the environment is applied
/// (`DOCKER_HOST` overrides `host`, `PORTCULLIS_DOCKER_IMAGES` overrides `images`).
/// Limits are both the defaults for containers that set none and the ceilings
/// for those that do.
#[derive(Debug, Clone)]
pub struct DockerConfig {
    /// Whether the host offers the Docker primitives at all (`enabled`).
    pub enabled: bool,
    /// The engine address (`unix://…`, `tcp://…`, `http://…`); `None` is `DEFAULT_HOST`.
    pub host: Option<String>,
    /// Memory per container in bytes (`memory_mib`, default 1 GiB); swap is not added.
    pub memory_bytes: u64,
    /// CPU cores per container (`cpus`, default 1).
    pub cpus: f64,
    /// Processes per container (`pids`, default 512).
    pub pids: u32,
    /// Whether containers may have a network at all (`allow_network`, default
    /// true); each plugin still needs the `network` or `install-network` grant.
    pub allow_network: bool,
    /// Image patterns with `*` wildcards (`images`); empty allows every image.
    pub images: Vec<String>,
    /// Host directories under which mounts are allowed (`mount_allow`); empty denies all mounts.
    pub mount_allow: Vec<PathBuf>,
    /// Containers unused (no exec or file operation) for this long are removed (`idle_ttl_secs`).
    pub idle_ttl: Duration,
    /// Timeout of an exec that sets none (`exec_timeout_secs`).
    pub exec_timeout: Duration,
    /// Captured stdout plus stderr of one exec, in bytes (`output_cap_bytes`).
    pub output_cap_bytes: usize,
    /// The image used when a container spec names none (`default_image`).
    pub default_image: String,
    /// How many containers one principal may have at once, across its
    /// sessions (`max_containers_per_principal`, default 16).
    pub max_containers_per_principal: usize,
    /// How much a session's `/workspace` may hold, in bytes (`workspace_mib`,
    /// default 1 GiB); see the `quota` module for how it is enforced.
    pub workspace_bytes: u64,
    /// `[docker_admin]`: the scope and confirmation of engine management
    /// (the `docker-engine` import).
    pub admin: super::DockerAdminConfig,
}

impl Default for DockerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            host: None,
            memory_bytes: 1 << 30,
            cpus: 1.0,
            pids: 512,
            allow_network: true,
            images: Vec::new(),
            mount_allow: Vec::new(),
            idle_ttl: Duration::from_secs(1800),
            exec_timeout: Duration::from_secs(60),
            output_cap_bytes: 1 << 20,
            default_image: "python:3.12-slim".into(),
            max_containers_per_principal: 16,
            workspace_bytes: 1 << 30,
            admin: super::DockerAdminConfig::default(),
        }
    }
}

impl DockerConfig {
    /// The engine address in effect.
    pub fn engine_host(&self) -> &str {
        self.host.as_deref().unwrap_or(DEFAULT_HOST)
    }

    /// The operator's rules for the policy chain. The engine's own socket (when
    /// `host` is a `unix://` address) joins the paths that can never be mounted.
    pub fn operator_policy(&self) -> OperatorPolicy {
        OperatorPolicy {
            mount_allow: self.mount_allow.clone(),
            images: self.images.clone(),
            allow_network: self.allow_network,
            engine_sockets: self.engine_host().strip_prefix("unix://").map(PathBuf::from).into_iter().collect(),
        }
    }
}
