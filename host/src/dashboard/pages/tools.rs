//! `/ui/tools`: every tool with who serves it, and each tool's page with
//! its input schema and a try-it form that calls it as the logged-in admin
//! (through the same path, policies and activity log as any call).

use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::super::Dashboard;
use super::super::guard::CSRF_FIELD;
use super::super::layout::{Nav, segment};
use super::super::session::Session;
use super::{Visit, problem};
use crate::admin::catalog::ToolView;
use crate::admin::error::ApiError;
use crate::admin::servers::CallAnswer;

/// The try-it form's fields.
#[derive(Deserialize)]
pub struct TryForm {
    /// The arguments, as a JSON object.
    #[serde(default)]
    pub arguments: String,
}

/// `GET /ui/tools`.
pub async fn list(Visit { ui, session }: Visit) -> Markup {
    let tools = ui.admin.tools().await;
    let body = html! {
        p.lead { "Every tool clients can call, from plugins and servers, by the name clients use." }
        table #tools {
            thead { tr { th { "Tool" } th { "Served by" } th { "Description" } } }
            tbody {
                @for t in &tools {
                    tr data-tool=(t.name) {
                        td.nowrap { a href={ "/ui/tools/" (segment(&t.name)) } { code { (t.name) } } }
                        td.nowrap { (t.provider) " " span.tag { (t.provider_kind) } }
                        td.wrap { (t.description) }
                    }
                }
                @if tools.is_empty() { tr.empty { td colspan="3" { "No tools." } } }
            }
        }
    };
    ui.page(&session, Nav::Tools, "Tools", body)
}

/// A starting point for the arguments of `schema`: each property with an
/// empty value of its type.
fn skeleton(schema: &Value) -> String {
    let mut args = Map::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let empty = match prop.get("type").and_then(Value::as_str) {
                Some("integer") | Some("number") => json!(0),
                Some("boolean") => json!(false),
                Some("array") => json!([]),
                Some("object") => json!({}),
                _ => json!(""),
            };
            args.insert(name.clone(), empty);
        }
    }
    serde_json::to_string_pretty(&Value::Object(args)).expect("JSON")
}

/// What a call answered, or why it failed.
fn outcome(done: &Result<CallAnswer, ApiError>) -> Markup {
    html! {
        section.result #result {
            @match done {
                Ok(answer) => {
                    h2 { "Result " @if answer.is_error { span.badge.bad { "tool error" } } @else { span.badge.good { "ok" } } }
                    @for block in &answer.content {
                        @if let Some(text) = block.get("text").and_then(Value::as_str) {
                            pre.light data-testid="result-text" { (text) }
                        } @else {
                            pre.light { (serde_json::to_string_pretty(block).unwrap_or_default()) }
                        }
                    }
                    @if let Some(structured) = &answer.structured_content {
                        h2 { "Structured content" }
                        pre.light { (serde_json::to_string_pretty(structured).unwrap_or_default()) }
                    }
                }
                Err(e) => {
                    h2 { "Result " span.badge.bad { "refused" } }
                    div.flash.error role="alert" data-testid="result-error" { (e.message()) }
                }
            }
        }
    }
}

fn tool_page(
    ui: &Dashboard,
    session: &Session,
    tool: &ToolView,
    arguments: &str,
    done: Option<&Result<CallAnswer, ApiError>>,
) -> Markup {
    let call = format!("/ui/tools/{}/call", segment(&tool.name));
    let body = html! {
        p.lead { "Served by " strong { (tool.provider) } " (" (tool.provider_kind) "). " (tool.description) }
        div.columns {
            section {
                h2 { "Try it" }
                form.stack #try-it method="post" action=(call) hx-post=(call) hx-target="#result" hx-select="#result" hx-swap="outerHTML" {
                    input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                    label for="arguments" { "Arguments (JSON object)" }
                    textarea #arguments name="arguments" spellcheck="false" { (arguments) }
                    button.primary type="submit" { "Call " (tool.name) }
                }
                @match done {
                    Some(done) => (outcome(done)),
                    None => section.result #result {},
                }
            }
            section {
                h2 { "Input schema" }
                pre #schema { (serde_json::to_string_pretty(&tool.input_schema).unwrap_or_default()) }
            }
        }
    };
    ui.page(session, Nav::Tools, &tool.name, body)
}

async fn find(ui: &Dashboard, name: &str) -> Result<ToolView, ApiError> {
    ui.admin
        .tools()
        .await
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ApiError::not_found("tool", name, "/ui/tools"))
}

/// `GET /ui/tools/{name}`.
pub async fn detail(Visit { ui, session }: Visit, Path(name): Path<String>) -> Response {
    match find(&ui, &name).await {
        Ok(tool) => tool_page(&ui, &session, &tool, &skeleton(&tool.input_schema), None).into_response(),
        Err(e) => (e.status(), ui.page(&session, Nav::Tools, &name, problem(&e))).into_response(),
    }
}

/// `POST /ui/tools/{name}/call`: calls the tool as the logged-in admin and
/// shows the page with the answer.
pub async fn call(Visit { ui, session }: Visit, Path(name): Path<String>, Form(form): Form<TryForm>) -> Response {
    let tool = match find(&ui, &name).await {
        Ok(tool) => tool,
        Err(e) => return (e.status(), ui.page(&session, Nav::Tools, &name, problem(&e))).into_response(),
    };
    let arguments = match form.arguments.trim() {
        "" => Ok(Map::new()),
        text => serde_json::from_str::<Map<String, Value>>(text).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("The arguments are not a JSON object: {e}"))
        }),
    };
    let done = match arguments {
        Ok(arguments) => ui.admin.call_tool(&session.admin, &name, &arguments).await,
        Err(e) => Err(e),
    };
    tool_page(&ui, &session, &tool, &form.arguments, Some(&done)).into_response()
}
