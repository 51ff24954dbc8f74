//! `context`: what the host knows about the current call.

use crate::plugins::call::CallState;
use crate::wit::context::Host;

impl Host for CallState {
    async fn session_id(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.caller.call.session_id.clone())
    }

    async fn run_as_task(&mut self) -> wasmtime::Result<bool> {
        Ok(match &self.caller.call.client {
            Some(client) => client.run_as_task().await,
            None => false,
        })
    }
}
