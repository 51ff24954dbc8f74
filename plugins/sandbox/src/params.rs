//! Each tool's parameters: the names it takes, and its JSON arguments parsed
//! and checked into a request. Checks that need the host (package names,
//! languages) happen when the request runs.

use crate::args::Args;
use crate::fail::Fail;
use crate::workspace;

/// The longest timeout a caller may ask for, in seconds (one day).
const MAX_TIMEOUT_SECS: u64 = 86_400;
/// The largest memory limit a caller may ask for, in MiB (1 TiB).
const MAX_MEMORY_MIB: u64 = 1 << 20;
/// The smallest memory limit the Docker engine accepts, in MiB.
const MIN_MEMORY_MIB: u64 = 6;
/// The largest CPU limit a caller may ask for, in cores.
const MAX_CPUS: f64 = 1024.0;

/// Parameters of `check_engine`.
pub const CHECK_ENGINE: &[&str] = &[];
/// Parameters of `list_containers`.
pub const LIST_CONTAINERS: &[&str] = &["show_all", "session_id"];
/// Parameters of `create_container`.
pub const CREATE_CONTAINER: &[&str] = &[
    "image",
    "name",
    "session_id",
    "network_enabled",
    "reuse_existing",
    "environment",
    "memory_mib",
    "cpus",
    "mounts",
];
/// Parameters of one entry of `create_container`'s `mounts`.
pub const MOUNT: &[&str] = &["host_path", "container_path", "read_only"];
/// Parameters of `execute_code`.
pub const EXECUTE_CODE: &[&str] = &[
    "container_id",
    "command",
    "code",
    "language",
    "auto_install",
    "timeout",
    "stream",
    "working_dir",
];
/// Parameters of `execute_python_script`.
pub const EXECUTE_PYTHON_SCRIPT: &[&str] = &[
    "container_id",
    "script",
    "packages",
    "timeout",
    "auto_install",
];
/// Parameters of `add_dependencies`.
pub const ADD_DEPENDENCIES: &[&str] = &["container_id", "packages", "package_manager", "language"];
/// Parameters of `cleanup_container`.
pub const CLEANUP_CONTAINER: &[&str] = &[
    "container_id",
    "session_id",
    "remove_volumes",
    "cleanup_all",
];
/// Parameters of `write_file`.
pub const WRITE_FILE: &[&str] = &["container_id", "path", "content"];
/// Parameters of `read_file`.
pub const READ_FILE: &[&str] = &["container_id", "path"];

/// A `list_containers` request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    /// Include stopped containers.
    pub show_all: bool,
    /// The session to list; the caller's session when unset.
    pub session_id: Option<String>,
}

/// A `create_container` request.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRequest {
    /// The image; the configured default when unset.
    pub image: Option<String>,
    /// The container's name.
    pub name: Option<String>,
    /// The owning session; the caller's session when unset.
    pub session_id: Option<String>,
    /// Give the container a network.
    pub network_enabled: bool,
    /// Return an existing container of the same name and session.
    pub reuse_existing: bool,
    /// Environment variables, in key order.
    pub environment: Vec<(String, String)>,
    /// Memory limit in MiB; the operator's default when unset.
    pub memory_mib: Option<u64>,
    /// CPU limit in cores; the operator's default when unset.
    pub cpus: Option<f64>,
    /// Host directories to mount; every policy must allow each.
    pub mounts: Vec<Mount>,
}

/// A host path to mount into a container.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    /// The host path (the host resolves symlinks and `..` before its checks).
    pub host_path: String,
    /// Where it appears in the container (absolute).
    pub container_path: String,
    /// Whether the mount is read-only (the default).
    pub read_only: bool,
}

/// Source code to write into the container and run with a language pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    /// The language: a pack's language name or its file extension.
    pub language: String,
    /// Whether the caller named the language, so that an unknown one is
    /// their mistake rather than a missing pack.
    pub named_by_caller: bool,
    /// The source code.
    pub source: String,
    /// Packages to install before running, whatever detection finds.
    pub packages: Vec<String>,
    /// Detect the packages the code imports and install them too.
    pub auto_install: bool,
}

/// What an exec request runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Program {
    /// A shell command line, run as `sh -c <command>`.
    Command(String),
    /// Code run by its language pack.
    Code(Code),
}

