//! `[tasks]`: tool calls that run as MCP tasks: how long their results are
//! kept, how many one principal may have running, and how long a call may
//! run in its request before it becomes one.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// What `[tasks]` resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct TasksConfig {
    /// How long a task is kept after it ended (`tasks.result_ttl_secs`,
    /// default an hour); a running task is never dropped.
    pub result_ttl: Duration,
    /// How many tasks one principal may have running or waiting for input
    /// at once (`tasks.max_running_per_principal`, default 16); a call that
    /// asks to run as a task beyond it runs in its request instead.
    pub max_running: usize,
    /// How long a call to a tool that supports tasks runs in its request
    /// before it becomes a task without asking (`tasks.detach_after_ms`,
    /// default 2 s), when the client speaks the tasks extension. Calls to
    /// upstream servers become tasks this way.
    pub detach_after: Duration,
}

impl Default for TasksConfig {
    fn default() -> Self {
        Self { result_ttl: Duration::from_secs(3600), max_running: 16, detach_after: Duration::from_secs(2) }
    }
}

/// `[tasks]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TasksFile {
    result_ttl_secs: Option<u64>,
    max_running_per_principal: Option<usize>,
    detach_after_ms: Option<u64>,
}

impl TasksFile {
    /// Applies the section over `tasks`; zero for any is refused.
    pub(super) fn apply(self, tasks: &mut TasksConfig) -> Result<(), ConfigError> {
        if let Some(secs) = self.result_ttl_secs {
            if secs == 0 {
                return Err(ConfigError("`tasks.result_ttl_secs` must be greater than zero".into()));
            }
            tasks.result_ttl = Duration::from_secs(secs);
        }
        if let Some(n) = self.max_running_per_principal {
            if n == 0 {
                return Err(ConfigError("`tasks.max_running_per_principal` must be greater than zero".into()));
            }
            tasks.max_running = n;
        }
        if let Some(ms) = self.detach_after_ms {
            if ms == 0 {
                return Err(ConfigError("`tasks.detach_after_ms` must be greater than zero".into()));
            }
            tasks.detach_after = Duration::from_millis(ms);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(toml: &str) -> Result<TasksConfig, ConfigError> {
        let file: TasksFile = toml::from_str(toml).map_err(|e| ConfigError(e.to_string()))?;
        let mut tasks = TasksConfig::default();
        file.apply(&mut tasks)?;
        Ok(tasks)
    }

    #[test]
    fn the_section_sets_both_keys_and_refuses_zero_and_unknown_keys() {
        assert_eq!(applied("").unwrap(), TasksConfig::default());
        let tasks = applied("result_ttl_secs = 60\nmax_running_per_principal = 2\ndetach_after_ms = 250").unwrap();
        let expected = TasksConfig {
            result_ttl: Duration::from_secs(60),
            max_running: 2,
            detach_after: Duration::from_millis(250),
        };
        assert_eq!(tasks, expected);
        assert!(applied("result_ttl_secs = 0").unwrap_err().0.contains("tasks.result_ttl_secs"));
        assert!(applied("max_running_per_principal = 0").unwrap_err().0.contains("max_running_per_principal"));
        assert!(applied("detach_after_ms = 0").unwrap_err().0.contains("tasks.detach_after_ms"));
        assert!(applied("ttl = 5").is_err());
    }
}
