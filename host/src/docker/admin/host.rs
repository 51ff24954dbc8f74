//! The host side of the `docker-engine` import. Every call checks, in this
//! order: its grant (`docker-read` to read, `docker-manage` to change), that
//! the host has Docker, that the calling principal may manage the engine
//! (`docker_admin.principals`), the object's scope (see [`EngineAdmin`]), and
//! for a destructive call the user's confirmation; only then does the engine act.

use wasmtime::component::HasData;

use super::confirm::{Destructive, confirm};
use super::containers::Change;
use super::{EngineAdmin, Target};
use crate::caller::{Caller, Grant};
use crate::docker::DockerService;
use crate::wit::docker_engine::{
    Access, ContainerSummary, DiskSpace, EngineEvent, Host, ImageSummary, LogOptions, Logs, NetworkSpec,
    NetworkSummary, Removal, ResourceUse, VolumeSpec, VolumeSummary,
};
use crate::wit::types::Failure;

type Answer<T> = wasmtime::Result<Result<T, Failure>>;
type Filters = Vec<(String, String)>;

/// Marks the `docker-engine` import for the linker: its per-call data is an [`EngineCall`].
pub struct EngineImport;

impl HasData for EngineImport {
    type Data<'a> = EngineCall<'a>;
}

/// What one plugin call's `docker-engine` import sees: who calls, and the
/// Docker service (absent when `[docker] enabled = false`).
pub struct EngineCall<'a> {
    /// The calling plugin, its grants and the call's context.
    pub caller: &'a Caller,
    /// The Docker service, if the host offers one.
    pub service: Option<&'a DockerService>,
}

impl EngineCall<'_> {
    /// Engine management, if the caller holds `grant`, the host has Docker
    /// and the principal may manage the engine.
    async fn admin(&self, grant: Grant) -> Result<EngineAdmin<'_>, Failure> {
        self.caller.require(grant).map_err(Failure::Denied)?;
        let service = self.service.ok_or_else(|| {
            Failure::Failed("Docker is not enabled in this host ([docker] enabled = false in portcullis.toml)".into())
        })?;
        service.config.admin.admit_principal(&self.caller.call.principal).map_err(Failure::Denied)?;
        Ok(service.admin().await?)
    }

    /// Asks the user before `action` on `target`, as the operator chose.
    async fn confirm(&self, admin: &EngineAdmin<'_>, action: Destructive, target: &Target) -> Result<(), Failure> {
        confirm(admin.config.confirm, &self.caller.call, action, &target.description, &target.id).await
    }

    /// A state change of a container; stopping one is confirmed first.
    async fn change(&self, container: &str, change: Change) -> Result<(), Failure> {
        let admin = self.admin(Grant::DockerManage).await?;
        let target = admin.container(container).await?;
        if let Change::Stop(_) = change {
            self.confirm(&admin, Destructive::StopContainer, &target).await?;
        }
        Ok(admin.change(&target, change).await?)
    }
}

