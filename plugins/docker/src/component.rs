//! The component glue: the `portcullis:plugin/server-plugin` bindings, the
//! [`Host`] trait over the imports, and the `tools`, `resources`, `prompts`
//! and `completions` exports over the plain-Rust modules. Conversions only;
//! no behaviour.

wit_bindgen::generate!({
    path: "../../wit",
    world: "portcullis:plugin/server-plugin",
    generate_all,
});

use crate::host::{self, Host};
use crate::{completions, prompts, resources, tools};
use exports::portcullis::plugin::completions::{self as wit_completions, Completion, Reference};
use exports::portcullis::plugin::prompts::{self as wit_prompts, PromptArgument, PromptMessage, PromptResult};
use exports::portcullis::plugin::resources::{self as wit_resources, Resource, ResourceTemplate};
use exports::portcullis::plugin::tools::{self as wit_tools, CallResult, Tool};
use plugin_kit::Fail;
use portcullis::plugin::docker_engine as engine;
use portcullis::plugin::types::{Content, Failure, ResourceBody, ResourceContents, Role};

plugin_kit::wit_types!(portcullis::plugin::types);
plugin_kit::wit_tools!(portcullis::plugin::types, exports::portcullis::plugin::tools);

/// `From` from each `docker-engine` record to the [`host`] record of the
/// same fields, or the other way with `<=`.
macro_rules! records {
    ($($wit:ident => $plain:ident { $($field:ident),* $(,)? })*) => {
        $(impl From<engine::$wit> for host::$plain {
            fn from(r: engine::$wit) -> Self {
                Self { $($field: r.$field),* }
            }
        })*
    };
    ($($wit:ident <= $plain:ident { $($field:ident),* $(,)? })*) => {
        $(impl From<host::$plain> for engine::$wit {
            fn from(r: host::$plain) -> Self {
                Self { $($field: r.$field),* }
            }
        })*
    };
}

records! {
    Access => Access { read, manage }
    ContainerSummary => ContainerSummary { id, name, image, state, status, created, labels, ports }
    Logs => Logs { text, truncated }
    ResourceUse => ResourceUse {
        cpu_percent, memory_bytes, memory_limit_bytes, network_rx_bytes, network_tx_bytes,
        block_read_bytes, block_write_bytes, pids,
    }
    ImageSummary => ImageSummary { id, tags, size_bytes, created, labels }
    VolumeSummary => VolumeSummary { name, driver, mountpoint, created_at, labels }
    NetworkSummary => NetworkSummary { id, name, driver, scope, internal, labels }
    Removal => Removal { removed, reclaimed_bytes }
    DiskSpace => DiskSpace {
        images, images_bytes, containers, containers_bytes, volumes, volumes_bytes, build_cache_bytes,
    }
    EngineEvent => EngineEvent { time, kind, action, id, name }
}

records! {
    LogOptions <= LogOptions { tail, since, timestamps }
    VolumeSpec <= VolumeSpec { name, driver, labels }
    NetworkSpec <= NetworkSpec { name, driver, internal, labels }
}

/// A host result in plain form: the record converted, the failure a [`Fail`].
fn plain<T, U: From<T>>(result: Result<T, Failure>) -> Result<U, Fail> {
    result.map(U::from).map_err(Fail::from)
}

/// A host list in plain form.
fn plain_list<T, U: From<T>>(result: Result<Vec<T>, Failure>) -> Result<Vec<U>, Fail> {
    Ok(result?.into_iter().map(U::from).collect())
}

/// The host, reached through the component's imports.
struct Imports;

impl Host for Imports {
    fn granted(&self) -> host::Access {
        engine::granted().into()
    }

    fn list_containers(&self, all: bool, filters: &[(String, String)]) -> Result<Vec<host::ContainerSummary>, Fail> {
        plain_list(engine::list_containers(all, filters))
    }

    fn inspect_container(&self, container: &str) -> Result<String, Fail> {
        Ok(engine::inspect_container(container)?)
    }

    fn container_logs(&self, container: &str, options: host::LogOptions) -> Result<host::Logs, Fail> {
        plain(engine::container_logs(container, options.into()))
    }

    fn container_stats(&self, container: &str) -> Result<host::ResourceUse, Fail> {
        plain(engine::container_stats(container))
    }

    fn start_container(&self, container: &str) -> Result<(), Fail> {
        Ok(engine::start_container(container)?)
    }

    fn stop_container(&self, container: &str, timeout_secs: Option<u32>) -> Result<(), Fail> {
        Ok(engine::stop_container(container, timeout_secs)?)
    }

    fn restart_container(&self, container: &str, timeout_secs: Option<u32>) -> Result<(), Fail> {
        Ok(engine::restart_container(container, timeout_secs)?)
    }

    fn pause_container(&self, container: &str) -> Result<(), Fail> {
        Ok(engine::pause_container(container)?)
    }

    fn unpause_container(&self, container: &str) -> Result<(), Fail> {
        Ok(engine::unpause_container(container)?)
    }

    fn remove_container(&self, container: &str, force: bool, volumes: bool) -> Result<host::Removal, Fail> {
        plain(engine::remove_container(container, force, volumes))
    }

