//! Plugins: the wasmtime runtime, loading and hot reload, the registry of what
//! plugins offer, per-call limits, and the host side of the plugin imports.

mod call;
mod compile_cache;
mod exports;
mod host_api;
mod kept;
mod limits;
mod loader;
mod notify;
mod plugin;
mod runtime;
mod watch;

pub use call::CallState;
pub use compile_cache::{CacheOutcome, CompileCache, ComponentBytes};
pub use host_api::HostServices;
pub use loader::{BUNDLED, BundledPlugin, Loader, wasm_files};
pub use plugin::{Catalog, Plugin, PluginFault, PluginSource};
pub use runtime::PluginRuntime;
pub use watch::{watch, watch_lock};
