//! A tool's description and its call result, in plain Rust:
//! [`wit_tools!`](crate::wit_tools) converts them to the WIT `tools` records.

use serde_json::Value;

/// Describes one tool (the WIT `tool`).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema of the arguments; [`Args`](crate::Args) reads calls against it.
    pub input_schema: Value,
    /// JSON Schema of the structured result, if the tool returns one.
    pub output_schema: Option<Value>,
    /// Behaviour hints.
    pub annotations: Annotations,
    /// Whether calls may run as tasks (the WIT `task-support`).
    pub task_support: TaskSupport,
}

/// Whether a tool's calls may run as MCP tasks (the WIT `task-support`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskSupport {
    /// Every call answers in its own request.
    #[default]
    Forbidden,
    /// A call may continue as a task when it asks to (`context.run-as-task`).
    Optional,
    /// Calls run only as tasks.
    Required,
}

/// Hints about a tool's behaviour (the WIT tool `annotations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// The tool does not modify its environment.
    pub read_only: bool,
    /// The tool may perform destructive updates.
    pub destructive: bool,
    /// Calling it twice with the same arguments has no further effect.
    pub idempotent: bool,
    /// The tool reaches outside the host (the network, say); `None` when
    /// that depends on what it is asked to do.
    pub open_world: Option<bool>,
}

/// One block of content in a tool result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Plain text.
    Text(String),
    /// An image with its media type.
    Image {
        /// The raw bytes.
        data: Vec<u8>,
        /// The media type (`image/png`, ...).
        mime_type: &'static str,
    },
    /// Binary data embedded as an `application/octet-stream` resource.
    Blob {
        /// The resource's URI.
        uri: String,
        /// The raw bytes.
        data: Vec<u8>,
    },
}

/// A tool result (the WIT `call-result`).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Content blocks for the model.
    pub content: Vec<Block>,
    /// The structured result, matching the tool's output schema.
    pub structured: Option<Value>,
    /// The tool ran but failed; the content says why.
    pub is_error: bool,
}

impl Outcome {
    /// A successful result: `text` plus `structured`.
    pub fn ok(text: String, structured: Value) -> Self {
        Outcome { content: vec![Block::Text(text)], structured: Some(structured), is_error: false }
    }

    /// A failed result with only `text`.
    pub fn error(text: String) -> Self {
        Outcome { content: vec![Block::Text(text)], structured: None, is_error: true }
    }

    /// The text of the first block, or `""` if it is not text.
    pub fn text(&self) -> &str {
        match self.content.first() {
            Some(Block::Text(text)) => text,
            _ => "",
        }
    }
}
