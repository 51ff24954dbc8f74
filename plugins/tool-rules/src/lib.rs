//! The tool-rules policy: a `portcullis:plugin/policy-plugin` that judges
//! every tool call before it runs, by the tool's provider and name and by
//! what its arguments contain.
//!
//! ```toml
//! [plugins.tool-rules.settings]
//! allow = ["git/*", "sandbox/*"]          # unset: every tool `deny` does not deny
//! deny = ["*/delete_*", "git/push"]
//! deny_arguments = ["AKIA*", "-----BEGIN"]
//! ```
//!
//! `allow` and `deny` are `*` patterns over `<provider>/<tool>` (the plugin or
//! upstream server, and the tool's own name). `deny` wins; with `allow` set,
//! a call matching none of its patterns is denied. A `deny_arguments` pattern
//! found in any string value of the arguments, at any depth, denies the call.
//! A setting that does not parse denies every call, naming the setting. Host
//! paths and containers are not this policy's concern.

pub mod rules;
pub mod settings;

#[cfg(target_arch = "wasm32")]
mod component;
