//! The tools, by family: each family's module holds its tools' schemas,
//! argument parsing, running and reports, and declares each tool as one
//! [`Tool`]; [`TOOLS`] is the one table that `list-tools` and `call-tool`
//! both read. Adding a tool is one row here and its code in its family.

mod containers;
mod deps;
mod engine;
mod exec;
#[cfg(test)]
mod fake;
mod files;

use crate::host::Host;
use plugin_kit::{Annotations, Fail, Outcome, ToolSpec};

/// One sandbox tool: its description, and the function that runs a call.
pub type Tool = plugin_kit::Tool<dyn Host>;

/// Every tool, in the order `list-tools` returns them.
pub const TOOLS: &[Tool] = &[
    engine::CHECK_ENGINE,
    containers::LIST_CONTAINERS,
    containers::CREATE_CONTAINER,
    exec::EXECUTE_CODE,
    exec::EXECUTE_PYTHON_SCRIPT,
    deps::ADD_DEPENDENCIES,
    containers::CLEANUP_CONTAINER,
    files::WRITE_FILE,
    files::READ_FILE,
];

/// Every tool's description.
pub fn list() -> Vec<ToolSpec> {
    TOOLS.iter().map(Tool::spec).collect()
}

/// Calls tool `name` with `arguments` (a JSON object as text): `not-found`
/// for a tool the sandbox does not offer, `invalid-params` naming the bad
/// parameter, host failures with what was being done; otherwise the result.
pub fn call(host: &(dyn Host + 'static), name: &str, arguments: &str) -> Result<Outcome, Fail> {
    let Some(tool) = TOOLS.iter().find(|t| t.name == name) else {
        return Err(Fail::NotFound(format!("the sandbox has no tool {name:?}")));
    };
    tool.call(host, arguments, |host| {
        host.run_as_task();
    })
}

/// Read-only hints for tools that only look.
const LOOK: Annotations =
    Annotations { read_only: true, destructive: false, idempotent: true, open_world: Some(false) };

/// Hints for tools that overwrite or remove state in place: repeating the
/// call changes nothing more, and no network is involved.
const REPLACES: Annotations =
    Annotations { read_only: false, destructive: true, idempotent: true, open_world: Some(false) };

/// The arguments of `tool` parsed from `json`, for tests of a tool's parsing.
#[cfg(test)]
fn args(tool: &Tool, json: &str) -> Result<plugin_kit::Args, Fail> {
    plugin_kit::Args::parse(json, &(tool.input_schema)())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::fake::Fake;
    use plugin_kit::testing::invalid;
    use serde_json::json;

    #[test]
    fn offers_the_seed_tools_and_the_file_tools_in_order() {
        let names: Vec<_> = list().iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "check_engine",
                "list_containers",
                "create_container",
                "execute_code",
                "execute_python_script",
                "add_dependencies",
                "cleanup_container",
                "write_file",
                "read_file"
            ]
        );
    }

    #[test]
    fn the_long_running_tools_alone_offer_to_run_as_tasks_and_ask_to_as_they_start() {
        let optional: Vec<_> = list()
            .into_iter()
            .filter(|t| t.task_support == plugin_kit::TaskSupport::Optional)
            .map(|t| t.name)
            .collect();
        assert_eq!(optional, ["execute_code", "execute_python_script", "add_dependencies"]);
        assert!(list().iter().all(|t| t.task_support != plugin_kit::TaskSupport::Required));
        let asks = |name: &str, arguments: &str| {
            let fake = Fake::default();
            let _ = call(&fake, name, arguments);
            fake.task_asks.get()
        };
        assert_eq!(asks("execute_code", r#"{"container_id":"c1","command":"sleep 20"}"#), 1);
        assert_eq!(asks("check_engine", "{}"), 0);
        assert_eq!(asks("execute_code", r#"{"bad":1}"#), 0, "a call refused for its arguments never becomes a task");
    }

    #[test]
    fn unknown_tool_is_not_found() {
        let err = call(&Fake::default(), "rm_rf", "{}").unwrap_err();
        assert_eq!(err, Fail::NotFound("the sandbox has no tool \"rm_rf\"".into()));
    }

    /// The parameter names come from each row's schema, the declaration
    /// calls are read against: each is accepted, anything else refused.
    #[test]
    fn calls_take_exactly_the_parameters_the_schema_declares() {
        for tool in TOOLS {
            let schema = (tool.input_schema)();
            let declared: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
            for name in &declared {
                let result = call(&Fake::default(), tool.name, &json!({ *name: null }).to_string());
                if let Err(Fail::InvalidParams(msg)) = &result {
                    assert!(!msg.starts_with("unknown parameter"), "{}.{name}: {msg}", tool.name);
                }
            }
            let msg = invalid(call(&Fake::default(), tool.name, r#"{"no_such_parameter":1}"#));
            assert!(msg.starts_with("unknown parameter `no_such_parameter`"), "{}: {msg}", tool.name);
            for name in declared {
                assert!(msg.contains(&format!("`{name}`")), "{}: {msg} lists {name}", tool.name);
            }
        }
    }

    #[test]
    fn every_parameter_and_output_field_is_described() {
        plugin_kit::testing::assert_tools_described(&list());
    }

    #[test]
    fn read_only_tools_are_the_lookers() {
        let read_only: Vec<_> = list().into_iter().filter(|t| t.annotations.read_only).map(|t| t.name).collect();
        assert_eq!(read_only, ["check_engine", "list_containers", "read_file"]);
    }
}
