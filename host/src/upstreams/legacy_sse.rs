//! The client side of the legacy HTTP+SSE transport (MCP 2024-11-05), for
//! `url` servers that do not speak Streamable HTTP: a GET opens an event
//! stream whose first `endpoint` event names where to POST messages; the
//! server's messages arrive as `message` events on the stream.
//!
//! The endpoint must be on the server's own origin, so the entry's headers
//! (which may hold secrets) never go anywhere else.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use futures::stream::BoxStream;
use http::HeaderMap;
use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use sse_stream::{Sse, SseStream};

/// How long the server has to send its `endpoint` event.
const ENDPOINT_WITHIN: Duration = Duration::from_secs(10);

/// A legacy SSE connection to one server.
pub(super) struct LegacySse {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    headers: HeaderMap,
    messages: BoxStream<'static, RxJsonRpcMessage<RoleClient>>,
}

/// Follows a redirect only within the first URL's origin (as rmcp's
/// Streamable HTTP client does), so the entry's headers, which may hold
/// secrets, reach no other host; another redirect is answered as it is.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt.previous().first().is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS { attempt.follow() } else { attempt.stop() }
    })
}

/// How many same-origin redirects a request follows.
const MAX_REDIRECTS: usize = 10;

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct SendError(String);

impl LegacySse {
    /// Opens the event stream at `url` with `headers` and waits for its
    /// `endpoint` event. Fails when the server does not answer with an event
    /// stream (it does not speak this transport either).
    pub(super) async fn connect(url: &str, headers: HeaderMap) -> Result<LegacySse> {
        let http =
            reqwest::Client::builder().redirect(same_origin_redirects()).build().context("building the HTTP client")?;
        let base = reqwest::Url::parse(url).with_context(|| format!("`{url}` is not a URL"))?;
        let response = http
            .get(base.clone())
            .headers(headers.clone())
            .header(http::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .with_context(|| format!("GET {base}"))?;
        let status = response.status();
        let is_stream = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !status.is_success() || !is_stream {
            bail!("GET {base} answered {status} without an event stream");
        }
        let mut events = SseStream::from_bytes_stream(response.bytes_stream()).boxed();
        let endpoint = tokio::time::timeout(ENDPOINT_WITHIN, async {
            while let Some(event) = events.next().await {
                match event {
                    Ok(Sse { event: Some(kind), data: Some(data), .. }) if kind == "endpoint" => return Ok(data),
                    Ok(_) => continue,
                    Err(e) => return Err(anyhow!("its event stream broke: {e}")),
                }
            }
            Err(anyhow!("its event stream ended before naming an endpoint"))
        })
        .await
        .map_err(|_| anyhow!("it sent no `endpoint` event within {} s", ENDPOINT_WITHIN.as_secs()))??;
        let endpoint = same_origin(&base, &endpoint)?;
        let messages = events.filter_map(|event| std::future::ready(message(event))).boxed();
        Ok(LegacySse { http, endpoint, headers, messages })
    }
}

/// `endpoint` resolved against `base`, if it stays on `base`'s origin.
fn same_origin(base: &reqwest::Url, endpoint: &str) -> Result<reqwest::Url> {
    let resolved = base.join(endpoint).with_context(|| format!("its endpoint `{endpoint}` is not a URL"))?;
    if resolved.origin() != base.origin() {
        bail!(
            "its endpoint `{resolved}` is not on {}; refused, so the server's headers go nowhere else",
            base.origin().ascii_serialization()
        );
    }
    Ok(resolved)
}

/// The JSON-RPC message an event carries, if it carries one; other events
/// and messages that do not parse are logged and skipped.
fn message(event: Result<Sse, sse_stream::Error>) -> Option<RxJsonRpcMessage<RoleClient>> {
    match event {
        Ok(Sse { event, data: Some(data), .. }) if event.as_deref().is_none_or(|e| e == "message") => {
            match serde_json::from_str(&data) {
                Ok(message) => Some(message),
                Err(e) => {
                    tracing::warn!("an upstream sent an SSE message that is not JSON-RPC ({e}); skipped");
                    None
                }
            }
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!("an upstream's event stream broke: {e}");
            None
        }
    }
}

impl Transport<RoleClient> for LegacySse {
    type Error = SendError;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), SendError>> + Send + 'static {
        let request = self.http.post(self.endpoint.clone()).headers(self.headers.clone()).json(&item);
        async move {
            let response = request.send().await.map_err(|e| SendError(format!("POST failed: {e}")))?;
            match response.status() {
                status if status.is_success() => Ok(()),
                status => Err(SendError(format!("POST answered {status}"))),
            }
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.messages.next()
    }

    async fn close(&mut self) -> Result<(), SendError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_must_stay_on_the_servers_origin() {
        let base = reqwest::Url::parse("https://mcp.example.com/sse").unwrap();
        let relative = same_origin(&base, "/messages?sessionId=1").unwrap();
        assert_eq!(relative.as_str(), "https://mcp.example.com/messages?sessionId=1");
        assert!(same_origin(&base, "https://mcp.example.com/m").is_ok());
        for elsewhere in ["https://evil.example.com/m", "http://mcp.example.com/m", "//evil.example.com/m"] {
            let refused = same_origin(&base, elsewhere).unwrap_err().to_string();
            assert!(refused.contains("refused"), "{elsewhere}: {refused}");
        }
    }

    #[test]
    fn only_message_events_with_json_rpc_are_messages() {
        let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        assert!(message(Ok(Sse::default().event("message").data(ping))).is_some());
        assert!(message(Ok(Sse::default().data(ping))).is_some());
        assert!(message(Ok(Sse::default().event("endpoint").data("/m"))).is_none());
        assert!(message(Ok(Sse::default().event("message").data("not json"))).is_none());
    }

    #[tokio::test]
    async fn a_redirect_to_another_origin_is_not_followed() {
        use std::sync::atomic::{AtomicBool, Ordering};

        use axum::response::Redirect;
        use axum::routing::get;

        async fn listen(routes: axum::Router) -> String {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/sse", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, routes).await });
            url
        }
        let reached = std::sync::Arc::new(AtomicBool::new(false));
        let seen = reached.clone();
        let elsewhere = listen(axum::Router::new().route(
            "/sse",
            get(move || async move {
                seen.store(true, Ordering::SeqCst);
                ""
            }),
        ))
        .await;
        let first =
            listen(axum::Router::new().route("/sse", get(move || async move { Redirect::temporary(&elsewhere) })))
                .await;
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "secret".parse().unwrap());
        let refused = match LegacySse::connect(&first, headers).await {
            Ok(_) => panic!("a redirect elsewhere was followed"),
            Err(e) => e.to_string(),
        };
        assert!(refused.contains("307"), "{refused}");
        assert!(!reached.load(Ordering::SeqCst), "the other origin was reached");
    }
}
