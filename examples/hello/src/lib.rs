//! The smallest Portcullis plugin: one tool, `hello`, that greets by name.
//!
//! Copy this crate to start a plugin. Build it with
//! `cargo build --target wasm32-wasip2 --release -p hello` and drop
//! `target/wasm32-wasip2/release/hello.wasm` into the plugin directory.

/// The bindings of the plugin contract, private so that the generated items are not this crate's API.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "portcullis:plugin/tool-plugin",
        generate_all,
    });
}

pub(crate) use bindings::{exports, portcullis};

use exports::portcullis::plugin::tools::{CallResult, Guest, TaskSupport, Tool};
use portcullis::plugin::types::{Content, Failure};

struct Hello;

impl Guest for Hello {
    fn list_tools() -> Vec<Tool> {
        vec![Tool {
            name: "hello".into(),
            title: Some("Say hello".into()),
            description: "Greets someone by name.".into(),
            input_schema: r#"{"type":"object","properties":{"name":{"type":"string","description":"Who to greet"}},"required":["name"]}"#.into(),
            output_schema: None,
            annotations: None,
            task_support: TaskSupport::Forbidden,
        }]
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, Failure> {
        if name != "hello" {
            return Err(Failure::NotFound(name));
        }
        let args: serde_json::Value =
            serde_json::from_str(&arguments).map_err(|e| Failure::InvalidParams(e.to_string()))?;
        let who = args["name"].as_str().ok_or_else(|| Failure::InvalidParams("`name` must be a string".into()))?;
        Ok(CallResult {
            content: vec![Content::Text(format!("Hello, {who}!"))],
            structured_content: None,
            is_error: false,
        })
    }
}

bindings::export!(Hello with_types_in bindings);
