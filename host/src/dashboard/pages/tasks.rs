//! `/ui/tasks`: tool calls running or kept as MCP tasks, whoever owns them,
//! with what each reported last; the operator can cancel a running one.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use maud::{Markup, html};

use super::super::layout::{Nav, action, badge, segment};
use super::{ActionForm, Visit};
use crate::admin::tasks::TaskFilter;

/// `GET /ui/tasks`.
pub async fn list(Visit { ui, session }: Visit) -> Markup {
    let tasks = ui.admin.tasks(&TaskFilter::default());
    let body = html! {
        p.lead { "Tool calls that run as MCP tasks, the newest first. Ended ones are kept for `tasks.result_ttl_secs`. Cancelling one stops its call and kills its exec." }
        table #tasks {
            thead { tr { th { "Task" } th { "Owner" } th { "Tool" } th { "Status" } th { "Last reported" } th { "Created (UTC)" } th {} } }
            tbody {
                @for t in &tasks {
                    tr data-task=(t.id) {
                        td.mono.small.wrap { (t.id) }
                        td.wrap { (t.owner) }
                        td.mono.small { (t.tool) }
                        td { (badge(&t.status)) }
                        td { @match &t.status_message { Some(m) => pre.light { (m) }, None => span.muted { "–" } } }
                        td.nowrap.small { (to_the_second(&t.created_at)) }
                        td.actions {
                            @if matches!(t.status.as_str(), "working" | "input_required") {
                                (action(&session, &format!("/ui/tasks/{}/cancel", segment(&t.id)), "/ui/tasks", "Cancel", "danger"))
                            }
                        }
                    }
                }
                @if tasks.is_empty() { tr.empty { td colspan="7" { "No tasks." } } }
            }
        }
    };
    ui.page(&session, Nav::Tasks, "Tasks", body)
}

/// `POST /ui/tasks/{id}/cancel`, as the logged-in admin.
pub async fn cancel(Visit { ui, session }: Visit, Path(id): Path<String>, Form(form): Form<ActionForm>) -> Response {
    let done = ui.admin.cancel_task(&session.admin, &id).map(|()| format!("Cancelled task {id}."));
    ui.after(&session, form.back.as_deref(), "/ui/tasks", done)
}

/// An ISO 8601 time as `YYYY-MM-DD HH:MM:SS`.
fn to_the_second(iso: &str) -> String {
    iso.get(..19).unwrap_or(iso).replace('T', " ")
}
