//! The sandbox plugin: code execution in Docker containers, with the tool
//! surface of docker-mcp (`check_engine`, `list_containers`,
//! `create_container`, `execute_code`, `execute_python_script`,
//! `add_dependencies`, `cleanup_container`) plus `write_file` and `read_file`.
//!
//! Everything runs on host imports: the `docker` primitives (which the host
//! scopes, validates and hardens) and the `dependencies` services (which the
//! host routes to the language pack that claims a language or package
//! manager, so the sandbox names no installer itself). The tools are plain
//! Rust over the [`host::Host`] trait and test natively; `component` binds
//! them to the `portcullis:plugin/tool-plugin` world when built for `wasm32`.

pub mod exec_output;
pub mod host;
pub mod languages;
pub mod schema;
pub mod tools;
pub mod workspace;

#[cfg(target_arch = "wasm32")]
mod component;
