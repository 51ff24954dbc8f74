//! The container tools: `list_containers`, `create_container` and
//! `cleanup_container`.

use super::{LOOK, REPLACES, Tool};
use crate::host::{Container, ContainerSpec, Host, Level};
use crate::schema::object;
use plugin_kit::{Annotations, Args, Fail, Mount, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The largest memory limit a caller may ask for, in MiB (1 TiB).
const MAX_MEMORY_MIB: u64 = 1 << 20;
/// The smallest memory limit the Docker engine accepts, in MiB.
const MIN_MEMORY_MIB: u64 = 6;
/// The largest CPU limit a caller may ask for, in cores.
const MAX_CPUS: f64 = 1024.0;

/// `list_containers`.
pub const LIST_CONTAINERS: Tool = Tool {
    name: "list_containers",
    title: "List containers",
    description: "Lists your containers (never another client's), by default the running ones of the current session.",
    input_schema: || {
        object(
            json!({
                "show_all": {"type": "boolean", "default": false,
                    "description": "Include stopped containers, not just running ones."},
                "session_id": {"type": "string",
                    "description": "List this session's containers instead of the current session's."}
            }),
            &[],
        )
    },
    output_schema: Some(|| {
        object(
            json!({"containers": {"type": "array", "items": container_schema(), "description": "The matching containers."}}),
            &["containers"],
        )
    }),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| list(host, &ListRequest::parse(args)?),
};

/// `create_container`.
pub const CREATE_CONTAINER: Tool = Tool {
    name: "create_container",
    title: "Create a container",
    description: "Creates and starts a sandbox container with resource limits, no network unless asked for, \
        and a /workspace volume shared by the session's containers. With reuse_existing (the default), \
        an existing container of the same name in the session is returned instead. Returns the \
        container_id to pass to the other tools.",
    input_schema: create_schema,
    output_schema: Some(container_schema),
    annotations: Annotations { read_only: false, destructive: false, idempotent: false, open_world: Some(false) },
    task_support: TaskSupport::Forbidden,
    run: |host, args| create(host, CreateRequest::parse(args)?),
};

/// `cleanup_container`.
pub const CLEANUP_CONTAINER: Tool = Tool {
    name: "cleanup_container",
    title: "Remove containers",
    description: "Stops and removes one container (`container_id`), every container of a session \
        (`session_id`), or every container of yours in all your sessions (`cleanup_all: true`). Give exactly one. \
        With remove_volumes, the session's /workspace volume is deleted too once no container uses it.",
    input_schema: || {
        object(
            json!({
                "container_id": {"type": "string", "description": "Remove this container."},
                "session_id": {"type": "string", "description": "Remove every container of this session."},
                "remove_volumes": {"type": "boolean", "default": false,
                    "description": "Also delete the session's /workspace volume (its files are lost)."},
                "cleanup_all": {"type": "boolean", "default": false,
                    "description": "Remove every container of yours, in all your sessions (never another client's)."}
            }),
            &[],
        )
    },
    output_schema: Some(|| {
        object(
            json!({"removed": {"type": "integer", "description": "How many containers were removed."}}),
            &["removed"],
        )
    }),
    annotations: REPLACES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| cleanup(host, CleanupRequest::parse(args)?),
};

fn create_schema() -> Value {
    object(
        json!({
            "image": {"type": "string",
                "description": "The image to run, such as python:3.12-slim or node:22-alpine. Defaults to the operator's configured default image."},
            "name": {"type": "string",
                "description": "A name for the container, usable as its container_id. The server refuses names Docker would not accept, saying why."},
            "session_id": {"type": "string",
                "description": "The session that owns the container and its /workspace volume; defaults to the current session."},
            "network_enabled": {"type": "boolean", "default": false,
                "description": "Give the container network access (the operator must allow it). Package installs get the network for their duration either way."},
            "reuse_existing": {"type": "boolean", "default": true,
                "description": "Return an existing container with the same name in the same session instead of creating another."},
            "environment": {"type": "object", "additionalProperties": {"type": "string"}, "default": {},
                "description": "Environment variables, as name → value."},
            "memory_mib": {"type": "integer", "minimum": MIN_MEMORY_MIB, "maximum": MAX_MEMORY_MIB,
                "description": "Memory limit in MiB; defaults to the operator's limit."},
            "cpus": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_CPUS,
                "description": "CPU limit in cores, fractions allowed; defaults to the operator's limit."},
            "mounts": {"type": "array", "default": [],
                "description": "Host directories to mount. Each must be allowed by the operator's mount allowlist and every policy; the Docker socket and system paths never are.",
                "items": {"type": "object", "additionalProperties": false, "required": ["host_path", "container_path"],
                    "properties": {
                        "host_path": {"type": "string", "description": "Absolute host path."},
                        "container_path": {"type": "string", "description": "Absolute path inside the container."},
                        "read_only": {"type": "boolean", "default": true, "description": "Mount read-only."}
                    }}}
        }),
        &[],
    )
}

