//! The web dashboard at `/ui`: server-rendered HTML ([maud]) with htmx, for
//! an operator who watches and steers the host from a browser.
//!
//! Pages: the overview ([`pages::overview`]), plugins (reload, disable,
//! enable), servers (state,
//! start, stop, restart, logs), tools (schema and a try-it form), sessions,
//! containers, tasks (cancel), the authorization server's sign-ins (revoke), and the activity log, which grows live over SSE
//! ([`live`]). Every page and action goes through the same [`AdminState`]
//! methods as the admin API, so a change made here is recorded in the
//! activity log with the admin's name, exactly like one made through
//! `/api/v1`.
//!
//! Who gets in is the admin API's rule ([`AdminAuth::access`]): with admin
//! keys, whoever logs in with one ([`login`]; MCP keys never open it);
//! without, everyone on a loopback-only listener (as `admin:local`) and
//! no-one elsewhere. A login is a server-side session behind an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` on a TLS listener) ([`session`]); [`guard`] checks it and, on every
//! POST, the session's CSRF token and the request's origin. Every response
//! carries a strict Content-Security-Policy ([`security_headers`]): the
//! pages have no inline script or style, only the files of [`assets`],
//! which are compiled into the binary.

pub mod assets;
pub mod guard;
pub mod layout;
pub mod live;
pub mod login;
pub mod pages;
pub mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::admin::AdminState;
use crate::admin::auth::AdminAuth;
use session::Sessions;

/// What the dashboard works on.
pub struct Dashboard {
    /// The admin API's state, whose methods every page and action calls.
    pub admin: Arc<AdminState>,
    /// Who may get in.
    pub auth: Arc<AdminAuth>,
    /// The logged-in sessions.
    pub sessions: Sessions,
    /// Fires at shutdown: live streams end.
    pub close: CancellationToken,
    /// Whether the session cookie is `Secure` (the listener serves TLS).
    pub secure_cookies: bool,
}

/// The Content-Security-Policy of every `/ui` response: only the
/// dashboard's own files, no inline script or style, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers of every `/ui` response (see [`security_headers`]).
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The `/ui` routes. `close` ends the live activity streams (at shutdown);
/// `secure_cookies` marks the session cookie `Secure` (on a TLS listener).
pub fn router(admin: Arc<AdminState>, auth: Arc<AdminAuth>, close: CancellationToken, secure_cookies: bool) -> Router {
    let ui = Arc::new(Dashboard { admin, auth, sessions: Sessions::default(), close, secure_cookies });
    let guarded = Router::new()
        .route("/ui", get(pages::overview::page))
        .route("/ui/logout", post(login::logout))
        .route("/ui/plugins", get(pages::plugins::page))
        .route("/ui/plugins/{name}/{action}", post(pages::plugins::act))
        .route("/ui/servers", get(pages::servers::list))
        .route("/ui/servers/{name}", get(pages::servers::detail))
        .route("/ui/servers/{name}/{action}", post(pages::servers::act))
        .route("/ui/tools", get(pages::tools::list))
        .route("/ui/tools/{name}", get(pages::tools::detail))
        .route("/ui/tools/{name}/call", post(pages::tools::call))
        .route("/ui/sessions", get(pages::sessions::list))
        .route("/ui/sessions/{id}/end", post(pages::sessions::end))
        .route("/ui/containers", get(pages::containers::list))
        .route("/ui/containers/{id}/remove", post(pages::containers::remove))
        .route("/ui/tasks", get(pages::tasks::list))
        .route("/ui/tasks/{id}/cancel", post(pages::tasks::cancel))
        .route("/ui/oauth", get(pages::oauth::page))
        .route("/ui/oauth/grants/{id}/revoke", post(pages::oauth::revoke_grant))
        .route("/ui/oauth/users/{name}/remove", post(pages::oauth::remove_user))
        .route("/ui/oauth/clients/{id}/remove", post(pages::oauth::remove_client))
        .route("/ui/activity", get(pages::activity::page))
        .route("/ui/activity/stream", get(live::stream))
        .route("/ui/{*rest}", get(pages::not_found).post(pages::not_found))
        .layer(from_fn_with_state(ui.clone(), guard::require));
    Router::new()
        .route("/ui/", get(|| async { Redirect::permanent("/ui") }))
        .route("/ui/login", get(login::form).post(login::submit))
        .route("/ui/static/{file}", get(assets::serve))
        .merge(guarded)
        .with_state(ui)
        .layer(from_fn(security_headers))
}

/// Middleware: the CSP and its companions on every `/ui` response; pages
/// (anything without its own `Cache-Control`) are not cached.
///
/// The referrer policy is `same-origin`, not `no-referrer`: under
/// `no-referrer` browsers send `Origin: null` with form posts, which the
/// transport's Origin check (rightly) refuses. Other sites still get no
/// referrer.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
