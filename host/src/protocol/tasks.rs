//! The task book: tool calls that run as tasks (the MCP tasks extension,
//! SEP-2663), who owns each, and where each stands.
//!
//! A task belongs to the principal whose call became it; another principal
//! asking for it is told it does not exist. Running tasks count against
//! their owner's cap (`tasks.max_running_per_principal`). A task that ended
//! is kept for `tasks.result_ttl_secs` after it ended, then forgotten.
//! Every change is written to the state database too, in order and off the
//! caller's path, so that a restarted host still knows its tasks: those that
//! were running when it stopped are failed, saying so ([`Tasks::restore`]).
//! Every change of a task's status or payload is also announced
//! ([`Tasks::changes`]), for `notifications/tasks` on its owner's listening
//! streams. While a task runs, its status message is what its call reported
//! last: its latest progress message until the call's commands print output,
//! then the newest [`OUTPUT_TAIL_MAX`] bytes of that output.
//! How a call becomes a task and runs is `task_call`'s concern.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResponse, ClientCapabilities, DetailedTask, InputRequest, InputRequests, InputResponses, JsonObject, Task,
    TaskPayload,
};
use rmcp::task_manager::current_timestamp;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::activity::CallOrigin;
use super::convert;
use crate::caller::Principal;
use crate::config::TasksConfig;
use crate::state::activity::now_ms;
use crate::state::{Outcome, StateDb, StoredTask};

/// The suggested pause between two `tasks/get` of a running task.
const POLL_INTERVAL_MS: u64 = 1_000;

/// How much of a running task's output its status message shows: the newest
/// bytes, from a line start where one is near.
pub const OUTPUT_TAIL_MAX: usize = 4 << 10;

/// How many announced changes a slow listener may fall behind by before it
/// misses some (it can still poll `tasks/get`).
const CHANGES_BACKLOG: usize = 256;

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
    /// The owner's principal id.
    owner: String,
    /// The tool whose call it is.
    tool: String,
    task: Task,
    payload: TaskPayload,
    cancel: CancellationToken,
    /// How to run the call again; `None` for a task restored from the state
    /// database, which has ended.
    resume: Option<Arc<Resume>>,
    /// The answers collected for the call so far.
    answers: InputResponses,
    /// When it ended, in milliseconds since the epoch.
    ended_ms: Option<i64>,
    /// The newest output of its call's commands, at most [`OUTPUT_TAIL_MAX`].
    output: String,
}

impl Entry {
    fn owned_by(&self, principal: &Principal) -> bool {
        self.owner == principal.as_str()
    }

    fn touch(&mut self) {
        self.task.last_updated_at = current_timestamp();
        if self.payload.status().is_terminal() && self.ended_ms.is_none() {
            self.ended_ms = Some(now_ms());
            self.task.status_message = None;
        }
    }

    fn detailed(&self) -> DetailedTask {
        DetailedTask::new(self.task.clone(), self.payload.clone())
    }

    fn stored(&self) -> StoredTask {
        StoredTask {
            id: self.task.task_id.clone(),
            owner: self.owner.clone(),
            task: serde_json::to_value(self.detailed()).unwrap_or_default(),
            ended_at_ms: self.ended_ms,
            tool: self.tool.clone(),
        }
    }

    fn info(&self) -> TaskInfo {
        let status = serde_json::to_value(self.payload.status()).ok().and_then(|s| s.as_str().map(str::to_string));
        TaskInfo {
            id: self.task.task_id.clone(),
            owner: self.owner.clone(),
            tool: self.tool.clone(),
            status: status.unwrap_or_default(),
            status_message: self.task.status_message.clone(),
            created_at: self.task.created_at.clone(),
            last_updated_at: self.task.last_updated_at.clone(),
        }
    }

    /// Stops it as `cancelled`, unless it already ended; whether it was running.
    fn cancel(&mut self) -> bool {
        if self.payload.status().is_terminal() {
            return false;
        }
        self.payload = TaskPayload::Cancelled;
        self.touch();
        self.cancel.cancel();
        true
    }
}

