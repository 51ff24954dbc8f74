//! `events`: a plugin says its tools or a resource changed.

use crate::plugins::bindings::events::Host;
use crate::plugins::call::CallState;

impl Host for CallState {
    async fn tools_changed(&mut self) -> wasmtime::Result<()> {
        let registry = self.services.registry.clone();
        let plugin = registry.snapshot().plugins().get(&*self.plugin).cloned();
        if let Some(plugin) = plugin {
            match plugin.refresh_tools(&self.services).await {
                Ok(()) => registry.refresh(),
                Err(fault) => tracing::warn!(plugin = &*self.plugin, "could not re-read tools: {fault}"),
            }
        }
        Ok(())
    }

    async fn resource_updated(&mut self, uri: String) -> wasmtime::Result<()> {
        self.services.registry.resource_updated(&uri);
        Ok(())
    }
}
