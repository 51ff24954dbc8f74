//! npm: package-spec grammar and the install command.

use plugin_kit::{ManagerSpec, NameCheck};

/// `npm install`, without the audit and funding chatter.
pub const NPM: ManagerSpec = ManagerSpec {
    name: "npm",
    names: NameCheck { grammar_specials: "/~", grammar: package_spec },
    prepare: &[],
    argv: &["npm", "install", "--no-audit", "--no-fund"],
    index_option: Some("--registry"),
    env: &[],
};

/// The longest package name npm accepts, scope included.
const MAX_NAME: usize = 214;

/// Checks `name` or `@scope/name`, optionally followed by `@version`, where
/// the version is an exact version, a dist-tag, or a `^`/`~` range
/// (`lodash`, `@types/node@20`, `react@^18.2.0`, `next@latest`). Git, URL,
/// file and alias specs are refused.
fn package_spec(spec: &str) -> Result<(), &'static str> {
    // A leading `@` opens a scope; a later one starts the version.
    let (name, version) = match spec.get(1..).and_then(|rest| rest.rfind('@')) {
        Some(at) => (&spec[..at + 1], Some(&spec[at + 2..])),
        None => (spec, None),
    };
    if !is_package_name(name) {
        return Err("be an npm package name, `name` or `@scope/name`, of letters, digits, `.`, `_` and `-` \
                    starting with a letter or digit");
    }
    match version {
        Some(version) if !is_version(version) => {
            Err("give a version after `@` such as `1.2.3`, `^4.17`, `~1.0` or `latest`")
        }
        _ => Ok(()),
    }
}

/// An npm package name: `part` or `@part/part`, at most 214 characters.
/// Upper case is allowed because old packages (`JSONStream`) use it.
fn is_package_name(name: &str) -> bool {
    let parts: Vec<&str> = match name.strip_prefix('@') {
        Some(scoped) => scoped.split('/').collect(),
        None => vec![name],
    };
    let expected = if name.starts_with('@') { 2 } else { 1 };
    name.len() <= MAX_NAME && parts.len() == expected && parts.iter().all(|p| is_part(p))
}

/// One part of a name: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
fn is_part(part: &str) -> bool {
    part.starts_with(|c: char| c.is_ascii_alphanumeric())
        && part.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// A version, dist-tag or `^`/`~` range.
fn is_version(version: &str) -> bool {
    let bare = version.strip_prefix(['^', '~']).unwrap_or(version);
    bare.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bare.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::assert_grammar_specials;

    fn rule(name: &str) -> String {
        NPM.names.check(name).unwrap_err()
    }

    #[test]
    fn accepts_names_scopes_and_versions() {
        for spec in [
            "lodash",
            "@scope/pkg",
            "@types/node@20",
            "react@^18.2.0",
            "express@~4.18",
            "next@latest",
            "typescript@5.4.0-beta",
            "JSONStream",
            "lodash.merge",
            "a",
        ] {
            assert_eq!(NPM.names.check(spec), Ok(()), "{spec}");
        }
    }

    #[test]
    fn leaves_only_its_own_specials_to_the_grammar() {
        assert_grammar_specials(&NPM.names, "/~");
    }

    #[test]
    fn refuses_paths_urls_git_and_aliases() {
        for spec in [
            "./local",
            "../x",
            "/abs",
            "a/b",
            "@scope/a/b",
            "git+https://x",
            "github:u/r",
            "x@npm:y",
            "file:x",
            "@scope",
            "@/x",
        ] {
            assert!(NPM.names.check(spec).is_err(), "{spec}");
        }
        assert!(rule("../x").contains("npm package name"));
    }

    #[test]
    fn tilde_only_starts_a_version() {
        assert!(rule("a~b").contains("npm package name"));
        assert!(rule("a@1~2").contains("version"));
        assert!(rule("a@").contains("version"));
        assert!(rule("a@^").contains("version"));
    }

    #[test]
    fn refuses_bad_names() {
        assert!(rule("_private").contains("npm package name"));
        assert!(rule(".hidden").contains("npm package name"));
        assert!(rule(&"a".repeat(215)).contains("npm package name"));
        assert!(rule("é@1").contains("npm package name"));
        assert_eq!(NPM.names.check(&"a".repeat(214)), Ok(()));
    }
}
