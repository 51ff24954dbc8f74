//! Why a pack refuses a request: the subset of the WIT `failure` variant that
//! packs produce.

/// A refused request; [`export_pack!`](crate::export_pack) maps each variant to
/// the WIT `failure` case of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    /// The named tool does not exist.
    NotFound(String),
    /// The arguments do not match what the pack expects; the text says how.
    InvalidParams(String),
}
