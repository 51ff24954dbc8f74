//! The `test://` resources and the `test://template/{id}/data` template.

use crate::exports::portcullis::plugin::resources::{Guest, Resource, ResourceTemplate};
use crate::portcullis::plugin::types::{Failure, ResourceBody, ResourceContents};
use crate::{Conformance, PNG};

/// The template's URI pattern.
const TEMPLATE: &str = "test://template/{id}/data";

/// uri, name, title, description, mime type, contents. `test://static-text` comes
/// first: the 2026 caching scenario reads the first listed resource.
const RESOURCES: &[(&str, &str, &str, &str, &str, Body)] = &[
    (
        "test://static-text",
        "static-text",
        "Static Text Resource",
        "A static text resource for testing",
        "text/plain",
        Body::Text("This is the content of the static text resource."),
    ),
    (
        "test://static-binary",
        "static-binary",
        "Static Binary Resource",
        "A static binary resource (image) for testing",
        "image/png",
        Body::Blob(PNG),
    ),
    (
        "test://watched-resource",
        "watched-resource",
        "Watched Resource",
        "A resource that can be subscribed to",
        "text/plain",
        Body::Text("Watched resource content"),
    ),
];

enum Body {
    Text(&'static str),
    Blob(&'static [u8]),
}

impl Body {
    fn size(&self) -> u64 {
        match self {
            Body::Text(t) => t.len() as u64,
            Body::Blob(b) => b.len() as u64,
        }
    }

    fn to_wit(&self) -> ResourceBody {
        match self {
            Body::Text(t) => ResourceBody::Text((*t).into()),
            Body::Blob(b) => ResourceBody::Blob(b.to_vec()),
        }
    }
}

/// The `{id}` of a URI matching [`TEMPLATE`]: one non-empty path segment.
fn template_id(uri: &str) -> Option<&str> {
    let id = uri.strip_prefix("test://template/")?.strip_suffix("/data")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

impl Guest for Conformance {
    fn list_resources() -> Vec<Resource> {
        RESOURCES
            .iter()
            .map(|(uri, name, title, description, mime, body)| Resource {
                uri: (*uri).into(),
                name: (*name).into(),
                title: Some((*title).into()),
                description: Some((*description).into()),
                mime_type: Some((*mime).into()),
                size: Some(body.size()),
            })
            .collect()
    }

    fn list_resource_templates() -> Vec<ResourceTemplate> {
        vec![ResourceTemplate {
            uri_template: TEMPLATE.into(),
            name: "template".into(),
            title: Some("Resource Template".into()),
            description: Some("A resource template with parameter substitution".into()),
            mime_type: Some("application/json".into()),
        }]
    }

    fn read_resource(uri: String) -> Result<Vec<ResourceContents>, Failure> {
        if let Some((_, _, _, _, mime, body)) = RESOURCES.iter().find(|r| r.0 == uri) {
            return Ok(vec![ResourceContents { uri, mime_type: Some((*mime).into()), body: body.to_wit() }]);
        }
        if let Some(id) = template_id(&uri) {
            let data = json_string(&format!("Data for ID: {id}"));
            let text = format!(r#"{{"id":{},"templateTest":true,"data":{data}}}"#, json_string(id));
            return Ok(vec![ResourceContents {
                uri,
                mime_type: Some("application/json".into()),
                body: ResourceBody::Text(text),
            }]);
        }
        // The host answers -32602 with `data: {uri}` (SEP-2164).
        Err(Failure::NotFound(uri))
    }
}
