//! `[chatgpt]`: what ChatGPT needs beyond MCP. `search_fetch = true` offers
//! the `search` and `fetch` tools that ChatGPT requires of a connector outside
//! Developer Mode (see `crate::chatgpt`); off by default.

use serde::Deserialize;

/// `[chatgpt]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChatGptFile {
    search_fetch: Option<bool>,
}

impl ChatGptFile {
    /// Whether `search` and `fetch` are offered, over `current`.
    pub(super) fn search_fetch(&self, current: bool) -> bool {
        self.search_fetch.unwrap_or(current)
    }
}
