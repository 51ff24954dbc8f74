//! [`Detached`]: the client link of a call that no MCP client made (a plain
//! REST request), so there is nobody to notify or to ask.

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::caller::{ClientLink, ClientRequestError};
use crate::wit::client::{ElicitRequest, ElicitResponse, Root, SamplingRequest, SamplingResponse};
use crate::wit::log::Level;

/// A client link with no client behind it. Log records and progress are
/// dropped (log records still reach the host's log); elicitation, sampling
/// and roots fail with a message that says why and what to do, which the
/// tool usually returns as its error.
///
/// Giving such a call this link rather than none also keeps an upstream
/// server's requests for input from going to some other client's call.
pub struct Detached {
    /// Names the plane for messages, e.g. "REST (`/rest/tools`)".
    pub plane: &'static str,
}

impl Detached {
    fn refuse<T>(&self, what: &str) -> BoxFuture<'_, Result<T, ClientRequestError>> {
        let why = format!(
            "this tool asked the client for {what}, but it was called over {}, which has no MCP client to ask; \
             call it from an MCP client instead",
            self.plane
        );
        async move { Err(ClientRequestError::Failed(why)) }.boxed()
    }
}

impl ClientLink for Detached {
    fn log(&self, _level: Level, _logger: String, _message: String) -> BoxFuture<'_, ()> {
        async {}.boxed()
    }

    fn progress(&self, _progress: f64, _total: Option<f64>, _message: Option<String>) -> BoxFuture<'_, ()> {
        async {}.boxed()
    }

    fn elicit(&self, _request: ElicitRequest) -> BoxFuture<'_, Result<ElicitResponse, ClientRequestError>> {
        self.refuse("input (elicitation)")
    }

    fn can_elicit(&self) -> bool {
        false
    }

    fn sample(&self, _request: SamplingRequest) -> BoxFuture<'_, Result<SamplingResponse, ClientRequestError>> {
        self.refuse("a completion from its model (sampling)")
    }

    fn list_roots(&self, _key: Option<String>) -> BoxFuture<'_, Result<Vec<Root>, ClientRequestError>> {
        self.refuse("its roots")
    }

    /// A plane without MCP has no tasks: the call answers in its request.
    fn run_as_task(&self) -> BoxFuture<'_, bool> {
        async { false }.boxed()
    }
}
