//! The component glue: the `portcullis:plugin/policy-plugin` bindings and the
//! `policy` export over [`Rules`]. Conversions only; no behaviour.

wit_bindgen::generate!({
    path: "../../wit",
    world: "portcullis:plugin/policy-plugin",
    generate_all,
});

use crate::rules::{Rules, ToolCall as Call};
use exports::portcullis::plugin::policy::{Access, ContainerRequest, Decision, Guest, ToolCall};
use portcullis::plugin::config;

plugin_kit::wit_policy!(exports::portcullis::plugin::policy);

/// The component's `policy` export.
struct ToolRules;

impl Guest for ToolRules {
    /// Host paths are not this policy's concern.
    fn check_path(_path: String, _access: Access) -> Decision {
        Decision::Allow
    }

    /// Containers are not this policy's concern.
    fn check_container(_request: ContainerRequest) -> Decision {
        Decision::Allow
    }

    /// Judges the call under the rules the settings give now (they are read
    /// on every call, so a configuration reload applies at once).
    fn check_tool_call(call: ToolCall) -> Decision {
        let call = Call { provider: &call.provider, tool: &call.tool, arguments: &call.arguments };
        Rules::load(config::get).check(&call).into()
    }
}

export!(ToolRules);
