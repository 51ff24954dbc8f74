//! Logging in with an admin key, and out.
//!
//! The form takes an admin key (`ADMIN_API_KEY`, `[admin] keys`; never an
//! MCP key), compared in constant time; a wrong one is answered 401, which
//! the HTTP transport's failed-authentication budget counts per address (so
//! guessing is rate limited like a wrong bearer key). A right one starts a
//! session and sets its cookie. The key itself is never kept or logged.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Dashboard;
use super::guard::{OFF, cross_site};
use super::layout::{bare, refusal};
use super::pages::Visit;
use super::session::{clear_cookie, cookie_id, set_cookie};
use crate::admin::auth::Access;

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    /// The admin key.
    #[serde(default)]
    pub key: String,
}

fn login_page(error: Option<&str>) -> Markup {
    bare(
        "Log in",
        html! {
            p.muted { "Enter an admin key (ADMIN_API_KEY or one of " code { "[admin] keys" } "). MCP keys do not open the dashboard." }
            @if let Some(error) = error {
                p.flash.error role="alert" { (error) }
            }
            form.stack method="post" action="/ui/login" {
                label for="key" { "Admin key" }
                input #key type="password" name="key" autocomplete="current-password" required autofocus;
                button.primary type="submit" { "Log in" }
            }
        },
    )
}

/// `GET /ui/login`: the form (or the dashboard, when already in).
pub async fn form(State(ui): State<Arc<Dashboard>>, headers: HeaderMap) -> Response {
    match ui.auth.access() {
        Access::Off => refusal(StatusCode::FORBIDDEN, "Dashboard off", OFF),
        Access::Open(_) => Redirect::to("/ui").into_response(),
        Access::Keys if cookie_id(&headers).is_some_and(|id| ui.sessions.is_live(id)) => {
            Redirect::to("/ui").into_response()
        }
        Access::Keys => login_page(None).into_response(),
    }
}

/// `POST /ui/login`: starts a session for the admin whose key it is.
pub async fn submit(State(ui): State<Arc<Dashboard>>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    match ui.auth.access() {
        Access::Off => return refusal(StatusCode::FORBIDDEN, "Dashboard off", OFF),
        Access::Open(_) => return Redirect::to("/ui").into_response(),
        Access::Keys => {}
    }
    if let Some(why) = cross_site(&headers) {
        return refusal(StatusCode::FORBIDDEN, "Refused", why);
    }
    let Some(admin) = ui.auth.admin_of(form.key.trim()) else {
        tracing::info!("refused a dashboard login: not an admin key");
        let why = "That is not an admin key. Only the keys of ADMIN_API_KEY or `[admin] keys` open the dashboard; MCP keys and tokens do not.";
        return (StatusCode::UNAUTHORIZED, login_page(Some(why))).into_response();
    };
    tracing::info!(admin = %admin, "dashboard login");
    let session = ui.sessions.create(admin);
    let mut response = Redirect::to("/ui").into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(&session.id, ui.secure_cookies));
    response
}

/// `POST /ui/logout`: ends the session.
pub async fn logout(Visit { ui, session }: Visit) -> Response {
    ui.sessions.end(&session.id);
    let mut response = Redirect::to("/ui/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, clear_cookie(ui.secure_cookies));
    response
}
