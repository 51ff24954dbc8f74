//! The tools the sandbox offers: names, descriptions, and JSON Schemas of
//! their arguments and structured results.

use serde_json::{Value, json};

/// Hints about a tool's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// The tool does not modify its environment.
    pub read_only: bool,
    /// The tool may perform destructive updates.
    pub destructive: bool,
    /// Calling it twice with the same arguments has no further effect.
    pub idempotent: bool,
    /// The tool reaches the network; unknown when it depends on the container.
    pub open_world: Option<bool>,
}

/// Describes one tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What the tool does, for the model.
    pub description: &'static str,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
    /// JSON Schema of the structured result, if the tool returns one.
    pub output_schema: Option<Value>,
    /// Behaviour hints.
    pub annotations: Annotations,
}

/// Read-only hints for tools that only look.
const LOOK: Annotations = Annotations {
    read_only: true,
    destructive: false,
    idempotent: true,
    open_world: Some(false),
};

/// Hints for tools that run caller code in a container: anything may change,
/// and whether it reaches the network depends on the container.
const RUNS_CODE: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: false,
    open_world: None,
};

/// Hints for tools that overwrite or remove state in place: repeating the
/// call changes nothing more, and no network is involved.
const REPLACES: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: true,
    open_world: Some(false),
};

/// Every tool, in a fixed order.
pub fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "check_engine",
            title: "Check the Docker engine",
            description: "Reports whether the Docker engine is reachable, with its version, API version, \
                platform and how many containers this server owns. Call it first when other tools fail.",
            input_schema: object(json!({}), &[]),
            output_schema: Some(object(
                json!({
                    "version": {"type": "string", "description": "The engine's version."},
                    "api_version": {"type": "string", "description": "The engine's API version."},
                    "platform": {"type": "string", "description": "Operating system and architecture."},
                    "owned_containers": {"type": "integer", "description": "Containers this server owns."}
                }),
                &["version", "api_version", "platform", "owned_containers"],
            )),
            annotations: LOOK,
        },
        ToolSpec {
            name: "list_containers",
            title: "List containers",
            description: "Lists the containers this server created, by default the running ones of the current session.",
            input_schema: object(
                json!({
                    "show_all": {"type": "boolean", "default": false,
                        "description": "Include stopped containers, not just running ones."},
                    "session_id": {"type": "string",
                        "description": "List this session's containers instead of the current session's."}
                }),
                &[],
            ),
            output_schema: Some(object(
                json!({"containers": {"type": "array", "items": container_schema(), "description": "The matching containers."}}),
                &["containers"],
            )),
            annotations: LOOK,
        },
        ToolSpec {
            name: "create_container",
            title: "Create a container",
            description: "Creates and starts a sandbox container with resource limits, no network unless asked for, \
                and a /workspace volume shared by the session's containers. With reuse_existing (the default), \
                an existing container of the same name in the session is returned instead. Returns the \
                container_id to pass to the other tools.",
            input_schema: object(
                json!({
                    "image": {"type": "string",
                        "description": "The image to run, such as python:3.12-slim or node:22-alpine. Defaults to the server's configured image (python:3.12-slim unless the operator changed it)."},
                    "name": {"type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$",
                        "description": "A name for the container, usable as its container_id."},
                    "session_id": {"type": "string",
                        "description": "The session that owns the container and its /workspace volume; defaults to the current session."},
                    "network_enabled": {"type": "boolean", "default": false,
                        "description": "Give the container network access (the operator must allow it). Package installs get the network for their duration either way."},
                    "reuse_existing": {"type": "boolean", "default": true,
                        "description": "Return an existing container with the same name in the same session instead of creating another."},
                    "environment": {"type": "object", "additionalProperties": {"type": "string"}, "default": {},
                        "description": "Environment variables, as name → value."},
                    "memory_mib": {"type": "integer", "minimum": 6, "maximum": 1_048_576,
                        "description": "Memory limit in MiB; defaults to the operator's limit."},
                    "cpus": {"type": "number", "exclusiveMinimum": 0, "maximum": 1024,
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
            ),
            output_schema: Some(container_schema()),
            annotations: Annotations {
                read_only: false,
                destructive: false,
                idempotent: false,
                open_world: Some(false),
            },
        },
        ToolSpec {
            name: "execute_code",
            title: "Execute code",
            description: "Runs a shell command line in a container (as `sh -c`), or source code in a language \
                whose pack is loaded (`code` with `language`; the code is saved under /workspace/.portcullis \
                and run by the pack). Reports the exit code, duration, why it ended (exited, timeout, \
                out-of-memory, cancelled) and the output. A non-zero exit, a timeout or running out of memory \
                is reported as an error.",
            input_schema: object(
                json!({
                    "container_id": container_id_schema(),
                    "command": {"type": "string",
                        "description": "The shell command line to run, such as `ls -la` or `python3 main.py`. Give this or `code`."},
                    "code": {"type": "string",
                        "description": "Source code to run instead of a command; needs `language`."},
                    "language": {"type": "string",
                        "description": "The language of `code`: a loaded pack's language name (python, node) or its file extension (py, js)."},
                    "auto_install": {"type": "boolean", "default": false,
                        "description": "With `code`: detect the packages the code imports and install them before running."},
                    "timeout": timeout_schema(30),
                    "stream": {"type": "boolean", "default": true,
                        "description": "Stream output to the client while the command runs."},
                    "working_dir": {"type": "string", "default": "/workspace",
                        "description": "The absolute directory to run in."}
                }),
                &["container_id"],
            ),
            output_schema: Some(exec_schema()),
            annotations: RUNS_CODE,
        },
        ToolSpec {
            name: "execute_python_script",
            title: "Execute a Python script",
            description: "Runs a Python script in a container. First installs `packages` and, with auto_install \
                (the default), the third-party packages the script imports. Reports like execute_code; if the \
                install fails, the script is not run and the install output is reported.",
            input_schema: object(
                json!({
                    "container_id": container_id_schema(),
                    "script": {"type": "string", "description": "The Python source code to run."},
                    "packages": {"type": "array", "items": {"type": "string"}, "default": [],
                        "description": "Packages to install (with pip) before running, such as [\"numpy\", \"pandas==2.2.0\"]."},
                    "timeout": timeout_schema(60),
                    "auto_install": {"type": "boolean", "default": true,
                        "description": "Detect the packages the script imports and install them too. Turn off when an import is a local module."}
                }),
                &["container_id", "script"],
            ),
            output_schema: Some(exec_schema()),
            annotations: RUNS_CODE,
        },
        ToolSpec {
            name: "add_dependencies",
            title: "Install packages",
            description: "Installs packages in a container with a package manager (pip, npm, apt, apk: whichever \
                the loaded packs provide), with network access for the duration of the install. Package names \
                are validated; nothing passes through a shell.",
            input_schema: object(
                json!({
                    "container_id": container_id_schema(),
                    "packages": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                        "description": "The packages to install, with version specifiers where the manager takes them (requests, pandas>=2)."},
                    "package_manager": {"type": "string",
                        "description": "The package manager: pip, npm, apt or apk (those the loaded packs provide). Defaults to the manager of `language`, else pip."},
                    "language": {"type": "string",
                        "description": "Install with this language's package manager (python → pip, node → npm) when `package_manager` is not given."}
                }),
                &["container_id", "packages"],
            ),
            output_schema: Some(object(
                json!({
                    "manager": {"type": "string", "description": "The package manager used."},
                    "packages": {"type": "array", "items": {"type": "string"}, "description": "The packages asked for."},
                    "exit_code": exit_code_schema(),
                    "reason": reason_schema(),
                    "duration_ms": {"type": "integer", "description": "How long the install took, in milliseconds."},
                    "stdout": {"type": "string", "description": "The installer's standard output."},
                    "stderr": {"type": "string", "description": "The installer's standard error."},
                    "truncated": {"type": "boolean", "description": "Whether output was cut at the server's limit."}
                }),
                &[
                    "manager",
                    "packages",
                    "exit_code",
                    "reason",
                    "duration_ms",
                    "stdout",
                    "stderr",
                    "truncated",
                ],
            )),
            annotations: Annotations {
                read_only: false,
                destructive: false,
                idempotent: true,
                open_world: Some(true),
            },
        },
        ToolSpec {
            name: "cleanup_container",
            title: "Remove containers",
            description: "Stops and removes one container (`container_id`), every container of a session \
                (`session_id`), or every container this server created (`cleanup_all: true`). Give exactly one. \
                With remove_volumes, the session's /workspace volume is deleted too once no container uses it.",
            input_schema: object(
                json!({
                    "container_id": {"type": "string", "description": "Remove this container."},
                    "session_id": {"type": "string", "description": "Remove every container of this session."},
                    "remove_volumes": {"type": "boolean", "default": false,
                        "description": "Also delete the session's /workspace volume (its files are lost)."},
                    "cleanup_all": {"type": "boolean", "default": false,
                        "description": "Remove every container this server created, in every session."}
                }),
                &[],
            ),
            output_schema: Some(object(
                json!({"removed": {"type": "integer", "description": "How many containers were removed."}}),
                &["removed"],
            )),
            annotations: REPLACES,
        },
        ToolSpec {
            name: "write_file",
            title: "Write a file",
            description: "Writes text to a file in a container's /workspace, replacing it if it exists.",
            input_schema: object(
                json!({
                    "container_id": container_id_schema(),
                    "path": workspace_path_schema("The file to write"),
                    "content": {"type": "string", "description": "The text to write (UTF-8)."}
                }),
                &["container_id", "path", "content"],
            ),
            output_schema: Some(object(
                json!({
                    "path": {"type": "string", "description": "The absolute path written."},
                    "bytes": {"type": "integer", "description": "How many bytes were written."}
                }),
                &["path", "bytes"],
            )),
            annotations: REPLACES,
        },
        ToolSpec {
            name: "read_file",
            title: "Read a file",
            description: "Reads a file from a container's /workspace: text as text, PNG, JPEG, GIF and WebP as \
                images, anything else as an embedded binary resource.",
            input_schema: object(
                json!({
                    "container_id": container_id_schema(),
                    "path": workspace_path_schema("The file to read")
                }),
                &["container_id", "path"],
            ),
            output_schema: None,
            annotations: LOOK,
        },
    ]
}