/// A task as the operator sees it (the admin API and the dashboard).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskInfo {
    /// Its id.
    pub id: String,
    /// The principal it belongs to.
    pub owner: String,
    /// The tool whose call it is (empty for a task saved before this was kept).
    pub tool: String,
    /// `working`, `input_required`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// What its call reported last, while it runs.
    pub status_message: Option<String>,
    /// When it was created (ISO 8601).
    pub created_at: String,
    /// When it last changed (ISO 8601).
    pub last_updated_at: String,
}

/// A task with everything `tasks/get` shows its owner (result, error or
/// input requests), for the operator.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskDetail {
    /// The summary.
    #[serde(flatten)]
    pub info: TaskInfo,
    /// The task as `tasks/get` answers it.
    #[schema(value_type = Object)]
    pub task: Value,
}

/// A task's status or payload changed: what its owner's listeners are told.
#[derive(Debug, Clone)]
pub struct TaskChange {
    /// The owner's principal id.
    pub owner: String,
    /// The task as `tasks/get` shows it now.
    pub task: DetailedTask,
}

/// A change for the state database.
enum Write {
    Put(StoredTask),
    Delete(Vec<String>),
}

/// Every task of this host, by id.
pub struct Tasks {
    config: TasksConfig,
    entries: Mutex<HashMap<String, Entry>>,
    journal: mpsc::UnboundedSender<Write>,
    changes: broadcast::Sender<TaskChange>,
}

fn unknown(id: &str) -> ErrorData {
    ErrorData::invalid_params(format!("no task `{id}`: it never existed, expired, or is not yours"), None)
}

