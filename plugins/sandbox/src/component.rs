//! The component glue: the `portcullis:plugin/tool-plugin` bindings, the
//! [`Host`] trait over its imports, and the `tools` export over
//! [`tools::call`](crate::tools::call). Conversions only; no behaviour.

wit_bindgen::generate!({
    path: "../../wit",
    world: "portcullis:plugin/tool-plugin",
    generate_all,
});

use crate::catalog;
use crate::fail::Fail;
use crate::host::{self, Host};
use crate::report::{Block, Outcome};
use exports::portcullis::plugin::tools::{self as wit_tools, CallResult, Tool};
use portcullis::plugin::types::{Content, Failure, Media, ResourceBody, ResourceContents};
use portcullis::plugin::{client, config, dependencies, docker, log, progress};

/// The WIT failure for a [`Fail`].
fn to_failure(fail: Fail) -> Failure {
    match fail {
        Fail::NotFound(m) => Failure::NotFound(m),
        Fail::InvalidParams(m) => Failure::InvalidParams(m),
        Fail::Denied(m) => Failure::Denied(m),
        Fail::Failed(m) => Failure::Failed(m),
    }
}

/// The [`Fail`] for a WIT failure.
fn from_failure(failure: Failure) -> Fail {
    match failure {
        Failure::NotFound(m) => Fail::NotFound(m),
        Failure::InvalidParams(m) => Fail::InvalidParams(m),
        Failure::Denied(m) => Fail::Denied(m),
        Failure::Failed(m) => Fail::Failed(m),
    }
}

/// A container record in plain form.
fn container(c: docker::Container) -> host::Container {
    host::Container {
        id: c.id,
        name: c.name,
        image: c.image,
        state: c.state,
        session_id: c.session_id,
        network: c.network,
    }
}

/// A language record in plain form.
fn language(l: portcullis::plugin::types::Language) -> host::Language {
    host::Language {
        name: l.name,
        file_extension: l.file_extension,
        manager: l.manager,
    }
}

/// The host, reached through the component's imports.
struct Imports;

impl Host for Imports {
    fn engine(&self) -> Result<host::EngineInfo, Fail> {
        let info = docker::engine().map_err(from_failure)?;
        Ok(host::EngineInfo {
            version: info.version,
            api_version: info.api_version,
            platform: info.platform,
            owned_containers: info.owned_containers,
        })
    }

    fn create_container(&self, spec: host::ContainerSpec) -> Result<host::Container, Fail> {
        let spec = docker::ContainerSpec {
            image: spec.image,
            name: spec.name,
            env: spec.env,
            network: spec.network,
            memory_bytes: spec.memory_bytes,
            cpus: spec.cpus,
            pids: None,
            mounts: spec
                .mounts
                .into_iter()
                .map(|m| docker::MountSpec {
                    host_path: m.host_path,
                    container_path: m.container_path,
                    read_only: m.read_only,
                })
                .collect(),
            reuse_existing: spec.reuse_existing,
            session: spec.session,
        };
        docker::create_container(&spec)
            .map(container)
            .map_err(from_failure)
    }

    fn list_containers(
        &self,
        include_stopped: bool,
        session: Option<String>,
    ) -> Result<Vec<host::Container>, Fail> {
        let containers =
            docker::list_containers(include_stopped, session.as_deref()).map_err(from_failure)?;
        Ok(containers.into_iter().map(container).collect())
    }

    fn exec(&self, container: &str, spec: host::ExecSpec) -> Result<host::ExecResult, Fail> {
        let spec = docker::ExecSpec {
            argv: spec.argv,
            workdir: spec.workdir,
            env: spec.env,
            timeout_ms: Some(spec.timeout_ms),
            stream: spec.stream,
            with_network: spec.with_network,
        };
        let result = docker::exec(container, &spec).map_err(from_failure)?;
        Ok(host::ExecResult {
            exit_code: result.exit_code,
            stdout: result.stdout,
            stderr: result.stderr,
            truncated: result.truncated,
            duration_ms: result.duration_ms,
            reason: match result.reason {
                docker::ExitReason::Exited => host::ExitReason::Exited,
                docker::ExitReason::Timeout => host::ExitReason::Timeout,
                docker::ExitReason::OutOfMemory => host::ExitReason::OutOfMemory,
                docker::ExitReason::Cancelled => host::ExitReason::Cancelled,
            },
        })
    }

