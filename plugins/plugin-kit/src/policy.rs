//! What policy plugins share: their verdicts, the names of their settings, and
//! reading a setting that lists strings. [`wit_policy!`](crate::wit_policy)
//! converts a [`Verdict`] into the WIT `decision`.

use serde_json::Value;

/// Why an action was denied (the WIT `denial`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// What was denied and why.
    pub reason: String,
    /// The setting that would allow it.
    pub setting: String,
}

/// A policy's verdict (the WIT `decision`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// This policy does not object.
    Allow,
    /// Denied, with the reason and the setting to change.
    Deny(Denial),
}

impl Verdict {
    /// A denial for `reason`, naming `setting`.
    pub fn deny(reason: impl Into<String>, setting: impl Into<String>) -> Self {
        Verdict::Deny(Denial { reason: reason.into(), setting: setting.into() })
    }
}

/// The full name of plugin `plugin`'s setting `key`, as the operator writes
/// it in portcullis.toml: `plugins.<plugin>.settings.<key>`.
pub fn setting_name(plugin: &str, key: &str) -> String {
    format!("plugins.{plugin}.settings.{key}")
}

/// Parses `text`, the value of the setting named `setting` (its full name),
/// as a JSON array of strings. On failure, says what is wrong, then
/// `example` (how the setting should look).
pub fn string_list(setting: &str, text: &str, example: &str) -> Result<Vec<String>, String> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return Err(format!("{setting} is {text:?}; {example}"));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s),
            other => Err(format!("{setting} entry {} is {other}, not a string; {example}", i + 1)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_names_are_as_the_operator_writes_them() {
        assert_eq!(setting_name("paths", "allow"), "plugins.paths.settings.allow");
    }

    #[test]
    fn reads_an_array_of_strings() {
        assert_eq!(string_list("s", r#"["a", "b*"]"#, "e"), Ok(vec!["a".to_string(), "b*".to_string()]));
        assert_eq!(string_list("s", "[]", "e"), Ok(vec![]));
    }

    #[test]
    fn refuses_other_shapes_naming_the_setting_and_the_entry() {
        assert_eq!(
            string_list("plugins.x.settings.s", "\"a\"", "use [\"a\"]"),
            Err(r#"plugins.x.settings.s is "\"a\""; use ["a"]"#.to_string())
        );
        assert_eq!(string_list("s", r#"["a", 5]"#, "e"), Err("s entry 2 is 5, not a string; e".to_string()));
        assert!(string_list("s", "not json", "e").unwrap_err().starts_with("s is \"not json\""));
    }
}
