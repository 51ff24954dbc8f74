//! The container tools: listing, inspecting, logs and stats; starting,
//! stopping, restarting, pausing, unpausing and removing.

use super::{DELETES, LOOK, SETS_STATE, Tool, inspected, list_schema, removal_schema, removed};
use crate::format::{self, bytes, cell_list, labels_json, listing};
use crate::host::{ContainerSummary, LogOptions, Logs, ResourceUse};
use crate::params::{self, object};
use plugin_kit::{Annotations, Args, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The filters the engine takes for containers, for the schema.
const FILTERS: &str = "status=exited, name=web, label=env=dev, ancestor=debian:12, health=unhealthy, \
    network=my-net, volume=data, exited=137";

/// `docker_list_containers`.
pub const LIST_CONTAINERS: Tool = Tool {
    name: "docker_list_containers",
    title: "List Docker containers",
    description: "Lists the engine's containers (those the operator's scope allows): the running ones, or every \
        one with `all`, optionally filtered. One line each: name, state, status, image, short id, published ports.",
    input_schema: || {
        object(
            json!({
                "all": {"type": "boolean", "default": false,
                    "description": "Include stopped containers, not only running ones."},
                "filters": params::filters_schema(FILTERS)
            }),
            &[],
        )
    },
    output_schema: Some(|| list_schema("containers", container_schema(), "The matching containers.")),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let all = args.bool("all", false)?;
        Ok(containers(&host.list_containers(all, &params::filters(args)?)?, all))
    },
};

/// `docker_inspect_container`.
pub const INSPECT_CONTAINER: Tool = Tool {
    name: "docker_inspect_container",
    title: "Inspect a Docker container",
    description: "The engine's full description of a container, as `docker inspect` prints it: \
        configuration, state (status, exit code, OOM kill, health), mounts, networks.",
    input_schema: container_only,
    output_schema: None,
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| Ok(inspected(host.inspect_container(&params::container(args)?)?)),
};

/// `docker_container_logs`.
pub const CONTAINER_LOGS: Tool = Tool {
    name: "docker_container_logs",
    title: "Read a Docker container's logs",
    description: "A container's output (standard output and error, interleaved as written): by default its \
        last 100 lines. The host caps how much it returns, keeping the newest part, and says when it cut.",
    input_schema: || {
        object(
            json!({
                "container": params::container_schema(),
                "tail": params::tail_schema(),
                "since": params::time_schema("Only lines written at or after this time"),
                "timestamps": {"type": "boolean", "default": false,
                    "description": "Prefix each line with the time it was written."}
            }),
            &["container"],
        )
    },
    output_schema: Some(|| {
        object(
            json!({
                "container": {"type": "string", "description": "The container, as asked for."},
                "text": {"type": "string", "description": "The output."},
                "truncated": {"type": "boolean", "description": "Whether the host cut the output at its cap."}
            }),
            &["container", "text", "truncated"],
        )
    }),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let container = params::container(args)?;
        let logs = host.container_logs(&container, log_options(args, host.now())?)?;
        Ok(logged(&container, logs))
    },
};

/// `docker_container_stats`.
pub const CONTAINER_STATS: Tool = Tool {
    name: "docker_container_stats",
    title: "Sample a Docker container's resource use",
    description: "One sample of a running container's resource use: CPU, memory against its limit, \
        network and block I/O, processes.",
    input_schema: container_only,
    output_schema: Some(stats_schema),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let container = params::container(args)?;
        let stats = host.container_stats(&container)?;
        Ok(sampled(&container, &stats))
    },
};

/// `docker_start_container`.
pub const START_CONTAINER: Tool = Tool {
    name: "docker_start_container",
    title: "Start a Docker container",
    description: "Starts a stopped container.",
    input_schema: container_only,
    output_schema: Some(changed_schema),
    annotations: SETS_STATE,
    task_support: TaskSupport::Forbidden,
    run: |host, args| change(args, "started", |container| host.start_container(container)),
};

/// `docker_stop_container`.
pub const STOP_CONTAINER: Tool = Tool {
    name: "docker_stop_container",
    title: "Stop a Docker container",
    description: "Stops a running container: SIGTERM, then SIGKILL after `timeout_secs`. \
        The user may be asked to confirm first.",
    input_schema: container_and_timeout,
    output_schema: Some(changed_schema),
    annotations: DELETES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let timeout = params::timeout_secs(args)?;
        change(args, "stopped", |container| host.stop_container(container, timeout))
    },
};

