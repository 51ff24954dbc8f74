//! Limits on what one client may ask: a per-client rate limit (429 with
//! `Retry-After`), a budget of failed authentications per address (429), a
//! request body cap (413) and a response deadline (504).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::forwarded::ClientAddr;
use super::reject;
use crate::caller::Principal;
use crate::config::RateLimit;
use crate::protocol::ResponseDeadline;

/// Counts each client's requests in fixed windows.
pub struct RateLimiter {
    limit: Option<RateLimit>,
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    started: Instant,
    count: u32,
}

impl Window {
    /// If the window is full, how long until it ends.
    fn refusal(&self, limit: RateLimit, now: Instant) -> Result<(), Duration> {
        match self.count >= limit.requests {
            true => Err(limit.window - now.duration_since(self.started)),
            false => Ok(()),
        }
    }
}

/// Beyond this many tracked clients, expired windows are swept out.
const SWEEP_ABOVE: usize = 4096;

impl RateLimiter {
    /// A limiter for `limit`; `None` lets everything through.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self { limit, windows: Mutex::default() }
    }

    /// Counts a request of `client`; if it is over the limit, how long until
    /// its window ends.
    fn admit(&self, client: &str, now: Instant) -> Result<(), Duration> {
        self.in_window(client, now, |window, limit| {
            window.refusal(limit, now)?;
            window.count += 1;
            Ok(())
        })
    }

    /// Whether `client` is over the limit (without counting this request).
    fn check(&self, client: &str, now: Instant) -> Result<(), Duration> {
        self.in_window(client, now, |window, limit| window.refusal(limit, now))
    }

    /// Counts one event of `client` (past the limit, it stays refused).
    fn count(&self, client: &str, now: Instant) {
        self.in_window(client, now, |window, _| {
            window.count = window.count.saturating_add(1);
            Ok(())
        })
        .unwrap_or_default();
    }

    /// Runs `f` on `client`'s current window (a fresh one once the last expired).
    fn in_window(
        &self,
        client: &str,
        now: Instant,
        f: impl FnOnce(&mut Window, RateLimit) -> Result<(), Duration>,
    ) -> Result<(), Duration> {
        let Some(limit) = self.limit else { return Ok(()) };
        let mut windows = self.windows.lock().unwrap();
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, w| now.duration_since(w.started) < limit.window);
        }
        let window = windows.entry(client.to_string()).or_insert(Window { started: now, count: 0 });
        if now.duration_since(window.started) >= limit.window {
            *window = Window { started: now, count: 0 };
        }
        f(window, limit)
    }
}

/// Failed authentications one IP address may make per window before its
/// requests are refused with 429 (key guessing), whatever the rate limit.
pub const AUTH_FAILURES: RateLimit = RateLimit { requests: 20, window: Duration::from_secs(60) };

/// The client's IP address: the listener's peer, or the client behind a
/// trusted proxy ([`ClientAddr`]).
fn peer(request: &Request) -> String {
    match request.extensions().get::<ClientAddr>() {
        Some(ClientAddr(client)) => client.to_string(),
        None => match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => peer.ip().to_string(),
            None => "unknown".into(),
        },
    }
}

/// A 429 answer saying `what` and when to retry.
fn too_many(wait: Duration, what: impl FnOnce(u64) -> String) -> Response {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let mut response = reject(StatusCode::TOO_MANY_REQUESTS, "rate_limited", what(seconds));
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Middleware: refuses (429) a client's requests beyond the limit. A client
/// is its authenticated principal, else its IP address.
pub async fn rate_limit(State(limiter): State<Arc<RateLimiter>>, request: Request, next: Next) -> Response {
    let client = match request.extensions().get::<Principal>() {
        Some(principal) => principal.to_string(),
        None => peer(&request),
    };
    match limiter.admit(&client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::info!(client, "rate limit reached");
            let limit = limiter.limit.expect("only a configured limit refuses");
            too_many(wait, |seconds| {
                format!(
                    "more than {} requests in {} ms; retry in {seconds} s (`http.rate_limit_requests` / RATE_LIMIT_REQUESTS)",
                    limit.requests,
                    limit.window.as_millis()
                )
            })
        }
    }
}

/// Middleware, outside authentication: counts the 401 answers each IP
/// address gets, and refuses (429) its requests once it has had
/// [`AUTH_FAILURES`] of them in a window.
pub async fn limit_auth_failures(State(failures): State<Arc<RateLimiter>>, request: Request, next: Next) -> Response {
    let address = peer(&request);
    if let Err(wait) = failures.check(&address, Instant::now()) {
        tracing::warn!(address, "too many failed authentications");
        return too_many(wait, |seconds| {
            format!(
                "more than {} failed authentications from this address in {} s; retry in {seconds} s",
                AUTH_FAILURES.requests,
                AUTH_FAILURES.window.as_secs()
            )
        });
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        failures.count(&address, Instant::now());
    }
    response
}

/// Middleware: refuses (413) a body whose `Content-Length` exceeds `max`
/// bytes, before it is read. Bodies without a length are cut off at `max` by
/// their readers, with 413 too: rmcp for `/mcp` (`with_max_request_body_bytes`)
/// and axum's `DefaultBodyLimit` for `/messages`.
pub async fn cap_body(State(max): State<usize>, request: Request, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return too_large(max);
    }
    next.run(request).await
}

/// The refusal (413) of a body larger than `max` bytes.
pub fn too_large(max: usize) -> Response {
    reject(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than {max} bytes (`http.max_body_bytes`)"),
    )
}

/// Middleware: answers 504 if the response has not started within `limit`
/// (the handler is cancelled, its [`ResponseDeadline`] marked first, so its
/// calls are recorded as timed out). Streams, once started, are not cut.
pub async fn deadline(State(limit): State<Duration>, mut request: Request, next: Next) -> Response {
    let deadline = ResponseDeadline::default();
    request.extensions_mut().insert(deadline.clone());
    let answer = next.run(request);
    tokio::pin!(answer);
    tokio::select! {
        response = &mut answer => response,
        () = tokio::time::sleep(limit) => {
            deadline.pass();
            reject(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                format!("no answer within {} s (`http.request_timeout_secs`)", limit.as_secs()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_own_window() {
        let limiter = RateLimiter::new(Some(RateLimit { requests: 2, window: Duration::from_secs(10) }));
        let start = Instant::now();
        assert!(limiter.admit("a", start).is_ok());
        assert!(limiter.admit("a", start).is_ok());
        let wait = limiter.admit("a", start + Duration::from_secs(4)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        assert!(limiter.admit("b", start).is_ok());
        assert!(limiter.admit("a", start + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn checking_does_not_count_and_counting_refuses_past_the_limit() {
        let failures = RateLimiter::new(Some(RateLimit { requests: 2, window: Duration::from_secs(60) }));
        let now = Instant::now();
        assert!((0..10).all(|_| failures.check("ip", now).is_ok()), "checks alone never refuse");
        failures.count("ip", now);
        failures.count("ip", now);
        assert_eq!(failures.check("ip", now + Duration::from_secs(15)), Err(Duration::from_secs(45)));
        assert!(failures.check("other", now).is_ok());
        assert!(failures.check("ip", now + Duration::from_secs(60)).is_ok(), "a new window starts afresh");
    }

    #[test]
    fn without_a_limit_everything_passes() {
        let limiter = RateLimiter::new(None);
        assert!((0..1000).all(|_| limiter.admit("a", Instant::now()).is_ok()));
    }
}
