//! Streamable HTTP sessions: rmcp's session manager, refusing a new session
//! while `max` are live or its principal holds `max_per_principal`, putting
//! a call's log records on its own response stream (rmcp routes only its
//! progress there), and resuming a stream after the client's
//! `Last-Event-ID`. Idle sessions expire after `http.session_idle_secs`
//! (five minutes), so abandoned ones free their place; a session is idle
//! only with no request in flight and no stream open, so a long silent call
//! (an install, a pull, a user thinking over an elicitation) keeps its
//! session. rmcp's own expiry counts only messages, so it is off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use rmcp::model::{ClientJsonRpcMessage, ErrorCode, ErrorData, GetExtensions, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, LocalSessionManagerError};
use rmcp::transport::streamable_http_server::session::{ServerSseMessage, SessionId, SessionManager};
use tokio::sync::mpsc;

use crate::caller::Principal;
use crate::config::HttpConfig;
use crate::protocol::CallStream;

/// [`LocalSessionManager`] with caps on how many sessions it holds.
pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    max_per_principal: usize,
    /// The principal of each authenticated session; entries of sessions that
    /// ended are dropped at the next initialize.
    owners: Mutex<HashMap<SessionId, Principal>>,
    /// What each live session is doing, for expiring the idle ones.
    activity: Arc<Mutex<HashMap<SessionId, Activity>>>,
    /// How long a session may be idle (`http.session_idle_secs`).
    idle: Duration,
}

/// A session's requests in flight and open streams, and when it last had any.
struct Activity {
    busy: usize,
    last: Instant,
}

/// Holds a session busy until dropped (with the stream it is attached to).
struct Busy {
    activity: Arc<Mutex<HashMap<SessionId, Activity>>>,
    id: SessionId,
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(session) = self.activity.lock().unwrap().get_mut(&self.id) {
            session.busy = session.busy.saturating_sub(1);
            session.last = Instant::now();
        }
    }
}

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CappedError {
    /// The cap is reached.
    #[error(
        "the server already holds {0} sessions, the most it keeps (`http.max_sessions`); close idle sessions (DELETE) or retry when they expire"
    )]
    Full(usize),
    /// What the session manager said.
    #[error(transparent)]
    Inner(#[from] LocalSessionManagerError),
}

impl CappedSessions {
    /// A session manager that holds at most `http.max_sessions` sessions,
    /// and at most `http.max_sessions_per_principal` for one authenticated
    /// principal, and ends a session idle for `http.session_idle_secs`.
    /// Must be called within a Tokio runtime: it starts the expiry task,
    /// which ends with the manager.
    pub fn start(config: &HttpConfig) -> Arc<Self> {
        let mut inner = LocalSessionManager::default();
        inner.session_config.keep_alive = None;
        let sessions = Arc::new(Self {
            inner,
            max: config.max_sessions,
            max_per_principal: config.max_sessions_per_principal,
            owners: Mutex::default(),
            activity: Arc::default(),
            idle: config.session_idle,
        });
        tokio::spawn(expire_idle(Arc::downgrade(&sessions)));
        sessions
    }

    /// Marks session `id` as used now.
    fn touch(&self, id: &SessionId) {
        let mut activity = self.activity.lock().unwrap();
        let session = activity.entry(id.clone()).or_insert(Activity { busy: 0, last: Instant::now() });
        session.last = Instant::now();
    }

    /// Holds session `id` busy until the guard is dropped.
    fn busy(&self, id: &SessionId) -> Busy {
        let mut activity = self.activity.lock().unwrap();
        let session = activity.entry(id.clone()).or_insert(Activity { busy: 0, last: Instant::now() });
        session.busy += 1;
        Busy { activity: self.activity.clone(), id: id.clone() }
    }

