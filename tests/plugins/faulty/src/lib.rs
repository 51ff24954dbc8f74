//! A plugin that misbehaves on purpose, for the host's fault tests: each tool
//! ends its call in a different way that must not harm the host. `sleep` is
//! merely slow, for tests of calls in flight (shutdown, timeouts); `flood`
//! sends far more log records and progress reports than a call may; `chatty`
//! logs and reports progress a few times, slowly. With the setting
//! `tools_changed_from_list_tools`, `list-tools` itself says the tool list
//! changed (a recursion the host must refuse); `announce` says so from a call.
//!
//! It is a policy too, allowing everything, except that with the setting
//! `trap_on_check_tool_call` its `check-tool-call` traps (the host must then
//! deny every tool call, naming this policy).

/// The bindings of the plugin contract, private so that the generated items are not this crate's API.
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        inline: "
            package portcullis:faulty;
            /// The tool-plugin world, plus a policy.
            world faulty {
                include portcullis:plugin/tool-plugin@0.2.0;
                export portcullis:plugin/policy@0.2.0;
            }
        ",
        world: "portcullis:faulty/faulty",
        generate_all,
    });
}

pub(crate) use bindings::{exports, portcullis};

use exports::portcullis::plugin::policy;
use exports::portcullis::plugin::tools::{CallResult, Guest, TaskSupport, Tool};
use portcullis::plugin::types::{Content, Failure};

struct Faulty;

fn tool(name: &str, description: &str) -> Tool {
    tool_with(name, description, r#"{"type":"object","properties":{}}"#)
}

fn tool_with(name: &str, description: &str, input_schema: &str) -> Tool {
    Tool {
        name: name.into(),
        title: None,
        description: description.into(),
        input_schema: input_schema.into(),
        output_schema: None,
        annotations: None,
        task_support: TaskSupport::Forbidden,
    }
}

fn text(text: String) -> Result<CallResult, Failure> {
    Ok(CallResult { content: vec![Content::Text(text)], structured_content: None, is_error: false })
}

fn parse(arguments: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(arguments).map_err(|e| Failure::InvalidParams(e.to_string()))
}

impl Guest for Faulty {
    fn list_tools() -> Vec<Tool> {
        if portcullis::plugin::config::get("tools_changed_from_list_tools").is_some() {
            portcullis::plugin::events::tools_changed();
        }
        vec![
            tool("crash", "Panics (a trap)."),
            tool("spin", "Loops forever."),
            tool("hog", "Allocates memory without bound."),
            tool("fine", "Answers normally."),
            tool("flood", "Logs 20,000 records and reports progress 20,000 times, then answers."),
            tool_with(
                "sleep",
                "Sleeps `ms` milliseconds (default 1000) on the monotonic clock, then answers (a slow call).",
                r#"{"type":"object","properties":{"ms":{"type":"integer","minimum":0}}}"#,
            ),
            tool_with(
                "chatty",
                "Logs `count` records (default 3) at info level, each followed by a progress report and a pause of \
                 `ms` milliseconds (default 60), then answers.",
                r#"{"type":"object","properties":{"count":{"type":"integer","minimum":0},"ms":{"type":"integer","minimum":0}}}"#,
            ),
            tool("announce", "Says the tool list changed, then answers."),
        ]
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, Failure> {
        match name.as_str() {
            "crash" => panic!("the faulty plugin crashed on purpose"),
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "hog" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "fine" => text("still fine".into()),
            "flood" => {
                const TIMES: u32 = 20_000;
                for n in 1..=TIMES {
                    portcullis::plugin::log::log(portcullis::plugin::log::Level::Info, &format!("line {n}"));
                    portcullis::plugin::progress::report(f64::from(n), Some(f64::from(TIMES)), None);
                }
                text("flooded".into())
            }
            "sleep" => {
                let ms = parse(&arguments)?["ms"].as_u64().unwrap_or(1000);
                std::thread::sleep(std::time::Duration::from_millis(ms));
                text(format!("slept {ms} ms"))
            }
            "chatty" => {
                let arguments = parse(&arguments)?;
                let count = arguments["count"].as_u64().unwrap_or(3);
                let ms = arguments["ms"].as_u64().unwrap_or(60);
                for n in 1..=count {
                    portcullis::plugin::log::log(portcullis::plugin::log::Level::Info, &format!("chatty {n}"));
                    portcullis::plugin::progress::report(n as f64, Some(count as f64), None);
                    std::thread::sleep(std::time::Duration::from_millis(ms));
                }
                text(format!("chatted {count} times"))
            }
            "announce" => {
                portcullis::plugin::events::tools_changed();
                text("announced".into())
            }
            other => Err(Failure::NotFound(other.into())),
        }
    }
}

impl policy::Guest for Faulty {
    fn check_path(_path: String, _access: policy::Access) -> policy::Decision {
        policy::Decision::Allow
    }

    fn check_container(_request: policy::ContainerRequest) -> policy::Decision {
        policy::Decision::Allow
    }

    fn check_tool_call(call: policy::ToolCall) -> policy::Decision {
        if portcullis::plugin::config::get("trap_on_check_tool_call").is_some() {
            panic!("the faulty policy trapped on purpose judging `{}`", call.public_name);
        }
        policy::Decision::Allow
    }
}

bindings::export!(Faulty with_types_in bindings);
