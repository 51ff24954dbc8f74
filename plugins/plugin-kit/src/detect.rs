//! The `detect_packages` tool that every pack running a language offers.

use crate::args::Args;
use crate::fail::Fail;
use crate::spec::{LanguageSpec, PackSpec};
use crate::tool::{Annotations, Outcome, TaskSupport, ToolSpec};
use serde_json::{Value, json};

/// The name of the one tool a language pack offers.
pub const TOOL_NAME: &str = "detect_packages";

impl PackSpec {
    /// The tools this pack offers: `detect_packages` when it runs a
    /// language, none otherwise.
    pub fn tools(&self) -> Vec<ToolSpec> {
        let Some(language) = &self.language else {
            return Vec::new();
        };
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
            input_schema: input_schema(language),
            output_schema: Some(output_schema),
            annotations: Annotations { read_only: true, destructive: false, idempotent: true, open_world: Some(false) },
            task_support: TaskSupport::Forbidden,
        }]
    }

    /// Calls tool `name` with `arguments` (a JSON object as text):
    /// `not-found` for any tool this pack does not offer, `invalid-params` for
    /// bad arguments or an unsupported language.
    pub fn call_tool(&self, name: &str, arguments: &str) -> Result<Outcome, Fail> {
        let Some(language) = self.language.as_ref().filter(|_| name == TOOL_NAME) else {
            return Err(Fail::NotFound(format!("the {} pack has no tool {name:?}", self.name)));
        };
        let args = Args::parse(arguments, &input_schema(language))?;
        let code = args.required_string("code", "the source code to scan")?;
        let language = match args.string("language")? {
            Some(requested) => self.resolve_language(&requested, "detects")?,
            None => language,
        };
        let packages = self.detect(language.name, &code)?;
        let text = if packages.is_empty() {
            "No third-party packages detected.".to_string()
        } else {
            format!("Packages to install: {}", packages.join(", "))
        };
        Ok(Outcome::ok(text, json!({ "language": language.name, "packages": packages })))
    }
}

/// The arguments `detect_packages` takes for a pack running `language`.
fn input_schema(language: &LanguageSpec) -> Value {
    let mut accepted = vec![language.name];
    accepted.extend(language.aliases);
    json!({
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
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::invalid;
    use crate::toy::{LANG, OS};

    #[test]
    fn language_pack_offers_detect_packages_with_valid_schemas() {
        let tools = LANG.tools();
        assert_eq!(tools.len(), 1);
        let tool = &tools[0];
        assert_eq!(tool.name, "detect_packages");
        let input = &tool.input_schema;
        assert_eq!(input["type"], "object");
        assert_eq!(input["required"], json!(["code"]));
        assert_eq!(input["properties"]["code"]["type"], "string");
        assert_eq!(input["properties"]["language"]["type"], "string");
        assert!(input["properties"]["language"]["description"].as_str().unwrap().contains("toylang, tl"));
        let output = tool.output_schema.as_ref().unwrap();
        assert_eq!(output["properties"]["packages"]["items"]["type"], "string");
        assert_eq!(output["required"], json!(["language", "packages"]));
        assert!(tool.annotations.read_only && tool.annotations.open_world == Some(false));
    }

    #[test]
    fn os_pack_offers_no_tools() {
        assert!(OS.tools().is_empty());
        assert!(matches!(OS.call_tool(TOOL_NAME, r#"{"code":""}"#), Err(Fail::NotFound(_))));
    }

    #[test]
    fn unknown_tool_is_not_found() {
        assert!(matches!(LANG.call_tool("run", r#"{"code":""}"#), Err(Fail::NotFound(m)) if m.contains("\"run\"")));
    }

    #[test]
    fn result_lists_packages_in_text_and_structure() {
        let out = LANG.call_tool(TOOL_NAME, r#"{"code":"b a b"}"#).unwrap();
        assert_eq!(out.text(), "Packages to install: a, b");
        assert_eq!(out.structured, Some(json!({"language": "toylang", "packages": ["a", "b"]})));
    }

    #[test]
    fn result_says_when_nothing_was_found() {
        let out = LANG.call_tool(TOOL_NAME, r#"{"code":"  "}"#).unwrap();
        assert_eq!(out.text(), "No third-party packages detected.");
        assert_eq!(out.structured.unwrap()["packages"], json!([]));
    }

    #[test]
    fn language_argument_resolves_aliases_to_the_canonical_name() {
        let out = LANG.call_tool(TOOL_NAME, r#"{"code":"a","language":"TL"}"#).unwrap();
        assert_eq!(out.structured.unwrap()["language"], "toylang");
    }

    #[test]
    fn bad_arguments_and_languages_are_invalid_params() {
        assert_eq!(invalid(LANG.call_tool(TOOL_NAME, "{}")), "`code` is required: the source code to scan");
        assert_eq!(invalid(LANG.call_tool(TOOL_NAME, r#"{"code":5}"#)), "`code` must be a string, not a number");
        assert!(
            invalid(LANG.call_tool(TOOL_NAME, r#"{"code":"","extra":1}"#)).starts_with("unknown parameter `extra`")
        );
        assert!(invalid(LANG.call_tool(TOOL_NAME, "not json")).contains("not valid JSON"));
        let result = LANG.call_tool(TOOL_NAME, r#"{"code":"a","language":"ruby"}"#);
        assert!(matches!(result, Err(Fail::InvalidParams(m)) if m.contains("unknown language")));
    }
}
