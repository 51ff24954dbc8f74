//! `GET /ui`: the host at a glance: uptime, plugins, servers, sessions, and
//! the calls and errors of the last hour, with the servers' states and the
//! latest activity.

use maud::{Markup, html};

use super::super::layout::{Nav, badge, span};
use super::{Visit, problem};
use crate::state::ActivityFilter;
use crate::state::activity::now_ms;
use crate::state::display::utc;

/// Records read to count the last hour's calls; past this the count says `1000+`.
const HOUR_SAMPLE: u32 = 1000;

fn stat(label: &str, value: &str, sub: &str, bad: bool) -> Markup {
    html! {
        div.stat {
            div.label { (label) }
            div.value.bad[bad] data-testid=(label) { (value) }
            div.sub { (sub) }
        }
    }
}

/// `GET /ui`.
pub async fn page(Visit { ui, session }: Visit) -> Markup {
    let admin = &ui.admin;
    let health = admin.health();
    let tools = admin.tools().await.len();
    let servers = admin.servers().await;
    let hour = ActivityFilter { since_ms: Some(now_ms() - 3_600_000), limit: Some(HOUR_SAMPLE), ..Default::default() };
    let hour = admin.activity(hour).await;
    let recent = admin.activity(ActivityFilter { limit: Some(8), ..Default::default() }).await;
    let body = html! {
        div.stats {
            (stat("Uptime", &span(health.uptime_secs), &format!("version {}", health.version), false))
            (stat("Plugins", &health.plugins.to_string(), &format!("{tools} tools in all"), false))
            (stat("Servers", &format!("{} / {}", health.servers_running, health.servers), "running / configured", false))
            (stat("Sessions", &health.sessions.to_string(), "live now", false))
        }
        @match &hour {
            Ok(page) => {
                @let capped = if page.next_cursor.is_some() { "+" } else { "" };
                @let calls = page.entries.iter().filter(|e| e.kind == "call").count();
                @let errors = page.entries.iter().filter(|e| e.kind == "call" && e.outcome != "ok").count();
                @let changes = page.entries.iter().filter(|e| e.kind == "admin").count();
                div.stats {
                    (stat("Calls", &format!("{calls}{capped}"), "in the last hour", false))
                    (stat("Errors", &format!("{errors}{capped}"), "failed calls in the last hour", errors > 0))
                    (stat("Admin changes", &format!("{changes}{capped}"), "in the last hour", false))
                    (stat("Error rate", &match calls { 0 => "–".to_string(), n => format!("{:.0} %", errors as f64 * 100.0 / n as f64) }, "of the last hour's calls", errors > 0))
                }
            }
            Err(e) => (problem(e)),
        }
        div.columns {
            section {
                h2 { "Servers" }
                table {
                    thead { tr { th { "Name" } th { "State" } th.num { "Tools" } } }
                    tbody {
                        @for s in &servers {
                            tr {
                                td { a href={ "/ui/servers/" (s.name) } { (s.name) } }
                                td { (badge(s.state)) }
                                td.num { (s.tools.len()) }
                            }
                        }
                        @if servers.is_empty() { tr.empty { td colspan="3" { "No upstream servers." } } }
                    }
                }
            }
            section {
                h2 { "Latest activity" }
                table {
                    thead { tr { th { "When (UTC)" } th { "What" } th { "Outcome" } } }
                    tbody {
                        @if let Ok(recent) = &recent {
                            @for e in &recent.entries {
                                tr {
                                    td.nowrap.small { (utc(e.at_ms)) }
                                    td.wrap { code { (e.tool) } " " span.muted.small { (e.principal) } }
                                    td { (badge(&e.outcome)) }
                                }
                            }
                            @if recent.entries.is_empty() { tr.empty { td colspan="3" { "Nothing yet." } } }
                        }
                    }
                }
                p.pager { a href="/ui/activity" { "All activity →" } }
            }
        }
    };
    ui.page(&session, Nav::Overview, "Overview", body)
}
