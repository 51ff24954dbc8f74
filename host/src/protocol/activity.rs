//! What the MCP surface tells the activity log about each tool call: who,
//! through which transport and era, what served it, how it ended. Kept off
//! the hot path: a call builds one record and hands it to the log's queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rmcp::model::CallToolResult;

use crate::caller::Principal;
use crate::state::activity::now_ms;
use crate::state::{ActivityEntry, Outcome, StateDb};

/// The longest error text kept in a record, in characters.
const ERROR_CHARS: usize = 2_000;

/// Who made a call and how, known before it runs.
#[derive(Clone)]
pub struct CallOrigin {
    /// Who.
    pub principal: Principal,
    /// The session, if the call belongs to one.
    pub session: Option<String>,
    /// `stdio`, `http`, `sse`, or the caller's own plane (`admin`, `rest`).
    pub transport: &'static str,
    /// `initialize` or `2026-07-28`; empty outside MCP.
    pub era: &'static str,
    /// The HTTP request's response deadline, if it has one.
    pub deadline: Option<ResponseDeadline>,
}

/// Whether an HTTP request's response deadline (`http.request_timeout_secs`)
/// has passed: the transport marks it before it abandons the request, so a
/// call that then ends unanswered is recorded as a `timeout`, not `cancelled`.
#[derive(Clone, Debug, Default)]
pub struct ResponseDeadline(Arc<AtomicBool>);

impl ResponseDeadline {
    /// Marks the deadline as passed.
    pub fn pass(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn passed(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A call being timed, recorded when it ends: by [`CallRecord::finish`], or
/// as `cancelled` when it is dropped unfinished (the client went away, or the
/// response deadline passed and the call was abandoned), so no call goes unrecorded.
pub struct CallRecord {
    state: Arc<StateDb>,
    origin: CallOrigin,
    tool: String,
    provider: String,
    at_ms: i64,
    started: Instant,
    /// The arguments as sent; taken when the record is sent.
    arguments: Option<String>,
}

impl CallRecord {
    /// Starts timing `tool` (served by `provider`) for `origin`, with its `arguments`.
    pub fn start(state: Arc<StateDb>, origin: CallOrigin, tool: &str, provider: &str, arguments: String) -> CallRecord {
        CallRecord {
            state,
            origin,
            tool: tool.to_string(),
            provider: provider.to_string(),
            at_ms: now_ms(),
            started: Instant::now(),
            arguments: Some(arguments),
        }
    }

    /// The call's arguments, as JSON text.
    pub fn arguments(&self) -> &str {
        self.arguments.as_deref().unwrap_or_default()
    }

    /// How long the call has taken so far.
    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Records how the call ended, its error text and its result (measured, not copied).
    pub fn finish(mut self, outcome: Outcome, error: Option<String>, result: Option<&CallToolResult>) {
        let outcome = match outcome {
            Outcome::Cancelled if self.deadline_passed() => Outcome::Timeout,
            outcome => outcome,
        };
        let kept = self.state.activity().enabled();
        let bytes_out = result.filter(|_| kept).map_or(0, |r| {
            let mut counter = ByteCounter(0);
            serde_json::to_writer(&mut counter, r).map_or(0, |()| counter.0)
        });
        self.send(outcome, error, bytes_out);
    }

    /// Hands the record to the activity log (once, and only if it keeps
    /// records); the writer hashes the arguments.
    fn send(&mut self, outcome: Outcome, error: Option<String>, bytes_out: usize) {
        let Some(arguments) = self.arguments.take() else { return };
        if !self.state.activity().enabled() {
            return;
        }
        let entry = ActivityEntry {
            id: 0,
            at_ms: self.at_ms,
            kind: "call".into(),
            principal: self.origin.principal.to_string(),
            session: self.origin.session.take(),
            transport: self.origin.transport.into(),
            era: self.origin.era.into(),
            tool: std::mem::take(&mut self.tool),
            provider: std::mem::take(&mut self.provider),
            duration_us: self.started.elapsed().as_micros() as i64,
            outcome: outcome.as_str().into(),
            bytes_in: 0,
            bytes_out: bytes_out as i64,
            arguments_sha256: String::new(),
            arguments: None,
            error: error.map(|e| e.chars().take(ERROR_CHARS).collect()),
        };
        self.state.activity().record(entry, arguments);
    }
}

impl CallRecord {
    fn deadline_passed(&self) -> bool {
        self.origin.deadline.as_ref().is_some_and(ResponseDeadline::passed)
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        let (outcome, why) = match self.deadline_passed() {
            true => (Outcome::Timeout, "no answer within the response deadline (`http.request_timeout_secs`)"),
            false => (Outcome::Cancelled, "the call was abandoned before it answered: the client went away"),
        };
        self.send(outcome, Some(why.into()), 0);
    }
}

/// The text of an error result, for the record.
pub fn error_text(result: &CallToolResult) -> Option<String> {
    if result.is_error != Some(true) {
        return None;
    }
    let text: Vec<&str> = result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.as_str())).collect();
    Some(text.join("\n"))
}

/// Counts what is written to it, and keeps nothing.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
