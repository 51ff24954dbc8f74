//! Host paths as components, and the component-wise "is under" relation:
//! `/data/x` is under `/data`, `/data2` is not.

/// An absolute, resolved host path split into its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPath {
    parts: Vec<String>,
}

impl HostPath {
    /// Splits `path` into components, dropping empty and `.` ones. Refuses,
    /// with the rule it breaks, a path that is not absolute, holds NUL, or
    /// holds `..` (it would not be resolved, so no prefix could judge it).
    pub fn parse(path: &str) -> Result<Self, &'static str> {
        if !path.starts_with('/') {
            return Err("is not absolute");
        }
        if path.contains('\0') {
            return Err("contains NUL");
        }
        let mut parts = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err("contains `..` (it must be resolved first)"),
                part => parts.push(part.to_string()),
            }
        }
        Ok(HostPath { parts })
    }

    /// Whether this path is `other` or lies inside it. Components compare
    /// exactly (case-sensitively); `/` is above every path.
    pub fn is_under(&self, other: &HostPath) -> bool {
        self.parts.starts_with(&other.parts)
    }
}

impl std::fmt::Display for HostPath {
    /// The normalised path: `/` and the components joined by `/`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}", self.parts.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> HostPath {
        HostPath::parse(p).unwrap()
    }

    #[test]
    fn under_is_component_wise_not_a_string_prefix() {
        assert!(path("/data/x").is_under(&path("/data")));
        assert!(path("/data").is_under(&path("/data")));
        assert!(!path("/data2").is_under(&path("/data")));
        assert!(!path("/data2/x").is_under(&path("/data")));
        assert!(!path("/dat").is_under(&path("/data")));
        assert!(!path("/data").is_under(&path("/data/x")));
    }

    #[test]
    fn root_is_above_everything() {
        assert!(path("/").is_under(&path("/")));
        assert!(path("/etc/passwd").is_under(&path("/")));
        assert!(!path("/").is_under(&path("/etc")));
    }

    #[test]
    fn trailing_repeated_slashes_and_dots_do_not_matter() {
        assert!(path("/data//x/./").is_under(&path("/data/")));
        assert_eq!(path("//data/./x/").to_string(), "/data/x");
        assert_eq!(path("/").to_string(), "/");
    }

    #[test]
    fn comparison_is_case_sensitive() {
        assert!(!path("/Data/x").is_under(&path("/data")));
    }

    #[test]
    fn refuses_relative_unresolved_and_nul_paths() {
        assert_eq!(HostPath::parse("data/x"), Err("is not absolute"));
        assert_eq!(HostPath::parse(""), Err("is not absolute"));
        assert_eq!(HostPath::parse("/data/../etc"), Err("contains `..` (it must be resolved first)"));
        assert_eq!(HostPath::parse("/a\0b"), Err("contains NUL"));
        assert!(HostPath::parse("/a/..b/c").is_ok(), "`..b` is an ordinary name");
    }
}
