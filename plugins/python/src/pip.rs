//! pip: requirement grammar and the install command.

use plugin_kit::{ManagerSpec, NameCheck};

/// pip, run as `python3 -m pip` so it installs for the interpreter that runs
/// the code; non-interactive and quiet about versions and root.
pub const PIP: ManagerSpec = ManagerSpec {
    name: "pip",
    names: NameCheck { grammar_specials: "[]<>!~*", grammar: requirement },
    prepare: &[],
    argv: &[
        "python3",
        "-m",
        "pip",
        "install",
        "--no-input",
        "--disable-pip-version-check",
        "--root-user-action=ignore",
    ],
    index_option: Some("--index-url"),
    env: &[],
};

/// Version comparison operators, longest first so prefixes match last.
const OPERATORS: &[&str] = &["===", "==", "!=", "~=", ">=", "<=", ">", "<"];

/// Checks a PEP 508 requirement without URLs, markers or spaces:
/// `name`, `name[extra,…]`, then optional comma-separated specifiers such as
/// `==1.26.0`, `>=2,<3`, `~=1.4` or `==1.*`.
fn requirement(text: &str) -> Result<(), &'static str> {
    let name_end = text.find(['[', '<', '>', '=', '!', '~', ',']).unwrap_or(text.len());
    if !is_name(&text[..name_end]) {
        return Err("start with a project name of letters, digits, `.`, `_` and `-`, \
                    beginning and ending with a letter or digit");
    }
    let mut rest = &text[name_end..];
    if let Some(extras) = rest.strip_prefix('[') {
        let Some(close) = extras.find(']') else {
            return Err("close its `[extras]` with `]`");
        };
        if !extras[..close].split(',').all(is_name) {
            return Err("list extras as comma-separated names inside `[…]`");
        }
        rest = &extras[close + 1..];
    }
    if rest.is_empty() {
        return Ok(());
    }
    if rest.split(',').all(is_specifier) {
        Ok(())
    } else {
        Err("follow the name with version specifiers like `==1.0`, `>=2,<3` or `~=1.4`")
    }
}

/// A project or extra name: ASCII letters, digits, `.`, `_`, `-`, starting
/// and ending with a letter or digit.
fn is_name(name: &str) -> bool {
    let alnum_ends =
        name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    alnum_ends && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// One specifier: an operator and a version (`==` and `!=` may end it in `.*`).
fn is_specifier(spec: &str) -> bool {
    let Some(op) = OPERATORS.iter().find(|op| spec.starts_with(*op)) else {
        return false;
    };
    let version = &spec[op.len()..];
    let version = match version.strip_suffix(".*") {
        Some(prefix) if matches!(*op, "==" | "!=") => prefix,
        _ => version,
    };
    version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::assert_grammar_specials;

    fn rule(name: &str) -> String {
        PIP.names.check(name).unwrap_err()
    }

    #[test]
    fn accepts_names_versions_and_extras() {
        for name in [
            "requests",
            "numpy==1.26.0",
            "pandas>=2",
            "pkg[extra]",
            "pkg[a,b-c]>=1.0,<2",
            "Django~=4.2",
            "zope.interface",
            "typing_extensions!=4.0.0",
            "torch==2.1.0+cpu",
            "foo==1.*",
            "foo===1.0",
            "x",
            "discord.py",
            "python-Levenshtein",
        ] {
            assert_eq!(PIP.names.check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn leaves_only_its_own_specials_to_the_grammar() {
        assert_grammar_specials(&PIP.names, "[]<>!~*");
    }

    #[test]
    fn refuses_direct_url_references() {
        assert!(rule("pkg @ https://x/y.whl").contains("whitespace"));
        assert!(rule("pkg@https:x").contains("project name"));
    }

    #[test]
    fn metacharacters_are_only_allowed_where_the_grammar_uses_them() {
        assert!(rule("a!b").contains("version specifiers"));
        assert!(rule("a~b").contains("version specifiers"));
        assert!(rule("a==1*").contains("version specifiers"));
        assert!(rule(">=1").contains("project name"));
        assert!(rule("a]").contains("project name"));
        assert!(rule("a[b").contains("close"));
        assert!(rule("a[]").contains("extras"));
        assert!(rule("a>=1.*").contains("version specifiers"));
        assert!(rule("a==").contains("version specifiers"));
        assert!(rule("a==1,").contains("version specifiers"));
    }

    #[test]
    fn refuses_bad_project_names() {
        assert!(rule("_private").contains("project name"));
        assert!(rule("trailing.").contains("project name"));
        assert!(rule("naïve").contains("project name"));
    }
}
