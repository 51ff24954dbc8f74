//! The dashboard's page shell and the small pieces every page uses: the
//! navigation, flash messages, action buttons (forms that carry the CSRF
//! token and that htmx submits in place), state badges and spans of time
//! (records' times read as in the CLI: [`crate::state::display`]).
//!
//! Nothing here writes inline script or style: the Content-Security-Policy
//! would block it. Looks come from `dashboard.css` classes only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::guard::CSRF_FIELD;
use super::session::{Flash, Session};

/// The sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The overview.
    Overview,
    /// Plugins.
    Plugins,
    /// Upstream servers.
    Servers,
    /// Tools.
    Tools,
    /// Sessions.
    Sessions,
    /// Containers.
    Containers,
    /// Tasks.
    Tasks,
    /// The authorization server's users, clients and grants.
    OAuth,
    /// The activity log.
    Activity,
}

const NAV: [(Nav, &str, &str); 9] = [
    (Nav::Overview, "/ui", "Overview"),
    (Nav::Plugins, "/ui/plugins", "Plugins"),
    (Nav::Servers, "/ui/servers", "Servers"),
    (Nav::Tools, "/ui/tools", "Tools"),
    (Nav::Sessions, "/ui/sessions", "Sessions"),
    (Nav::Containers, "/ui/containers", "Containers"),
    (Nav::Tasks, "/ui/tasks", "Tasks"),
    (Nav::OAuth, "/ui/oauth", "Sign-ins"),
    (Nav::Activity, "/ui/activity", "Activity"),
];

/// The `<head>` of every page: the stylesheet, the scripts (deferred), the
/// htmx settings that keep it within the CSP, and the CSRF token for htmx.
fn head(title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Portcullis" }
            link rel="stylesheet" href="/ui/static/dashboard.css";
            // htmx must not add its own <style> (the CSP forbids it) nor evaluate strings.
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}"#;
            @if let Some(csrf) = csrf {
                meta name="csrf-token" content=(csrf);
            }
            script src="/ui/static/htmx.min.js" defer {}
            script src="/ui/static/dashboard.js" defer {}
        }
    }
}

/// A whole page of `session`'s: the navigation with `nav` current, the
/// pending `flash`, and `body` under the heading `title`.
pub fn page(session: &Session, flash: Option<Flash>, nav: Nav, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, Some(&session.csrf)))
            body {
                nav.sidebar {
                    a.brand href="/ui" { span.logo { "▦" } " Portcullis" }
                    ul {
                        @for (item, href, label) in NAV {
                            li { a href=(href) class=[(item == nav).then_some("current")] { (label) } }
                        }
                    }
                    div.who {
                        span.muted { "Signed in as" }
                        strong data-testid="admin" { (session.admin) }
                        form method="post" action="/ui/logout" {
                            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                            button.link type="submit" { "Log out" }
                        }
                    }
                }
                main #content {
                    h1 { (title) }
                    @if let Some(flash) = flash {
                        div.flash.error[flash.error].ok[!flash.error] role="status" { (flash.text) }
                    }
                    (body)
                }
            }
        }
    }
}

/// A page without navigation, for the login form and refusals.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body.bare {
                main.card.narrow {
                    div.brand { span.logo { "▦" } " Portcullis" }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A refusal: `status` with a page that says `why`.
pub fn refusal(status: StatusCode, title: &str, why: &str) -> Response {
    let body = html! {
        p.flash.error role="alert" { (why) }
        p { a href="/ui" { "Back to the dashboard" } }
    };
    (status, bare(title, body)).into_response()
}

/// A button that POSTs to `action` with the CSRF token; htmx sends it and
/// swaps the page's content in place (a browser without script loads the
/// page instead). `back` is where the dashboard returns afterwards.
pub fn action(session: &Session, action: &str, back: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) hx-post=(action) hx-target="#content" hx-select="#content" hx-swap="outerHTML" {
            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
            input type="hidden" name="back" value=(back);
            button type="submit" class=(class) { (label) }
        }
    }
}

/// A badge for a state or outcome, coloured by what it means.
pub fn badge(state: &str) -> Markup {
    let tone = match state {
        "running" | "ok" | "healthy" | "completed" | "working" => "good",
        "starting" | "restarting" | "cancelled" | "created" | "paused" | "input_required" => "warn",
        "failed" | "fault" | "tool_error" | "denied" | "timeout" | "dead" => "bad",
        _ => "idle",
    };
    html! { span class={ "badge " (tone) } { (state) } }
}

/// A path segment, percent-encoded where it must be.
pub fn segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go back to after an action: `back` if it is a dashboard page, else `default`.
pub fn back_to<'a>(back: Option<&'a str>, default: &'a str) -> &'a str {
    match back {
        Some(b) if b.starts_with("/ui") && !b.contains("//") && !b.contains('\\') => b,
        _ => default,
    }
}

/// A span of seconds, briefly: `42 s`, `5 min`, `3 h 12 min`, `2 d 4 h`.
pub fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_well() {
        assert_eq!(span(42), "42 s");
        assert_eq!(span(3 * 3600 + 12 * 60), "3 h 12 min");
    }

    #[test]
    fn segments_are_encoded_and_back_stays_on_the_dashboard() {
        assert_eq!(segment("fixture__echo"), "fixture__echo");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(back_to(Some("/ui/servers/x"), "/ui"), "/ui/servers/x");
        assert_eq!(back_to(Some("https://evil.example"), "/ui"), "/ui");
        assert_eq!(back_to(Some("/ui//evil.example"), "/ui"), "/ui");
    }
}
