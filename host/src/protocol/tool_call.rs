//! A `tools/call`, whichever plane carries it: an MCP request
//! ([`McpSession`](super::McpSession)) or a plain REST request
//! (`transports::http::rest`). Both look tools up with
//! [`McpState::visible_tool`] and call them with [`McpState::call_tool`], so a
//! tool is seen, judged, run, logged and counted the same way wherever the
//! call comes from, and recorded in the activity log.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{CallToolResponse, CallToolResult, JsonObject, ResultType, Tool};

use super::McpState;
use super::activity::{CallOrigin, CallRecord, error_text};
use super::convert;
use crate::caller::{CallContext, Principal};
use crate::plugins::PluginFault;
use crate::providers::{ProviderKind, Snapshot, ToolResult, ToolRoute};
use crate::state::Outcome;
use crate::wit::types;

/// The route of the tool published as `name` in `snapshot`, if `principal` may see it.
pub(super) fn visible_route(snapshot: &Snapshot, principal: &Principal, name: &str) -> Option<ToolRoute> {
    snapshot.tools().get(name).filter(|r| r.provider.serves(principal)).cloned()
}

impl McpState {
    /// The tools `principal` may see in the current registry snapshot (once
    /// the first load of plugins is done), in name order, with that snapshot
    /// (whose identity changes with every registry change, for caches
    /// derived from the list).
    pub async fn visible_tools(&self, principal: &Principal) -> (Arc<Snapshot>, Vec<Tool>) {
        let snapshot = self.services().registry.loaded_snapshot().await;
        let visible = |t: &&Tool| snapshot.tools().get(t.name.as_ref()).is_some_and(|r| r.provider.serves(principal));
        let tools = self.tool_list(&snapshot).iter().filter(visible).cloned().collect();
        (snapshot, tools)
    }

    /// The route of the tool published as `name`, if `principal` may see it:
    /// a tool of a provider that does not serve `principal` does not exist
    /// for it. Waits for the first load of plugins.
    pub async fn visible_tool(&self, principal: &Principal, name: &str) -> Option<ToolRoute> {
        visible_route(&*self.services().registry.loaded_snapshot().await, principal, name)
    }

    /// Calls the tool published as `name` (served by `route`) with
    /// `arguments` on behalf of `call`, made by `origin`. The call counts as
    /// in flight for the drain until it ends; every policy judges it first
    /// (`policy.check-tool-call`), and a denial is a tool error; then the
    /// provider runs it. Its failures and faults become tool errors the model
    /// can read, and the call is counted in the metrics and recorded in the
    /// activity log (as `cancelled` if the call is dropped unfinished).
    ///
    /// `interrupted` is asked once the provider has answered: if it returns
    /// an answer, the call ends with that instead (an MCP input-required
    /// round trip); a plane without such round trips passes `|| None`.
    /// An `Err` is a protocol error: the provider's answer could not be
    /// turned into a result (invalid structured content).
    pub async fn call_tool(
        &self,
        origin: CallOrigin,
        name: &str,
        route: &ToolRoute,
        arguments: &JsonObject,
        call: CallContext,
        interrupted: impl FnOnce() -> Option<Result<CallToolResponse, ErrorData>>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.run_tool(origin, name, route, arguments, call, interrupted).await.0
    }

    /// [`call_tool`](Self::call_tool), with what the activity log records
    /// of how the call ended (a task tells a fault from a tool error by it).
    pub(super) async fn run_tool(
        &self,
        origin: CallOrigin,
        name: &str,
        route: &ToolRoute,
        arguments: &JsonObject,
        call: CallContext,
        interrupted: impl FnOnce() -> Option<Result<CallToolResponse, ErrorData>>,
    ) -> (Result<CallToolResponse, ErrorData>, Outcome) {
        let _in_flight = self.track();
        let arguments = serde_json::to_string(arguments).expect("a JSON object");
        let record = CallRecord::start(self.state().clone(), origin, name, route.provider.name(), arguments);
        let answered = self.invoke(route, name, record.arguments(), call).await;
        let answered = match interrupted() {
            Some(Ok(input)) => Answered { response: Ok(input), ..answered },
            Some(Err(e)) => Answered::error(e),
            None => answered,
        };
        let server = (route.provider.kind() == ProviderKind::Server).then(|| route.provider.name());
        self.metrics().tool_call(name, server, record.elapsed(), &answered.response);
        let answered = answered.record(record);
        (answered.response, answered.outcome)
    }

