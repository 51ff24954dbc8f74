//! Every change made through the admin API goes into the activity log, with
//! the admin's principal (`admin:<key name>`), the action and its target.

use super::AdminState;
use super::error::ApiError;
use crate::caller::Principal;
use crate::state::activity::now_ms;
use crate::state::{ActivityEntry, Outcome};

/// Records that `admin` did `action` (`server.create`, `plugin.disable`, …)
/// to `target`, and how it went. The request body is not kept: it may hold secrets.
pub fn audit<T>(state: &AdminState, admin: &Principal, action: &str, target: &str, done: &Result<T, ApiError>) {
    let entry = ActivityEntry {
        id: 0,
        at_ms: now_ms(),
        kind: "admin".into(),
        principal: admin.to_string(),
        session: None,
        transport: "admin".into(),
        era: String::new(),
        tool: action.into(),
        provider: target.into(),
        duration_us: 0,
        outcome: match done {
            Ok(_) => Outcome::Ok.as_str().into(),
            Err(_) => Outcome::ToolError.as_str().into(),
        },
        bytes_in: 0,
        bytes_out: 0,
        arguments_sha256: String::new(),
        arguments: None,
        error: done.as_ref().err().map(|e| e.message().to_string()),
    };
    state.state().activity().record(entry, String::new());
}
