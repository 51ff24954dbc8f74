//! The REST plane's OpenAPI 3.1 document, generated from MCP tool
//! descriptors: one `POST /rest/tools/{name}` operation per tool, its request
//! body the tool's input schema and its result's `structuredContent` the
//! tool's output schema when it declares one.
//!
//! The document is made to be imported as a custom GPT Action: operation ids
//! match `^[a-zA-Z0-9_-]+$` and fit in 64 characters, descriptions in 300, a
//! read-only tool is marked as not consequential, and a schema's `$defs`
//! (which would resolve against the document's root) move to
//! `components/schemas` with their references rewritten.

use std::collections::{BTreeMap, BTreeSet};

use rmcp::model::{JsonObject, Tool};
use serde_json::{Map, Value, json};

/// The longest operation id GPT Actions accept.
pub const MAX_OPERATION_ID: usize = 64;

/// The longest operation description GPT Actions accept.
const MAX_DESCRIPTION: usize = 300;

/// The path of the operation that calls tool `name`.
pub fn tool_path(name: &str) -> String {
    format!("/rest/tools/{}", percent_encoded(name))
}

/// The operation id of each tool name, unique among them and valid for GPT
/// Actions. A name that is already a valid id keeps it; the others have each
/// character outside `[a-zA-Z0-9_-]` replaced by `_`, are cut to
/// [`MAX_OPERATION_ID`], and get a `_2`, `_3`, … suffix while the id is
/// taken. Names are handled in the order given (callers pass them sorted),
/// so the ids are deterministic; callers pass every tool of the registry, so
/// a tool's id does not depend on who asks for the document.
pub fn operation_ids<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    let names: Vec<&str> = names.into_iter().collect();
    let mut ids = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for name in names.iter().filter(|n| is_valid_id(n)) {
        taken.insert(name.to_string());
        ids.insert(name.to_string(), name.to_string());
    }
    for name in names.iter().filter(|n| !is_valid_id(n)) {
        let id = unused(&sanitised(name), &taken);
        taken.insert(id.clone());
        ids.insert(name.to_string(), id);
    }
    ids
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_valid_id(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_OPERATION_ID && name.chars().all(is_id_char)
}

/// `name` with every character outside the id alphabet as `_` (so ASCII),
/// at most [`MAX_OPERATION_ID`] long, never empty.
fn sanitised(name: &str) -> String {
    let mut id: String = name.chars().map(|c| if is_id_char(c) { c } else { '_' }).collect();
    id.truncate(MAX_OPERATION_ID);
    if id.is_empty() { "tool".into() } else { id }
}

/// `base` if it is not taken, else `base` (shortened to fit) with the first
/// free `_<n>` suffix.
fn unused(base: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2u32..)
        .map(|n| {
            let suffix = format!("_{n}");
            let keep = base.len().min(MAX_OPERATION_ID - suffix.len());
            format!("{}{suffix}", &base[..keep])
        })
        .find(|id| !taken.contains(id))
        .expect("there are more suffixes than tools")
}

/// `name` as a path segment: bytes outside RFC 3986's unreserved set are
/// percent-encoded.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The document for `tools` (those the reader may see), with operation ids
/// from `ids` (see [`operation_ids`]; a tool missing there is left out) and,
/// when `bearer`, a bearer security scheme that every operation requires.
/// `servers` is left for the caller, who knows the URL the reader used.
pub fn document(tools: &[Tool], ids: &BTreeMap<String, String>, bearer: bool) -> Value {
    let mut schemas = Map::new();
    schemas.insert("Content".into(), content_schema());
    schemas.insert("Error".into(), error_schema());
    let mut paths = Map::new();
    for tool in tools {
        let Some(id) = ids.get(tool.name.as_ref()) else { continue };
        let operation = operation(tool, id, &mut schemas);
        paths.insert(tool_path(&tool.name), json!({ "post": operation }));
    }
    let mut components = Map::new();
    components.insert("schemas".into(), schemas.into());
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Portcullis tools",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The tools of a Portcullis MCP host, each callable with a POST of its arguments as a JSON object. \
                            A tool's failure is a 422 answer whose error_description says what went wrong.",
        },
        "paths": paths,
    });
    if bearer {
        components.insert("securitySchemes".into(), json!({ "bearer": { "type": "http", "scheme": "bearer" } }));
        document["security"] = json!([{ "bearer": [] }]);
    }
    document["components"] = components.into();
    document
}

