//! The guard of every `/ui` page but the login form and the static files:
//! a live session, and for every POST its CSRF token and a same-origin
//! request.
//!
//! - Dashboard off (no admin keys, listener not loopback-only): 403.
//! - No live session: with admin keys, a page redirects to the login form
//!   and a POST is refused (403); on an open loopback listener a page starts
//!   a session for `admin:local` (so forms still carry a CSRF token).
//! - A POST must carry the session's token, as the `csrf` form field or the
//!   `X-CSRF-Token` header (which `dashboard.js` sets on htmx requests), and
//!   must not come from another site (`Sec-Fetch-Site`, `Origin`): else 403
//!   and nothing is done.
//!
//! The [`Session`] goes into the request's extensions for the handlers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::Dashboard;
use super::layout;
use super::session::{Session, cookie_id, csrf_matches, set_cookie};
use crate::admin::auth::Access;

/// The header htmx requests carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field forms carry the CSRF token in.
pub const CSRF_FIELD: &str = "csrf";
/// The largest form body the dashboard reads.
const MAX_FORM: usize = 1 << 20;

/// What a request on a dashboard that is off is told.
pub const OFF: &str = "The dashboard is off: this listener can be reached from other machines and no admin key is configured. Set ADMIN_API_KEY or `[admin] keys` in portcullis.toml to turn it on.";

/// Middleware: see the module's documentation.
pub async fn require(State(ui): State<Arc<Dashboard>>, request: Request, next: Next) -> Response {
    let access = ui.auth.access();
    if access == Access::Off {
        return layout::refusal(StatusCode::FORBIDDEN, "Dashboard off", OFF);
    }
    let post = request.method() == Method::POST;
    let found = cookie_id(request.headers()).and_then(|id| ui.sessions.get(id));
    let (session, fresh) = match (found, access) {
        (Some(session), _) => (session, false),
        (None, Access::Open(admin)) if !post => (ui.sessions.create(admin), true),
        (None, _) if !post => return to_login(request.headers()),
        (None, _) => {
            return layout::refusal(
                StatusCode::FORBIDDEN,
                "Session ended",
                "Your dashboard session has ended, so nothing was done. Log in again and retry.",
            );
        }
    };
    let mut request = match post {
        true => match checked_post(&session, request).await {
            Ok(request) => request,
            Err(why) => {
                tracing::warn!(admin = %session.admin, "refused a dashboard form: {why}");
                return layout::refusal(StatusCode::FORBIDDEN, "Refused", &format!("{why} Nothing was done."));
            }
        },
        false => request,
    };
    request.extensions_mut().insert(session.clone());
    let mut response = next.run(request).await;
    if fresh {
        response.headers_mut().append(header::SET_COOKIE, set_cookie(&session.id, ui.secure_cookies));
    }
    response
}

/// A redirect to the login form (for htmx, which would follow a redirect
/// inside the page, the `HX-Redirect` header instead).
fn to_login(headers: &HeaderMap) -> Response {
    if headers.contains_key("hx-request") {
        return ([("hx-redirect", "/ui/login")], StatusCode::UNAUTHORIZED).into_response();
    }
    Redirect::to("/ui/login").into_response()
}

/// Why a request does not come from the dashboard's own pages, if it does not.
pub fn cross_site(headers: &HeaderMap) -> Option<&'static str> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s != "same-origin") {
        return Some("The form was sent from another site.");
    }
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or_default());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (None, _) => None,
        (Some(origin), Some(host)) if origin.split_once("://").is_some_and(|(_, rest)| rest == host) => None,
        _ => Some("The form was sent from another origin."),
    }
}

/// `request` (its body read, and put back) if it is same-origin and carries
/// `session`'s CSRF token; else why not.
/// The body is read first in any case, so that a refusal does not leave it
/// unread (which would close a connection the client may be reusing).
async fn checked_post(session: &Session, request: Request) -> Result<Request, &'static str> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| "The form is too large.")?;
    if let Some(why) = cross_site(&parts.headers) {
        return Err(why);
    }
    let header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let field = form_field(&bytes, CSRF_FIELD);
    let offered = header.map(str::to_string).or(field);
    match offered {
        Some(token) if csrf_matches(session, &token) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Some(_) => Err(
            "The form's CSRF token is not this session's (it may be from an older login): reload the page and retry.",
        ),
        None => Err("The form carries no CSRF token, which every dashboard form must."),
    }
}

/// The value of field `name` in a form-encoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers.insert(*k, HeaderValue::from_static(v));
        }
        headers
    }

    #[test]
    fn only_same_origin_posts_pass() {
        assert_eq!(cross_site(&headers(&[("host", "127.0.0.1:8808")])), None);
        let same = headers(&[
            ("host", "127.0.0.1:8808"),
            ("origin", "http://127.0.0.1:8808"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(cross_site(&same), None);
        assert!(cross_site(&headers(&[("host", "127.0.0.1:8808"), ("origin", "http://evil.example")])).is_some());
        assert!(cross_site(&headers(&[("host", "127.0.0.1:8808"), ("sec-fetch-site", "cross-site")])).is_some());
        assert!(cross_site(&headers(&[("host", "127.0.0.1:8808"), ("origin", "null")])).is_some());
    }

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(form_field(b"a=1&csrf=ab%2Bc&b=2", "csrf").as_deref(), Some("ab+c"));
        assert_eq!(form_field(b"a=1", "csrf"), None);
    }
}
