//! Docker primitives for plugins, backed by `bollard`.
//!
//! A self-contained capability: `host` implements the `docker` import (the
//! grant checks and the policy chain run there, before anything reaches the
//! engine) and [`DockerService`] carries out approved requests; `admin`
//! implements the `docker-engine` import, management of the whole engine
//! under the operator's `[docker_admin]` scope. Each concern
//! of the service has its own module: the engine connection (`engine`), the
//! hardened container configuration (`spec`), commands (`exec`, `output`),
//! files (`files`) and the workspace quota (`quota`), pulls (`pull`), installs that never
//! lend the network (`install`),
//! ownership (`identity`, `sessions`) and reclaiming (`reclaim`). Every container and volume is
//! labelled with the owning host instance and session, and is removed when
//! its session ends, after an idle TTL, at shutdown, or at the next start-up
//! if the host crashed.

mod admin;
mod config;
mod engine;
mod error;
mod exec;
mod files;
mod host;
mod identity;
mod install;
mod output;
mod pull;
mod quota;
mod reclaim;
mod servers;
mod sessions;
mod spec;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::CreateContainerOptionsBuilder;
use tokio::task::AbortHandle;

pub use admin::{Confirm, DockerAdminConfig, EngineCall, EngineImport, Pattern, Rules};
pub use config::DockerConfig;
pub use host::{DockerCall, DockerImport};
pub use reclaim::Reaped;
pub use servers::AttachedServer;

use crate::caller::{CallContext, Principal};
use crate::wit::docker::{Container, ContainerSpec, EngineInfo, ExecResult, ExecSpec, ExitReason};
use crate::wit::policy::ContainerRequest;
use crate::wit::types::Failure;
use engine::{Client, Engine};
use error::Error;
use exec::{Job, Stop};
use files::WorkspacePath;
use identity::{Identity, Scope};
use pull::pull;
use sessions::Ledger;
use spec::{Blueprint, Limits, Process, WORKSPACE};

/// A container spec that passed [`DockerService::validate`], with the
/// environment and limits it resolved to.
pub struct ValidSpec {
    spec: ContainerSpec,
    env: Vec<String>,
    limits: Limits,
}

impl ValidSpec {
    /// The spec as requested.
    pub fn spec(&self) -> &ContainerSpec {
        &self.spec
    }
}

/// The host's connection to the Docker engine and the bookkeeping of every
/// container and volume this host instance owns.
pub struct DockerService {
    config: DockerConfig,
    engine: Engine,
    me: Identity,
    ledger: Arc<Ledger>,
    /// Numbers unnamed containers.
    created: AtomicU64,
    reaper: Mutex<Option<AbortHandle>>,
}

impl DockerService {
    /// A service for the engine `config` names. Never fails and contacts
    /// nothing: the connection is made on first use and retried on every call
    /// until it succeeds, so a host without Docker starts and serves, and
    /// each Docker call fails with a message naming the engine address.
    pub fn connect(config: DockerConfig) -> DockerService {
        DockerService {
            engine: Engine::new(config.engine_host()),
            me: Identity::new(),
            ledger: Arc::default(),
            created: AtomicU64::new(0),
            reaper: Mutex::new(None),
            config,
        }
    }

    /// This host instance's id, as in the `portcullis.instance` label.
    pub fn instance_id(&self) -> &str {
        &self.me.instance
    }

    /// `image`, or the operator's `default_image` when it is blank.
    pub fn image_or_default(&self, image: &str) -> String {
        match image.trim() {
            "" => self.config.default_image.clone(),
            image => image.to_string(),
        }
    }

    /// The engine's version and platform, and how many containers `owner`
    /// has on this instance (every principal's when `None`, for the
    /// operator); or why the engine cannot be reached.
    pub async fn engine(&self, owner: Option<&Principal>) -> Result<EngineInfo, Failure> {
        let client = self.engine.client().await?;
        let version = client.api.version().await.map_err(client.err("report its version"))?;
        let scope = owner.map_or(Scope::All, Scope::Principal);
        let owned = sessions::list(&client, self.me.filters(scope)).await?;
        Ok(EngineInfo {
            version: version.version.unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
            platform: format!("{}/{}", version.os.unwrap_or_default(), version.arch.unwrap_or_default()),
            owned_containers: u32::try_from(owned.len()).unwrap_or(u32::MAX),
        })
    }

