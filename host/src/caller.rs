//! Who is calling, and what they may do: the calling plugin and the operator's
//! policy for it (limits, grants, settings), and the context of the call (the
//! session, the client to talk back to, cancellation).
//!
//! Like [`crate::wit`], this module is at the ground: every layer may import it,
//! so host capabilities check grants without knowing the plugin runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::wit::client::{ElicitRequest, ElicitResponse, Root, SamplingRequest, SamplingResponse};
use crate::wit::log::Level;

/// A permission the operator grants a plugin. Calls beyond the grants fail
/// with an error that names the missing grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grant {
    /// Use the Docker primitives.
    Docker,
    /// Create containers with a network attached.
    Network,
    /// Attach a network to a container for the duration of an install.
    InstallNetwork,
    /// Serve a language or package manager (for plugins from the plugin
    /// directory; bundled language packs need no grant).
    LanguagePack,
    /// Read the whole Docker engine's state (the `docker-engine` import's
    /// listings, inspection, logs, stats, disk usage and events).
    DockerRead,
    /// Change the whole Docker engine's state (start, stop, remove, pull,
    /// prune, create through the `docker-engine` import).
    DockerManage,
}

impl Grant {
    /// Every grant, for messages that list them.
    pub const ALL: [Grant; 6] = [
        Grant::Docker,
        Grant::Network,
        Grant::InstallNetwork,
        Grant::LanguagePack,
        Grant::DockerRead,
        Grant::DockerManage,
    ];

    /// The name used in `portcullis.toml` (`grants = ["docker"]`).
    pub fn name(self) -> &'static str {
        match self {
            Grant::Docker => "docker",
            Grant::Network => "network",
            Grant::InstallNetwork => "install-network",
            Grant::LanguagePack => "language-pack",
            Grant::DockerRead => "docker-read",
            Grant::DockerManage => "docker-manage",
        }
    }

    /// Parses a grant name as written in the config file.
    pub fn parse(name: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// Limits applied to every call into one plugin. Each call gets a fresh store,
/// so a limit bounds one call, never the plugin's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most linear memory one call may grow to, in bytes.
    pub memory_bytes: usize,
    /// How long a call may compute (guest code only) before it is interrupted.
    pub cpu_time: Duration,
    /// How long a call may take in all, including time spent waiting on the host
    /// (Docker, the client). Exceeding it cancels the call.
    pub wall_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { memory_bytes: 64 << 20, cpu_time: Duration::from_secs(5), wall_time: Duration::from_secs(300) }
    }
}

/// How long a plugin instance lives (`[plugins.X] instance`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Instances {
    /// A fresh instance for every call (the default): nothing survives a call.
    #[default]
    PerCall,
    /// One instance for all calls of one session of one principal, kept
    /// between its calls (a REPL, a parsed index, a cache) and dropped when
    /// the session ends or idles; never shared across sessions or principals.
    PerSession,
}

impl Instances {
    /// The setting's values, as written in portcullis.toml.
    pub const NAMES: [&str; 2] = ["per-call", "per-session"];

    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Instances> {
        match name {
            "per-call" => Some(Instances::PerCall),
            "per-session" => Some(Instances::PerSession),
            _ => None,
        }
    }
}

/// The operator's view of one plugin: its limits, grants and settings.
#[derive(Debug, Clone, Default)]
pub struct PluginPolicy {
    /// Resource limits for each call.
    pub limits: Limits,
    /// Whether its instances live for a call or for a session.
    pub instances: Instances,
    /// What the plugin may do beyond computing.
    pub grants: BTreeSet<Grant>,
    /// Values the plugin reads through the `config` import.
    pub settings: BTreeMap<String, String>,
}

/// Why a request to the client was not answered. Either way the plugin gets a
/// `failed` error with the text; a pending request also makes the call end
/// with an input-required result once the plugin returns.
#[derive(Debug, Clone)]
pub enum ClientRequestError {
    /// The client cannot do this (no capability, disconnected, refused).
    Failed(String),
    /// 2026-07-28: the answer comes with the next attempt of the call.
    Pending(String),
}

/// The client on whose behalf a call runs, as the plugin imports see it.
/// Implemented by the protocol layer for each session and request.
pub trait ClientLink: Send + Sync {
    /// Sends a log record if the client asked for that level.
    fn log(&self, level: Level, logger: String, message: String) -> BoxFuture<'_, ()>;
    /// Sends a progress notification if the request carried a progress token.
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) -> BoxFuture<'_, ()>;
    /// Takes output of a command the call runs, as it arrives (it reaches
    /// the client as log records too). A task keeps its newest part as its
    /// status message; other links ignore it.
    fn output(&self, _text: &str) {}
    /// Asks the user for input.
    fn elicit(&self, request: ElicitRequest) -> BoxFuture<'_, Result<ElicitResponse, ClientRequestError>>;
    /// Asks the client's model for a completion.
    fn sample(&self, request: SamplingRequest) -> BoxFuture<'_, Result<SamplingResponse, ClientRequestError>>;
    /// Asks the client for its roots.
    fn list_roots(&self, key: Option<String>) -> BoxFuture<'_, Result<Vec<Root>, ClientRequestError>>;
    /// Whether the client can answer [`elicit`](Self::elicit) at all (it
    /// declared the capability); a capability that asks the user to confirm
    /// checks this first.
    fn can_elicit(&self) -> bool;
    /// Asks that the rest of the call run as a task (`context.run-as-task`);
    /// whether it now does.
    fn run_as_task(&self) -> BoxFuture<'_, bool>;
}

