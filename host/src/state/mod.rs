//! The state database: what must survive a restart (servers added through
//! the admin API, plugins the operator disabled, the activity log, tasks).
//!
//! [`Store`] is the small interface a backend implements; [`sqlite`] is the
//! default one, a file `portcullis.db` under `state_dir`. A shared database
//! (PostgreSQL) for several hosts would be another implementation of it.
//! Store calls block: async code goes through [`StateDb::run`], which runs
//! them on the blocking pool, and the activity log has a writer thread of
//! its own ([`activity`]).

pub mod activity;
pub mod display;
pub mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use serde::{Deserialize, Serialize};

pub use activity::{ActivityConfig, ActivityLog, Outcome};

/// The database file's name under `state_dir`.
pub const DB_FILE: &str = "portcullis.db";

/// Why the state database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The database could not be opened or migrated at start-up (corrupt,
    /// locked by another process, unreadable): the host does not start.
    #[error(
        "cannot open the state database {}: {why}; fix or move the file, or choose another `state_dir` (PORTCULLIS_STATE_DIR)", file.display()
    )]
    Open {
        /// The database file.
        file: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// A read or write failed while running.
    #[error("state database: {0}")]
    Query(String),
}

/// A server added through the admin API: its name and the body it was
/// created with (the admin API owns the body's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredServer {
    /// The server's name.
    pub name: String,
    /// Its definition, as JSON.
    pub body: serde_json::Value,
}

/// A tool call that runs as an MCP task, as the state database keeps it:
/// the protocol layer owns the shape of `task`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredTask {
    /// The task's id.
    pub id: String,
    /// The principal it belongs to (`Principal::as_str`).
    pub owner: String,
    /// Where it stands, as JSON.
    pub task: serde_json::Value,
    /// When it ended, in milliseconds since the Unix epoch; `None` while it runs.
    pub ended_at_ms: Option<i64>,
    /// The tool whose call it is, as the client named it (empty for a task
    /// saved before the state database kept it).
    pub tool: String,
}

/// A record of the authorization server (a client, a code, a grant, a key,
/// a user, …): the owning module keeps its shape in `body`, under a `kind`
/// and an `id` unique within it. An expired record reads as absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// What it is (`client`, `code`, …).
    pub kind: String,
    /// Its id within the kind.
    pub id: String,
    /// Its content, as JSON.
    pub body: serde_json::Value,
    /// When it expires, in milliseconds since the Unix epoch; `None` never.
    pub expires_at_ms: Option<i64>,
}

/// One activity record: a tool call, or a change made through the admin API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActivityEntry {
    /// Its id, increasing; assigned by the store (0 before it is written).
    pub id: i64,
    /// When it started, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// `call` (a tool call) or `admin` (a change through the admin API).
    pub kind: String,
    /// Who: `local`, `key:<name>`, `admin:<name>`, …
    pub principal: String,
    /// The session the call belongs to, if any.
    pub session: Option<String>,
    /// `stdio`, `http`, `sse` or `admin`.
    pub transport: String,
    /// `initialize` or `2026-07-28` for MCP calls; empty otherwise.
    pub era: String,
    /// The tool as the client named it, or the admin action (`server.create`).
    pub tool: String,
    /// The plugin or server that served it, or what an admin action changed.
    pub provider: String,
    /// How long it took, in microseconds.
    pub duration_us: i64,
    /// `ok`, `tool_error`, `fault`, `denied`, `cancelled` or `timeout`.
    pub outcome: String,
    /// Size of the arguments, in bytes.
    pub bytes_in: i64,
    /// Size of the result, in bytes.
    pub bytes_out: i64,
    /// SHA-256 of the arguments, in hex.
    pub arguments_sha256: String,
    /// The arguments themselves, only with `[activity] record_arguments = true`.
    pub arguments: Option<String>,
    /// The error's text, when it failed.
    pub error: Option<String>,
}

/// Which activity records to read: every set field must match; newest
/// first, below `before` (a cursor: the last id of the previous page).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityFilter {
    /// Only this tool (or admin action).
    pub tool: Option<String>,
    /// Only this principal.
    pub principal: Option<String>,
    /// Only this session.
    pub session: Option<String>,
    /// Only this outcome.
    pub outcome: Option<String>,
    /// Only this transport (`stdio`, `http`, `sse`, `admin`).
    pub transport: Option<String>,
    /// Only records at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Only records before this time (ms since the epoch).
    pub until_ms: Option<i64>,
    /// Only records with an id below this one (the previous page's `next_cursor`).
    pub cursor: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

impl ActivityFilter {
    /// The page size asked for, within bounds.
    pub fn page_size(&self) -> u32 {
        self.limit.unwrap_or(100).clamp(1, 1000)
    }
}

