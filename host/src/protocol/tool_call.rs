//! A `tools/call`, whichever plane carries it: an MCP request
//! ([`McpSession`](super::McpSession)) or a plain REST request
//! (`transports::http::rest`). Both look tools up with
//! [`McpState::visible_tool`] and call them with [`McpState::call_tool`], so a
//! tool is seen, judged, run, logged and counted the same way wherever the
//! call comes from.

use std::sync::Arc;
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{CallToolResponse, JsonObject, Tool};

use super::McpState;
use super::convert;
use crate::caller::{CallContext, Principal};
use crate::providers::{ProviderKind, Snapshot, ToolRoute};
use crate::wit::types;

impl McpState {
    /// The tools `principal` may see in the current registry snapshot, in
    /// name order, with that snapshot (whose identity changes with every
    /// registry change, for caches derived from the list).
    pub fn visible_tools(&self, principal: &Principal) -> (Arc<Snapshot>, Vec<Tool>) {
        let snapshot = self.services().registry.snapshot();
        let visible = |t: &&Tool| snapshot.tools().get(t.name.as_ref()).is_some_and(|r| r.provider.serves(principal));
        let tools = self.tool_list(&snapshot).iter().filter(visible).cloned().collect();
        (snapshot, tools)
    }

    /// The route of the tool published as `name`, if `principal` may see it:
    /// a tool of a provider that does not serve `principal` does not exist
    /// for it.
    pub fn visible_tool(&self, principal: &Principal, name: &str) -> Option<ToolRoute> {
        let snapshot = self.services().registry.snapshot();
        snapshot.tools().get(name).filter(|r| r.provider.serves(principal)).cloned()
    }

    /// Calls the tool published as `name` (served by `route`) with
    /// `arguments` on behalf of `call`. The call counts as in flight for the
    /// drain until it ends; every policy judges it first
    /// (`policy.check-tool-call`), and a denial is a tool error; then the
    /// provider runs it. Its failures and faults become tool errors the model
    /// can read, and the call is counted in the metrics.
    ///
    /// `interrupted` is asked once the provider has answered: if it returns
    /// an answer, the call ends with that instead (an MCP input-required
    /// round trip); a plane without such round trips passes `|| None`.
    /// An `Err` is a protocol error: the provider's answer could not be
    /// turned into a result (invalid structured content).
    pub async fn call_tool(
        &self,
        name: &str,
        route: &ToolRoute,
        arguments: &JsonObject,
        call: CallContext,
        interrupted: impl FnOnce() -> Option<Result<CallToolResponse, ErrorData>>,
    ) -> Result<CallToolResponse, ErrorData> {
        let _in_flight = self.track();
        let started = Instant::now();
        let response = self.run(name, route, arguments, call, interrupted).await;
        let server = (route.provider.kind() == ProviderKind::Server).then(|| route.provider.name());
        self.metrics().tool_call(name, server, started.elapsed(), &response);
        response
    }

    async fn run(
        &self,
        name: &str,
        route: &ToolRoute,
        arguments: &JsonObject,
        call: CallContext,
        interrupted: impl FnOnce() -> Option<Result<CallToolResponse, ErrorData>>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = serde_json::to_string(arguments).expect("a JSON object");
        tracing::debug!(principal = %call.principal, tool = name, provider = route.provider.name(), "tool call");
        let services = self.services();
        let outcome = match services.check_tool_call(&call.principal, route, name, &arguments).await {
            Ok(()) => route.provider.call_tool(services, call, &route.tool.name, &arguments).await,
            Err(denied) => Ok(Err(denied)),
        };
        if let Some(interruption) = interrupted() {
            return interruption;
        }
        let result = match outcome {
            Ok(Ok(result)) => convert::call_result(result)?,
            // The registry knew the tool, so this is the tool's own answer
            // (a container or file it could not find): the model reads it.
            Ok(Err(types::Failure::NotFound(what))) => convert::tool_error(format!("not found: {what}")),
            Ok(Err(types::Failure::InvalidParams(why))) => convert::tool_error(format!("invalid arguments: {why}")),
            Ok(Err(types::Failure::Denied(why))) => convert::tool_error(format!("denied: {why}")),
            Ok(Err(types::Failure::Failed(why))) => convert::tool_error(why),
            Err(fault) => convert::tool_error(self.fault(fault).to_string()),
        };
        Ok(result.into())
    }
}
