//! The connection to the Docker engine: made lazily, retried on every call
//! until it succeeds, and negotiated down to the engine's API version.

use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use tokio::sync::Mutex;

use super::error::Error;

/// How long connecting (and negotiating the API version) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The engine address and, once reached, a client for it.
pub(super) struct Engine {
    host: Arc<str>,
    client: Mutex<Option<Client>>,
}

/// A connected client, which knows its engine's address for error messages.
#[derive(Clone)]
pub(super) struct Client {
    /// The `bollard` handle.
    pub(super) api: Docker,
    host: Arc<str>,
}

impl Client {
    /// Turns a `bollard` error while doing `action` into a typed one.
    pub(super) fn err(&self, action: &'static str) -> impl FnOnce(bollard::errors::Error) -> Error + '_ {
        move |error| Error::from_engine(&self.host, action, error)
    }
}

impl Engine {
    /// An engine at `host` (`unix://…`, `tcp://…`, `http://…`); nothing is
    /// contacted until [`client`](Self::client) is called.
    pub(super) fn new(host: &str) -> Self {
        Self { host: host.into(), client: Mutex::new(None) }
    }

    /// A client, connecting first if no attempt has succeeded yet. A failure
    /// names the address and says how to fix it; the next call tries again.
    pub(super) async fn client(&self) -> Result<Client, Error> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let unreachable = |detail: String| Error::Unreachable { host: self.host.to_string(), detail };
        let docker = Docker::connect_with_host(&self.host).map_err(|e| unreachable(e.to_string()))?;
        let docker = tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| unreachable(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(e.to_string()))?;
        let client = Client { api: docker, host: self.host.clone() };
        *slot = Some(client.clone());
        Ok(client)
    }
}
