//! The paths policy: an example `portcullis:plugin/policy-plugin` that
//! judges host paths against an allowlist and a denylist from its settings.
//!
//! ```toml
//! [plugins.paths.settings]
//! allow = ["/home/me/projects"]      # unset: every path the denylist allows
//! deny = ["/home/me/projects/.env"]
//! ```
//!
//! A path is denied if it lies under a denied prefix or contains one;
//! otherwise it is allowed when `allow` is unset or it lies under an allowed
//! prefix. Prefixes match whole components (`/data2` is not under `/data`)
//! and case-sensitively. A setting that does not parse denies every path,
//! naming the setting. The operator's own configuration applies as well:
//! this policy can only narrow what it allows.

pub mod prefix;
pub mod rules;
pub mod settings;

#[cfg(target_arch = "wasm32")]
mod component;
