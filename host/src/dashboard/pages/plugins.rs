//! `GET /ui/plugins`: the loaded plugins (source, digest, contract version,
//! exports, tools, grants, limits, calls and faults) and the disabled ones.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use maud::{Markup, html};

use super::super::Dashboard;
use super::super::layout::{Nav, segment};
use super::super::session::Session;

/// `GET /ui/plugins`.
pub async fn page(State(ui): State<Arc<Dashboard>>, Extension(session): Extension<Session>) -> Markup {
    let list = ui.admin.plugins().await;
    let body = html! {
        p.lead { "WebAssembly components in the plugin directory (and the bundled ones). Each runs sandboxed with only the grants listed." }
        table #plugins {
            thead {
                tr {
                    th { "Plugin" } th { "Exports" } th { "Tools" } th { "Grants" } th { "Limits per call" }
                    th.num { "Calls" } th.num { "Faults" }
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
                    }
                }
                @if list.plugins.is_empty() { tr.empty { td colspan="7" { "No plugins are loaded." } } }
            }
        }
        @if !list.disabled.is_empty() {
            h2 { "Disabled" }
            p { @for name in &list.disabled { span.tag { (name) } } }
            p.muted.small { "Enable them again with " code { "POST /api/v1/plugins/{name}/enable" } "." }
        }
    };
    ui.page(&session, Nav::Plugins, "Plugins", body)
}
