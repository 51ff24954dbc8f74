//! Portcullis: an extensible Model Context Protocol host.
//!
//! A `tools/call` arrives on a [`transports`] endpoint, is turned into a plugin
//! call by [`protocol`], is routed by the [`plugins`] registry to the plugin
//! that offers the tool, and runs in a fresh wasmtime store under that
//! plugin's limits. Plugins reach the world only through host imports, such as
//! the [`docker`] capability, which checks grants and consults the [`policy`]
//! chain before it acts.
//!
//! # Layers
//!
//! Each layer imports only the layers below it:
//!
//! ```text
//! cli                     the operator's commands, a client of the admin API over HTTP
//! app                     the composition root: builds and wires everything
//! transports, admin       stdio, Streamable HTTP, legacy SSE, tools over REST; the admin REST API
//! auth                    credentials shared by the planes (named keys)
//! protocol                the MCP surface over the registry (one McpSession)
//! chatgpt                 the host's own `search` and `fetch` over the resources
//! plugins                 runtime, loading, limits, hot reload, registry, imports
//! oci                     plugins from OCI registries: layout, signatures, trust,
//!                         the lock file and the verified store
//! config                  portcullis.toml and the environment, gathering each
//!                         capability's own settings (docker::DockerConfig)
//! state                   the state database (servers, disabled plugins, the
//!                         activity log) behind a small Store interface
//! docker                  a capability: its import's host side, grant checks, the service
//! policy                  the chain of operator rules and policy plugins
//! caller, wit             who is calling and what they may do; the contract's bindings
//! ```
//!
//! One recursion is essential and documented where it happens: a capability's
//! policy check may ask a policy plugin, so `policy` defines
//! [`policy::PolicyPlugins`] and `plugins` implements it.

pub mod admin;
pub mod app;
pub mod auth;
pub mod caller;
pub mod chatgpt;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod docker;
pub mod oauth;
pub mod oci;
pub mod plugins;
pub mod policy;
pub mod protocol;
pub mod providers;
pub mod state;
pub mod transports;
pub mod upstreams;
pub mod wit;

/// Makes ring the process's TLS crypto provider, once. The HTTP clients of
/// rmcp (towards upstream servers) and of oci-client are built on a reqwest
/// without a provider of its own; the host's TLS everywhere else is ring.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Someone else may have installed one first; theirs stays.
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    });
}
