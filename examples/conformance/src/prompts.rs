//! The `test_*` prompts.

use crate::ask::{accepted, describe, elicit_keyed, field, one_string};
use crate::exports::portcullis::plugin::prompts::{Guest, Prompt, PromptArgument, PromptMessage, PromptResult};
use crate::portcullis::plugin::types::{Content, Failure, Media, ResourceBody, ResourceContents, Role};
use crate::{Conformance, PNG};

fn argument(name: &str, description: &str) -> PromptArgument {
    PromptArgument { name: name.into(), description: Some(description.into()), required: true }
}

fn prompt(name: &str, title: &str, description: &str, arguments: Vec<PromptArgument>) -> Prompt {
    Prompt { name: name.into(), title: Some(title.into()), description: Some(description.into()), arguments }
}

fn user(content: Content) -> PromptMessage {
    PromptMessage { role: Role::User, content }
}

fn user_text(text: impl Into<String>) -> PromptMessage {
    user(Content::Text(text.into()))
}

fn rendered(messages: Vec<PromptMessage>) -> Result<PromptResult, Failure> {
    Ok(PromptResult { description: None, messages })
}

/// The value of the required argument `name`.
fn arg<'a>(arguments: &'a [(String, String)], name: &str) -> Result<&'a str, Failure> {
    arguments
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| Failure::InvalidParams(format!("missing required argument `{name}`")))
}

impl Guest for Conformance {
    fn list_prompts() -> Vec<Prompt> {
        vec![
            prompt("test_simple_prompt", "Simple Test Prompt", "A simple prompt without arguments", vec![]),
            prompt(
                "test_prompt_with_arguments",
                "Prompt With Arguments",
                "A prompt with required arguments",
                vec![argument("arg1", "First test argument"), argument("arg2", "Second test argument")],
            ),
            prompt(
                "test_prompt_with_embedded_resource",
                "Prompt With Embedded Resource",
                "A prompt that includes an embedded resource",
                vec![argument("resourceUri", "URI of the resource to embed")],
            ),
            prompt("test_prompt_with_image", "Prompt With Image", "A prompt that includes image content", vec![]),
            prompt(
                "test_input_required_result_prompt",
                "Prompt Requiring Input",
                "A prompt that first asks the user for context (input-required-result-non-tool-request)",
                vec![],
            ),
        ]
    }

    fn get_prompt(name: String, arguments: Vec<(String, String)>) -> Result<PromptResult, Failure> {
        match name.as_str() {
            "test_simple_prompt" => rendered(vec![user_text("This is a simple prompt for testing.")]),
            "test_prompt_with_arguments" => {
                let (arg1, arg2) = (arg(&arguments, "arg1")?, arg(&arguments, "arg2")?);
                rendered(vec![user_text(format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"))])
            }
            "test_prompt_with_embedded_resource" => {
                let uri = arg(&arguments, "resourceUri")?;
                rendered(vec![
                    user(Content::Resource(ResourceContents {
                        uri: uri.into(),
                        mime_type: Some("text/plain".into()),
                        body: ResourceBody::Text("Embedded resource content for testing.".into()),
                    })),
                    user_text("Please process the embedded resource above."),
                ])
            }
            "test_prompt_with_image" => rendered(vec![
                user(Content::Image(Media { data: PNG.to_vec(), mime_type: "image/png".into() })),
                user_text("Please analyze the image above."),
            ]),
            "test_input_required_result_prompt" => {
                let answer =
                    elicit_keyed("user_context", "What context should the prompt use?", &one_string("context"))?;
                match accepted(&answer) {
                    Some(_) => rendered(vec![user_text(format!("Prompt with context: {}", field(&answer, "context")))]),
                    None => rendered(vec![user_text(format!("Prompt without context ({})", describe(&answer)))]),
                }
            }
            _ => Err(Failure::NotFound(format!("prompt `{name}`"))),
        }
    }
}
