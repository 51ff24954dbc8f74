//! `/ui/sessions`: who is connected (stdio, initialize-era HTTP, legacy
//! SSE), with what each session holds; the operator can end one.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use maud::{Markup, html};

use super::super::layout::{Nav, action, segment};
use super::{ActionForm, Visit};
use crate::state::display::utc;

/// `GET /ui/sessions`.
pub async fn list(Visit { ui, session }: Visit) -> Markup {
    let sessions = ui.admin.sessions().await;
    let body = html! {
        p.lead { "Live MCP sessions. Ending one releases its containers and session-scoped servers and refuses its further calls." }
        table #sessions {
            thead {
                tr { th { "Session" } th { "Transport" } th { "Principal" } th { "Client" } th { "Started (UTC)" } th { "Last seen (UTC)" } th { "Holds" } th {} }
            }
            tbody {
                @for s in &sessions {
                    @let info = &s.session;
                    tr data-session=(info.id) {
                        td.mono.small.wrap { (info.id) }
                        td { (info.transport) div.muted.small { (info.era) } }
                        td.wrap { (info.principal.as_deref().unwrap_or("–")) }
                        td { (info.client_name.as_deref().unwrap_or("–")) " " span.muted.small { (info.client_version.as_deref().unwrap_or("")) } }
                        td.nowrap.small { (utc(info.started_ms)) }
                        td.nowrap.small { (utc(info.last_seen_ms)) }
                        td.small {
                            @for c in &s.containers { span.tag { "container " (c) } }
                            @for v in &s.servers { span.tag { "server " (v) } }
                            @if s.containers.is_empty() && s.servers.is_empty() { span.muted { "nothing" } }
                        }
                        td.actions { (action(&session, &format!("/ui/sessions/{}/end", segment(&info.id)), "/ui/sessions", "End", "danger")) }
                    }
                }
                @if sessions.is_empty() { tr.empty { td colspan="8" { "No live sessions." } } }
            }
        }
    };
    ui.page(&session, Nav::Sessions, "Sessions", body)
}

/// `POST /ui/sessions/{id}/end`, as the logged-in admin.
pub async fn end(Visit { ui, session }: Visit, Path(id): Path<String>, Form(form): Form<ActionForm>) -> Response {
    let done = ui.admin.end_session(&session.admin, &id).map(|()| format!("Ended session {id}."));
    ui.after(&session, form.back.as_deref(), "/ui/sessions", done)
}
