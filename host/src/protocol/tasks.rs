//! The task book: tool calls that run as tasks (the MCP tasks extension,
//! SEP-2663), who owns each, and where each stands.
//!
//! A task belongs to the principal whose call became it; another principal
//! asking for it is told it does not exist. Running tasks count against
//! their owner's cap (`tasks.max_running_per_principal`). A task that ended
//! is kept for `tasks.result_ttl_secs` after it ended, then forgotten.
//! How a call becomes a task and runs is `task_call`'s concern.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResponse, ClientCapabilities, DetailedTask, InputRequests, InputResponses, JsonObject, Task, TaskPayload,
};
use rmcp::task_manager::current_timestamp;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::activity::CallOrigin;
use crate::caller::Principal;
use crate::config::TasksConfig;
use crate::state::Outcome;

/// The suggested pause between two `tasks/get` of a running task.
const POLL_INTERVAL_MS: u64 = 1_000;

/// What a task needs to run its call again once the client has answered
/// the requests that parked it.
pub(super) struct Resume {
    /// The tool, as the client named it.
    pub name: String,
    /// Its arguments.
    pub arguments: JsonObject,
    /// Who called, and how.
    pub origin: CallOrigin,
    /// The session the call belongs to, if any.
    pub session_id: Option<String>,
    /// What the client said it can answer (elicitation, sampling, roots).
    pub capabilities: ClientCapabilities,
    /// The request the answers belong to (`tools/call:<name>`).
    pub binding: String,
}

/// A run of a task's call, to be started: the answers so far and the task's
/// cancellation.
pub(super) struct Rerun {
    pub resume: Arc<Resume>,
    pub answers: InputResponses,
    pub cancel: CancellationToken,
}

struct Entry {
    owner: Principal,
    task: Task,
    payload: TaskPayload,
    cancel: CancellationToken,
    resume: Arc<Resume>,
    /// The answers collected for the call so far.
    answers: InputResponses,
    ended: Option<Instant>,
}

impl Entry {
    fn touch(&mut self) {
        self.task.last_updated_at = current_timestamp();
    }

    fn detailed(&self) -> DetailedTask {
        DetailedTask::new(self.task.clone(), self.payload.clone())
    }
}

/// Every task of this host, by id.
pub struct Tasks {
    config: TasksConfig,
    entries: Mutex<HashMap<String, Entry>>,
}

fn unknown(id: &str) -> ErrorData {
    ErrorData::invalid_params(format!("no task `{id}`: it never existed, expired, or is not yours"), None)
}

impl Tasks {
    /// An empty book.
    pub fn new(config: TasksConfig) -> Self {
        Self { config, entries: Mutex::new(HashMap::new()) }
    }

    /// How long an ended task is kept, in milliseconds (the tasks' `ttlMs`).
    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.config.result_ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Forgets the tasks whose time is up.
    fn prune(&self, entries: &mut HashMap<String, Entry>) {
        let ttl = self.config.result_ttl;
        entries.retain(|_, e| e.ended.is_none_or(|at| at.elapsed() < ttl));
    }

