//! `docker`: the Docker primitives, behind the `docker` grant.

use std::future::Future;
use std::sync::Arc;

use crate::docker::DockerService;
use crate::plugins::bindings::docker::{Container, ContainerSpec, EngineInfo, ExecResult, ExecSpec, Host};
use crate::plugins::bindings::types::Failure;
use crate::plugins::call::{CallState, Caller, Grant};

type Answer<T> = wasmtime::Result<Result<T, Failure>>;

impl CallState {
    /// The Docker service and the caller, if this plugin holds the `docker`
    /// grant and the host has Docker; otherwise the failure that explains what
    /// is missing.
    fn docker(&self) -> Result<(Arc<DockerService>, Caller), Failure> {
        let caller = self.caller();
        caller.require(Grant::Docker).map_err(Failure::Denied)?;
        let docker = self.services.docker.clone().ok_or_else(|| {
            Failure::Failed("Docker primitives are not enabled in this host ([docker] enabled = false)".into())
        })?;
        Ok((docker, caller))
    }
}

/// Runs `call` with the Docker service if access was granted. The future owns
/// what it uses, so it does not borrow the store data across the wait.
async fn with<T, Fut>(
    access: Result<(Arc<DockerService>, Caller), Failure>,
    call: impl FnOnce(Arc<DockerService>, Caller) -> Fut,
) -> Answer<T>
where
    Fut: Future<Output = Result<T, Failure>>,
{
    Ok(match access {
        Ok((docker, caller)) => call(docker, caller).await,
        Err(denied) => Err(denied),
    })
}

impl Host for CallState {
    async fn engine(&mut self) -> Answer<EngineInfo> {
        with(self.docker(), |docker, _| async move { docker.engine().await }).await
    }

    async fn create_container(&mut self, spec: ContainerSpec) -> Answer<Container> {
        let services = self.services.clone();
        with(self.docker(), |docker, caller| async move { docker.create_container(&services, &caller, spec).await }).await
    }

    async fn list_containers(&mut self, include_stopped: bool, session: Option<String>) -> Answer<Vec<Container>> {
        with(self.docker(), |docker, _| async move { docker.list_containers(include_stopped, session).await }).await
    }

    async fn exec(&mut self, container: String, spec: ExecSpec) -> Answer<ExecResult> {
        with(self.docker(), |docker, caller| async move { docker.exec(&caller, &container, spec).await }).await
    }

    async fn write_file(&mut self, container: String, path: String, data: Vec<u8>) -> Answer<()> {
        with(self.docker(), |docker, caller| async move { docker.write_file(&caller, &container, &path, data).await })
            .await
    }

    async fn read_file(&mut self, container: String, path: String) -> Answer<Vec<u8>> {
        with(self.docker(), |docker, caller| async move { docker.read_file(&caller, &container, &path).await }).await
    }

    async fn remove_container(&mut self, container: String, remove_volumes: bool) -> Answer<()> {
        with(self.docker(), |docker, caller| async move {
            docker.remove_container(&caller, &container, remove_volumes).await
        })
        .await
    }

    async fn remove_session(&mut self, session: Option<String>, remove_volumes: bool) -> Answer<u32> {
        with(self.docker(), |docker, _| async move { docker.remove_session(session, remove_volumes).await }).await
    }
}
