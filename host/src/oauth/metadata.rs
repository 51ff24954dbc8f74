//! The authorization server's metadata (RFC 8414), also served at the
//! OpenID configuration path that some clients try first, and its JWK Set.
//! The `issuer` is the configured one character for character: the
//! protected-resource metadata names the same string, and clients compare
//! them exactly.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AuthorizationServer;
use crate::config::SCOPES;

/// How clients may authenticate at the token and revocation endpoints.
pub const AUTH_METHODS: [&str; 3] = ["none", "client_secret_basic", "client_secret_post"];
/// The grants the token endpoint serves.
pub const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

/// `GET /.well-known/oauth-authorization-server` (and the OpenID path).
pub async fn document(State(server): State<Arc<AuthorizationServer>>) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=300")], axum::Json(describe(&server))).into_response()
}

/// `GET /.well-known/jwks.json`: the public signing keys.
pub async fn jwks(State(server): State<Arc<AuthorizationServer>>) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=300")], axum::Json(server.keys.jwks(&server.state).await))
        .into_response()
}

fn describe(server: &AuthorizationServer) -> Value {
    let issuer = &server.config.issuer;
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth/authorize"),
        "token_endpoint": format!("{issuer}/auth/token"),
        "revocation_endpoint": format!("{issuer}/auth/revoke"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "scopes_supported": SCOPES,
        "client_id_metadata_document_supported": server.clients.metadata_documents(),
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public"],
    });
    if server.config.dynamic_registration {
        document["registration_endpoint"] = json!(format!("{issuer}/register"));
    }
    document
}