/// A container, as the container tools return it.
fn container_schema() -> Value {
    object(
        json!({
            "id": {"type": "string", "description": "The container id, for container_id."},
            "name": {"type": "string", "description": "The container's name."},
            "image": {"type": "string", "description": "The image it runs."},
            "state": {"type": "string", "description": "The engine's state: running, exited, ..."},
            "session_id": {"type": "string", "description": "The session that owns it."},
            "network": {"type": "boolean", "description": "Whether it has network access."}
        }),
        &["id", "name", "image", "state", "session_id", "network"],
    )
}

/// A `list_containers` request.
#[derive(Debug, Clone, PartialEq)]
struct ListRequest {
    /// Include stopped containers.
    show_all: bool,
    /// The session to list; the caller's session when unset.
    session_id: Option<String>,
}

impl ListRequest {
    fn parse(args: &Args) -> Result<Self, Fail> {
        Ok(ListRequest { show_all: args.bool("show_all", false)?, session_id: session_id(args)? })
    }
}

/// A `create_container` request.
#[derive(Debug, Clone, PartialEq)]
struct CreateRequest {
    /// The image; the operator's default when unset.
    image: Option<String>,
    /// The container's name, checked by the host.
    name: Option<String>,
    /// The owning session; the caller's session when unset.
    session_id: Option<String>,
    /// Give the container a network.
    network_enabled: bool,
    /// Return an existing container of the same name and session.
    reuse_existing: bool,
    /// Environment variables, in key order.
    environment: Vec<(String, String)>,
    /// Memory limit in MiB; the operator's default when unset.
    memory_mib: Option<u64>,
    /// CPU limit in cores; the operator's default when unset.
    cpus: Option<f64>,
    /// Host directories to mount; every policy must allow each.
    mounts: Vec<Mount>,
}

impl CreateRequest {
    fn parse(args: &Args) -> Result<Self, Fail> {
        let image = args.string("image")?;
        if let Some(image) = &image {
            check_image(image)?;
        }
        let environment = args.string_map("environment")?.unwrap_or_default();
        for (key, value) in &environment {
            check_env(key, value)?;
        }
        Ok(CreateRequest {
            image,
            name: args.string("name")?,
            session_id: session_id(args)?,
            network_enabled: args.bool("network_enabled", false)?,
            reuse_existing: args.bool("reuse_existing", true)?,
            environment,
            memory_mib: args.integer("memory_mib", MIN_MEMORY_MIB, MAX_MEMORY_MIB)?,
            cpus: args.positive_number("cpus", MAX_CPUS)?,
            mounts: mounts(args)?,
        })
    }
}

/// `create_container`'s `mounts`: absolute paths on both sides, read-only unless said otherwise.
fn mounts(args: &Args) -> Result<Vec<Mount>, Fail> {
    let entries = args.object_list("mounts")?.unwrap_or_default();
    let mount = |(i, entry): (usize, &Args)| {
        let host_path =
            entry.required_string("host_path", &format!("mounts[{i}] names the host directory to mount"))?;
        let container_path =
            entry.required_string("container_path", &format!("mounts[{i}] names where it appears in the container"))?;
        for (what, path) in [("host_path", &host_path), ("container_path", &container_path)] {
            if !path.starts_with('/') || path.contains('\0') {
                return Err(Fail::InvalidParams(format!(
                    "`mounts[{i}].{what}` must be an absolute path, not {path:?}"
                )));
            }
        }
        Ok(Mount { host_path, container_path, read_only: entry.bool("read_only", true)? })
    };
    entries.iter().enumerate().map(mount).collect()
}

/// What `cleanup_container` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cleanup {
    /// One container.
    Container(String),
    /// Every container of a session.
    Session(String),
    /// Every container of this host instance.
    All,
}

/// A `cleanup_container` request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CleanupRequest {
    /// What to remove.
    target: Cleanup,
    /// Remove the session volumes too.
    remove_volumes: bool,
}

