//! The authorization endpoint: `GET /auth/authorize` checks the request and
//! shows the sign-in form; `POST /auth/authorize` takes the sign-in, then the
//! consent, and sends the browser back to the client with a plain 303 whose
//! `Location` carries `code`, `state` and `iss` (RFC 9207).
//!
//! Until the redirect URI is known to be the client's, errors are shown here
//! and never redirected. The forms are plain HTML (no script); each carries
//! the flow's id and its CSRF token as hidden inputs, and the flow is bound
//! to the browser that started it by a cookie, so another site can neither
//! post into it nor frame it (`frame-ancestors 'none'`). A consent may be
//! remembered per user, client and redirect URI; a client that has just
//! registered has none, so it always sees the consent page.

use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::clients::Client;
use super::{AuthorizationServer, correlation_id, digest, now_ms, random_token, records, users};
use crate::dashboard::layout::bare;
use crate::dashboard::session::cookie_value;

/// How long a sign-in may take, from the request to the consent.
const FLOW_TTL: Duration = Duration::from_secs(600);
/// How long a remembered consent holds.
const CONSENT_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// The cookie that binds a flow to its browser.
const BROWSER_COOKIE: &str = "portcullis_oauth";

/// The authorization request's parameters (RFC 6749 4.1.1, RFC 7636, RFC 8707).
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizationRequest {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    resource: Option<String>,
}

/// A sign-in in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Flow {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    code_challenge: String,
    resource: String,
    csrf: String,
    browser_sha256: String,
    user: Option<String>,
    correlation: String,
}

/// An authorization code, as kept until it is exchanged (and after, to
/// recognise a second use).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI it was sent to.
    pub redirect_uri: String,
    /// The user who approved.
    pub user: String,
    /// The scopes approved.
    pub scopes: Vec<String>,
    /// The PKCE challenge (S256).
    pub code_challenge: String,
    /// The resource the tokens are for.
    pub resource: String,
    /// The flow's correlation id.
    pub correlation: String,
    /// The grant its exchange created: set once it has been used.
    pub redeemed_grant: Option<String>,
}

/// The sign-in and consent forms' fields.
#[derive(Debug, Default, Deserialize)]
pub struct Submission {
    #[serde(default)]
    flow: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    remember: Option<String>,
}

