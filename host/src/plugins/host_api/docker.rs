//! `docker`: the Docker primitives, behind the `docker` grant.

use crate::plugins::bindings::docker::{Container, ContainerSpec, EngineInfo, ExecResult, ExecSpec, Host};
use crate::plugins::bindings::types::Failure;
use crate::plugins::call::{CallState, Grant};

type Answer<T> = wasmtime::Result<Result<T, Failure>>;

impl CallState {
    /// The Docker service, if this plugin holds the `docker` grant and the
    /// host has one; otherwise the failure that explains what is missing.
    fn docker(&self) -> Result<std::sync::Arc<crate::docker::DockerService>, Failure> {
        self.caller().require(Grant::Docker).map_err(Failure::Denied)?;
        self.services.docker.clone().ok_or_else(|| {
            Failure::Failed("Docker primitives are not enabled in this host ([docker] enabled = false)".into())
        })
    }
}

impl Host for CallState {
    async fn engine(&mut self) -> Answer<EngineInfo> {
        Ok(match self.docker() {
            Ok(docker) => docker.engine().await,
            Err(e) => Err(e),
        })
    }

    async fn create_container(&mut self, spec: ContainerSpec) -> Answer<Container> {
        Ok(match self.docker() {
            Ok(docker) => docker.create_container(&self.services, &self.caller(), spec).await,
            Err(e) => Err(e),
        })
    }

    async fn list_containers(&mut self, include_stopped: bool, session: Option<String>) -> Answer<Vec<Container>> {
        Ok(match self.docker() {
            Ok(docker) => docker.list_containers(include_stopped, session).await,
            Err(e) => Err(e),
        })
    }

    async fn exec(&mut self, container: String, spec: ExecSpec) -> Answer<ExecResult> {
        Ok(match self.docker() {
            Ok(docker) => docker.exec(&self.caller(), &container, spec).await,
            Err(e) => Err(e),
        })
    }

    async fn write_file(&mut self, container: String, path: String, data: Vec<u8>) -> Answer<()> {
        Ok(match self.docker() {
            Ok(docker) => docker.write_file(&self.caller(), &container, &path, data).await,
            Err(e) => Err(e),
        })
    }

    async fn read_file(&mut self, container: String, path: String) -> Answer<Vec<u8>> {
        Ok(match self.docker() {
            Ok(docker) => docker.read_file(&self.caller(), &container, &path).await,
            Err(e) => Err(e),
        })
    }

    async fn remove_container(&mut self, container: String, remove_volumes: bool) -> Answer<()> {
        Ok(match self.docker() {
            Ok(docker) => docker.remove_container(&self.caller(), &container, remove_volumes).await,
            Err(e) => Err(e),
        })
    }

    async fn remove_session(&mut self, session: Option<String>, remove_volumes: bool) -> Answer<u32> {
        Ok(match self.docker() {
            Ok(docker) => docker.remove_session(session, remove_volumes).await,
            Err(e) => Err(e),
        })
    }
}
