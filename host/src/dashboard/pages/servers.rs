//! `/ui/servers`: the upstream servers with their state (refreshed every
//! few seconds), start, stop and restart, and each server's page with its
//! definition (secrets redacted) and the tail of its stderr.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::super::layout::{Nav, action, badge, segment};
use super::super::session::Session;
use super::{ActionForm, Poll, Visit, problem};
use crate::admin::error::ApiError;
use crate::admin::servers::{Life, ServerView};

/// Lines of a server's stderr the page shows.
const LOG_TAIL: usize = 200;

/// The start, stop and restart buttons that fit `server`'s state.
fn buttons(session: &Session, server: &ServerView, back: &str) -> Markup {
    let base = format!("/ui/servers/{}", segment(&server.name));
    html! {
        @if server.state == "stopped" || server.state == "failed" {
            (action(session, &format!("{base}/start"), back, "Start", "primary"))
        } @else {
            (action(session, &format!("{base}/stop"), back, "Stop", "danger"))
        }
        (action(session, &format!("{base}/restart"), back, "Restart", ""))
    }
}

/// `GET /ui/servers`.
pub async fn list(Visit { ui, session }: Visit, Query(poll): Query<Poll>) -> Markup {
    let servers = ui.admin.servers().await;
    let body = html! {
        p.lead { "MCP servers Portcullis runs or connects to; their tools are published as " code { "<server>__<tool>" } ". States refresh every few seconds." }
        table #servers-table hx-get="/ui/servers?refresh=1" hx-trigger="every 3s" hx-select="#servers-table" hx-swap="outerHTML" {
            thead {
                tr { th { "Server" } th { "Kind" } th { "State" } th.num { "Restarts" } th { "Tools" } th.num { "Actions" } }
            }
            tbody {
                @for s in &servers {
                    tr data-server=(s.name) {
                        td {
                            a href={ "/ui/servers/" (segment(&s.name)) } { strong { (s.name) } }
                            @if !s.description.is_empty() { div.muted.small { (s.description) } }
                            div.muted.small { "from " (s.source) }
                        }
                        td { (s.kind) }
                        td {
                            span data-testid="state" { (badge(s.state)) }
                            @if let Some(reason) = &s.reason { div.error-text { (reason) } }
                        }
                        td.num { (s.restarts) }
                        td.small { (s.tools.len()) " tools" }
                        td.actions { (buttons(&session, s, "/ui/servers")) }
                    }
                }
                @if servers.is_empty() {
                    tr.empty { td colspan="6" { "No upstream servers. Add them under " code { "[servers.<name>]" } " in portcullis.toml or with " code { "POST /api/v1/servers" } "." } }
                }
            }
        }
    };
    ui.page_polled(&session, &poll, Nav::Servers, "Servers", body)
}

/// `GET /ui/servers/{name}`.
pub async fn detail(Visit { ui, session }: Visit, Path(name): Path<String>, Query(poll): Query<Poll>) -> Response {
    let server = match ui.admin.server_by_name(&name).await {
        Ok(server) => server,
        Err(e) => return (e.status(), ui.page(&session, Nav::Servers, &name, problem(&e))).into_response(),
    };
    let logs = ui.admin.server_logs(&name).unwrap_or_default();
    let tail = &logs[logs.len().saturating_sub(LOG_TAIL)..];
    let back = format!("/ui/servers/{}", segment(&name));
    let body = html! {
        div.toolbar #server-detail {
            span data-testid="state" { (badge(server.state)) }
            @if let Some(reason) = &server.reason { span.error-text { (reason) } }
            span.spacer {}
            (buttons(&session, &server, &back))
        }
        div.columns {
            section.card {
                dl.facts {
                    dt { "Kind" } dd { (server.kind) }
                    dt { "Defined in" } dd { @if server.source == "api" { "the admin API" } @else { "portcullis.toml" } }
                    @if !server.description.is_empty() { dt { "Description" } dd { (server.description) } }
                    @if let Some(image) = &server.image { dt { "Image" } dd.mono { (image) } }
                    @if let Some(url) = &server.url { dt { "URL" } dd.mono { (url) } }
                    @if !server.command.is_empty() { dt { "Command" } dd.mono { (server.command.join(" ")) } }
                    dt { "Environment" }
                    dd { @for k in server.env.keys() { span.tag { (k) } } @if server.env.is_empty() { span.muted { "none" } } }
                    dt { "Restarts" } dd { (server.restarts) }
                    dt { "Auto-restart" } dd { @if server.auto_restart { "yes" } @else { "no" } }
                }
            }
            section.card {
                h2 { "Tools" }
                @for t in &server.tools { a.tag href={ "/ui/tools/" (segment(t)) } { (t) } }
                @if server.tools.is_empty() { p.muted { "None while it is not running." } }
            }
        }
        h2 { "Log tail" span.muted.small { " (last " (tail.len()) " stderr lines, refreshed every few seconds)" } }
        pre #logs hx-get={ (back) "?refresh=1" } hx-trigger="every 5s" hx-select="#logs" hx-swap="outerHTML" {
            @for line in tail { (line) "\n" }
            @if tail.is_empty() { "(nothing on stderr yet)" }
        }
    };
    ui.page_polled(&session, &poll, Nav::Servers, &format!("Server {name}"), body).into_response()
}

/// `POST /ui/servers/{name}/{start|stop|restart}`, as the logged-in admin.
pub async fn act(
    Visit { ui, session }: Visit,
    Path((name, verb)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let life = match verb.as_str() {
        "start" => Life::Start,
        "stop" => Life::Stop,
        "restart" => Life::Restart,
        _ => {
            return ui.after(
                &session,
                None,
                "/ui/servers",
                Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no action `{verb}`"))),
            );
        }
    };
    let done = ui.admin.server_life(&session.admin, &name, life).await;
    let done = done.map(|s| format!("Server {name}: {verb} done, now {}.", s.state));
    ui.after(&session, form.back.as_deref(), "/ui/servers", done)
}
