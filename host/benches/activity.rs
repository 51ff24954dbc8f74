//! Activity log benchmark: prints figures, asserts nothing.
//!
//! - what recording one call costs the caller (handing a record to the
//!   queue), per record, in rounds that stay within the queue's bound;
//! - how many records per second the writer thread puts into SQLite
//!   (hashing the arguments, batched transactions), from a full queue to
//!   the last one written.
//!
//! Run with `cargo bench -p portcullis --bench activity`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portcullis::state::activity::now_ms;
use portcullis::state::{ActivityConfig, ActivityEntry, StateDb};

/// Records per round: below the queue's bound, so none is dropped.
const ROUND: usize = 10_000;
const ROUNDS: usize = 10;

fn entry() -> ActivityEntry {
    ActivityEntry {
        id: 0,
        at_ms: now_ms(),
        kind: "call".into(),
        principal: "key:bench".into(),
        session: Some("0123456789abcdef0123456789abcdef".into()),
        transport: "http".into(),
        era: "initialize".into(),
        tool: "hello".into(),
        provider: "hello".into(),
        duration_us: 120,
        outcome: "ok".into(),
        bytes_in: 0,
        bytes_out: 64,
        arguments_sha256: String::new(),
        arguments: None,
        error: None,
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let state = Arc::new(StateDb::open(dir.path(), ActivityConfig::default()).unwrap());
    let log = state.activity();
    let mut enqueue = Duration::ZERO;
    let mut writing = Duration::ZERO;
    for _ in 0..ROUNDS {
        // Built before timing: a call builds its record from what it has anyway.
        let records: Vec<_> = (0..ROUND).map(|_| (entry(), "{\"name\":\"bench\"}".to_string())).collect();
        let started = Instant::now();
        for (entry, arguments) in records {
            log.record(entry, arguments);
        }
        enqueue += started.elapsed();
        assert!(log.flush(Duration::from_secs(60)), "the writer did not catch up");
        writing += started.elapsed();
    }
    let records = (ROUND * ROUNDS) as f64;
    println!("activity log: {} records, {} dropped", records, log.dropped().get());
    println!("  enqueue per record (the call's cost): {:.0} ns", enqueue.as_nanos() as f64 / records);
    println!("  writer throughput: {:.0} records/s", records / writing.as_secs_f64());
}
