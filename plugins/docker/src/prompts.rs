//! The prompt `docker_diagnose_container`: a failing container's state and
//! recent logs, read through the host, with a request to find the cause and
//! propose fixes with the `docker_*` tools.

use crate::host::{Access, Host, LogOptions, Logs};
use plugin_kit::Fail;
use serde_json::Value;

/// How many lines of logs the prompt quotes.
pub const LOG_LINES: u32 = 50;

/// The longest health check output the prompt quotes, in characters.
const HEALTH_OUTPUT_CHARS: usize = 500;

/// One argument a prompt takes.
pub struct Argument {
    /// Its name.
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
    /// Whether the client must supply it.
    pub required: bool,
}

/// Describes one prompt.
pub struct Prompt {
    /// Its name.
    pub name: &'static str,
    /// A human-readable title.
    pub title: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// The arguments it takes.
    pub arguments: &'static [Argument],
}

/// `docker_diagnose_container`.
pub const DIAGNOSE: Prompt = Prompt {
    name: "docker_diagnose_container",
    title: "Diagnose a Docker container",
    description: "Diagnose a failing container: its state (status, exit code, OOM kill, restarts, health) and \
        its last 50 log lines, with a request to find the cause and propose fixes.",
    arguments: &[Argument {
        name: "container",
        description: "The container's name, id or unique id prefix.",
        required: true,
    }],
};

/// The prompts the grants in `access` allow: the one prompt with `docker-read`, else none.
pub fn list(access: Access) -> Vec<&'static Prompt> {
    if access.read { vec![&DIAGNOSE] } else { vec![] }
}

/// A rendered prompt: its description and the user's messages, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// A description of the rendering.
    pub description: String,
    /// The messages, each spoken by the user.
    pub messages: Vec<String>,
}

/// Renders prompt `name` with `arguments`: `not-found` for a prompt this
/// plugin does not have, `invalid-params` without a container. What the host
/// cannot read is said in the message rather than failing the prompt.
pub fn get(host: &dyn Host, name: &str, arguments: &[(String, String)]) -> Result<Rendered, Fail> {
    if name != DIAGNOSE.name {
        return Err(Fail::NotFound(format!("the docker plugin has no prompt {name:?}")));
    }
    let container = arguments
        .iter()
        .find(|(name, _)| name == "container")
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Fail::InvalidParams("the argument `container` is required: the container to diagnose".into()))?;
    let inspect = host.inspect_container(container);
    let logs = host.container_logs(container, LogOptions { tail: Some(LOG_LINES), since: None, timestamps: true });
    Ok(Rendered {
        description: format!("Diagnose container {container}"),
        messages: vec![diagnosis(container, inspect, logs, host.granted().manage)],
    })
}

/// The message: what the engine says of `container` (or why it could not
/// be read), and the request; `manage` says whether the changing tools are there.
fn diagnosis(container: &str, inspect: Result<String, Fail>, logs: Result<Logs, Fail>, manage: bool) -> String {
    let mut text = format!("The Docker container `{container}` is not working as it should. Diagnose it.\n\n");
    match inspect.and_then(|json| state(&json)) {
        Ok(lines) => {
            text.push_str("Its state, from `docker inspect`:\n");
            for line in lines {
                text.push_str(&format!("- {line}\n"));
            }
        }
        Err(fail) => text.push_str(&format!("Its state could not be read: {}\n", fail.message())),
    }
    text.push('\n');
    match logs {
        Ok(logs) if logs.text.trim().is_empty() => text.push_str("It wrote nothing to its logs.\n"),
        Ok(logs) => {
            text.push_str(&format!("Its last {LOG_LINES} log lines (with timestamps):\n{}", fenced(&logs.text)));
        }
        Err(fail) => text.push_str(&format!("Its logs could not be read: {}\n", fail.message())),
    }
    text.push_str(
        "\nFind the most likely cause from this evidence; say what in the state or logs points to it. \
         Look further where it helps: docker_inspect_container, docker_container_logs (more lines, or `since`), \
         docker_container_stats, docker_events (filters [\"container=NAME\"]), docker_inspect_image.\n",
    );
    if manage {
        text.push_str(
            "Then propose concrete fixes. Where one is a change you can make with docker_start_container, \
             docker_restart_container, docker_stop_container, docker_remove_container or docker_pull_image, \
             say what it would do and ask before making it; for the rest (the image, its configuration, the \
             application), say what to change.",
        );
    } else {
        text.push_str(
            "Then propose concrete fixes: what to change in the container's configuration, image or \
             application, and what to run (you can only read the engine here, not change it).",
        );
    }
    text
}