impl CleanupRequest {
    /// Exactly one of `container_id`, `session_id` and `cleanup_all: true`
    /// says what to remove.
    fn parse(args: &Args) -> Result<Self, Fail> {
        let container = args.string("container_id")?;
        if let Some(id) = &container {
            not_blank("container_id", id)?;
        }
        let session = session_id(args)?;
        let all = args.bool("cleanup_all", false)?;
        let target = match (container, session, all) {
            (Some(id), None, false) => Cleanup::Container(id),
            (None, Some(session), false) => Cleanup::Session(session),
            (None, None, true) => Cleanup::All,
            (None, None, false) => {
                return Err(Fail::InvalidParams(
                    "say what to remove: `container_id`, `session_id`, or `cleanup_all: true`".into(),
                ));
            }
            _ => {
                return Err(Fail::InvalidParams(
                    "give only one of `container_id`, `session_id` and `cleanup_all: true`".into(),
                ));
            }
        };
        Ok(CleanupRequest { target, remove_volumes: args.bool("remove_volumes", false)? })
    }
}

/// Lists containers of the named session, else of the caller's session,
/// else of every session.
fn list(host: &dyn Host, request: &ListRequest) -> Result<Outcome, Fail> {
    let session = request.session_id.clone().or_else(|| host.session_id());
    let containers =
        host.list_containers(request.show_all, session.clone()).map_err(|f| f.context("listing containers"))?;
    let scope = match &session {
        Some(session) => format!("in session {session}"),
        None => "in any session".to_string(),
    };
    let which = if request.show_all { "containers" } else { "running containers" };
    let text = if containers.is_empty() {
        format!("No {which} {scope}.")
    } else {
        let mut text = format!("{} {which} {scope}:", containers.len());
        for c in &containers {
            text.push_str(&format!(
                "\n- {} ({}): {}, image {}, session {}, network {}",
                c.name,
                c.id,
                c.state,
                c.image,
                c.session_id,
                on_off(c.network)
            ));
        }
        text
    };
    Ok(Outcome::ok(text, json!({ "containers": containers.iter().map(container_json).collect::<Vec<_>>() })))
}

/// Creates (or, with `reuse_existing`, finds) a container. Without an image
/// the spec's image is empty, and the host runs the operator's default.
fn create(host: &dyn Host, request: CreateRequest) -> Result<Outcome, Fail> {
    let image = request.image.unwrap_or_default();
    let from = if image.is_empty() { "the default image".to_string() } else { image.clone() };
    let spec = ContainerSpec {
        image,
        name: request.name,
        env: request.environment,
        network: request.network_enabled,
        memory_bytes: request.memory_mib.map(|mib| mib << 20),
        cpus: request.cpus,
        reuse_existing: request.reuse_existing,
        session: request.session_id,
        mounts: request.mounts,
    };
    let c = host.create_container(spec).map_err(|f| f.context(&format!("creating a container from {from}")))?;
    host.log(Level::Info, &format!("container {} ({}) ready, image {}", c.name, c.id, c.image));
    let text = format!(
        "Container {} is {} (image {}, session {}, network {}). Use container_id {:?} with the other tools.",
        c.name,
        c.state,
        c.image,
        c.session_id,
        on_off(c.network),
        c.id
    );
    Ok(Outcome::ok(text, container_json(&c)))
}

/// Removes what the request selects.
fn cleanup(host: &dyn Host, request: CleanupRequest) -> Result<Outcome, Fail> {
    let volumes = request.remove_volumes;
    let (what, removed) = match request.target {
        Cleanup::Container(id) => {
            host.remove_container(&id, volumes).map_err(|f| f.context(&format!("removing container {id}")))?;
            (format!("container {id}"), 1)
        }
        Cleanup::Session(session) => {
            let removed = host
                .remove_session(Some(session.clone()), volumes)
                .map_err(|f| f.context(&format!("removing the containers of session {session}")))?;
            (format!("the containers of session {session}"), removed)
        }
        Cleanup::All => {
            let removed =
                host.remove_session(None, volumes).map_err(|f| f.context("removing every container of yours"))?;
            ("every container of yours".to_string(), removed)
        }
    };
    host.log(Level::Info, &format!("removed {removed} container(s): {what}"));
    let note = if volumes { " Session volumes no longer in use were deleted." } else { "" };
    Ok(Outcome::ok(format!("Removed {removed} container(s): {what}.{note}"), json!({ "removed": removed })))
}

/// The optional, non-blank `session_id`.
fn session_id(args: &Args) -> Result<Option<String>, Fail> {
    let session = args.string("session_id")?;
    if let Some(session) = &session {
        not_blank("session_id", session)?;
    }
    Ok(session)
}

