//! A plugin with state: its one tool, `count`, says how many times this
//! instance of the plugin has been called. With the default per-call
//! instances every call answers 1; with `instance = "per-session"` under
//! `[plugins.counter]` the count goes up across the calls of one session,
//! and each session (of each principal) counts on its own.
//!
//! State a plugin keeps lives in its linear memory (statics, a `thread_local`,
//! a lazily built index); it is gone when the host drops the instance: at the
//! end of the session, after it idles, or after a call into it faults.

/// The bindings of the plugin contract, private so that the generated items are not this crate's API.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "portcullis:plugin/tool-plugin",
        generate_all,
    });
}

pub(crate) use bindings::{exports, portcullis};

use std::sync::atomic::{AtomicU64, Ordering};

use exports::portcullis::plugin::tools::{Annotations, CallResult, Guest, TaskSupport, Tool};
use portcullis::plugin::types::{Content, Failure};

/// The calls this instance has answered.
static CALLS: AtomicU64 = AtomicU64::new(0);

struct Counter;

impl Guest for Counter {
    fn list_tools() -> Vec<Tool> {
        vec![Tool {
            name: "count".into(),
            title: Some("Count calls".into()),
            description: "Says how many times this instance of the plugin has been called, this call included.".into(),
            input_schema: r#"{"type":"object","properties":{}}"#.into(),
            output_schema: None,
            annotations: Some(Annotations {
                read_only: Some(true),
                destructive: Some(false),
                idempotent: Some(false),
                open_world: Some(false),
            }),
            task_support: TaskSupport::Forbidden,
        }]
    }

    fn call_tool(name: String, _arguments: String) -> Result<CallResult, Failure> {
        if name != "count" {
            return Err(Failure::NotFound(name));
        }
        let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(CallResult { content: vec![Content::Text(calls.to_string())], structured_content: None, is_error: false })
    }
}

bindings::export!(Counter with_types_in bindings);
