//! The `test_*` tools.

use std::thread::sleep;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::ask::{
    self, accepted, describe, describe_roots, elicit, elicit_keyed, field, one_string, roots, sample, sampled_text,
};
use crate::exports::portcullis::plugin::tools::{CallResult, Guest, TaskSupport, Tool};
use crate::portcullis::plugin::log::{Level, log};
use crate::portcullis::plugin::types::{Content, Failure, Media, ResourceBody, ResourceContents};
use crate::portcullis::plugin::{events, progress};
use crate::{Conformance, PNG, WAV, tasks};

/// An object schema without properties.
const NO_ARGUMENTS: &str = r#"{"type":"object","properties":{}}"#;

/// The JSON Schema 2020-12 input schema of `json_schema_2020_12_tool`, verbatim from the suite.
const JSON_SCHEMA_2020_12: &str = r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"address":{"$anchor":"addressDef","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},"contactMethod":{"type":"string","enum":["phone","email"]},"phone":{"type":"string"},"email":{"type":"string"}},"allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],"if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},"then":{"required":["phone"]},"else":{"required":["email"]},"additionalProperties":false}"##;

/// `test_elicitation`'s form, as the suite's client answers it (`username`, `email`).
const USER_SCHEMA: &str = r#"{"type":"object","properties":{"username":{"type":"string","description":"User's response"},"email":{"type":"string","description":"User's email address"}},"required":["username","email"]}"#;

/// A required boolean `ok`.
const CONFIRM_SCHEMA: &str = r#"{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}"#;

/// SEP-1034: a default for every primitive type.
const SEP1034_SCHEMA: &str = r#"{"type":"object","properties":{"name":{"type":"string","description":"User name","default":"John Doe"},"age":{"type":"integer","description":"User age","default":30},"score":{"type":"number","description":"User score","default":95.5},"status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},"verified":{"type":"boolean","description":"Verification status","default":true}},"required":[]}"#;

/// SEP-1330: all five kinds of enum field.
const SEP1330_SCHEMA: &str = r#"{"type":"object","properties":{"untitledSingle":{"type":"string","description":"Select one option","enum":["option1","option2","option3"]},"titledSingle":{"type":"string","description":"Select one option with titles","oneOf":[{"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},{"const":"value3","title":"Third Option"}]},"legacyEnum":{"type":"string","description":"Select one option (legacy)","enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},"untitledMulti":{"type":"array","description":"Select multiple options","minItems":1,"maxItems":3,"items":{"type":"string","enum":["option1","option2","option3"]}},"titledMulti":{"type":"array","description":"Select multiple options with titles","minItems":1,"maxItems":3,"items":{"anyOf":[{"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},{"const":"value3","title":"Third Choice"}]}}},"required":[]}"#;

