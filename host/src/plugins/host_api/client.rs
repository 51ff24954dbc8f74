//! `client`: elicitation and sampling requests to the calling client.

use crate::plugins::bindings::client::{ElicitRequest, ElicitResponse, Host, SamplingRequest, SamplingResponse};
use crate::plugins::bindings::types::Failure;
use crate::plugins::call::{CallState, ClientRequestError};

use super::InputRequired;

/// Turns a client answer into the import's result, or ends the call when the
/// answer must come back as an input-required round trip.
fn answer<T>(result: Result<T, ClientRequestError>) -> wasmtime::Result<Result<T, Failure>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(ClientRequestError::Failed(why)) => Ok(Err(Failure::Failed(why))),
        Err(ClientRequestError::InputRequired) => Err(wasmtime::Error::new(InputRequired)),
    }
}

fn no_client() -> Failure {
    Failure::Failed("no client is attached to this call".into())
}

impl Host for CallState {
    async fn elicit(&mut self, request: ElicitRequest) -> wasmtime::Result<Result<ElicitResponse, Failure>> {
        match &self.call.client {
            Some(client) => answer(client.elicit(request).await),
            None => Ok(Err(no_client())),
        }
    }

    async fn sample(&mut self, request: SamplingRequest) -> wasmtime::Result<Result<SamplingResponse, Failure>> {
        match &self.call.client {
            Some(client) => answer(client.sample(request).await),
            None => Ok(Err(no_client())),
        }
    }

    async fn session_id(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.call.session_id.clone())
    }
}
