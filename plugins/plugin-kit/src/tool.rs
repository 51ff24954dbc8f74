//! A tool's description and its call result, in plain Rust:
//! [`wit_tools!`](crate::wit_tools) converts them to the WIT `tools` records.

use serde_json::Value;

use crate::{Args, Fail};

/// One tool of a plugin whose tools run against host services `H` (a trait
/// object over the plugin's imports, so tools test natively): its
/// description, and the function that runs a call. A plugin keeps its tools
/// in one table that `list-tools` and `call-tool` both read.
pub struct Tool<H: ?Sized + 'static> {
    /// The tool's name, unique in its plugin.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What the tool does, for the model.
    pub description: &'static str,
    /// The JSON Schema of the arguments: the one declaration of the tool's
    /// parameters, which calls are read against.
    pub input_schema: fn() -> Value,
    /// The JSON Schema of the structured result, if the tool returns one.
    pub output_schema: Option<fn() -> Value>,
    /// Behaviour hints.
    pub annotations: Annotations,
    /// Whether calls may run as MCP tasks; a call of a tool that allows them
    /// asks to as it starts (see [`Tool::call`]).
    pub task_support: TaskSupport,
    /// Runs a call whose arguments passed the input schema's parameter check.
    pub run: fn(&H, &Args) -> Result<Outcome, Fail>,
}

impl<H: ?Sized> Tool<H> {
    /// The tool's description, as `list-tools` returns it.
    pub fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name,
            title: self.title,
            description: self.description.into(),
            input_schema: (self.input_schema)(),
            output_schema: self.output_schema.map(|schema| schema()),
            annotations: self.annotations,
            task_support: self.task_support,
        }
    }

    /// Runs a call with `arguments` (a JSON object as text): `invalid-params`
    /// naming the bad parameter, else the tool's answer. A tool that allows
    /// tasks first asks for one with `run_as_task` (`context.run-as-task`).
    pub fn call(&self, host: &H, arguments: &str, run_as_task: impl FnOnce(&H)) -> Result<Outcome, Fail> {
        let args = Args::parse(arguments, &(self.input_schema)())?;
        if self.task_support != TaskSupport::Forbidden {
            run_as_task(host);
        }
        (self.run)(host, &args)
    }
}

/// Describes one tool (the WIT `tool`).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema of the arguments; [`Args`] reads calls against it.
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