/// The operation that calls `tool`; schemas its own schemas define go into
/// `schemas`.
fn operation(tool: &Tool, id: &str, schemas: &mut Map<String, Value>) -> Value {
    let mut input = hoisted(&tool.input_schema, &format!("{id}.input"), schemas);
    if input.get("type").and_then(Value::as_str) == Some("object") && input.get("properties").is_none() {
        // GPT Actions refuse an object schema without properties.
        input["properties"] = json!({});
    }
    let mut result = json!({
        "type": "object",
        "properties": { "content": { "type": "array", "items": { "$ref": "#/components/schemas/Content" } } },
        "required": ["content"],
    });
    if let Some(output) = &tool.output_schema {
        result["properties"]["structuredContent"] = hoisted(output, &format!("{id}.output"), schemas);
    }
    let summary = tool.title.clone().or_else(|| tool.annotations.as_ref().and_then(|a| a.title.clone()));
    let error = |why: &str| json!({ "description": why, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut operation = json!({
        "operationId": id,
        "summary": summary.unwrap_or_else(|| tool.name.to_string()),
        "description": shortened(tool.description.as_deref().unwrap_or_default(), MAX_DESCRIPTION),
        "requestBody": { "required": true, "content": { "application/json": { "schema": input } } },
        "responses": {
            "200": {
                "description": "The tool's result: its content and, if it has one, its structured content",
                "content": { "application/json": { "schema": result } },
            },
            "400": error("The body is not a JSON object"),
            "401": error("Missing or wrong credentials"),
            "404": error("No such tool (or not for this caller)"),
            "413": error("The body is too large"),
            "422": error("The tool failed; error_description says why"),
            "429": error("Too many requests; retry after Retry-After seconds"),
        },
    });
    if let Some(read_only) = tool.annotations.as_ref().and_then(|a| a.read_only_hint) {
        operation["x-openai-isConsequential"] = (!read_only).into();
    }
    operation
}

/// `schema` ready to embed: without `$schema` (the document's dialect
/// applies), its `$defs` and `definitions` moved into `schemas` under
/// `<prefix>.<name>`, and references to them rewritten to match.
fn hoisted(schema: &JsonObject, prefix: &str, schemas: &mut Map<String, Value>) -> Value {
    let mut schema = schema.clone();
    schema.remove("$schema");
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(definitions)) = schema.remove(key) {
            for (name, mut definition) in definitions {
                rewrite_refs(&mut definition, prefix);
                schemas.insert(format!("{prefix}.{}", sanitised(&name)), definition);
            }
        }
    }
    let mut schema = Value::Object(schema);
    rewrite_refs(&mut schema, prefix);
    schema
}

/// Points every `#/$defs/<name>…` and `#/definitions/<name>…` reference in
/// `value` at the hoisted `#/components/schemas/<prefix>.<name>…`.
fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                let local = reference.strip_prefix("#/$defs/").or_else(|| reference.strip_prefix("#/definitions/"));
                if let Some(local) = local {
                    let (name, rest) = local.split_once('/').unwrap_or((local, ""));
                    let slash = if rest.is_empty() { "" } else { "/" };
                    *reference = format!("#/components/schemas/{prefix}.{}{slash}{rest}", sanitised(name));
                }
            }
            map.values_mut().for_each(|v| rewrite_refs(v, prefix));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, prefix)),
        _ => {}
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max - 1) {
        Some((end, _)) if text.chars().count() > max => format!("{}…", &text[..end]),
        _ => text.to_string(),
    }
}

/// An MCP content block, as results carry them.
fn content_schema() -> Value {
    json!({
        "type": "object",
        "description": "An MCP content block: `text` for type `text`; `data` and `mimeType` for `image` and `audio`; `resource` for embedded resources",
        "properties": {
            "type": { "type": "string", "enum": ["text", "image", "audio", "resource", "resource_link"] },
            "text": { "type": "string" },
            "data": { "type": "string" },
            "mimeType": { "type": "string" },
            "resource": { "type": "object" },
        },
        "required": ["type"],
    })
}

