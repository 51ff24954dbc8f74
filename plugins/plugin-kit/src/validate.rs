//! Package-name and argument checks shared by every manager.
//!
//! A name is checked in two stages: rules common to all managers (not empty,
//! no leading `-`, no whitespace or control characters, no shell
//! metacharacters or `/` unless the manager's grammar uses them), then the
//! manager's own grammar. Either stage names the rule that failed.

use crate::fail::Fail;

/// Characters a shell would interpret. Install plans never pass through a
/// shell, but a name containing one is refused anyway unless the manager's
/// grammar needs that character (pip's `pkg[extra]>=1`, say).
pub const SHELL_METACHARACTERS: &str = ";|&$`()<>\\\"'*?{}[]!#~";

/// How one manager's package names are checked.
#[derive(Debug, Clone, Copy)]
pub struct NameCheck {
    /// Characters from [`SHELL_METACHARACTERS`] and `/` that the grammar uses;
    /// every other one is refused by the common rules.
    pub grammar_specials: &'static str,
    /// The manager's grammar, run after the common rules pass: `Ok`, or the
    /// rule the name breaks, phrased to follow "must" (`"be a Debian package name"`).
    pub grammar: fn(&str) -> Result<(), &'static str>,
}

impl NameCheck {
    /// `Ok` when `name` passes the common rules and the grammar; otherwise
    /// the rule it breaks, as a phrase starting with "must".
    pub fn check(&self, name: &str) -> Result<(), String> {
        if name.is_empty() {
            return Err("must not be empty".into());
        }
        if name.starts_with('-') {
            return Err("must not start with `-` (it would be read as an option)".into());
        }
        if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain whitespace, newlines or control characters".into());
        }
        let special = |c: char| SHELL_METACHARACTERS.contains(c) || c == '/';
        if let Some(c) = name.chars().find(|&c| special(c) && !self.grammar_specials.contains(c)) {
            return Err(if c == '/' {
                "must not contain the path separator `/`".into()
            } else {
                format!("must not contain the shell metacharacter `{c}`")
            });
        }
        (self.grammar)(name).map_err(|rule| format!("must {rule}"))
    }

    /// Checks every name in order; fails with `invalid-params` naming the
    /// first bad one and the rule it breaks.
    pub fn check_all(&self, manager: &str, names: &[String]) -> Result<(), Fail> {
        for name in names {
            self.check(name).map_err(|rule| {
                Fail::InvalidParams(format!("{manager} package name {name:?} is invalid: it {rule}"))
            })?;
        }
        Ok(())
    }
}

/// `Ok` when `value` can stand alone as one argument after an option or as
/// a file path: not empty, no leading `-`, no newlines or other control
/// characters (spaces are fine: no shell splits the argument). Otherwise the
/// rule it breaks.
pub fn check_argument(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        Err("must not be empty")
    } else if value.starts_with('-') {
        Err("must not start with `-` (it would be read as an option)")
    } else if value.chars().any(char::is_control) {
        Err("must not contain newlines or control characters")
    } else {
        Ok(())
    }
}

/// Checks `name` or `name=version`, the pinning syntax of OS package
/// managers: `Err(name_rule)` when the part before the first `=` fails
/// `is_name`, `Err(version_rule)` when the rest fails `is_version`.
pub fn check_pinned(
    spec: &str,
    (is_name, name_rule): (fn(&str) -> bool, &'static str),
    (is_version, version_rule): (fn(&str) -> bool, &'static str),
) -> Result<(), &'static str> {
    let (name, version) = match spec.split_once('=') {
        Some((name, version)) => (name, Some(version)),
        None => (spec, None),
    };
    if !is_name(name) {
        return Err(name_rule);
    }
    match version {
        Some(version) if !is_version(version) => Err(version_rule),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower_letters(name: &str) -> Result<(), &'static str> {
        if name.chars().all(|c| c.is_ascii_lowercase() || "[]/".contains(c)) {
            Ok(())
        } else {
            Err("be lower-case letters")
        }
    }

    const CHECK: NameCheck = NameCheck { grammar_specials: "[]", grammar: lower_letters };

    fn rule(name: &str) -> String {
        CHECK.check(name).unwrap_err()
    }

    #[test]
    fn accepts_a_name_the_grammar_accepts() {
        assert_eq!(CHECK.check("abc"), Ok(()));
        assert_eq!(CHECK.check("abc[x]"), Ok(()), "grammar specials are allowed");
    }

    #[test]
    fn refuses_empty_and_leading_dash() {
        assert!(rule("").contains("empty"));
        assert!(rule("-rf").contains("`-`"));
        assert!(rule("--index-url").contains("option"));
    }

    #[test]
    fn refuses_whitespace_newlines_and_controls() {
        for name in ["a b", "a\tb", "a\nb", "a\rb", "a\0b", "a\u{a0}b"] {
            assert!(rule(name).contains("whitespace"), "{name:?}");
        }
    }

    #[test]
    fn refuses_every_metacharacter_the_grammar_does_not_use() {
        for c in SHELL_METACHARACTERS.chars().filter(|c| !"[]".contains(*c)) {
            let name = format!("a{c}b");
            assert_eq!(rule(&name), format!("must not contain the shell metacharacter `{c}`"));
        }
    }

    #[test]
    fn refuses_path_separator_unless_the_grammar_uses_it() {
        assert!(rule("a/b").contains("path separator"));
        let with_slash = NameCheck { grammar_specials: "/", grammar: lower_letters };
        assert_eq!(with_slash.check("a/b"), Ok(()));
    }

    #[test]
    fn grammar_runs_after_common_rules() {
        assert_eq!(rule("ABC"), "must be lower-case letters");
    }

    #[test]
    fn check_all_names_the_first_bad_name() {
        let names = ["ok".to_string(), "b;d".to_string(), "ALSO".to_string()];
        let Err(Fail::InvalidParams(msg)) = CHECK.check_all("toy", &names) else {
            panic!("expected invalid-params");
        };
        assert!(msg.contains("\"b;d\""), "{msg}");
        assert!(msg.contains("`;`"), "{msg}");
        assert!(!msg.contains("ALSO"), "{msg}");
    }

    #[test]
    fn check_all_escapes_newlines_in_the_message() {
        let Err(Fail::InvalidParams(msg)) = CHECK.check_all("toy", &["a\nb".to_string()]) else {
            panic!("expected invalid-params");
        };
        assert!(msg.contains("\"a\\nb\""), "{msg}");
    }

    #[test]
    fn check_pinned_checks_the_name_then_the_version() {
        let digits = |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit());
        let check = |spec| check_pinned(spec, (|n| n == "pkg", "name"), (digits, "version"));
        assert_eq!(check("pkg"), Ok(()));
        assert_eq!(check("pkg=12"), Ok(()));
        assert_eq!(check("other=12"), Err("name"));
        assert_eq!(check("other=x"), Err("name"), "the name is checked first");
        assert_eq!(check("pkg="), Err("version"));
        assert_eq!(check("pkg=1=2"), Err("version"), "only the first `=` splits");
    }

    #[test]
    fn check_argument_rules() {
        assert_eq!(check_argument("https://pypi.example/simple"), Ok(()));
        assert!(check_argument("").is_err());
        assert!(check_argument("-x").is_err());
        assert_eq!(check_argument("/workspace/my script.py"), Ok(()));
        assert!(check_argument("https://a\nb").is_err());
        assert!(check_argument("a\0b").is_err());
    }
}
