//! The token endpoint (`POST /auth/token`: the authorization-code grant with
//! PKCE S256, and refresh tokens that rotate on every use) and revocation
//! (`POST /auth/revoke`, RFC 7009).
//!
//! A code works once: a second use revokes what the first obtained. A
//! rotated refresh token still works for `refresh_grace` (a client that
//! lost the response retries); used again after that, it revokes its grant.
//! Exchanging a new code for the same user and client revokes their older
//! grants. Every answer is `Cache-Control: no-store`.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::authorize::Code;
use super::clients::Client;
use super::{AccessClaims, AuthorizationServer, OAuthError, digest, now_ms, random_token, records, users};

/// The token and revocation endpoints' form fields.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    resource: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

/// A grant: one user's authorization of one client, which its refresh
/// tokens and access tokens belong to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// The user.
    pub user: String,
    /// The client.
    pub client_id: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// The resource its tokens are for.
    pub resource: String,
    /// When it was granted (ms since the epoch).
    pub created_ms: i64,
    /// The flow's correlation id.
    pub correlation: String,
}

/// A refresh token, kept by its digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Refresh {
    grant: String,
    client_id: String,
    /// When a newer token replaced it (ms since the epoch).
    superseded_ms: Option<i64>,
}

/// `POST /auth/token`.
pub async fn token(
    State(server): State<Arc<AuthorizationServer>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let answer = match form.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(&server, &headers, &form).await,
        Some("refresh_token") => refresh(&server, &headers, &form).await,
        Some(other) => Err(OAuthError::bad("unsupported_grant_type", format!("grant type `{other}` is not supported"))),
        None => Err(OAuthError::invalid_request("`grant_type` is missing")),
    };
    match answer {
        Ok(body) => {
            ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], axum::Json(body)).into_response()
        }
        Err(error) => {
            tracing::info!(step = "token", reason = error.description(), code = error.code(), "oauth: token refused");
            let basic = client_credentials(&headers, &form).ok().is_some_and(|c| c.basic);
            let mut response = error.into_response();
            if basic && response.status() == axum::http::StatusCode::UNAUTHORIZED {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, "Basic realm=\"portcullis\"".parse().expect("ASCII"));
            }
            response
        }
    }
}

/// The client's credentials, from HTTP Basic or the form.
struct Credentials {
    id: String,
    secret: Option<String>,
    basic: bool,
}

fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Result<Credentials, OAuthError> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some(encoded) = authorization.and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))) {
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .ok_or_else(|| OAuthError::invalid_client("the Basic credentials cannot be read"))?;
        let (id, secret) =
            decoded.split_once(':').ok_or_else(|| OAuthError::invalid_client("the Basic credentials lack a `:`"))?;
        // RFC 6749, section 2.3.1: both are form-encoded first.
        let unescape = |s: &str| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
                .ok()
                .and_then(|mut v| v.pop())
                .map(|(_, v)| v)
                .unwrap_or_else(|| s.to_string())
        };
        return Ok(Credentials { id: unescape(id), secret: Some(unescape(secret)), basic: true });
    }
    let id = form.client_id.clone().filter(|id| !id.is_empty()).ok_or_else(|| {
        OAuthError::invalid_client("the client is not identified: send `client_id` (and its secret, if it has one)")
    })?;
    Ok(Credentials { id, secret: form.client_secret.clone().filter(|s| !s.is_empty()), basic: false })
}

