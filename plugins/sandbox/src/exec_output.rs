//! How an exec's result reads in a tool result: one sentence on how it
//! ended, the output in labelled sections, and the structured fields.

use crate::host::{ExecResult, ExitReason};
use serde_json::{Map, Value, json};

/// One sentence on how an exec ended.
pub fn summary(result: &ExecResult) -> String {
    let after = duration(result.duration_ms);
    let code = match result.exit_code {
        Some(code) => format!(" (exit code {code})"),
        None => String::new(),
    };
    match (result.reason, result.exit_code) {
        (ExitReason::Exited, Some(0)) => format!("Exited with code 0 after {after}."),
        (ExitReason::Exited, Some(code)) => format!("Failed: exited with code {code} after {after}."),
        (ExitReason::Exited, None) => format!("Ended without an exit code after {after}."),
        (ExitReason::Timeout, _) => format!("Timed out after {after}; its processes were killed{code}."),
        (ExitReason::OutOfMemory, _) => {
            format!("Ran out of memory after {after} and was killed{code}; ask for a larger memory_mib.")
        }
        (ExitReason::Cancelled, _) => format!("Cancelled by the client after {after}{code}."),
    }
}

/// The captured output, in labelled sections, with the truncation note.
pub fn output(result: &ExecResult) -> String {
    let mut text = String::new();
    for (label, stream) in [("stdout", &result.stdout), ("stderr", &result.stderr)] {
        if !stream.is_empty() {
            text.push_str(&format!("--- {label} ---\n{stream}"));
            if !stream.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    if text.is_empty() {
        text.push_str("(no output)\n");
    }
    if result.truncated {
        text.push_str("(output was truncated at the server's capture limit)\n");
    }
    text
}

/// `ms` milliseconds, readably.
pub fn duration(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

/// The fields every exec result shares, as a JSON object.
pub fn fields(result: &ExecResult) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("exit_code".into(), json!(result.exit_code));
    map.insert("reason".into(), json!(result.reason.as_str()));
    map.insert("duration_ms".into(), json!(result.duration_ms));
    map.insert("stdout".into(), json!(result.stdout));
    map.insert("stderr".into(), json!(result.stderr));
    map.insert("truncated".into(), json!(result.truncated));
    map
}

/// An exec result for tests: stdout `out`, 1.5 s, ended by `reason`.
#[cfg(test)]
pub(crate) fn sample_result(reason: ExitReason, exit_code: Option<i64>) -> ExecResult {
    ExecResult { exit_code, stdout: "out".into(), stderr: String::new(), truncated: false, duration_ms: 1500, reason }
}

#[cfg(test)]
mod tests {
    use super::sample_result as result;
    use super::*;

    #[test]
    fn summaries_say_how_it_ended() {
        assert_eq!(summary(&result(ExitReason::Exited, Some(0))), "Exited with code 0 after 1.5 s.");
        assert_eq!(summary(&result(ExitReason::Exited, Some(2))), "Failed: exited with code 2 after 1.5 s.");
        assert_eq!(summary(&result(ExitReason::Timeout, None)), "Timed out after 1.5 s; its processes were killed.");
        assert!(summary(&result(ExitReason::OutOfMemory, Some(137))).starts_with("Ran out of memory"));
        assert_eq!(summary(&result(ExitReason::Cancelled, None)), "Cancelled by the client after 1.5 s.");
    }

    #[test]
    fn truncation_and_empty_output_are_said() {
        let mut r = result(ExitReason::Exited, Some(0));
        assert_eq!(output(&r), "--- stdout ---\nout\n");
        r.stdout.clear();
        r.truncated = true;
        assert_eq!(output(&r), "(no output)\n(output was truncated at the server's capture limit)\n");
    }

    #[test]
    fn exit_code_is_null_when_killed() {
        assert_eq!(fields(&result(ExitReason::Timeout, None))["exit_code"], Value::Null);
        assert_eq!(duration(999), "999 ms");
    }
}
