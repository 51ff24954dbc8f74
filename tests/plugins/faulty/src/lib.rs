//! A plugin that misbehaves on purpose, for the host's fault tests: each tool
//! ends its call in a different way that must not harm the host.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "portcullis:plugin/tool-plugin",
    generate_all,
});

use exports::portcullis::plugin::tools::{CallResult, Guest, Tool};
use portcullis::plugin::types::{Content, Failure};

struct Faulty;

fn tool(name: &str, description: &str) -> Tool {
    Tool {
        name: name.into(),
        title: None,
        description: description.into(),
        input_schema: r#"{"type":"object","properties":{}}"#.into(),
        output_schema: None,
        annotations: None,
    }
}

impl Guest for Faulty {
    fn list_tools() -> Vec<Tool> {
        vec![
            tool("crash", "Panics (a trap)."),
            tool("spin", "Loops forever."),
            tool("hog", "Allocates memory without bound."),
            tool("fine", "Answers normally."),
        ]
    }

    fn call_tool(name: String, _arguments: String) -> Result<CallResult, Failure> {
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
            "fine" => Ok(CallResult {
                content: vec![Content::Text("still fine".into())],
                structured_content: None,
                is_error: false,
            }),
            other => Err(Failure::NotFound(other.into())),
        }
    }
}

export!(Faulty);
