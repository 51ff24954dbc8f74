//! Bounds on what one call may send: a plugin that floods its log or its
//! progress harms neither the client nor the host's stderr.
//!
//! A call may emit [`LOG_RECORDS_PER_CALL`] log records; the next one is
//! replaced by a single record saying that the rest are dropped, and later
//! ones are dropped. Progress goes out at most once per [`PROGRESS_INTERVAL`];
//! reports in between are dropped, except the one that reaches the total.

use std::time::{Duration, Instant};

/// Log records one call may send to the host log and the client.
pub const LOG_RECORDS_PER_CALL: u32 = 1000;

/// The least time between two progress notifications of one call.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// What one call has sent so far.
#[derive(Debug, Default)]
pub struct NotificationBudget {
    logs: u32,
    last_progress: Option<Instant>,
}

/// What to do with one log record.
#[derive(Debug, PartialEq, Eq)]
pub enum LogVerdict {
    /// Send it.
    Send,
    /// Send, instead of it, the note that further records are dropped.
    SendDropNote,
    /// Drop it.
    Drop,
}

impl NotificationBudget {
    /// Counts a log record and says what to do with it.
    pub fn log(&mut self) -> LogVerdict {
        self.logs = self.logs.saturating_add(1);
        match self.logs {
            n if n <= LOG_RECORDS_PER_CALL => LogVerdict::Send,
            n if n == LOG_RECORDS_PER_CALL + 1 => LogVerdict::SendDropNote,
            _ => LogVerdict::Drop,
        }
    }

    /// Whether a progress report made `now` goes out.
    pub fn progress(&mut self, now: Instant, progress: f64, total: Option<f64>) -> bool {
        let done = total.is_some_and(|total| progress >= total);
        let due = self.last_progress.is_none_or(|last| now.duration_since(last) >= PROGRESS_INTERVAL);
        if done || due {
            self.last_progress = Some(now);
        }
        done || due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_past_the_budget_become_one_note() {
        let mut budget = NotificationBudget::default();
        let verdicts: Vec<_> = (0..LOG_RECORDS_PER_CALL + 3).map(|_| budget.log()).collect();
        assert!(verdicts[..LOG_RECORDS_PER_CALL as usize].iter().all(|v| *v == LogVerdict::Send));
        assert_eq!(
            verdicts[LOG_RECORDS_PER_CALL as usize..],
            [LogVerdict::SendDropNote, LogVerdict::Drop, LogVerdict::Drop]
        );
    }

    #[test]
    fn progress_is_spaced_out_but_completion_always_goes_out() {
        let mut budget = NotificationBudget::default();
        let start = Instant::now();
        assert!(budget.progress(start, 1.0, Some(10.0)));
        assert!(!budget.progress(start + Duration::from_millis(10), 2.0, Some(10.0)));
        assert!(budget.progress(start + Duration::from_millis(10), 10.0, Some(10.0)), "completion");
        assert!(budget.progress(start + Duration::from_millis(70), 3.0, None));
    }
}
