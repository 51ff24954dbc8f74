//! `events`: a plugin says its tools, prompts, resources or a resource's contents changed.

use crate::plugins::call::CallState;
use crate::providers::Change;
use crate::wit::events::Host;

impl CallState {
    /// Re-reads the calling plugin's catalog, rebuilds the routes and announces
    /// `change` (even if the lists read the same: the plugin says they changed).
    /// Refused while the catalog is being read: re-reading it would run
    /// `list-tools` again, which would say so again, without end.
    async fn catalog_changed(&mut self, change: Change) {
        if self.reading_catalog {
            tracing::warn!(
                plugin = &*self.caller.plugin,
                ?change,
                "refused: the plugin said its catalog changed while it was being read (from `list-tools` or the like); it would be read again without end"
            );
            return;
        }
        let registry = self.services.registry.clone();
        let Some(plugin) = registry.snapshot().plugins().get(&*self.caller.plugin).cloned() else { return };
        match plugin.refresh_catalog(&self.services).await {
            Ok(()) => registry.refresh(change),
            Err(e) => tracing::warn!(plugin = &*self.caller.plugin, "could not re-read the catalog: {e:#}"),
        }
    }
}

impl Host for CallState {
    async fn tools_changed(&mut self) -> wasmtime::Result<()> {
        self.catalog_changed(Change::Tools).await;
        Ok(())
    }

    async fn prompts_changed(&mut self) -> wasmtime::Result<()> {
        self.catalog_changed(Change::Prompts).await;
        Ok(())
    }

    async fn resources_changed(&mut self) -> wasmtime::Result<()> {
        self.catalog_changed(Change::Resources).await;
        Ok(())
    }

    async fn resource_updated(&mut self, uri: String) -> wasmtime::Result<()> {
        self.services.registry.resource_updated(&uri);
        Ok(())
    }
}
