//! `GET /ui/activity`: the activity log (tool calls and admin changes),
//! newest first, filtered and paged; the first page grows live as records
//! arrive ([`super::super::live`]).

use axum::extract::Query;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::super::layout::{Nav, badge};
use super::{Visit, problem};
use crate::state::display::{micros, utc};
use crate::state::{ActivityEntry, ActivityFilter};

/// Records on a page.
const PAGE: u32 = 50;

/// The page's query (and the live stream's): its filters (empty fields are
/// no filter), as its form sends them, and where to start. Only the filters
/// are serialized (into the stream's and the `Older` link's URLs).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Filters {
    /// Records below this id (the `Older` link).
    #[serde(default, skip_serializing)]
    pub cursor: Option<i64>,
    /// Records above this id (the live stream's start).
    #[serde(default, skip_serializing)]
    pub after: Option<i64>,
    /// Only this tool or admin action.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tool: String,
    /// Only this principal.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub principal: String,
    /// Only this outcome.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub outcome: String,
    /// Only this transport.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub transport: String,
}

fn some(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

impl Filters {
    /// The store's filter for these, `limit` records below `cursor`.
    pub fn to_filter(&self, limit: u32) -> ActivityFilter {
        ActivityFilter {
            tool: some(&self.tool),
            principal: some(&self.principal),
            outcome: some(&self.outcome),
            transport: some(&self.transport),
            cursor: self.cursor,
            limit: Some(limit),
            ..Default::default()
        }
    }
}

/// One record as a table row (also what the live stream sends).
pub fn row(e: &ActivityEntry) -> Markup {
    html! {
        tr data-id=(e.id) data-tool=(e.tool) {
            td.nowrap.small { (utc(e.at_ms)) }
            td { span.tag { (e.kind) } }
            td.wrap.small { (e.principal) }
            td.small { (e.transport) }
            td.wrap { code { (e.tool) } }
            td.wrap.small { (e.provider) }
            td { (badge(&e.outcome)) @if let Some(error) = &e.error { div.error-text { (error) } } }
            td.num.small { @if e.kind == "call" { (micros(e.duration_us)) } }
        }
    }
}

/// `GET /ui/activity`.
pub async fn page(Visit { ui, session }: Visit, Query(f): Query<Filters>) -> Markup {
    let listed = ui.admin.activity(f.to_filter(PAGE)).await;
    let body = html! {
        form.filters method="get" action="/ui/activity" {
            input type="text" name="tool" placeholder="tool or action" value=(f.tool);
            input type="text" name="principal" placeholder="principal" value=(f.principal);
            select name="outcome" {
                @for o in ["", "ok", "tool_error", "fault", "denied", "cancelled", "timeout"] {
                    option value=(o) selected[o == f.outcome] { @if o.is_empty() { "any outcome" } @else { (o) } }
                }
            }
            select name="transport" {
                @for t in ["", "stdio", "http", "sse", "admin"] {
                    option value=(t) selected[t == f.transport] { @if t.is_empty() { "any transport" } @else { (t) } }
                }
            }
            button type="submit" { "Filter" }
            a href="/ui/activity" { "Clear" }
            span.spacer {}
            @if f.cursor.is_none() { span #live-status.badge.idle { "connecting" } }
        }
        @match &listed {
            Err(e) => (problem(e)),
            Ok(listed) => {
                @let newest = listed.entries.first().map(|e| e.id).unwrap_or(0);
                @let stream = {
                    let query = serde_urlencoded::to_string(&f).unwrap_or_default();
                    format!("/ui/activity/stream?after={newest}{}{query}", if query.is_empty() { "" } else { "&" })
                };
                table #activity {
                    thead {
                        tr { th { "When (UTC)" } th { "Kind" } th { "Principal" } th { "Transport" } th { "Tool or action" } th { "Provider or target" } th { "Outcome" } th.num { "Took" } }
                    }
                    tbody #activity-rows data-stream=[f.cursor.is_none().then_some(stream)] {
                        @for e in &listed.entries { (row(e)) }
                        @if listed.entries.is_empty() { tr.empty { td colspan="8" { "No activity yet." } } }
                    }
                }
                @if let Some(next) = listed.next_cursor {
                    p.pager {
                        @let query = serde_urlencoded::to_string(&f).unwrap_or_default();
                        a href={ "/ui/activity?cursor=" (next) @if !query.is_empty() { "&" (query) } } { "Older →" }
                    }
                }
            }
        }
    };
    ui.page(&session, Nav::Activity, "Activity", body)
}