/// name, title, description, input schema (`None`: no arguments).
const TOOLS: &[(&str, &str, &str, Option<&str>)] = &[
    ("test_simple_text", "Simple text", "Returns one text block (tools-call-simple-text).", None),
    ("test_image_content", "Image content", "Returns a 1x1 PNG image (tools-call-image).", None),
    ("test_audio_content", "Audio content", "Returns a short WAV clip (tools-call-audio).", None),
    (
        "test_embedded_resource",
        "Embedded resource",
        "Returns an embedded text resource (tools-call-embedded-resource).",
        None,
    ),
    (
        "test_multiple_content_types",
        "Multiple content types",
        "Returns text, an image and an embedded resource (tools-call-mixed-content).",
        None,
    ),
    (
        "test_tool_with_logging",
        "Tool with logging",
        "Logs three info messages 50 ms apart while it runs (tools-call-with-logging).",
        None,
    ),
    (
        "test_tool_with_progress",
        "Tool with progress",
        "Reports progress 0, 50 and 100 of 100, 50 ms apart (tools-call-with-progress).",
        None,
    ),
    (
        "test_error_handling",
        "Error handling",
        "Always fails with a tool error the model can read (tools-call-error).",
        None,
    ),
    (
        "test_sampling",
        "Sampling",
        "Asks the client's model to answer a prompt (tools-call-sampling).",
        Some(
            r#"{"type":"object","properties":{"prompt":{"type":"string","description":"The prompt to send to the LLM"}},"required":["prompt"]}"#,
        ),
    ),
    (
        "test_elicitation",
        "Elicitation",
        "Asks the user for a username and an email address (tools-call-elicitation).",
        Some(
            r#"{"type":"object","properties":{"message":{"type":"string","description":"The message to show the user"}},"required":["message"]}"#,
        ),
    ),
    (
        "test_elicitation_sep1034_defaults",
        "Elicitation with defaults",
        "Asks the user to fill in a form whose fields all have default values (elicitation-sep1034-defaults).",
        None,
    ),
    (
        "test_elicitation_sep1330_enums",
        "Elicitation with enums",
        "Asks the user to choose from all five kinds of enum field (elicitation-sep1330-enums).",
        None,
    ),
    (
        "test_reconnection",
        "Reconnection",
        "Takes 100 ms, so the host can close the SSE stream mid-call and resume it (server-sse-polling).",
        None,
    ),
    (
        "json_schema_2020_12_tool",
        "JSON Schema 2020-12",
        "Tool with JSON Schema 2020-12 features (json-schema-2020-12).",
        Some(JSON_SCHEMA_2020_12),
    ),
    (
        "test_header_param",
        "Header parameter",
        "Echoes a region that clients mirror into the Mcp-Param-Region header (http-custom-header-server-validation).",
        Some(
            r#"{"type":"object","properties":{"region":{"type":"string","description":"A region name","x-mcp-header":"Region"}},"required":["region"]}"#,
        ),
    ),
    (
        "test_missing_capability",
        "Missing capability",
        "Needs sampling; a client that did not declare it gets an error (server-stateless).",
        None,
    ),
    (
        "test_streaming_elicitation",
        "Streaming elicitation",
        "Asks the user for a value (server-stateless: no requests on a response stream).",
        None,
    ),
    (
        "test_logging_tool",
        "Logging tool",
        "Logs three info messages at once (server-stateless: no logs without a log level).",
        None,
    ),
    (
        "test_trigger_tool_change",
        "Trigger tool change",
        "Tells the host the tool list changed (server-stateless: list-changed on subscriptions).",
        None,
    ),
    (
        "test_trigger_prompt_change",
        "Trigger prompt change",
        "Tells the host the prompt list changed (server-stateless: list-changed on subscriptions).",
        None,
    ),
    (
        "test_trigger_resource_update",
        "Trigger resource update",
        "Tells the host that test://watched-resource changed, for its subscribers.",
        None,
    ),
    (
        "test_input_required_result_elicitation",
        "Input required: elicitation",
        "Asks the user's name under the input key user_name, then greets them (input-required-result-*).",
        None,
    ),
    (
        "test_input_required_result_sampling",
        "Input required: sampling",
        "Asks the client's model for the capital of France (input-required-result-basic-sampling).",
        None,
    ),
    (
        "test_input_required_result_list_roots",
        "Input required: roots",
        "Asks the client for its roots and lists them (input-required-result-basic-list-roots).",
        None,
    ),
    (
        "test_input_required_result_request_state",
        "Input required: request state",
        "Asks the user to confirm, then answers state-ok (input-required-result-request-state).",
        None,
    ),
    (
        "test_input_required_result_multiple_inputs",
        "Input required: multiple inputs",
        "Asks the user's name, the model for a greeting and the client for its roots in one round (input-required-result-multiple-input-requests).",
        None,
    ),
    (
        "test_input_required_result_multi_round",
        "Input required: multi-round",
        "Asks the user's name, then their favourite colour, in two rounds (input-required-result-multi-round).",
        None,
    ),
    (
        "test_input_required_result_tampered_state",
        "Input required: tampered state",
        "Asks the user to confirm; the host must reject a tampered requestState (input-required-result-tampered-state).",
        None,
    ),
    (
        "test_input_required_result_capabilities",
        "Input required: capabilities",
        "Asks the model, then the user, only if the client can answer (input-required-result-capability-check).",
        None,
    ),
];

fn text(text: impl Into<String>) -> Content {
    Content::Text(text.into())
}

fn done(content: Vec<Content>) -> Result<CallResult, Failure> {
    Ok(CallResult { content, structured_content: None, is_error: false })
}

fn done_text(message: impl Into<String>) -> Result<CallResult, Failure> {
    done(vec![text(message)])
}

fn tool_error(message: impl Into<String>) -> Result<CallResult, Failure> {
    Ok(CallResult { content: vec![text(message)], structured_content: None, is_error: true })
}

fn info(message: &str) {
    log(Level::Info, message);
}

fn pause(ms: u64) {
    sleep(Duration::from_millis(ms));
}

