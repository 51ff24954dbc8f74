//! The host side of the `docker` import. Every call is checked here, in this
//! order, before the [`DockerService`] acts: the `docker` grant, the grants a
//! request needs beyond it (`network`, `install-network`), the request's own
//! validity, and the policy chain (operator rules, then policy plugins). The
//! service receives only approved requests.

use wasmtime::component::HasData;

use super::DockerService;
use crate::caller::{Caller, Grant};
use crate::policy::{PolicyChain, PolicyPlugins};
use crate::wit::docker::{Container, ContainerSpec, EngineInfo, ExecResult, ExecSpec, Host};
use crate::wit::policy::ContainerRequest;
use crate::wit::types::Failure;
use crate::wit::v0_1::{self, Answer as Answer0_1, answer, transcode};

type Answer<T> = wasmtime::Result<Result<T, Failure>>;

/// Marks the `docker` import for the linker: its per-call data is a [`DockerCall`].
pub struct DockerImport;

impl HasData for DockerImport {
    type Data<'a> = DockerCall<'a>;
}

/// What one plugin call's `docker` import sees: who calls, the service (absent
/// when `[docker] enabled = false`), the policy chain and the policy plugins
/// it consults.
pub struct DockerCall<'a> {
    /// The calling plugin, its grants and the call's context.
    pub caller: &'a Caller,
    /// The Docker service, if the host offers one.
    pub service: Option<&'a DockerService>,
    /// The operator's rules.
    pub policy: &'a PolicyChain,
    /// The policy plugins loaded now.
    pub plugins: &'a dyn PolicyPlugins,
}

impl DockerCall<'_> {
    /// The service, if the caller holds the `docker` grant and the host has
    /// Docker; otherwise the failure that says what is missing.
    fn service(&self) -> Result<&DockerService, Failure> {
        self.require(Grant::Docker)?;
        self.service.ok_or_else(|| {
            Failure::Failed("Docker primitives are not enabled in this host ([docker] enabled = false)".into())
        })
    }

    fn require(&self, grant: Grant) -> Result<(), Failure> {
        self.caller.require(grant).map_err(Failure::Denied)
    }

    /// The session a new container belongs to: the spec's, else the caller's.
    fn session_of(&self, explicit: Option<&str>) -> Result<String, Failure> {
        explicit.filter(|s| !s.is_empty()).map(String::from).or_else(|| self.caller.call.session_id.clone()).ok_or_else(
            || Failure::InvalidParams("no session: pass session_id (the container spec's `session`)".into()),
        )
    }

    async fn create(&self, spec: ContainerSpec) -> Result<Container, Failure> {
        let service = self.service()?;
        if spec.network {
            self.require(Grant::Network)?;
        }
        let session = self.session_of(spec.session.as_deref())?;
        let valid = service.validate(spec)?;
        let requested = valid.spec();
        let request = ContainerRequest {
            image: service.image_or_default(&requested.image),
            network: requested.network,
            mounts: requested.mounts.clone(),
        };
        let approved = self.policy.check_container(self.plugins, request).await?;
        service.create_container(&self.caller.call.principal, &session, valid, approved).await
    }

    async fn exec_checked(&self, container: &str, spec: ExecSpec) -> Result<ExecResult, Failure> {
        let service = self.service()?;
        if spec.with_network {
            self.require(Grant::InstallNetwork)?;
            self.policy.check_network()?;
        }
        service.exec(&self.caller.call, container, spec).await
    }
}

// Each import answers `Ok(result)`: a failure is the plugin's to handle,
// never a trap.
impl Host for DockerCall<'_> {
    async fn engine(&mut self) -> Answer<EngineInfo> {
        Ok(async { self.service()?.engine(Some(&self.caller.call.principal)).await }.await)
    }

    async fn create_container(&mut self, spec: ContainerSpec) -> Answer<Container> {
        Ok(self.create(spec).await)
    }

    async fn list_containers(&mut self, include_stopped: bool, session: Option<String>) -> Answer<Vec<Container>> {
        let principal = &self.caller.call.principal;
        Ok(async { self.service()?.list_containers(principal, include_stopped, session.as_deref()).await }.await)
    }

    async fn exec(&mut self, container: String, spec: ExecSpec) -> Answer<ExecResult> {
        Ok(self.exec_checked(&container, spec).await)
    }

    async fn write_file(&mut self, container: String, path: String, data: Vec<u8>) -> Answer<()> {
        Ok(async { self.service()?.write_file(&self.caller.call, &container, &path, data).await }.await)
    }

    async fn read_file(&mut self, container: String, path: String) -> Answer<Vec<u8>> {
        Ok(async { self.service()?.read_file(&self.caller.call, &container, &path).await }.await)
    }

    async fn remove_container(&mut self, container: String, remove_volumes: bool) -> Answer<()> {
        Ok(async { self.service()?.remove_container(&self.caller.call, &container, remove_volumes).await }.await)
    }

    async fn remove_session(&mut self, session: Option<String>, remove_volumes: bool) -> Answer<u32> {
        let principal = &self.caller.call.principal;
        Ok(async { self.service()?.remove_session(principal, session.as_deref(), remove_volumes).await }.await)
    }
}

/// `portcullis:plugin@0.1.0`'s `docker`, for components built against it.
impl v0_1::docker::Host for DockerCall<'_> {
    async fn engine(&mut self) -> Answer0_1<v0_1::docker::EngineInfo> {
        answer(Host::engine(self).await?)
    }

    async fn create_container(&mut self, spec: v0_1::docker::ContainerSpec) -> Answer0_1<v0_1::docker::Container> {
        answer(Host::create_container(self, transcode(spec)?).await?)
    }

    async fn list_containers(
        &mut self,
        include_stopped: bool,
        session: Option<String>,
    ) -> Answer0_1<Vec<v0_1::docker::Container>> {
        answer(Host::list_containers(self, include_stopped, session).await?)
    }

    async fn exec(&mut self, container: String, spec: v0_1::docker::ExecSpec) -> Answer0_1<v0_1::docker::ExecResult> {
        answer(Host::exec(self, container, transcode(spec)?).await?)
    }

    async fn write_file(&mut self, container: String, path: String, data: Vec<u8>) -> Answer0_1<()> {
        answer(Host::write_file(self, container, path, data).await?)
    }

    async fn read_file(&mut self, container: String, path: String) -> Answer0_1<Vec<u8>> {
        answer(Host::read_file(self, container, path).await?)
    }

    async fn remove_container(&mut self, container: String, remove_volumes: bool) -> Answer0_1<()> {
        answer(Host::remove_container(self, container, remove_volumes).await?)
    }

    async fn remove_session(&mut self, session: Option<String>, remove_volumes: bool) -> Answer0_1<u32> {
        answer(Host::remove_session(self, session, remove_volumes).await?)
    }
}
