//! Conversions between the plugin contract's types and MCP's wire types.
//!
//! MCP types are built from their JSON wire form: rmcp's model structs are
//! `#[non_exhaustive]`, and the wire form is the contract both sides share.

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResult, CompleteResult, ContentBlock, CreateMessageRequestParams, ElicitRequestParams, GetPromptResult,
    Prompt, ReadResourceResult, Resource, ResourceContents, ResourceTemplate, Tool,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::plugins::PluginFault;
use crate::wit::wire::{content_from_wire, content_json, resource_contents_json};
use crate::wit::{client, completions, prompts, resources, tools, types};

/// Builds an MCP type from its wire JSON; a failure is the plugin's fault.
fn wire<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, ErrorData> {
    serde_json::from_value(value)
        .map_err(|e| ErrorData::internal_error(format!("the plugin produced an invalid {what}: {e}"), None))
}

/// A result object marked `"resultType": "complete"`, as 2026-07-28 requires
/// (rmcp strips the marker for peers of earlier revisions).
fn complete() -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("resultType".into(), "complete".into());
    map
}

/// Inserts `value` under `key` when it is present.
fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(key.into(), value.into());
    }
}

fn parse_object(text: &str, what: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(format!("{what} is not a JSON object")),
        Err(e) => Err(format!("{what} is not valid JSON: {e}")),
    }
}

/// An MCP tool descriptor under its public name. Fails if the plugin's schema is not a JSON object.
pub fn tool(public_name: &str, tool: &tools::Tool) -> Result<Tool, String> {
    let mut map = Map::new();
    map.insert("name".into(), public_name.into());
    map.insert("description".into(), tool.description.clone().into());
    map.insert("inputSchema".into(), parse_object(&tool.input_schema, "inputSchema")?);
    put(&mut map, "title", tool.title.clone());
    if let Some(schema) = &tool.output_schema {
        map.insert("outputSchema".into(), parse_object(schema, "outputSchema")?);
    }
    if let Some(a) = &tool.annotations {
        let mut hints = Map::new();
        put(&mut hints, "title", tool.title.clone());
        put(&mut hints, "readOnlyHint", a.read_only);
        put(&mut hints, "destructiveHint", a.destructive);
        put(&mut hints, "idempotentHint", a.idempotent);
        put(&mut hints, "openWorldHint", a.open_world);
        map.insert("annotations".into(), hints.into());
    }
    serde_json::from_value(map.into()).map_err(|e| e.to_string())
}

/// A tool result. Structured content must be valid JSON.
pub fn call_result(result: tools::CallResult) -> Result<CallToolResult, ErrorData> {
    let content: Vec<Value> = result.content.iter().map(content_json).collect();
    let mut map = complete();
    map.insert("content".into(), content.into());
    map.insert("isError".into(), result.is_error.into());
    if let Some(text) = &result.structured_content {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            ErrorData::internal_error(format!("the plugin's structured content is not valid JSON: {e}"), None)
        })?;
        map.insert("structuredContent".into(), value);
    }
    wire(map.into(), "tool result")
}

/// A tool result that tells the model the call failed and why.
pub fn tool_error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// An MCP resource descriptor.
pub fn resource(r: &resources::Resource) -> Result<Resource, ErrorData> {
    let mut map = Map::new();
    map.insert("uri".into(), r.uri.clone().into());
    map.insert("name".into(), r.name.clone().into());
    put(&mut map, "title", r.title.clone());
    put(&mut map, "description", r.description.clone());
    put(&mut map, "mimeType", r.mime_type.clone());
    put(&mut map, "size", r.size);
    wire(map.into(), "resource")
}

/// An MCP resource template.
pub fn resource_template(t: &resources::ResourceTemplate) -> Result<ResourceTemplate, ErrorData> {
    let mut map = Map::new();
    map.insert("uriTemplate".into(), t.uri_template.clone().into());
    map.insert("name".into(), t.name.clone().into());
    put(&mut map, "title", t.title.clone());
    put(&mut map, "description", t.description.clone());
    put(&mut map, "mimeType", t.mime_type.clone());
    wire(map.into(), "resource template")
}