/// Who a request comes from. Sessions, containers and workspaces belong to a
/// principal, and a principal reaches only its own.
///
/// - `local`: the user at the other end of stdio;
/// - `key:<name>`: an HTTP client with the API key of that name;
/// - `oauth:<issuer>#<subject>`: an HTTP client with an access token;
/// - `anonymous:<session>`: an unauthenticated initialize-era HTTP session;
/// - `anonymous`: every unauthenticated stateless (2026-07-28) HTTP client,
///   together: without credentials they cannot be told apart;
/// - `admin:<name>`: an operator holding the admin key of that name
///   (`admin:local` on a loopback listener without admin keys);
/// - `host`: the host itself (loading plugins, asking policies).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Principal(Arc<str>);

impl Principal {
    /// The local user of a stdio connection.
    pub fn local() -> Self {
        Principal("local".into())
    }

    /// An HTTP client holding the API key named `name`.
    pub fn api_key(name: &str) -> Self {
        Principal(format!("key:{name}").into())
    }

    /// An HTTP client holding an access token for `subject` from `issuer`.
    pub fn token(issuer: &str, subject: &str) -> Self {
        Principal(format!("oauth:{issuer}#{subject}").into())
    }

    /// An unauthenticated client of the initialize-era HTTP session `session`.
    pub fn anonymous_session(session: &str) -> Self {
        Principal(format!("anonymous:{session}").into())
    }

    /// An operator holding the admin key named `name`.
    pub fn admin(name: &str) -> Self {
        Principal(format!("admin:{name}").into())
    }

    /// Every unauthenticated stateless HTTP client.
    pub fn anonymous() -> Self {
        Principal("anonymous".into())
    }

    /// The host acting on its own behalf.
    pub fn host() -> Self {
        Principal("host".into())
    }

    /// The principal's id, as in logs and container labels.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Principal {
    fn default() -> Self {
        Principal::host()
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything a call knows about its caller. `Default` is a call on the host's
/// own behalf (loading a plugin, routing a dependency request).
#[derive(Clone, Default)]
pub struct CallContext {
    /// Who the request comes from.
    pub principal: Principal,
    /// The session the call belongs to (stdio connection, HTTP session, or an
    /// explicit `session_id` from a stateless client).
    pub session_id: Option<String>,
    /// The client to log to, report progress to and ask for input.
    pub client: Option<Arc<dyn ClientLink>>,
    /// Fires when the client cancels the request or disconnects.
    pub cancel: CancellationToken,
}

/// Who is asking, as host capabilities see it: the plugin, its policy and the
/// call's context. Cheap to clone and `Send`.
#[derive(Clone)]
pub struct Caller {
    /// The calling plugin's name.
    pub plugin: Arc<str>,
    /// Its policy (grants, settings).
    pub policy: Arc<PluginPolicy>,
    /// The call's context (session, client, cancellation).
    pub call: CallContext,
}

impl Caller {
    /// Fails with a message naming `grant` unless the operator granted it.
    pub fn require(&self, grant: Grant) -> Result<(), String> {
        if self.policy.grants.contains(&grant) {
            return Ok(());
        }
        Err(format!(
            "plugin `{}` lacks the `{}` grant; the operator can add it with `grants = [\"{}\"]` under [plugins.{}] in portcullis.toml",
            self.plugin,
            grant.name(),
            grant.name(),
            self.plugin
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(grants: &[Grant]) -> Caller {
        let policy = PluginPolicy { grants: grants.iter().copied().collect(), ..PluginPolicy::default() };
        Caller { plugin: "sandbox".into(), policy: Arc::new(policy), call: CallContext::default() }
    }

    #[test]
    fn a_missing_grant_is_named_with_the_setting_that_adds_it() {
        let denied = caller(&[Grant::Docker]).require(Grant::Network).unwrap_err();
        assert!(denied.contains("lacks the `network` grant"), "{denied}");
        assert!(denied.contains("[plugins.sandbox]"), "{denied}");
        assert_eq!(caller(&[Grant::Network]).require(Grant::Network), Ok(()));
    }

    #[test]
    fn grant_names_round_trip() {
        for grant in Grant::ALL {
            assert_eq!(Grant::parse(grant.name()), Some(grant));
        }
        assert_eq!(Grant::parse("root"), None);
    }
}
