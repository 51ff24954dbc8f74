//! What an upstream server says on the wire (rmcp's types, as their JSON),
//! in the contract's types that every provider answers with. Fields the
//! contract has no place for (icons, `_meta`) are dropped.

use serde::Serialize;
use serde_json::Value;

use crate::wit::wire::{content_from_wire, resource_contents_from_wire};
use crate::wit::{completions, prompts, resources, tools, types};

/// The wire JSON of an rmcp value.
fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn string(value: &Value, key: &str) -> String {
    text(value, key).unwrap_or_default()
}

/// A tool descriptor.
pub fn tool(tool: &rmcp::model::Tool) -> tools::Tool {
    let wire = json(tool);
    let hints = wire.get("annotations");
    let hint = |key: &str| hints.and_then(|h| h.get(key)).and_then(Value::as_bool);
    tools::Tool {
        name: string(&wire, "name"),
        title: text(&wire, "title").or_else(|| hints.and_then(|h| text(h, "title"))),
        description: string(&wire, "description"),
        input_schema: wire.get("inputSchema").map_or_else(|| "{\"type\":\"object\"}".into(), Value::to_string),
        output_schema: wire.get("outputSchema").map(Value::to_string),
        annotations: hints.map(|_| tools::Annotations {
            read_only: hint("readOnlyHint"),
            destructive: hint("destructiveHint"),
            idempotent: hint("idempotentHint"),
            open_world: hint("openWorldHint"),
        }),
        // Upstream connections speak the `initialize` era, which has no
        // SEP-2663 tasks; so a call the upstream takes long over becomes a
        // task of this host (`tasks.detach_after_ms`), the upstream seeing an
        // ordinary request that runs on.
        task_support: tools::TaskSupport::Optional,
    }
}

/// A concrete resource descriptor.
pub fn resource(resource: &rmcp::model::Resource) -> resources::Resource {
    let wire = json(resource);
    resources::Resource {
        uri: string(&wire, "uri"),
        name: string(&wire, "name"),
        title: text(&wire, "title"),
        description: text(&wire, "description"),
        mime_type: text(&wire, "mimeType"),
        size: wire.get("size").and_then(Value::as_u64),
    }
}

/// A resource template descriptor.
pub fn resource_template(template: &rmcp::model::ResourceTemplate) -> resources::ResourceTemplate {
    let wire = json(template);
    resources::ResourceTemplate {
        uri_template: string(&wire, "uriTemplate"),
        name: string(&wire, "name"),
        title: text(&wire, "title"),
        description: text(&wire, "description"),
        mime_type: text(&wire, "mimeType"),
    }
}

/// A resource read's contents.
pub fn read_result(result: &rmcp::model::ReadResourceResult) -> Result<Vec<types::ResourceContents>, String> {
    let wire = json(result);
    let contents = wire.get("contents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    contents.iter().map(resource_contents_from_wire).collect()
}

/// A prompt descriptor.
pub fn prompt(prompt: &rmcp::model::Prompt) -> prompts::Prompt {
    let wire = json(prompt);
    let arguments = wire.get("arguments").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    prompts::Prompt {
        name: string(&wire, "name"),
        title: text(&wire, "title"),
        description: text(&wire, "description"),
        arguments: arguments
            .iter()
            .map(|a| prompts::PromptArgument {
                name: string(a, "name"),
                description: text(a, "description"),
                required: a.get("required").and_then(Value::as_bool).unwrap_or(false),
            })
            .collect(),
    }
}

/// The role of a wire message: `assistant`, or else `user`.
pub fn role(message: &Value) -> types::Role {
    match message.get("role").and_then(Value::as_str) {
        Some("assistant") => types::Role::Assistant,
        _ => types::Role::User,
    }
}

/// A rendered prompt.
pub fn prompt_result(result: &rmcp::model::GetPromptResult) -> Result<prompts::PromptResult, String> {
    let wire = json(result);
    let messages = wire.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let message = |m: &Value| {
        Ok::<_, String>(prompts::PromptMessage {
            role: role(m),
            content: content_from_wire(m.get("content").unwrap_or(&Value::Null))?,
        })
    };
    Ok(prompts::PromptResult {
        description: text(&wire, "description"),
        messages: messages.iter().map(message).collect::<Result<_, _>>()?,
    })
}

/// A completion.
pub fn completion(result: &rmcp::model::CompleteResult) -> completions::Completion {
    let wire = json(result);
    let completion = wire.get("completion").cloned().unwrap_or(Value::Null);
    let values = completion.get("values").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    completions::Completion {
        values: values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        total: completion.get("total").and_then(Value::as_u64).and_then(|t| u32::try_from(t).ok()),
        has_more: completion.get("hasMore").and_then(Value::as_bool).unwrap_or(false),
    }
}
