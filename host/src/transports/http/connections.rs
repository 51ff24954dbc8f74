//! Accepting connections: at most `http.max_connections` at once (others are
//! closed on arrival), request headers must arrive within
//! `http.header_timeout_secs` (slow or half-sent requests are closed), and
//! on shutdown no new connection is accepted while the open ones finish.
//! With TLS the handshake must be done within that time too, and a plain
//! HTTP request on the TLS port gets a plain 400 saying to use `https://`.
//! A response sent before its request's body was read closes the connection
//! (`unread_body`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tower::Service;

use super::tls::{HANDSHAKE_RECORD, Tls};
use super::unread_body;

/// The answer to a plain HTTP request on the TLS port.
const PLAIN_ON_TLS: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nThis port serves HTTPS: use an https:// URL.\n";

/// How long to wait before accepting again after the OS refused (out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` (over TLS when `tls` is set) until
/// `stop_accepting` fires and every connection has closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<Tls>>,
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
        let connection = Connection { builder: builder.clone(), graceful: graceful.watcher(), peer, slot };
        match &tls {
            None => connection.serve(TokioIo::new(tcp), &mut make_service).await,
            Some(tls) => {
                let acceptor = tls.acceptor();
                let Ok(service) = make_service.call(peer).await;
                tokio::spawn(async move {
                    let handshake = async {
                        if !starts_a_tls_handshake(&tcp).await? {
                            let mut tcp = tcp;
                            let _ = tcp.write_all(PLAIN_ON_TLS).await;
                            let _ = tcp.shutdown().await;
                            return Err(std::io::Error::other("a plain HTTP request on the TLS port"));
                        }
                        acceptor.accept(tcp).await
                    };
                    match tokio::time::timeout(header_timeout, handshake).await {
                        Ok(Ok(stream)) => connection.run(TokioIo::new(stream), service).await,
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    // Closing the listener now refuses new connections outright, rather than
    // leaving them in the backlog until the open ones finish.
    drop(listener);
    graceful.shutdown().await;
}

/// Whether the first byte the client sent opens a TLS handshake.
async fn starts_a_tls_handshake(tcp: &TcpStream) -> std::io::Result<bool> {
    let mut first = [0u8; 1];
    let read = tcp.peek(&mut first).await?;
    Ok(read == 1 && first[0] == HANDSHAKE_RECORD)
}

/// One accepted connection, holding its place among `http.max_connections`.
struct Connection {
    builder: http1::Builder,
    graceful: Watcher,
    peer: SocketAddr,
    slot: OwnedSemaphorePermit,
}

type MakeService = IntoMakeServiceWithConnectInfo<Router, SocketAddr>;

/// The app for one connection, knowing its peer's address.
type PeerService = axum::middleware::AddExtension<Router, axum::extract::ConnectInfo<SocketAddr>>;

impl Connection {
    /// Serves a plain connection in a task of its own.
    async fn serve<I>(self, io: I, make_service: &mut MakeService)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let Ok(service) = make_service.call(self.peer).await;
        tokio::spawn(self.run(io, service));
    }

    /// Serves requests on `io` until the connection ends.
    async fn run<I>(self, io: I, service: PeerService)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let Connection { builder, graceful, peer, slot } = self;
        let hyper_service = hyper::service::service_fn(move |request| {
            let (request, read) = unread_body::track(request);
            let answer = service.clone().call(request);
            async move { answer.await.map(|response| unread_body::close_if_unread(response, &read)) }
        });
        if let Err(e) = graceful.watch(builder.serve_connection(io, hyper_service)).await {
            tracing::debug!(%peer, "connection ended: {e}");
        }
        drop(slot);
    }
}
