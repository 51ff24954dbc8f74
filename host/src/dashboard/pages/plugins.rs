//! `/ui/plugins`: the loaded plugins (source, digest, contract version,
//! exports, tools, grants, limits, calls and faults) and the disabled ones;
//! reload, disable (remembered across restarts) and enable.

use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::super::layout::{Nav, action, segment};
use super::{ActionForm, Visit};
use crate::admin::error::ApiError;

/// `GET /ui/plugins`.
pub async fn page(Visit { ui, session }: Visit) -> Markup {
    let list = ui.admin.plugins().await;
    let body = html! {
        p.lead { "WebAssembly components in the plugin directory (and the bundled ones). Each runs sandboxed with only the grants listed." }
        table #plugins {
            thead {
                tr {
                    th { "Plugin" } th { "Exports" } th { "Tools" } th { "Grants" } th { "Limits per call" }
                    th.num { "Calls" } th.num { "Faults" } th {}
                }
            }
            tbody {
                @for p in &list.plugins {
                    tr data-plugin=(p.name) {
                        td {
                            strong { (p.name) }
                            div.muted.small.wrap { (p.source) }
                            div.muted.small { "WIT " (p.wit_version) }
                            @if let Some(sha) = &p.sha256 { div.muted.small.mono title=(sha) { "sha256 " (&sha[..12.min(sha.len())]) "…" } }
                        }
                        td { @for e in &p.exports { span.tag { (e) } } }
                        td {
                            @for t in &p.tools { a.tag href={ "/ui/tools/" (segment(t)) } { (t) } }
                            @if p.tools.is_empty() { span.muted { "none" } }
                        }
                        td {
                            @for g in &p.grants { span.tag { (g) } }
                            @if p.grants.is_empty() { span.muted { "none" } }
                        }
                        td.small.nowrap {
                            (p.limits.memory_mib) " MiB · " (p.limits.cpu_ms) " ms CPU · " (p.limits.wall_ms) " ms wall"
                        }
                        td.num { (p.calls) }
                        td.num { (p.faults) }
                        td.actions {
                            @let base = format!("/ui/plugins/{}", segment(&p.name));
                            (action(&session, &format!("{base}/reload"), "/ui/plugins", "Reload", ""))
                            (action(&session, &format!("{base}/disable"), "/ui/plugins", "Disable", "danger"))
                        }
                    }
                }
                @if list.plugins.is_empty() { tr.empty { td colspan="8" { "No plugins are loaded." } } }
            }
        }
        @if !list.disabled.is_empty() {
            h2 { "Disabled" }
            table #disabled {
                tbody {
                    @for name in &list.disabled {
                        tr data-plugin=(name) {
                            td { strong { (name) } span.muted.small { " not loaded, across restarts too" } }
                            td.actions { (action(&session, &format!("/ui/plugins/{}/enable", segment(name)), "/ui/plugins", "Enable", "primary")) }
                        }
                    }
                }
            }
        }
    };
    ui.page(&session, Nav::Plugins, "Plugins", body)
}

/// `POST /ui/plugins/{name}/{reload|disable|enable}`, as the logged-in admin.
pub async fn act(
    Visit { ui, session }: Visit,
    Path((name, verb)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let admin = &ui.admin;
    let done = match verb.as_str() {
        "reload" => admin.reload_plugin(&session.admin, &name).await.map(|_| format!("Reloaded plugin {name}.")),
        "disable" => {
            admin.switch_plugin(&session.admin, &name, true).await.map(|()| format!("Disabled plugin {name}."))
        }
        "enable" => admin.switch_plugin(&session.admin, &name, false).await.map(|()| format!("Enabled plugin {name}.")),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no plugin action `{verb}`"))),
    };
    ui.after(&session, form.back.as_deref(), "/ui/plugins", done)
}