/// `docker_restart_container`.
pub const RESTART_CONTAINER: Tool = Tool {
    name: "docker_restart_container",
    title: "Restart a Docker container",
    description: "Stops a container (SIGTERM, then SIGKILL after `timeout_secs`) and starts it again.",
    input_schema: container_and_timeout,
    output_schema: Some(changed_schema),
    annotations: Annotations { idempotent: false, ..SETS_STATE },
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let timeout = params::timeout_secs(args)?;
        change(args, "restarted", |container| host.restart_container(container, timeout))
    },
};

/// `docker_pause_container`.
pub const PAUSE_CONTAINER: Tool = Tool {
    name: "docker_pause_container",
    title: "Pause a Docker container",
    description: "Freezes every process of a running container until docker_unpause_container.",
    input_schema: container_only,
    output_schema: Some(changed_schema),
    annotations: SETS_STATE,
    task_support: TaskSupport::Forbidden,
    run: |host, args| change(args, "paused", |container| host.pause_container(container)),
};

/// `docker_unpause_container`.
pub const UNPAUSE_CONTAINER: Tool = Tool {
    name: "docker_unpause_container",
    title: "Unpause a Docker container",
    description: "Thaws a paused container.",
    input_schema: container_only,
    output_schema: Some(changed_schema),
    annotations: SETS_STATE,
    task_support: TaskSupport::Forbidden,
    run: |host, args| change(args, "unpaused", |container| host.unpause_container(container)),
};

/// `docker_remove_container`.
pub const REMOVE_CONTAINER: Tool = Tool {
    name: "docker_remove_container",
    title: "Remove a Docker container",
    description: "Removes a stopped container (with `force`, a running one too, stopping it first). \
        Its writable layer is lost. The user may be asked to confirm first.",
    input_schema: || {
        object(
            json!({
                "container": params::container_schema(),
                "force": params::force_schema("Stop the container first if it runs (else a running one is refused)."),
                "volumes": {"type": "boolean", "default": false,
                    "description": "Also remove the container's anonymous volumes (named volumes stay)."}
            }),
            &["container"],
        )
    },
    output_schema: Some(removal_schema),
    annotations: DELETES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let container = params::container(args)?;
        let removal = host.remove_container(&container, args.bool("force", false)?, args.bool("volumes", false)?)?;
        Ok(removed(&format!("Removed container {container}"), &removal))
    },
};

/// The schema of the tools that take only `container`.
fn container_only() -> Value {
    object(json!({"container": params::container_schema()}), &["container"])
}

/// The schema of stop and restart.
fn container_and_timeout() -> Value {
    object(json!({"container": params::container_schema(), "timeout_secs": params::timeout_schema()}), &["container"])
}

/// A container, as the container tools return it.
fn container_schema() -> Value {
    object(
        json!({
            "id": {"type": "string", "description": "The engine's id."},
            "name": {"type": "string", "description": "Its name."},
            "image": {"type": "string", "description": "The image it was created from."},
            "state": {"type": "string", "description": "created, running, paused, restarting, exited or dead."},
            "status": {"type": "string", "description": "The engine's status text (Up 5 minutes, Exited (1) 2 hours ago)."},
            "created": {"type": "integer", "description": "When it was created, in seconds since the Unix epoch."},
            "labels": format::labels_schema(),
            "ports": {"type": "array", "items": {"type": "string"},
                "description": "Published ports, as 0.0.0.0:8080->80/tcp."}
        }),
        &["id", "name", "image", "state", "status", "created", "labels", "ports"],
    )
}

/// A container as structured JSON.
fn container_json(c: &ContainerSummary) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "image": c.image,
        "state": c.state,
        "status": c.status,
        "created": c.created,
        "labels": labels_json(&c.labels),
        "ports": c.ports
    })
}

/// The result of a listing: running ones only unless `all`.
fn containers(list: &[ContainerSummary], all: bool) -> Outcome {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.state.clone(),
                c.status.clone(),
                c.image.clone(),
                format::short_id(&c.id),
                cell_list(&c.ports),
            ]
        })
        .collect();
    let (one, many) = if all { ("container", "containers") } else { ("running container", "running containers") };
    let text = listing(one, many, &["NAME", "STATE", "STATUS", "IMAGE", "ID", "PORTS"], &rows);
    Outcome::ok(text, json!({"containers": list.iter().map(container_json).collect::<Vec<_>>()}))
}