/// An object schema with `properties`, the `required` ones, and no others.
fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// The `container_id` parameter.
fn container_id_schema() -> Value {
    json!({"type": "string", "description": "The container's id or name, from create_container or list_containers."})
}

/// The `timeout` parameter, defaulting to `default` seconds.
fn timeout_schema(default: u64) -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": 86_400, "default": default,
        "description": "Seconds to let the code run before its processes are killed."})
}

/// A `path` parameter inside the workspace; `what` starts its description.
fn workspace_path_schema(what: &str) -> Value {
    json!({"type": "string",
        "description": format!("{what}: a path inside /workspace, absolute (/workspace/data.csv) or relative to it (data.csv).")})
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

/// An exit code, absent when the process did not exit by itself.
fn exit_code_schema() -> Value {
    json!({"type": ["integer", "null"], "description": "The exit code; null when the process was killed."})
}

/// Why a process ended.
fn reason_schema() -> Value {
    json!({"type": "string", "enum": ["exited", "timeout", "out-of-memory", "cancelled"],
        "description": "Why it ended: it exited, timed out, ran out of memory, or the client cancelled."})
}

/// The structured result of the execute tools.
fn exec_schema() -> Value {
    object(
        json!({
            "stage": {"type": "string", "enum": ["install", "run"],
                "description": "`run` for the code's own result; `install` when installing packages failed and the code did not run."},
            "exit_code": exit_code_schema(),
            "reason": reason_schema(),
            "duration_ms": {"type": "integer", "description": "How long it ran, in milliseconds."},
            "stdout": {"type": "string", "description": "Standard output."},
            "stderr": {"type": "string", "description": "Standard error."},
            "truncated": {"type": "boolean", "description": "Whether output was cut at the server's limit."},
            "installed": {"type": "array", "items": {"type": "string"},
                "description": "Packages installed before the run (empty when none)."}
        }),
        &[
            "stage",
            "exit_code",
            "reason",
            "duration_ms",
            "stdout",
            "stderr",
            "truncated",
            "installed",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params;

    /// The parameters `name` accepts when called.
    fn accepted(name: &str) -> &'static [&'static str] {
        match name {
            "check_engine" => params::CHECK_ENGINE,
            "list_containers" => params::LIST_CONTAINERS,
            "create_container" => params::CREATE_CONTAINER,
            "execute_code" => params::EXECUTE_CODE,
            "execute_python_script" => params::EXECUTE_PYTHON_SCRIPT,
            "add_dependencies" => params::ADD_DEPENDENCIES,
            "cleanup_container" => params::CLEANUP_CONTAINER,
            "write_file" => params::WRITE_FILE,
            "read_file" => params::READ_FILE,
            other => panic!("no parameter list for {other}"),
        }
    }

    #[test]
    fn offers_the_seed_tools_and_the_file_tools_in_order() {
        let names: Vec<_> = tools().iter().map(|t| t.name).collect();
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
    fn schemas_declare_exactly_the_accepted_parameters() {
        for tool in tools() {
            let properties = tool.input_schema["properties"].as_object().unwrap();
            let mut declared: Vec<&str> = properties.keys().map(String::as_str).collect();
            let mut takes = accepted(tool.name).to_vec();
            declared.sort();
            takes.sort();
            assert_eq!(declared, takes, "{}", tool.name);
        }
    }

    #[test]
    fn every_parameter_and_output_field_is_described() {
        for tool in tools() {
            assert!(!tool.description.is_empty());
            for schema in std::iter::once(&tool.input_schema).chain(tool.output_schema.iter()) {
                assert_eq!(schema["type"], "object", "{}", tool.name);
                assert_eq!(schema["additionalProperties"], false, "{}", tool.name);
                for (name, property) in schema["properties"].as_object().unwrap() {
                    let description = property["description"].as_str().unwrap_or_default();
                    assert!(
                        !description.is_empty(),
                        "{}.{name} has no description",
                        tool.name
                    );
                }
                for required in schema["required"].as_array().unwrap() {
                    assert!(
                        schema["properties"]
                            .get(required.as_str().unwrap())
                            .is_some(),
                        "{}: {required}",
                        tool.name
                    );
                }
            }
        }
    }

    #[test]
    fn read_only_tools_are_the_lookers() {
        let read_only: Vec<_> = tools()
            .into_iter()
            .filter(|t| t.annotations.read_only)
            .map(|t| t.name)
            .collect();
        assert_eq!(read_only, ["check_engine", "list_containers", "read_file"]);
    }
}
