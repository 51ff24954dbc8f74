//! `log`: plugin log records go to the host log and, when asked for, the
//! client, within the call's budget (see `plugins::notify`).

use crate::plugins::call::CallState;
use crate::plugins::notify::{LOG_RECORDS_PER_CALL, LogVerdict};
use crate::wit::log::{Host, Level};

impl Host for CallState {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let (level, message) = match self.notifications.log() {
            LogVerdict::Send => (level, message),
            LogVerdict::SendDropNote => (
                Level::Warning,
                format!("this call logged more than {LOG_RECORDS_PER_CALL} records; the rest are dropped"),
            ),
            LogVerdict::Drop => return Ok(()),
        };
        let plugin = &*self.caller.plugin;
        match level {
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info | Level::Notice => tracing::info!(plugin, "{message}"),
            Level::Warning => tracing::warn!(plugin, "{message}"),
            Level::Error => tracing::error!(plugin, "{message}"),
        }
        if let Some(client) = &self.caller.call.client {
            client.log(level, plugin.to_string(), message).await;
        }
        Ok(())
    }
}
