//! The parameters several tools share, each as its JSON Schema and the
//! function that reads it from a call's [`Args`], so a parameter is declared
//! and read in one place.

use crate::host::{Filters, Labels};
use plugin_kit::{Args, Fail};
use serde_json::{Value, json};

/// The longest stop timeout a caller may ask for, in seconds (one hour).
pub const MAX_TIMEOUT_SECS: u64 = 3_600;

/// The most log lines a caller may ask for.
pub const MAX_TAIL: u64 = 100_000;

/// How far back `docker_events` looks when `since` is not given.
pub const DEFAULT_SINCE: &str = "1h";

/// An object schema with `properties`, the `required` ones, and no others.
pub fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// A required parameter naming an engine object: a string, `description` saying what it names.
pub fn target_schema(description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "description": description})
}

/// The required, non-blank parameter `name` naming an engine object; `what`
/// says what it names, for the error when it is missing.
pub fn target(args: &Args, name: &str, what: &str) -> Result<String, Fail> {
    let value = args.required_string(name, what)?;
    if value.trim().is_empty() {
        return Err(Fail::InvalidParams(format!("`{name}` must not be empty: {what}")));
    }
    Ok(value)
}

/// The `container` parameter.
pub fn container_schema() -> Value {
    target_schema("The container's name, id or unique id prefix (as docker_list_containers shows them).")
}

/// The required `container` parameter.
pub fn container(args: &Args) -> Result<String, Fail> {
    target(args, "container", "the container's name, id or unique id prefix")
}

/// The `filters` parameter; `examples` lists filters the engine takes for this kind of object.
pub fn filters_schema(examples: &str) -> Value {
    json!({"type": "array", "items": {"type": "string", "pattern": "^[^=\\s]+=.*$"}, "default": [],
        "description": format!("Engine filters, each \"name=value\" as `docker ... --filter` takes them \
            (a name may repeat; the value may hold `=`): {examples}.")})
}

/// The `filters` parameter: each `name=value` split at its first `=`.
pub fn filters(args: &Args) -> Result<Filters, Fail> {
    let items = args.string_list("filters")?.unwrap_or_default();
    items.iter().enumerate().map(|(i, item)| filter(i, item)).collect()
}

/// Filter `item`, the `i`th: a name without whitespace, `=`, and a value.
fn filter(i: usize, item: &str) -> Result<(String, String), Fail> {
    match item.split_once('=') {
        Some((name, value)) if !name.is_empty() && !name.chars().any(char::is_whitespace) => {
            Ok((name.into(), value.into()))
        }
        _ => Err(Fail::InvalidParams(format!(
            "`filters[{i}]` must be \"name=value\" (such as \"status=exited\" or \"label=env=dev\"), not {item:?}"
        ))),
    }
}

/// The `labels` parameter of the create tools.
pub fn labels_schema() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string"}, "default": {},
        "description": "Labels to set, as name → value."})
}

/// The `labels` parameter, in name order; names must not be empty.
pub fn labels(args: &Args) -> Result<Labels, Fail> {
    let labels = args.string_map("labels")?.unwrap_or_default();
    if labels.iter().any(|(name, _)| name.trim().is_empty()) {
        return Err(Fail::InvalidParams("`labels` must not have an empty name".into()));
    }
    Ok(labels)
}

/// The optional `driver` parameter of the create tools, defaulting to `default`.
pub fn driver_schema(default: &str) -> Value {
    json!({"type": "string", "minLength": 1,
        "description": format!("The driver; the engine's default ({default}) when not given.")})
}

/// The optional, non-blank `driver` parameter.
pub fn driver(args: &Args) -> Result<Option<String>, Fail> {
    match args.string("driver")? {
        Some(driver) if driver.trim().is_empty() => Err(Fail::InvalidParams("`driver` must not be empty".into())),
        driver => Ok(driver),
    }
}

/// A `force` parameter, false by default; `description` says what it forces.
pub fn force_schema(description: &str) -> Value {
    json!({"type": "boolean", "default": false, "description": description})
}

/// The `timeout_secs` parameter of stop and restart.
pub fn timeout_schema() -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": MAX_TIMEOUT_SECS,
        "description": "Seconds to wait after SIGTERM before SIGKILL; the engine's default (10) when not given."})
}

/// The optional `timeout_secs` parameter.
pub fn timeout_secs(args: &Args) -> Result<Option<u32>, Fail> {
    Ok(args.integer("timeout_secs", 0, MAX_TIMEOUT_SECS)?.map(|secs| secs as u32))
}

/// The `tail` parameter of the logs tool.
pub fn tail_schema() -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": MAX_TAIL,
        "description": "Only the last this many lines; 100 when not given."})
}

/// The optional `tail` parameter.
pub fn tail(args: &Args) -> Result<Option<u32>, Fail> {
    Ok(args.integer("tail", 1, MAX_TAIL)?.map(|lines| lines as u32))
}