    /// Checks the parts of `spec` the policy chain does not judge (name,
    /// environment, limits, mount targets), so a bad request fails before any
    /// policy plugin is asked, and keeps what the checks computed.
    pub fn validate(&self, spec: ContainerSpec) -> Result<ValidSpec, Failure> {
        if let Some(name) = &spec.name {
            spec::check_name(name)?;
        }
        let env = spec::env(&spec.env)?;
        let limits = Limits::resolve(&self.config, &spec)?;
        for mount in &spec.mounts {
            spec::check_mount_target(&mount.container_path)?;
        }
        Ok(ValidSpec { spec, env, limits })
    }

    /// Creates and starts a hardened container (see the `spec` module) in
    /// `principal`'s `session` with that session's `/workspace` volume (the
    /// same session name of another principal is another session), running the image,
    /// network and mounts of `approved`, the request as the policy chain
    /// approved it (mounts resolved). With `reuse_existing` and a name, the
    /// session's container of that name is returned (started if stopped)
    /// instead, provided it runs the same image. A missing image is pulled.
    pub async fn create_container(
        &self,
        principal: &Principal,
        session: &str,
        valid: ValidSpec,
        approved: ContainerRequest,
    ) -> Result<Container, Failure> {
        let ValidSpec { spec, env, limits } = valid;
        let session = identity::scoped(principal, session);
        let client = self.engine.client().await?;
        if spec.reuse_existing
            && let Some(name) = &spec.name
            && let Some(existing) = self.reuse(&client, &session, name, &approved.image).await?
        {
            return Ok(existing);
        }
        let owned = sessions::list(&client, self.me.filters(Scope::Principal(principal))).await?.len();
        let cap = self.config.max_containers_per_principal;
        if owned >= cap {
            return Err(Failure::Failed(format!(
                "you already have {owned} containers, the most one client may have at once (`docker.max_containers_per_principal` = {cap}); remove one with cleanup_container, or reuse one by name"
            )));
        }
        let volume = self.me.volume_name(&session);
        let volume_request = VolumeCreateRequest {
            name: Some(volume.clone()),
            labels: Some(self.me.labels(principal, &session)),
            ..Default::default()
        };
        client.api.create_volume(volume_request).await.map_err(client.err("create the workspace volume"))?;
        let mut labels = self.me.labels(principal, &session);
        labels.extend(spec.name.clone().map(|n| (identity::NAME.to_string(), n)));
        let blueprint = Blueprint {
            image: &approved.image,
            env,
            network: approved.network,
            mounts: &approved.mounts,
            labels,
            volume: Some(&volume),
            limits,
            process: Process::Idle,
        };
        let engine_name = match &spec.name {
            Some(name) => format!("portcullis-{}-{name}", self.me.session_hash(&session)),
            None => format!(
                "portcullis-{}-{}",
                self.me.session_hash(&session),
                self.created.fetch_add(1, Ordering::Relaxed) + 1
            ),
        };
        let id = self.create_and_start(&client, &engine_name, blueprint, &session, spec.name.as_deref()).await?;
        self.ledger.touch(&id, &session);
        let inspected = client.api.inspect_container(&id, None).await.map_err(client.err("inspect the container"))?;
        tracing::info!(container = %id, %principal, session, image = %approved.image, "created a container");
        Ok(sessions::from_inspect(inspected))
    }

    /// `principal`'s containers, of one of its sessions or all; stopped ones
    /// only with `include_stopped`.
    pub async fn list_containers(
        &self,
        principal: &Principal,
        include_stopped: bool,
        session: Option<&str>,
    ) -> Result<Vec<Container>, Failure> {
        let client = self.engine.client().await?;
        let scoped = session.map(|s| identity::scoped(principal, s));
        let scope = scoped.as_deref().map_or(Scope::Principal(principal), Scope::Session);
        let listed = sessions::list(&client, self.me.filters(scope)).await?;
        let mut containers: Vec<Container> = listed
            .into_iter()
            .map(sessions::from_summary)
            .filter(|c| include_stopped || c.state == "running")
            .collect();
        containers.sort_by(|a, b| (&a.session_id, &a.name).cmp(&(&b.session_id, &b.name)));
        Ok(containers)
    }

    /// Every container this instance owns, whoever's (for the operator).
    pub async fn owned_containers(&self) -> Result<Vec<Container>, Failure> {
        let client = self.engine.client().await?;
        let listed = sessions::list(&client, self.me.filters(Scope::All)).await?;
        let mut containers: Vec<Container> = listed.into_iter().map(sessions::from_summary).collect();
        containers.sort_by(|a, b| (&a.session_id, &a.name).cmp(&(&b.session_id, &b.name)));
        Ok(containers)
    }

