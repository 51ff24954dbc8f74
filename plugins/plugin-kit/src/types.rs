//! Plain-Rust mirrors of the WIT `types` records plugins exchange with the
//! host; [`wit_types!`](crate::wit_types) converts them both ways.

/// A host directory mounted into a container (the WIT `mount`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The host path; the host resolves symlinks and `..` before any check.
    pub host_path: String,
    /// Where it appears inside the container (absolute).
    pub container_path: String,
    /// Whether the mount is read-only.
    pub read_only: bool,
}

/// A language some pack runs (the WIT `language`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// The language's name, lower case (`python`).
    pub name: String,
    /// The source file extension, without the dot (`py`).
    pub file_extension: String,
    /// The package manager that installs the language's packages (`pip`).
    pub manager: String,
}

/// How to install packages (the WIT `install-plan`): the steps run in
/// order, with the install network attached, and the first that fails ends
/// the install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallPlan {
    /// The steps, at least one.
    pub steps: Vec<InstallStep>,
}

/// One command of an install (the WIT `install-step`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallStep {
    /// The program and its arguments; never a shell string.
    pub argv: Vec<String>,
    /// Environment variables for this step.
    pub env: Vec<(String, String)>,
}
