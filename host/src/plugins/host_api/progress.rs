//! `progress`: progress of the current call, forwarded to the client.

use crate::plugins::call::CallState;
use crate::wit::progress::Host;

impl Host for CallState {
    async fn report(&mut self, progress: f64, total: Option<f64>, message: Option<String>) -> wasmtime::Result<()> {
        if let Some(client) = &self.caller.call.client {
            client.progress(progress, total, message).await;
        }
        Ok(())
    }
}
