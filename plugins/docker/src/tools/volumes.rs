//! The volume tools: listing, inspecting, creating and removing.

use super::{CREATES, DELETES, LOOK, Tool, inspected, list_schema, removal_schema, removed};
use crate::format::{self, labels_json, listing};
use crate::host::{VolumeSpec, VolumeSummary};
use crate::params::{self, object};
use plugin_kit::{Args, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The filters the engine takes for volumes, for the schema.
const FILTERS: &str = "dangling=true, name=cache, driver=local, label=env=dev";

/// `docker_list_volumes`.
pub const LIST_VOLUMES: Tool = Tool {
    name: "docker_list_volumes",
    title: "List Docker volumes",
    description: "Lists the engine's volumes (those the operator's scope allows), optionally filtered. \
        One line each: name, driver, when created, mountpoint.",
    input_schema: || object(json!({"filters": params::filters_schema(FILTERS)}), &[]),
    output_schema: Some(|| list_schema("volumes", volume_schema(), "The matching volumes.")),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| Ok(volumes(&host.list_volumes(&params::filters(args)?)?)),
};

/// `docker_inspect_volume`.
pub const INSPECT_VOLUME: Tool = Tool {
    name: "docker_inspect_volume",
    title: "Inspect a Docker volume",
    description: "The engine's full description of a volume, as `docker volume inspect` prints it.",
    input_schema: || object(json!({"name": name_param()}), &["name"]),
    output_schema: None,
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| Ok(inspected(host.inspect_volume(&name(args)?)?)),
};

/// `docker_create_volume`.
pub const CREATE_VOLUME: Tool = Tool {
    name: "docker_create_volume",
    title: "Create a Docker volume",
    description: "Creates a named volume. Creating one whose name is taken fails.",
    input_schema: || {
        object(
            json!({
                "name": params::target_schema("The new volume's name."),
                "driver": params::driver_schema("local"),
                "labels": params::labels_schema()
            }),
            &["name"],
        )
    },
    output_schema: Some(volume_schema),
    annotations: CREATES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let spec = VolumeSpec { name: name(args)?, driver: params::driver(args)?, labels: params::labels(args)? };
        let volume = host.create_volume(spec)?;
        let text = format!("Created volume {} (driver {}, at {}).", volume.name, volume.driver, volume.mountpoint);
        Ok(Outcome::ok(text, volume_json(&volume)))
    },
};

/// `docker_remove_volume`.
pub const REMOVE_VOLUME: Tool = Tool {
    name: "docker_remove_volume",
    title: "Remove a Docker volume",
    description: "Removes a volume no container uses; its data is lost. The user may be asked to confirm first.",
    input_schema: || {
        object(
            json!({
                "name": name_param(),
                "force": params::force_schema("Remove it even if the engine refuses because it cannot tell whether it is in use.")
            }),
            &["name"],
        )
    },
    output_schema: Some(removal_schema),
    annotations: DELETES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let name = name(args)?;
        let removal = host.remove_volume(&name, args.bool("force", false)?)?;
        Ok(removed(&format!("Removed volume {name}"), &removal))
    },
};

/// The `name` parameter naming an existing volume.
fn name_param() -> Value {
    params::target_schema("The volume's name (as docker_list_volumes shows it).")
}

/// The required `name` parameter.
fn name(args: &Args) -> Result<String, Fail> {
    params::target(args, "name", "the volume's name")
}

/// A volume, as the volume tools return it.
fn volume_schema() -> Value {
    object(
        json!({
            "name": {"type": "string", "description": "Its name."},
            "driver": {"type": "string", "description": "Its driver (local, ...)."},
            "mountpoint": {"type": "string", "description": "Where the driver keeps it on the engine's host."},
            "created_at": {"type": ["string", "null"], "description": "When it was created (RFC 3339), if the engine says."},
            "labels": format::labels_schema()
        }),
        &["name", "driver", "mountpoint", "created_at", "labels"],
    )
}

/// A volume as structured JSON.
fn volume_json(v: &VolumeSummary) -> Value {
    json!({
        "name": v.name,
        "driver": v.driver,
        "mountpoint": v.mountpoint,
        "created_at": v.created_at,
        "labels": labels_json(&v.labels)
    })
}

/// The result of a listing.
fn volumes(list: &[VolumeSummary]) -> Outcome {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|v| {
            let created = v.created_at.clone().unwrap_or_else(|| "-".into());
            vec![v.name.clone(), v.driver.clone(), created, v.mountpoint.clone()]
        })
        .collect();
    let text = listing("volume", "volumes", &["NAME", "DRIVER", "CREATED", "MOUNTPOINT"], &rows);
    Outcome::ok(text, json!({"volumes": list.iter().map(volume_json).collect::<Vec<_>>()}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{args, assert_fits};
    use plugin_kit::testing::invalid;

    #[test]
    fn listings_are_a_table_and_the_records_in_snake_case() {
        let volume = VolumeSummary {
            name: "cache".into(),
            driver: "local".into(),
            mountpoint: "/var/lib/docker/volumes/cache/_data".into(),
            created_at: None,
            labels: vec![("a".into(), "b".into())],
        };
        let outcome = volumes(std::slice::from_ref(&volume));
        assert_eq!(
            outcome.text(),
            "1 volume:\nNAME   DRIVER  CREATED  MOUNTPOINT\ncache  local   -        /var/lib/docker/volumes/cache/_data"
        );
        let structured = outcome.structured.unwrap();
        assert_fits(&LIST_VOLUMES.output_schema.unwrap()(), &structured);
        assert_fits(&volume_schema(), &structured["volumes"][0]);
        assert_eq!(structured["volumes"][0]["created_at"], Value::Null);
    }

    #[test]
    fn the_name_is_required() {
        for tool in [INSPECT_VOLUME, CREATE_VOLUME, REMOVE_VOLUME] {
            assert!(invalid(name(&args(&tool, "{}").unwrap())).starts_with("`name` is required"), "{}", tool.name);
        }
    }
}