impl Tasks {
    /// An empty book that writes its changes to `state`. Call within the
    /// runtime: the writer is a task of its own.
    pub fn new(config: TasksConfig, state: Arc<StateDb>) -> Self {
        let (journal, mut writes) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(write) = writes.recv().await {
                let _ = match write {
                    Write::Put(task) => state.write("a task", move |s| s.put_task(&task)).await,
                    Write::Delete(ids) => state.write("expired tasks", move |s| s.delete_tasks(&ids)).await,
                };
            }
        });
        let (changes, _) = broadcast::channel(CHANGES_BACKLOG);
        Self { config, entries: Mutex::new(HashMap::new()), journal, changes }
    }

    /// The changes of every task from now on, whoever owns it: a listener
    /// passes on only its principal's.
    pub fn changes(&self) -> broadcast::Receiver<TaskChange> {
        self.changes.subscribe()
    }

    /// How long a call to a tool that supports tasks may run in its request
    /// before it becomes a task without asking (`tasks.detach_after_ms`).
    pub(super) fn detach_after(&self) -> std::time::Duration {
        self.config.detach_after
    }

    /// Takes in the tasks a previous run of the host left in the state
    /// database: those it had not finished are failed now, since their calls
    /// died with it; expired ones are forgotten. Returns how many failed.
    pub fn restore(&self, stored: Vec<StoredTask>) -> usize {
        let mut entries = self.entries.lock().unwrap();
        let mut interrupted = 0;
        for row in stored {
            let Ok(detailed) = serde_json::from_value::<DetailedTask>(row.task) else {
                tracing::warn!(task = row.id, "a stored task does not parse; forgetting it");
                let _ = self.journal.send(Write::Delete(vec![row.id]));
                continue;
            };
            let mut entry = Entry {
                owner: row.owner,
                tool: row.tool,
                task: detailed.task,
                payload: detailed.payload,
                cancel: CancellationToken::new(),
                resume: None,
                answers: InputResponses::new(),
                ended_ms: row.ended_at_ms,
                output: String::new(),
            };
            if !entry.payload.status().is_terminal() {
                entry.payload = failed(ErrorData::internal_error(
                    "the host restarted while this task ran, and its call died with it; call the tool again",
                    None,
                ));
                entry.touch();
                self.save(&entry);
                interrupted += 1;
            }
            entries.insert(row.id, entry);
        }
        self.prune(&mut entries);
        interrupted
    }

    /// Writes `entry` to the state database.
    fn save(&self, entry: &Entry) {
        let _ = self.journal.send(Write::Put(entry.stored()));
    }

    /// Records that `entry`'s status or payload changed: saves it and
    /// announces it to listeners.
    fn changed(&self, entry: &Entry) {
        self.save(entry);
        let _ = self.changes.send(TaskChange { owner: entry.owner.clone(), task: entry.detailed() });
    }

    /// How long an ended task is kept, in milliseconds (the tasks' `ttlMs`).
    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.config.result_ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Forgets the tasks whose time is up.
    fn prune(&self, entries: &mut HashMap<String, Entry>) {
        let ttl = i64::try_from(self.config.result_ttl.as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        let expired: Vec<String> = entries
            .iter()
            .filter(|(_, e)| e.ended_ms.is_some_and(|at| now.saturating_sub(at) >= ttl))
            .map(|(id, _)| id.clone())
            .collect();
        if !expired.is_empty() {
            for id in &expired {
                entries.remove(id);
            }
            let _ = self.journal.send(Write::Delete(expired));
        }
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
        let running = entries.values().filter(|e| e.owned_by(owner) && !e.payload.status().is_terminal()).count();
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
            owner: owner.as_str().to_string(),
            tool: resume.name.clone(),
            task: task.clone(),
            payload: TaskPayload::Working,
            cancel,
            resume: Some(resume),
            answers: InputResponses::new(),
            ended_ms: None,
            output: String::new(),
        };
        self.changed(&entry);
        entries.insert(id, entry);
        Ok(task)
    }

    /// Task `id` as its owner sees it.
    pub fn get(&self, owner: &Principal, id: &str) -> Result<DetailedTask, ErrorData> {
        let mut entries = self.entries.lock().unwrap();
        self.prune(&mut entries);
        entries.get(id).filter(|e| e.owned_by(owner)).map(Entry::detailed).ok_or_else(|| unknown(id))
    }

    /// Cancels task `id` of `owner`: it is `cancelled` from now on and its
    /// call is stopped. A task that already ended is left as it is.
    pub fn cancel(&self, owner: &Principal, id: &str) -> Result<(), ErrorData> {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.get_mut(id).filter(|e| e.owned_by(owner)).ok_or_else(|| unknown(id))?;
        if entry.cancel() {
            self.changed(entry);
        }
        Ok(())
    }

    /// Every task kept, whoever owns it, the newest first: for the operator.
    pub fn all(&self) -> Vec<TaskInfo> {
        let mut entries = self.entries.lock().unwrap();
        self.prune(&mut entries);
        let mut all: Vec<TaskInfo> = entries.values().map(Entry::info).collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// Task `id` in full, whoever owns it: for the operator.
    pub fn inspect(&self, id: &str) -> Option<TaskDetail> {
        let mut entries = self.entries.lock().unwrap();
        self.prune(&mut entries);
        entries
            .get(id)
            .map(|e| TaskDetail { info: e.info(), task: serde_json::to_value(e.detailed()).unwrap_or_default() })
    }

    /// Cancels task `id` whoever owns it (the operator's cancel); `None` if
    /// there is no such task, else whether it was still running.
    pub fn cancel_any(&self, id: &str) -> Option<bool> {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.get_mut(id)?;
        let stopped = entry.cancel();
        if stopped {
            self.changed(entry);
        }
        Some(stopped)
    }

    /// Hands `responses` to task `id` of `owner`. Answers to requests the
    /// task is not waiting for are ignored; an answer of the wrong shape for
    /// its request is an error, and then none is taken. Once every open
    /// request is answered the task is working again, and the run to start
    /// is returned.
    pub(super) fn answer(
        &self,
        owner: &Principal,
        id: &str,
        responses: InputResponses,
    ) -> Result<Option<Rerun>, ErrorData> {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.get_mut(id).filter(|e| e.owned_by(owner)).ok_or_else(|| unknown(id))?;
        let (TaskPayload::InputRequired { input_requests }, Some(resume)) = (&mut entry.payload, entry.resume.clone())
        else {
            return Ok(None);
        };
        for (key, value) in &responses {
            if let Some(request) = input_requests.get(key) {
                check_answer(request, value)
                    .map_err(|why| ErrorData::invalid_params(format!("inputResponses.{key}: {why}"), None))?;
            }
        }
        let mut answered = false;
        for (key, value) in responses {
            if input_requests.remove(&key).is_some() {
                entry.answers.insert(key, value);
                answered = true;
            }
        }
        let waiting = !input_requests.is_empty();
        if waiting {
            if answered {
                entry.touch();
                self.changed(entry);
            }
            return Ok(None);
        }
        entry.payload = TaskPayload::Working;
        entry.touch();
        self.changed(entry);
        Ok(Some(Rerun { resume, answers: entry.answers.clone(), cancel: entry.cancel.clone() }))
    }

    /// Shows `message` as the status message of running task `id`, unless
    /// its call's commands have printed output, which shows instead.
    pub(super) fn report(&self, id: &str, message: String) {
        if let Some(entry) = self.entries.lock().unwrap().get_mut(id)
            && !entry.payload.status().is_terminal()
            && entry.output.is_empty()
        {
            entry.task.status_message = Some(message);
            entry.touch();
        }
    }

    /// Adds `text`, output of a command of running task `id`'s call, to the
    /// output its status message shows.
    pub(super) fn output(&self, id: &str, text: &str) {
        if let Some(entry) = self.entries.lock().unwrap().get_mut(id)
            && !entry.payload.status().is_terminal()
            && !text.is_empty()
        {
            entry.output.push_str(text);
            keep_tail(&mut entry.output, OUTPUT_TAIL_MAX);
            entry.task.status_message = Some(entry.output.clone());
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
        entry.touch();
        self.changed(entry);
    }
}

/// Whether `answer` has the shape of an answer to `request`.
fn check_answer(request: &InputRequest, answer: &Value) -> Result<(), String> {
    match request {
        InputRequest::Elicitation(_) => convert::elicit_response(answer).map(drop),
        InputRequest::CreateMessage(_) => convert::sampling_response(answer).map(drop),
        InputRequest::ListRoots(_) => convert::roots(answer).map(drop),
        _ => Err("this server cannot read answers to such a request".into()),
    }
}

/// Cuts `text` to at most `max` bytes, keeping its end: from a line start
/// when one is in the first quarter of the part kept, else from a character
/// boundary.
fn keep_tail(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut cut = text.len() - max;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    if let Some(newline) = text[cut..].find('\n').filter(|&at| at < max / 4) {
        cut += newline + 1;
    }
    text.drain(..cut);
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

    /// Shows `message` as the task's status message (see [`Tasks::report`]).
    pub(super) fn report(&self, message: String) {
        self.tasks.report(&self.id, message);
    }

    /// Adds output of the call's commands to the task's status message.
    pub(super) fn output(&self, text: &str) {
        self.tasks.output(&self.id, text);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rmcp::model::{CallToolResult, ContentBlock, InputRequiredResult, TaskStatus};
    use serde_json::json;

    use super::*;
    use crate::state::ActivityConfig;

    fn alice() -> Principal {
        Principal::api_key("alice")
    }

    fn resume() -> Arc<Resume> {
        Arc::new(Resume {
            name: "slow".into(),
            arguments: JsonObject::new(),
            origin: CallOrigin {
                principal: alice(),
                session: None,
                transport: "http",
                era: "2026-07-28",
                deadline: None,
            },
            session_id: None,
            capabilities: ClientCapabilities::default(),
            binding: "tools/call:slow".into(),
        })
    }

    fn book(dir: &tempfile::TempDir, config: TasksConfig) -> Tasks {
        Tasks::new(config, Arc::new(StateDb::open(dir.path(), ActivityConfig::default()).unwrap()))
    }

    fn input(keys: &[&str]) -> CallToolResponse {
        let request = |k: &str| {
            let request = json!({"method": "elicitation/create", "params": {"message": k, "requestedSchema": {"type": "object", "properties": {}}}});
            (k.to_string(), serde_json::from_value(request).unwrap())
        };
        CallToolResponse::InputRequired(InputRequiredResult::new(Some(keys.iter().map(|k| request(k)).collect()), None))
    }

    fn status(tasks: &Tasks, id: &str) -> TaskStatus {
        tasks.get(&alice(), id).unwrap().status()
    }

    #[tokio::test]
    async fn a_task_is_its_owners_alone_and_the_cap_counts_running_ones() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = book(&dir, TasksConfig { max_running: 1, ..Default::default() });
        let cancel = CancellationToken::new();
        let id = tasks.open(&alice(), cancel.clone(), resume()).unwrap().task_id;
        let bob = Principal::api_key("bob");
        assert!(tasks.get(&bob, &id).is_err() && tasks.cancel(&bob, &id).is_err());
        assert!(tasks.answer(&bob, &id, InputResponses::new()).is_err());
        assert!(!cancel.is_cancelled(), "another principal's cancel stops nothing");
        assert!(tasks.open(&alice(), CancellationToken::new(), resume()).unwrap_err().contains("1 tasks running"));
        assert!(tasks.open(&bob, CancellationToken::new(), resume()).is_ok(), "the cap is per principal");
        tasks.cancel(&alice(), &id).unwrap();
        assert!(cancel.is_cancelled());
        assert_eq!(status(&tasks, &id), TaskStatus::Cancelled);
        // A call that ends after its task was cancelled changes nothing.
        let done = CallToolResponse::Complete(CallToolResult::success(vec![ContentBlock::text("late")]));
        tasks.settle(&id, Ok(done), Outcome::Ok, InputResponses::new());
        assert_eq!(status(&tasks, &id), TaskStatus::Cancelled);
        assert!(tasks.open(&alice(), CancellationToken::new(), resume()).is_ok(), "an ended task frees its place");
    }

    #[tokio::test]
    async fn a_task_waits_until_every_open_request_is_answered() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = book(&dir, TasksConfig::default());
        let id = tasks.open(&alice(), CancellationToken::new(), resume()).unwrap().task_id;
        tasks.settle(&id, Ok(input(&["a", "b"])), Outcome::Ok, InputResponses::new());
        assert_eq!(status(&tasks, &id), TaskStatus::InputRequired);
        let answer = |key: &str| [(key.to_string(), json!({"action": "accept", "content": {}}))].into();
        let malformed =
            [("a".to_string(), json!(12345)), ("b".to_string(), json!({"action": "accept", "content": {}}))];
        let refused = tasks.answer(&alice(), &id, malformed.into()).err().expect("a malformed answer is refused");
        assert!(refused.message.contains("inputResponses.a"), "{refused:?}");
        let TaskPayload::InputRequired { input_requests } = tasks.get(&alice(), &id).unwrap().payload else { panic!() };
        assert_eq!(input_requests.len(), 2, "a refused update takes no answer");
        assert!(tasks.answer(&alice(), &id, answer("zzz")).unwrap().is_none());
        assert!(tasks.answer(&alice(), &id, answer("a")).unwrap().is_none());
        let TaskPayload::InputRequired { input_requests } = tasks.get(&alice(), &id).unwrap().payload else { panic!() };
        assert_eq!(input_requests.keys().collect::<Vec<_>>(), ["b"]);
        let rerun = tasks.answer(&alice(), &id, answer("b")).unwrap().expect("all answered: the call runs again");
        assert_eq!(rerun.answers.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(status(&tasks, &id), TaskStatus::Working);
    }

    #[tokio::test]
    async fn faults_fail_a_task_and_tool_errors_complete_it() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = book(&dir, TasksConfig::default());
        let error = CallToolResponse::Complete(CallToolResult::error(vec![ContentBlock::text("plugin trapped")]));
        let faulty = tasks.open(&alice(), CancellationToken::new(), resume()).unwrap().task_id;
        tasks.settle(&faulty, Ok(error.clone()), Outcome::Fault, InputResponses::new());
        let TaskPayload::Failed { error: failure } = tasks.get(&alice(), &faulty).unwrap().payload else { panic!() };
        assert_eq!(failure["message"], "plugin trapped");
        assert_eq!(failure["code"], -32603);
        let erring = tasks.open(&alice(), CancellationToken::new(), resume()).unwrap().task_id;
        tasks.settle(&erring, Ok(error), Outcome::ToolError, InputResponses::new());
        let TaskPayload::Completed { result } = tasks.get(&alice(), &erring).unwrap().payload else { panic!() };
        assert_eq!(result["isError"], true);
    }

    #[tokio::test]
    async fn a_restart_fails_running_tasks_and_keeps_ended_ones_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let (running, ended) = {
            let tasks = book(&dir, TasksConfig::default());
            let running = tasks.open(&alice(), CancellationToken::new(), resume()).unwrap().task_id;
            let ended = tasks.open(&alice(), CancellationToken::new(), resume()).unwrap().task_id;
            tasks.cancel(&alice(), &ended).unwrap();
            (running, ended)
        };
        let state = Arc::new(StateDb::open(dir.path(), ActivityConfig::default()).unwrap());
        let stored = wait_for(&state, 2).await;
        let tasks = Tasks::new(TasksConfig::default(), state.clone());
        assert_eq!(tasks.restore(stored.clone()), 1);
        let TaskPayload::Failed { error } = tasks.get(&alice(), &running).unwrap().payload else { panic!() };
        assert!(error["message"].as_str().unwrap().contains("host restarted"), "{error:?}");
        assert_eq!(status(&tasks, &ended), TaskStatus::Cancelled);
        assert!(tasks.get(&Principal::api_key("bob"), &running).is_err(), "still its owner's alone");

        let short = Tasks::new(TasksConfig { result_ttl: Duration::from_millis(1), ..Default::default() }, state);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(short.restore(stored), 1);
        assert!(short.get(&alice(), &ended).is_err(), "expired while the host was down");
    }

    #[tokio::test]
    async fn a_running_tasks_message_is_its_progress_until_output_then_the_outputs_tail() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = book(&dir, TasksConfig::default());
        let id = tasks.open(&alice(), CancellationToken::new(), resume()).unwrap().task_id;
        let message = |tasks: &Tasks| tasks.get(&alice(), &id).unwrap().task.status_message;
        tasks.report(&id, "pulling python:3".into());
        assert_eq!(message(&tasks).as_deref(), Some("pulling python:3"));
        tasks.output(&id, "step 1\n");
        tasks.output(&id, "step 2\n");
        tasks.report(&id, "step 2".into());
        assert_eq!(message(&tasks).as_deref(), Some("step 1\nstep 2\n"), "output outranks progress");
        let long: String = (0..2000).map(|n| format!("line {n}\n")).collect();
        tasks.output(&id, &long);
        let shown = message(&tasks).unwrap();
        assert!(shown.len() <= OUTPUT_TAIL_MAX && shown.ends_with("line 1999\n"), "{shown:?}");
        assert!(shown.starts_with("line "), "cut at a line start: {:?}", &shown[..20]);
        tasks.cancel(&alice(), &id).unwrap();
        tasks.output(&id, "after the end\n");
        assert_eq!(message(&tasks), None, "an ended task shows no progress");
    }

    #[test]
    fn a_tail_is_cut_on_a_character_boundary_when_no_line_starts_near() {
        let mut text = "é".repeat(10);
        keep_tail(&mut text, 5);
        assert_eq!(text, "éé");
        let mut short = "short".to_string();
        keep_tail(&mut short, 5);
        assert_eq!(short, "short");
    }

    #[tokio::test]
    async fn changes_of_status_and_payload_are_announced_with_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = book(&dir, TasksConfig::default());
        let mut changes = tasks.changes();
        let id = tasks.open(&alice(), CancellationToken::new(), resume()).unwrap().task_id;
        tasks.report(&id, "progress is no change of status".into());
        let done = CallToolResponse::Complete(CallToolResult::success(vec![ContentBlock::text("done")]));
        tasks.settle(&id, Ok(done), Outcome::Ok, InputResponses::new());
        let opened = changes.try_recv().unwrap();
        assert_eq!((opened.owner.as_str(), opened.task.status()), ("key:alice", TaskStatus::Working));
        let ended = changes.try_recv().unwrap();
        assert_eq!(ended.task.status(), TaskStatus::Completed);
        let TaskPayload::Completed { result } = ended.task.payload else { panic!() };
        assert_eq!(result["content"][0]["text"], "done");
        assert!(changes.try_recv().is_err(), "nothing else was announced");
    }

    /// The stored tasks, once the journal has written `count` of them.
    async fn wait_for(state: &Arc<StateDb>, count: usize) -> Vec<StoredTask> {
        for _ in 0..100 {
            let stored = state.run(|s| s.tasks()).await.unwrap();
            if stored.len() == count && stored.iter().any(|t| t.ended_at_ms.is_some()) {
                return stored;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the journal did not write {count} tasks");
    }
}
