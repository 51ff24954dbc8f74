//! Newline-delimited JSON-RPC on a reader and a writer, as rmcp's
//! `AsyncRwTransport` does it, but a request rmcp's types cannot decode is
//! answered with its own `id`, so the client does not wait forever: `-32602`
//! (invalid params) when its `params` is not an object, `-32600` (invalid
//! request) otherwise. Only a line that fails to decode is looked at again.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ErrorData, RequestId, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::async_rw::{DEFAULT_MAX_LINE_LENGTH, JsonRpcMessageCodec};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Mutex;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{Decoder, FramedRead, FramedWrite};

type Writer<W> = FramedWrite<W, JsonRpcMessageCodec<ServerJsonRpcMessage>>;

/// The server side of a stdio connection: reads client messages from `R`,
/// writes server messages to `W`.
pub struct Wire<R, W> {
    lines: FramedRead<R, Lines>,
    write: Arc<Mutex<Option<Writer<W>>>>,
    /// A refusal not yet written; `receive` is polled inside a `select!`, so
    /// writing it must survive being cancelled half way.
    refusal: Option<Refusal>,
}

enum Refusal {
    Feed(Box<ServerJsonRpcMessage>),
    Flush,
}

impl<R: AsyncRead, W: AsyncWrite> Wire<R, W> {
    /// A transport over `read` and `write`.
    pub fn new(read: R, write: W) -> Self {
        Self {
            lines: FramedRead::new(read, Lines::default()),
            write: Arc::new(Mutex::new(Some(FramedWrite::new(write, JsonRpcMessageCodec::default())))),
            refusal: None,
        }
    }
}

impl<R, W> Wire<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    /// Writes the pending refusal, if any; `None` once the writer is gone.
    async fn write_refusal(&mut self) -> Option<()> {
        let Some(refusal) = self.refusal.as_mut() else { return Some(()) };
        let mut write = self.write.lock().await;
        let framed = write.as_mut()?;
        if let Refusal::Feed(reply) = refusal {
            framed.feed((**reply).clone()).await.ok()?;
            *refusal = Refusal::Flush;
        }
        framed.flush().await.ok()?;
        self.refusal = None;
        Some(())
    }
}

impl<R, W> Transport<RoleServer> for Wire<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    type Error = std::io::Error;

    fn send(&mut self, item: ServerJsonRpcMessage) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let write = self.write.clone();
        async move {
            match write.lock().await.as_mut() {
                Some(framed) => framed.send(item).await.map_err(Into::into),
                None => Err(std::io::Error::new(std::io::ErrorKind::NotConnected, "the transport is closed")),
            }
        }
    }

    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        loop {
            self.write_refusal().await?;
            let line = match self.lines.next().await? {
                Ok(line) => line,
                Err(e) => {
                    tracing::error!("cannot read stdin: {e}");
                    return None;
                }
            };
            match decode(&line) {
                Decoded::Message(message) => return Some(message),
                Decoded::Refused(reply) => self.refusal = Some(Refusal::Feed(Box::new(reply))),
                Decoded::Ignored => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        drop(self.write.lock().await.take());
        Ok(())
    }
}

/// What a line holds.
enum Decoded {
    Message(ClientJsonRpcMessage),
    /// A request that cannot be served, and its error reply.
    Refused(ServerJsonRpcMessage),
    /// Nothing to answer: blank, not JSON, or a malformed notification.
    Ignored,
}

/// The fields of a message that decide how to refuse it.
#[derive(Deserialize)]
struct Probe<'a> {
    id: Option<RequestId>,
    #[serde(borrow)]
    method: Option<&'a RawValue>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
}

fn decode(line: &[u8]) -> Decoded {
    let error = match serde_json::from_slice::<ClientJsonRpcMessage>(line) {
        Ok(message) => return Decoded::Message(message),
        Err(e) => e,
    };
    if error.is_syntax() || error.is_eof() {
        // No id to answer, and answering garbage can start an error storm
        // with a peer that echoes it (as the other MCP SDKs, ignored).
        tracing::debug!("ignoring an unparsable line: {error}");
        return Decoded::Ignored;
    }
    tracing::debug!("refusing a malformed message: {error}");
    let probe = serde_json::from_slice::<Probe>(line).ok();
    let (id, params) = match probe {
        // A notification gets no answer, even an error.
        Some(Probe { id: None, method: Some(_), .. }) => return Decoded::Ignored,
        Some(Probe { id, params, .. }) => (id, params),
        None => (None, None),
    };
    let not_object = params.is_some_and(|p| !matches!(p.get().as_bytes().first(), Some(b'{' | b'n')));
    let error = if not_object {
        ErrorData::invalid_params("`params` must be an object", None)
    } else {
        ErrorData::invalid_request(format!("invalid request: {error}"), None)
    };
    Decoded::Refused(ServerJsonRpcMessage::error(error, id))
}

/// Splits the input at `\n` into lines without the `\r\n` or `\n` and a
/// leading byte order mark; a line longer than rmcp's
/// [`DEFAULT_MAX_LINE_LENGTH`] is dropped, never buffered whole.
#[derive(Default)]
struct Lines {
    /// How far the buffer has been searched for `\n`.
    searched: usize,
    /// Dropping the rest of a line that is too long.
    discarding: bool,
}

impl Decoder for Lines {
    type Item = BytesMut;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> std::io::Result<Option<BytesMut>> {
        loop {
            let Some(end) = buf[self.searched..].iter().position(|b| *b == b'\n').map(|at| self.searched + at) else {
                if buf.len() > DEFAULT_MAX_LINE_LENGTH || self.discarding {
                    self.too_long();
                    buf.clear();
                    self.searched = 0;
                } else {
                    self.searched = buf.len();
                }
                return Ok(None);
            };
            let mut line = buf.split_to(end + 1);
            self.searched = 0;
            if end > DEFAULT_MAX_LINE_LENGTH || self.discarding {
                self.too_long();
                self.discarding = false;
                continue;
            }
            line.truncate(if line.ends_with(b"\r\n") { end - 1 } else { end });
            if line.starts_with(b"\xEF\xBB\xBF") {
                let _ = line.split_to(3);
            }
            return Ok(Some(line));
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> std::io::Result<Option<BytesMut>> {
        // A last line without `\n` is incomplete: nothing to deliver.
        let line = self.decode(buf)?;
        if line.is_none() {
            buf.clear();
        }
        Ok(line)
    }
}

impl Lines {
    /// Notes a line that is too long, once per line.
    fn too_long(&mut self) {
        if !self.discarding {
            tracing::error!(
                max = DEFAULT_MAX_LINE_LENGTH,
                "an incoming message exceeds the longest line read; dropped"
            );
            self.discarding = true;
        }
    }
}