    fn list_images(&self, filters: &[(String, String)]) -> Result<Vec<host::ImageSummary>, Fail> {
        plain_list(engine::list_images(filters))
    }

    fn inspect_image(&self, image: &str) -> Result<String, Fail> {
        Ok(engine::inspect_image(image)?)
    }

    fn pull_image(&self, reference: &str) -> Result<host::ImageSummary, Fail> {
        plain(engine::pull_image(reference))
    }

    fn remove_image(&self, image: &str, force: bool) -> Result<host::Removal, Fail> {
        plain(engine::remove_image(image, force))
    }

    fn prune_images(&self, all: bool) -> Result<host::Removal, Fail> {
        plain(engine::prune_images(all))
    }

    fn list_volumes(&self, filters: &[(String, String)]) -> Result<Vec<host::VolumeSummary>, Fail> {
        plain_list(engine::list_volumes(filters))
    }

    fn inspect_volume(&self, name: &str) -> Result<String, Fail> {
        Ok(engine::inspect_volume(name)?)
    }

    fn create_volume(&self, spec: host::VolumeSpec) -> Result<host::VolumeSummary, Fail> {
        plain(engine::create_volume(&spec.into()))
    }

    fn remove_volume(&self, name: &str, force: bool) -> Result<host::Removal, Fail> {
        plain(engine::remove_volume(name, force))
    }

    fn list_networks(&self, filters: &[(String, String)]) -> Result<Vec<host::NetworkSummary>, Fail> {
        plain_list(engine::list_networks(filters))
    }

    fn inspect_network(&self, network: &str) -> Result<String, Fail> {
        Ok(engine::inspect_network(network)?)
    }

    fn create_network(&self, spec: host::NetworkSpec) -> Result<host::NetworkSummary, Fail> {
        plain(engine::create_network(&spec.into()))
    }

    fn remove_network(&self, network: &str) -> Result<host::Removal, Fail> {
        plain(engine::remove_network(network))
    }

    fn disk_usage(&self) -> Result<host::DiskSpace, Fail> {
        plain(engine::disk_usage())
    }

    fn events(
        &self,
        since: i64,
        until: Option<i64>,
        filters: &[(String, String)],
    ) -> Result<Vec<host::EngineEvent>, Fail> {
        plain_list(engine::events(since, until, filters))
    }

    fn run_as_task(&self) -> bool {
        portcullis::plugin::context::run_as_task()
    }

    fn now(&self) -> i64 {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since_epoch.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// The component's exports.
struct Docker;

impl wit_tools::Guest for Docker {
    fn list_tools() -> Vec<Tool> {
        tools::list(Imports.granted()).into_iter().map(Into::into).collect()
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, Failure> {
        Ok(tools::call(&Imports, &name, &arguments)?.into())
    }
}

impl wit_resources::Guest for Docker {
    fn list_resources() -> Vec<Resource> {
        vec![]
    }

    fn list_resource_templates() -> Vec<ResourceTemplate> {
        let templates = resources::templates(Imports.granted()).iter();
        templates
            .map(|t| ResourceTemplate {
                uri_template: t.uri_template.into(),
                name: t.name.into(),
                title: Some(t.title.into()),
                description: Some(t.description.into()),
                mime_type: Some(t.mime_type.into()),
            })
            .collect()
    }

    fn read_resource(uri: String) -> Result<Vec<ResourceContents>, Failure> {
        let contents = resources::read(&Imports, &uri)?;
        Ok(vec![ResourceContents {
            uri: contents.uri,
            mime_type: Some(contents.mime_type.into()),
            body: ResourceBody::Text(contents.text),
        }])
    }
}

impl wit_prompts::Guest for Docker {
    fn list_prompts() -> Vec<wit_prompts::Prompt> {
        let prompts = prompts::list(Imports.granted()).into_iter();
        prompts
            .map(|p| wit_prompts::Prompt {
                name: p.name.into(),
                title: Some(p.title.into()),
                description: Some(p.description.into()),
                arguments: p
                    .arguments
                    .iter()
                    .map(|a| PromptArgument {
                        name: a.name.into(),
                        description: Some(a.description.into()),
                        required: a.required,
                    })
                    .collect(),
            })
            .collect()
    }

    fn get_prompt(name: String, arguments: Vec<(String, String)>) -> Result<PromptResult, Failure> {
        let rendered = prompts::get(&Imports, &name, &arguments)?;
        let messages =
            rendered.messages.into_iter().map(|text| PromptMessage { role: Role::User, content: Content::Text(text) });
        Ok(PromptResult { description: Some(rendered.description), messages: messages.collect() })
    }
}

impl wit_completions::Guest for Docker {
    fn complete(
        reference: Reference,
        argument: String,
        value: String,
        _context: Vec<(String, String)>,
    ) -> Result<Completion, Failure> {
        let reference = match reference {
            Reference::Prompt(name) => completions::Reference::Prompt(name),
            Reference::ResourceTemplate(uri) => completions::Reference::Template(uri),
        };
        let completion = completions::complete(&Imports, &reference, &argument, &value)?;
        Ok(Completion { values: completion.values, total: Some(completion.total), has_more: completion.has_more })
    }
}

export!(Docker);