/// The client that sent the request, authenticated.
async fn authenticated_client(
    server: &AuthorizationServer,
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<Client, OAuthError> {
    let credentials = client_credentials(headers, form)?;
    let client = server.clients.find(&server.state, &credentials.id).await?;
    client.authenticate(credentials.secret.as_deref())?;
    Ok(client)
}

async fn exchange_code(
    server: &AuthorizationServer,
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<serde_json::Value, OAuthError> {
    let client = authenticated_client(server, headers, form).await?;
    let code = form.code.clone().ok_or_else(|| OAuthError::invalid_request("`code` is missing"))?;
    let verifier = form
        .code_verifier
        .clone()
        .ok_or_else(|| OAuthError::invalid_request("`code_verifier` is missing (PKCE is required)"))?;
    let _redeeming = server.redeem.lock().await;
    let code_id = digest(&code);
    let lookup = code_id.clone();
    let entry: Option<Code> = server.state.run(move |s| records::get(s, records::CODE, &lookup)).await?;
    let mut entry = entry.ok_or_else(|| OAuthError::invalid_grant("the code is unknown or has expired"))?;
    if let Some(grant) = &entry.redeemed_grant {
        server.revoke_grant(grant, "its code was used a second time").await?;
        return Err(OAuthError::invalid_grant("the code was already used; the tokens issued for it are revoked"));
    }
    if entry.client_id != client.id {
        return Err(OAuthError::invalid_grant("the code was issued to another client"));
    }
    if form.redirect_uri.as_deref() != Some(entry.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant("`redirect_uri` is not the one the code was sent to"));
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !(43..=128).contains(&verifier.len()) || !bool::from(computed.as_bytes().ct_eq(entry.code_challenge.as_bytes()))
    {
        return Err(OAuthError::invalid_grant("the PKCE `code_verifier` does not match the code's challenge"));
    }
    if let Some(resource) = form.resource.as_deref().filter(|r| *r != entry.resource) {
        return Err(OAuthError::bad("invalid_target", format!("the code is for {}, not {resource}", entry.resource)));
    }
    let grant_id = uuid::Uuid::new_v4().to_string();
    let grant = Grant {
        user: entry.user.clone(),
        client_id: client.id.clone(),
        scopes: entry.scopes.clone(),
        resource: entry.resource.clone(),
        created_ms: now_ms(),
        correlation: entry.correlation.clone(),
    };
    // Re-authorising the same user and client replaces their older grants.
    let same = |older: &Grant| older.user == grant.user && older.client_id == grant.client_id;
    server.revoke_where(same, "the same user authorized the same client again").await?;
    entry.redeemed_grant = Some(grant_id.clone());
    let expires = now_ms() + server.config.code_ttl.as_millis() as i64;
    server
        .state
        .write("a used authorization code", move |s| records::put(s, records::CODE, &code_id, &entry, Some(expires)))
        .await?;
    let answer = issue(server, &grant_id, &grant, None, "token").await?;
    server.clients.touch(&server.state, &client).await?;
    Ok(answer)
}

async fn refresh(
    server: &AuthorizationServer,
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<serde_json::Value, OAuthError> {
    let client = authenticated_client(server, headers, form).await?;
    let token = form.refresh_token.clone().ok_or_else(|| OAuthError::invalid_request("`refresh_token` is missing"))?;
    let _redeeming = server.redeem.lock().await;
    let token_id = digest(&token);
    let lookup = token_id.clone();
    let entry: Option<Refresh> = server.state.run(move |s| records::get(s, records::REFRESH, &lookup)).await?;
    let mut entry = entry.ok_or_else(|| OAuthError::invalid_grant("the refresh token is unknown or has expired"))?;
    if entry.client_id != client.id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    let lookup = entry.grant.clone();
    let grant: Option<Grant> = server.state.run(move |s| records::get(s, records::GRANT, &lookup)).await?;
    let grant = grant.ok_or_else(|| OAuthError::invalid_grant("the grant behind this refresh token was revoked"))?;
    let user = grant.user.clone();
    if !server.state.run(move |s| users::exists(s, &user)).await? {
        server.revoke_grant(&entry.grant, "its user was removed").await?;
        return Err(OAuthError::invalid_grant("the user of this grant no longer exists"));
    }
    if let Some(superseded) = entry.superseded_ms
        && now_ms() - superseded > server.config.refresh_grace.as_millis() as i64
    {
        server.revoke_grant(&entry.grant, "a rotated refresh token was used again").await?;
        return Err(OAuthError::invalid_grant(
            "the refresh token was already used and replaced; its grant is now revoked, so sign in again",
        ));
    }
    let scopes = match form.scope.as_deref() {
        None => None,
        Some(scope) => {
            let asked: Vec<String> = scope.split_whitespace().map(String::from).collect();
            if let Some(extra) = asked.iter().find(|s| !grant.scopes.contains(s)) {
                return Err(OAuthError::bad("invalid_scope", format!("scope `{extra}` was not granted")));
            }
            Some(asked)
        }
    };
    let grant_id = entry.grant.clone();
    if entry.superseded_ms.is_none() {
        entry.superseded_ms = Some(now_ms());
        let expires = now_ms() + server.config.refresh_token_ttl.as_millis() as i64;
        server
            .state
            .write("a rotated refresh token", move |s| {
                records::put(s, records::REFRESH, &token_id, &entry, Some(expires))
            })
            .await?;
    }
    issue(server, &grant_id, &grant, scopes, "refresh").await
}

/// A new access token and refresh token for `grant` (narrowed to `scopes`
/// when given), and the grant's lifetime extended; logged as `step`.
async fn issue(
    server: &AuthorizationServer,
    grant_id: &str,
    grant: &Grant,
    scopes: Option<Vec<String>>,
    step: &'static str,
) -> Result<serde_json::Value, OAuthError> {
    let scopes = scopes.unwrap_or_else(|| grant.scopes.clone()).join(" ");
    let now = now_ms() / 1000;
    let ttl = server.config.access_token_ttl.as_secs() as i64;
    let claims = AccessClaims {
        iss: server.config.issuer.clone(),
        sub: grant.user.clone(),
        aud: grant.resource.clone(),
        exp: now + ttl,
        iat: now,
        jti: uuid::Uuid::new_v4().to_string(),
        client_id: grant.client_id.clone(),
        scope: scopes.clone(),
        gid: grant_id.to_string(),
    };
    let access = server.keys.sign(&server.state, &claims).await.map_err(|why| {
        tracing::error!("{why}");
        OAuthError::bad("server_error", "cannot sign the access token")
    })?;
    let refresh_token = random_token();
    let refresh = Refresh { grant: grant_id.to_string(), client_id: grant.client_id.clone(), superseded_ms: None };
    let expires = now_ms() + server.config.refresh_token_ttl.as_millis() as i64;
    let (refresh_id, grant_key, grant_body) = (digest(&refresh_token), grant_id.to_string(), grant.clone());
    server
        .state
        .write("a grant and its refresh token", move |s| {
            records::put(s, records::GRANT, &grant_key, &grant_body, Some(expires))?;
            records::put(s, records::REFRESH, &refresh_id, &refresh, Some(expires))
        })
        .await?;
    tracing::info!(
        correlation = grant.correlation,
        step,
        user = grant.user,
        client_id = grant.client_id,
        grant = grant_id,
        "oauth: tokens issued"
    );
    Ok(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
        "scope": scopes,
    }))
}

/// `POST /auth/revoke`: revokes the grant behind a refresh or access token
/// of the calling client. Answers 200 whether or not the token was known,
/// as RFC 7009 asks; 401 only when the client fails to authenticate. A
/// public client sends only its `client_id`.
pub async fn revoke(
    State(server): State<Arc<AuthorizationServer>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let client = match authenticated_client(&server, &headers, &form).await {
        Ok(client) => client,
        Err(error) => return error.into_response(),
    };
    let Some(token) = form.token.clone().filter(|t| !t.is_empty()) else {
        return OAuthError::invalid_request("`token` is missing").into_response();
    };
    let grant = match grant_of(&server, &token).await {
        Ok(grant) => grant,
        Err(error) => return error.into_response(),
    };
    if let Some((grant, owner)) = grant {
        if owner == client.id {
            if let Err(e) = server.revoke_grant(&grant, "the client revoked its token").await {
                return OAuthError::from(e).into_response();
            }
        } else {
            tracing::info!(
                step = "revoke",
                client_id = client.id,
                reason = "the token belongs to another client",
                "oauth: revocation ignored"
            );
        }
    }
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(json!({}))).into_response()
}

/// The grant (and its client) behind a refresh token or one of this
/// server's access tokens (expired ones included).
async fn grant_of(server: &AuthorizationServer, token: &str) -> Result<Option<(String, String)>, OAuthError> {
    let id = digest(token);
    let refresh: Option<Refresh> = server.state.run(move |s| records::get(s, records::REFRESH, &id)).await?;
    if let Some(refresh) = refresh {
        return Ok(Some((refresh.grant, refresh.client_id)));
    }
    let claims = server.keys.verify_ignoring_expiry(&server.state, token, &server.config.issuer).await;
    Ok(claims.map(|c| (c.gid, c.client_id)))
}
