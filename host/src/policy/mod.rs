//! The policy chain: what may be mounted, which images may run, whether a
//! container may have a network, and whether a tool call may run. Two kinds of
//! source judge every request: the operator's configuration (`[docker]` in
//! `portcullis.toml`; it has no rules on tool calls) and every loaded policy
//! plugin. Any denial wins; the failure names the policy that denied and the
//! setting that would allow the request.
//!
//! The chain knows policy plugins only through [`PolicyPlugins`], which the
//! plugin layer implements: asking a policy plugin is the one place where a
//! capability's check calls back into the plugin runtime.

mod images;
mod paths;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::wit::policy::{Access, ContainerRequest, Decision, ToolCall};
use crate::wit::types::{Failure, Mount};

use paths::{Forbidden, MountAllow, NeverMount};

/// The operator's rules, as configured under `[docker]`.
#[derive(Debug, Clone, Default)]
pub struct OperatorPolicy {
    /// Host directories under which mounts are allowed (`docker.mount_allow`);
    /// empty denies every mount.
    pub mount_allow: Vec<PathBuf>,
    /// Image patterns with `*` wildcards (`docker.images`); empty allows every image.
    pub images: Vec<String>,
    /// Whether containers may have a network at all (`docker.allow_network`).
    pub allow_network: bool,
    /// Engine sockets besides `/var/run/docker.sock` and `/run/docker.sock`
    /// (the one `DOCKER_HOST` names); they, and directories containing them,
    /// can never be mounted.
    pub engine_sockets: Vec<PathBuf>,
}

/// One loaded policy plugin, as the chain asks it.
pub trait PolicyPlugin: Send + Sync {
    /// The plugin's name, for denials.
    fn name(&self) -> &str;
    /// Its verdict on a resolved host path; `Err` says why it could not decide.
    fn check_path<'a>(&'a self, path: &'a str, access: Access) -> BoxFuture<'a, Result<Decision, String>>;
    /// Its verdict on a container request; `Err` says why it could not decide.
    fn check_container(&self, request: ContainerRequest) -> BoxFuture<'_, Result<Decision, String>>;
    /// Its verdict on a tool call about to run; `Err` says why it could not decide.
    fn check_tool_call<'a>(&'a self, call: &'a ToolCall) -> BoxFuture<'a, Result<Decision, String>>;
}

/// The policy plugins loaded at the moment of a check, in load order.
pub trait PolicyPlugins: Send + Sync {
    /// The current policy plugins.
    fn current(&self) -> Vec<Arc<dyn PolicyPlugin>>;
}

/// The policy chain. Cheap to share; plugins are looked up on every check, so
/// policy plugins that come and go take effect at once.
#[derive(Debug)]
pub struct PolicyChain {
    never_mount: NeverMount,
    mount_allow: MountAllow,
    images: Vec<String>,
    allow_network: bool,
}

/// Who denied a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Operator,
    Plugin(String),
}

/// A denial on its way to the caller: the policy, why, and the setting that
/// would allow the request (`None` when nothing can).
#[derive(Debug, Clone)]
struct Denial {
    source: Source,
    reason: String,
    setting: Option<String>,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Operator => write!(f, "denied by operator config: {}", self.reason)?,
            Source::Plugin(name) => write!(f, "denied by plugin {name}: {}", self.reason)?,
        }
        match &self.setting {
            Some(setting) => write!(f, " (the setting that would allow it: `{setting}`)"),
            None => f.write_str(" (no setting allows it)"),
        }
    }
}

impl From<Denial> for Failure {
    fn from(denial: Denial) -> Failure {
        Failure::Denied(denial.to_string())
    }
}

impl Denial {
    fn operator(reason: String, setting: Option<&str>) -> Self {
        Denial { source: Source::Operator, reason, setting: setting.map(String::from) }
    }
}

impl PolicyChain {
    /// Builds the chain from the operator's rules, resolving the allowlist and
    /// the never-mount list once (entries that do not exist are logged and ignored).
    pub fn new(operator: OperatorPolicy) -> Self {
        Self {
            never_mount: NeverMount::new(&operator.engine_sockets),
            mount_allow: MountAllow::new(&operator.mount_allow),
            images: operator.images,
            allow_network: operator.allow_network,
        }
    }

    /// Judges access to the host path `host_path`. The path is resolved first
    /// (symlinks and `..`); a relative or nonexistent path is
    /// `Failure::InvalidParams`. System paths and the engine socket are always
    /// denied; otherwise the path must lie under `docker.mount_allow` and every
    /// policy plugin must allow it. Returns the resolved path, which is what
    /// the caller must use from then on.
    pub async fn check_mount(
        &self,
        plugins: &dyn PolicyPlugins,
        host_path: &str,
        access: Access,
    ) -> Result<PathBuf, Failure> {
        let resolved = paths::resolve(host_path).map_err(Failure::InvalidParams)?;
        self.operator_mount(host_path, &resolved)?;
        let text = resolved.to_string_lossy().into_owned();
        for plugin in plugins.current() {
            let decision = plugin.check_path(&text, access).await;
            plugin_verdict(plugin.name(), decision)?;
        }
        Ok(resolved)
    }

