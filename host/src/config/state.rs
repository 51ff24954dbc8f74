//! `state_dir` and `[activity]`: where the state database lives and what the
//! activity log keeps.

use serde::Deserialize;

use super::ConfigError;
use crate::state::ActivityConfig;

/// `[activity]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActivityFile {
    enabled: Option<bool>,
    record_arguments: Option<bool>,
    retain_days: Option<u32>,
    max_entries: Option<u64>,
}

impl ActivityFile {
    /// Applies the section over `activity`; zero retention is refused.
    pub(super) fn apply(self, activity: &mut ActivityConfig) -> Result<(), ConfigError> {
        if let Some(v) = self.enabled {
            activity.enabled = v;
        }
        if let Some(v) = self.record_arguments {
            activity.record_arguments = v;
        }
        if let Some(days) = self.retain_days {
            if days == 0 {
                return Err(ConfigError("`activity.retain_days` must be greater than zero".into()));
            }
            activity.retain_days = days;
        }
        if let Some(n) = self.max_entries {
            if n == 0 {
                return Err(ConfigError("`activity.max_entries` must be greater than zero".into()));
            }
            activity.max_entries = n;
        }
        Ok(())
    }
}
