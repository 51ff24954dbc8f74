//! The loaded policy plugins, as the policy chain asks them: the one place
//! where a capability's check, or the tool-call check, calls back into the
//! plugin runtime.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::HostServices;
use crate::caller::Principal;
use crate::plugins::Plugin;
use crate::policy::{PolicyPlugin, PolicyPlugins};
use crate::providers::{self, ToolRoute};
use crate::wit::policy::{Access, ContainerRequest, Decision, ProviderKind, ToolCall};
use crate::wit::types::Failure;

/// A policy plugin with the services its calls need.
struct Judge {
    plugin: Arc<Plugin>,
    services: Arc<HostServices>,
}

impl PolicyPlugin for Judge {
    fn name(&self) -> &str {
        self.plugin.name()
    }

    fn check_path<'a>(&'a self, path: &'a str, access: Access) -> BoxFuture<'a, Result<Decision, String>> {
        async move { self.plugin.check_path(&self.services, path, access).await.map_err(|f| f.to_string()) }.boxed()
    }

    fn check_container(&self, request: ContainerRequest) -> BoxFuture<'_, Result<Decision, String>> {
        async move { self.plugin.check_container(&self.services, request).await.map_err(|f| f.to_string()) }.boxed()
    }

    fn check_tool_call<'a>(&'a self, call: &'a ToolCall) -> BoxFuture<'a, Result<Decision, String>> {
        async move { self.plugin.check_tool_call(&self.services, call).await.map_err(|f| f.to_string()) }.boxed()
    }
}

impl PolicyPlugins for Arc<HostServices> {
    fn current(&self) -> Vec<Arc<dyn PolicyPlugin>> {
        self.registry
            .snapshot()
            .policies()
            .map(|plugin| Arc::new(Judge { plugin: plugin.clone(), services: self.clone() }) as Arc<dyn PolicyPlugin>)
            .collect()
    }
}

impl HostServices {
    /// Asks the policy chain whether `principal` may call the tool behind
    /// `route`, published as `public_name`, with `arguments` (a JSON object as
    /// text). `Err` is the denial, naming the policy and the setting.
    pub async fn check_tool_call(
        self: &Arc<Self>,
        principal: &Principal,
        route: &ToolRoute,
        public_name: &str,
        arguments: &str,
    ) -> Result<(), Failure> {
        let call = ToolCall {
            principal: principal.to_string(),
            provider: route.provider.name().to_string(),
            provider_kind: match route.provider.kind() {
                providers::ProviderKind::Plugin => ProviderKind::Plugin,
                // The contract knows plugins and servers: the host's own tools
                // (`search`, `fetch`) show as a server named after them.
                providers::ProviderKind::Server | providers::ProviderKind::Host => ProviderKind::Server,
            },
            tool: route.tool.name.clone(),
            public_name: public_name.to_string(),
            arguments: arguments.to_string(),
        };
        self.policy.check_tool_call(self, &call).await
    }
}
