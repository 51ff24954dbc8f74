//! Transports that carry MCP to clients. Each feeds the same
//! [`McpSession`](crate::protocol::McpSession) handler; HTTP also serves the
//! tools over plain REST, through the same call path
//! ([`McpState::call_tool`](crate::protocol::McpState::call_tool)).

pub mod http;
pub mod stdio;
