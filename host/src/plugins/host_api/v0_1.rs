//! The imports of `portcullis:plugin@0.1.0`, for components built against it:
//! each function answers through the current version's implementation, with
//! values converted by [`transcode`].

use crate::plugins::call::CallState;
use crate::wit::v0_1::{self, Answer, answer, transcode};
use crate::wit::{self, types::Failure};

impl v0_1::types::Host for CallState {}

impl v0_1::log::Host for CallState {
    async fn log(&mut self, level: v0_1::log::Level, message: String) -> wasmtime::Result<()> {
        wit::log::Host::log(self, transcode(level)?, message).await
    }
}

impl v0_1::progress::Host for CallState {
    async fn report(&mut self, progress: f64, total: Option<f64>, message: Option<String>) -> wasmtime::Result<()> {
        wit::progress::Host::report(self, progress, total, message).await
    }
}

impl v0_1::client::Host for CallState {
    async fn elicit(&mut self, request: v0_1::client::ElicitRequest) -> Answer<v0_1::client::ElicitResponse> {
        answer(wit::client::Host::elicit(self, transcode(request)?).await?)
    }

    async fn sample(&mut self, request: v0_1::client::SamplingRequest) -> Answer<v0_1::client::SamplingResponse> {
        answer(wit::client::Host::sample(self, transcode(request)?).await?)
    }

    async fn list_roots(&mut self, key: Option<String>) -> Answer<Vec<v0_1::client::Root>> {
        answer(wit::client::Host::list_roots(self, key).await?)
    }

    /// In 0.2.0 this is `context.session-id`.
    async fn session_id(&mut self) -> wasmtime::Result<Option<String>> {
        wit::context::Host::session_id(self).await
    }
}

impl v0_1::events::Host for CallState {
    async fn tools_changed(&mut self) -> wasmtime::Result<()> {
        wit::events::Host::tools_changed(self).await
    }

    async fn prompts_changed(&mut self) -> wasmtime::Result<()> {
        wit::events::Host::prompts_changed(self).await
    }

    async fn resources_changed(&mut self) -> wasmtime::Result<()> {
        wit::events::Host::resources_changed(self).await
    }

    async fn resource_updated(&mut self, uri: String) -> wasmtime::Result<()> {
        wit::events::Host::resource_updated(self, uri).await
    }
}

impl v0_1::config::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        wit::config::Host::get(self, key).await
    }
}

impl v0_1::dependencies::Host for CallState {
    async fn languages(&mut self) -> wasmtime::Result<Vec<v0_1::types::Language>> {
        transcode(wit::dependencies::Host::languages(self).await?)
    }

    async fn detect(&mut self, language: String, source: String) -> Answer<Vec<String>> {
        answer(wit::dependencies::Host::detect(self, language, source).await?)
    }

    /// A 0.1.0 plan is one command: a plan of several steps cannot be expressed.
    async fn plan_install(&mut self, manager: String, packages: Vec<String>) -> Answer<v0_1::types::InstallPlan> {
        let plan = wit::dependencies::Host::plan_install(self, manager.clone(), packages).await?;
        answer(plan.and_then(|mut plan| match plan.steps.len() {
            1 => Ok(plan.steps.remove(0)),
            n => Err(Failure::Failed(format!(
                "installing with `{manager}` takes {n} steps, which plugins built against portcullis:plugin@0.1.0 cannot run; rebuild this plugin against 0.2.0"
            ))),
        }))
    }

    async fn run_command(&mut self, language: String, path: String) -> Answer<Vec<String>> {
        answer(wit::dependencies::Host::run_command(self, language, path).await?)
    }
}
