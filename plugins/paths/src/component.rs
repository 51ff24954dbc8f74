//! The component glue: the `portcullis:plugin/policy-plugin` bindings and the
//! `policy` export over [`Rules`]. Conversions only; no behaviour.

wit_bindgen::generate!({
    path: "../../wit",
    world: "portcullis:plugin/policy-plugin",
    generate_all,
});

use crate::rules::{self, Rules};
use exports::portcullis::plugin::policy::{Access, ContainerRequest, Decision, Guest, ToolCall};
use plugin_kit::{Mount, Verdict};
use portcullis::plugin::config;

plugin_kit::wit_types!(portcullis::plugin::types);
plugin_kit::wit_policy!(exports::portcullis::plugin::policy);

/// Judges with `check` under the rules the settings give now (they are
/// read on every check, so a configuration reload applies at once).
fn judge(check: impl FnOnce(&Rules) -> Verdict) -> Decision {
    check(&Rules::load(config::get)).into()
}

/// The component's `policy` export.
struct Paths;

impl Guest for Paths {
    fn check_path(path: String, access: Access) -> Decision {
        let access = match access {
            Access::Read => rules::Access::Read,
            Access::Write => rules::Access::Write,
        };
        judge(|rules| rules.check_path(&path, access))
    }

    fn check_container(request: ContainerRequest) -> Decision {
        let mounts: Vec<Mount> = request.mounts.into_iter().map(Into::into).collect();
        judge(|rules| rules.check_mounts(&mounts))
    }

    /// Tool calls are not this policy's concern.
    fn check_tool_call(_call: ToolCall) -> Decision {
        Decision::Allow
    }
}

export!(Paths);
