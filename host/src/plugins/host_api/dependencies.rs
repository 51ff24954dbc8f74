//! `dependencies`: detection and install plans, routed to the language pack
//! that claims the language or package manager.

use crate::plugins::call::CallState;
use crate::wit::dependencies::Host;
use crate::wit::types::{Failure, InstallOptions, InstallPlan, Language};

type Answer<T> = wasmtime::Result<Result<T, Failure>>;

fn unclaimed(kind: &str, name: &str, known: Vec<String>) -> Failure {
    let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
    Failure::NotFound(format!(
        "no loaded language pack handles {kind} `{name}` (available: {known}); drop a pack that claims it into the plugin directory"
    ))
}

impl Host for CallState {
    async fn languages(&mut self) -> wasmtime::Result<Vec<Language>> {
        Ok(self.services.registry.snapshot().languages().cloned().collect())
    }

    async fn detect(&mut self, language: String, source: String) -> Answer<Vec<String>> {
        let snapshot = self.services.registry.snapshot();
        let Some((pack, _)) = snapshot.language(&language) else {
            return Ok(Err(unclaimed("language", &language, snapshot.languages().map(|l| l.name.clone()).collect())));
        };
        Ok(pack.detect_packages(&self.services, &language, &source).await.unwrap_or_else(fault))
    }

    async fn plan_install(&mut self, manager: String, packages: Vec<String>) -> Answer<InstallPlan> {
        let snapshot = self.services.registry.snapshot();
        let Some(pack) = snapshot.manager(&manager) else {
            return Ok(Err(unclaimed("package manager", &manager, snapshot.manager_names().cloned().collect())));
        };
        let options = InstallOptions { index_url: self.services.index_urls.get(&manager).cloned() };
        let plan = pack.plan_install(&self.services, &manager, packages, options).await.unwrap_or_else(fault);
        Ok(plan.and_then(|plan| match plan.steps.is_empty() {
            true => Err(Failure::Failed(format!("the `{manager}` pack returned an install plan without steps"))),
            false => Ok(plan),
        }))
    }

    async fn run_command(&mut self, language: String, path: String) -> Answer<Vec<String>> {
        let snapshot = self.services.registry.snapshot();
        let Some((pack, _)) = snapshot.language(&language) else {
            return Ok(Err(unclaimed("language", &language, snapshot.languages().map(|l| l.name.clone()).collect())));
        };
        Ok(pack.run_command(&self.services, &language, &path).await.unwrap_or_else(fault))
    }
}

/// A fault in the pack fails the request, not the calling plugin.
fn fault<T>(fault: crate::plugins::PluginFault) -> Result<T, Failure> {
    Err(Failure::Failed(fault.to_string()))
}
