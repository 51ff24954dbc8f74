//! Starting a connection to an upstream server: a child process on the
//! host (its own process group, killed whole when the connection is
//! dropped; its environment only what the entry lists, plus PATH and HOME),
//! a container attached through the engine (removed when the connection is
//! dropped), or a remote URL over Streamable HTTP (or, for servers that
//! answer that way, the legacy HTTP+SSE transport). A process's or
//! container's stderr goes to the host log and the server's status.

use std::collections::HashMap;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use bollard::container::LogOutput;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use process_wrap::tokio::{CommandWrap, KillOnDrop, ProcessGroup};
use rmcp::ServiceExt;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::io::StreamReader;

use super::config::{Launch, ServerSpec};
use super::legacy_sse::LegacySse;
use super::link::Link;
use super::server::StderrTail;
use crate::docker::DockerService;
use crate::plugins::HostServices;
use crate::wit::docker::ContainerSpec;
use crate::wit::policy::ContainerRequest;

/// A live connection to a server, and the container it runs in, if any.
pub(super) struct Connection {
    pub(super) service: RunningService<RoleClient, Link>,
    /// Removes the container when the connection is dropped.
    pub(super) _container: Option<ServerContainerGuard>,
}

/// Removes a server's container when dropped.
pub(super) struct ServerContainerGuard {
    docker: Arc<DockerService>,
    id: String,
}

impl Drop for ServerContainerGuard {
    fn drop(&mut self) {
        let (docker, id) = (self.docker.clone(), std::mem::take(&mut self.id));
        tokio::spawn(async move {
            if let Err(e) = docker.remove_server(&id).await {
                tracing::warn!(container = %id, "could not remove an upstream server's container: {}", e.message());
            }
        });
    }
}

/// Connects to `spec`'s server and completes `initialize`, with `link`
/// handling what the server sends.
pub(super) async fn connect(
    spec: &ServerSpec,
    services: &Arc<HostServices>,
    link: Link,
    stderr: Arc<StderrTail>,
) -> Result<Connection> {
    let service = match &spec.launch {
        Launch::Command { argv, env, cwd } => {
            let mut command = tokio::process::Command::new(&argv[0]);
            command.args(&argv[1..]).env_clear();
            for inherited in ["PATH", "HOME"] {
                if let Some(value) = std::env::var_os(inherited) {
                    command.env(inherited, value);
                }
            }
            command.envs(env.iter().map(|(k, v)| (k, v.expose())));
            if let Some(dir) = cwd {
                command.current_dir(dir);
            }
            let mut wrapped = CommandWrap::from(command);
            wrapped.wrap(ProcessGroup::leader()).wrap(KillOnDrop);
            let (transport, child_stderr) = TokioChildProcess::builder(wrapped)
                .stderr(Stdio::piped())
                .spawn()
                .with_context(|| format!("could not run `{}`", argv[0]))?;
            if let Some(child_stderr) = child_stderr {
                stderr.reading();
                tokio::spawn(forward_stderr(spec.name.clone(), child_stderr, stderr));
            }
            link.serve(transport).await?
        }
        Launch::Container { image, cmd, env, network, mounts, limits } => {
            let docker =
                services.docker.clone().context("`image` servers need Docker: set `enabled = true` under [docker]")?;
            let failed = |f: crate::wit::types::Failure| anyhow!(f.message().to_string());
            let container = ContainerSpec {
                image: docker.image_or_default(image),
                name: None,
                env: env.iter().map(|(k, v)| (k.clone(), v.expose().to_string())).collect(),
                network: *network,
                memory_bytes: limits.memory_mib.map(|mib| mib.saturating_mul(1 << 20)),
                cpus: limits.cpus,
                pids: limits.pids,
                mounts: mounts.clone(),
                reuse_existing: false,
                session: None,
            };
            let valid = docker.validate(container).map_err(failed)?;
            let requested = valid.spec();
            let request = ContainerRequest {
                image: requested.image.clone(),
                network: requested.network,
                mounts: requested.mounts.clone(),
            };
            let approved = services.policy.check_container(services, request).await.map_err(failed)?;
            let attached = docker.start_server(&spec.name, valid, approved, cmd.clone()).await.map_err(failed)?;
            let guard = ServerContainerGuard { docker, id: attached.id };
            let stdout = demultiplex(spec.name.clone(), attached.output, stderr);
            let service = link.serve((StreamReader::new(stdout), attached.input)).await?;
            return Ok(Connection { service, _container: Some(guard) });
        }
        Launch::Url { url, headers } => {
            let mut custom = http::HeaderMap::new();
            for (name, value) in headers {
                let name = http::HeaderName::try_from(name.as_str()).with_context(|| format!("header `{name}`"))?;
                let value = http::HeaderValue::try_from(value.expose())
                    .map_err(|_| anyhow::anyhow!("header `{name}` has a value that is not valid in HTTP"))?;
                custom.insert(name, value);
            }
            let streamable = custom.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<HashMap<_, _>>();
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(streamable);
            match link.clone().serve(StreamableHttpClientTransport::from_config(config)).await {
                Ok(service) => service,
                // A server that answers Streamable HTTP's POST with an error
                // may speak the legacy transport at the same URL.
                Err(streamable) => match LegacySse::connect(url, custom).await {
                    Ok(legacy) => {
                        tracing::info!(server = spec.name, "speaks the legacy HTTP+SSE transport");
                        link.serve(legacy).await?
                    }
                    Err(legacy) => {
                        return Err(anyhow!("{streamable} (and as legacy HTTP+SSE: {legacy:#})"));
                    }
                },
            }
        }
    };
    Ok(Connection { service, _container: None })
}

/// A container's stdout, as bytes; its stderr is logged and kept for the
/// server's status as it arrives.
fn demultiplex(
    server: String,
    output: Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>,
    tail: Arc<StderrTail>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    output.filter_map(move |frame| {
        let kept = match frame {
            Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => Some(Ok(message)),
            Ok(LogOutput::StdErr { message }) => {
                for line in String::from_utf8_lossy(&message).lines().filter(|l| !l.trim().is_empty()) {
                    tracing::info!(server, "stderr: {line}");
                    tail.push(line);
                }
                None
            }
            Ok(LogOutput::StdIn { .. }) => None,
            Err(e) => Some(Err(std::io::Error::other(e))),
        };
        std::future::ready(kept)
    })
}

/// Logs each line the server writes to stderr, tagged with the server, and
/// keeps the last ones for its status.
async fn forward_stderr(server: String, stderr: tokio::process::ChildStderr, tail: Arc<StderrTail>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(server, "stderr: {line}");
        tail.push(&line);
    }
    tail.ended();
}