    /// The sessions idle for `idle` or longer; forgets those rmcp no longer holds.
    async fn idle_sessions(&self) -> Vec<SessionId> {
        let live = self.inner.sessions.read().await;
        let mut activity = self.activity.lock().unwrap();
        activity.retain(|id, _| live.contains_key(id));
        activity
            .iter()
            .filter(|(_, a)| a.busy == 0 && a.last.elapsed() >= self.idle)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records `id` as a session of the principal that initializes it, unless
    /// that principal holds its most already. Unauthenticated sessions are
    /// each their own principal, so they are not counted.
    async fn claim(&self, id: &SessionId, message: &ClientJsonRpcMessage) -> bool {
        let ClientJsonRpcMessage::Request(request) = message else { return true };
        let parts = request.request.extensions().get::<http::request::Parts>();
        let Some(principal) = parts.and_then(|parts| parts.extensions.get::<Principal>()) else { return true };
        let live = self.inner.sessions.read().await;
        let mut owners = self.owners.lock().unwrap();
        owners.retain(|id, _| live.contains_key(id));
        let held = owners.values().filter(|owner| *owner == principal).count();
        if held >= self.max_per_principal {
            tracing::warn!(%principal, held, "refusing a new HTTP session: `http.max_sessions_per_principal` reached");
            return false;
        }
        owners.insert(id.clone(), principal.clone());
        true
    }

    /// The answer to an initialize refused by [`CappedSessions::claim`].
    fn refusal(&self, message: &ClientJsonRpcMessage) -> ServerJsonRpcMessage {
        let id = match message {
            ClientJsonRpcMessage::Request(request) => Some(request.id.clone()),
            _ => None,
        };
        let why = format!(
            "this principal already holds {} sessions, the most one may (`http.max_sessions_per_principal`); close idle sessions (DELETE) or retry when they expire",
            self.max_per_principal
        );
        ServerJsonRpcMessage::error(ErrorData::new(ErrorCode(-32000), why, None), id)
    }
}

impl SessionManager for CappedSessions {
    type Error = CappedError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let live = self.inner.sessions.read().await.len();
        if live >= self.max {
            tracing::warn!(live, "refusing a new HTTP session: `http.max_sessions` reached");
            return Err(CappedError::Full(self.max));
        }
        let (id, transport) = self.inner.create_session().await?;
        self.touch(&id);
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        if !self.claim(id, &message).await {
            self.inner.close_session(id).await?;
            return Ok(self.refusal(&message));
        }
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.activity.lock().unwrap().remove(id);
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        mut message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let (call_stream, notes) = CallStream::channel();
        if let ClientJsonRpcMessage::Request(request) = &mut message {
            request.request.extensions_mut().insert(call_stream);
        }
        let busy = self.busy(id);
        Ok(holding(busy, notes_first(notes, self.inner.create_stream(id, message).await?)))
    }

    async fn accept_message(&self, id: &SessionId, message: ClientJsonRpcMessage) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let busy = self.busy(id);
        Ok(holding(busy, self.inner.create_standalone_stream(id).await?))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let busy = self.busy(id);
        Ok(holding(busy, self.inner.resume(id, next_event_id(&last_event_id)).await?))
    }
}

/// Ends the sessions that are idle, checking a few times per idle period,
/// until the manager is dropped.
async fn expire_idle(sessions: Weak<CappedSessions>) {
    let every = match sessions.upgrade() {
        Some(sessions) => (sessions.idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(5)),
        None => return,
    };
    loop {
        tokio::time::sleep(every).await;
        let Some(sessions) = sessions.upgrade() else { return };
        for id in sessions.idle_sessions().await {
            tracing::info!(session = %id, idle_secs = sessions.idle.as_secs(), "ending an idle HTTP session");
            if let Err(e) = sessions.close_session(&id).await {
                tracing::warn!(session = %id, "could not end an idle session: {e}");
            }
        }
    }
}

/// `stream`, holding its session busy until it ends or is dropped.
fn holding(
    busy: Busy,
    stream: impl Stream<Item = ServerSseMessage> + Send + Sync + 'static,
) -> impl Stream<Item = ServerSseMessage> + Send + Sync + 'static {
    stream.map(move |message| {
        let _held = &busy;
        message
    })
}

/// `replies` with the call's own notifications merged in, each as soon as
/// it is sent, ahead of whatever `replies` has ready: a record logged before
/// the result is sent before it. The stream ends with `replies`. The merged
/// notifications have no event id, so a resumed stream does not replay them.
fn notes_first(
    mut notes: mpsc::Receiver<ServerJsonRpcMessage>,
    replies: impl Stream<Item = ServerSseMessage> + Send + Sync + 'static,
) -> impl Stream<Item = ServerSseMessage> + Send + Sync + 'static {
    let mut replies = Box::pin(replies);
    futures::stream::poll_fn(move |cx| {
        if let Poll::Ready(Some(note)) = notes.poll_recv(cx) {
            return Poll::Ready(Some(ServerSseMessage::from_message(note)));
        }
        replies.poll_next_unpin(cx)
    })
}

/// The id of the event after `last` on the same stream (`<index>` or
/// `<index>/<request>`). rmcp replays from the id it is given, so it is given
/// the next one: the client already has `last`. An id rmcp would not parse is
/// passed on for it to refuse.
fn next_event_id(last: &str) -> String {
    let (index, stream) = match last.split_once('/') {
        Some((index, stream)) => (index, Some(stream)),
        None => (last, None),
    };
    match (index.parse::<usize>().ok().and_then(|i| i.checked_add(1)), stream) {
        (Some(next), Some(stream)) => format!("{next}/{stream}"),
        (Some(next), None) => next.to_string(),
        (None, _) => last.to_string(),
    }
}
