//! MCP over stdin/stdout: one session for the life of the connection. Only
//! JSON-RPC is written to stdout; logs go to stderr.

mod wire;

use std::sync::Arc;

use anyhow::Result;
use rmcp::service::{ServerInitializeError, serve_server_with_ct};
use tokio_util::sync::CancellationToken;

use crate::protocol::{McpSession, McpState};

/// Serves one client on stdin/stdout until it disconnects or `shutdown` fires.
/// A client that closes stdin before saying anything, or a shutdown before
/// it does, is a clean end.
pub async fn serve(state: Arc<McpState>, shutdown: CancellationToken) -> Result<()> {
    let session = McpSession::new(state);
    tracing::info!(session = session.session_id(), "serving MCP on stdio");
    let running = match serve_server_with_ct(session, stdio_wire(), shutdown).await {
        Ok(running) => running,
        Err(ServerInitializeError::ConnectionClosed(_) | ServerInitializeError::Cancelled) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let reason = running.waiting().await?;
    tracing::info!(?reason, "stdio client disconnected");
    Ok(())
}

/// Whether stdin is the null device, as in a container started without `-i`:
/// no client can ever write to it.
pub fn stdin_is_dev_null() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let stdin = match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => std::fs::File::from(fd),
        Err(_) => return false,
    };
    match (stdin.metadata(), std::fs::metadata("/dev/null")) {
        (Ok(stdin), Ok(null)) => stdin.file_type().is_char_device() && stdin.rdev() == null.rdev(),
        _ => false,
    }
}

/// The stdio pipes as a JSON-RPC transport.
fn stdio_wire() -> wire::Wire<rmcp::transport::StdioReader, rmcp::transport::StdioWriter> {
    let (read, write) = rmcp::transport::stdio_pipes();
    wire::Wire::new(read, write)
}
