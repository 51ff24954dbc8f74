//! `/ui/containers`: the Docker containers this instance owns, by session;
//! the operator can remove one.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use maud::{Markup, html};

use super::super::layout::{Nav, action, badge, segment};
use super::{ActionForm, Visit, problem};

/// `GET /ui/containers`.
pub async fn list(Visit { ui, session }: Visit) -> Markup {
    let containers = ui.admin.containers().await;
    let body = html! {
        p.lead { "Sandbox containers this host created. They are reclaimed when their session ends, after an idle time, and at start-up." }
        @match &containers {
            Err(e) => (problem(e)),
            Ok(containers) => table #containers {
                thead { tr { th { "Name" } th { "Image" } th { "State" } th { "Session" } th { "Network" } th {} } }
                tbody {
                    @for c in containers {
                        tr data-container=(c.name) {
                            td { strong { (c.name) } div.muted.small.mono { (&c.id[..12.min(c.id.len())]) } }
                            td.mono.small { (c.image) }
                            td { (badge(&c.state)) }
                            td.mono.small.wrap { (c.session_id) }
                            td { @if c.network { "on" } @else { span.muted { "none" } } }
                            td.actions { (action(&session, &format!("/ui/containers/{}/remove", segment(&c.id)), "/ui/containers", "Remove", "danger")) }
                        }
                    }
                    @if containers.is_empty() { tr.empty { td colspan="6" { "No containers." } } }
                }
            },
        }
    };
    ui.page(&session, Nav::Containers, "Containers", body)
}

/// `POST /ui/containers/{id}/remove`, as the logged-in admin.
pub async fn remove(Visit { ui, session }: Visit, Path(id): Path<String>, Form(form): Form<ActionForm>) -> Response {
    let done = ui.admin.remove_container(&session.admin, &id).await.map(|()| format!("Removed container {id}."));
    ui.after(&session, form.back.as_deref(), "/ui/containers", done)
}
