//! Wildcard patterns: `*` stands for any run of characters (none included);
//! every other character stands for itself.

/// Whether all of `text` matches `pattern`.
pub fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether `pattern` matches some part of `text`: `glob("*pattern*", text)`.
pub fn glob_within(pattern: &str, text: &str) -> bool {
    glob(&format!("*{pattern}*"), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_runs_of_characters() {
        assert!(glob("git/*", "git/push"));
        assert!(glob("*", ""));
        assert!(glob("*/delete_*", "files/delete_all"));
        assert!(glob("a*b*c", "a-b-b-c"));
        assert!(!glob("a*b*c", "a-c-b"));
        assert!(!glob("git/*", "gitx/push"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exact2"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn within_finds_the_pattern_anywhere() {
        assert!(glob_within("AKIA*", "key=AKIAIOSFODNN7EXAMPLE"));
        assert!(glob_within("-----BEGIN", "x\n-----BEGIN RSA PRIVATE KEY-----"));
        assert!(glob_within("pass*=*", "db pass=hunter2"));
        assert!(!glob_within("AKIA", "akia lower case"));
        assert!(!glob_within("pass*=", "password"));
    }
}
