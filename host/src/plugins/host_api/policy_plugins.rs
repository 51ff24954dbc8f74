//! The loaded policy plugins, as the policy chain asks them: the one place
//! where a capability's check calls back into the plugin runtime.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::HostServices;
use crate::plugins::Plugin;
use crate::policy::{PolicyPlugin, PolicyPlugins};
use crate::wit::policy::{Access, ContainerRequest, Decision};

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
