//! Starting a connection to an upstream server: a child process on the
//! host (its own process group, killed whole when the connection is
//! dropped; its environment only what the entry lists, plus PATH and HOME;
//! its stderr to the host log and the server's status), or a remote URL over
//! Streamable HTTP.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, Result};
use process_wrap::tokio::{CommandWrap, KillOnDrop, ProcessGroup};
use rmcp::ServiceExt;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::config::{Launch, ServerSpec};
use super::link::Link;
use super::server::StderrTail;

/// Connects to `spec`'s server and completes `initialize`, with `link`
/// handling what the server sends.
pub(super) async fn connect(
    spec: &ServerSpec,
    link: Link,
    stderr: Arc<StderrTail>,
) -> Result<RunningService<RoleClient, Link>> {
    match &spec.launch {
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
                tokio::spawn(forward_stderr(spec.name.clone(), child_stderr, stderr));
            }
            Ok(link.serve(transport).await?)
        }
        Launch::Url { url, headers } => {
            let mut custom = HashMap::new();
            for (name, value) in headers {
                let name = http::HeaderName::try_from(name.as_str()).with_context(|| format!("header `{name}`"))?;
                let value = http::HeaderValue::try_from(value.expose())
                    .map_err(|_| anyhow::anyhow!("header `{name}` has a value that is not valid in HTTP"))?;
                custom.insert(name, value);
            }
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(custom);
            Ok(link.serve(StreamableHttpClientTransport::from_config(config)).await?)
        }
    }
}

/// Logs each line the server writes to stderr, tagged with the server, and
/// keeps the last ones for its status.
async fn forward_stderr(server: String, stderr: tokio::process::ChildStderr, tail: Arc<StderrTail>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(server, "stderr: {line}");
        tail.push(&line);
    }
}
