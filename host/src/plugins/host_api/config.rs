//! `config`: the plugin's own settings from `portcullis.toml`.

use crate::plugins::bindings::config::Host;
use crate::plugins::call::CallState;

impl Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.policy.settings.get(&key).cloned())
    }
}
