//! Parsing the JSON arguments of the `detect_packages` tool.

use crate::fail::Fail;
use serde_json::Value;

/// The arguments of `detect_packages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectArgs {
    /// The source code to scan.
    pub code: String,
    /// The language of `code`, if the caller named one.
    pub language: Option<String>,
}

impl DetectArgs {
    /// Parses `arguments`, a JSON object as text: `code` is a required
    /// string, `language` an optional string (`null` counts as absent), other
    /// properties are ignored. Anything else is `invalid-params` saying what
    /// is wrong.
    pub fn parse(arguments: &str) -> Result<Self, Fail> {
        let value: Value = serde_json::from_str(arguments)
            .map_err(|e| Fail::InvalidParams(format!("arguments are not valid JSON: {e}")))?;
        let Value::Object(mut object) = value else {
            return Err(Fail::InvalidParams(
                "arguments must be a JSON object".into(),
            ));
        };
        let code = match object.remove("code") {
            Some(Value::String(code)) => code,
            Some(_) => return Err(Fail::InvalidParams("`code` must be a string".into())),
            None => {
                return Err(Fail::InvalidParams(
                    "`code` is required: the source code to scan".into(),
                ));
            }
        };
        let language = match object.remove("language") {
            Some(Value::String(language)) => Some(language),
            None | Some(Value::Null) => None,
            Some(_) => return Err(Fail::InvalidParams("`language` must be a string".into())),
        };
        Ok(DetectArgs { code, language })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(arguments: &str) -> String {
        crate::testing::invalid(DetectArgs::parse(arguments))
    }

    #[test]
    fn parses_code_and_optional_language() {
        let args = DetectArgs::parse(r#"{"code":"import x","language":"python"}"#).unwrap();
        assert_eq!(
            args,
            DetectArgs {
                code: "import x".into(),
                language: Some("python".into())
            }
        );
        let args = DetectArgs::parse(r#"{"code":"","language":null,"extra":1}"#).unwrap();
        assert_eq!(
            args,
            DetectArgs {
                code: String::new(),
                language: None
            }
        );
    }

    #[test]
    fn refuses_malformed_arguments() {
        assert!(invalid("not json").contains("not valid JSON"));
        assert!(invalid("[1]").contains("JSON object"));
        assert!(invalid("{}").contains("`code` is required"));
        assert!(invalid(r#"{"code":5}"#).contains("`code` must be a string"));
        assert!(
            invalid(r#"{"code":"x","language":["py"]}"#).contains("`language` must be a string")
        );
    }
}
