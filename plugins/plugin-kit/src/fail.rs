//! Why a request fails: the plain-Rust mirror of the WIT `failure` variant.

/// A failed request. [`wit_types!`](crate::wit_types) converts it to and from
/// the WIT `failure` case of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    /// The named tool, container or object does not exist.
    NotFound(String),
    /// The arguments are wrong; the text says which and how.
    InvalidParams(String),
    /// The operator has not granted what the call needs; the text names the grant.
    Denied(String),
    /// The callee ran and failed; the text says why.
    Failed(String),
}

impl Fail {
    /// The failure's text.
    pub fn message(&self) -> &str {
        match self {
            Fail::NotFound(m) | Fail::InvalidParams(m) | Fail::Denied(m) | Fail::Failed(m) => m,
        }
    }

    /// The same kind of failure with `doing` (what was being attempted) put
    /// before its text, so a host error says which step it stopped.
    pub fn context(self, doing: &str) -> Fail {
        let wrap = |m: String| format!("{doing}: {m}");
        match self {
            Fail::NotFound(m) => Fail::NotFound(wrap(m)),
            Fail::InvalidParams(m) => Fail::InvalidParams(wrap(m)),
            Fail::Denied(m) => Fail::Denied(wrap(m)),
            Fail::Failed(m) => Fail::Failed(wrap(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_kind_and_prefixes_the_text() {
        let fail = Fail::Denied("lacks the `install-network` grant".into()).context("installing numpy with pip");
        assert_eq!(fail, Fail::Denied("installing numpy with pip: lacks the `install-network` grant".into()));
        assert_eq!(Fail::NotFound("x".into()).context("a").message(), "a: x");
    }
}