/// The result of a resource read.
pub fn read_result(contents: &[types::ResourceContents]) -> Result<ReadResourceResult, ErrorData> {
    let contents: Vec<ResourceContents> =
        contents.iter().map(|c| wire(resource_contents_json(c), "resource contents")).collect::<Result<_, _>>()?;
    Ok(ReadResourceResult::new(contents))
}

/// An MCP prompt descriptor under its public name.
pub fn prompt(public_name: &str, p: &prompts::Prompt) -> Result<Prompt, ErrorData> {
    let arguments: Vec<Value> = p
        .arguments
        .iter()
        .map(|a| {
            let mut map = Map::new();
            map.insert("name".into(), a.name.clone().into());
            put(&mut map, "description", a.description.clone());
            map.insert("required".into(), a.required.into());
            Value::Object(map)
        })
        .collect();
    let mut map = Map::new();
    map.insert("name".into(), public_name.into());
    put(&mut map, "title", p.title.clone());
    put(&mut map, "description", p.description.clone());
    map.insert("arguments".into(), arguments.into());
    wire(map.into(), "prompt")
}

fn role(role: types::Role) -> &'static str {
    match role {
        types::Role::User => "user",
        types::Role::Assistant => "assistant",
    }
}

/// A rendered prompt.
pub fn prompt_result(result: &prompts::PromptResult) -> Result<GetPromptResult, ErrorData> {
    let messages: Vec<Value> =
        result.messages.iter().map(|m| json!({"role": role(m.role), "content": content_json(&m.content)})).collect();
    let mut map = complete();
    map.insert("messages".into(), messages.into());
    put(&mut map, "description", result.description.clone());
    wire(map.into(), "prompt result")
}

/// Completion values.
pub fn completion(c: &completions::Completion) -> Result<CompleteResult, ErrorData> {
    let mut values = c.values.clone();
    values.truncate(100);
    let mut inner = Map::new();
    inner.insert("values".into(), values.into());
    put(&mut inner, "total", c.total);
    inner.insert("hasMore".into(), c.has_more.into());
    let mut map = complete();
    map.insert("completion".into(), inner.into());
    wire(map.into(), "completion")
}

/// The MCP error for a plugin's failure to serve a request.
pub fn failure(failure: types::Failure) -> ErrorData {
    match failure {
        types::Failure::NotFound(what) => ErrorData::invalid_params(format!("not found: {what}"), None),
        types::Failure::InvalidParams(why) => ErrorData::invalid_params(why, None),
        types::Failure::Denied(why) => ErrorData::invalid_request(format!("denied: {why}"), None),
        types::Failure::Failed(why) => ErrorData::internal_error(why, None),
    }
}

/// The MCP error for a plugin fault outside a tool call (where faults are tool errors).
pub fn fault(fault: PluginFault) -> ErrorData {
    ErrorData::internal_error(fault.to_string(), None)
}

/// The wire params of an elicitation request in form mode; the schema is passed verbatim.
pub fn elicit_wire(request: &client::ElicitRequest) -> Result<Value, String> {
    let schema = parse_object(&request.requested_schema, "requested-schema")?;
    Ok(json!({"mode": "form", "message": request.message, "requestedSchema": schema}))
}

/// An elicitation request for a session's peer.
pub fn elicit_params(request: &client::ElicitRequest) -> Result<ElicitRequestParams, String> {
    serde_json::from_value(elicit_wire(request)?)
        .map_err(|e| format!("requested-schema is not an elicitation schema: {e}"))
}

/// The wire params of a sampling request.
pub fn sampling_wire(request: &client::SamplingRequest) -> Value {
    let messages: Vec<Value> =
        request.messages.iter().map(|m| json!({"role": role(m.role), "content": content_json(&m.content)})).collect();
    let mut map = Map::new();
    map.insert("messages".into(), messages.into());
    map.insert("maxTokens".into(), request.max_tokens.into());
    put(&mut map, "systemPrompt", request.system_prompt.clone());
    map.into()
}

/// A sampling request for a session's peer.
pub fn sampling_params(request: &client::SamplingRequest) -> Result<CreateMessageRequestParams, String> {
    serde_json::from_value(sampling_wire(request)).map_err(|e| format!("invalid sampling request: {e}"))
}

