//! Argument completion for the prompts and the resource template.

use crate::Conformance;
use crate::exports::portcullis::plugin::completions::{Completion, Guest, Reference};
use crate::portcullis::plugin::types::Failure;

/// Candidates for the arguments of `test_prompt_with_arguments`.
const PROMPT_ARGS: &[&str] = &["testValue1", "testValue2", "paris", "park", "party"];
/// Candidates for `resourceUri` of `test_prompt_with_embedded_resource`.
const RESOURCE_URIS: &[&str] =
    &["test://example-resource", "test://static-text", "test://static-binary", "test://watched-resource"];
/// Candidates for `{id}` of `test://template/{id}/data`.
const TEMPLATE_IDS: &[&str] = &["1", "2", "3", "123"];

impl Guest for Conformance {
    fn complete(
        reference: Reference,
        argument: String,
        value: String,
        _context: Vec<(String, String)>,
    ) -> Result<Completion, Failure> {
        let candidates: &[&str] = match (&reference, argument.as_str()) {
            (Reference::Prompt(p), "arg1" | "arg2") if p == "test_prompt_with_arguments" => PROMPT_ARGS,
            (Reference::Prompt(p), "resourceUri") if p == "test_prompt_with_embedded_resource" => RESOURCE_URIS,
            (Reference::ResourceTemplate(t), "id") if t == "test://template/{id}/data" => TEMPLATE_IDS,
            (Reference::Prompt(p), _) => {
                return Err(Failure::NotFound(format!("argument `{argument}` of prompt `{p}`")));
            }
            (Reference::ResourceTemplate(t), _) => {
                return Err(Failure::NotFound(format!("variable `{argument}` of template `{t}`")));
            }
        };
        let values: Vec<String> =
            candidates.iter().filter(|c| c.starts_with(value.as_str())).map(|c| (*c).to_string()).collect();
        Ok(Completion { total: u32::try_from(values.len()).ok(), values, has_more: false })
    }
}
