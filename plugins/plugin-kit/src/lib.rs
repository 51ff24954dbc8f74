//! The kit every first-party Portcullis plugin is built on.
//!
//! - [`Fail`], [`Args`], [`Tool`], [`ToolSpec`] and [`Outcome`]: failures,
//!   tool arguments read against the tool's schema, tools, their descriptions
//!   and results.
//! - [`Mount`], [`Language`], [`InstallPlan`]: the WIT records plugins
//!   exchange with the host.
//! - [`PackSpec`]: a language pack described as data; its methods implement
//!   the `packages` and `tools` exports, and [`export_pack!`] binds them to
//!   the `language-pack` world.
//! - [`Verdict`], [`setting_name`], [`string_list`] and [`glob()`]: what policy
//!   plugins share (verdicts, settings, wildcard patterns).
//! - [`wit_types!`], [`wit_tools!`] and [`wit_policy!`]: the conversions to
//!   and from a plugin's generated WIT types.
//!
//! The crate holds no bindings itself, so it builds and tests natively on
//! any target; the `testing` feature adds assertions plugins share in tests.

mod args;
mod detect;
mod export;
mod fail;
mod glob;
mod packages;
mod policy;
mod spec;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod tool;
#[cfg(test)]
mod toy;
mod types;
mod validate;
mod wit;

pub use args::{Args, json_kind};
pub use fail::Fail;
pub use glob::{glob, glob_within};
pub use policy::{Denial, Verdict, setting_name, string_list};
pub use spec::{LanguageSpec, ManagerSpec, PackSpec};
pub use tool::{Annotations, Block, Outcome, TaskSupport, Tool, ToolSpec};
pub use types::{InstallPlan, InstallStep, Language, Mount};
pub use validate::{NameCheck, check_pinned};
