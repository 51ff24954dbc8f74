//! The whole-engine tools: disk usage and events.

use super::{LOOK, Tool};
use crate::format::{self, bytes, table};
use crate::host::{DiskSpace, EngineEvent};
use crate::params::{self, DEFAULT_SINCE, object};
use plugin_kit::{Args, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The filters the engine takes for events, for the schema.
const FILTERS: &str = "type=container, event=die, container=web, image=debian:12, volume=data, \
    network=my-net, label=env=dev";

/// `docker_disk_usage`.
pub const DISK_USAGE: Tool = Tool {
    name: "docker_disk_usage",
    title: "Docker disk usage",
    description: "How much disk space the engine's images, containers, volumes and build cache take \
        (the whole engine's, as counts and sizes).",
    input_schema: || object(json!({}), &[]),
    output_schema: Some(disk_usage_schema),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, _| Ok(disk_usage(&host.disk_usage()?)),
};

/// `docker_events`.
pub const EVENTS: Tool = Tool {
    name: "docker_events",
    title: "Docker engine events",
    description: "What happened on the engine (containers started, died, were killed for memory; images \
        pulled; volumes and networks created or destroyed) in a past time range, to objects in the \
        operator's scope: at most the 1000 most recent.",
    input_schema: || {
        object(
            json!({
                "since": params::time_schema("The start of the range (default 1h: the last hour)"),
                "until": params::time_schema("The end of the range (default: now)"),
                "filters": params::filters_schema(FILTERS)
            }),
            &[],
        )
    },
    output_schema: Some(events_schema),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let range = Range::parse(args, host.now())?;
        Ok(events(&range, &host.events(range.since, range.until, &params::filters(args)?)?))
    },
};

/// The output schema of the disk usage tool.
fn disk_usage_schema() -> Value {
    object(
        json!({
            "images": {"type": "integer", "description": "How many images."},
            "images_bytes": {"type": "integer",
                "description": "Bytes the images take (before engine API 1.52, summed per image, shared layers counted per image)."},
            "containers": {"type": "integer", "description": "How many containers."},
            "containers_bytes": {"type": "integer", "description": "Bytes the containers' writable layers take."},
            "volumes": {"type": "integer", "description": "How many volumes."},
            "volumes_bytes": {"type": ["integer", "null"],
                "description": "Bytes the volumes take; null when the engine does not report it."},
            "build_cache_bytes": {"type": ["integer", "null"],
                "description": "Bytes the build cache takes; null when the engine does not report it."}
        }),
        &["images", "images_bytes", "containers", "containers_bytes", "volumes", "volumes_bytes", "build_cache_bytes"],
    )
}

/// The disk usage result: a table by kind of object, and the total of the
/// sizes the engine reported.
fn disk_usage(d: &DiskSpace) -> Outcome {
    let size = |n: Option<u64>| n.map_or_else(|| "unknown".to_string(), bytes);
    let rows = vec![
        vec!["images".into(), d.images.to_string(), bytes(d.images_bytes)],
        vec!["containers".into(), d.containers.to_string(), bytes(d.containers_bytes)],
        vec!["volumes".into(), d.volumes.to_string(), size(d.volumes_bytes)],
        vec!["build cache".into(), "-".into(), size(d.build_cache_bytes)],
    ];
    let sizes = [Some(d.images_bytes), Some(d.containers_bytes), d.volumes_bytes, d.build_cache_bytes];
    let total = sizes.iter().flatten().fold(0u64, |sum, n| sum.saturating_add(*n));
    let known = if sizes.iter().all(Option::is_some) { "" } else { " (of the sizes the engine reported)" };
    let text = format!("{}\nTotal: {}{known}.", table(&["KIND", "COUNT", "SIZE"], &rows), bytes(total));
    let structured = json!({
        "images": d.images,
        "images_bytes": d.images_bytes,
        "containers": d.containers,
        "containers_bytes": d.containers_bytes,
        "volumes": d.volumes,
        "volumes_bytes": d.volumes_bytes,
        "build_cache_bytes": d.build_cache_bytes
    });
    Outcome::ok(text, structured)
}

/// The time range of an events call, in seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    /// Its start.
    since: i64,
    /// Its end; now when unset.
    until: Option<i64>,
}

impl Range {
    /// The range of a call, `now` being the current time: `since` defaults to
    /// [`DEFAULT_SINCE`], and `until` must not come before it.
    fn parse(args: &Args, now: i64) -> Result<Self, Fail> {
        let since = match params::time(args, "since", now)? {
            Some(since) => since,
            None => params::parse_time("since", DEFAULT_SINCE, now)?,
        };
        let until = params::time(args, "until", now)?;
        if let Some(until) = until.filter(|until| *until < since) {
            return Err(Fail::InvalidParams(format!(
                "`until` ({}) comes before `since` ({})",
                format::time(until),
                format::time(since)
            )));
        }
        Ok(Range { since, until })
    }
}

