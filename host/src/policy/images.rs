//! The image allowlist: `*` wildcard patterns matched against an image
//! reference as written and in its fully qualified form.

use plugin_kit::glob;

/// Whether `image` matches one of `patterns`; an empty list allows every image.
/// `python:3.12` is also tried as `docker.io/library/python:3.12`, so the
/// operator may write either form.
pub(super) fn allowed(patterns: &[String], image: &str) -> bool {
    if patterns.is_empty() {
        return true;
    }
    let qualified = qualify(image);
    patterns.iter().any(|p| glob(p, image) || glob(p, &qualified))
}

/// `image` with the registry, namespace and tag Docker assumes when they are
/// left out: `python` → `docker.io/library/python:latest`.
fn qualify(image: &str) -> String {
    let (first, rest) = image.split_once('/').unwrap_or(("", image));
    let has_registry = first.contains(['.', ':']) || first == "localhost";
    let mut qualified = match (has_registry, first.is_empty()) {
        (true, _) => image.to_string(),
        (false, true) => format!("docker.io/library/{rest}"),
        (false, false) => format!("docker.io/{image}"),
    };
    let last = qualified.rsplit('/').next().unwrap_or_default();
    if !last.contains([':', '@']) {
        qualified.push_str(":latest");
    }
    qualified
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_qualified_forms_both_match() {
        let patterns = vec!["docker.io/library/python:*".to_string()];
        assert!(allowed(&patterns, "python:3.12-slim"));
        assert!(allowed(&patterns, "python"));
        assert!(!allowed(&patterns, "evil/python:3"));
        assert!(allowed(&["ghcr.io/acme/*".to_string()], "ghcr.io/acme/tool:1"));
        assert!(allowed(&[], "whatever"));
        assert_eq!(qualify("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(qualify("user/app@sha256:abc"), "docker.io/user/app@sha256:abc");
    }
}