/// Refuses a `value` of parameter `name` that is empty or only whitespace.
pub(super) fn not_blank(name: &str, value: &str) -> Result<(), Fail> {
    if value.trim().is_empty() {
        return Err(Fail::InvalidParams(format!("`{name}` must not be empty")));
    }
    Ok(())
}

/// Refuses an image reference that is empty, starts with `-`, or holds
/// whitespace or control characters.
fn check_image(image: &str) -> Result<(), Fail> {
    if image.is_empty() || image.starts_with('-') || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Fail::InvalidParams(format!(
            "`image` must be an image reference such as python:3.12-slim, not {image:?}"
        )));
    }
    Ok(())
}

/// Refuses an environment variable whose name is empty or holds `=` or NUL,
/// or whose value holds NUL.
fn check_env(key: &str, value: &str) -> Result<(), Fail> {
    if key.is_empty() || key.contains('=') || key.contains('\0') {
        return Err(Fail::InvalidParams(format!(
            "`environment` has the variable name {key:?}; names must be non-empty, without `=` or NUL"
        )));
    }
    if value.contains('\0') {
        return Err(Fail::InvalidParams(format!("`environment.{key}` must not contain NUL")));
    }
    Ok(())
}

/// `on` or `off`.
fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

/// A container as structured JSON.
fn container_json(c: &Container) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "image": c.image,
        "state": c.state,
        "session_id": c.session_id,
        "network": c.network
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::args;
    use crate::tools::call;
    use crate::tools::fake::{Call, Fake, container};
    use plugin_kit::testing::invalid;

    fn create_request(json: &str) -> Result<CreateRequest, Fail> {
        CreateRequest::parse(&args(&CREATE_CONTAINER, json)?)
    }

    fn cleanup_request(json: &str) -> Result<CleanupRequest, Fail> {
        CleanupRequest::parse(&args(&CLEANUP_CONTAINER, json)?)
    }

    #[test]
    fn list_defaults_to_running_containers_of_the_callers_session() {
        let list = |json: &str| ListRequest::parse(&args(&LIST_CONTAINERS, json)?);
        assert_eq!(list("{}").unwrap(), ListRequest { show_all: false, session_id: None });
        assert_eq!(
            list(r#"{"show_all":true,"session_id":"s1"}"#).unwrap(),
            ListRequest { show_all: true, session_id: Some("s1".into()) }
        );
        assert_eq!(invalid(list(r#"{"session_id":" "}"#)), "`session_id` must not be empty");
    }

    #[test]
    fn list_filters_by_the_named_session_then_the_callers() {
        let host = Fake { session: Some("mine".into()), ..Fake::default() };
        call(&host, "list_containers", "{}").unwrap();
        call(&host, "list_containers", r#"{"session_id":"other","show_all":true}"#).unwrap();
        assert_eq!(
            host.calls(),
            [
                Call::List { include_stopped: false, session: Some("mine".into()) },
                Call::List { include_stopped: true, session: Some("other".into()) }
            ]
        );
        let host = Fake::default();
        let outcome = call(&host, "list_containers", "{}").unwrap();
        assert_eq!(host.calls(), [Call::List { include_stopped: false, session: None }]);
        assert_eq!(outcome.structured.as_ref().unwrap()["containers"][0], container_json(&container("c1", "s")));
        assert_eq!(
            outcome.content,
            vec![plugin_kit::Block::Text(
                "1 running containers in any session:\n- c1-name (c1): running, image img, session s, network off"
                    .into()
            )]
        );
    }

    #[test]
    fn create_defaults_match_the_seed() {
        assert_eq!(
            create_request("{}").unwrap(),
            CreateRequest {
                image: None,
                name: None,
                session_id: None,
                network_enabled: false,
                reuse_existing: true,
                environment: vec![],
                memory_mib: None,
                cpus: None,
                mounts: vec![],
            }
        );
    }

    #[test]
    fn create_reads_every_parameter() {
        let request = create_request(
            r#"{"image":"node:18-alpine","name":"my-box","session_id":"s","network_enabled":true,
                "reuse_existing":false,"environment":{"KEY":"value"},"memory_mib":512,"cpus":1.5,
                "mounts":[{"host_path":"/srv/data","container_path":"/data"},{"host_path":"/srv/out","container_path":"/out","read_only":false}]}"#,
        )
        .unwrap();
        assert_eq!(
            request,
            CreateRequest {
                image: Some("node:18-alpine".into()),
                name: Some("my-box".into()),
                session_id: Some("s".into()),
                network_enabled: true,
                reuse_existing: false,
                environment: vec![("KEY".into(), "value".into())],
                memory_mib: Some(512),
                cpus: Some(1.5),
                mounts: vec![
                    Mount { host_path: "/srv/data".into(), container_path: "/data".into(), read_only: true },
                    Mount { host_path: "/srv/out".into(), container_path: "/out".into(), read_only: false },
                ],
            }
        );
    }

    #[test]
    fn create_refuses_bad_values_naming_the_parameter() {
        for (json, start) in [
            (r#"{"image":"a b"}"#, "`image`"),
            (r#"{"image":"--privileged"}"#, "`image`"),
            (r#"{"environment":{"A=B":"x"}}"#, "`environment`"),
            (r#"{"environment":{"A":"x\u0000"}}"#, "`environment.A`"),
            (r#"{"memory_mib":1}"#, "`memory_mib`"),
            (r#"{"cpus":0}"#, "`cpus`"),
            (r#"{"network_enabled":"yes"}"#, "`network_enabled`"),
            (r#"{"mounts":[{"host_path":"relative","container_path":"/d"}]}"#, "`mounts[0].host_path`"),
            (
                r#"{"mounts":[{"host_path":"/a","container_path":"/d","rw":true}]}"#,
                "`mounts[0]`: unknown parameter `rw`",
            ),
        ] {
            let msg = invalid(create_request(json));
            assert!(msg.starts_with(start), "{json}: {msg}");
        }
    }

    #[test]
    fn names_are_left_to_the_host() {
        for name in ["a", "-x", "a/b"] {
            let request = create_request(&json!({ "name": name }).to_string()).unwrap();
            assert_eq!(request.name.as_deref(), Some(name));
        }
    }

    #[test]
    fn create_without_an_image_leaves_it_to_the_host_default() {
        let host = Fake::default();
        call(&host, "create_container", r#"{"memory_mib":512,"session_id":"s9"}"#).unwrap();
        let expected = ContainerSpec {
            image: String::new(),
            name: None,
            env: vec![],
            network: false,
            memory_bytes: Some(512 << 20),
            cpus: None,
            reuse_existing: true,
            session: Some("s9".into()),
            mounts: vec![],
        };
        assert_eq!(host.calls(), [Call::Create(expected)]);
        let host = Fake::default();
        call(&host, "create_container", r#"{"image":"alpine:3"}"#).unwrap();
        assert!(matches!(&host.calls()[0], Call::Create(spec) if spec.image == "alpine:3"));
    }

    #[test]
    fn cleanup_takes_exactly_one_selector() {
        let target = |json: &str| cleanup_request(json).unwrap().target;
        assert_eq!(target(r#"{"container_id":"c"}"#), Cleanup::Container("c".into()));
        assert_eq!(target(r#"{"session_id":"s"}"#), Cleanup::Session("s".into()));
        assert_eq!(target(r#"{"cleanup_all":true}"#), Cleanup::All);
        assert_eq!(target(r#"{"container_id":"c","cleanup_all":false}"#), Cleanup::Container("c".into()));
        assert!(cleanup_request(r#"{"session_id":"s","remove_volumes":true}"#).unwrap().remove_volumes);
        assert!(invalid(cleanup_request("{}")).starts_with("say what to remove"));
        assert!(invalid(cleanup_request(r#"{"cleanup_all":false}"#)).starts_with("say what to remove"));
        assert!(invalid(cleanup_request(r#"{"container_id":"c","session_id":"s"}"#)).starts_with("give only one"));
        assert!(invalid(cleanup_request(r#"{"session_id":"s","cleanup_all":true}"#)).starts_with("give only one"));
    }

    #[test]
    fn cleanup_removes_what_was_selected() {
        let host = Fake::default();
        call(&host, "cleanup_container", r#"{"container_id":"c1"}"#).unwrap();
        call(&host, "cleanup_container", r#"{"session_id":"s","remove_volumes":true}"#).unwrap();
        let outcome = call(&host, "cleanup_container", r#"{"cleanup_all":true}"#).unwrap();
        assert_eq!(
            host.calls(),
            [
                Call::Remove { container: "c1".into(), remove_volumes: false },
                Call::RemoveSession { session: Some("s".into()), remove_volumes: true },
                Call::RemoveSession { session: None, remove_volumes: false }
            ]
        );
        assert_eq!(outcome.structured.as_ref().unwrap()["removed"], 3);
        assert_eq!(outcome.text(), "Removed 3 container(s): every container of yours.");
    }
}
