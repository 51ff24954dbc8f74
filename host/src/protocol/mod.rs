//! The MCP surface over the plugin registry, with `rmcp`: one [`McpSession`]
//! per connection (stdio, legacy HTTP session, SSE) or per stateless request,
//! all sharing one [`McpState`].

// Logging, setLevel, subscribe and sampling are deprecated by 2026-07-28 (SEP-2577)
// but still part of the revisions this host serves.
#![allow(deprecated)]

mod activity;
mod changes;
mod client_link;
mod convert;
mod detached;
mod metrics;
mod request_state;
mod server;
mod sessions;
mod task_call;
mod tasks;
mod tool_call;

pub use activity::{CallOrigin, ResponseDeadline};
pub use client_link::CallStream;
pub use detached::Detached;
pub use metrics::{Metrics, ServerFigures};
pub use server::{McpSession, McpState};
pub use sessions::SessionInfo;
pub use tasks::{TaskDetail, TaskInfo};
