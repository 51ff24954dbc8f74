//! The tools, by family: each family's module holds its tools' schemas,
//! argument parsing, running and reports, and declares each tool as one
//! [`Tool`]; [`TOOLS`] is the one table that `list-tools` and `call-tool`
//! both read. Adding a tool is one row here and its code in its family.

mod containers;
mod engine;
mod images;
mod networks;
mod volumes;

use crate::format;
use crate::host::{Access, Host, Removal};
use crate::params::object;
use plugin_kit::{Annotations, Fail, Outcome, ToolSpec};
use serde_json::{Value, json};

/// One docker tool: its description, and the function that runs a call. A
/// tool that only reads (annotated read-only) is listed with `docker-read`,
/// every other with `docker-manage`.
pub type Tool = plugin_kit::Tool<dyn Host>;

/// Whether the grants in `access` list `tool`.
fn listed(tool: &Tool, access: Access) -> bool {
    if tool.annotations.read_only { access.read } else { access.manage }
}

/// Every tool, in the order `list-tools` returns them: the read tools, then
/// the changing ones.
pub const TOOLS: &[Tool] = &[
    containers::LIST_CONTAINERS,
    containers::INSPECT_CONTAINER,
    containers::CONTAINER_LOGS,
    containers::CONTAINER_STATS,
    images::LIST_IMAGES,
    images::INSPECT_IMAGE,
    volumes::LIST_VOLUMES,
    volumes::INSPECT_VOLUME,
    networks::LIST_NETWORKS,
    networks::INSPECT_NETWORK,
    engine::DISK_USAGE,
    engine::EVENTS,
    containers::START_CONTAINER,
    containers::STOP_CONTAINER,
    containers::RESTART_CONTAINER,
    containers::PAUSE_CONTAINER,
    containers::UNPAUSE_CONTAINER,
    containers::REMOVE_CONTAINER,
    images::PULL_IMAGE,
    images::REMOVE_IMAGE,
    images::PRUNE_IMAGES,
    volumes::CREATE_VOLUME,
    volumes::REMOVE_VOLUME,
    networks::CREATE_NETWORK,
    networks::REMOVE_NETWORK,
];

/// The descriptions of the tools the grants in `access` allow.
pub fn list(access: Access) -> Vec<ToolSpec> {
    TOOLS.iter().filter(|t| listed(t, access)).map(Tool::spec).collect()
}

/// Calls tool `name` with `arguments` (a JSON object as text): `not-found`
/// for a tool the plugin does not have, `invalid-params` naming the bad
/// parameter; otherwise the result. The grants are the host's to enforce: a
/// call beyond them fails there with `denied` naming the missing grant, and
/// every host failure is returned as the host worded it.
pub fn call(host: &(dyn Host + 'static), name: &str, arguments: &str) -> Result<Outcome, Fail> {
    find(name)?.call(host, arguments, |host| {
        host.run_as_task();
    })
}

/// The tool called `name`, or `not-found`.
fn find(name: &str) -> Result<&'static Tool, Fail> {
    let tool = TOOLS.iter().find(|t| t.name == name);
    tool.ok_or_else(|| Fail::NotFound(format!("the docker plugin has no tool {name:?}")))
}

/// Hints for tools that only look at the engine.
const LOOK: Annotations =
    Annotations { read_only: true, destructive: false, idempotent: true, open_world: Some(false) };

/// Hints for tools that move an object to a state (started, paused, ...)
/// without losing anything: repeating the call changes nothing more.
const SETS_STATE: Annotations =
    Annotations { read_only: false, destructive: false, idempotent: true, open_world: Some(false) };

/// Hints for tools that stop or delete: what is lost is lost, and repeating
/// the call deletes nothing more.
const DELETES: Annotations =
    Annotations { read_only: false, destructive: true, idempotent: true, open_world: Some(false) };

