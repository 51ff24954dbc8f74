//! The plugin's settings, as the host passes `[plugins.tool-rules.settings]`
//! values: `allow`, `deny` and `deny_arguments`, each a JSON array of `*`
//! patterns.

/// The allowlist's key: patterns over `<provider>/<tool>`.
pub const ALLOW: &str = "allow";
/// The denylist's key: patterns over `<provider>/<tool>`.
pub const DENY: &str = "deny";
/// The key of the patterns no string argument may contain.
pub const DENY_ARGUMENTS: &str = "deny_arguments";

/// The full name of setting `key`, as the operator writes it in portcullis.toml.
pub fn setting_name(key: &str) -> String {
    plugin_kit::setting_name("tool-rules", key)
}

/// Parses the value of setting `key`: a JSON array of non-empty patterns (an
/// empty one would match every tool, or every argument). On failure, says
/// what is wrong and how the setting should look.
pub fn patterns(key: &str, text: &str) -> Result<Vec<String>, String> {
    let example = match key {
        DENY_ARGUMENTS => format!("it must be an array of patterns, such as {key} = [\"AKIA*\", \"-----BEGIN\"]"),
        _ => format!("it must be an array of `<provider>/<tool>` patterns, such as {key} = [\"git/*\"]"),
    };
    let name = setting_name(key);
    let patterns = plugin_kit::string_list(&name, text, &example)?;
    match patterns.iter().position(String::is_empty) {
        Some(i) => Err(format!("{name} entry {} is empty; {example}", i + 1)),
        None => Ok(patterns),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_array_of_patterns() {
        assert_eq!(patterns(ALLOW, r#"["git/*", "*/read"]"#).unwrap(), ["git/*", "*/read"]);
        assert!(patterns(DENY_ARGUMENTS, "[]").unwrap().is_empty());
    }

    #[test]
    fn refuses_other_shapes_and_empty_patterns_naming_the_setting() {
        let err = patterns(DENY, "git/*").unwrap_err();
        assert!(err.starts_with("plugins.tool-rules.settings.deny is \"git/*\"; it must be an array"), "{err}");
        let err = patterns(DENY_ARGUMENTS, r#"["AKIA*", ""]"#).unwrap_err();
        assert!(err.starts_with("plugins.tool-rules.settings.deny_arguments entry 2 is empty"), "{err}");
        let err = patterns(ALLOW, r#"[1]"#).unwrap_err();
        assert!(err.starts_with("plugins.tool-rules.settings.allow entry 1 is 1, not a string"), "{err}");
    }
}