    /// Removes one of this instance's containers (by id or name), whoever's
    /// (for the operator); whether there was one.
    pub async fn remove_owned(&self, container: &str) -> Result<bool, Failure> {
        let Some(owned) = self.owned_containers().await?.into_iter().find(|c| c.id == container || c.name == container)
        else {
            return Ok(false);
        };
        let client = self.engine.client().await?;
        sessions::remove_container(&client, &owned.id).await?;
        self.ledger.forget(&owned.id);
        tracing::info!(container = %owned.id, "removed a container for the operator");
        Ok(true)
    }

    /// Runs `spec.argv` (no shell unless it names one) in one of this
    /// instance's containers, streaming output to the client when
    /// `spec.stream`. The timeout (`spec.timeout_ms`, else the operator's) and
    /// the caller's cancellation kill the command's process group, and so does
    /// dropping this future. `with_network` (the caller has checked the
    /// grant and the policy) runs the command in an installer with the
    /// network and copies what it installed into the container, which stays
    /// offline (see the `install` module); in a container that already has a
    /// network it runs in place.
    /// Output beyond the operator's cap is dropped and marked `truncated`.
    pub async fn exec(&self, call: &CallContext, container: &str, spec: ExecSpec) -> Result<ExecResult, Failure> {
        if spec.argv.is_empty() {
            return Err(Failure::InvalidParams("argv is empty: name the program to run".into()));
        }
        let workdir = spec.workdir.unwrap_or_else(|| WORKSPACE.into());
        if !workdir.starts_with('/') {
            return Err(Failure::InvalidParams(format!("workdir `{workdir}` must be an absolute path")));
        }
        let timeout = spec.timeout_ms.map(Duration::from_millis).unwrap_or(self.config.exec_timeout);
        if timeout.is_zero() {
            return Err(Failure::InvalidParams("timeout-ms must be greater than zero".into()));
        }
        let env = spec::env(&spec.env)?;
        let client = self.engine.client().await?;
        let owned = sessions::resolve(&client, &self.me, container, &call.principal).await?;
        let in_use = self.ledger.in_use(&owned.id, &owned.session);
        let cancel = call.cancel.child_token();
        let _kill_on_drop = cancel.clone().drop_guard();
        let watch = self.quota().watch(client.clone(), owned.id.clone(), cancel.clone());
        let job = Job {
            container: owned.id.clone(),
            argv: spec.argv,
            workdir,
            env,
            timeout,
            output_cap: self.config.output_cap_bytes,
            stream: call.client.clone().filter(|_| spec.stream),
            cancel,
        };
        let installs = spec.with_network && !owned.networked;
        let (me, ledger, engine) = (self.me.clone(), self.ledger.clone(), client.clone());
        // Its own task, so a caller that goes away cannot leave the command
        // running or an installer behind.
        let task = tokio::spawn(async move {
            let _in_use = in_use;
            if installs { install::run(&engine, &me, &ledger, job).await } else { exec::run(&engine, job).await }
        });
        let mut outcome = task.await.map_err(|e| Failure::Failed(format!("the exec did not complete: {e}")))??;
        if let Some(note) = watch.finish().await {
            outcome.output.stderr.push_str(&format!("\n{note}\n"));
        }
        let reason = match outcome.stop {
            Stop::Timeout => ExitReason::Timeout,
            Stop::Cancelled => ExitReason::Cancelled,
            Stop::Exited
                if outcome.exit_code == Some(exec::SIGKILL_EXIT)
                    && self.killed_for_memory(&client, &owned.id).await =>
            {
                ExitReason::OutOfMemory
            }
            Stop::Exited => ExitReason::Exited,
        };
        Ok(ExecResult {
            exit_code: outcome.exit_code.filter(|_| outcome.stop == Stop::Exited),
            stdout: outcome.output.stdout,
            stderr: outcome.output.stderr,
            truncated: outcome.output.truncated,
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
            reason,
        })
    }

    /// Writes `data` to `path` (absolute, under `/workspace`, no `..`) in one
    /// of this instance's containers, creating missing directories.
    pub async fn write_file(
        &self,
        call: &CallContext,
        container: &str,
        path: &str,
        data: Vec<u8>,
    ) -> Result<(), Failure> {
        let path = WorkspacePath::parse(path)?;
        let (client, id) = self.use_container(call, container).await?;
        self.quota().check_write(&client, &id, data.len()).await?;
        Ok(files::write(&client, &id, &path, data).await?)
    }

    /// Reads the regular file at `path` (absolute, under `/workspace`, no
    /// `..`, at most 32 MiB) from one of this instance's containers.
    pub async fn read_file(&self, call: &CallContext, container: &str, path: &str) -> Result<Vec<u8>, Failure> {
        let path = WorkspacePath::parse(path)?;
        let (client, id) = self.use_container(call, container).await?;
        Ok(files::read(&client, &id, &path).await?)
    }

