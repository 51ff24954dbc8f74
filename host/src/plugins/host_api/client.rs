//! `client`: elicitation, sampling and roots requests to the calling client.

use crate::caller::ClientRequestError;
use crate::plugins::call::CallState;
use crate::wit::client::{ElicitRequest, ElicitResponse, Host, Root, SamplingRequest, SamplingResponse};
use crate::wit::types::Failure;

/// The import's result for a client answer: an unanswered request is a
/// `failed` error the plugin can act on.
fn answer<T>(result: Option<Result<T, ClientRequestError>>) -> wasmtime::Result<Result<T, Failure>> {
    Ok(match result {
        Some(Ok(value)) => Ok(value),
        Some(Err(ClientRequestError::Failed(why) | ClientRequestError::Pending(why))) => Err(Failure::Failed(why)),
        None => Err(Failure::Failed("no client is attached to this call".into())),
    })
}

impl Host for CallState {
    async fn elicit(&mut self, request: ElicitRequest) -> wasmtime::Result<Result<ElicitResponse, Failure>> {
        let client = self.caller.call.client.clone();
        answer(match client {
            Some(client) => Some(client.elicit(request).await),
            None => None,
        })
    }

    async fn sample(&mut self, request: SamplingRequest) -> wasmtime::Result<Result<SamplingResponse, Failure>> {
        let client = self.caller.call.client.clone();
        answer(match client {
            Some(client) => Some(client.sample(request).await),
            None => None,
        })
    }

    async fn list_roots(&mut self, key: Option<String>) -> wasmtime::Result<Result<Vec<Root>, Failure>> {
        let client = self.caller.call.client.clone();
        answer(match client {
            Some(client) => Some(client.list_roots(key).await),
            None => None,
        })
    }
}
