//! Containers that run upstream MCP servers: hardened like sandboxes (see
//! `spec`), running the image's own command with stdin kept open, spoken to
//! through the engine's attach API (no TTY; stdout and stderr demultiplexed).
//! They carry the server's name and this instance's labels but no owner, so
//! no sandbox caller can list or address one; they are removed when their
//! connection ends, at shutdown, or by the next start-up after a crash.

use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::query_parameters::{AttachContainerOptionsBuilder, CreateContainerOptionsBuilder};
use futures::Stream;
use tokio::io::AsyncWrite;

use super::error::Error;
use super::spec::{Blueprint, Process};
use super::{DockerService, ValidSpec, pull, sessions};
use crate::wit::policy::ContainerRequest;
use crate::wit::types::Failure;

/// A started server container and its attached streams.
pub struct AttachedServer {
    /// The container's id.
    pub id: String,
    /// What it writes: stdout and stderr frames.
    pub output: Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>,
    /// Its stdin.
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
}

impl DockerService {
    /// Creates, attaches and starts a container for upstream server `name`
    /// running `cmd` (else the image's command), from `valid` (see
    /// [`DockerService::validate`]) as the policy chain `approved` it. A
    /// missing image is pulled.
    pub async fn start_server(
        &self,
        name: &str,
        valid: ValidSpec,
        approved: ContainerRequest,
        cmd: Option<Vec<String>>,
    ) -> Result<AttachedServer, Failure> {
        let client = self.engine.client().await?;
        let ValidSpec { env, limits, .. } = valid;
        let blueprint = Blueprint {
            image: &approved.image,
            env,
            network: approved.network,
            mounts: &approved.mounts,
            labels: self.me.server_labels(name),
            volume: None,
            limits,
            process: Process::Server { cmd },
        };
        let body = blueprint.body();
        let engine_name = format!("portcullis-server-{}-{name}-{}", &self.me.instance, uuid::Uuid::new_v4().simple());
        let options = || Some(CreateContainerOptionsBuilder::new().name(&engine_name).build());
        let created = match client
            .api
            .create_container(options(), body.clone())
            .await
            .map_err(client.err("create the server's container"))
        {
            Err(e) if e.is_missing() => {
                pull(&client, &approved.image, None).await?;
                client
                    .api
                    .create_container(options(), body)
                    .await
                    .map_err(client.err("create the server's container"))?
            }
            other => other?,
        };
        let attach = AttachContainerOptionsBuilder::new().stream(true).stdin(true).stdout(true).stderr(true).build();
        let started = async {
            let attached = client
                .api
                .attach_container(&created.id, Some(attach))
                .await
                .map_err(client.err("attach to the server"))?;
            client.api.start_container(&created.id, None).await.map_err(client.err("start the server's container"))?;
            Ok::<_, Error>(attached)
        };
        match started.await {
            Ok(attached) => Ok(AttachedServer { id: created.id, output: attached.output, input: attached.input }),
            Err(e) => {
                sessions::remove_container(&client, &created.id).await?;
                Err(e.into())
            }
        }
    }

    /// Removes server container `id`; one already gone is fine.
    pub async fn remove_server(&self, id: &str) -> Result<(), Failure> {
        let client = self.engine.client().await?;
        Ok(sessions::remove_container(&client, id).await?)
    }
}