/// Hints for tools that create an object: a second call with the same name fails.
const CREATES: Annotations =
    Annotations { read_only: false, destructive: false, idempotent: false, open_world: Some(false) };

/// The result of an inspect call: the engine's description pretty printed,
/// and as structured content (text only when it is not JSON).
fn inspected(text: String) -> Outcome {
    match format::description(&text) {
        Some((pretty, structured)) => Outcome::ok(pretty, structured),
        None => Outcome { structured: None, ..Outcome::ok(text, Value::Null) },
    }
}

/// The result of a removal or prune: `done` (`Removed volume cache`), what
/// was removed and the space freed.
fn removed(done: &str, removal: &Removal) -> Outcome {
    let mut text = format!("{done}: {} removed", removal.removed.len());
    if removal.reclaimed_bytes > 0 {
        text.push_str(&format!(", {} reclaimed", format::bytes(removal.reclaimed_bytes)));
    }
    text.push('.');
    for id in &removal.removed {
        text.push_str(&format!("\n- {id}"));
    }
    let structured = json!({"removed": removal.removed, "reclaimed_bytes": removal.reclaimed_bytes});
    Outcome::ok(text, structured)
}

/// The output schema of the removal and prune tools.
fn removal_schema() -> Value {
    object(
        json!({
            "removed": {"type": "array", "items": {"type": "string"},
                "description": "The ids or references removed (untagged or deleted, for images)."},
            "reclaimed_bytes": {"type": "integer", "minimum": 0,
                "description": "Disk space freed, in bytes, when the engine reports it (else 0)."}
        }),
        &["removed", "reclaimed_bytes"],
    )
}

/// The output schema of a list tool: `key` holding an array of `item`.
fn list_schema(key: &str, item: Value, description: &str) -> Value {
    object(json!({ key: {"type": "array", "items": item, "description": description} }), &[key])
}

/// The arguments of `tool` parsed from `json`, for tests of a tool's parsing.
#[cfg(test)]
fn args(tool: &Tool, json: &str) -> Result<plugin_kit::Args, Fail> {
    plugin_kit::Args::parse(json, &(tool.input_schema)())
}