    /// Judges a container request: each mount as in [`check_mount`](Self::check_mount),
    /// then the image against `docker.images`, the network against
    /// `docker.allow_network`, and finally the whole request (with resolved
    /// mounts) against every policy plugin. Returns the request with its
    /// mounts resolved.
    pub async fn check_container(
        &self,
        plugins: &dyn PolicyPlugins,
        request: ContainerRequest,
    ) -> Result<ContainerRequest, Failure> {
        let mut mounts = Vec::with_capacity(request.mounts.len());
        for mount in request.mounts {
            let access = if mount.read_only { Access::Read } else { Access::Write };
            let resolved = self.check_mount(plugins, &mount.host_path, access).await?;
            mounts.push(Mount { host_path: resolved.to_string_lossy().into_owned(), ..mount });
        }
        let request = ContainerRequest { mounts, ..request };
        if !images::allowed(&self.images, &request.image) {
            return Err(Denial::operator(
                format!(
                    "image `{}` matches none of the allowed images ({}); add a matching pattern to `docker.images` in portcullis.toml (or to PORTCULLIS_DOCKER_IMAGES)",
                    request.image,
                    self.images.join(", ")
                ),
                Some("docker.images"),
            )
            .into());
        }
        if request.network {
            self.check_network()?;
        }
        for plugin in plugins.current() {
            let decision = plugin.check_container(request.clone()).await;
            plugin_verdict(plugin.name(), decision)?;
        }
        Ok(request)
    }

    /// Judges a tool call before its tool runs: every policy plugin must allow
    /// it, asked in load order; the first denial wins, and a policy that
    /// cannot decide (it trapped or ran out of its limits) denies, named.
    pub async fn check_tool_call(&self, plugins: &dyn PolicyPlugins, call: &ToolCall) -> Result<(), Failure> {
        for plugin in plugins.current() {
            let decision = plugin.check_tool_call(call).await;
            plugin_verdict(plugin.name(), decision)?;
        }
        Ok(())
    }

    /// Whether the operator lets containers have a network at all
    /// (`docker.allow_network`), for a container's lifetime or for an install.
    pub fn check_network(&self) -> Result<(), Failure> {
        if self.allow_network {
            return Ok(());
        }
        Err(Denial::operator(
            "network access for containers is switched off; set `allow_network = true` under [docker] in portcullis.toml".into(),
            Some("docker.allow_network"),
        )
        .into())
    }

    fn operator_mount(&self, requested: &str, resolved: &Path) -> Result<(), Denial> {
        let shown = if Path::new(requested) == resolved {
            format!("`{requested}`")
        } else {
            format!("`{requested}` (resolved to `{}`)", resolved.display())
        };
        let forbidden = match self.never_mount.check(resolved) {
            Some(Forbidden::System(dir)) => format!("`{}` is a system path", dir.display()),
            Some(Forbidden::EngineSocket(socket)) => format!(
                "it is or contains the Docker engine socket `{}`, which would give the container control of the host",
                socket.display()
            ),
            None if self.mount_allow.allows(resolved) => return Ok(()),
            None => {
                return Err(Denial::operator(
                    format!(
                        "mounting {shown} is not allowed: it is not under any directory in `docker.mount_allow`; the operator can add one in portcullis.toml"
                    ),
                    Some("docker.mount_allow"),
                ));
            }
        };
        Err(Denial::operator(
            format!("mounting {shown} is never allowed: {forbidden}; not even `docker.mount_allow` can allow it"),
            None,
        ))
    }
}

