//! `progress`: progress of the current call, forwarded to the client at most
//! once per `plugins::notify::PROGRESS_INTERVAL` (completion always).

use std::time::Instant;

use crate::plugins::call::CallState;
use crate::wit::progress::Host;

impl Host for CallState {
    async fn report(&mut self, progress: f64, total: Option<f64>, message: Option<String>) -> wasmtime::Result<()> {
        if !self.notifications.progress(Instant::now(), progress, total) {
            return Ok(());
        }
        if let Some(client) = &self.caller.call.client {
            client.progress(progress, total, message).await;
        }
        Ok(())
    }
}