/// An `execute_code` or `execute_python_script` request.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecRequest {
    /// The container to run in.
    pub container_id: String,
    /// What to run.
    pub program: Program,
    /// Kill the run after this many milliseconds.
    pub timeout_ms: u64,
    /// Stream output to the client while it runs.
    pub stream: bool,
    /// The working directory.
    pub working_dir: String,
}

/// An `add_dependencies` request.
#[derive(Debug, Clone, PartialEq)]
pub struct AddRequest {
    /// The container to install into.
    pub container_id: String,
    /// The packages, at least one.
    pub packages: Vec<String>,
    /// The package manager, if named.
    pub package_manager: Option<String>,
    /// The language whose manager to use, if named.
    pub language: Option<String>,
}

/// What `cleanup_container` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleanup {
    /// One container.
    Container(String),
    /// Every container of a session.
    Session(String),
    /// Every container of this host instance.
    All,
}

/// A `cleanup_container` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupRequest {
    /// What to remove.
    pub target: Cleanup,
    /// Remove the session volumes too.
    pub remove_volumes: bool,
}

/// A `write_file` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    /// The container to write into.
    pub container_id: String,
    /// The absolute path, inside `/workspace`.
    pub path: String,
    /// The text to write.
    pub content: String,
}

/// A `read_file` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequest {
    /// The container to read from.
    pub container_id: String,
    /// The absolute path, inside `/workspace`.
    pub path: String,
}

/// Checks `check_engine`'s arguments (it takes none).
pub fn check_engine(arguments: &str) -> Result<(), Fail> {
    Args::parse(arguments, CHECK_ENGINE).map(|_| ())
}

/// Parses `list_containers`'s arguments.
pub fn list_containers(arguments: &str) -> Result<ListRequest, Fail> {
    let args = Args::parse(arguments, LIST_CONTAINERS)?;
    Ok(ListRequest {
        show_all: args.bool("show_all", false)?,
        session_id: session_id(&args)?,
    })
}

/// Parses `create_container`'s arguments.
pub fn create_container(arguments: &str) -> Result<CreateRequest, Fail> {
    let args = Args::parse(arguments, CREATE_CONTAINER)?;
    let image = args.string("image")?;
    if let Some(image) = &image {
        check_image(image)?;
    }
    let name = args.string("name")?;
    if let Some(name) = &name {
        check_name(name)?;
    }
    let environment = args.string_map("environment")?.unwrap_or_default();
    for (key, value) in &environment {
        check_env(key, value)?;
    }
    Ok(CreateRequest {
        image,
        name,
        session_id: session_id(&args)?,
        network_enabled: args.bool("network_enabled", false)?,
        reuse_existing: args.bool("reuse_existing", true)?,
        environment,
        memory_mib: args.integer("memory_mib", MIN_MEMORY_MIB, MAX_MEMORY_MIB)?,
        cpus: args.positive_number("cpus", MAX_CPUS)?,
        mounts: mounts(&args)?,
    })
}

/// `create_container`'s `mounts`: absolute paths on both sides, read-only unless said otherwise.
fn mounts(args: &Args) -> Result<Vec<Mount>, Fail> {
    let entries = args.object_list("mounts", MOUNT)?.unwrap_or_default();
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let host_path = entry.required_string("host_path", &format!("mounts[{i}] names the host directory to mount"))?;
            let container_path =
                entry.required_string("container_path", &format!("mounts[{i}] names where it appears in the container"))?;
            for (what, path) in [("host_path", &host_path), ("container_path", &container_path)] {
                if !path.starts_with('/') || path.contains('\0') {
                    return Err(Fail::InvalidParams(format!("`mounts[{i}].{what}` must be an absolute path, not {path:?}")));
                }
            }
            Ok(Mount { host_path, container_path, read_only: entry.bool("read_only", true)? })
        })
        .collect()
}

