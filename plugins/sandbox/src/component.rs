//! The component glue: the `portcullis:plugin/tool-plugin` bindings, the
//! [`Host`] trait over its imports, and the `tools` export over
//! [`tools`](crate::tools). Conversions only; no behaviour.

wit_bindgen::generate!({
    path: "../../wit",
    world: "portcullis:plugin/tool-plugin",
    generate_all,
});

use crate::host::{self, Host};
use exports::portcullis::plugin::tools::{self as wit_tools, CallResult, Tool};
use plugin_kit::{Fail, InstallPlan, Language};
use portcullis::plugin::types::Failure;
use portcullis::plugin::{context, dependencies, docker, log, progress};

plugin_kit::wit_types!(portcullis::plugin::types);
plugin_kit::wit_tools!(portcullis::plugin::types, exports::portcullis::plugin::tools);

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

/// The host, reached through the component's imports.
struct Imports;

impl Host for Imports {
    fn engine(&self) -> Result<host::EngineInfo, Fail> {
        let info = docker::engine()?;
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
            mounts: spec.mounts.into_iter().map(Into::into).collect(),
            reuse_existing: spec.reuse_existing,
            session: spec.session,
        };
        Ok(container(docker::create_container(&spec)?))
    }

    fn list_containers(&self, include_stopped: bool, session: Option<String>) -> Result<Vec<host::Container>, Fail> {
        Ok(docker::list_containers(include_stopped, session.as_deref())?.into_iter().map(container).collect())
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
        let result = docker::exec(container, &spec)?;
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
        Ok(docker::write_file(container, path, data)?)
    }

    fn read_file(&self, container: &str, path: &str) -> Result<Vec<u8>, Fail> {
        Ok(docker::read_file(container, path)?)
    }

    fn remove_container(&self, container: &str, remove_volumes: bool) -> Result<(), Fail> {
        Ok(docker::remove_container(container, remove_volumes)?)
    }

    fn remove_session(&self, session: Option<String>, remove_volumes: bool) -> Result<u32, Fail> {
        Ok(docker::remove_session(session.as_deref(), remove_volumes)?)
    }

    fn languages(&self) -> Vec<Language> {
        dependencies::languages().into_iter().map(Into::into).collect()
    }

    fn detect(&self, language: &str, source: &str) -> Result<Vec<String>, Fail> {
        Ok(dependencies::detect(language, source)?)
    }

    fn plan_install(&self, manager: &str, packages: &[String]) -> Result<InstallPlan, Fail> {
        Ok(dependencies::plan_install(manager, packages)?.into())
    }

    fn run_command(&self, language: &str, path: &str) -> Result<Vec<String>, Fail> {
        Ok(dependencies::run_command(language, path)?)
    }

    fn session_id(&self) -> Option<String> {
        context::session_id()
    }

    fn run_as_task(&self) -> bool {
        context::run_as_task()
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

/// The component's `tools` export.
struct Sandbox;

impl wit_tools::Guest for Sandbox {
    fn list_tools() -> Vec<Tool> {
        crate::tools::list().into_iter().map(Into::into).collect()
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, Failure> {
        Ok(crate::tools::call(&Imports, &name, &arguments)?.into())
    }
}

export!(Sandbox);
