//! The `detect_packages` tool that every pack running a language offers.

use crate::args::DetectArgs;
use crate::fail::Fail;
use crate::spec::PackSpec;
use serde_json::json;

/// The name of the one tool a language pack offers.
pub const TOOL_NAME: &str = "detect_packages";

/// A tool description: the WIT `tool` record, in plain Rust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema of the arguments, as text.
    pub input_schema: String,
    /// JSON Schema of the structured result, as text.
    pub output_schema: String,
    /// Behaviour hints.
    pub annotations: Annotations,
}

/// The WIT tool `annotations`, all known for this tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// The tool does not modify its environment.
    pub read_only: bool,
    /// The tool may perform destructive updates.
    pub destructive: bool,
    /// Repeating a call has no further effect.
    pub idempotent: bool,
    /// The tool reaches outside the host (the network, say).
    pub open_world: bool,
}

/// A successful `detect_packages` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// One line for the model: the packages, or that there are none.
    pub text: String,
    /// `{"language": …, "packages": […]}` as JSON text, matching the output schema.
    pub structured: String,
}

impl PackSpec {
    /// The tools this pack offers: `detect_packages` when it runs a
    /// language, none otherwise.
    pub fn tools(&self) -> Vec<ToolSpec> {
        let Some(language) = &self.language else {
            return Vec::new();
        };
        let mut accepted = vec![language.name];
        accepted.extend(language.aliases);
        let input_schema = json!({
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": format!("The {} source code to scan for imports.", language.name),
                },
                "language": {
                    "type": "string",
                    "description": format!(
                        "The language of `code`: {}. Defaults to {}.",
                        accepted.join(", "),
                        language.name
                    ),
                },
            },
            "required": ["code"],
        });
        let output_schema = json!({
            "type": "object",
            "properties": {
                "language": { "type": "string", "description": "The language the code was scanned as." },
                "packages": {
                    "type": "array",
                    "items": { "type": "string" },
                    "description": format!("{} package names to install, sorted.", self.manager.name),
                },
            },
            "required": ["language", "packages"],
        });
        vec![ToolSpec {
            name: TOOL_NAME,
            title: "Detect packages",
            description: format!(
                "Lists the third-party packages that {} code imports, as {} package names ready to install: \
                 standard library and built-in modules excluded, relative imports ignored, import names \
                 mapped to package names. Sorted, without duplicates.",
                language.name, self.manager.name
            ),
            input_schema: input_schema.to_string(),
            output_schema: output_schema.to_string(),
            annotations: Annotations {
                read_only: true,
                destructive: false,
                idempotent: true,
                open_world: false,
            },
        }]
    }

    /// Calls tool `name` with `arguments` (a JSON object as text):
    /// `not-found` for any tool this pack does not offer, `invalid-params` for
    /// bad arguments or an unsupported language.
    pub fn call_tool(&self, name: &str, arguments: &str) -> Result<ToolOutput, Fail> {
        let Some(language) = self.language.as_ref().filter(|_| name == TOOL_NAME) else {
            return Err(Fail::NotFound(format!(
                "the {} pack has no tool {name:?}",
                self.name
            )));
        };
        let args = DetectArgs::parse(arguments)?;
        let language = match &args.language {
            Some(requested) => self.resolve_language(requested, "detects")?,
            None => language,
        };
        let packages = self.detect(language.name, &args.code)?;
        let text = if packages.is_empty() {
            "No third-party packages detected.".to_string()
        } else {
            format!("Packages to install: {}", packages.join(", "))
        };
        let structured = json!({ "language": language.name, "packages": packages }).to_string();
        Ok(ToolOutput { text, structured })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toy::{LANG, OS};
    use serde_json::Value;

    #[test]
    fn language_pack_offers_detect_packages_with_valid_schemas() {
        let tools = LANG.tools();
        assert_eq!(tools.len(), 1);
        let tool = &tools[0];
        assert_eq!(tool.name, "detect_packages");
        let input: Value = serde_json::from_str(&tool.input_schema).unwrap();
        assert_eq!(input["type"], "object");
        assert_eq!(input["required"], json!(["code"]));
        assert_eq!(input["properties"]["code"]["type"], "string");
        assert_eq!(input["properties"]["language"]["type"], "string");
        assert!(
            input["properties"]["language"]["description"]
                .as_str()
                .unwrap()
                .contains("toylang, tl")
        );
        let output: Value = serde_json::from_str(&tool.output_schema).unwrap();
        assert_eq!(output["properties"]["packages"]["items"]["type"], "string");
        assert_eq!(output["required"], json!(["language", "packages"]));
        assert!(tool.annotations.read_only && !tool.annotations.open_world);
    }

    #[test]
    fn os_pack_offers_no_tools() {
        assert!(OS.tools().is_empty());
        assert!(matches!(
            OS.call_tool(TOOL_NAME, r#"{"code":""}"#),
            Err(Fail::NotFound(_))
        ));
    }

    #[test]
    fn unknown_tool_is_not_found() {
        assert!(
            matches!(LANG.call_tool("run", r#"{"code":""}"#), Err(Fail::NotFound(m)) if m.contains("\"run\""))
        );
    }

    #[test]
    fn result_lists_packages_in_text_and_structure() {
        let out = LANG.call_tool(TOOL_NAME, r#"{"code":"b a b"}"#).unwrap();
        assert_eq!(out.text, "Packages to install: a, b");
        let structured: Value = serde_json::from_str(&out.structured).unwrap();
        assert_eq!(
            structured,
            json!({"language": "toylang", "packages": ["a", "b"]})
        );
    }

    #[test]
    fn result_says_when_nothing_was_found() {
        let out = LANG.call_tool(TOOL_NAME, r#"{"code":"  "}"#).unwrap();
        assert_eq!(out.text, "No third-party packages detected.");
        let structured: Value = serde_json::from_str(&out.structured).unwrap();
        assert_eq!(structured["packages"], json!([]));
    }

    #[test]
    fn language_argument_resolves_aliases_to_the_canonical_name() {
        let out = LANG
            .call_tool(TOOL_NAME, r#"{"code":"a","language":"TL"}"#)
            .unwrap();
        let structured: Value = serde_json::from_str(&out.structured).unwrap();
        assert_eq!(structured["language"], "toylang");
    }

    #[test]
    fn bad_arguments_and_languages_are_invalid_params() {
        assert!(matches!(
            LANG.call_tool(TOOL_NAME, "{}"),
            Err(Fail::InvalidParams(_))
        ));
        let result = LANG.call_tool(TOOL_NAME, r#"{"code":"a","language":"ruby"}"#);
        assert!(matches!(result, Err(Fail::InvalidParams(m)) if m.contains("unknown language")));
    }
}