/// A point in time parameter (`since`, `until`); `what` says what it bounds.
pub fn time_schema(what: &str) -> Value {
    json!({"type": "string", "pattern": "^([0-9]+|([0-9]+[smhd])+)$",
        "description": format!("{what}: a duration ago with units s, m, h, d (\"10m\", \"2h\", \"1h30m\"), \
            or seconds since the Unix epoch as digits (\"1767225600\").")})
}

/// The optional time parameter `name` as seconds since the Unix epoch, `now` being the current time.
pub fn time(args: &Args, name: &str, now: i64) -> Result<Option<i64>, Fail> {
    args.string(name)?.map(|value| parse_time(name, &value, now)).transpose()
}

/// `value` of parameter `name` as seconds since the Unix epoch: digits are
/// that instant, a duration (`1h30m`) is that long before `now`.
pub fn parse_time(name: &str, value: &str, now: i64) -> Result<i64, Fail> {
    let bad = || {
        Fail::InvalidParams(format!(
            "`{name}` must be a duration ago such as \"10m\", \"2h\" or \"1h30m\" (units s, m, h, d), \
             or seconds since the Unix epoch, not {value:?}"
        ))
    };
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().map_err(|_| bad());
    }
    let mut ago: i64 = 0;
    let mut digits = String::new();
    for c in value.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let count: i64 = digits.parse().map_err(|_| bad())?;
        ago = count.checked_mul(unit).and_then(|secs| ago.checked_add(secs)).ok_or_else(bad)?;
        digits.clear();
    }
    if value.is_empty() || !digits.is_empty() {
        return Err(bad());
    }
    now.checked_sub(ago).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::invalid;

    fn args(json: &str) -> Args {
        let schema = object(
            json!({"filters": filters_schema("x"), "labels": labels_schema(), "since": time_schema("x"),
                "container": container_schema(), "driver": driver_schema("local")}),
            &[],
        );
        Args::parse(json, &schema).unwrap()
    }

    #[test]
    fn filters_split_at_the_first_equals_sign_and_keep_their_order() {
        let filters = filters(&args(r#"{"filters":["status=exited","label=env=dev","name=","label=b"]}"#)).unwrap();
        let expected = [("status", "exited"), ("label", "env=dev"), ("name", ""), ("label", "b")];
        assert_eq!(filters, expected.map(|(n, v)| (n.to_string(), v.to_string())));
        assert_eq!(super::filters(&args("{}")).unwrap(), []);
    }

    #[test]
    fn filters_without_a_name_are_refused_naming_the_item() {
        for bad in ["exited", "=x", "la bel=x", ""] {
            let msg = invalid(filters(&args(&json!({"filters": ["a=b", bad]}).to_string())));
            assert!(msg.starts_with("`filters[1]` must be \"name=value\""), "{bad}: {msg}");
        }
        assert_eq!(
            invalid(filters(&args(r#"{"filters":{"status":"exited"}}"#))),
            "`filters` must be an array of strings, not an object"
        );
    }

    #[test]
    fn times_are_durations_ago_or_epoch_seconds() {
        let now = 1_000_000;
        for (value, expected) in [
            ("10m", now - 600),
            ("2h", now - 7_200),
            ("1h30m", now - 5_400),
            ("45s", now - 45),
            ("7d", now - 604_800),
            ("0s", now),
            ("1767225600", 1_767_225_600),
        ] {
            assert_eq!(parse_time("since", value, now).unwrap(), expected, "{value}");
        }
        for bad in ["", "m", "10x", "1h30", "-5m", "1.5h", "99999999999999999999s", "99999999999999999999", "10 m"] {
            assert!(invalid(parse_time("since", bad, now)).starts_with("`since` must be a duration ago"), "{bad}");
        }
        assert_eq!(time(&args(r#"{"since":"1m"}"#), "since", 120).unwrap(), Some(60));
        assert_eq!(time(&args("{}"), "since", 120).unwrap(), None);
    }

    #[test]
    fn targets_labels_and_drivers_must_not_be_blank() {
        assert_eq!(container(&args(r#"{"container":"web"}"#)).unwrap(), "web");
        assert!(invalid(container(&args("{}"))).starts_with("`container` is required"));
        assert!(invalid(container(&args(r#"{"container":" "}"#))).starts_with("`container` must not be empty"));
        assert_eq!(
            labels(&args(r#"{"labels":{"b":"2","a":"1"}}"#)).unwrap(),
            [("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]
        );
        assert!(invalid(labels(&args(r#"{"labels":{"":"x"}}"#))).contains("empty name"));
        assert_eq!(driver(&args("{}")).unwrap(), None);
        assert!(invalid(driver(&args(r#"{"driver":""}"#))).contains("must not be empty"));
    }
}