/// The output schema of the events tool.
fn events_schema() -> Value {
    let event = object(
        json!({
            "time": {"type": "integer", "description": "When, in seconds since the Unix epoch."},
            "kind": {"type": "string", "description": "The kind of object: container, image, volume, network, ..."},
            "action": {"type": "string", "description": "What happened: start, die, oom, pull, destroy, ..."},
            "id": {"type": "string", "description": "The object's id."},
            "name": {"type": ["string", "null"], "description": "The object's name, if it has one."}
        }),
        &["time", "kind", "action", "id", "name"],
    );
    object(
        json!({
            "since": {"type": "integer", "description": "The start of the range, in seconds since the Unix epoch."},
            "until": {"type": ["integer", "null"], "description": "The end of the range; null for now."},
            "events": {"type": "array", "items": event, "description": "The events, as the engine ordered them."}
        }),
        &["since", "until", "events"],
    )
}

/// An event as structured JSON.
fn event_json(e: &EngineEvent) -> Value {
    json!({"time": e.time, "kind": e.kind, "action": e.action, "id": e.id, "name": e.name})
}

/// The events result: a table of the events in `range`.
fn events(range: &Range, list: &[EngineEvent]) -> Outcome {
    let until = range.until.map_or_else(|| "now".to_string(), format::time);
    let during = format!("from {} to {until}", format::time(range.since));
    let text = if list.is_empty() {
        format!("No events {during}.")
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|e| {
                let name = e.name.clone().unwrap_or_else(|| "-".into());
                vec![format::time(e.time), e.kind.clone(), e.action.clone(), name, format::short_id(&e.id)]
            })
            .collect();
        let events = format::count(list.len(), "event", "events");
        format!("{events} {during}:\n{}", table(&["TIME", "KIND", "ACTION", "NAME", "ID"], &rows))
    };
    let structured = json!({
        "since": range.since,
        "until": range.until,
        "events": list.iter().map(event_json).collect::<Vec<_>>()
    });
    Outcome::ok(text, structured)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{args, assert_fits};
    use plugin_kit::testing::invalid;

    const NOW: i64 = 1_767_225_600;

    fn range(json: &str) -> Result<Range, Fail> {
        Range::parse(&args(&EVENTS, json)?, NOW)
    }

    #[test]
    fn the_range_defaults_to_the_last_hour_until_now() {
        assert_eq!(range("{}").unwrap(), Range { since: NOW - 3_600, until: None });
        assert_eq!(
            range(r#"{"since":"2h","until":"1h"}"#).unwrap(),
            Range { since: NOW - 7_200, until: Some(NOW - 3_600) }
        );
        assert_eq!(range(r#"{"since":"1767000000"}"#).unwrap(), Range { since: 1_767_000_000, until: None });
        assert_eq!(
            invalid(range(r#"{"since":"1h","until":"2h"}"#)),
            "`until` (2025-12-31T22:00:00Z) comes before `since` (2025-12-31T23:00:00Z)"
        );
        assert!(invalid(range(r#"{"until":"soon"}"#)).starts_with("`until` must be"));
    }

    #[test]
    fn events_are_a_table_and_the_records_in_snake_case() {
        let die = EngineEvent {
            time: NOW - 60,
            kind: "container".into(),
            action: "die".into(),
            id: "0123456789abcdef".into(),
            name: Some("web".into()),
        };
        let pull = EngineEvent { kind: "image".into(), action: "pull".into(), name: None, ..die.clone() };
        let range = Range { since: NOW - 3_600, until: None };
        let outcome = events(&range, &[die, pull]);
        assert_eq!(
            outcome.text(),
            "2 events from 2025-12-31T23:00:00Z to now:\n\
             TIME                  KIND       ACTION  NAME  ID\n\
             2025-12-31T23:59:00Z  container  die     web   0123456789ab\n\
             2025-12-31T23:59:00Z  image      pull    -     0123456789ab"
        );
        let structured = outcome.structured.unwrap();
        assert_fits(&events_schema(), &structured);
        assert_fits(&events_schema()["properties"]["events"]["items"], &structured["events"][1]);
        assert_eq!(events(&range, &[]).text(), "No events from 2025-12-31T23:00:00Z to now.");
    }

    #[test]
    fn disk_usage_is_a_table_by_kind_with_the_total() {
        let usage = DiskSpace {
            images: 12,
            images_bytes: 3_200_000_000,
            containers: 4,
            containers_bytes: 12_000_000,
            volumes: 3,
            volumes_bytes: Some(1_100_000_000),
            build_cache_bytes: Some(500_000_000),
        };
        let outcome = disk_usage(&usage);
        assert_eq!(
            outcome.text(),
            "KIND         COUNT  SIZE\n\
             images       12     3.2 GB\n\
             containers   4      12.0 MB\n\
             volumes      3      1.1 GB\n\
             build cache  -      500 MB\n\
             Total: 4.8 GB."
        );
        assert_fits(&disk_usage_schema(), outcome.structured.as_ref().unwrap());
        let unreported = disk_usage(&DiskSpace { volumes_bytes: None, build_cache_bytes: None, ..usage });
        assert!(unreported.text().contains("volumes      3      unknown\n"), "{}", unreported.text());
        assert!(
            unreported.text().ends_with("Total: 3.2 GB (of the sizes the engine reported)."),
            "{}",
            unreported.text()
        );
        assert_eq!(unreported.structured.unwrap()["volumes_bytes"], Value::Null);
    }
}