/// `GET /auth/authorize`.
pub async fn start(
    State(server): State<Arc<AuthorizationServer>>,
    headers: HeaderMap,
    Query(request): Query<AuthorizationRequest>,
) -> Response {
    let correlation = correlation_id();
    let Some(client_id) = request.client_id.as_deref().filter(|id| !id.is_empty()) else {
        return page_error(StatusCode::BAD_REQUEST, &correlation, "The request names no client (`client_id`).");
    };
    let client = match server.clients.find(&server.state, client_id).await {
        Ok(client) => client,
        Err(error) => {
            tracing::info!(correlation, step = "authorize", client_id, reason = error.description(), "oauth: refused");
            return page_error(
                StatusCode::UNAUTHORIZED,
                &correlation,
                &format!("invalid_client: {}", error.description()),
            );
        }
    };
    let redirect_uri = match request.redirect_uri.clone() {
        Some(uri) => uri,
        None if client.redirect_uris.len() == 1 && !client.presets => client.redirect_uris[0].clone(),
        None => {
            return page_error(StatusCode::BAD_REQUEST, &correlation, "The request names no `redirect_uri`.");
        }
    };
    if !client.allows_redirect(&redirect_uri) {
        tracing::info!(
            correlation,
            step = "authorize",
            client_id,
            redirect_uri,
            reason = "redirect URI not registered",
            "oauth: refused"
        );
        return page_error(
            StatusCode::BAD_REQUEST,
            &correlation,
            &format!("The redirect URI `{redirect_uri}` is not registered for {}.", client.name),
        );
    }
    // From here on, errors go back to the client.
    let back = |code: &str, why: &str| {
        tracing::info!(correlation, step = "authorize", client_id, reason = why, "oauth: refused");
        redirect(&redirect_uri, &[("error", code), ("error_description", why)], request.state.as_deref(), &server)
    };
    if request.response_type.as_deref() != Some("code") {
        return back("unsupported_response_type", "only `response_type=code` is supported");
    }
    let Some(challenge) = request.code_challenge.clone().filter(|c| (43..=128).contains(&c.len())) else {
        return back("invalid_request", "PKCE is required: send a `code_challenge` (S256)");
    };
    if request.code_challenge_method.as_deref() != Some("S256") {
        return back("invalid_request", "only the S256 `code_challenge_method` is supported");
    }
    let scopes: Vec<String> = match &request.scope {
        Some(scope) if !scope.trim().is_empty() => scope.split_whitespace().map(String::from).collect(),
        _ => client.scopes.clone(),
    };
    if let Some(scope) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return back("invalid_scope", &format!("scope `{scope}` is not offered to this client"));
    }
    if let Some(resource) = request.resource.as_deref().filter(|r| *r != server.config.resource) {
        return back(
            "invalid_target",
            &format!("this server issues tokens for {}, not {resource}", server.config.resource),
        );
    }
    let (browser, set_cookie) = match cookie(&headers) {
        Some(secret) => (secret, None),
        None => {
            let secret = random_token();
            (secret.clone(), Some(secret))
        }
    };
    let flow = Flow {
        client_id: client.id.clone(),
        redirect_uri,
        state: request.state,
        scopes,
        code_challenge: challenge,
        resource: server.config.resource.clone(),
        csrf: random_token(),
        browser_sha256: digest(&browser),
        user: None,
        correlation: correlation.clone(),
    };
    let id = random_token();
    if let Err(error) = save_flow(&server, &id, &flow).await {
        return error;
    }
    tracing::info!(correlation, step = "authorize", client_id = client.id, "oauth: sign-in shown");
    let mut response = html_page(StatusCode::OK, sign_in(&client, &flow, &id, None));
    if let Some(secret) = set_cookie {
        let secure = if server.config.issuer.starts_with("https://") { "; Secure" } else { "" };
        let value = format!("{BROWSER_COOKIE}={secret}; Path=/auth; HttpOnly; SameSite=Lax{secure}");
        response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&value).expect("ASCII"));
    }
    response
}

