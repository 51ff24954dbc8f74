//! The host services the plugin uses, as a trait over plain Rust types: the
//! tools, resources, prompt and completions run on [`Host`], which the
//! component implements over the WIT imports, so none of them depends on the
//! generated bindings.
//!
//! Each record mirrors the `docker-engine` record of the same name, field for
//! field.

use plugin_kit::Fail;

/// Engine filters, as (name, value) pairs: (`status`, `exited`), (`label`, `env=dev`).
pub type Filters = Vec<(String, String)>;

/// Labels, as (name, value) pairs.
pub type Labels = Vec<(String, String)>;

/// Which of the two grants the plugin holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Access {
    /// `docker-read`: listing, inspecting, logs, stats, disk usage, events.
    pub read: bool,
    /// `docker-manage`: everything that changes the engine's state.
    pub manage: bool,
}

/// A container, as listings show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSummary {
    /// The engine's id.
    pub id: String,
    /// Its name, without the leading `/`.
    pub name: String,
    /// The image it was created from.
    pub image: String,
    /// `created`, `running`, `paused`, `restarting`, `exited` or `dead`.
    pub state: String,
    /// The engine's human-readable status (`Up 5 minutes`).
    pub status: String,
    /// When it was created, in seconds since the Unix epoch.
    pub created: i64,
    /// Its labels.
    pub labels: Labels,
    /// Published ports, as `0.0.0.0:8080->80/tcp`.
    pub ports: Vec<String>,
}

/// How much of a container's logs to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogOptions {
    /// Only the last this many lines (the host's default when unset).
    pub tail: Option<u32>,
    /// Only lines written at or after this time, in seconds since the Unix epoch.
    pub since: Option<i64>,
    /// Prefix each line with the time it was written.
    pub timestamps: bool,
}

/// A container's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logs {
    /// Standard output and error, interleaved as written.
    pub text: String,
    /// The host cut the text at its cap, keeping the newest part.
    pub truncated: bool,
}

/// One sample of a container's resource use.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceUse {
    /// CPU use since the previous sample, in percent of one core.
    pub cpu_percent: f64,
    /// Memory in use, in bytes.
    pub memory_bytes: u64,
    /// The memory limit, in bytes.
    pub memory_limit_bytes: u64,
    /// Bytes received over every network interface.
    pub network_rx_bytes: u64,
    /// Bytes sent over every network interface.
    pub network_tx_bytes: u64,
    /// Bytes read from block devices.
    pub block_read_bytes: u64,
    /// Bytes written to block devices.
    pub block_write_bytes: u64,
    /// Processes and threads.
    pub pids: u64,
}

/// An image, as listings show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSummary {
    /// The engine's id (`sha256:…`).
    pub id: String,
    /// Its tags; empty for a dangling image.
    pub tags: Vec<String>,
    /// Its size on disk, in bytes.
    pub size_bytes: u64,
    /// When it was built, in seconds since the Unix epoch.
    pub created: i64,
    /// Its labels.
    pub labels: Labels,
}

/// A volume, as listings show it.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSummary {
    /// Its name.
    pub name: String,
    /// Its driver.
    pub driver: String,
    /// Where the driver keeps it on the engine's host.
    pub mountpoint: String,
    /// When it was created (RFC 3339), if the engine says.
    pub created_at: Option<String>,
    /// Its labels.
    pub labels: Labels,
}

/// A volume to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    /// Its name.
    pub name: String,
    /// Its driver (the engine's default when unset).
    pub driver: Option<String>,
    /// Its labels.
    pub labels: Labels,
}

/// A network, as listings show it.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSummary {
    /// The engine's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its driver.
    pub driver: String,
    /// `local`, `swarm` or `global`.
    pub scope: String,
    /// Whether it has no route outside.
    pub internal: bool,
    /// Its labels.
    pub labels: Labels,
}

/// A network to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Its name.
    pub name: String,
    /// Its driver (the engine's default when unset).
    pub driver: Option<String>,
    /// Give it no route outside.
    pub internal: bool,
    /// Its labels.
    pub labels: Labels,
}

/// What a removal or prune deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The ids or references removed.
    pub removed: Vec<String>,
    /// Disk space freed, in bytes, when the engine reports it.
    pub reclaimed_bytes: u64,
}

