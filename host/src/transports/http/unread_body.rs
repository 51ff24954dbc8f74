//! A response sent before its request's body was read to the end says
//! `Connection: close`.
//!
//! hyper keeps such a connection alive only when the rest of the body
//! happens to be in its buffer already; otherwise it closes the connection
//! after the response without saying so, and a client that sends its next
//! request on it at once (the MCP SDK's OAuth flow after a 401 does) gets
//! "server disconnected without sending a response". Saying `close` makes
//! the client open a new connection instead. Rejections by the guards
//! (401, 403, 413, 429) are the usual case.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::http::{HeaderValue, Request, Response, header};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

/// A request body that notes when it has been read to its end.
pub struct TrackedBody {
    inner: Incoming,
    read_to_end: Arc<AtomicBool>,
}

/// Whether a request's body has been read to its end, for the response.
pub struct ReadToEnd(Arc<AtomicBool>);

/// Wraps `request`'s body so that [`close_if_unread`] can tell whether it was read.
pub fn track(request: Request<Incoming>) -> (Request<TrackedBody>, ReadToEnd) {
    let (parts, inner) = request.into_parts();
    let read_to_end = Arc::new(AtomicBool::new(inner.is_end_stream()));
    let body = TrackedBody { inner, read_to_end: read_to_end.clone() };
    (Request::from_parts(parts, body), ReadToEnd(read_to_end))
}

/// Adds `Connection: close` to `response` when its request's body was not read to the end.
pub fn close_if_unread<B>(mut response: Response<B>, read: &ReadToEnd) -> Response<B> {
    if !read.0.load(Ordering::Acquire) {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read_to_end.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
