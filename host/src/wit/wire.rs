//! The contract's content blocks and resource contents in MCP wire JSON,
//! both ways: what a plugin's answer becomes for a client, and what an
//! upstream server or a client says in the contract's types.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use super::types;

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn string(value: &Value, key: &str) -> String {
    text(value, key).unwrap_or_default()
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(key.into(), value.into());
    }
}

/// The wire JSON of a resource's contents (`text` or base64 `blob`).
pub fn resource_contents_json(c: &types::ResourceContents) -> Value {
    let mut map = Map::new();
    map.insert("uri".into(), c.uri.clone().into());
    put(&mut map, "mimeType", c.mime_type.clone());
    match &c.body {
        types::ResourceBody::Text(text) => map.insert("text".into(), text.clone().into()),
        types::ResourceBody::Blob(bytes) => map.insert("blob".into(), BASE64.encode(bytes).into()),
    };
    map.into()
}

fn resource_link_json(l: &types::ResourceLink) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), "resource_link".into());
    map.insert("uri".into(), l.uri.clone().into());
    map.insert("name".into(), l.name.clone().into());
    put(&mut map, "title", l.title.clone());
    put(&mut map, "description", l.description.clone());
    put(&mut map, "mimeType", l.mime_type.clone());
    map.into()
}

/// The wire JSON of one content block.
pub fn content_json(content: &types::Content) -> Value {
    match content {
        types::Content::Text(text) => json!({"type": "text", "text": text}),
        types::Content::Image(m) => json!({"type": "image", "data": BASE64.encode(&m.data), "mimeType": m.mime_type}),
        types::Content::Audio(m) => json!({"type": "audio", "data": BASE64.encode(&m.data), "mimeType": m.mime_type}),
        types::Content::Resource(c) => json!({"type": "resource", "resource": resource_contents_json(c)}),
        types::Content::ResourceLink(l) => resource_link_json(l),
    }
}

/// One content block from its wire JSON.
pub fn content_from_wire(value: &Value) -> Result<types::Content, String> {
    let bytes = |v: &Value, key: &str| {
        BASE64
            .decode(v.get(key).and_then(Value::as_str).unwrap_or_default())
            .map_err(|e| format!("invalid base64: {e}"))
    };
    let media = |v: &Value| Ok::<_, String>(types::Media { data: bytes(v, "data")?, mime_type: string(v, "mimeType") });
    match value.get("type").and_then(Value::as_str) {
        Some("text") => Ok(types::Content::Text(string(value, "text"))),
        Some("image") => Ok(types::Content::Image(media(value)?)),
        Some("audio") => Ok(types::Content::Audio(media(value)?)),
        Some("resource") => {
            Ok(types::Content::Resource(resource_contents_from_wire(value.get("resource").unwrap_or(&Value::Null))?))
        }
        Some("resource_link") => Ok(types::Content::ResourceLink(types::ResourceLink {
            uri: string(value, "uri"),
            name: string(value, "name"),
            title: text(value, "title"),
            description: text(value, "description"),
            mime_type: text(value, "mimeType"),
        })),
        other => Err(format!("unsupported content type {other:?}")),
    }
}

/// A resource's contents from their wire JSON.
pub fn resource_contents_from_wire(value: &Value) -> Result<types::ResourceContents, String> {
    let body = match (value.get("text").and_then(Value::as_str), value.get("blob").and_then(Value::as_str)) {
        (Some(text), _) => types::ResourceBody::Text(text.to_string()),
        (None, Some(blob)) => {
            types::ResourceBody::Blob(BASE64.decode(blob).map_err(|e| format!("invalid base64 in a resource: {e}"))?)
        }
        (None, None) => return Err("a resource's contents have neither `text` nor `blob`".into()),
    };
    Ok(types::ResourceContents { uri: string(value, "uri"), mime_type: text(value, "mimeType"), body })
}
