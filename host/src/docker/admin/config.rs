//! `[docker_admin]`: what the `docker-engine` import may touch, and when a
//! destructive call asks the user first.

use super::scope::Rules;
use crate::caller::Principal;

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
    /// Who may manage the engine, as globs over principals
    /// (`docker_admin.principals`; default the local user and every
    /// authenticated HTTP client, never an anonymous one).
    pub principals: Vec<String>,
    /// `docker_admin.confirm` (default `elicit`).
    pub confirm: Confirm,
    /// The most log text one call returns, in bytes (`docker_admin.logs_cap_bytes`, default 64 KiB).
    pub logs_cap_bytes: usize,
}

/// Who may manage the engine unless the operator says otherwise: the local
/// user and HTTP clients with an API key or access token.
const DEFAULT_PRINCIPALS: [&str; 3] = ["local", "key:*", "oauth:*"];

impl DockerAdminConfig {
    /// Fails, naming the setting, unless `principal` may manage the engine.
    pub fn admit_principal(&self, principal: &Principal) -> Result<(), String> {
        if self.principals.iter().any(|pattern| plugin_kit::glob(pattern, principal.as_str())) {
            return Ok(());
        }
        let listed: Vec<String> = self.principals.iter().map(|p| format!("\"{p}\"")).collect();
        Err(format!(
            "`{principal}` may not manage the Docker engine: it matches none of `docker_admin.principals` = [{}] (portcullis.toml); unauthenticated HTTP clients are left out unless listed",
            listed.join(", ")
        ))
    }
}

impl Default for DockerAdminConfig {
    fn default() -> Self {
        Self {
            containers: Rules::default(),
            images: Rules::default(),
            volumes: Rules::default(),
            networks: Rules::default(),
            principals: DEFAULT_PRINCIPALS.iter().map(|p| p.to_string()).collect(),
            confirm: Confirm::default(),
            logs_cap_bytes: 64 << 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_only_the_local_user_and_authenticated_clients_manage_the_engine() {
        let config = DockerAdminConfig::default();
        for allowed in [Principal::local(), Principal::api_key("ops"), Principal::token("https://idp", "ada")] {
            assert!(config.admit_principal(&allowed).is_ok(), "{allowed}");
        }
        for refused in [Principal::anonymous(), Principal::anonymous_session("s1")] {
            let why = config.admit_principal(&refused).unwrap_err();
            assert!(why.contains("`docker_admin.principals`") && why.contains(refused.as_str()), "{why}");
        }
    }
}
