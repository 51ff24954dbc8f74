//! Host bindings generated from `wit/` (world `portcullis:plugin/full`).
//!
//! The host binds against the world with every export, then loads only the
//! exports each component actually has (see [`super::plugin::Exports`]).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "portcullis:plugin/full",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use exports::portcullis::plugin::{completions, packages, policy, prompts, resources, tools};
pub use portcullis::plugin::{client, config, dependencies, docker, events, log, progress, types};

impl types::Failure {
    /// The failure's text, without its kind.
    pub fn message(&self) -> &str {
        match self {
            types::Failure::NotFound(m) | types::Failure::InvalidParams(m) | types::Failure::Denied(m) | types::Failure::Failed(m) => m,
        }
    }
}
