//! `[admin]`: who may use the admin API (named keys, like `http.api_keys`,
//! never the MCP credentials) and what it may do.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ConfigError, Environment};

/// The admin API's settings.
#[derive(Debug, Clone, Default)]
pub struct AdminConfig {
    /// Admin keys by name; an admin's principal is `admin:<name>`.
    pub keys: BTreeMap<String, String>,
    /// Whether servers that run a command on the host may be added through the API.
    pub allow_host_commands: bool,
}

/// `[admin]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdminFile {
    keys: Option<BTreeMap<String, String>>,
    allow_host_commands: Option<bool>,
}

/// The shortest admin key accepted.
const MIN_KEY_LEN: usize = 16;

impl AdminFile {
    /// Applies the section over `admin`, validating each key.
    pub(super) fn apply(self, admin: &mut AdminConfig) -> Result<(), ConfigError> {
        if let Some(keys) = self.keys {
            if let Some((name, _)) = keys.iter().find(|(_, key)| key.len() < MIN_KEY_LEN) {
                return Err(ConfigError(format!(
                    "`admin.keys.{name}` is too short: use at least {MIN_KEY_LEN} characters"
                )));
            }
            admin.keys = keys;
        }
        if let Some(allow) = self.allow_host_commands {
            admin.allow_host_commands = allow;
        }
        Ok(())
    }
}

impl AdminConfig {
    /// Applies `ADMIN_API_KEY` or `ADMIN_API_KEY_FILE` (as the key named `ADMIN_API_KEY`).
    pub(super) fn apply_env(&mut self, env: &dyn Environment) -> Result<(), ConfigError> {
        if let Some(key) = env.secret("ADMIN_API_KEY")? {
            if key.len() < MIN_KEY_LEN {
                return Err(ConfigError(format!("ADMIN_API_KEY is too short: use at least {MIN_KEY_LEN} characters")));
            }
            self.keys.insert("ADMIN_API_KEY".into(), key);
        }
        Ok(())
    }
}
