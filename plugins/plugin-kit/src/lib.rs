//! Shared plumbing for Portcullis language-pack plugins.
//!
//! A pack describes itself with a [`PackSpec`]: the language it runs (if
//! any), how to find that language's imports, and the package manager it
//! drives. This crate turns that description into the behaviour of the
//! `portcullis:plugin/packages` and `portcullis:plugin/tools` exports, in plain
//! Rust that tests natively; [`export_pack!`] binds it to the WIT world when
//! the pack is built for `wasm32`.
//!
//! The crate holds no bindings itself, so it builds and tests on any target.

mod args;
mod export;
mod fail;
mod packages;
mod spec;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod tool;
#[cfg(test)]
mod toy;
mod validate;

pub use fail::Fail;
pub use packages::Language;
pub use spec::{LanguageSpec, ManagerSpec, PackSpec, Plan};
pub use tool::{Annotations, ToolOutput, ToolSpec};
pub use validate::{NameCheck, check_pinned};
