//! The contract interfaces a component exports, in whichever published
//! version it was built against, and calls into them in the current version's
//! types. A component built against 0.1.0 is called through that version's
//! bindings and its values converted (see [`crate::wit::v0_1`]).

use anyhow::{Result, anyhow};
use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

use super::call::CallState;
use crate::wit::v0_1::{self, transcode};
use crate::wit::{self, completions, packages, policy, prompts, resources, tools, types};

type Answer<T> = wasmtime::Result<Result<T, types::Failure>>;

/// An export interface of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// `tools`
    Tools,
    /// `resources`
    Resources,
    /// `prompts`
    Prompts,
    /// `completions`
    Completions,
    /// `packages`
    Packages,
    /// `policy`
    Policy,
}

impl Interface {
    /// The interface's name in the package.
    pub fn name(self) -> &'static str {
        match self {
            Interface::Tools => "tools",
            Interface::Resources => "resources",
            Interface::Prompts => "prompts",
            Interface::Completions => "completions",
            Interface::Packages => "packages",
            Interface::Policy => "policy",
        }
    }
}

/// The indices of one version's exports a component has.
#[derive(Default)]
/// One version's export indices.
pub struct Found<T, R, P, C, K, Y> {
    tools: Option<T>,
    resources: Option<R>,
    prompts: Option<P>,
    completions: Option<C>,
    packages: Option<K>,
    policy: Option<Y>,
}

impl<T, R, P, C, K, Y> Found<T, R, P, C, K, Y> {
    fn offers(&self, interface: Interface) -> bool {
        match interface {
            Interface::Tools => self.tools.is_some(),
            Interface::Resources => self.resources.is_some(),
            Interface::Prompts => self.prompts.is_some(),
            Interface::Completions => self.completions.is_some(),
            Interface::Packages => self.packages.is_some(),
            Interface::Policy => self.policy.is_some(),
        }
    }
}

type Current = Found<
    tools::GuestIndices,
    resources::GuestIndices,
    prompts::GuestIndices,
    completions::GuestIndices,
    packages::GuestIndices,
    policy::GuestIndices,
>;
type Legacy = Found<
    v0_1::tools::GuestIndices,
    v0_1::resources::GuestIndices,
    v0_1::prompts::GuestIndices,
    v0_1::completions::GuestIndices,
    v0_1::packages::GuestIndices,
    v0_1::policy::GuestIndices,
>;

/// What a component exports, by the contract version it was built against.
pub enum Exports {
    /// Built against the current version.
    Current(Current),
    /// Built against 0.1.0.
    V0_1(Legacy),
}

/// Unwraps an export the caller checked with [`Exports::offers`].
fn present<T>(slot: &Option<T>) -> wasmtime::Result<&T> {
    slot.as_ref().ok_or_else(|| wasmtime::format_err!("the component lacks an export the host checked for"))
}

impl Exports {
    /// Finds the contract's export interfaces in a prepared component, in the
    /// current version or else in 0.1.0. Fails if it exports none, or one
    /// whose functions do not match the contract.
    pub fn discover(pre: &InstancePre<CallState>) -> Result<Exports> {
        let current = Current {
            tools: probe(pre, wit::VERSION, "tools", tools::GuestIndices::new)?,
            resources: probe(pre, wit::VERSION, "resources", resources::GuestIndices::new)?,
            prompts: probe(pre, wit::VERSION, "prompts", prompts::GuestIndices::new)?,
            completions: probe(pre, wit::VERSION, "completions", completions::GuestIndices::new)?,
            packages: probe(pre, wit::VERSION, "packages", packages::GuestIndices::new)?,
            policy: probe(pre, wit::VERSION, "policy", policy::GuestIndices::new)?,
        };
        let exports = Exports::Current(current);
        if exports.any() {
            return Ok(exports);
        }
        let legacy = Legacy {
            tools: probe(pre, v0_1::VERSION, "tools", v0_1::tools::GuestIndices::new)?,
            resources: probe(pre, v0_1::VERSION, "resources", v0_1::resources::GuestIndices::new)?,
            prompts: probe(pre, v0_1::VERSION, "prompts", v0_1::prompts::GuestIndices::new)?,
            completions: probe(pre, v0_1::VERSION, "completions", v0_1::completions::GuestIndices::new)?,
            packages: probe(pre, v0_1::VERSION, "packages", v0_1::packages::GuestIndices::new)?,
            policy: probe(pre, v0_1::VERSION, "policy", v0_1::policy::GuestIndices::new)?,
        };
        let exports = Exports::V0_1(legacy);
        if exports.any() {
            return Ok(exports);
        }
        Err(anyhow!(
            "the component exports no portcullis:plugin interface (tools, resources, prompts, completions, packages or policy) of version {} or {}",
            wit::VERSION,
            v0_1::VERSION
        ))
    }

