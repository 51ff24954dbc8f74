//! Portcullis: an extensible Model Context Protocol host.
//!
//! A `tools/call` arrives on a [`transports`] endpoint, is turned into a plugin
//! call by [`protocol`], is routed by the [`plugins`] registry to the plugin
//! that offers the tool, and runs in a fresh wasmtime store under that
//! plugin's limits. Plugins reach the world only through host imports, such as
//! the [`docker`] primitives, which [`policy`] guards.

pub mod app;
pub mod config;
pub mod docker;
pub mod plugins;
pub mod policy;
pub mod protocol;
pub mod transports;
