//! The docker plugin: management of the whole Docker engine, over the host's
//! `docker-engine` import.
//!
//! - Tools ([`tools`]), all prefixed `docker_`: reading ones (list, inspect,
//!   logs, stats, disk usage, events), listed when the plugin holds the
//!   `docker-read` grant, and changing ones (start, stop, restart, pause,
//!   unpause and remove containers; pull, remove and prune images; create
//!   and remove volumes and networks), listed with `docker-manage`.
//! - Resource templates ([`resources`]): a container's logs and description.
//! - A prompt ([`prompts`]) that diagnoses a failing container.
//! - Completions ([`completions`]) of container names for both.
//!
//! The host enforces the grants and the operator's scope, and may ask the
//! user to confirm destructive calls; its failures reach the client as it
//! worded them. Everything here is plain Rust over the [`host::Host`]
//! trait; `component` binds it to the `portcullis:plugin/server-plugin`
//! world when built for `wasm32`.

pub mod completions;
pub mod format;
pub mod host;
pub mod params;
pub mod prompts;
pub mod resources;
pub mod tools;

#[cfg(target_arch = "wasm32")]
mod component;