/// Parses `execute_code`'s arguments: `container_id` and either `command`,
/// or `code` with `language` (and optionally `auto_install`).
pub fn execute_code(arguments: &str) -> Result<ExecRequest, Fail> {
    let args = Args::parse(arguments, EXECUTE_CODE)?;
    let container_id = container_id(&args)?;
    let command = args.string("command")?;
    let code = args.string("code")?;
    let language = args.string("language")?;
    let auto_install = args.bool("auto_install", false)?;
    let program = match (command, code) {
        (Some(_), Some(_)) => {
            return Err(Fail::InvalidParams(
                "give either `command` (a shell command line) or `code` with `language`, not both"
                    .into(),
            ));
        }
        (None, None) => {
            return Err(Fail::InvalidParams(
                "`command` is required: the shell command line to run (or give `code` with `language`)".into(),
            ));
        }
        (Some(command), None) => {
            if language.is_some() || auto_install {
                let extra = if language.is_some() {
                    "language"
                } else {
                    "auto_install"
                };
                return Err(Fail::InvalidParams(format!(
                    "`{extra}` applies only with `code`, not with `command`"
                )));
            }
            not_blank("command", &command)?;
            if command.contains('\0') {
                return Err(Fail::InvalidParams("`command` must not contain NUL".into()));
            }
            Program::Command(command)
        }
        (None, Some(source)) => {
            let Some(language) = language else {
                return Err(Fail::InvalidParams(
                    "`language` is required with `code`: the language the code is written in, such as `python`".into(),
                ));
            };
            not_blank("language", &language)?;
            Program::Code(Code {
                language,
                named_by_caller: true,
                source,
                packages: Vec::new(),
                auto_install,
            })
        }
    };
    let working_dir = args
        .string("working_dir")?
        .unwrap_or_else(|| workspace::WORKSPACE.into());
    if !working_dir.starts_with('/') || working_dir.contains('\0') {
        return Err(Fail::InvalidParams(format!(
            "`working_dir` must be an absolute path inside the container, not {working_dir:?}"
        )));
    }
    Ok(ExecRequest {
        container_id,
        program,
        timeout_ms: timeout_ms(&args, 30)?,
        stream: args.bool("stream", true)?,
        working_dir,
    })
}

/// Parses `execute_python_script`'s arguments into a request to run Python code.
pub fn execute_python_script(arguments: &str) -> Result<ExecRequest, Fail> {
    let args = Args::parse(arguments, EXECUTE_PYTHON_SCRIPT)?;
    let container_id = container_id(&args)?;
    let source = args.required_string("script", "the Python source code to run")?;
    let code = Code {
        language: "python".into(),
        named_by_caller: false,
        source,
        packages: args.string_list("packages")?.unwrap_or_default(),
        auto_install: args.bool("auto_install", true)?,
    };
    Ok(ExecRequest {
        container_id,
        program: Program::Code(code),
        timeout_ms: timeout_ms(&args, 60)?,
        stream: true,
        working_dir: workspace::WORKSPACE.into(),
    })
}

/// Parses `add_dependencies`'s arguments.
pub fn add_dependencies(arguments: &str) -> Result<AddRequest, Fail> {
    let args = Args::parse(arguments, ADD_DEPENDENCIES)?;
    let container_id = container_id(&args)?;
    let packages = args.string_list("packages")?.unwrap_or_default();
    if packages.is_empty() {
        return Err(Fail::InvalidParams(
            "`packages` is required: at least one package name to install".into(),
        ));
    }
    let package_manager = args.string("package_manager")?;
    if let Some(manager) = &package_manager {
        not_blank("package_manager", manager)?;
    }
    let language = args.string("language")?;
    if let Some(language) = &language {
        not_blank("language", language)?;
    }
    Ok(AddRequest {
        container_id,
        packages,
        package_manager,
        language,
    })
}

/// Parses `cleanup_container`'s arguments: exactly one of `container_id`,
/// `session_id` and `cleanup_all: true` says what to remove.
pub fn cleanup_container(arguments: &str) -> Result<CleanupRequest, Fail> {
    let args = Args::parse(arguments, CLEANUP_CONTAINER)?;
    let container = args.string("container_id")?;
    if let Some(id) = &container {
        not_blank("container_id", id)?;
    }
    let session = session_id(&args)?;
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
    Ok(CleanupRequest {
        target,
        remove_volumes: args.bool("remove_volumes", false)?,
    })
}

/// Parses `write_file`'s arguments.
pub fn write_file(arguments: &str) -> Result<WriteRequest, Fail> {
    let args = Args::parse(arguments, WRITE_FILE)?;
    let container_id = container_id(&args)?;
    let path = workspace::resolve(
        "path",
        &args.required_string("path", "where to write, inside /workspace")?,
    )?;
    let content = args.required_string("content", "the text to write")?;
    Ok(WriteRequest {
        container_id,
        path,
        content,
    })
}

