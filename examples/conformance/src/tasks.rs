//! The fixtures of the suite's `tasks-*` scenarios (the tasks extension,
//! SEP-2663): `greet` answers in its request; the others may run as tasks and
//! ask to (`context.run-as-task`) as they start, or, `test_tool_with_task`,
//! once the input-required round trip has brought the user's name.

use std::thread::sleep;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::ask::{accepted, elicit_keyed, field, one_string};
use crate::exports::portcullis::plugin::tools::{CallResult, TaskSupport, Tool};
use crate::portcullis::plugin::types::{Content, Failure};
use crate::portcullis::plugin::{context, progress};

/// name, description, input schema, task support.
const TOOLS: &[(&str, &str, &str, TaskSupport)] = &[
    (
        "greet",
        "Greets `name` in the request itself (never a task).",
        r#"{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}"#,
        TaskSupport::Forbidden,
    ),
    (
        "slow_compute",
        "Waits `seconds` seconds, reporting progress each second, then answers with `label`.",
        r#"{"type":"object","properties":{"seconds":{"type":"integer","minimum":0},"label":{"type":"string"}},"required":["seconds"]}"#,
        TaskSupport::Optional,
    ),
    (
        "failing_job",
        "Runs only as a task, and ends after a second with a tool error.",
        r#"{"type":"object","properties":{}}"#,
        TaskSupport::Required,
    ),
    (
        "protocol_error_job",
        "Traps (a plugin crash), which fails its task.",
        r#"{"type":"object","properties":{}}"#,
        TaskSupport::Optional,
    ),
    (
        "confirm_delete",
        "Asks the user to confirm deleting `filename` (pretends to delete it).",
        r#"{"type":"object","properties":{"filename":{"type":"string"}},"required":["filename"]}"#,
        TaskSupport::Optional,
    ),
    (
        "multi_input",
        "Asks the user two questions at once, `first` and `second`.",
        r#"{"type":"object","properties":{}}"#,
        TaskSupport::Optional,
    ),
    (
        "test_tool_with_task",
        "Asks the user's name as an input-required result, then goes on as a task that greets them.",
        r#"{"type":"object","properties":{}}"#,
        TaskSupport::Required,
    ),
];

/// A boolean `confirm`.
const CONFIRM: &str = r#"{"type":"object","properties":{"confirm":{"type":"boolean"}},"required":["confirm"]}"#;

/// The descriptors of these fixtures.
pub fn list() -> impl Iterator<Item = Tool> {
    TOOLS.iter().map(|(name, description, schema, task_support)| Tool {
        name: (*name).into(),
        title: None,
        description: (*description).into(),
        input_schema: (*schema).into(),
        output_schema: None,
        annotations: None,
        task_support: *task_support,
    })
}

/// Calls fixture `name`, or `None` if it is not one of these.
pub fn call(name: &str, args: &Map<String, Value>) -> Option<Result<CallResult, Failure>> {
    TOOLS.iter().find(|(n, ..)| *n == name)?;
    // Every fixture but `greet` and `test_tool_with_task` asks to run as a task first.
    if !matches!(name, "greet" | "test_tool_with_task") {
        context::run_as_task();
    }
    Some(match name {
        "greet" => text(format!("Hello, {}!", args.get("name").and_then(Value::as_str).unwrap_or("stranger"))),
        "slow_compute" => {
            let seconds = args.get("seconds").and_then(Value::as_u64).unwrap_or(0);
            for second in 0..seconds {
                progress::report(second as f64, Some(seconds as f64), Some(&format!("{second} of {seconds} s")));
                sleep(Duration::from_secs(1));
            }
            text(format!("computed {}", args.get("label").and_then(Value::as_str).unwrap_or("")))
        }
        "failing_job" => {
            sleep(Duration::from_secs(1));
            Ok(CallResult {
                content: vec![Content::Text("the job failed".into())],
                structured_content: None,
                is_error: true,
            })
        }
        "protocol_error_job" => panic!("protocol_error_job crashes on purpose"),
        "confirm_delete" => confirm_delete(args.get("filename").and_then(Value::as_str).unwrap_or("")),
        "multi_input" => multi_input(),
        _ => greet_from_task(),
    })
}

fn text(text: String) -> Result<CallResult, Failure> {
    Ok(CallResult { content: vec![Content::Text(text)], structured_content: None, is_error: false })
}

fn confirm_delete(filename: &str) -> Result<CallResult, Failure> {
    let answer = elicit_keyed("confirm", &format!("Delete {filename}?"), CONFIRM)?;
    let confirmed = accepted(&answer).is_some_and(|v| v["confirm"] == Value::Bool(true));
    text(if confirmed { format!("deleted {filename}") } else { format!("kept {filename}") })
}

/// Both questions are asked before either answer is used, so both are open at once.
fn multi_input() -> Result<CallResult, Failure> {
    let first = elicit_keyed("first", "First question: your name?", &one_string("name"));
    let second = elicit_keyed("second", "Second question: your name again?", &one_string("name"));
    let (first, second) = (first?, second?);
    text(format!("answers: {} and {}", field(&first, "name"), field(&second, "name")))
}

fn greet_from_task() -> Result<CallResult, Failure> {
    let answer = elicit_keyed("user_name", "What is your name?", &one_string("name"))?;
    context::run_as_task();
    sleep(Duration::from_millis(500));
    text(format!("Hello, {}, from a task!", field(&answer, "name")))
}
