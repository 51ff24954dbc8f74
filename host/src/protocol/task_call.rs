//! A `tools/call` that may run as a task (SEP-2663): the call starts in its
//! request; when its plugin asks to run as a task (`context.run-as-task`), or
//! when it is still running after `tasks.detach_after_ms` (how calls to
//! upstream servers become tasks), the host opens a task in the
//! [`Tasks`](super::tasks::Tasks) book, answers the request with the task's
//! handle, and lets the call run on, detached from the request and its
//! connection. Requests for input it makes from then on park
//! the task; once the client has answered them all (`tasks/update`), the call
//! runs again from the start with every answer, as input-required round trips
//! do. Cancelling the task cancels its call (and so its exec).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{CallToolResponse, CreateTaskResult};
use tokio_util::sync::CancellationToken;

use super::McpState;
use super::client_link::RequestLink;
use super::tasks::{Rerun, Resume, TaskHandle};
use crate::caller::{CallContext, Principal};
use crate::providers::ToolRoute;
use crate::state::Outcome;

/// A run of a call, owned so it can move from its request to a task.
type Run = Pin<Box<dyn Future<Output = (Result<CallToolResponse, ErrorData>, Outcome)> + Send>>;

/// One run of the call `resume` describes, through `link`, on behalf of `call`.
fn run(state: Arc<McpState>, route: ToolRoute, resume: Arc<Resume>, call: CallContext, link: Arc<RequestLink>) -> Run {
    Box::pin(async move {
        let origin = resume.origin.clone();
        let interrupted = || state.interrupted(&link);
        state.run_tool(origin, &resume.name, &route, &resume.arguments, call, interrupted).await
    })
}

/// Calls the tool behind `route` for the request whose cancellation is
/// `request_cancelled`, letting it become a task if it asks to. `call`'s
/// cancellation is replaced by the call's own, which the request's
/// cancellation triggers only until the call is a task.
pub(super) async fn call_tool(
    state: &Arc<McpState>,
    route: ToolRoute,
    resume: Resume,
    mut call: CallContext,
    link: Arc<RequestLink>,
    request_cancelled: CancellationToken,
) -> Result<CallToolResponse, ErrorData> {
    let mut asked = link.offer_task();
    let cancel = CancellationToken::new();
    call.cancel = cancel.clone();
    let owner = call.principal.clone();
    let resume = Arc::new(resume);
    let mut running = run(state.clone(), route, resume.clone(), call, link.clone());
    let reply = tokio::select! {
        (response, _) = &mut running => return response,
        Ok(reply) = &mut asked => Some(reply),
        () = tokio::time::sleep(state.tasks().detach_after()) => asked.try_recv().ok(),
        _ = request_cancelled.cancelled() => {
            cancel.cancel();
            return running.await.0;
        }
    };
    // An ask that comes later is answered "no" (its channel is gone), rather
    // than waiting for a reply that would never come.
    drop(asked);
    match state.tasks().open(&owner, cancel, resume) {
        Ok(task) => {
            let handle = TaskHandle::new(state.tasks().clone(), task.task_id.clone());
            link.become_task(handle.clone());
            if let Some(reply) = reply {
                let _ = reply.send(Some(handle.clone()));
            }
            tokio::spawn(settle(state.clone(), handle, link, running));
            Ok(CallToolResponse::Task(CreateTaskResult::new(task)))
        }
        Err(why) => {
            tracing::info!(principal = %owner, "call runs in its request, not as a task: {why}");
            if let Some(reply) = reply {
                let _ = reply.send(None);
            }
            running.await.0
        }
    }
}

/// Runs `running` to its end and records how it ended in its task.
async fn settle(state: Arc<McpState>, task: TaskHandle, link: Arc<RequestLink>, running: Run) {
    let (response, outcome) = running.await;
    state.tasks().settle(task.id(), response, outcome, link.answers());
}

/// Runs task `id`'s call again (`rerun`), now that the client answered what
/// it asked, as `owner`. A tool that is gone by now fails the task. (A task
/// exists only after the first load of plugins, so the registry is read as it is.)
pub(super) fn rerun(state: &Arc<McpState>, owner: Principal, id: &str, rerun: Rerun) {
    let Rerun { resume, answers, cancel } = rerun;
    let task = TaskHandle::new(state.tasks().clone(), id.to_string());
    let Some(route) = super::tool_call::visible_route(&state.services().registry.snapshot(), &owner, &resume.name)
    else {
        let gone = ErrorData::invalid_params(format!("the tool `{}` is no longer available", resume.name), None);
        state.tasks().settle(id, Err(gone), Outcome::Fault, answers);
        return;
    };
    let link =
        Arc::new(RequestLink::task_run(task.clone(), resume.binding.clone(), answers, resume.capabilities.clone()));
    let call =
        CallContext { principal: owner, session_id: resume.session_id.clone(), client: Some(link.clone()), cancel };
    let running = run(state.clone(), route, resume, call, link.clone());
    tokio::spawn(settle(state.clone(), task, link, running));
}