/// `POST /auth/authorize`: the sign-in form, then the consent form.
pub async fn submit(
    State(server): State<Arc<AuthorizationServer>>,
    headers: HeaderMap,
    Form(form): Form<Submission>,
) -> Response {
    let lookup = form.flow.clone();
    let flow: Option<Flow> = match server.state.run(move |s| records::get(s, records::FLOW, &lookup)).await {
        Ok(flow) => flow,
        Err(e) => return super::OAuthError::from(e).into_response(),
    };
    let Some(mut flow) = flow else {
        return page_error(
            StatusCode::BAD_REQUEST,
            "-",
            "This sign-in has expired or was already completed. Start again from your client.",
        );
    };
    let correlation = flow.correlation.clone();
    let browser_ok = cookie(&headers).is_some_and(|secret| digest(&secret) == flow.browser_sha256);
    if !bool::from(form.csrf.as_bytes().ct_eq(flow.csrf.as_bytes())) || !browser_ok {
        tracing::warn!(
            correlation,
            step = "consent",
            reason = "CSRF token or browser cookie missing or wrong",
            "oauth: refused"
        );
        return page_error(
            StatusCode::FORBIDDEN,
            &correlation,
            "The form's CSRF token is missing or wrong, or it was sent from another browser. Start again from your client.",
        );
    }
    let client = match server.clients.find(&server.state, &flow.client_id).await {
        Ok(client) => client,
        Err(error) => return page_error(StatusCode::UNAUTHORIZED, &correlation, error.description()),
    };
    match (form.action.as_str(), flow.user.clone()) {
        ("login", _) => {
            let (name, password) = (form.username.trim().to_string(), form.password.clone());
            let checked = {
                let name = name.clone();
                server.state.run(move |s| users::check(s, &name, &password)).await
            };
            match checked {
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!(
                        correlation,
                        step = "login",
                        user = name,
                        reason = "wrong user name or password",
                        "oauth: refused"
                    );
                    let flow_id = form.flow.clone();
                    return html_page(
                        StatusCode::UNAUTHORIZED,
                        sign_in(&client, &flow, &flow_id, Some("Wrong user name or password.")),
                    );
                }
                Err(e) => return super::OAuthError::from(e).into_response(),
            }
            tracing::info!(correlation, step = "login", user = name, "oauth: signed in");
            flow.user = Some(name.clone());
            if remembered(&server, &name, &flow).await {
                tracing::info!(correlation, step = "consent", user = name, "oauth: consent remembered");
                return approve(&server, &form.flow, flow, false).await;
            }
            if let Err(error) = save_flow(&server, &form.flow, &flow).await {
                return error;
            }
            html_page(StatusCode::OK, consent(&client, &flow, &form.flow, &name))
        }
        ("approve", Some(_)) => approve(&server, &form.flow, flow, form.remember.is_some()).await,
        ("deny", Some(user)) => {
            tracing::info!(correlation, step = "consent", user, "oauth: the user denied access");
            let _ = delete_flow(&server, &form.flow).await;
            let why = "the user did not allow access";
            redirect(
                &flow.redirect_uri,
                &[("error", "access_denied"), ("error_description", why)],
                flow.state.as_deref(),
                &server,
            )
        }
        _ => page_error(StatusCode::BAD_REQUEST, &correlation, "Sign in first."),
    }
}

/// Issues the code and sends the browser back to the client.
async fn approve(server: &AuthorizationServer, flow_id: &str, flow: Flow, remember: bool) -> Response {
    let user = flow.user.clone().unwrap_or_default();
    let code = random_token();
    let entry = Code {
        client_id: flow.client_id.clone(),
        redirect_uri: flow.redirect_uri.clone(),
        user: user.clone(),
        scopes: flow.scopes.clone(),
        code_challenge: flow.code_challenge.clone(),
        resource: flow.resource.clone(),
        correlation: flow.correlation.clone(),
        redeemed_grant: None,
    };
    let (code_id, flow_id, expires) =
        (digest(&code), flow_id.to_string(), now_ms() + server.config.code_ttl.as_millis() as i64);
    let consent = remember.then(|| (consent_id(&user, &flow), now_ms() + CONSENT_TTL.as_millis() as i64));
    let saved = server
        .state
        .write("an authorization code", move |s| {
            records::put(s, records::CODE, &code_id, &entry, Some(expires))?;
            if let Some((id, until)) = consent {
                records::put(s, records::CONSENT, &id, &serde_json::json!({}), Some(until))?;
            }
            s.delete_record(records::FLOW, &flow_id).map(drop)
        })
        .await;
    if let Err(e) = saved {
        return super::OAuthError::from(e).into_response();
    }
    tracing::info!(
        correlation = flow.correlation,
        step = "code",
        user,
        client_id = flow.client_id,
        remember,
        "oauth: code issued"
    );
    redirect(&flow.redirect_uri, &[("code", &code)], flow.state.as_deref(), server)
}

/// Whether `user` remembered consenting to this client, redirect and scopes.
async fn remembered(server: &AuthorizationServer, user: &str, flow: &Flow) -> bool {
    let id = consent_id(user, flow);
    server.state.run(move |s| s.record(records::CONSENT, &id, now_ms())).await.ok().flatten().is_some()
}

