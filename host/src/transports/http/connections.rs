//! Accepting connections: at most `http.max_connections` at once (others are
//! closed on arrival), request headers must arrive within
//! `http.header_timeout_secs` (slow or half-sent requests are closed), and
//! on shutdown no new connection is accepted while the open ones finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::Service;

/// How long to wait before accepting again after the OS refused (out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `stop_accepting` fires and every
/// connection has closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    max_connections: usize,
    header_timeout: Duration,
    stop_accepting: CancellationToken,
) {
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let slots = Arc::new(Semaphore::new(max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = stop_accepting.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max_connections, "refusing a connection: `http.max_connections` are open");
            continue;
        };
        // Without TCP_NODELAY, the small writes of a streamed answer wait for
        // the client's delayed ACK (about 40 ms per response).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let Ok(service) = make_service.call(peer).await;
        let hyper_service = hyper::service::service_fn(move |request| service.clone().call(request));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(tcp), hyper_service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(slot);
        });
    }
    // Closing the listener now refuses new connections outright, rather than
    // leaving them in the backlog until the open ones finish.
    drop(listener);
    graceful.shutdown().await;
}