/// A backend of the state database. Every call blocks; see [`StateDb::run`].
pub trait Store: Send + Sync + 'static {
    /// The servers added through the admin API, by name.
    fn servers(&self) -> Result<Vec<StoredServer>, StateError>;
    /// Adds or replaces a server.
    fn put_server(&self, server: &StoredServer) -> Result<(), StateError>;
    /// Removes a server; whether it was there.
    fn delete_server(&self, name: &str) -> Result<bool, StateError>;
    /// The plugins the operator disabled.
    fn disabled_plugins(&self) -> Result<Vec<String>, StateError>;
    /// Disables (or enables again) a plugin.
    fn set_plugin_disabled(&self, name: &str, disabled: bool) -> Result<(), StateError>;
    /// Appends activity records, all or none.
    fn append_activity(&self, entries: &[ActivityEntry]) -> Result<(), StateError>;
    /// Reads activity records, newest first.
    fn activity(&self, filter: &ActivityFilter) -> Result<Vec<ActivityEntry>, StateError>;
    /// Deletes records older than `before_ms` and all but the newest `keep`;
    /// returns how many went.
    fn prune_activity(&self, before_ms: i64, keep: u64) -> Result<u64, StateError>;
    /// Every task kept.
    fn tasks(&self) -> Result<Vec<StoredTask>, StateError>;
    /// Adds or replaces a task.
    fn put_task(&self, task: &StoredTask) -> Result<(), StateError>;
    /// Forgets these tasks.
    fn delete_tasks(&self, ids: &[String]) -> Result<(), StateError>;
    /// Adds or replaces a record.
    fn put_record(&self, record: &StoredRecord) -> Result<(), StateError>;
    /// The record `kind`/`id`, unless it is missing or expired at `now_ms`.
    fn record(&self, kind: &str, id: &str, now_ms: i64) -> Result<Option<StoredRecord>, StateError>;
    /// Every record of `kind` not expired at `now_ms`, by id.
    fn records(&self, kind: &str, now_ms: i64) -> Result<Vec<StoredRecord>, StateError>;
    /// Removes a record; whether it was there.
    fn delete_record(&self, kind: &str, id: &str) -> Result<bool, StateError>;
    /// Removes every record expired at `now_ms`; how many went.
    fn prune_records(&self, now_ms: i64) -> Result<u64, StateError>;
}

/// The state of one host: its store, its activity log, and the counters of
/// what failed or was dropped (registered with the host's metrics).
pub struct StateDb {
    store: Arc<dyn Store>,
    activity: ActivityLog,
    write_failures: Counter,
}

impl StateDb {
    /// Opens (creating and migrating) `state_dir/portcullis.db` and starts
    /// the activity log's writer. Blocks: call it at start-up.
    pub fn open(state_dir: &Path, config: ActivityConfig) -> Result<StateDb, StateError> {
        let store: Arc<dyn Store> = Arc::new(sqlite::SqliteStore::open(&state_dir.join(DB_FILE))?);
        Ok(StateDb::with_store(store, config))
    }

    /// A state over `store`, with the activity log writing into it.
    pub fn with_store(store: Arc<dyn Store>, config: ActivityConfig) -> StateDb {
        let write_failures = Counter::default();
        let activity = ActivityLog::start(store.clone(), config, write_failures.clone());
        StateDb { store, activity, write_failures }
    }

    /// The activity log.
    pub fn activity(&self) -> &ActivityLog {
        &self.activity
    }

    /// Writes that failed (logged each time), for `/metrics`.
    pub fn write_failures(&self) -> &Counter {
        &self.write_failures
    }

    /// Runs `work` against the store on the blocking pool.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Store) -> Result<T, StateError> + Send + 'static,
    ) -> Result<T, StateError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || work(store.as_ref()))
            .await
            .unwrap_or_else(|e| Err(StateError::Query(format!("the state task failed: {e}"))))
    }

    /// Like [`StateDb::run`] for a write: a failure is logged and counted too.
    pub async fn write<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnOnce(&dyn Store) -> Result<T, StateError> + Send + 'static,
    ) -> Result<T, StateError> {
        let result = self.run(work).await;
        if let Err(e) = &result {
            self.write_failures.inc();
            tracing::error!("could not save {what}: {e}");
        }
        result
    }
}

/// The default `state_dir`: `$XDG_DATA_HOME/portcullis` or `~/.local/share/portcullis`.
pub fn default_state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local").join("share")))?;
    Some(base.join("portcullis"))
}

#[cfg(test)]
impl ActivityEntry {
    /// A successful stdio call of `tool` at `at_ms`, for tests.
    pub(crate) fn sample(at_ms: i64, tool: &str) -> ActivityEntry {
        ActivityEntry {
            id: 0,
            at_ms,
            kind: "call".into(),
            principal: "local".into(),
            session: None,
            transport: "stdio".into(),
            era: "initialize".into(),
            tool: tool.into(),
            provider: "hello".into(),
            duration_us: 5,
            outcome: Outcome::Ok.as_str().into(),
            bytes_in: 2,
            bytes_out: 3,
            arguments_sha256: String::new(),
            arguments: None,
            error: None,
        }
    }
}
