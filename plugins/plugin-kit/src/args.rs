//! Reading a tool's JSON arguments against the tool's input schema: one
//! object whose parameters are read by name and type, every error naming
//! the parameter at fault.
//!
//! The schema is the one declaration of a tool's parameters: a parameter it
//! does not list is refused, and reading one it does not list is a bug that
//! panics in debug builds (and so in tests).

use crate::fail::Fail;
use serde_json::{Map, Value};

/// A tool call's arguments, checked to be a JSON object with no parameter
/// the tool's schema does not declare. A parameter set to `null` counts as absent.
#[derive(Debug)]
pub struct Args {
    object: Map<String, Value>,
    declared: Map<String, Value>,
}

impl Args {
    /// Parses `arguments`, a JSON object as text (empty text counts as `{}`),
    /// against `schema`, a JSON Schema object whose `properties` declare the
    /// parameters. A parameter not declared is refused, naming it and the
    /// declared ones.
    pub fn parse(arguments: &str, schema: &Value) -> Result<Self, Fail> {
        let declared = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let object = if arguments.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str(arguments) {
                Ok(Value::Object(object)) => object,
                Ok(_) => return Err(Fail::InvalidParams("arguments must be a JSON object".into())),
                Err(e) => return Err(Fail::InvalidParams(format!("arguments are not valid JSON: {e}"))),
            }
        };
        if let Some(unknown) = object.keys().find(|key| !declared.contains_key(*key)) {
            let takes = if declared.is_empty() {
                "this tool takes no parameters".to_string()
            } else {
                let names: Vec<String> = declared.keys().map(|k| format!("`{k}`")).collect();
                format!("this tool takes {}", names.join(", "))
            };
            return Err(Fail::InvalidParams(format!("unknown parameter `{unknown}`: {takes}")));
        }
        Ok(Args { object, declared })
    }

    /// The value of `name`, unless absent or `null`.
    fn get(&self, name: &str) -> Option<&Value> {
        debug_assert!(self.declared.contains_key(name), "parameter `{name}` is read but not declared in the schema");
        self.object.get(name).filter(|v| !v.is_null())
    }

    /// The string `name`, if given.
    pub fn string(&self, name: &str) -> Result<Option<String>, Fail> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(wrong_type(name, "a string", other)),
        }
    }

    /// The string `name`, which must be given; `what` says what it is, for
    /// the error when it is missing.
    pub fn required_string(&self, name: &str, what: &str) -> Result<String, Fail> {
        self.string(name)?.ok_or_else(|| Fail::InvalidParams(format!("`{name}` is required: {what}")))
    }

    /// The boolean `name`, or `default` when absent.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, Fail> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(wrong_type(name, "true or false", other)),
        }
    }

    /// The whole number `name`, if given, which must lie in `min..=max`
    /// (`30` and `30.0` both count as whole).
    pub fn integer(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, Fail> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let whole = match value {
            Value::Number(n) => {
                n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
            }
            _ => None,
        };
        match whole {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(Fail::InvalidParams(format!("`{name}` must be a whole number from {min} to {max}, not {value}"))),
        }
    }

    /// The number `name`, if given, which must be above zero and at most `max`.
    pub fn positive_number(&self, name: &str, max: f64) -> Result<Option<f64>, Fail> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match value.as_f64() {
            Some(n) if n > 0.0 && n <= max => Ok(Some(n)),
            _ => Err(Fail::InvalidParams(format!("`{name}` must be a number above 0 and at most {max}, not {value}"))),
        }
    }

    /// The list of strings `name`, if given.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, Fail> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(wrong_type(name, "an array of strings", value));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong_type(&format!("{name}[{i}]"), "a string", other)),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// The object `name` whose values are all strings, as (key, value) pairs
    /// in key order, if given.
    pub fn string_map(&self, name: &str) -> Result<Option<Vec<(String, String)>>, Fail> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let Value::Object(entries) = value else {
            return Err(wrong_type(name, "an object of string values", value));
        };
        let mut pairs = entries
            .iter()
            .map(|(key, value)| match value {
                Value::String(s) => Ok((key.clone(), s.clone())),
                other => Err(wrong_type(&format!("{name}.{key}"), "a string", other)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        pairs.sort();
        Ok(Some(pairs))
    }

    /// The list of objects `name`, if given, each read as its own [`Args`]
    /// against the schema's `items` for `name`; errors name `name[i]`.
    pub fn object_list(&self, name: &str) -> Result<Option<Vec<Args>>, Fail> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let items_schema = self.declared[name].get("items").cloned().unwrap_or(Value::Null);
        let Value::Array(items) = value else {
            return Err(wrong_type(name, "an array of objects", value));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(_) => Args::parse(&item.to_string(), &items_schema)
                    .map_err(|f| Fail::InvalidParams(format!("`{name}[{i}]`: {}", f.message()))),
                other => Err(wrong_type(&format!("{name}[{i}]"), "an object", other)),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

/// `invalid-params`: parameter `name` should be `expected` but is `got`.
fn wrong_type(name: &str, expected: &str, got: &Value) -> Fail {
    Fail::InvalidParams(format!("`{name}` must be {expected}, not {}", json_kind(got)))
}

/// What kind of JSON value `value` is, for messages: "null", "a boolean",
/// "a number", "a string", "an array" or "an object".
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::invalid;
    use serde_json::json;

    /// A schema declaring `names`, each with an empty property schema.
    fn schema(names: &[&str]) -> Value {
        let properties: Map<String, Value> = names.iter().map(|n| (n.to_string(), json!({}))).collect();
        json!({ "type": "object", "properties": properties })
    }

    fn args(json: &str) -> Args {
        Args::parse(json, &schema(&["s", "b", "n", "f", "l", "m"])).unwrap()
    }

    #[test]
    fn empty_text_is_an_empty_object() {
        assert!(Args::parse("", &schema(&[])).is_ok());
        assert!(Args::parse("  {} ", &schema(&[])).is_ok());
    }

    #[test]
    fn refuses_non_objects_and_bad_json() {
        assert!(invalid(Args::parse("[1]", &schema(&[]))).contains("JSON object"));
        assert!(invalid(Args::parse("{", &schema(&[]))).contains("not valid JSON"));
    }

    #[test]
    fn refuses_unknown_parameters_naming_them_and_the_known_ones() {
        let msg = invalid(Args::parse(r#"{"timeout_seconds":5}"#, &schema(&["command", "timeout"])));
        assert_eq!(msg, "unknown parameter `timeout_seconds`: this tool takes `command`, `timeout`");
        let msg = invalid(Args::parse(r#"{"x":1}"#, &schema(&[])));
        assert!(msg.contains("takes no parameters"), "{msg}");
    }

    #[test]
    fn null_counts_as_absent() {
        let a = args(r#"{"s":null,"b":null,"n":null,"l":null,"m":null}"#);
        assert_eq!(a.string("s").unwrap(), None);
        assert!(a.bool("b", true).unwrap());
        assert_eq!(a.integer("n", 1, 5).unwrap(), None);
        assert_eq!(a.string_list("l").unwrap(), None);
        assert_eq!(a.string_map("m").unwrap(), None);
    }

    #[test]
    fn strings_and_booleans_are_typed() {
        let a = args(r#"{"s":"x","b":false}"#);
        assert_eq!(a.required_string("s", "why").unwrap(), "x");
        assert!(!a.bool("b", true).unwrap());
        assert_eq!(invalid(args(r#"{"s":5}"#).string("s")), "`s` must be a string, not a number");
        assert_eq!(invalid(args(r#"{"b":"yes"}"#).bool("b", false)), "`b` must be true or false, not a string");
        assert_eq!(invalid(args("{}").required_string("s", "the thing")), "`s` is required: the thing");
    }

    #[test]
    fn integers_are_whole_and_in_range() {
        assert_eq!(args(r#"{"n":30}"#).integer("n", 1, 60).unwrap(), Some(30));
        assert_eq!(args(r#"{"n":30.0}"#).integer("n", 1, 60).unwrap(), Some(30));
        for bad in [r#"{"n":0}"#, r#"{"n":61}"#, r#"{"n":-1}"#, r#"{"n":1.5}"#, r#"{"n":"30"}"#] {
            assert!(
                invalid(args(bad).integer("n", 1, 60)).starts_with("`n` must be a whole number from 1 to 60"),
                "{bad}"
            );
        }
    }

    #[test]
    fn positive_numbers_are_above_zero_and_capped() {
        assert_eq!(args(r#"{"f":0.5}"#).positive_number("f", 4.0).unwrap(), Some(0.5));
        for bad in [r#"{"f":0}"#, r#"{"f":-2}"#, r#"{"f":5}"#, r#"{"f":"1"}"#] {
            assert!(invalid(args(bad).positive_number("f", 4.0)).starts_with("`f` must be a number above 0"), "{bad}");
        }
    }

    #[test]
    fn lists_hold_strings_and_name_the_bad_item() {
        assert_eq!(args(r#"{"l":["a","b"]}"#).string_list("l").unwrap(), Some(vec!["a".into(), "b".into()]));
        assert_eq!(invalid(args(r#"{"l":["a",2]}"#).string_list("l")), "`l[1]` must be a string, not a number");
        assert_eq!(invalid(args(r#"{"l":"a"}"#).string_list("l")), "`l` must be an array of strings, not a string");
    }

    #[test]
    fn maps_hold_strings_and_name_the_bad_key() {
        let pairs = args(r#"{"m":{"B":"2","A":"1"}}"#).string_map("m").unwrap().unwrap();
        assert_eq!(pairs, vec![("A".into(), "1".into()), ("B".into(), "2".into())]);
        assert_eq!(invalid(args(r#"{"m":{"K":1}}"#).string_map("m")), "`m.K` must be a string, not a number");
        assert_eq!(
            invalid(args(r#"{"m":["K"]}"#).string_map("m")),
            "`m` must be an object of string values, not an array"
        );
    }
}
