//! Limits on what one client may ask: a per-client rate limit (429 with
//! `Retry-After`), a request body cap (413) and a response deadline (504).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::reject;
use crate::caller::Principal;
use crate::config::RateLimit;

/// Counts each client's requests in fixed windows.
pub struct RateLimiter {
    limit: Option<RateLimit>,
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    started: Instant,
    count: u32,
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
        let Some(limit) = self.limit else { return Ok(()) };
        let mut windows = self.windows.lock().unwrap();
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, w| now.duration_since(w.started) < limit.window);
        }
        let window = windows.entry(client.to_string()).or_insert(Window { started: now, count: 0 });
        if now.duration_since(window.started) >= limit.window {
            *window = Window { started: now, count: 0 };
        }
        if window.count >= limit.requests {
            return Err(limit.window - now.duration_since(window.started));
        }
        window.count += 1;
        Ok(())
    }
}

/// Middleware: refuses (429) a client's requests beyond the limit. A client
/// is its authenticated principal, else its IP address.
pub async fn rate_limit(State(limiter): State<Arc<RateLimiter>>, request: Request, next: Next) -> Response {
    let client = match (request.extensions().get::<Principal>(), request.extensions().get::<ConnectInfo<SocketAddr>>())
    {
        (Some(principal), _) => principal.to_string(),
        (None, Some(ConnectInfo(peer))) => peer.ip().to_string(),
        (None, None) => "unknown".into(),
    };
    match limiter.admit(&client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            tracing::info!(client, "rate limit reached");
            let limit = limiter.limit.expect("only a configured limit refuses");
            let mut response = reject(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "more than {} requests in {} ms; retry in {seconds} s (`http.rate_limit_requests` / RATE_LIMIT_REQUESTS)",
                    limit.requests,
                    limit.window.as_millis()
                ),
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            response
        }
    }
}

/// Middleware: refuses (413) a body whose `Content-Length` exceeds `max`
/// bytes, before it is read. Bodies without a length are cut off at `max` by
/// their readers, with 413 too: rmcp for `/mcp` (`with_max_request_body_bytes`)
/// and axum's `DefaultBodyLimit` for `/messages`.
pub async fn cap_body(State(max): State<usize>, request: Request, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {max} bytes (`http.max_body_bytes`)"),
        );
    }
    next.run(request).await
}

/// Middleware: answers 504 if the response has not started within `limit`
/// (the handler is cancelled). Streams, once started, are not cut.
pub async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => reject(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!("no answer within {} s (`http.request_timeout_secs`)", limit.as_secs()),
        ),
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
    fn without_a_limit_everything_passes() {
        let limiter = RateLimiter::new(None);
        assert!((0..1000).all(|_| limiter.admit("a", Instant::now()).is_ok()));
    }
}
