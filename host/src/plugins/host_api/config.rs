//! `config`: the plugin's own settings from `portcullis.toml`.

use crate::wit::config::Host;
use crate::plugins::call::CallState;

impl Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.caller.policy.settings.get(&key).cloned())
    }
}
