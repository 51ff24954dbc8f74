//! Requests to the client (elicitation, sampling, roots), shaped for both protocol eras.
//!
//! In the 2026-07-28 protocol each request becomes an entry of an input-required
//! result, under its `key`. Fixtures whose key the suite checks (`user_name`) name it;
//! the others may leave it to the host.

use serde_json::Value;

use crate::portcullis::plugin::client::{self, ElicitRequest, ElicitResponse, Root, SamplingMessage, SamplingRequest};
use crate::portcullis::plugin::types::{Content, Failure, Role};

/// Asks the user to fill in `schema` (a JSON object schema, as text).
pub fn elicit(message: &str, schema: &str) -> Result<ElicitResponse, Failure> {
    ask_user(None, message, schema)
}

/// Like [`elicit`], naming the request `key` for input-required results.
pub fn elicit_keyed(key: &str, message: &str, schema: &str) -> Result<ElicitResponse, Failure> {
    ask_user(Some(key), message, schema)
}

fn ask_user(key: Option<&str>, message: &str, schema: &str) -> Result<ElicitResponse, Failure> {
    client::elicit(&ElicitRequest {
        key: key.map(str::to_string),
        message: message.into(),
        requested_schema: schema.into(),
    })
}

/// Asks the client for its roots, naming the request `key`.
pub fn roots(key: &str) -> Result<Vec<Root>, Failure> {
    client::list_roots(Some(key))
}

/// `Found N root(s): uri (name), ...`.
pub fn describe_roots(roots: &[Root]) -> String {
    let listed: Vec<String> = roots
        .iter()
        .map(|r| match &r.name {
            Some(name) => format!("{} ({name})", r.uri),
            None => r.uri.clone(),
        })
        .collect();
    format!("Found {} root(s): {}", roots.len(), listed.join(", "))
}

/// A schema of one required string property.
pub fn one_string(property: &str) -> String {
    let p = Value::from(property);
    format!(r#"{{"type":"object","properties":{{{p}:{{"type":"string"}}}},"required":[{p}]}}"#)
}

/// The accepted answer as a JSON object, or `None` if the user declined or cancelled.
pub fn accepted(response: &ElicitResponse) -> Option<Value> {
    match response {
        ElicitResponse::Accept(json) => Some(serde_json::from_str(json).unwrap_or(Value::Null)),
        ElicitResponse::Decline | ElicitResponse::Cancel => None,
    }
}

/// A string field of an accepted answer (`"unknown"` if absent).
pub fn field(response: &ElicitResponse, name: &str) -> String {
    accepted(response)
        .and_then(|v| v.get(name).and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// `action=<accept|decline|cancel>, content=<json>`, as the suite's reference server words it.
pub fn describe(response: &ElicitResponse) -> String {
    match response {
        ElicitResponse::Accept(json) => format!("action=accept, content={json}"),
        ElicitResponse::Decline => "action=decline, content={}".into(),
        ElicitResponse::Cancel => "action=cancel, content={}".into(),
    }
}

/// Asks the client's model to answer `prompt` (one user message); `key` names
/// the request for input-required results (else the host numbers it).
pub fn sample(key: Option<&str>, prompt: &str, max_tokens: u32) -> Result<client::SamplingResponse, Failure> {
    client::sample(&SamplingRequest {
        key: key.map(str::to_string),
        messages: vec![SamplingMessage { role: Role::User, content: Content::Text(prompt.into()) }],
        system_prompt: None,
        max_tokens,
    })
}

/// The text of a sampling answer (a description of it if it is not text).
pub fn sampled_text(response: &client::SamplingResponse) -> String {
    match &response.message.content {
        Content::Text(text) => text.clone(),
        Content::Image(m) => format!("<image {}>", m.mime_type),
        Content::Audio(m) => format!("<audio {}>", m.mime_type),
        Content::Resource(r) => format!("<resource {}>", r.uri),
        Content::ResourceLink(l) => format!("<resource link {}>", l.uri),
    }
}