/// The arguments as a JSON object (`{}` when absent).
fn parse_arguments(arguments: &str) -> Result<Map<String, Value>, Failure> {
    if arguments.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(Failure::InvalidParams("the arguments must be a JSON object".into())),
        Err(e) => Err(Failure::InvalidParams(format!("the arguments are not valid JSON: {e}"))),
    }
}

/// The required string argument `name`.
fn string_arg<'a>(args: &'a Map<String, Value>, name: &str) -> Result<&'a str, Failure> {
    args.get(name).and_then(Value::as_str).ok_or_else(|| Failure::InvalidParams(format!("`{name}` must be a string")))
}

impl Guest for Conformance {
    fn list_tools() -> Vec<Tool> {
        TOOLS
            .iter()
            .map(|(name, title, description, schema)| Tool {
                name: (*name).into(),
                title: Some((*title).into()),
                description: (*description).into(),
                input_schema: schema.unwrap_or(NO_ARGUMENTS).into(),
                output_schema: None,
                annotations: None,
                task_support: TaskSupport::Forbidden,
            })
            .chain(tasks::list())
            .collect()
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, Failure> {
        let args = parse_arguments(&arguments)?;
        if let Some(answer) = tasks::call(&name, &args) {
            return answer;
        }
        match name.as_str() {
            "test_simple_text" => done_text("This is a simple text response for testing."),
            "test_image_content" => done(vec![Content::Image(png())]),
            "test_audio_content" => {
                done(vec![Content::Audio(Media { data: WAV.to_vec(), mime_type: "audio/wav".into() })])
            }
            "test_embedded_resource" => done(vec![Content::Resource(ResourceContents {
                uri: "test://embedded-resource".into(),
                mime_type: Some("text/plain".into()),
                body: ResourceBody::Text("This is an embedded resource content.".into()),
            })]),
            "test_multiple_content_types" => done(vec![
                text("Multiple content types test:"),
                Content::Image(png()),
                Content::Resource(ResourceContents {
                    uri: "test://mixed-content-resource".into(),
                    mime_type: Some("application/json".into()),
                    body: ResourceBody::Text(r#"{"test":"data","value":123}"#.into()),
                }),
            ]),
            "test_tool_with_logging" => {
                info("Tool execution started");
                pause(50);
                info("Tool processing data");
                pause(50);
                info("Tool execution completed");
                done_text("Tool with logging executed successfully")
            }
            "test_tool_with_progress" => {
                for (step, value) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                    if step > 0 {
                        pause(50);
                    }
                    progress::report(value, Some(100.0), Some(&format!("Completed step {value} of 100")));
                }
                done_text("Progress test completed (3 steps)")
            }
            "test_error_handling" => tool_error("This tool intentionally returns an error for testing"),
            "test_sampling" => {
                let prompt = string_arg(&args, "prompt")?;
                match sample(None, prompt, 100) {
                    Ok(answer) => done_text(format!("LLM response: {}", sampled_text(&answer))),
                    Err(why) => tool_error(format!("Sampling not supported or error: {}", failure_text(&why))),
                }
            }
            "test_elicitation" => {
                let message = string_arg(&args, "message")?;
                match elicit(message, USER_SCHEMA) {
                    Ok(answer) => done_text(format!("User response: {}", describe(&answer))),
                    Err(why) => tool_error(format!("Elicitation not supported or error: {}", failure_text(&why))),
                }
            }
            "test_elicitation_sep1034_defaults" => {
                form("Please review and update the form fields with defaults", SEP1034_SCHEMA)
            }
            "test_elicitation_sep1330_enums" => form("Please select options from the enum fields", SEP1330_SCHEMA),
            "test_reconnection" => {
                pause(100);
                done_text(
                    "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.",
                )
            }
            "json_schema_2020_12_tool" => {
                done_text(format!("JSON Schema 2020-12 tool called with: {}", Value::Object(args)))
            }
            "test_header_param" => done_text(format!("Region: {}", string_arg(&args, "region")?)),
            "test_missing_capability" => {
                // Without the client's sampling capability this fails, and the host
                // answers -32021 naming `sampling`.
                let answer = sample(None, "Say hello.", 20)?;
                done_text(format!("LLM response: {}", sampled_text(&answer)))
            }
            "test_streaming_elicitation" => {
                let answer = elicit_keyed("value", "Please provide a value", &one_string("value"))?;
                done_text(format!("Received: {}", describe(&answer)))
            }
            "test_logging_tool" => {
                info("Logging tool started");
                info("Logging tool working");
                info("Logging tool finished");
                done_text("Logging tool executed successfully")
            }
            "test_trigger_tool_change" => {
                events::tools_changed();
                done_text("Tool list change signalled")
            }
            "test_trigger_prompt_change" => {
                events::prompts_changed();
                done_text("Prompt list change signalled")
            }
            "test_trigger_resource_update" => {
                events::resource_updated("test://watched-resource");
                done_text("Resource update signalled for test://watched-resource")
            }
            "test_input_required_result_elicitation" => {
                let answer = elicit_keyed("user_name", "What is your name?", &one_string("name"))?;
                match accepted(&answer) {
                    Some(_) => done_text(format!("Hello, {}!", field(&answer, "name"))),
                    None => done_text(format!("No name given ({})", describe(&answer))),
                }
            }
            "test_input_required_result_sampling" => {
                let answer = sample(Some("capital_question"), "What is the capital of France?", 100)?;
                done_text(format!("Sampling result: {}", sampled_text(&answer)))
            }
            "test_input_required_result_list_roots" => done_text(describe_roots(&roots("client_roots")?)),
            "test_input_required_result_request_state" => {
                let answer = elicit_keyed("confirm", "Please confirm", CONFIRM_SCHEMA)?;
                if accepted(&answer).is_some_and(|v| v["ok"] == Value::Bool(true)) {
                    done_text("state-ok: the confirmation arrived with a valid requestState")
                } else {
                    done_text(format!("state-ok, but not confirmed ({})", describe(&answer)))
                }
            }
            "test_input_required_result_multiple_inputs" => {
                // All three requests are made before any answer is used, so the host
                // asks for them in one round.
                let name = elicit_keyed("user_name", "What is your name?", &one_string("name"));
                let greeting = sample(Some("greeting"), "Generate a greeting", 50);
                let client_roots = roots("client_roots");
                let (name, greeting, client_roots) = (name?, greeting?, client_roots?);
                done_text(format!(
                    "Name: {}; Greeting: {}; Roots: {}",
                    field(&name, "name"),
                    sampled_text(&greeting),
                    describe_roots(&client_roots)
                ))
            }
            "test_input_required_result_multi_round" => {
                let step1 = elicit_keyed("step1", "Step 1: What is your name?", &one_string("name"))?;
                let step2 = elicit_keyed("step2", "Step 2: What is your favorite color?", &one_string("color"))?;
                done_text(format!(
                    "Multi-round complete for {} who likes {}",
                    field(&step1, "name"),
                    field(&step2, "color")
                ))
            }
            "test_input_required_result_tampered_state" => {
                let answer = elicit_keyed("confirm", "Please confirm", CONFIRM_SCHEMA)?;
                done_text(format!("Confirmed with an intact requestState ({})", describe(&answer)))
            }
            "test_input_required_result_capabilities" => {
                // Sampling first, then elicitation; the host asks only for what the
                // client declared, so a sampling-only client sees only the first.
                let sampled = sample(Some("capital_question"), "What is the capital of France?", 100);
                let elicited = elicit_keyed("user_name", "What is your name?", &one_string("name"));
                let sampled = sampled?;
                let name = match elicited {
                    Ok(answer) => field(&answer, "name"),
                    Err(why) => format!("not asked ({})", failure_text(&why)),
                };
                done_text(format!("Sampling: {}; Name: {name}", sampled_text(&sampled)))
            }
            _ => Err(Failure::NotFound(format!("tool `{name}`"))),
        }
    }
}

fn png() -> Media {
    Media { data: PNG.to_vec(), mime_type: "image/png".into() }
}

/// Elicits `schema` and reports the answer as the suite's reference server does.
fn form(message: &str, schema: &str) -> Result<CallResult, Failure> {
    match ask::elicit(message, schema) {
        Ok(answer) => done_text(format!("Elicitation completed: {}", describe(&answer))),
        Err(why) => tool_error(format!("Elicitation not supported or error: {}", failure_text(&why))),
    }
}

fn failure_text(failure: &Failure) -> String {
    match failure {
        Failure::NotFound(s) => format!("not found: {s}"),
        Failure::InvalidParams(s) => format!("invalid params: {s}"),
        Failure::Denied(s) => format!("denied: {s}"),
        Failure::Failed(s) => s.clone(),
    }
}