/// The logs options of a call, `now` being the current time.
fn log_options(args: &Args, now: i64) -> Result<LogOptions, Fail> {
    Ok(LogOptions {
        tail: params::tail(args)?,
        since: params::time(args, "since", now)?,
        timestamps: args.bool("timestamps", false)?,
    })
}

/// The result of reading `container`'s logs: the text as written, saying so
/// when there is none or the host cut its older part.
fn logged(container: &str, logs: Logs) -> Outcome {
    let mut text =
        if logs.text.is_empty() { format!("Container {container} wrote no output.") } else { logs.text.clone() };
    if logs.truncated {
        text.insert_str(0, "[Older output cut at the host's cap; the newest follows.]\n");
    }
    Outcome::ok(text, json!({"container": container, "text": logs.text, "truncated": logs.truncated}))
}

/// The output schema of the stats tool.
fn stats_schema() -> Value {
    object(
        json!({
            "container": {"type": "string", "description": "The container, as asked for."},
            "cpu_percent": {"type": "number", "description": "CPU use since the previous sample, in percent of one core."},
            "memory_bytes": {"type": "integer", "description": "Memory in use, in bytes (without the page cache)."},
            "memory_limit_bytes": {"type": "integer", "description": "The memory limit, in bytes."},
            "network_rx_bytes": {"type": "integer", "description": "Bytes received over every network interface."},
            "network_tx_bytes": {"type": "integer", "description": "Bytes sent over every network interface."},
            "block_read_bytes": {"type": "integer", "description": "Bytes read from block devices."},
            "block_write_bytes": {"type": "integer", "description": "Bytes written to block devices."},
            "pids": {"type": "integer", "description": "Processes and threads."}
        }),
        &[
            "container",
            "cpu_percent",
            "memory_bytes",
            "memory_limit_bytes",
            "network_rx_bytes",
            "network_tx_bytes",
            "block_read_bytes",
            "block_write_bytes",
            "pids",
        ],
    )
}

/// The result of sampling `container`'s resource use.
fn sampled(container: &str, s: &ResourceUse) -> Outcome {
    let memory = match s.memory_limit_bytes {
        0 => bytes(s.memory_bytes),
        limit => format!(
            "{} of {} ({:.1}%)",
            bytes(s.memory_bytes),
            bytes(limit),
            s.memory_bytes as f64 * 100.0 / limit as f64
        ),
    };
    let text = format!(
        "Container {container}: CPU {:.1}%, memory {memory}, network {} in / {} out, \
         block I/O {} read / {} written, {} processes.",
        s.cpu_percent,
        bytes(s.network_rx_bytes),
        bytes(s.network_tx_bytes),
        bytes(s.block_read_bytes),
        bytes(s.block_write_bytes),
        s.pids
    );
    let structured = json!({
        "container": container,
        "cpu_percent": s.cpu_percent,
        "memory_bytes": s.memory_bytes,
        "memory_limit_bytes": s.memory_limit_bytes,
        "network_rx_bytes": s.network_rx_bytes,
        "network_tx_bytes": s.network_tx_bytes,
        "block_read_bytes": s.block_read_bytes,
        "block_write_bytes": s.block_write_bytes,
        "pids": s.pids
    });
    Outcome::ok(text, structured)
}

/// The output schema of the tools that change a container's state.
fn changed_schema() -> Value {
    object(
        json!({
            "container": {"type": "string", "description": "The container, as asked for."},
            "action": {"type": "string", "enum": ["started", "stopped", "restarted", "paused", "unpaused"],
                "description": "What was done."}
        }),
        &["container", "action"],
    )
}

/// Changes the state of the call's `container` with `act`; `action` says
/// what was done (`started`).
fn change(args: &Args, action: &str, act: impl FnOnce(&str) -> Result<(), Fail>) -> Result<Outcome, Fail> {
    let container = params::container(args)?;
    act(&container)?;
    Ok(changed(&container, action))
}