    /// The contract version the component was built against.
    pub fn version(&self) -> &'static str {
        match self {
            Exports::Current(_) => wit::VERSION,
            Exports::V0_1(_) => v0_1::VERSION,
        }
    }

    /// Whether the component exports `interface`.
    pub fn offers(&self, interface: Interface) -> bool {
        match self {
            Exports::Current(found) => found.offers(interface),
            Exports::V0_1(found) => found.offers(interface),
        }
    }

    fn any(&self) -> bool {
        use Interface::*;
        [Tools, Resources, Prompts, Completions, Packages, Policy].into_iter().any(|i| self.offers(i))
    }

    /// `tools.list-tools`.
    pub async fn list_tools(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<Vec<tools::Tool>> {
        match self {
            Exports::Current(f) => present(&f.tools)?.load(&mut *store, instance)?.call_list_tools(store).await,
            Exports::V0_1(f) => {
                let tools = present(&f.tools)?.load(&mut *store, instance)?.call_list_tools(store).await?;
                tools.into_iter().map(v0_1::tool).collect()
            }
        }
    }

    /// `tools.call-tool`.
    pub async fn call_tool(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        name: &str,
        arguments: &str,
    ) -> Answer<tools::CallResult> {
        match self {
            Exports::Current(f) => {
                present(&f.tools)?.load(&mut *store, instance)?.call_call_tool(store, name, arguments).await
            }
            Exports::V0_1(f) => {
                transcode(present(&f.tools)?.load(&mut *store, instance)?.call_call_tool(store, name, arguments).await?)
            }
        }
    }

    /// `resources.list-resources` and `resources.list-resource-templates`.
    pub async fn list_resources(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<(Vec<resources::Resource>, Vec<resources::ResourceTemplate>)> {
        match self {
            Exports::Current(f) => {
                let guest = present(&f.resources)?.load(&mut *store, instance)?;
                Ok((guest.call_list_resources(&mut *store).await?, guest.call_list_resource_templates(store).await?))
            }
            Exports::V0_1(f) => {
                let guest = present(&f.resources)?.load(&mut *store, instance)?;
                let concrete = guest.call_list_resources(&mut *store).await?;
                Ok((transcode(concrete)?, transcode(guest.call_list_resource_templates(store).await?)?))
            }
        }
    }

    /// `resources.read-resource`.
    pub async fn read_resource(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        uri: &str,
    ) -> Answer<Vec<types::ResourceContents>> {
        match self {
            Exports::Current(f) => {
                present(&f.resources)?.load(&mut *store, instance)?.call_read_resource(store, uri).await
            }
            Exports::V0_1(f) => {
                transcode(present(&f.resources)?.load(&mut *store, instance)?.call_read_resource(store, uri).await?)
            }
        }
    }

    /// `prompts.list-prompts`.
    pub async fn list_prompts(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<Vec<prompts::Prompt>> {
        match self {
            Exports::Current(f) => present(&f.prompts)?.load(&mut *store, instance)?.call_list_prompts(store).await,
            Exports::V0_1(f) => {
                transcode(present(&f.prompts)?.load(&mut *store, instance)?.call_list_prompts(store).await?)
            }
        }
    }

    /// `prompts.get-prompt`.
    pub async fn get_prompt(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        name: &str,
        arguments: &[(String, String)],
    ) -> Answer<prompts::PromptResult> {
        match self {
            Exports::Current(f) => {
                present(&f.prompts)?.load(&mut *store, instance)?.call_get_prompt(store, name, arguments).await
            }
            Exports::V0_1(f) => transcode(
                present(&f.prompts)?.load(&mut *store, instance)?.call_get_prompt(store, name, arguments).await?,
            ),
        }
    }

    /// `completions.complete`.
    pub async fn complete(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        reference: &completions::Reference,
        argument: &str,
        value: &str,
        context: &[(String, String)],
    ) -> Answer<completions::Completion> {
        match self {
            Exports::Current(f) => {
                let guest = present(&f.completions)?.load(&mut *store, instance)?;
                guest.call_complete(store, reference, argument, value, context).await
            }
            Exports::V0_1(f) => {
                let guest = present(&f.completions)?.load(&mut *store, instance)?;
                let reference: v0_1::completions::Reference = transcode(reference)?;
                transcode(guest.call_complete(store, &reference, argument, value, context).await?)
            }
        }
    }

    /// `packages.languages` and `packages.managers`.
    pub async fn languages_and_managers(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<(Vec<types::Language>, Vec<String>)> {
        match self {
            Exports::Current(f) => {
                let guest = present(&f.packages)?.load(&mut *store, instance)?;
                Ok((guest.call_languages(&mut *store).await?, guest.call_managers(store).await?))
            }
            Exports::V0_1(f) => {
                let guest = present(&f.packages)?.load(&mut *store, instance)?;
                let languages = transcode(guest.call_languages(&mut *store).await?)?;
                Ok((languages, guest.call_managers(store).await?))
            }
        }
    }

    /// `packages.detect-packages`.
    pub async fn detect_packages(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        language: &str,
        source: &str,
    ) -> Answer<Vec<String>> {
        match self {
            Exports::Current(f) => {
                present(&f.packages)?.load(&mut *store, instance)?.call_detect_packages(store, language, source).await
            }
            Exports::V0_1(f) => transcode(
                present(&f.packages)?
                    .load(&mut *store, instance)?
                    .call_detect_packages(store, language, source)
                    .await?,
            ),
        }
    }

    /// `packages.plan-install`. A 0.1.0 pack's single command is one step.
    pub async fn plan_install(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        manager: &str,
        packages: &[String],
        options: &types::InstallOptions,
    ) -> Answer<types::InstallPlan> {
        match self {
            Exports::Current(f) => {
                let guest = present(&f.packages)?.load(&mut *store, instance)?;
                guest.call_plan_install(store, manager, packages, options).await
            }
            Exports::V0_1(f) => {
                let guest = present(&f.packages)?.load(&mut *store, instance)?;
                let options: v0_1::types::InstallOptions = transcode(options)?;
                Ok(match guest.call_plan_install(store, manager, packages, &options).await? {
                    Ok(plan) => Ok(types::InstallPlan { steps: vec![transcode(plan)?] }),
                    Err(failure) => Err(transcode(failure)?),
                })
            }
        }
    }

    /// `packages.run-command`.
    pub async fn run_command(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        language: &str,
        path: &str,
    ) -> Answer<Vec<String>> {
        match self {
            Exports::Current(f) => {
                present(&f.packages)?.load(&mut *store, instance)?.call_run_command(store, language, path).await
            }
            Exports::V0_1(f) => transcode(
                present(&f.packages)?.load(&mut *store, instance)?.call_run_command(store, language, path).await?,
            ),
        }
    }

    /// `policy.check-path`.
    pub async fn check_path(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        path: &str,
        access: policy::Access,
    ) -> wasmtime::Result<policy::Decision> {
        match self {
            Exports::Current(f) => {
                present(&f.policy)?.load(&mut *store, instance)?.call_check_path(store, path, access).await
            }
            Exports::V0_1(f) => {
                let guest = present(&f.policy)?.load(&mut *store, instance)?;
                transcode(guest.call_check_path(store, path, transcode(access)?).await?)
            }
        }
    }

    /// `policy.check-container`.
    pub async fn check_container(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        request: &policy::ContainerRequest,
    ) -> wasmtime::Result<policy::Decision> {
        match self {
            Exports::Current(f) => {
                present(&f.policy)?.load(&mut *store, instance)?.call_check_container(store, request).await
            }
            Exports::V0_1(f) => {
                let guest = present(&f.policy)?.load(&mut *store, instance)?;
                let request: v0_1::policy::ContainerRequest = transcode(request)?;
                transcode(guest.call_check_container(store, &request).await?)
            }
        }
    }

    /// Whether the component's policy judges tool calls: 0.1.0 has no
    /// `check-tool-call`, so a 0.1.0 policy has no opinion on them.
    pub fn checks_tool_calls(&self) -> bool {
        matches!(self, Exports::Current(f) if f.policy.is_some())
    }

    /// `policy.check-tool-call`. Only a current-version policy has it (see
    /// [`checks_tool_calls`](Self::checks_tool_calls)); asking a 0.1.0 one fails.
    pub async fn check_tool_call(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        call: &policy::ToolCall,
    ) -> wasmtime::Result<policy::Decision> {
        match self {
            Exports::Current(f) => {
                present(&f.policy)?.load(&mut *store, instance)?.call_check_tool_call(store, call).await
            }
            Exports::V0_1(_) => Err(wasmtime::format_err!("a 0.1.0 policy has no check-tool-call")),
        }
    }
}

/// The indices of `interface` at `version`, if the component exports it.
fn probe<T>(
    pre: &InstancePre<CallState>,
    version: &str,
    interface: &str,
    new: fn(&InstancePre<CallState>) -> wasmtime::Result<T>,
) -> Result<Option<T>> {
    let full = format!("portcullis:plugin/{interface}@{version}");
    if pre.component().get_export_index(None, &full).is_none() {
        return Ok(None);
    }
    new(pre).map(Some).map_err(|e| anyhow!("export `{full}` does not match the contract: {e:#}"))
}
