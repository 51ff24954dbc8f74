//! Transports that carry MCP to clients. Each feeds the same
//! [`McpSession`](crate::protocol::McpSession) handler.

pub mod http;
pub mod stdio;