    /// Opens a working task for `owner`, unless `owner` already has as many
    /// running as allowed (then the reason).
    pub(super) fn open(
        &self,
        owner: &Principal,
        cancel: CancellationToken,
        resume: Arc<Resume>,
    ) -> Result<Task, String> {
        let mut entries = self.entries.lock().unwrap();
        self.prune(&mut entries);
        let running = entries.values().filter(|e| &e.owner == owner && !e.payload.status().is_terminal()).count();
        if running >= self.config.max_running {
            return Err(format!(
                "{owner} already has {running} tasks running, the most allowed (tasks.max_running_per_principal)"
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = current_timestamp();
        let task = Task::new(&id, Default::default(), &now, &now)
            .with_ttl_ms(self.ttl_ms())
            .with_poll_interval_ms(POLL_INTERVAL_MS);
        let entry = Entry {
            owner: owner.clone(),
            task: task.clone(),
            payload: TaskPayload::Working,
            cancel,
            resume,
            answers: InputResponses::new(),
            ended: None,
        };
        entries.insert(id, entry);
        Ok(task)
    }

    /// Task `id` as its owner sees it.
    pub fn get(&self, owner: &Principal, id: &str) -> Result<DetailedTask, ErrorData> {
        let mut entries = self.entries.lock().unwrap();
        self.prune(&mut entries);
        entries.get(id).filter(|e| &e.owner == owner).map(Entry::detailed).ok_or_else(|| unknown(id))
    }

    /// Cancels task `id` of `owner`: it is `cancelled` from now on and its
    /// call is stopped. A task that already ended is left as it is.
    pub fn cancel(&self, owner: &Principal, id: &str) -> Result<(), ErrorData> {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.get_mut(id).filter(|e| &e.owner == owner).ok_or_else(|| unknown(id))?;
        if !entry.payload.status().is_terminal() {
            entry.payload = TaskPayload::Cancelled;
            entry.ended = Some(Instant::now());
            entry.touch();
            entry.cancel.cancel();
        }
        Ok(())
    }

    /// Hands `responses` to task `id` of `owner`. Answers to requests the
    /// task is not waiting for are ignored. Once every open request is
    /// answered the task is working again, and the run to start is returned.
    pub(super) fn answer(
        &self,
        owner: &Principal,
        id: &str,
        responses: InputResponses,
    ) -> Result<Option<Rerun>, ErrorData> {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.get_mut(id).filter(|e| &e.owner == owner).ok_or_else(|| unknown(id))?;
        let TaskPayload::InputRequired { input_requests } = &mut entry.payload else { return Ok(None) };
        let mut answered = false;
        for (key, value) in responses {
            if input_requests.remove(&key).is_some() {
                entry.answers.insert(key, value);
                answered = true;
            }
        }
        let waiting = !input_requests.is_empty();
        if answered {
            entry.touch();
        }
        if waiting {
            return Ok(None);
        }
        entry.payload = TaskPayload::Working;
        Ok(Some(Rerun { resume: entry.resume.clone(), answers: entry.answers.clone(), cancel: entry.cancel.clone() }))
    }

    /// Shows `message` as the status message of running task `id`.
    pub(super) fn report(&self, id: &str, message: String) {
        if let Some(entry) = self.entries.lock().unwrap().get_mut(id)
            && !entry.payload.status().is_terminal()
        {
            entry.task.status_message = Some(message);
            entry.touch();
        }
    }

    /// Records how a run of task `id` ended (unless the task already ended,
    /// cancelled): a result, requests the client must answer (with the
    /// answers so far), or an error. A call that ended in a fault or a
    /// timeout fails the task; a tool error completes it, with the error
    /// in the result as the call's own answer.
    pub(super) fn settle(
        &self,
        id: &str,
        response: Result<CallToolResponse, ErrorData>,
        outcome: Outcome,
        answers: InputResponses,
    ) {
        let mut entries = self.entries.lock().unwrap();
        let Some(entry) = entries.get_mut(id).filter(|e| !e.payload.status().is_terminal()) else { return };
        entry.payload = match response {
            Ok(CallToolResponse::Complete(result)) if matches!(outcome, Outcome::Fault | Outcome::Timeout) => {
                let message = result.content.iter().find_map(|c| c.as_text()).map(|t| t.text.clone());
                failed(ErrorData::internal_error(message.unwrap_or_else(|| "the call failed".into()), None))
            }
            Ok(CallToolResponse::Complete(result)) => match serde_json::to_value(result) {
                Ok(Value::Object(result)) => TaskPayload::Completed { result },
                _ => failed(ErrorData::internal_error("the result could not be encoded", None)),
            },
            Ok(CallToolResponse::InputRequired(input)) => {
                entry.answers = answers;
                TaskPayload::InputRequired { input_requests: input.input_requests.unwrap_or_else(InputRequests::new) }
            }
            Ok(_) => failed(ErrorData::internal_error("a task's call answered with another task", None)),
            Err(error) => failed(error),
        };
        if entry.payload.status().is_terminal() {
            entry.ended = Some(Instant::now());
            entry.task.status_message = None;
        }
        entry.touch();
    }
}

/// A failed task's payload: the error as JSON-RPC shapes it.
fn failed(error: ErrorData) -> TaskPayload {
    let error = serde_json::to_value(&error).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default();
    TaskPayload::Failed { error }
}

/// A running task's handle for its call: where progress goes.
#[derive(Clone)]
pub struct TaskHandle {
    tasks: Arc<Tasks>,
    id: String,
}

impl TaskHandle {
    /// The handle of task `id` in `tasks`.
    pub(super) fn new(tasks: Arc<Tasks>, id: String) -> Self {
        Self { tasks, id }
    }

    /// The task's id.
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    /// Shows `message` as the task's status message.
    pub(super) fn report(&self, message: String) {
        self.tasks.report(&self.id, message);
    }
}
