//! From module specifier to npm package name.

use crate::builtins::is_builtin;

/// The npm package that `specifier` loads from `node_modules`, or `None` for
/// relative and absolute paths (`./x`, `../x`, `/x`), package-internal
/// imports (`#x`), anything with a scheme (`node:fs`, `https://…`) and
/// built-in modules. Scoped packages keep their scope (`@scope/pkg/sub` →
/// `@scope/pkg`); other subpaths are dropped (`lodash/fp` → `lodash`).
pub fn package_of(specifier: &str) -> Option<&str> {
    if specifier.starts_with(['.', '/', '#']) || specifier.contains(':') || is_builtin(specifier) {
        return None;
    }
    let segments = if specifier.starts_with('@') { 2 } else { 1 };
    let end = specifier.match_indices('/').nth(segments - 1).map_or(specifier.len(), |(i, _)| i);
    let package = &specifier[..end];
    let parts: Vec<&str> = package.strip_prefix('@').unwrap_or(package).split('/').collect();
    let complete = parts.len() == segments && parts.iter().all(|part| !part.is_empty());
    complete.then_some(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_and_subpaths() {
        assert_eq!(package_of("lodash"), Some("lodash"));
        assert_eq!(package_of("lodash/fp"), Some("lodash"));
        assert_eq!(package_of("date-fns/locale/en-US"), Some("date-fns"));
    }

    #[test]
    fn scoped_packages_keep_their_scope() {
        assert_eq!(package_of("@scope/pkg"), Some("@scope/pkg"));
        assert_eq!(package_of("@scope/pkg/sub/path"), Some("@scope/pkg"));
        assert_eq!(package_of("@babel/core"), Some("@babel/core"));
    }

    #[test]
    fn incomplete_scoped_names_are_none() {
        assert_eq!(package_of("@scope"), None);
        assert_eq!(package_of("@scope/"), None);
        assert_eq!(package_of("@/components/x"), None, "a bundler alias, not a scope");
    }

    #[test]
    fn paths_and_internal_imports_are_none() {
        for specifier in ["./x", "../x", ".", "..", "/abs/x", "#internal", ""] {
            assert_eq!(package_of(specifier), None, "{specifier}");
        }
    }

    #[test]
    fn schemes_and_built_ins_are_none() {
        for specifier in [
            "node:fs",
            "node:test",
            "node:fs/promises",
            "https://esm.sh/x",
            "file:///a.js",
            "fs",
            "fs/promises",
            "child_process",
        ] {
            assert_eq!(package_of(specifier), None, "{specifier}");
        }
    }

    #[test]
    fn lookalikes_of_built_ins_are_packages() {
        assert_eq!(package_of("buffer/"), Some("buffer"));
        assert_eq!(package_of("fs-extra"), Some("fs-extra"));
    }
}
