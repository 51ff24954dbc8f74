//! The activity log's writer: calls hand their record to a bounded channel
//! (never blocking, never failing; a full channel drops the record, counted
//! and logged), and one thread hashes the arguments and writes batches in
//! transactions. The same thread enforces retention by age and count.
//!
//! The writer wakes for the first record after a quiet spell, then lingers
//! (`LINGER`) before it drains the queue: while it sleeps, a call's hand-off
//! is a push onto the queue with nobody to wake, and the records of a busy
//! spell share one wake-up and one transaction instead of one each.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use sha2::{Digest, Sha256};

use super::{ActivityEntry, Store};

/// `[activity]`: what is kept and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityConfig {
    /// Whether calls and admin changes are recorded at all.
    pub enabled: bool,
    /// Whether arguments are stored as they were sent (else only their size and SHA-256).
    pub record_arguments: bool,
    /// Records older than this many days are deleted.
    pub retain_days: u32,
    /// At most this many records are kept; the oldest go first.
    pub max_entries: u64,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        Self { enabled: true, record_arguments: false, retain_days: 30, max_entries: 1_000_000 }
    }
}

/// How a call ended, as the activity log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It answered.
    Ok,
    /// The tool answered with an error the model reads.
    ToolError,
    /// The plugin trapped or hit a limit, or the host failed the call.
    Fault,
    /// A policy refused it before it ran.
    Denied,
    /// The client cancelled it.
    Cancelled,
    /// It ran out of time.
    Timeout,
}

impl Outcome {
    /// The name stored and filtered by.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool_error",
            Outcome::Fault => "fault",
            Outcome::Denied => "denied",
            Outcome::Cancelled => "cancelled",
            Outcome::Timeout => "timeout",
        }
    }
}

/// The milliseconds since the Unix epoch now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

enum Message {
    /// A record and its arguments, hashed by the writer.
    Record(Box<ActivityEntry>, String),
    /// Answered once everything sent before it is written.
    Flush(std::sync::mpsc::Sender<()>),
}

/// How many records wait at most; beyond that they are dropped.
const QUEUE: usize = 16_384;
/// How many records one transaction writes at most.
const BATCH: usize = 1_024;
/// How long the writer collects records after the first of a batch; a
/// record reaches the database at most this much (plus the write) later.
const LINGER: Duration = Duration::from_millis(50);
/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The sending side of the activity log. Cheap to share.
pub struct ActivityLog {
    queue: SyncSender<Message>,
    dropped: Counter,
    enabled: bool,
}

impl ActivityLog {
    /// Starts the writer thread over `store`; failed writes count in `write_failures`.
    pub fn start(store: Arc<dyn Store>, config: ActivityConfig, write_failures: Counter) -> ActivityLog {
        let (queue, received) = std::sync::mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("activity-writer".into())
            .spawn(move || write(received, store.as_ref(), config, &write_failures))
            .expect("starting the activity writer thread");
        ActivityLog { queue, dropped: Counter::default(), enabled: config.enabled }
    }

    /// Whether records are kept (`[activity] enabled`); when not, [`ActivityLog::record`] discards them.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records what `entry` says, with `arguments` as the call sent them
    /// (hashed, and stored only with `record_arguments`). Never blocks:
    /// when the writer is behind, the record is dropped and counted.
    pub fn record(&self, entry: ActivityEntry, arguments: String) {
        if !self.enabled {
            return;
        }
        match self.queue.try_send(Message::Record(Box::new(entry), arguments)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.inc();
                let dropped = self.dropped.get();
                if dropped.is_power_of_two() {
                    tracing::warn!(dropped, "the activity log is behind: records were dropped");
                }
            }
        }
    }

    /// Records that were dropped because the writer was behind, for `/metrics`.
    pub fn dropped(&self) -> &Counter {
        &self.dropped
    }

    /// Waits (blocking, at most `bound`) until every record sent so far is written.
    pub fn flush(&self, bound: Duration) -> bool {
        let (done, wait) = std::sync::mpsc::channel();
        self.queue.send(Message::Flush(done)).is_ok() && wait.recv_timeout(bound).is_ok()
    }
}

/// The writer thread: batches until the sending side is gone.
fn write(received: Receiver<Message>, store: &dyn Store, config: ActivityConfig, failures: &Counter) {
    let mut last_prune: Option<Instant> = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    // Whether the last batch was cut at its size, so more records are waiting.
    let mut behind = false;
    loop {
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            prune(store, config, failures);
            last_prune = Some(Instant::now());
        }
        let first = match received.recv_timeout(PRUNE_EVERY) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if !behind && matches!(first, Message::Record(..)) {
            std::thread::sleep(LINGER);
        }
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Record(entry, arguments) => batch.push(finish(*entry, arguments, config)),
                Message::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH {
                next = received.try_recv().ok();
            }
        }
        behind = batch.len() == BATCH;
        if !batch.is_empty() {
            if let Err(e) = store.append_activity(&batch) {
                failures.inc_by(batch.len() as u64);
                tracing::error!(records = batch.len(), "could not write activity records: {e}");
            }
            batch.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Fills in what the writer computes: the arguments' size, hash and (if asked) text.
fn finish(mut entry: ActivityEntry, arguments: String, config: ActivityConfig) -> ActivityEntry {
    entry.bytes_in = arguments.len() as i64;
    entry.arguments_sha256 = hex::encode(Sha256::digest(arguments.as_bytes()));
    entry.arguments = config.record_arguments.then_some(arguments);
    entry
}

fn prune(store: &dyn Store, config: ActivityConfig, failures: &Counter) {
    let before = now_ms() - i64::from(config.retain_days) * 86_400_000;
    match store.prune_activity(before, config.max_entries) {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "pruned the activity log"),
        Err(e) => {
            failures.inc();
            tracing::error!("could not prune the activity log: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ActivityFilter, sqlite::SqliteStore};

    #[test]
    fn records_are_hashed_written_and_kept_within_the_count() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("portcullis.db")).unwrap());
        let config = ActivityConfig { max_entries: 3, ..ActivityConfig::default() };
        let log = ActivityLog::start(store.clone(), config, Counter::default());
        for i in 0..5 {
            log.record(ActivityEntry::sample(now_ms(), &format!("t{i}")), "{\"secret\":1}".into());
        }
        assert!(log.flush(Duration::from_secs(5)));
        let written = store.activity(&ActivityFilter::default()).unwrap();
        assert_eq!(written.len(), 5);
        assert_eq!(written[0].bytes_in, 12);
        assert_eq!(written[0].arguments_sha256, hex::encode(Sha256::digest(b"{\"secret\":1}")));
        assert_eq!(written[0].arguments, None);
        assert_eq!(store.prune_activity(0, config.max_entries).unwrap(), 2);
    }

    #[test]
    fn a_disabled_log_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("portcullis.db")).unwrap());
        let config = ActivityConfig { enabled: false, ..ActivityConfig::default() };
        let log = ActivityLog::start(store.clone(), config, Counter::default());
        log.record(ActivityEntry::sample(now_ms(), "t"), "{}".into());
        assert!(log.flush(Duration::from_secs(5)));
        assert!(store.activity(&ActivityFilter::default()).unwrap().is_empty());
        assert_eq!(log.dropped().get(), 0);
    }
}
