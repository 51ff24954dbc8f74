//! The per-call store state: the WASI context (empty), the memory limiter,
//! who is calling, and the host services the imports use.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::host_api::HostServices;
use super::limits::MemoryLimiter;
use super::notify::NotificationBudget;
use crate::caller::Caller;

/// The data of a call's store. One per call, dropped when the call ends.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    /// The plugin being called, its policy and the call's context.
    pub(crate) caller: Caller,
    /// The host services the imports use.
    pub(crate) services: Arc<HostServices>,
    /// What this call has logged and reported so far.
    pub(crate) notifications: NotificationBudget,
    /// Whether this call reads the plugin's catalog (`list-tools` and the
    /// like), where saying the catalog changed is refused.
    pub(crate) reading_catalog: bool,
}

impl CallState {
    /// Fresh state for one call: no environment, no files, no network, no stdio.
    pub fn new(caller: Caller, limiter: MemoryLimiter, services: Arc<HostServices>) -> Self {
        Self {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limiter,
            caller,
            services,
            notifications: NotificationBudget::default(),
            reading_catalog: false,
        }
    }
}

impl CallState {
    /// Readies a kept store for its next call: that call's caller, and a
    /// fresh notification budget.
    pub fn begin_call(&mut self, caller: Caller) {
        self.caller = caller;
        self.notifications = NotificationBudget::default();
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
