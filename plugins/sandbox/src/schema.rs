//! JSON Schema pieces several tools share.

use serde_json::{Value, json};

/// The longest timeout a caller may ask for, in seconds (one day).
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

/// An object schema with `properties`, the `required` ones, and no others.
pub fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// The `container_id` parameter.
pub fn container_id() -> Value {
    json!({"type": "string", "description": "The container's id or name, from create_container or list_containers."})
}

/// The `timeout` parameter, defaulting to `default` seconds.
pub fn timeout(default: u64) -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECS, "default": default,
        "description": "Seconds to let the code run before its processes are killed."})
}

/// An exit code, absent when the process did not exit by itself.
pub fn exit_code() -> Value {
    json!({"type": ["integer", "null"], "description": "The exit code; null when the process was killed."})
}

/// Why a process ended.
pub fn reason() -> Value {
    json!({"type": "string", "enum": ["exited", "timeout", "out-of-memory", "cancelled"],
        "description": "Why it ended: it exited, timed out, ran out of memory, or the client cancelled."})
}