/// Disk space the engine uses, by kind of object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskSpace {
    /// How many images.
    pub images: u32,
    /// Bytes the images take (on older engines, summed per image).
    pub images_bytes: u64,
    /// How many containers.
    pub containers: u32,
    /// Bytes the containers' writable layers take.
    pub containers_bytes: u64,
    /// How many volumes.
    pub volumes: u32,
    /// Bytes the volumes take, when the engine reports it.
    pub volumes_bytes: Option<u64>,
    /// Bytes the build cache takes, when the engine reports it.
    pub build_cache_bytes: Option<u64>,
}

/// Something that happened on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// When, in seconds since the Unix epoch.
    pub time: i64,
    /// The kind of object: `container`, `image`, `volume`, `network`, ...
    pub kind: String,
    /// What happened: `start`, `die`, `pull`, `destroy`, ...
    pub action: String,
    /// The object's id.
    pub id: String,
    /// The object's name, if it has one.
    pub name: Option<String>,
}

/// The host imports, one method per WIT function the plugin calls; each
/// `docker-engine` method is the function of the same name.
pub trait Host {
    /// `docker-engine.access`.
    fn granted(&self) -> Access;
    /// `docker-engine.list-containers`.
    fn list_containers(&self, all: bool, filters: &[(String, String)]) -> Result<Vec<ContainerSummary>, Fail>;
    /// `docker-engine.inspect-container`.
    fn inspect_container(&self, container: &str) -> Result<String, Fail>;
    /// `docker-engine.container-logs`.
    fn container_logs(&self, container: &str, options: LogOptions) -> Result<Logs, Fail>;
    /// `docker-engine.container-stats`.
    fn container_stats(&self, container: &str) -> Result<ResourceUse, Fail>;
    /// `docker-engine.start-container`.
    fn start_container(&self, container: &str) -> Result<(), Fail>;
    /// `docker-engine.stop-container`.
    fn stop_container(&self, container: &str, timeout_secs: Option<u32>) -> Result<(), Fail>;
    /// `docker-engine.restart-container`.
    fn restart_container(&self, container: &str, timeout_secs: Option<u32>) -> Result<(), Fail>;
    /// `docker-engine.pause-container`.
    fn pause_container(&self, container: &str) -> Result<(), Fail>;
    /// `docker-engine.unpause-container`.
    fn unpause_container(&self, container: &str) -> Result<(), Fail>;
    /// `docker-engine.remove-container`.
    fn remove_container(&self, container: &str, force: bool, volumes: bool) -> Result<Removal, Fail>;
    /// `docker-engine.list-images`.
    fn list_images(&self, filters: &[(String, String)]) -> Result<Vec<ImageSummary>, Fail>;
    /// `docker-engine.inspect-image`.
    fn inspect_image(&self, image: &str) -> Result<String, Fail>;
    /// `docker-engine.pull-image`.
    fn pull_image(&self, reference: &str) -> Result<ImageSummary, Fail>;
    /// `docker-engine.remove-image`.
    fn remove_image(&self, image: &str, force: bool) -> Result<Removal, Fail>;
    /// `docker-engine.prune-images`.
    fn prune_images(&self, all: bool) -> Result<Removal, Fail>;
    /// `docker-engine.list-volumes`.
    fn list_volumes(&self, filters: &[(String, String)]) -> Result<Vec<VolumeSummary>, Fail>;
    /// `docker-engine.inspect-volume`.
    fn inspect_volume(&self, name: &str) -> Result<String, Fail>;
    /// `docker-engine.create-volume`.
    fn create_volume(&self, spec: VolumeSpec) -> Result<VolumeSummary, Fail>;
    /// `docker-engine.remove-volume`.
    fn remove_volume(&self, name: &str, force: bool) -> Result<Removal, Fail>;
    /// `docker-engine.list-networks`.
    fn list_networks(&self, filters: &[(String, String)]) -> Result<Vec<NetworkSummary>, Fail>;
    /// `docker-engine.inspect-network`.
    fn inspect_network(&self, network: &str) -> Result<String, Fail>;
    /// `docker-engine.create-network`.
    fn create_network(&self, spec: NetworkSpec) -> Result<NetworkSummary, Fail>;
    /// `docker-engine.remove-network`.
    fn remove_network(&self, network: &str) -> Result<Removal, Fail>;
    /// `docker-engine.disk-usage`.
    fn disk_usage(&self) -> Result<DiskSpace, Fail>;
    /// `docker-engine.events`.
    fn events(&self, since: i64, until: Option<i64>, filters: &[(String, String)]) -> Result<Vec<EngineEvent>, Fail>;
    /// `context.run-as-task`: whether the rest of the call runs as a task.
    fn run_as_task(&self) -> bool;
    /// The current time, in seconds since the Unix epoch (WASI's wall clock).
    fn now(&self) -> i64;
}
