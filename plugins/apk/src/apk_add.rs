//! apk: Alpine package-name grammar and the install command.

use plugin_kit::{ManagerSpec, NameCheck, check_pinned};

/// One step, `apk add --no-cache`: it fetches the package index itself for
/// this install (so no `apk update` step is needed) and keeps no index cache
/// in the image.
pub const APK: ManagerSpec = ManagerSpec {
    name: "apk",
    names: NameCheck { grammar_specials: "", grammar: package },
    prepare: &[],
    argv: &["apk", "add", "--no-cache"],
    index_option: Some("--repository"),
    env: &[],
};

/// Checks an Alpine package name, optionally pinned with `=version`
/// (`curl`, `py3-pip`, `libstdc++`, `curl=8.5.0-r0`).
fn package(spec: &str) -> Result<(), &'static str> {
    check_pinned(
        spec,
        (
            is_name,
            "be an Alpine package name of lower-case letters, digits, `.`, `_`, `+` and `-`, \
                    starting with a letter or digit",
        ),
        (is_version, "give an Alpine version after `=` such as `8.5.0-r0`"),
    )
}

/// An Alpine package name.
fn is_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._+-".contains(c))
}

/// An Alpine version (`1.2.3`, `1.2.3_rc1-r0`), starting with a digit.
fn is_version(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::assert_grammar_specials;

    fn rule(name: &str) -> String {
        APK.names.check(name).unwrap_err()
    }

    #[test]
    fn accepts_names_and_pinned_versions() {
        for spec in [
            "curl",
            "py3-pip",
            "libstdc++",
            "build-base",
            "g++",
            "font-noto_emoji",
            "curl=8.5.0-r0",
            "go=1.22.1_rc1-r0",
        ] {
            assert_eq!(APK.names.check(spec), Ok(()), "{spec}");
        }
    }

    #[test]
    fn leaves_only_its_own_specials_to_the_grammar() {
        assert_grammar_specials(&APK.names, "");
    }

    #[test]
    fn refuses_bad_names_and_versions() {
        assert!(rule("Curl").contains("Alpine package name"));
        assert!(rule("_x").contains("Alpine package name"));
        assert!(rule("curl@edge").contains("Alpine package name"));
        assert!(rule("curl=").contains("Alpine version"));
        assert!(rule("curl=r0").contains("Alpine version"));
        assert!(rule("curl=1=2").contains("Alpine version"));
    }
}
