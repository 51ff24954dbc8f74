//! The dashboard's pages, one module per resource. A page handler reads
//! through [`AdminState`](crate::admin::AdminState)'s methods (the same ones
//! the admin API's handlers call) and renders with [`super::layout`]. An
//! action handler does its change through those methods too (which record
//! it in the activity log), leaves a flash message saying how it went, and
//! redirects back (POST, redirect, GET), so a reload never repeats it.

pub mod activity;
pub mod containers;
pub mod oauth;
pub mod overview;
pub mod plugins;
pub mod servers;
pub mod sessions;
pub mod tasks;
pub mod tools;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Dashboard;
use super::layout::{Nav, back_to, page, refusal};
use super::session::{Flash, Session};
use crate::admin::error::ApiError;

/// Who is visiting: the dashboard and the logged-in session, which
/// [`guard`](super::guard) put in the request; the extractor of every
/// handler behind the guard.
pub struct Visit {
    /// The dashboard.
    pub ui: Arc<Dashboard>,
    /// The logged-in session.
    pub session: Session,
}

impl FromRequestParts<Arc<Dashboard>> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ui: &Arc<Dashboard>) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Session>() {
            Some(session) => Ok(Visit { ui: ui.clone(), session: session.clone() }),
            None => Err(refusal(StatusCode::FORBIDDEN, "Refused", "This page needs a dashboard session.")),
        }
    }
}

/// The fields of an action button's form (besides the CSRF token, which the guard checks).
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    /// The dashboard page to return to.
    pub back: Option<String>,
}

/// The query of a page that refreshes a part of itself: `refresh` marks
/// those polling requests, which must not take the flash message meant for
/// the page shown after an action.
#[derive(Debug, Default, Deserialize)]
pub struct Poll {
    /// Present on polling requests.
    pub refresh: Option<String>,
}

impl Dashboard {
    /// A page of `session`'s, with its pending flash message.
    pub fn page(&self, session: &Session, nav: Nav, title: &str, body: Markup) -> Markup {
        page(session, self.sessions.take_flash(&session.id), nav, title, body)
    }

    /// [`Dashboard::page`], or without the flash message for a `poll`.
    pub fn page_polled(&self, session: &Session, poll: &Poll, nav: Nav, title: &str, body: Markup) -> Markup {
        match poll.refresh {
            Some(_) => page(session, None, nav, title, body),
            None => self.page(session, nav, title, body),
        }
    }

    /// After an action: a flash saying `done` (or the error), and a redirect
    /// to `back` (a dashboard page), else `default`.
    pub fn after(
        &self,
        session: &Session,
        back: Option<&str>,
        default: &str,
        done: Result<String, ApiError>,
    ) -> Response {
        let flash = match done {
            Ok(text) => Flash { error: false, text },
            Err(e) => Flash { error: true, text: e.message().to_string() },
        };
        self.sessions.flash(&session.id, flash);
        Redirect::to(back_to(back, default)).into_response()
    }
}

/// An error box for a page that could not be read.
pub fn problem(error: &ApiError) -> Markup {
    html! { div.notice role="alert" { (error.message()) } }
}

/// Any other `/ui` path: 404 with the navigation.
pub async fn not_found(Visit { ui, session }: Visit) -> Response {
    let body = html! { p { "There is no such dashboard page. The navigation on the left lists them." } };
    (StatusCode::NOT_FOUND, ui.page(&session, Nav::Overview, "Not found", body)).into_response()
}
