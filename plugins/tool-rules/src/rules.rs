//! The policy itself: judging a tool call, as `<provider>/<tool>`, against the
//! denylist and the allowlist, then its string arguments against
//! `deny_arguments`.

use crate::settings::{self, ALLOW, DENY, DENY_ARGUMENTS};
use plugin_kit::{Verdict, glob, glob_within};
use serde_json::Value;

/// The parts of a tool call this policy judges.
#[derive(Debug, Clone, Copy)]
pub struct ToolCall<'a> {
    /// The plugin or upstream server that serves the tool.
    pub provider: &'a str,
    /// The tool's name as its provider knows it.
    pub tool: &'a str,
    /// The call's arguments: a JSON object, as text.
    pub arguments: &'a str,
}

/// The rules from the operator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    /// The settings parsed.
    Lists {
        /// Allowed `<provider>/<tool>` patterns; `None` when `allow` is unset,
        /// which allows every call the denylist does not deny.
        allow: Option<Vec<String>>,
        /// Denied `<provider>/<tool>` patterns.
        deny: Vec<String>,
        /// Patterns no string argument may contain.
        deny_arguments: Vec<String>,
    },
    /// A setting did not parse; every call is denied (rather than guess what
    /// the operator meant), with this setting named and why it is wrong.
    Broken {
        /// The full name of the setting.
        setting: String,
        /// What is wrong with it.
        why: String,
    },
}

impl Rules {
    /// Reads the rules through `get` (the `config` import).
    pub fn load(get: impl Fn(&str) -> Option<String>) -> Self {
        let read = |key: &str| {
            get(key)
                .map(|text| settings::patterns(key, &text))
                .transpose()
                .map_err(|why| Rules::Broken { setting: settings::setting_name(key), why })
        };
        let lists = read(DENY).and_then(|deny| Ok((read(ALLOW)?, deny, read(DENY_ARGUMENTS)?)));
        match lists {
            Ok((allow, deny, deny_arguments)) => Rules::Lists {
                allow,
                deny: deny.unwrap_or_default(),
                deny_arguments: deny_arguments.unwrap_or_default(),
            },
            Err(broken) => broken,
        }
    }

    /// Judges `call`: denied if `<provider>/<tool>` matches a `deny` pattern,
    /// or `allow` is set and it matches none of its patterns, or a string
    /// value of the arguments (at any depth) contains a `deny_arguments`
    /// pattern. The denial names the setting and the pattern, never the
    /// argument's value (it may be the secret).
    pub fn check(&self, call: &ToolCall) -> Verdict {
        let target = format!("{}/{}", call.provider, call.tool);
        let what = format!("calling `{target}` is denied");
        let (allow, deny, deny_arguments) = match self {
            Rules::Lists { allow, deny, deny_arguments } => (allow, deny, deny_arguments),
            Rules::Broken { setting, why } => {
                let reason =
                    format!("{what}: the tool-rules policy denies every call until its setting is fixed: {why}");
                return Verdict::deny(reason, setting.clone());
            }
        };
        if let Some(pattern) = deny.iter().find(|p| glob(p, &target)) {
            let name = settings::setting_name(DENY);
            return Verdict::deny(format!("{what}: it matches `{pattern}` in {name}"), name);
        }
        if let Some(allow) = allow
            && !allow.iter().any(|p| glob(p, &target))
        {
            let name = settings::setting_name(ALLOW);
            let reason = match allow.is_empty() {
                true => format!("{what}: {name} is empty, so no tool call is allowed"),
                false => format!("{what}: it matches none of the patterns in {name} ({})", allow.join(", ")),
            };
            return Verdict::deny(reason, name);
        }
        if deny_arguments.is_empty() {
            return Verdict::Allow;
        }
        let name = settings::setting_name(DENY_ARGUMENTS);
        let Ok(arguments) = serde_json::from_str::<Value>(call.arguments) else {
            return Verdict::deny(format!("{what}: its arguments are not JSON, so {name} cannot be checked"), name);
        };
        match find(&arguments, &mut String::new(), deny_arguments) {
            Some((at, pattern)) => {
                Verdict::deny(format!("{what}: argument `{at}` contains `{pattern}`, which {name} lists"), name)
            }
            None => Verdict::Allow,
        }
    }
}