/// Parses `read_file`'s arguments.
pub fn read_file(arguments: &str) -> Result<ReadRequest, Fail> {
    let args = Args::parse(arguments, READ_FILE)?;
    let container_id = container_id(&args)?;
    let path = workspace::resolve(
        "path",
        &args.required_string("path", "the file to read, inside /workspace")?,
    )?;
    Ok(ReadRequest { container_id, path })
}

/// The required, non-blank `container_id`.
fn container_id(args: &Args) -> Result<String, Fail> {
    let id = args.required_string(
        "container_id",
        "the container's id or name, from create_container or list_containers",
    )?;
    not_blank("container_id", &id)?;
    Ok(id)
}

/// The optional, non-blank `session_id`.
fn session_id(args: &Args) -> Result<Option<String>, Fail> {
    let session = args.string("session_id")?;
    if let Some(session) = &session {
        not_blank("session_id", session)?;
    }
    Ok(session)
}

/// `timeout` in seconds (`default` when absent), as milliseconds.
fn timeout_ms(args: &Args, default: u64) -> Result<u64, Fail> {
    Ok(args
        .integer("timeout", 1, MAX_TIMEOUT_SECS)?
        .unwrap_or(default)
        * 1000)
}

/// Refuses a `value` of parameter `name` that is empty or only whitespace.
fn not_blank(name: &str, value: &str) -> Result<(), Fail> {
    if value.trim().is_empty() {
        return Err(Fail::InvalidParams(format!("`{name}` must not be empty")));
    }
    Ok(())
}

/// Refuses an image reference that is empty, starts with `-`, or holds
/// whitespace or control characters.
fn check_image(image: &str) -> Result<(), Fail> {
    if image.is_empty()
        || image.starts_with('-')
        || image.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Fail::InvalidParams(format!(
            "`image` must be an image reference such as python:3.12-slim, not {image:?}"
        )));
    }
    Ok(())
}

