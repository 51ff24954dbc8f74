//! `[docker_admin]`: what the `docker-engine` import may touch, and when a
//! destructive call asks the user first.

use super::scope::Rules;

/// When a destructive call (stopping or removing a container, removing an
/// image, volume or network, pruning) asks the user to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Confirm {
    /// Never: the call goes ahead.
    Never,
    /// Whenever the client can ask (elicitation); a client that cannot is
    /// not asked and the call goes ahead.
    #[default]
    Elicit,
    /// Always: a client that cannot ask is refused.
    Require,
}

impl Confirm {
    /// Every mode, for messages that list them.
    pub const ALL: [Confirm; 3] = [Confirm::Never, Confirm::Elicit, Confirm::Require];

    /// The name used in `portcullis.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Confirm::Never => "never",
            Confirm::Elicit => "elicit",
            Confirm::Require => "require",
        }
    }
}

/// The operator's scope for engine management: which objects of each kind
/// may be touched, and when to confirm. Portcullis's own objects and the
/// container the host runs in are out of scope whatever the rules say.
#[derive(Debug, Clone, PartialEq)]
pub struct DockerAdminConfig {
    /// `[docker_admin.containers]`.
    pub containers: Rules,
    /// `[docker_admin.images]`, matched against an image's tags and id.
    pub images: Rules,
    /// `[docker_admin.volumes]`.
    pub volumes: Rules,
    /// `[docker_admin.networks]`.
    pub networks: Rules,
    /// `docker_admin.confirm` (default `elicit`).
    pub confirm: Confirm,
    /// The most log text one call returns, in bytes (`docker_admin.logs_cap_bytes`, default 64 KiB).
    pub logs_cap_bytes: usize,
}

impl Default for DockerAdminConfig {
    fn default() -> Self {
        Self {
            containers: Rules::default(),
            images: Rules::default(),
            volumes: Rules::default(),
            networks: Rules::default(),
            confirm: Confirm::default(),
            logs_cap_bytes: 64 << 10,
        }
    }
}