    /// Removes one of this instance's containers; with `remove_volumes`, also
    /// its session's volume once no container of that session remains.
    pub async fn remove_container(
        &self,
        call: &CallContext,
        container: &str,
        remove_volumes: bool,
    ) -> Result<(), Failure> {
        let client = self.engine.client().await?;
        let owned = sessions::resolve(&client, &self.me, container, &call.principal).await?;
        sessions::remove_container(&client, &owned.id).await?;
        self.ledger.forget(&owned.id);
        if remove_volumes && sessions::list(&client, self.me.filters(Scope::Session(&owned.session))).await?.is_empty()
        {
            sessions::remove_volume(&client, &self.me.volume_name(&owned.session)).await?;
            self.ledger.forget_session(&owned.session);
        }
        Ok(())
    }

    /// The operator's workspace quota.
    fn quota(&self) -> quota::Quota {
        quota::Quota { limit_bytes: self.config.workspace_bytes }
    }

    /// Connects, resolves `container` among this instance's, and records its use.
    async fn use_container(&self, call: &CallContext, container: &str) -> Result<(Client, String), Error> {
        let client = self.engine.client().await?;
        let owned = sessions::resolve(&client, &self.me, container, &call.principal).await?;
        self.ledger.touch(&owned.id, &owned.session);
        Ok((client, owned.id))
    }

    /// The session's container named `name`, started if it had stopped, if
    /// there is one; it must run `image`.
    async fn reuse(&self, client: &Client, session: &str, name: &str, image: &str) -> Result<Option<Container>, Error> {
        let mut filters = self.me.filters(Scope::Session(session));
        filters.entry("label".into()).or_default().push(format!("{}={name}", identity::NAME));
        let Some(found) = sessions::list(client, filters).await?.into_iter().next() else { return Ok(None) };
        let existing = sessions::from_summary(found);
        if existing.image != image {
            return Err(Error::InvalidParams(format!(
                "container `{name}` in session `{session}` runs image `{}`, not `{image}`; remove it or choose another name",
                existing.image
            )));
        }
        if existing.state != "running" {
            client.api.start_container(&existing.id, None).await.map_err(client.err("restart the container"))?;
        }
        self.ledger.touch(&existing.id, session);
        let inspected =
            client.api.inspect_container(&existing.id, None).await.map_err(client.err("inspect the container"))?;
        Ok(Some(sessions::from_inspect(inspected)))
    }

    /// Creates (pulling the image if the engine lacks it) and starts a
    /// container; one that fails to start is removed again.
    async fn create_and_start(
        &self,
        client: &Client,
        engine_name: &str,
        blueprint: Blueprint<'_>,
        session: &str,
        name: Option<&str>,
    ) -> Result<String, Error> {
        let image = blueprint.image.to_string();
        let body = blueprint.body();
        let options = || Some(CreateContainerOptionsBuilder::new().name(engine_name).build());
        let created = match client
            .api
            .create_container(options(), body.clone())
            .await
            .map_err(client.err("create the container"))
        {
            Err(e) if e.is_missing() => {
                pull(client, &image, None).await?;
                client.api.create_container(options(), body).await.map_err(client.err("create the container"))?
            }
            Err(Error::Engine { status: 409, .. }) => {
                return Err(Error::Failed(format!(
                    "a container named `{}` already exists in session `{session}`; pass reuse-existing to use it, or remove it first",
                    name.unwrap_or(engine_name)
                )));
            }
            other => other?,
        };
        if let Err(e) = client.api.start_container(&created.id, None).await.map_err(client.err("start the container")) {
            sessions::remove_container(client, &created.id).await?;
            return Err(Error::Failed(format!(
                "{e}. Portcullis keeps containers alive with `sleep infinity` and runs commands with `sh`; the image must provide both"
            )));
        }
        Ok(created.id)
    }

    /// Whether the last SIGKILL in `container` came from the out-of-memory
    /// killer: its cgroup's kill counter rose, or, where that cannot be read,
    /// the engine flagged the container.
    async fn killed_for_memory(&self, client: &Client, container: &str) -> bool {
        match exec::oom_kills(client, container).await {
            Some(count) => self.ledger.record_oom_kills(container, count),
            None => client
                .api
                .inspect_container(container, None)
                .await
                .ok()
                .and_then(|c| c.state?.oom_killed)
                .unwrap_or(false),
        }
    }
}