/// The result of changing `container`'s state: `action` is what was done (`started`).
fn changed(container: &str, action: &str) -> Outcome {
    Outcome::ok(format!("Container {container} {action}."), json!({"container": container, "action": action}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{args, assert_fits};
    use plugin_kit::testing::invalid;

    fn summary(name: &str, ports: &[&str]) -> ContainerSummary {
        ContainerSummary {
            id: format!("{name}0123456789abcdef"),
            name: name.into(),
            image: "nginx:1.27".into(),
            state: "running".into(),
            status: "Up 5 minutes".into(),
            created: 1_767_225_600,
            labels: vec![("env".into(), "dev".into())],
            ports: ports.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn listings_are_a_table_and_the_records_in_snake_case() {
        let list = [summary("web", &["0.0.0.0:8080->80/tcp", ":::8080->80/tcp"]), summary("db", &[])];
        let outcome = containers(&list, false);
        assert_eq!(
            outcome.text(),
            "2 running containers:\n\
             NAME  STATE    STATUS        IMAGE       ID            PORTS\n\
             web   running  Up 5 minutes  nginx:1.27  web012345678  0.0.0.0:8080->80/tcp, :::8080->80/tcp\n\
             db    running  Up 5 minutes  nginx:1.27  db0123456789  -"
        );
        let structured = outcome.structured.unwrap();
        assert_fits(&LIST_CONTAINERS.output_schema.unwrap()(), &structured);
        assert_fits(&container_schema(), &structured["containers"][0]);
        assert_eq!(structured["containers"][0]["labels"], json!({"env": "dev"}));
        assert_eq!(containers(&[], true).text(), "No containers.");
    }

    #[test]
    fn logs_options_default_to_the_hosts_and_read_relative_times() {
        let options = |json: &str| log_options(&args(&CONTAINER_LOGS, json)?, 10_000);
        assert_eq!(options(r#"{"container":"web"}"#).unwrap(), LogOptions::default());
        assert_eq!(
            options(r#"{"container":"web","tail":50,"since":"10m","timestamps":true}"#).unwrap(),
            LogOptions { tail: Some(50), since: Some(9_400), timestamps: true }
        );
        assert!(invalid(options(r#"{"container":"web","tail":0}"#)).starts_with("`tail` must be a whole number"));
        assert!(invalid(options(r#"{"container":"web","since":"yesterday"}"#)).starts_with("`since` must be"));
    }

    #[test]
    fn logs_say_when_there_are_none_or_the_host_cut_them() {
        let outcome = logged("web", Logs { text: "a\nb\n".into(), truncated: false });
        assert_eq!(outcome.text(), "a\nb\n");
        assert_fits(&CONTAINER_LOGS.output_schema.unwrap()(), outcome.structured.as_ref().unwrap());
        assert_eq!(
            logged("web", Logs { text: String::new(), truncated: false }).text(),
            "Container web wrote no output."
        );
        let cut = logged("web", Logs { text: "x".into(), truncated: true });
        assert_eq!(cut.text(), "[Older output cut at the host's cap; the newest follows.]\nx");
    }

    #[test]
    fn stats_read_as_one_line() {
        let stats = ResourceUse {
            cpu_percent: 12.345,
            memory_bytes: 50_000_000,
            memory_limit_bytes: 2_000_000_000,
            network_rx_bytes: 1_200,
            network_tx_bytes: 800,
            block_read_bytes: 0,
            block_write_bytes: 4_100,
            pids: 5,
        };
        let outcome = sampled("web", &stats);
        assert_eq!(
            outcome.text(),
            "Container web: CPU 12.3%, memory 50.0 MB of 2.0 GB (2.5%), network 1.2 kB in / 800 B out, \
             block I/O 0 B read / 4.1 kB written, 5 processes."
        );
        assert_fits(&stats_schema(), outcome.structured.as_ref().unwrap());
        let unlimited = sampled("web", &ResourceUse { memory_limit_bytes: 0, ..stats });
        assert!(unlimited.text().contains("memory 50.0 MB,"), "{}", unlimited.text());
    }

    #[test]
    fn state_changes_say_what_was_done() {
        let outcome = changed("web", "paused");
        assert_eq!(outcome.text(), "Container web paused.");
        assert_fits(&changed_schema(), outcome.structured.as_ref().unwrap());
    }

    #[test]
    fn the_container_is_required() {
        for tool in [INSPECT_CONTAINER, CONTAINER_LOGS, START_CONTAINER, STOP_CONTAINER, REMOVE_CONTAINER] {
            let msg = invalid(params::container(&args(&tool, "{}").unwrap()));
            assert!(msg.starts_with("`container` is required"), "{}: {msg}", tool.name);
        }
        let stop = args(&STOP_CONTAINER, r#"{"container":"web","timeout_secs":3601}"#).unwrap();
        assert!(
            invalid(params::timeout_secs(&stop)).starts_with("`timeout_secs` must be a whole number from 0 to 3600")
        );
    }
}
