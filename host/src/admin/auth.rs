//! Who may use the admin API: holders of an admin key (`ADMIN_API_KEY`,
//! `[admin] keys`), never of an MCP credential. Without admin keys the API
//! is open on a loopback-only listener (as `admin:local`) and off elsewhere.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::auth::{KeyRing, bearer};
use crate::caller::Principal;
use crate::config::AdminConfig;

/// What a request without an admin key is told.
const NO_KEY: &str =
    "the admin API needs `Authorization: Bearer <admin key>`, a key of ADMIN_API_KEY or `[admin] keys`";

/// Checks admin keys.
pub struct AdminAuth {
    keys: KeyRing,
    /// Whether the listener is loopback-only, so that no key is needed when none is configured.
    loopback: bool,
}

/// The admin behind a request, in its extensions once authenticated; an
/// extractor for the handlers behind [`require`].
#[derive(Clone, Debug)]
pub struct Admin(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Admin>().cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the admin API needs `Authorization: Bearer <admin key>`",
            )
        })
    }
}

/// How admins get in, which the admin API and the dashboard share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No admin keys and a loopback-only listener: open, as this admin (`admin:local`).
    Open(Principal),
    /// Only with an admin key.
    Keys,
    /// No admin keys on a listener other machines can reach: off.
    Off,
}

impl AdminAuth {
    /// The admin keys of `config`, for a listener that is `loopback`-only or not.
    pub fn new(config: &AdminConfig, loopback: bool) -> AdminAuth {
        AdminAuth { keys: KeyRing::new(&config.keys), loopback }
    }

    /// How admins get in.
    pub fn access(&self) -> Access {
        match (self.keys.is_empty(), self.loopback) {
            (false, _) => Access::Keys,
            (true, true) => Access::Open(Principal::admin("local")),
            (true, false) => Access::Off,
        }
    }

    /// The admin holding `key` (compared in constant time), if it is an admin key.
    pub fn admin_of(&self, key: &str) -> Option<Principal> {
        self.keys.name_of(key).map(Principal::admin)
    }

    fn admit(&self, request: &Request) -> Result<Principal, ApiError> {
        match self.access() {
            Access::Open(principal) => return Ok(principal),
            Access::Off => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "admin_disabled",
                    "the admin API is off on a listener other machines can reach: set ADMIN_API_KEY or `[admin] keys` in portcullis.toml to turn it on",
                ));
            }
            Access::Keys => {}
        }
        let unauthorized = |why: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", why);
        let token = bearer(request.headers()).ok_or_else(|| unauthorized(NO_KEY))?;
        match self.admin_of(token) {
            Some(principal) => Ok(principal),
            None => Err(unauthorized(
                "not an admin key: the admin API takes only the keys of ADMIN_API_KEY or `[admin] keys` (MCP keys and tokens do not open it)",
            )),
        }
    }
}

/// Middleware: lets admins through, with [`Admin`] and their [`Principal`]
/// (for the rate limit) in the extensions; refuses the others.
pub async fn require(State(auth): State<Arc<AdminAuth>>, mut request: Request, next: Next) -> Response {
    match auth.admit(&request) {
        Ok(principal) => {
            request.extensions_mut().insert(Admin(principal.clone()));
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(refused) => {
            tracing::info!("refused an admin API request");
            refused.into_response()
        }
    }
}