fn consent_id(user: &str, flow: &Flow) -> String {
    digest(&format!("{user}\n{}\n{}\n{}", flow.client_id, flow.redirect_uri, flow.scopes.join(" ")))
}

async fn save_flow(server: &AuthorizationServer, id: &str, flow: &Flow) -> Result<(), Response> {
    let (id, flow, expires) = (id.to_string(), flow.clone(), now_ms() + FLOW_TTL.as_millis() as i64);
    server
        .state
        .write("a sign-in", move |s| records::put(s, records::FLOW, &id, &flow, Some(expires)))
        .await
        .map_err(|e| super::OAuthError::from(e).into_response())
}

async fn delete_flow(server: &AuthorizationServer, id: &str) -> Result<bool, crate::state::StateError> {
    let id = id.to_string();
    server.state.write("a finished sign-in", move |s| s.delete_record(records::FLOW, &id)).await
}

/// A 303 to `redirect_uri` with `params`, the client's `state` and `iss`.
fn redirect(
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
    server: &AuthorizationServer,
) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return page_error(StatusCode::BAD_REQUEST, "-", "The redirect URI is not a URL.");
    };
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in params {
            query.append_pair(key, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &server.config.issuer);
    }
    let location = HeaderValue::from_str(url.as_str()).expect("a serialized URL is a valid header");
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response()
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, BROWSER_COOKIE).filter(|value| !value.is_empty()).map(String::from)
}

/// An HTML page that no other site may frame or cache.
fn html_page(status: StatusCode, body: Markup) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn page_error(status: StatusCode, correlation: &str, why: &str) -> Response {
    html_page(
        status,
        bare(
            "Cannot authorize",
            html! {
                p.flash.error role="alert" { (why) }
                p.muted { "Reference for the operator: " code { (correlation) } }
            },
        ),
    )
}

/// Who asks, and where the browser goes afterwards.
fn client_summary(client: &Client, flow: &Flow) -> Markup {
    let host = Url::parse(&flow.redirect_uri).ok().and_then(|u| u.host_str().map(String::from)).unwrap_or_default();
    html! {
        p { strong { (client.name) } " asks to use this Portcullis on your behalf." }
        p.muted { "After you answer, your browser goes back to " strong { (host) } "." }
    }
}

fn hidden(flow: &Flow, flow_id: &str) -> Markup {
    html! {
        input type="hidden" name="flow" value=(flow_id);
        input type="hidden" name="csrf" value=(flow.csrf);
    }
}

fn sign_in(client: &Client, flow: &Flow, flow_id: &str, error: Option<&str>) -> Markup {
    bare(
        "Sign in",
        html! {
            (client_summary(client, flow))
            @if let Some(error) = error {
                p.flash.error role="alert" { (error) }
            }
            form.stack method="post" action="/auth/authorize" {
                (hidden(flow, flow_id))
                input type="hidden" name="action" value="login";
                label for="username" { "User name" }
                input #username name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                button.primary type="submit" { "Sign in" }
            }
        },
    )
}

fn consent(client: &Client, flow: &Flow, flow_id: &str, user: &str) -> Markup {
    bare(
        "Allow access?",
        html! {
            (client_summary(client, flow))
            p { "Signed in as " strong { (user) } ". It asks for:" }
            ul {
                @for scope in &flow.scopes {
                    li { code { (scope) } " — " (describe_scope(scope)) }
                }
            }
            form.stack method="post" action="/auth/authorize" {
                (hidden(flow, flow_id))
                label { input type="checkbox" name="remember" value="1"; " Remember this client" }
                button.primary type="submit" name="action" value="approve" { "Allow" }
                button type="submit" name="action" value="deny" { "Deny" }
            }
        },
    )
}

fn describe_scope(scope: &str) -> &'static str {
    match scope {
        "mcp:read" => "call read-only tools and read resources",
        "mcp:write" => "call tools that change things (run code, install, write files)",
        _ => "",
    }
}
