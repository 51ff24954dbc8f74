//! The network tools: listing, inspecting, creating and removing.

use super::{CREATES, DELETES, LOOK, Tool, inspected, list_schema, removal_schema, removed};
use crate::format::{self, labels_json, listing, yes_no};
use crate::host::{NetworkSpec, NetworkSummary};
use crate::params::{self, object};
use plugin_kit::{Args, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The filters the engine takes for networks, for the schema.
const FILTERS: &str = "name=my-net, driver=bridge, scope=local, type=custom, label=env=dev, dangling=true";

/// `docker_list_networks`.
pub const LIST_NETWORKS: Tool = Tool {
    name: "docker_list_networks",
    title: "List Docker networks",
    description: "Lists the engine's networks (those the operator's scope allows), optionally filtered. \
        One line each: name, driver, scope, whether internal, short id.",
    input_schema: || object(json!({"filters": params::filters_schema(FILTERS)}), &[]),
    output_schema: Some(|| list_schema("networks", network_schema(), "The matching networks.")),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| Ok(networks(&host.list_networks(&params::filters(args)?)?)),
};

/// `docker_inspect_network`.
pub const INSPECT_NETWORK: Tool = Tool {
    name: "docker_inspect_network",
    title: "Inspect a Docker network",
    description: "The engine's full description of a network, as `docker network inspect` prints it: \
        subnets, gateway, options, connected containers.",
    input_schema: network_only,
    output_schema: None,
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| Ok(inspected(host.inspect_network(&network(args)?)?)),
};

/// `docker_create_network`.
pub const CREATE_NETWORK: Tool = Tool {
    name: "docker_create_network",
    title: "Create a Docker network",
    description: "Creates a network. Creating one whose name is taken fails.",
    input_schema: || {
        object(
            json!({
                "name": params::target_schema("The new network's name."),
                "driver": params::driver_schema("bridge"),
                "internal": {"type": "boolean", "default": false,
                    "description": "Give it no route outside: its containers reach only each other."},
                "labels": params::labels_schema()
            }),
            &["name"],
        )
    },
    output_schema: Some(network_schema),
    annotations: CREATES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let spec = NetworkSpec {
            name: params::target(args, "name", "the new network's name")?,
            driver: params::driver(args)?,
            internal: args.bool("internal", false)?,
            labels: params::labels(args)?,
        };
        let network = host.create_network(spec)?;
        let text = format!(
            "Created network {} (driver {}, scope {}, internal {}, id {}).",
            network.name,
            network.driver,
            network.scope,
            yes_no(network.internal),
            format::short_id(&network.id)
        );
        Ok(Outcome::ok(text, network_json(&network)))
    },
};

/// `docker_remove_network`.
pub const REMOVE_NETWORK: Tool = Tool {
    name: "docker_remove_network",
    title: "Remove a Docker network",
    description: "Removes a network no container is connected to.",
    input_schema: network_only,
    output_schema: Some(removal_schema),
    annotations: DELETES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let network = network(args)?;
        let removal = host.remove_network(&network)?;
        Ok(removed(&format!("Removed network {network}"), &removal))
    },
};

/// The schema of the tools that take only `network`.
fn network_only() -> Value {
    object(
        json!({"network": params::target_schema("The network's name, id or unique id prefix (as docker_list_networks shows them).")}),
        &["network"],
    )
}

/// The required `network` parameter.
fn network(args: &Args) -> Result<String, Fail> {
    params::target(args, "network", "the network's name, id or unique id prefix")
}

/// A network, as the network tools return it.
fn network_schema() -> Value {
    object(
        json!({
            "id": {"type": "string", "description": "The engine's id."},
            "name": {"type": "string", "description": "Its name."},
            "driver": {"type": "string", "description": "Its driver (bridge, overlay, ...)."},
            "scope": {"type": "string", "description": "local, swarm or global."},
            "internal": {"type": "boolean", "description": "Whether it has no route outside."},
            "labels": format::labels_schema()
        }),
        &["id", "name", "driver", "scope", "internal", "labels"],
    )
}

/// A network as structured JSON.
fn network_json(n: &NetworkSummary) -> Value {
    json!({
        "id": n.id,
        "name": n.name,
        "driver": n.driver,
        "scope": n.scope,
        "internal": n.internal,
        "labels": labels_json(&n.labels)
    })
}

/// The result of a listing.
fn networks(list: &[NetworkSummary]) -> Outcome {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|n| vec![n.name.clone(), n.driver.clone(), n.scope.clone(), yes_no(n.internal), format::short_id(&n.id)])
        .collect();
    let text = listing("network", "networks", &["NAME", "DRIVER", "SCOPE", "INTERNAL", "ID"], &rows);
    Outcome::ok(text, json!({"networks": list.iter().map(network_json).collect::<Vec<_>>()}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{args, assert_fits};
    use plugin_kit::testing::invalid;

    #[test]
    fn listings_are_a_table_and_the_records_in_snake_case() {
        let network = NetworkSummary {
            id: "f00dbabe1234567890".into(),
            name: "backend".into(),
            driver: "bridge".into(),
            scope: "local".into(),
            internal: true,
            labels: vec![],
        };
        let outcome = networks(std::slice::from_ref(&network));
        assert_eq!(
            outcome.text(),
            "1 network:\nNAME     DRIVER  SCOPE  INTERNAL  ID\nbackend  bridge  local  yes       f00dbabe1234"
        );
        let structured = outcome.structured.unwrap();
        assert_fits(&LIST_NETWORKS.output_schema.unwrap()(), &structured);
        assert_fits(&network_schema(), &structured["networks"][0]);
    }

    #[test]
    fn the_network_is_required() {
        for tool in [INSPECT_NETWORK, REMOVE_NETWORK] {
            assert!(
                invalid(network(&args(&tool, "{}").unwrap())).starts_with("`network` is required"),
                "{}",
                tool.name
            );
        }
    }
}