    fn write_file(&self, container: &str, path: &str, data: &[u8]) -> Result<(), Fail> {
        docker::write_file(container, path, data).map_err(from_failure)
    }

    fn read_file(&self, container: &str, path: &str) -> Result<Vec<u8>, Fail> {
        docker::read_file(container, path).map_err(from_failure)
    }

    fn remove_container(&self, container: &str, remove_volumes: bool) -> Result<(), Fail> {
        docker::remove_container(container, remove_volumes).map_err(from_failure)
    }

    fn remove_session(&self, session: Option<String>, remove_volumes: bool) -> Result<u32, Fail> {
        docker::remove_session(session.as_deref(), remove_volumes).map_err(from_failure)
    }

    fn languages(&self) -> Vec<host::Language> {
        dependencies::languages()
            .into_iter()
            .map(language)
            .collect()
    }

    fn detect(&self, language: &str, source: &str) -> Result<Vec<String>, Fail> {
        dependencies::detect(language, source).map_err(from_failure)
    }

    fn plan_install(&self, manager: &str, packages: &[String]) -> Result<host::InstallPlan, Fail> {
        let plan = dependencies::plan_install(manager, packages).map_err(from_failure)?;
        Ok(host::InstallPlan {
            argv: plan.argv,
            env: plan.env,
        })
    }

    fn run_command(&self, language: &str, path: &str) -> Result<Vec<String>, Fail> {
        dependencies::run_command(language, path).map_err(from_failure)
    }

    fn session_id(&self) -> Option<String> {
        client::session_id()
    }

    fn setting(&self, key: &str) -> Option<String> {
        config::get(key)
    }

    fn log(&self, level: host::Level, message: &str) {
        let level = match level {
            host::Level::Info => log::Level::Info,
            host::Level::Warning => log::Level::Warning,
        };
        log::log(level, message);
    }

    fn progress(&self, done: f64, total: Option<f64>, message: &str) {
        progress::report(done, total, Some(message));
    }
}

/// The WIT content block for a [`Block`].
fn content(block: Block) -> Content {
    match block {
        Block::Text(text) => Content::Text(text),
        Block::Image { data, mime_type } => Content::Image(Media {
            data,
            mime_type: mime_type.into(),
        }),
        Block::Blob { uri, data } => Content::Resource(ResourceContents {
            uri,
            mime_type: Some("application/octet-stream".into()),
            body: ResourceBody::Blob(data),
        }),
    }
}

/// The component's `tools` export.
struct Sandbox;

impl wit_tools::Guest for Sandbox {
    fn list_tools() -> Vec<Tool> {
        catalog::tools()
            .into_iter()
            .map(|t| Tool {
                name: t.name.into(),
                title: Some(t.title.into()),
                description: t.description.into(),
                input_schema: t.input_schema.to_string(),
                output_schema: t.output_schema.map(|s| s.to_string()),
                annotations: Some(wit_tools::Annotations {
                    read_only: Some(t.annotations.read_only),
                    destructive: Some(t.annotations.destructive),
                    idempotent: Some(t.annotations.idempotent),
                    open_world: t.annotations.open_world,
                }),
            })
            .collect()
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, Failure> {
        let Outcome {
            content: blocks,
            structured,
            is_error,
        } = crate::tools::call(&Imports, &name, &arguments).map_err(to_failure)?;
        Ok(CallResult {
            content: blocks.into_iter().map(content).collect(),
            structured_content: structured.map(|s| s.to_string()),
            is_error,
        })
    }
}

export!(Sandbox);
