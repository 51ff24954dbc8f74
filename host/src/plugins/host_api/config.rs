//! `config`: the plugin's own settings from `portcullis.toml`.

use crate::plugins::call::CallState;
use crate::wit::config::Host;

impl Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.caller.policy.settings.get(&key).cloned())
    }
}
