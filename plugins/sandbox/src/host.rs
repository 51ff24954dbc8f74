//! The host services the sandbox uses, as a trait over plain Rust types: the
//! tools run against the WIT imports in the component and against a fake in
//! native tests.
//!
//! Each type mirrors the WIT record of the same name, keeping only the fields
//! the sandbox reads or sets; the records other plugins share (mounts,
//! languages, install plans) are the kit's.

use plugin_kit::{Fail, InstallPlan, Language, Mount};

/// The Docker engine the host talks to.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineInfo {
    /// The engine's version.
    pub version: String,
    /// The engine's API version.
    pub api_version: String,
    /// Operating system and architecture.
    pub platform: String,
    /// Containers this host instance owns.
    pub owned_containers: u32,
}

/// A container to create; unset limits take the operator's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    /// The image reference; empty for the operator's `[docker] default_image`.
    pub image: String,
    /// The container's name, if the caller chose one (the host checks it).
    pub name: Option<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Whether the container gets a network.
    pub network: bool,
    /// Memory limit in bytes.
    pub memory_bytes: Option<u64>,
    /// CPU limit in cores.
    pub cpus: Option<f64>,
    /// Return an existing container with the same name and session.
    pub reuse_existing: bool,
    /// The owning session; the caller's session when unset.
    pub session: Option<String>,
    /// Host directories to mount.
    pub mounts: Vec<Mount>,
}

/// A container this host instance owns.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// The engine's container id.
    pub id: String,
    /// The container's name.
    pub name: String,
    /// The image it runs.
    pub image: String,
    /// The engine's state (`running`, `exited`, ...).
    pub state: String,
    /// The owning session.
    pub session_id: String,
    /// Whether a network is attached.
    pub network: bool,
}

/// A command to run in a container.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecSpec {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// The working directory; the host's default (`/workspace`) when unset.
    pub workdir: Option<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Kill the process group after this many milliseconds.
    pub timeout_ms: u64,
    /// Stream output to the client while it runs.
    pub stream: bool,
    /// Attach the network for the duration (installs).
    pub with_network: bool,
}

/// Why an exec ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// The process exited by itself.
    Exited,
    /// The timeout expired and the process group was killed.
    Timeout,
    /// The kernel's out-of-memory killer ended it.
    OutOfMemory,
    /// The client cancelled the call.
    Cancelled,
}

impl ExitReason {
    /// The reason as it appears in structured results (the WIT case name).
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::Exited => "exited",
            ExitReason::Timeout => "timeout",
            ExitReason::OutOfMemory => "out-of-memory",
            ExitReason::Cancelled => "cancelled",
        }
    }
}

/// The outcome of an exec.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecResult {
    /// The exit code, if the process exited.
    pub exit_code: Option<i64>,
    /// Captured standard output.
    pub stdout: String,
    /// Captured standard error.
    pub stderr: String,
    /// Whether output was cut at the host's cap.
    pub truncated: bool,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: u64,
    /// Why it ended.
    pub reason: ExitReason,
}

impl ExecResult {
    /// Whether the command succeeded: it exited by itself with code 0.
    pub fn succeeded(&self) -> bool {
        self.reason == ExitReason::Exited && self.exit_code == Some(0)
    }
}

/// Severity of a log record the sandbox emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Normal operation.
    Info,
    /// Something failed, and the result says so.
    Warning,
}

/// The host imports, one method per WIT function the sandbox calls.
pub trait Host {
    /// `docker.engine`.
    fn engine(&self) -> Result<EngineInfo, Fail>;
    /// `docker.create-container`.
    fn create_container(&self, spec: ContainerSpec) -> Result<Container, Fail>;
    /// `docker.list-containers`.
    fn list_containers(&self, include_stopped: bool, session: Option<String>) -> Result<Vec<Container>, Fail>;
    /// `docker.exec`.
    fn exec(&self, container: &str, spec: ExecSpec) -> Result<ExecResult, Fail>;
    /// `docker.write-file`.
    fn write_file(&self, container: &str, path: &str, data: &[u8]) -> Result<(), Fail>;
    /// `docker.read-file`.
    fn read_file(&self, container: &str, path: &str) -> Result<Vec<u8>, Fail>;
    /// `docker.remove-container`.
    fn remove_container(&self, container: &str, remove_volumes: bool) -> Result<(), Fail>;
    /// `docker.remove-session`.
    fn remove_session(&self, session: Option<String>, remove_volumes: bool) -> Result<u32, Fail>;
    /// `dependencies.languages`.
    fn languages(&self) -> Vec<Language>;
    /// `dependencies.detect`.
    fn detect(&self, language: &str, source: &str) -> Result<Vec<String>, Fail>;
    /// `dependencies.plan-install`.
    fn plan_install(&self, manager: &str, packages: &[String]) -> Result<InstallPlan, Fail>;
    /// `dependencies.run-command`.
    fn run_command(&self, language: &str, path: &str) -> Result<Vec<String>, Fail>;
    /// `context.session-id`.
    fn session_id(&self) -> Option<String>;
    /// `context.run-as-task`: whether the rest of the call runs as a task.
    fn run_as_task(&self) -> bool;
    /// `log.log`.
    fn log(&self, level: Level, message: &str);
    /// `progress.report`.
    fn progress(&self, progress: f64, total: Option<f64>, message: &str);
}