// Each import answers `Ok(result)`: a failure is the plugin's to handle,
// never a trap.
impl Host for EngineCall<'_> {
    async fn granted(&mut self) -> wasmtime::Result<Access> {
        let held = |grant| self.caller.policy.grants.contains(&grant);
        Ok(Access { read: held(Grant::DockerRead), manage: held(Grant::DockerManage) })
    }

    async fn list_containers(&mut self, all: bool, filters: Filters) -> Answer<Vec<ContainerSummary>> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.list_containers(all, filters).await?) }.await)
    }

    async fn inspect_container(&mut self, container: String) -> Answer<String> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.inspect_container(&container).await?) }.await)
    }

    async fn container_logs(&mut self, container: String, options: LogOptions) -> Answer<Logs> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.logs(&container, options).await?) }.await)
    }

    async fn container_stats(&mut self, container: String) -> Answer<ResourceUse> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.stats(&container).await?) }.await)
    }

    async fn start_container(&mut self, container: String) -> Answer<()> {
        Ok(self.change(&container, Change::Start).await)
    }

    async fn stop_container(&mut self, container: String, timeout_secs: Option<u32>) -> Answer<()> {
        Ok(self.change(&container, Change::Stop(timeout_secs)).await)
    }

    async fn restart_container(&mut self, container: String, timeout_secs: Option<u32>) -> Answer<()> {
        Ok(self.change(&container, Change::Restart(timeout_secs)).await)
    }

    async fn pause_container(&mut self, container: String) -> Answer<()> {
        Ok(self.change(&container, Change::Pause).await)
    }

    async fn unpause_container(&mut self, container: String) -> Answer<()> {
        Ok(self.change(&container, Change::Unpause).await)
    }

    async fn remove_container(&mut self, container: String, force: bool, volumes: bool) -> Answer<Removal> {
        Ok(async {
            let admin = self.admin(Grant::DockerManage).await?;
            let target = admin.container(&container).await?;
            self.confirm(&admin, Destructive::RemoveContainer, &target).await?;
            Ok(admin.remove_container(&target, force, volumes).await?)
        }
        .await)
    }

    async fn list_images(&mut self, filters: Filters) -> Answer<Vec<ImageSummary>> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.list_images(filters).await?) }.await)
    }

    async fn inspect_image(&mut self, image: String) -> Answer<String> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.inspect_image(&image).await?) }.await)
    }

    async fn pull_image(&mut self, reference: String) -> Answer<ImageSummary> {
        Ok(async { Ok(self.admin(Grant::DockerManage).await?.pull(&reference, &self.caller.call).await?) }.await)
    }

    async fn remove_image(&mut self, image: String, force: bool) -> Answer<Removal> {
        Ok(async {
            let admin = self.admin(Grant::DockerManage).await?;
            let target = admin.image(&image).await?;
            self.confirm(&admin, Destructive::RemoveImage, &target).await?;
            Ok(admin.remove_image(&target, force).await?)
        }
        .await)
    }

    async fn prune_images(&mut self, all: bool) -> Answer<Removal> {
        Ok(async {
            let admin = self.admin(Grant::DockerManage).await?;
            let candidates = admin.prune_candidates(all).await?;
            if candidates.is_empty() {
                return Ok(Removal { removed: Vec::new(), reclaimed_bytes: 0 });
            }
            let listed: Vec<&str> = candidates.iter().map(|c| c.description()).collect();
            let kind = if all { "unused" } else { "dangling" };
            let what = Target {
                id: kind.to_string(),
                description: format!("{} {kind} image(s): {}", listed.len(), listed.join("; ")),
            };
            self.confirm(&admin, Destructive::PruneImages, &what).await?;
            Ok(admin.prune(candidates).await)
        }
        .await)
    }

    async fn list_volumes(&mut self, filters: Filters) -> Answer<Vec<VolumeSummary>> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.list_volumes(filters).await?) }.await)
    }

    async fn inspect_volume(&mut self, name: String) -> Answer<String> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.inspect_volume(&name).await?) }.await)
    }

    async fn create_volume(&mut self, spec: VolumeSpec) -> Answer<VolumeSummary> {
        Ok(async { Ok(self.admin(Grant::DockerManage).await?.create_volume(spec).await?) }.await)
    }

    async fn remove_volume(&mut self, name: String, force: bool) -> Answer<Removal> {
        Ok(async {
            let admin = self.admin(Grant::DockerManage).await?;
            let target = admin.volume(&name).await?;
            self.confirm(&admin, Destructive::RemoveVolume, &target).await?;
            Ok(admin.remove_volume(&target, force).await?)
        }
        .await)
    }

    async fn list_networks(&mut self, filters: Filters) -> Answer<Vec<NetworkSummary>> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.list_networks(filters).await?) }.await)
    }

    async fn inspect_network(&mut self, network: String) -> Answer<String> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.inspect_network(&network).await?) }.await)
    }

    async fn create_network(&mut self, spec: NetworkSpec) -> Answer<NetworkSummary> {
        Ok(async { Ok(self.admin(Grant::DockerManage).await?.create_network(spec).await?) }.await)
    }

    async fn remove_network(&mut self, network: String) -> Answer<Removal> {
        Ok(async {
            let admin = self.admin(Grant::DockerManage).await?;
            let target = admin.network(&network).await?;
            self.confirm(&admin, Destructive::RemoveNetwork, &target).await?;
            Ok(admin.remove_network(&target).await?)
        }
        .await)
    }

    async fn disk_usage(&mut self) -> Answer<DiskSpace> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.disk_usage().await?) }.await)
    }

    async fn events(&mut self, since: i64, until: Option<i64>, filters: Filters) -> Answer<Vec<EngineEvent>> {
        Ok(async { Ok(self.admin(Grant::DockerRead).await?.events(since, until, filters).await?) }.await)
    }
}