/// The client's roots, from its wire answer (`ListRootsResult`).
pub fn roots(result: &Value) -> Result<Vec<client::Root>, String> {
    let roots = result.get("roots").and_then(Value::as_array).ok_or("the client's roots answer has no `roots` list")?;
    roots
        .iter()
        .map(|r| {
            let uri = r.get("uri").and_then(Value::as_str).ok_or("a root has no `uri`")?;
            Ok(client::Root { uri: uri.to_string(), name: r.get("name").and_then(Value::as_str).map(str::to_string) })
        })
        .collect()
}

/// The user's answer to an elicitation, from its wire JSON (`ElicitResult`).
pub fn elicit_response(result: &Value) -> Result<client::ElicitResponse, String> {
    match result.get("action").and_then(Value::as_str) {
        Some("accept") => {
            Ok(client::ElicitResponse::Accept(result.get("content").cloned().unwrap_or_else(|| json!({})).to_string()))
        }
        Some("decline") => Ok(client::ElicitResponse::Decline),
        Some("cancel") => Ok(client::ElicitResponse::Cancel),
        _ => Err(format!("the client's elicitation answer has no valid action: {result}")),
    }
}

/// The model's answer to a sampling request, from its wire JSON (`CreateMessageResult`).
pub fn sampling_response(result: &Value) -> Result<client::SamplingResponse, String> {
    if !result.is_object() || result.get("content").is_none() {
        return Err(format!("the client's sampling answer has no content: {result}"));
    }
    let role = match result["role"].as_str() {
        Some("user") => types::Role::User,
        _ => types::Role::Assistant,
    };
    // The content may be one block or (with tools) a list; the first block is the answer.
    let content = match &result["content"] {
        Value::Array(blocks) => blocks.first().cloned().unwrap_or(Value::Null),
        block => block.clone(),
    };
    Ok(client::SamplingResponse {
        message: client::SamplingMessage { role, content: content_from_wire(&content)? },
        model: result["model"].as_str().unwrap_or_default().to_string(),
        stop_reason: result["stopReason"].as_str().map(str::to_string),
    })
}