/// The first string in `value` (at JSON pointer `at`) that contains one of
/// `patterns`: where it is, and the pattern.
fn find<'p>(value: &Value, at: &mut String, patterns: &'p [String]) -> Option<(String, &'p str)> {
    let within = |key: &str, value: &Value, at: &mut String| {
        let len = at.len();
        at.push('/');
        at.push_str(&key.replace('~', "~0").replace('/', "~1"));
        let found = find(value, at, patterns);
        at.truncate(len);
        found
    };
    match value {
        Value::String(text) => patterns.iter().find(|p| glob_within(p, text)).map(|p| (at.clone(), p.as_str())),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| within(&i.to_string(), item, at)),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| within(key, item, at)),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::Denial;

    fn rules(allow: Option<&str>, deny: Option<&str>, deny_arguments: Option<&str>) -> Rules {
        Rules::load(|key| match key {
            "allow" => allow.map(String::from),
            "deny" => deny.map(String::from),
            "deny_arguments" => deny_arguments.map(String::from),
            _ => None,
        })
    }

    fn call<'a>(provider: &'a str, tool: &'a str, arguments: &'a str) -> ToolCall<'a> {
        ToolCall { provider, tool, arguments }
    }

    fn denial(verdict: Verdict) -> Denial {
        match verdict {
            Verdict::Deny(denial) => denial,
            Verdict::Allow => panic!("expected a denial"),
        }
    }

    #[test]
    fn unset_settings_allow_every_call() {
        assert_eq!(rules(None, None, None).check(&call("git", "push", r#"{"key":"AKIA1"}"#)), Verdict::Allow);
        assert_eq!(rules(None, None, None).check(&call("git", "push", "not json")), Verdict::Allow);
    }

    #[test]
    fn deny_wins_over_allow_and_names_the_pattern() {
        let rules = rules(Some(r#"["git/*", "files/*"]"#), Some(r#"["*/delete_*", "git/push"]"#), None);
        assert_eq!(rules.check(&call("git", "status", "{}")), Verdict::Allow);
        assert_eq!(
            rules.check(&call("files", "delete_all", "{}")),
            Verdict::deny(
                "calling `files/delete_all` is denied: it matches `*/delete_*` in plugins.tool-rules.settings.deny",
                "plugins.tool-rules.settings.deny"
            )
        );
        assert_eq!(denial(rules.check(&call("git", "push", "{}"))).setting, "plugins.tool-rules.settings.deny");
    }

    #[test]
    fn with_allow_set_anything_else_is_denied() {
        let rules = rules(Some(r#"["git/*", "*/read_file"]"#), None, None);
        assert_eq!(rules.check(&call("sandbox", "read_file", "{}")), Verdict::Allow);
        assert_eq!(
            rules.check(&call("sandbox", "exec", "{}")),
            Verdict::deny(
                "calling `sandbox/exec` is denied: it matches none of the patterns in plugins.tool-rules.settings.allow (git/*, */read_file)",
                "plugins.tool-rules.settings.allow"
            )
        );
        assert_eq!(denial(rules.check(&call("gitx", "status", "{}"))).setting, "plugins.tool-rules.settings.allow");
        let d = denial(super::Rules::load(|k| (k == "allow").then(|| "[]".into())).check(&call("git", "x", "{}")));
        assert!(
            d.reason.ends_with("plugins.tool-rules.settings.allow is empty, so no tool call is allowed"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn denied_argument_patterns_are_found_at_any_depth_and_the_value_is_not_repeated() {
        let rules = rules(None, None, Some(r#"["AKIA*", "-----BEGIN"]"#));
        assert_eq!(rules.check(&call("sandbox", "exec", r#"{"argv":["ls","-l"],"n":5,"env":null}"#)), Verdict::Allow);
        let d = denial(rules.check(&call("sandbox", "exec", r#"{"env":{"a/b":["x","key=AKIAIOSFODNN7"]}}"#)));
        assert_eq!(d.setting, "plugins.tool-rules.settings.deny_arguments");
        assert_eq!(
            d.reason,
            "calling `sandbox/exec` is denied: argument `/env/a~1b/1` contains `AKIA*`, which plugins.tool-rules.settings.deny_arguments lists"
        );
        assert!(!d.reason.contains("IOSFODNN7"));
        let d = denial(rules.check(&call("files", "write", r#"{"data":"-----BEGIN RSA PRIVATE KEY-----"}"#)));
        assert!(d.reason.contains("argument `/data` contains `-----BEGIN`"), "{}", d.reason);
        assert_eq!(rules.check(&call("files", "write", r#"{"AKIA": 1}"#)), Verdict::Allow, "keys are not values");
    }

    #[test]
    fn arguments_that_are_not_json_are_denied_when_they_must_be_checked() {
        let d = denial(rules(None, None, Some(r#"["x"]"#)).check(&call("a", "b", "{")));
        assert_eq!(d.setting, "plugins.tool-rules.settings.deny_arguments");
        assert!(d.reason.contains("not JSON"), "{}", d.reason);
    }

    #[test]
    fn broken_settings_deny_every_call_naming_the_setting() {
        let d = denial(rules(Some(r#"["git/*"]"#), None, Some("AKIA")).check(&call("git", "status", "{}")));
        assert_eq!(d.setting, "plugins.tool-rules.settings.deny_arguments");
        assert!(
            d.reason.starts_with("calling `git/status` is denied: the tool-rules policy denies every call until its setting is fixed: plugins.tool-rules.settings.deny_arguments is \"AKIA\""),
            "{}",
            d.reason
        );
        let d = denial(rules(None, Some("[5]"), None).check(&call("git", "status", "{}")));
        assert_eq!(d.setting, "plugins.tool-rules.settings.deny");
    }
}