/// The state lines of a container description (the JSON of `docker inspect`).
fn state(json: &str) -> Result<Vec<String>, Fail> {
    let description: Value =
        serde_json::from_str(json).map_err(|e| Fail::Failed(format!("the engine's description is not JSON ({e})")))?;
    let state = &description["State"];
    let text = |value: &Value| value.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let mut lines = Vec::new();
    if let Some(image) = text(&description["Config"]["Image"]) {
        lines.push(format!("image: {image}"));
    }
    lines.push(format!("status: {}", text(&state["Status"]).unwrap_or_else(|| "unknown".into())));
    if let Some(code) = state["ExitCode"].as_i64() {
        let running = state["Running"].as_bool().unwrap_or(false);
        match exit_meaning(code).filter(|_| !running) {
            Some(meaning) => lines.push(format!("exit code: {code} ({meaning})")),
            None => lines.push(format!("exit code: {code}")),
        }
    }
    if let Some(oom) = state["OOMKilled"].as_bool() {
        lines.push(format!("killed for lack of memory (OOMKilled): {oom}"));
    }
    if let Some(restarts) = description["RestartCount"].as_i64() {
        let policy = text(&description["HostConfig"]["RestartPolicy"]["Name"]).unwrap_or_else(|| "no".into());
        lines.push(format!("restart count: {restarts} (restart policy: {policy})"));
    }
    let health = &state["Health"];
    match text(&health["Status"]) {
        Some(status) => {
            let streak = health["FailingStreak"].as_i64().unwrap_or(0);
            lines.push(format!("health: {status} (failing streak: {streak})"));
            let last = health["Log"].as_array().and_then(|log| log.last());
            if let Some(output) = last.and_then(|check| text(&check["Output"])) {
                let output: String = output.trim().chars().take(HEALTH_OUTPUT_CHARS).collect();
                lines.push(format!("last health check output: {output}"));
            }
        }
        None => lines.push("health: no health check".into()),
    }
    lines.push(format!("error: {}", text(&state["Error"]).unwrap_or_else(|| "none".into())));
    for (key, what) in [("StartedAt", "started at"), ("FinishedAt", "finished at")] {
        if let Some(time) = text(&state[key]).filter(|t| !t.starts_with("0001-")) {
            lines.push(format!("{what}: {time}"));
        }
    }
    Ok(lines)
}

/// What an exit code usually means, where it says something.
fn exit_meaning(code: i64) -> Option<String> {
    Some(match code {
        0 => "it exited normally".into(),
        1 => "the application failed".into(),
        125 => "the container could not be run".into(),
        126 => "its command could not be invoked".into(),
        127 => "its command was not found".into(),
        137 => "killed by SIGKILL: out of memory, or it did not stop within its stop timeout".into(),
        139 => "segmentation fault (SIGSEGV)".into(),
        143 => "terminated by SIGTERM".into(),
        129..=192 => format!("killed by signal {}", code - 128),
        _ => return None,
    })
}

/// `text` in a fenced code block whose fence no run of backticks in it closes.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    format!("{fence}\n{text}{newline}{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSPECT: &str = r#"{
        "Config": {"Image": "nginx:1.27"},
        "RestartCount": 4,
        "HostConfig": {"RestartPolicy": {"Name": "on-failure"}},
        "State": {"Status": "exited", "Running": false, "ExitCode": 137, "OOMKilled": true, "Error": "",
            "StartedAt": "2026-01-01T00:00:00Z", "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": {"Status": "unhealthy", "FailingStreak": 3,
                "Log": [{"Output": "old"}, {"Output": "curl: (7) Failed to connect\n"}]}}
    }"#;

    #[test]
    fn the_state_names_what_diagnosis_needs() {
        assert_eq!(
            state(INSPECT).unwrap(),
            [
                "image: nginx:1.27",
                "status: exited",
                "exit code: 137 (killed by SIGKILL: out of memory, or it did not stop within its stop timeout)",
                "killed for lack of memory (OOMKilled): true",
                "restart count: 4 (restart policy: on-failure)",
                "health: unhealthy (failing streak: 3)",
                "last health check output: curl: (7) Failed to connect",
                "error: none",
                "started at: 2026-01-01T00:00:00Z",
            ]
        );
        let running = r#"{"State": {"Status": "running", "Running": true, "ExitCode": 0}}"#;
        assert_eq!(
            state(running).unwrap(),
            ["status: running", "exit code: 0", "health: no health check", "error: none"]
        );
        assert!(state("nope").unwrap_err().message().starts_with("the engine's description is not JSON"));
    }

    #[test]
    fn the_message_quotes_the_logs_and_says_what_could_not_be_read() {
        let logs = Logs { text: "boom\n```\n".into(), truncated: false };
        let text = diagnosis("web", Ok(INSPECT.into()), Ok(logs), true);
        assert!(text.starts_with("The Docker container `web` is not working"), "{text}");
        assert!(text.contains("- exit code: 137 (killed by SIGKILL"), "{text}");
        assert!(text.contains("Its last 50 log lines (with timestamps):\n````\nboom\n```\n````\n"), "{text}");
        assert!(text.contains("docker_restart_container"), "{text}");
        let denied = Fail::Denied("the plugin lacks the `docker-read` grant".into());
        let text = diagnosis("web", Err(denied.clone()), Err(denied), false);
        assert!(text.contains("Its state could not be read: the plugin lacks the `docker-read` grant\n"), "{text}");
        assert!(text.contains("Its logs could not be read: the plugin lacks the `docker-read` grant\n"), "{text}");
        assert!(!text.contains("docker_restart_container"), "{text}");
        let empty = diagnosis("web", Ok(INSPECT.into()), Ok(Logs { text: "\n".into(), truncated: false }), false);
        assert!(empty.contains("It wrote nothing to its logs."), "{empty}");
    }

    #[test]
    fn exit_codes_are_explained_where_they_say_something() {
        assert_eq!(exit_meaning(127).unwrap(), "its command was not found");
        assert_eq!(exit_meaning(130).unwrap(), "killed by signal 2");
        assert_eq!(exit_meaning(3), None);
    }

    #[test]
    fn the_prompt_needs_the_read_grant() {
        assert!(list(Access::default()).is_empty());
        assert!(list(Access { read: false, manage: true }).is_empty());
        assert_eq!(
            list(Access { read: true, manage: false }).iter().map(|p| p.name).collect::<Vec<_>>(),
            [DIAGNOSE.name]
        );
    }
}
