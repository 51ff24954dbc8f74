//! `/api/v1/oauth/…`: the built-in authorization server's users, clients and
//! grants; the operator adds and removes users, removes registered clients
//! and revokes grants (each change audited). 404 when `[oauth_server]` is off.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::AdminState;
use super::audit::audit;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody, parse};
use crate::oauth::AuthorizationServer;
use crate::oauth::manage::{ClientInfo, GrantInfo, RemoveClientError};
use crate::oauth::users::{UserError, UserInfo};

/// The body of `POST /api/v1/oauth/users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The user name (a-z, 0-9, `.`, `_`, `-`).
    pub name: String,
    /// The password (at least 8 characters); kept only as an argon2id hash.
    pub password: String,
}

impl AdminState {
    /// The authorization server, or 404 saying how to turn it on.
    pub fn authorization_server(&self) -> Result<&Arc<AuthorizationServer>, ApiError> {
        self.oauth.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "the built-in authorization server is off; `[oauth_server] issuer` (or OAUTH_ISSUER) turns it on",
            )
        })
    }

    /// Creates user `name` (or sets its password) as `who`, audited.
    pub async fn set_user(&self, who: &crate::caller::Principal, user: &NewUser) -> Result<bool, ApiError> {
        let server = self.authorization_server()?;
        let done = server.set_user(&user.name, &user.password).await.map_err(|e| match e {
            UserError::State(e) => ApiError::storage(e),
            other => ApiError::bad_request(other.to_string()),
        });
        audit(self, who, "user.set", &user.name, &done);
        done
    }

    /// Removes user `name` (revoking their grants) as `who`, audited.
    pub async fn remove_user(&self, who: &crate::caller::Principal, name: &str) -> Result<(), ApiError> {
        let server = self.authorization_server()?;
        let done = match server.remove_user(name).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ApiError::not_found("user", name, "/api/v1/oauth/users")),
            Err(e) => Err(ApiError::storage(e)),
        };
        audit(self, who, "user.remove", name, &done);
        done
    }

    /// Removes registered client `id` (revoking its grants) as `who`, audited.
    pub async fn remove_client(&self, who: &crate::caller::Principal, id: &str) -> Result<(), ApiError> {
        let server = self.authorization_server()?;
        let done = server.remove_client(id).await.map_err(|e| match e {
            RemoveClientError::NotFound(_) => ApiError::not_found("client", id, "/api/v1/oauth/clients"),
            RemoveClientError::Configured(_) => ApiError::conflict(e.to_string()),
            RemoveClientError::State(e) => ApiError::storage(e),
        });
        audit(self, who, "client.remove", id, &done);
        done
    }

    /// Revokes grant `id` as `who`, audited.
    pub async fn revoke_grant(&self, who: &crate::caller::Principal, id: &str) -> Result<(), ApiError> {
        let server = self.authorization_server()?;
        let done = match server.revoke(id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ApiError::not_found("grant", id, "/api/v1/oauth/grants")),
            Err(e) => Err(ApiError::storage(e)),
        };
        audit(self, who, "grant.revoke", id, &done);
        done
    }
}

/// `GET /api/v1/oauth/users`.
#[utoipa::path(get, path = "/api/v1/oauth/users", operation_id = "list_users", tag = "oauth",
    responses((status = 200, body = [UserInfo]), (status = 404, body = ErrorBody)))]
pub async fn users(State(admin): State<Arc<AdminState>>) -> Result<Json<Vec<UserInfo>>, ApiError> {
    admin.authorization_server()?.users().await.map(Json).map_err(ApiError::storage)
}

/// `POST /api/v1/oauth/users`: adds a user, or sets the password of one
/// (201 when created, 200 when changed).
#[utoipa::path(post, path = "/api/v1/oauth/users", operation_id = "set_user", tag = "oauth", request_body = NewUser,
    responses((status = 201), (status = 200), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_user(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let user: NewUser = parse(&body)?;
    let created = admin.set_user(&who, &user).await?;
    Ok(if created { StatusCode::CREATED } else { StatusCode::OK })
}

/// `DELETE /api/v1/oauth/users/{name}`: removes a user; their tokens stop.
#[utoipa::path(delete, path = "/api/v1/oauth/users/{name}", operation_id = "remove_user", tag = "oauth",
    params(("name" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_user(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.remove_user(&who, &name).await.map(|()| StatusCode::NO_CONTENT)
}

/// `GET /api/v1/oauth/clients`: the configured and the registered clients.
#[utoipa::path(get, path = "/api/v1/oauth/clients", operation_id = "list_clients", tag = "oauth",
    responses((status = 200, body = [ClientInfo]), (status = 404, body = ErrorBody)))]
pub async fn clients(State(admin): State<Arc<AdminState>>) -> Result<Json<Vec<ClientInfo>>, ApiError> {
    admin.authorization_server()?.clients().await.map(Json).map_err(ApiError::storage)
}

/// `DELETE /api/v1/oauth/clients/{id}`: removes a registered client; its tokens stop.
#[utoipa::path(delete, path = "/api/v1/oauth/clients/{id}", operation_id = "remove_client", tag = "oauth",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_client(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.remove_client(&who, &id).await.map(|()| StatusCode::NO_CONTENT)
}

/// `GET /api/v1/oauth/grants`: who authorized which client, the newest first.
#[utoipa::path(get, path = "/api/v1/oauth/grants", operation_id = "list_grants", tag = "oauth",
    responses((status = 200, body = [GrantInfo]), (status = 404, body = ErrorBody)))]
pub async fn grants(State(admin): State<Arc<AdminState>>) -> Result<Json<Vec<GrantInfo>>, ApiError> {
    admin.authorization_server()?.grants().await.map(Json).map_err(ApiError::storage)
}

/// `DELETE /api/v1/oauth/grants/{id}`: revokes a grant; its tokens stop at the next request.
#[utoipa::path(delete, path = "/api/v1/oauth/grants/{id}", operation_id = "revoke_grant", tag = "oauth",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_grant(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.revoke_grant(&who, &id).await.map(|()| StatusCode::NO_CONTENT)
}