    /// Checks the call against the policies, calls the provider behind
    /// `route`, and turns its answer into a result and an outcome.
    async fn invoke(&self, route: &ToolRoute, name: &str, arguments: &str, call: CallContext) -> Answered {
        tracing::debug!(principal = %call.principal, tool = name, provider = route.provider.name(), "tool call");
        let services = self.services();
        let cancel = call.cancel.clone();
        let (answer, denied) = match services.check_tool_call(&call.principal, route, name, arguments).await {
            Ok(()) => (route.provider.call_tool(services, call, &route.tool.name, arguments).await, false),
            Err(denied) => (Ok(Err(denied)), true),
        };
        match answer {
            // What the server said, marked complete as every answer is
            // (2026-07-28 requires it; an older server never says it).
            Ok(Ok(ToolResult::Mcp(mut result))) => {
                result.result_type = Some(ResultType::COMPLETE);
                Answered::result(result, Outcome::Ok)
            }
            Ok(Ok(ToolResult::Contract(result))) => match convert::call_result(result) {
                Ok(result) => Answered::result(result, Outcome::Ok),
                Err(e) => Answered::error(e),
            },
            // The registry knew the tool, so this is the tool's own answer
            // (a container or file it could not find): the model reads it.
            Ok(Err(failure)) => {
                let (text, outcome) = match failure {
                    types::Failure::NotFound(what) => (format!("not found: {what}"), Outcome::ToolError),
                    types::Failure::InvalidParams(why) => (format!("invalid arguments: {why}"), Outcome::ToolError),
                    types::Failure::Denied(why) => (format!("denied: {why}"), Outcome::Denied),
                    types::Failure::Failed(why) if denied => (why, Outcome::Denied),
                    types::Failure::Failed(why) if cancel.is_cancelled() => (why, Outcome::Cancelled),
                    types::Failure::Failed(why) => (why, Outcome::ToolError),
                };
                Answered::result(convert::tool_error(text), outcome)
            }
            Err(fault) => {
                let outcome = match &fault {
                    PluginFault::Cancelled { .. } => Outcome::Cancelled,
                    PluginFault::WallTimeout { .. } => Outcome::Timeout,
                    _ => Outcome::Fault,
                };
                Answered::result(convert::tool_error(self.fault(fault).to_string()), outcome)
            }
        }
    }
}

/// How a tool call ended: the answer for the client, and what the activity
/// log records of it.
struct Answered {
    response: Result<CallToolResponse, ErrorData>,
    outcome: Outcome,
    error: Option<String>,
}

impl Answered {
    /// A tool result (an error result is a `tool_error`).
    fn result(result: CallToolResult, outcome: Outcome) -> Answered {
        let error = error_text(&result);
        let outcome = match (outcome, &error) {
            (Outcome::Ok, Some(_)) => Outcome::ToolError,
            (outcome, _) => outcome,
        };
        Answered { response: Ok(result.into()), outcome, error }
    }

    /// A protocol error.
    fn error(error: ErrorData) -> Answered {
        let text = error.message.to_string();
        Answered { response: Err(error), outcome: Outcome::Fault, error: Some(text) }
    }

    /// Hands how the call ended to `record`, and passes the answer on.
    fn record(self, record: CallRecord) -> Self {
        let result = match &self.response {
            Ok(CallToolResponse::Complete(result)) => Some(result),
            _ => None,
        };
        record.finish(self.outcome, self.error.clone(), result);
        self
    }
}