/// The body of every refusal and tool error.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "error": { "type": "string", "description": "A short code: tool_error, not_found, invalid_request, unauthorized, …" },
            "error_description": { "type": "string", "description": "What went wrong, in words" },
            "content": { "type": "array", "items": { "$ref": "#/components/schemas/Content" }, "description": "A tool error's content" },
        },
        "required": ["error", "error_description"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, input: Value, output: Option<Value>) -> Tool {
        let mut wire = json!({ "name": name, "description": format!("the {name} tool"), "inputSchema": input });
        if let Some(output) = output {
            wire["outputSchema"] = output;
        }
        serde_json::from_value(wire).unwrap()
    }

    #[test]
    fn valid_names_keep_their_id_and_the_others_are_sanitised() {
        let ids = operation_ids(["hello", "git__status", "web.fetch", "a b/c", "dé", ""]);
        assert_eq!(ids["hello"], "hello");
        assert_eq!(ids["git__status"], "git__status");
        assert_eq!(ids["web.fetch"], "web_fetch");
        assert_eq!(ids["a b/c"], "a_b_c");
        assert_eq!(ids["dé"], "d_");
        assert_eq!(ids[""], "tool");
        let pattern = |id: &str| !id.is_empty() && id.len() <= MAX_OPERATION_ID && id.chars().all(is_id_char);
        assert!(ids.values().all(|id| pattern(id)), "{ids:?}");
    }

    #[test]
    fn ids_are_unique_and_a_valid_name_is_never_displaced() {
        // Sorted, `a.b` comes before `a_b`; the valid `a_b` still keeps its own id.
        let ids = operation_ids(["a.b", "a/b", "a_b", "a_b_2"]);
        assert_eq!(ids["a_b"], "a_b");
        assert_eq!(ids["a_b_2"], "a_b_2");
        assert_eq!(ids["a.b"], "a_b_3");
        assert_eq!(ids["a/b"], "a_b_4");
        assert_eq!(ids.values().collect::<BTreeSet<_>>().len(), ids.len());
    }

    #[test]
    fn long_names_are_cut_to_64_and_stay_unique() {
        let long = "x".repeat(100);
        let (a, b) = (format!("{long}.a"), format!("{long}.b"));
        let ids = operation_ids([a.as_str(), b.as_str()]);
        assert_eq!(ids[&a], "x".repeat(64));
        assert_eq!(ids[&b], format!("{}_2", "x".repeat(62)));
        assert!(ids.values().all(|id| id.len() <= MAX_OPERATION_ID));
    }

    #[test]
    fn paths_percent_encode_what_is_not_unreserved() {
        assert_eq!(tool_path("git__status"), "/rest/tools/git__status");
        assert_eq!(tool_path("a b/é"), "/rest/tools/a%20b%2F%C3%A9");
    }

    #[test]
    fn the_document_carries_each_tools_schemas_and_hoists_their_definitions() {
        let input = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": { "where": { "$ref": "#/$defs/Place" } },
            "$defs": { "Place": { "type": "object", "properties": { "near": { "$ref": "#/$defs/Place" } } } },
        });
        let output = json!({ "type": "object", "properties": { "greeting": { "type": "string" } } });
        let tools = [tool("web.fetch", input, None), tool("hello", json!({ "type": "object" }), Some(output))];
        let ids = operation_ids(tools.iter().map(|t| t.name.as_ref()));
        let doc = document(&tools, &ids, true);
        assert_eq!(doc["openapi"], "3.1.0");
        let fetch = &doc["paths"]["/rest/tools/web.fetch"]["post"];
        assert_eq!(fetch["operationId"], "web_fetch");
        let schema = &fetch["requestBody"]["content"]["application/json"]["schema"];
        assert!(schema.get("$schema").is_none() && schema.get("$defs").is_none(), "{schema}");
        assert_eq!(schema["properties"]["where"]["$ref"], "#/components/schemas/web_fetch.input.Place");
        let place = &doc["components"]["schemas"]["web_fetch.input.Place"];
        assert_eq!(place["properties"]["near"]["$ref"], "#/components/schemas/web_fetch.input.Place");
        let hello = &doc["paths"]["/rest/tools/hello"]["post"];
        assert_eq!(hello["requestBody"]["content"]["application/json"]["schema"]["properties"], json!({}));
        let result = &hello["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(result["properties"]["structuredContent"]["properties"]["greeting"]["type"], "string");
        assert_eq!(doc["security"], json!([{ "bearer": [] }]));
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert!(document(&tools, &ids, false).get("security").is_none());
    }

    #[test]
    fn descriptions_are_cut_to_300_characters() {
        assert_eq!(shortened("short", 300), "short");
        let cut = shortened(&"é".repeat(400), 300);
        assert_eq!(cut.chars().count(), 300);
        assert!(cut.ends_with('…'));
    }
}
