//! apt-get: Debian package-name grammar and the install command.

use plugin_kit::{ManagerSpec, NameCheck, check_pinned};

/// Two steps, both non-interactive: `apt-get update` fetches the package
/// lists (slim images ship without them), then `apt-get install` installs
/// without recommended packages.
///
/// Both run with `APT::Sandbox::User=root`: Portcullis containers drop every
/// capability, so apt cannot switch to its `_apt` download user (its HTTP
/// method dies with "Method http has died unexpectedly"). Downloads then run
/// as the container's root, which holds no capabilities either.
pub const APT: ManagerSpec = ManagerSpec {
    name: "apt",
    names: NameCheck { grammar_specials: "~", grammar: package },
    prepare: &[&["apt-get", "-o", "APT::Sandbox::User=root", "update"]],
    argv: &["apt-get", "-o", "APT::Sandbox::User=root", "install", "-y", "--no-install-recommends"],
    index_option: None,
    env: &[("DEBIAN_FRONTEND", "noninteractive")],
};

/// Checks a Debian package name (`[a-z0-9][a-z0-9+.-]+`), optionally pinned
/// to a version with `=` (`curl`, `libssl-dev`, `g++`,
/// `openssl=3.0.11-1~deb12u2`, `vim=2:9.0.1378-2`).
fn package(spec: &str) -> Result<(), &'static str> {
    check_pinned(
        spec,
        (
            is_name,
            "be a Debian package name: at least two characters of lower-case letters, digits, \
                    `+`, `-` and `.`, starting with a letter or digit",
        ),
        (is_version, "give a Debian version after `=` such as `1.2.3-1` or `2:9.0-1~deb12u1`"),
    )
}

/// A Debian package name, per Debian Policy §5.6.7.
fn is_name(name: &str) -> bool {
    name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c))
}

/// A Debian version, per Debian Policy §5.6.12: `[epoch:]upstream[-revision]`,
/// upstream starting with a digit.
fn is_version(version: &str) -> bool {
    let upstream = match version.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.chars().all(|c| c.is_ascii_digit()) => rest,
        Some(_) => return false,
        None => version,
    };
    upstream.starts_with(|c: char| c.is_ascii_digit())
        && upstream.chars().all(|c| c.is_ascii_alphanumeric() || ".+~-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::assert_grammar_specials;

    fn rule(name: &str) -> String {
        APT.names.check(name).unwrap_err()
    }

    #[test]
    fn accepts_names_and_pinned_versions() {
        for spec in [
            "curl",
            "libssl-dev",
            "g++",
            "python3.11",
            "lib32z1",
            "0ad",
            "openssl=3.0.11-1~deb12u2",
            "vim=2:9.0.1378-2",
            "tzdata=2024a-0+deb12u1",
        ] {
            assert_eq!(APT.names.check(spec), Ok(()), "{spec}");
        }
    }

    #[test]
    fn leaves_only_its_own_specials_to_the_grammar() {
        assert_grammar_specials(&APT.names, "~");
    }

    #[test]
    fn refuses_bad_names_and_versions() {
        assert!(rule("Curl").contains("Debian package name"));
        assert!(rule("a").contains("Debian package name"));
        assert!(rule("+x").contains("Debian package name"));
        assert!(rule("lib_x").contains("Debian package name"));
        assert!(rule("libc6:amd64").contains("Debian package name"));
        assert!(rule("curl~1").contains("Debian package name"), "`~` only in versions");
        assert!(rule("curl=").contains("Debian version"));
        assert!(rule("curl=abc").contains("Debian version"));
        assert!(rule("curl=x:1.0").contains("Debian version"));
        assert!(rule("curl=1.0=2").contains("Debian version"));
    }
}
