//! A plugin built against `portcullis:plugin@0.1.0` (frozen in
//! `wit/published/0.1.0`), so the host's tests prove that components built
//! against a published version keep loading. Its tool uses imports whose
//! place changed in 0.2.0 (`client.session-id`, `dependencies.plan-install`)
//! and one that did not (`log`).

/// The 0.1.0 bindings, private so that the generated items are not this crate's API.
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/published/0.1.0",
        world: "portcullis:plugin/tool-plugin",
        generate_all,
    });
}

use bindings::exports::portcullis::plugin::tools::{CallResult, Guest, Tool};
use bindings::portcullis::plugin::types::{Content, Failure};
use bindings::portcullis::plugin::{client, dependencies, log};

struct Legacy;

impl Guest for Legacy {
    fn list_tools() -> Vec<Tool> {
        vec![Tool {
            name: "legacy_probe".into(),
            title: None,
            description: "Reports the session id and the pip and apt install plans, through 0.1.0 imports.".into(),
            input_schema: r#"{"type":"object","properties":{}}"#.into(),
            output_schema: None,
            annotations: None,
        }]
    }

    fn call_tool(name: String, _arguments: String) -> Result<CallResult, Failure> {
        if name != "legacy_probe" {
            return Err(Failure::NotFound(name));
        }
        log::log(log::Level::Info, "legacy probe called");
        let session = client::session_id().unwrap_or_else(|| "none".into());
        let plan = |manager: &str| match dependencies::plan_install(manager, &["six".to_string()]) {
            Ok(plan) => format!("{manager}: {}", plan.argv.join(" ")),
            Err(Failure::Failed(why)) => format!("{manager} failed: {why}"),
            Err(other) => format!("{manager} error: {other:?}"),
        };
        let text = format!("session: {session}\n{}\n{}", plan("pip"), plan("apt"));
        Ok(CallResult { content: vec![Content::Text(text)], structured_content: None, is_error: false })
    }
}

bindings::export!(Legacy with_types_in bindings);