/// A plugin's verdict as a result. A policy that fails to answer denies:
/// the chain fails closed.
fn plugin_verdict(name: &str, decision: Result<Decision, String>) -> Result<(), Denial> {
    let source = Source::Plugin(name.to_string());
    match decision {
        Ok(Decision::Allow) => Ok(()),
        Ok(Decision::Deny(denial)) => {
            Err(Denial { source, reason: denial.reason, setting: Some(denial.setting).filter(|s| !s.is_empty()) })
        }
        Err(fault) => Err(Denial {
            source,
            reason: format!("the policy could not decide ({fault}), so the request is denied"),
            setting: Some(format!("plugins.{name}")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::wit::policy::{Denial as PluginDenial, ProviderKind};

    /// A policy plugin with a fixed verdict on containers and tool calls.
    struct Fixed(&'static str, Result<Decision, String>);

    impl PolicyPlugin for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn check_path<'a>(&'a self, _: &'a str, _: Access) -> BoxFuture<'a, Result<Decision, String>> {
            async { Ok(Decision::Allow) }.boxed()
        }
        fn check_container(&self, _: ContainerRequest) -> BoxFuture<'_, Result<Decision, String>> {
            let verdict = self.1.clone();
            async move { verdict }.boxed()
        }
        fn check_tool_call<'a>(&'a self, _: &'a ToolCall) -> BoxFuture<'a, Result<Decision, String>> {
            let verdict = self.1.clone();
            async move { verdict }.boxed()
        }
    }

    struct Loaded(Vec<Arc<dyn PolicyPlugin>>);

    impl PolicyPlugins for Loaded {
        fn current(&self) -> Vec<Arc<dyn PolicyPlugin>> {
            self.0.clone()
        }
    }

    fn chain() -> PolicyChain {
        PolicyChain::new(OperatorPolicy { allow_network: true, ..OperatorPolicy::default() })
    }

    fn request() -> ContainerRequest {
        ContainerRequest { image: "busybox".into(), network: false, mounts: vec![] }
    }

    async fn judged(plugins: Vec<Arc<dyn PolicyPlugin>>) -> Result<ContainerRequest, Failure> {
        chain().check_container(&Loaded(plugins), request()).await
    }

    #[tokio::test]
    async fn every_plugin_must_allow_and_the_denial_names_plugin_and_setting() {
        assert_eq!(judged(vec![Arc::new(Fixed("open", Ok(Decision::Allow)))]).await, Ok(request()));
        let deny =
            Decision::Deny(PluginDenial { reason: "no busybox".into(), setting: "plugins.strict.images".into() });
        let denied =
            judged(vec![Arc::new(Fixed("open", Ok(Decision::Allow))), Arc::new(Fixed("strict", Ok(deny)))]).await;
        let Err(Failure::Denied(message)) = denied else { panic!("expected a denial, got {denied:?}") };
        assert_eq!(
            message,
            "denied by plugin strict: no busybox (the setting that would allow it: `plugins.strict.images`)"
        );
    }

    #[tokio::test]
    async fn a_policy_that_cannot_decide_denies() {
        let denied = judged(vec![Arc::new(Fixed("broken", Err("it trapped".into())))]).await;
        let Err(Failure::Denied(message)) = denied else { panic!("expected a denial, got {denied:?}") };
        assert!(message.contains("denied by plugin broken") && message.contains("it trapped"), "{message}");
        assert!(message.contains("`plugins.broken`"), "{message}");
    }

    #[tokio::test]
    async fn the_operator_is_asked_before_any_plugin() {
        let strict = PolicyChain::new(OperatorPolicy::default());
        let networked = ContainerRequest { network: true, ..request() };
        let denied = strict.check_container(&Loaded(vec![]), networked).await;
        let Err(Failure::Denied(message)) = denied else { panic!("expected a denial, got {denied:?}") };
        assert!(message.starts_with("denied by operator config") && message.contains("docker.allow_network"));
    }

    fn call() -> ToolCall {
        ToolCall {
            principal: "local".into(),
            provider: "git".into(),
            provider_kind: ProviderKind::Plugin,
            tool: "push".into(),
            public_name: "push".into(),
            arguments: "{}".into(),
        }
    }

    #[tokio::test]
    async fn a_tool_call_needs_every_policy_and_the_first_denial_wins() {
        let allow = || Arc::new(Fixed("open", Ok(Decision::Allow))) as Arc<dyn PolicyPlugin>;
        assert_eq!(chain().check_tool_call(&Loaded(vec![]), &call()).await, Ok(()));
        assert_eq!(chain().check_tool_call(&Loaded(vec![allow(), allow()]), &call()).await, Ok(()));
        let deny =
            |setting: &str| Decision::Deny(PluginDenial { reason: "no pushing".into(), setting: setting.into() });
        let plugins = Loaded(vec![
            allow(),
            Arc::new(Fixed("first", Ok(deny("plugins.first.settings.deny")))),
            Arc::new(Fixed("second", Ok(deny("plugins.second.settings.deny")))),
        ]);
        let denied = chain().check_tool_call(&plugins, &call()).await;
        let Err(Failure::Denied(message)) = denied else { panic!("expected a denial, got {denied:?}") };
        assert_eq!(
            message,
            "denied by plugin first: no pushing (the setting that would allow it: `plugins.first.settings.deny`)"
        );
    }

    #[tokio::test]
    async fn a_policy_that_cannot_judge_a_tool_call_denies_it() {
        let plugins = Loaded(vec![Arc::new(Fixed("broken", Err("it trapped".into())))]);
        let denied = chain().check_tool_call(&plugins, &call()).await;
        let Err(Failure::Denied(message)) = denied else { panic!("expected a denial, got {denied:?}") };
        assert!(message.contains("denied by plugin broken") && message.contains("it trapped"), "{message}");
    }
}
