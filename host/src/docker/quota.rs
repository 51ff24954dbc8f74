//! The workspace quota (`docker.workspace_mib`): how much a session's
//! `/workspace` may hold.
//!
//! The engine's local volumes have no size limit, so the quota is measured
//! (`du` inside the container) rather than imposed by the filesystem: a
//! `write_file` that would exceed it is refused before anything is written,
//! and an exec is watched while it runs (every [`POLL`]) and once more when
//! it ends. An exec that takes the workspace past the quota is stopped, and
//! its result says so, naming the setting. The files stay: the caller
//! deletes what it no longer needs. Between two measurements an exec can
//! write what it manages in one [`POLL`], so the quota bounds the workspace
//! to roughly its size plus that.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::engine::Client;
use super::error::Error;
use super::exec;
use super::spec::WORKSPACE;

/// How often a running exec's workspace is measured.
pub(super) const POLL: Duration = Duration::from_secs(1);

/// The quota of one container's workspace, in bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Quota {
    pub(super) limit_bytes: u64,
}

impl Quota {
    /// Refuses a write of `len` bytes that would take `container`'s
    /// workspace past the quota.
    pub(super) async fn check_write(self, client: &Client, container: &str, len: usize) -> Result<(), Error> {
        let used = usage(client, container).await?;
        let after = used.saturating_add(u64::try_from(len).unwrap_or(u64::MAX));
        if after > self.limit_bytes {
            return Err(Error::Failed(format!(
                "writing {} would take /workspace to {}; {} Delete files first (execute_code `rm`), or ask the operator to raise it",
                mib(u64::try_from(len).unwrap_or(u64::MAX)),
                mib(after),
                self.limit_text()
            )));
        }
        Ok(())
    }

    /// Starts watching `container`'s workspace while an exec runs; the watch
    /// cancels `stop` (ending the exec) when the quota is exceeded.
    pub(super) fn watch(self, client: Client, container: String, stop: CancellationToken) -> Watch {
        let task = {
            let (client, container) = (client.clone(), container.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(POLL).await;
                    if let Ok(used) = usage(&client, &container).await
                        && used > self.limit_bytes
                    {
                        stop.cancel();
                        return used;
                    }
                }
            })
        };
        Watch { quota: self, task, client, container }
    }

    /// What the quota is and where it is set.
    fn limit_text(self) -> String {
        format!("the workspace may hold {} (`docker.workspace_mib`).", mib(self.limit_bytes))
    }
}

/// A running watch (see [`Quota::watch`]).
pub(super) struct Watch {
    quota: Quota,
    task: JoinHandle<u64>,
    client: Client,
    container: String,
}

impl Watch {
    /// Ends the watch after the exec ended; a note for the exec's result if
    /// the workspace is over the quota, saying whether the watch stopped it.
    pub(super) async fn finish(self) -> Option<String> {
        let (used, stopped) = if self.task.is_finished() {
            (self.task.await.ok()?, true)
        } else {
            self.task.abort();
            let used = usage(&self.client, &self.container).await.ok()?;
            (used, false)
        };
        if used <= self.quota.limit_bytes {
            return None;
        }
        let why = if stopped { "over its quota, so the command was stopped" } else { "over its quota" };
        let note = format!(
            "[portcullis] /workspace holds {}, {why}: {} Delete files to make room.",
            mib(used),
            self.quota.limit_text()
        );
        Some(note)
    }
}

/// How many bytes `container`'s `/workspace` holds (`du -skx`, in 1 KiB blocks).
pub(super) async fn usage(client: &Client, container: &str) -> Result<u64, Error> {
    let (_, out) = exec::helper(client, container, &["du", "-skx", WORKSPACE]).await?;
    let kib: u64 = out
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Error::Failed(format!("could not measure /workspace: `du` said {:?}", out.trim())))?;
    Ok(kib.saturating_mul(1024))
}

/// `bytes` in MiB, for messages.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}