/// Asserts that `value`'s keys are exactly the properties `schema` declares
/// (and so its `required` ones), for tests that a record's JSON and its
/// schema agree.
#[cfg(test)]
fn assert_fits(schema: &Value, value: &Value) {
    let declared: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let given: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(declared, given, "{value}");
    for required in schema["required"].as_array().unwrap() {
        assert!(value.get(required.as_str().unwrap()).is_some(), "{required}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_kit::testing::invalid;

    fn names(access: Access) -> Vec<&'static str> {
        list(access).iter().map(|t| t.name).collect()
    }

    const READ: &[&str] = &[
        "docker_list_containers",
        "docker_inspect_container",
        "docker_container_logs",
        "docker_container_stats",
        "docker_list_images",
        "docker_inspect_image",
        "docker_list_volumes",
        "docker_inspect_volume",
        "docker_list_networks",
        "docker_inspect_network",
        "docker_disk_usage",
        "docker_events",
    ];

    const MANAGE: &[&str] = &[
        "docker_start_container",
        "docker_stop_container",
        "docker_restart_container",
        "docker_pause_container",
        "docker_unpause_container",
        "docker_remove_container",
        "docker_pull_image",
        "docker_remove_image",
        "docker_prune_images",
        "docker_create_volume",
        "docker_remove_volume",
        "docker_create_network",
        "docker_remove_network",
    ];

    #[test]
    fn the_tools_listed_follow_the_grants() {
        assert_eq!(names(Access::default()), [] as [&str; 0]);
        assert_eq!(names(Access { read: true, manage: false }), READ);
        assert_eq!(names(Access { read: false, manage: true }), MANAGE);
        assert_eq!(names(Access { read: true, manage: true }), [READ, MANAGE].concat());
    }

    #[test]
    fn read_tools_only_look_and_the_rest_need_manage() {
        for tool in TOOLS {
            assert_eq!(tool.annotations == LOOK, tool.annotations.read_only, "{}", tool.name);
            assert!(tool.name.starts_with("docker_"), "{}", tool.name);
        }
    }

    #[test]
    fn annotations_say_what_each_changing_tool_does() {
        let hints = |name: &str| TOOLS.iter().find(|t| t.name == name).unwrap().annotations;
        for name in ["docker_start_container", "docker_pause_container", "docker_unpause_container"] {
            assert_eq!(hints(name), SETS_STATE, "{name}");
        }
        assert_eq!(hints("docker_restart_container"), Annotations { idempotent: false, ..SETS_STATE });
        for name in [
            "docker_stop_container",
            "docker_remove_container",
            "docker_remove_image",
            "docker_prune_images",
            "docker_remove_volume",
            "docker_remove_network",
        ] {
            assert_eq!(hints(name), DELETES, "{name}");
        }
        for name in ["docker_create_volume", "docker_create_network"] {
            assert_eq!(hints(name), CREATES, "{name}");
        }
        assert_eq!(hints("docker_pull_image"), Annotations { open_world: Some(true), ..SETS_STATE });
    }

    #[test]
    fn only_pull_may_run_as_a_task() {
        let optional: Vec<_> = TOOLS.iter().filter(|t| t.task_support != plugin_kit::TaskSupport::Forbidden).collect();
        assert_eq!(optional.len(), 1);
        assert_eq!(
            (optional[0].name, optional[0].task_support),
            ("docker_pull_image", plugin_kit::TaskSupport::Optional)
        );
    }

    #[test]
    fn every_list_tool_declares_its_output() {
        for tool in TOOLS.iter().filter(|t| t.name.starts_with("docker_list_")) {
            assert!(tool.output_schema.is_some(), "{}", tool.name);
        }
    }

    #[test]
    fn every_parameter_and_output_field_is_described() {
        plugin_kit::testing::assert_tools_described(&list(Access { read: true, manage: true }));
    }

    #[test]
    fn calls_take_exactly_the_parameters_the_schema_declares() {
        for tool in TOOLS {
            let msg = invalid(args(tool, r#"{"no_such_parameter":1}"#));
            assert!(msg.starts_with("unknown parameter `no_such_parameter`"), "{}: {msg}", tool.name);
        }
    }

    #[test]
    fn unknown_tools_are_not_found() {
        assert_eq!(find("docker_list_images").unwrap().name, "docker_list_images");
        let err = find("docker_rm_rf").err().unwrap();
        assert_eq!(err, Fail::NotFound("the docker plugin has no tool \"docker_rm_rf\"".into()));
    }

    #[test]
    fn removals_list_what_went_and_the_space_freed() {
        let removal = Removal { removed: vec!["sha256:aa".into(), "debian:12".into()], reclaimed_bytes: 1_500_000 };
        let outcome = removed("Removed image debian:12", &removal);
        assert_eq!(outcome.text(), "Removed image debian:12: 2 removed, 1.5 MB reclaimed.\n- sha256:aa\n- debian:12");
        assert_fits(&removal_schema(), outcome.structured.as_ref().unwrap());
        let nothing = removed("Pruned dangling images", &Removal { removed: vec![], reclaimed_bytes: 0 });
        assert_eq!(nothing.text(), "Pruned dangling images: 0 removed.");
    }

    #[test]
    fn inspect_results_are_pretty_json_or_the_text_as_is() {
        let outcome = inspected(r#"{"Id":"x"}"#.into());
        assert_eq!(outcome.text(), "{\n  \"Id\": \"x\"\n}");
        assert_eq!(outcome.structured, Some(json!({"Id": "x"})));
        let outcome = inspected("oops".into());
        assert_eq!((outcome.text(), &outcome.structured, outcome.is_error), ("oops", &None, false));
    }
}