/// Refuses a container name Docker would refuse: it must match
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn check_name(name: &str) -> Result<(), Fail> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest: Vec<char> = chars.collect();
    if !first_ok
        || rest.is_empty()
        || !rest
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c))
    {
        return Err(Fail::InvalidParams(format!(
            "`name` must be at least two characters of letters, digits, `_`, `.` and `-`, starting with a letter or digit, not {name:?}"
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
        return Err(Fail::InvalidParams(format!(
            "`environment.{key}` must not contain NUL"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fail::invalid;

    #[test]
    fn check_engine_takes_nothing() {
        assert!(check_engine("{}").is_ok());
        assert!(invalid(check_engine(r#"{"verbose":true}"#)).contains("`verbose`"));
    }

    #[test]
    fn list_defaults_to_running_containers_of_the_callers_session() {
        assert_eq!(
            list_containers("{}").unwrap(),
            ListRequest {
                show_all: false,
                session_id: None
            }
        );
        let request = list_containers(r#"{"show_all":true,"session_id":"s1"}"#).unwrap();
        assert_eq!(
            request,
            ListRequest {
                show_all: true,
                session_id: Some("s1".into())
            }
        );
        assert_eq!(
            invalid(list_containers(r#"{"session_id":" "}"#)),
            "`session_id` must not be empty"
        );
    }

    #[test]
    fn create_defaults_match_the_seed() {
        let request = create_container("{}").unwrap();
        assert_eq!(
            request,
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
        let request = create_container(
            r#"{"image":"node:18-alpine","name":"my-box","session_id":"s","network_enabled":true,
                "reuse_existing":false,"environment":{"KEY":"value"},"memory_mib":512,"cpus":1.5}"#,
        )
        .unwrap();
        assert_eq!(request.image.as_deref(), Some("node:18-alpine"));
        assert_eq!(request.name.as_deref(), Some("my-box"));
        assert_eq!(request.session_id.as_deref(), Some("s"));
        assert!(request.network_enabled && !request.reuse_existing);

        let with_mount = create_container(
            r#"{"mounts":[{"host_path":"/srv/data","container_path":"/data"},{"host_path":"/srv/out","container_path":"/out","read_only":false}]}"#,
        )
        .unwrap();
        assert_eq!(
            with_mount.mounts,
            vec![
                Mount { host_path: "/srv/data".into(), container_path: "/data".into(), read_only: true },
                Mount { host_path: "/srv/out".into(), container_path: "/out".into(), read_only: false },
            ]
        );
        assert!(invalid(create_container(r#"{"mounts":[{"host_path":"relative","container_path":"/d"}]}"#)).contains("mounts[0].host_path"));
        assert!(invalid(create_container(r#"{"mounts":[{"host_path":"/a","container_path":"/d","rw":true}]}"#)).contains("mounts[0]"));
        assert_eq!(
            request.environment,
            vec![("KEY".to_string(), "value".to_string())]
        );
        assert_eq!((request.memory_mib, request.cpus), (Some(512), Some(1.5)));
    }

    #[test]
    fn create_refuses_bad_values_naming_the_parameter() {
        assert!(invalid(create_container(r#"{"image":"a b"}"#)).starts_with("`image`"));
        assert!(invalid(create_container(r#"{"image":"--privileged"}"#)).starts_with("`image`"));
        assert!(invalid(create_container(r#"{"name":"-x"}"#)).starts_with("`name`"));
        assert!(invalid(create_container(r#"{"name":"a"}"#)).starts_with("`name`"));
        assert!(invalid(create_container(r#"{"name":"a/b"}"#)).starts_with("`name`"));
        assert!(
            invalid(create_container(r#"{"environment":{"A=B":"x"}}"#))
                .starts_with("`environment`")
        );
        assert!(
            invalid(create_container(r#"{"environment":{"A":"x\u0000"}}"#))
                .starts_with("`environment.A`")
        );
        assert!(invalid(create_container(r#"{"memory_mib":1}"#)).starts_with("`memory_mib`"));
        assert!(invalid(create_container(r#"{"cpus":0}"#)).starts_with("`cpus`"));
        assert!(
            invalid(create_container(r#"{"network_enabled":"yes"}"#))
                .starts_with("`network_enabled`")
        );
    }

    #[test]
    fn execute_code_runs_a_command_with_seed_defaults() {
        let request = execute_code(r#"{"container_id":"c1","command":"echo 'hi'"}"#).unwrap();
        assert_eq!(
            request,
            ExecRequest {
                container_id: "c1".into(),
                program: Program::Command("echo 'hi'".into()),
                timeout_ms: 30_000,
                stream: true,
                working_dir: "/workspace".into(),
            }
        );
        let request =
            execute_code(r#"{"container_id":"c1","command":"ls","timeout":5,"stream":false,"working_dir":"/tmp"}"#).unwrap();
        assert_eq!(
            (
                request.timeout_ms,
                request.stream,
                request.working_dir.as_str()
            ),
            (5_000, false, "/tmp")
        );
    }

    #[test]
    fn execute_code_runs_code_in_a_language() {
        let request =
            execute_code(r#"{"container_id":"c1","code":"console.log(1)","language":"node","auto_install":true}"#).unwrap();
        let expected = Code {
            language: "node".into(),
            named_by_caller: true,
            source: "console.log(1)".into(),
            packages: vec![],
            auto_install: true,
        };
        assert_eq!(request.program, Program::Code(expected));
        let request =
            execute_code(r#"{"container_id":"c1","code":"x","language":"python"}"#).unwrap();
        assert!(matches!(
            request.program,
            Program::Code(Code {
                auto_install: false,
                ..
            })
        ));
    }

    #[test]
    fn execute_code_refuses_conflicting_or_missing_programs() {
        for (arguments, start) in [
            (r#"{"command":"ls"}"#, "`container_id` is required"),
            (r#"{"container_id":"c"}"#, "`command` is required"),
            (
                r#"{"container_id":"c","code":"x"}"#,
                "`language` is required",
            ),
            (
                r#"{"container_id":"c","command":"ls","language":"python"}"#,
                "`language` applies only",
            ),
            (
                r#"{"container_id":"c","command":"ls","auto_install":true}"#,
                "`auto_install` applies only",
            ),
            (
                r#"{"container_id":"c","command":"  "}"#,
                "`command` must not be empty",
            ),
            (
                r#"{"container_id":"c","command":"ls","working_dir":"tmp"}"#,
                "`working_dir`",
            ),
            (
                r#"{"container_id":"c","command":"ls","timeout":0}"#,
                "`timeout`",
            ),
            (
                r#"{"container_id":"c","command":"ls","timeout":86401}"#,
                "`timeout`",
            ),
        ] {
            let msg = invalid(execute_code(arguments));
            assert!(msg.starts_with(start), "{arguments}: {msg}");
        }
        assert!(
            invalid(execute_code(
                r#"{"container_id":"c","command":"ls","code":"x"}"#
            ))
            .contains("not both")
        );
    }

    #[test]
    fn python_script_installs_by_default() {
        let request = execute_python_script(
            r#"{"container_id":"c","script":"import numpy","packages":["numpy"]}"#,
        )
        .unwrap();
        let expected = Code {
            language: "python".into(),
            named_by_caller: false,
            source: "import numpy".into(),
            packages: vec!["numpy".into()],
            auto_install: true,
        };
        assert_eq!(request.program, Program::Code(expected));
        assert_eq!(request.timeout_ms, 60_000);
        assert!(
            invalid(execute_python_script(r#"{"container_id":"c"}"#))
                .starts_with("`script` is required")
        );
        assert!(
            invalid(execute_python_script(
                r#"{"container_id":"c","script":"","packages":"numpy"}"#
            ))
            .starts_with("`packages`")
        );
    }

    #[test]
    fn add_dependencies_needs_packages() {
        let request = add_dependencies(
            r#"{"container_id":"c","packages":["express"],"package_manager":"npm"}"#,
        )
        .unwrap();
        assert_eq!(request.packages, vec!["express".to_string()]);
        assert_eq!(request.package_manager.as_deref(), Some("npm"));
        assert!(
            invalid(add_dependencies(r#"{"container_id":"c","packages":[]}"#))
                .starts_with("`packages` is required")
        );
        assert!(
            invalid(add_dependencies(r#"{"container_id":"c"}"#))
                .starts_with("`packages` is required")
        );
        assert!(
            invalid(add_dependencies(
                r#"{"container_id":"c","packages":["a"],"language":""}"#
            ))
            .starts_with("`language`")
        );
    }

    #[test]
    fn cleanup_takes_exactly_one_selector() {
        let target = |json: &str| cleanup_container(json).unwrap().target;
        assert_eq!(
            target(r#"{"container_id":"c"}"#),
            Cleanup::Container("c".into())
        );
        assert_eq!(
            target(r#"{"session_id":"s"}"#),
            Cleanup::Session("s".into())
        );
        assert_eq!(target(r#"{"cleanup_all":true}"#), Cleanup::All);
        assert_eq!(
            target(r#"{"container_id":"c","cleanup_all":false}"#),
            Cleanup::Container("c".into())
        );
        assert!(
            cleanup_container(r#"{"session_id":"s","remove_volumes":true}"#)
                .unwrap()
                .remove_volumes
        );
        assert!(invalid(cleanup_container("{}")).starts_with("say what to remove"));
        assert!(
            invalid(cleanup_container(r#"{"cleanup_all":false}"#))
                .starts_with("say what to remove")
        );
        assert!(
            invalid(cleanup_container(
                r#"{"container_id":"c","session_id":"s"}"#
            ))
            .starts_with("give only one")
        );
        assert!(
            invalid(cleanup_container(
                r#"{"session_id":"s","cleanup_all":true}"#
            ))
            .starts_with("give only one")
        );
    }

    #[test]
    fn file_tools_resolve_paths_in_the_workspace() {
        let request =
            write_file(r#"{"container_id":"c","path":"a/b.txt","content":"hi"}"#).unwrap();
        assert_eq!(request.path, "/workspace/a/b.txt");
        assert!(
            invalid(write_file(
                r#"{"container_id":"c","path":"/etc/x","content":""}"#
            ))
            .starts_with("`path`")
        );
        assert!(
            invalid(write_file(r#"{"container_id":"c","path":"a"}"#))
                .starts_with("`content` is required")
        );
        assert_eq!(
            read_file(r#"{"container_id":"c","path":"/workspace/p.png"}"#)
                .unwrap()
                .path,
            "/workspace/p.png"
        );
        assert!(invalid(read_file(r#"{"container_id":"c","path":"../x"}"#)).starts_with("`path`"));
    }
}