/// Prompt or completion arguments as (name, value) pairs; non-string values as JSON text.
pub fn string_pairs(map: Option<&Map<String, Value>>) -> Vec<(String, String)> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool_of(schema: &str) -> tools::Tool {
        tools::Tool {
            name: "echo".into(),
            title: Some("Echo".into()),
            description: "Says it back.".into(),
            input_schema: schema.into(),
            output_schema: None,
            annotations: Some(tools::Annotations {
                read_only: Some(true),
                destructive: None,
                idempotent: Some(true),
                open_world: None,
            }),
            task_support: tools::TaskSupport::Optional,
        }
    }

    #[test]
    fn a_tool_is_listed_under_its_public_name_with_its_hints() {
        let listed = tool("hello__echo", &tool_of(r#"{"type":"object"}"#)).unwrap();
        let wire = serde_json::to_value(&listed).unwrap();
        assert_eq!(wire["name"], "hello__echo");
        assert_eq!(wire["inputSchema"], json!({"type": "object"}));
        assert_eq!(wire["annotations"]["readOnlyHint"], true);
        assert_eq!(wire["annotations"]["idempotentHint"], true);
        assert!(wire["annotations"].get("destructiveHint").is_none(), "{wire}");
    }

    #[test]
    fn a_schema_that_is_not_a_json_object_is_refused() {
        assert_eq!(tool("t", &tool_of("[1]")).unwrap_err(), "inputSchema is not a JSON object");
        assert!(tool("t", &tool_of("{oops")).unwrap_err().starts_with("inputSchema is not valid JSON"));
    }

    #[test]
    fn content_blocks_carry_base64_and_links() {
        let image = types::Content::Image(types::Media { data: vec![1, 2, 3], mime_type: "image/png".into() });
        assert_eq!(content_json(&image), json!({"type": "image", "data": "AQID", "mimeType": "image/png"}));
        let blob = types::Content::Resource(types::ResourceContents {
            uri: "test://b".into(),
            mime_type: None,
            body: types::ResourceBody::Blob(vec![0xff]),
        });
        assert_eq!(content_json(&blob), json!({"type": "resource", "resource": {"uri": "test://b", "blob": "/w=="}}));
        let link = types::Content::ResourceLink(types::ResourceLink {
            uri: "test://l".into(),
            name: "l".into(),
            title: None,
            description: Some("a link".into()),
            mime_type: None,
        });
        assert_eq!(
            content_json(&link),
            json!({"type": "resource_link", "uri": "test://l", "name": "l", "description": "a link"})
        );
    }

    #[test]
    fn structured_content_must_be_json() {
        let result = |structured: &str| tools::CallResult {
            content: vec![types::Content::Text("hi".into())],
            structured_content: Some(structured.into()),
            is_error: false,
        };
        let ok = serde_json::to_value(call_result(result(r#"{"n":1}"#)).unwrap()).unwrap();
        assert_eq!(ok["structuredContent"], json!({"n": 1}));
        assert_eq!(ok["content"][0]["text"], "hi");
        let bad = call_result(result("not json")).unwrap_err();
        assert!(bad.message.contains("structured content is not valid JSON"), "{}", bad.message);
    }

    #[test]
    fn failures_map_to_the_json_rpc_error_that_fits() {
        use rmcp::model::ErrorCode;
        let code = |f| failure(f).code;
        assert_eq!(code(types::Failure::NotFound("x".into())), ErrorCode::INVALID_PARAMS);
        assert_eq!(code(types::Failure::InvalidParams("x".into())), ErrorCode::INVALID_PARAMS);
        assert_eq!(code(types::Failure::Denied("x".into())), ErrorCode::INVALID_REQUEST);
        assert_eq!(code(types::Failure::Failed("x".into())), ErrorCode::INTERNAL_ERROR);
        assert_eq!(failure(types::Failure::Denied("no grant".into())).message, "denied: no grant");
    }

    #[test]
    fn client_answers_are_read_strictly() {
        assert_eq!(
            elicit_response(&json!({"action": "accept", "content": {"a": 1}})).unwrap(),
            client::ElicitResponse::Accept(r#"{"a":1}"#.into())
        );
        assert_eq!(elicit_response(&json!({"action": "decline"})).unwrap(), client::ElicitResponse::Decline);
        assert!(elicit_response(&json!({"action": "maybe"})).is_err());

        let roots_answer = roots(&json!({"roots": [{"uri": "file:///p", "name": "p"}, {"uri": "file:///q"}]})).unwrap();
        assert_eq!(
            roots_answer,
            vec![
                client::Root { uri: "file:///p".into(), name: Some("p".into()) },
                client::Root { uri: "file:///q".into(), name: None },
            ]
        );
        assert!(roots(&json!({"roots": [{"name": "no uri"}]})).is_err());

        let sampled = sampling_response(&json!({
            "role": "assistant", "model": "m", "stopReason": "endTurn",
            "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]
        }))
        .unwrap();
        assert_eq!(sampled.message.content, types::Content::Text("first".into()));
        assert_eq!((sampled.model.as_str(), sampled.stop_reason.as_deref()), ("m", Some("endTurn")));
        assert!(sampling_response(&json!({"role": "assistant"})).is_err());
        assert!(sampling_response(&json!({"content": {"type": "image", "data": "%%%"}})).is_err());
    }

    #[test]
    fn an_elicitation_schema_must_be_an_object() {
        let request = |schema: &str| client::ElicitRequest {
            key: None,
            message: "name?".into(),
            requested_schema: schema.into(),
        };
        let wire = elicit_wire(&request(r#"{"type":"object","properties":{"n":{"type":"string"}}}"#)).unwrap();
        assert_eq!(wire["mode"], "form");
        assert_eq!(wire["requestedSchema"]["properties"]["n"]["type"], "string");
        assert!(elicit_wire(&request("\"string\"")).is_err());
    }

    #[test]
    fn arguments_become_string_pairs() {
        let map = json!({"a": "x", "n": 2, "o": {"k": true}});
        assert_eq!(
            string_pairs(map.as_object()),
            vec![("a".into(), "x".into()), ("n".into(), "2".into()), ("o".into(), r#"{"k":true}"#.into())]
        );
        assert!(string_pairs(None).is_empty());
    }
}
