//! The plugin's settings: `allow` and `deny`, each a JSON array of absolute
//! host-path prefixes, as the host passes `[plugins.paths.settings]` values.

use crate::prefix::HostPath;

/// The allowlist's key in the plugin's settings.
pub const ALLOW: &str = "allow";
/// The denylist's key in the plugin's settings.
pub const DENY: &str = "deny";

/// The full name of setting `key`, as the operator writes it in portcullis.toml.
pub fn setting_name(key: &str) -> String {
    plugin_kit::setting_name("paths", key)
}

/// Parses the value of setting `key`: a JSON array of absolute, resolved
/// paths. On failure, says what is wrong and how the setting should look.
pub fn prefixes(key: &str, text: &str) -> Result<Vec<HostPath>, String> {
    let example = format!("it must be an array of absolute paths, such as {key} = [\"/home/me/projects\"]");
    let name = setting_name(key);
    let paths = plugin_kit::string_list(&name, text, &example)?;
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            HostPath::parse(path).map_err(|rule| format!("{name} entry {} {path:?} {rule}; {example}", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(key: &str, text: &str) -> Vec<String> {
        prefixes(key, text).unwrap().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reads_an_array_of_absolute_paths() {
        assert_eq!(shown(ALLOW, r#"["/home/me/projects", "/srv/"]"#), ["/home/me/projects", "/srv"]);
        assert!(shown(DENY, "[]").is_empty());
    }

    #[test]
    fn refuses_other_shapes_naming_the_setting() {
        let err = prefixes(ALLOW, "/srv").unwrap_err();
        assert!(err.starts_with("plugins.paths.settings.allow is \"/srv\"; it must be an array"), "{err}");
        let err = prefixes(DENY, r#"{"path":"/srv"}"#).unwrap_err();
        assert!(err.starts_with("plugins.paths.settings.deny is"), "{err}");
        let err = prefixes(ALLOW, r#"["/srv", 5]"#).unwrap_err();
        assert!(err.starts_with("plugins.paths.settings.allow entry 2 is 5, not a string"), "{err}");
    }

    #[test]
    fn refuses_relative_and_unresolved_entries() {
        let err = prefixes(ALLOW, r#"["projects"]"#).unwrap_err();
        assert!(err.contains("entry 1 \"projects\" is not absolute"), "{err}");
        let err = prefixes(DENY, r#"["/a", "/a/../b"]"#).unwrap_err();
        assert!(err.contains("entry 2 \"/a/../b\" contains `..`"), "{err}");
    }
}
