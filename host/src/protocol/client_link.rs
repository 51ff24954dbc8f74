//! The client as a plugin call sees it ([`ClientLink`]), over an rmcp request.
//!
//! In sessions that began with `initialize`, elicitation, sampling and roots are
//! real requests to the client. In the 2026-07-28 revision they travel as an
//! input-required result: each unanswered request is recorded and fails in the
//! plugin as pending; when the call returns, the client gets every open request
//! at once, answers, and calls again. The call then runs from the start and each
//! request, matched by its key, receives its answer. Earlier answers ride along
//! in a signed `requestState`, so a retry can land on any server instance.

use std::sync::Mutex;

use futures::FutureExt;
use futures::future::BoxFuture;
use rmcp::model::{
    ClientCapabilities, InputRequest, InputRequests, InputRequiredResult, InputResponses, LoggingLevel,
    LoggingMessageNotification, LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken,
    ServerJsonRpcMessage, ServerNotification,
};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData, RoleServer};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::convert;
use super::request_state::StateSigner;
use super::tasks::TaskHandle;
use crate::caller::{ClientLink, ClientRequestError};
use crate::wit::client::{ElicitRequest as WitElicit, ElicitResponse, Root, SamplingRequest, SamplingResponse};
use crate::wit::log::Level;

/// The severity rank of an MCP logging level (higher is more severe).
fn level_rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

fn mcp_level(level: Level) -> LoggingLevel {
    match level {
        Level::Debug => LoggingLevel::Debug,
        Level::Info => LoggingLevel::Info,
        Level::Notice => LoggingLevel::Notice,
        Level::Warning => LoggingLevel::Warning,
        Level::Error => LoggingLevel::Error,
    }
}

/// Which log records the client wants on this request.
#[derive(Debug, Clone, Copy)]
pub enum LogFilter {
    /// Every record (a legacy session that never called `logging/setLevel`).
    All,
    /// Records at or above this level.
    AtLeast(LoggingLevel),
    /// None (a 2026-07-28 request without `logLevel` in `_meta`).
    Nothing,
}

impl LogFilter {
    fn wants(self, level: LoggingLevel) -> bool {
        match self {
            LogFilter::All => true,
            LogFilter::AtLeast(min) => level_rank(level) >= level_rank(min),
            LogFilter::Nothing => false,
        }
    }
}

/// Answers collected for a 2026-07-28 call, and what the call still needs.
struct Replay {
    binding: String,
    answers: InputResponses,
    capabilities: ClientCapabilities,
    asked: usize,
    open: InputRequests,
    missing_capability: Option<&'static str>,
    bad_answer: Option<String>,
}

/// How client requests are made on this call.
enum Mode {
    /// Real server-to-client requests (sessions that began with `initialize`).
    Requests,
    /// Input-required round trips (2026-07-28).
    Replay(Box<Mutex<Replay>>),
}

impl Mode {
    fn replay(binding: String, answers: InputResponses, capabilities: ClientCapabilities) -> Self {
        Mode::Replay(Box::new(Mutex::new(Replay {
            binding,
            answers,
            capabilities,
            asked: 0,
            open: InputRequests::new(),
            missing_capability: None,
            bad_answer: None,
        })))
    }
}

/// How a call must end instead of with the plugin's own answer.
pub enum Interruption {
    /// The client must answer these requests and call again.
    InputRequired(InputRequiredResult),
    /// The call cannot go on (an invalid answer, a capability the client lacks).
    Error(ErrorData),
}

/// A call's own response stream, for the notifications about the call that
/// rmcp would send elsewhere: log records, which rmcp puts on a Streamable
/// HTTP session's GET stream (it routes only progress to the POST response).
/// A transport that offers one puts it in the request's extensions and
/// merges the receiving end into the call's response, before the result.
#[derive(Clone)]
pub struct CallStream(mpsc::Sender<ServerJsonRpcMessage>);

impl CallStream {
    /// A call stream and its receiving end.
    pub fn channel() -> (Self, mpsc::Receiver<ServerJsonRpcMessage>) {
        let (sender, receiver) = mpsc::channel(64);
        (Self(sender), receiver)
    }
}

/// The handler's answer to a call that asks to run as a task: the task's
/// handle, or `None` (the call goes on in its request).
pub type TaskReply = oneshot::Sender<Option<TaskHandle>>;

/// Whether the call may become a task, or is one.
enum TaskState {
    /// It may not.
    Unavailable,
    /// It may: the handler waits for the ask here.
    Offered(oneshot::Sender<TaskReply>),
    /// It runs as this task.
    Running(TaskHandle),
}

/// One request's link to its client (or, for a task's later runs, to the task).
pub struct RequestLink {
    peer: Option<Peer<RoleServer>>,
    call_stream: Option<CallStream>,
    progress_token: Option<ProgressToken>,
    log_filter: LogFilter,
    mode: Mode,
    task: Mutex<TaskState>,
}

/// What kind of client request; its capability and default key prefix.
#[derive(Clone, Copy)]
enum Kind {
    Elicitation,
    Sampling,
    Roots,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Elicitation => "elicitation",
            Kind::Sampling => "sampling",
            Kind::Roots => "roots",
        }
    }

    fn declared(self, capabilities: &ClientCapabilities) -> bool {
        match self {
            Kind::Elicitation => capabilities.elicitation.is_some(),
            Kind::Sampling => capabilities.sampling.is_some(),
            Kind::Roots => capabilities.roots.is_some(),
        }
    }
}

impl RequestLink {
    /// The link for a request in a session that began with `initialize`.
    pub fn session(ctx: &RequestContext<RoleServer>, log_filter: LogFilter) -> Self {
        Self {
            peer: Some(ctx.peer.clone()),
            call_stream: ctx.extensions.get::<CallStream>().cloned(),
            progress_token: ctx.meta.get_progress_token(),
            log_filter,
            mode: Mode::Requests,
            task: Mutex::new(TaskState::Unavailable),
        }
    }

    /// The link for a 2026-07-28 request. `binding` names the request (method
    /// and target) that `request_state` must have been sealed for; a state that
    /// fails verification is an invalid-params error.
    pub fn replay(
        ctx: &RequestContext<RoleServer>,
        log_filter: LogFilter,
        signer: &StateSigner,
        binding: String,
        request_state: Option<&str>,
        responses: Option<&InputResponses>,
    ) -> Result<Self, ErrorData> {
        let mut answers = match request_state {
            None => InputResponses::new(),
            Some(state) => signer.open(&binding, state).ok_or_else(|| {
                ErrorData::invalid_params("requestState is not one this server issued for this request", None)
            })?,
        };
        answers.extend(responses.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
        Ok(Self {
            peer: Some(ctx.peer.clone()),
            call_stream: ctx.extensions.get::<CallStream>().cloned(),
            progress_token: ctx.meta.get_progress_token(),
            log_filter,
            mode: Mode::replay(binding, answers, ctx.client_capabilities().unwrap_or_default()),
            task: Mutex::new(TaskState::Unavailable),
        })
    }

    /// The link for a later run of task `task`'s call, with the answers
    /// collected so far: progress goes to the task, logs nowhere (no request
    /// is open to carry them).
    pub fn task_run(
        task: TaskHandle,
        binding: String,
        answers: InputResponses,
        capabilities: ClientCapabilities,
    ) -> Self {
        Self {
            peer: None,
            call_stream: None,
            progress_token: None,
            log_filter: LogFilter::Nothing,
            mode: Mode::replay(binding, answers, capabilities),
            task: Mutex::new(TaskState::Running(task)),
        }
    }

    /// Lets the call ask to run as a task (2026-07-28 requests only); the
    /// receiver gets the ask, with the channel for the handler's reply.
    pub fn offer_task(&self) -> oneshot::Receiver<TaskReply> {
        let (ask, asked) = oneshot::channel();
        if matches!(self.mode, Mode::Replay(_)) {
            *self.task.lock().unwrap() = TaskState::Offered(ask);
        }
        asked
    }

    /// Makes the call run as `task` from now on, whether it asked or not:
    /// progress and output go to the task.
    pub fn become_task(&self, task: TaskHandle) {
        *self.task.lock().unwrap() = TaskState::Running(task);
    }

    /// The answers the call was given so far.
    pub fn answers(&self) -> InputResponses {
        match &self.mode {
            Mode::Replay(replay) => replay.lock().unwrap().answers.clone(),
            Mode::Requests => InputResponses::new(),
        }
    }

    /// After the plugin returned: how the call must end instead, if it must.
    pub fn interruption(&self, signer: &StateSigner) -> Option<Interruption> {
        let Mode::Replay(replay) = &self.mode else { return None };
        let replay = replay.lock().unwrap();
        if let Some(why) = &replay.bad_answer {
            return Some(Interruption::Error(ErrorData::invalid_params(why.clone(), None)));
        }
        if !replay.open.is_empty() {
            let state = signer.seal(&replay.binding, &replay.answers);
            return Some(Interruption::InputRequired(InputRequiredResult::new(Some(replay.open.clone()), Some(state))));
        }
        replay.missing_capability.map(|capability| {
            Interruption::Error(ErrorData::new(
                rmcp::model::ErrorCode(-32021),
                format!("this tool needs the client capability `{capability}`, which the request did not declare"),
                Some(json!({"requiredCapabilities": {capability: {}}})),
            ))
        })
    }

    /// The answer to the next request, or records it as open. `params` is the
    /// request's wire form; `check` validates an answer's shape.
    fn ask(
        &self,
        kind: Kind,
        key: Option<String>,
        params: Value,
        check: impl Fn(&Value) -> Result<(), String>,
    ) -> Result<Value, ClientRequestError> {
        let Mode::Replay(replay) = &self.mode else { unreachable!("ask is only used in replay mode") };
        let mut replay = replay.lock().unwrap();
        let key = key.unwrap_or_else(|| format!("{}-{}", kind.prefix(), replay.asked));
        replay.asked += 1;
        if !kind.declared(&replay.capabilities) {
            replay.missing_capability.get_or_insert(kind.prefix());
            return Err(ClientRequestError::Failed(format!("the client does not support {}", kind.prefix())));
        }
        if let Some(answer) = replay.answers.get(&key).cloned() {
            return match check(&answer) {
                Ok(()) => Ok(answer),
                Err(why) => {
                    replay.bad_answer.get_or_insert(format!("inputResponses.{key}: {why}"));
                    Err(ClientRequestError::Failed(why))
                }
            };
        }
        let method = match kind {
            Kind::Elicitation => "elicitation/create",
            Kind::Sampling => "sampling/createMessage",
            Kind::Roots => "roots/list",
        };
        match serde_json::from_value::<InputRequest>(json!({"method": method, "params": params})) {
            Ok(request) => {
                replay.open.insert(key.clone(), request);
                Err(ClientRequestError::Pending(format!(
                    "the client has not answered `{key}` yet; make the call's other independent requests and return"
                )))
            }
            Err(e) => Err(ClientRequestError::Failed(format!("invalid {method} request: {e}"))),
        }
    }
}

impl RequestLink {
    /// The client's end of a session, for real requests.
    fn peer(&self) -> Result<&Peer<RoleServer>, ClientRequestError> {
        self.peer.as_ref().ok_or_else(|| ClientRequestError::Failed("no client is connected to this call".into()))
    }
}

fn failed(error: impl std::fmt::Display) -> ClientRequestError {
    ClientRequestError::Failed(error.to_string())
}

impl ClientLink for RequestLink {
    fn log(&self, level: Level, logger: String, message: String) -> BoxFuture<'_, ()> {
        let level = mcp_level(level);
        let wanted = self.log_filter.wants(level);
        async move {
            if !wanted {
                return;
            }
            let param = LoggingMessageNotificationParam::new(level, Value::String(message)).with_logger(logger);
            match &self.call_stream {
                Some(CallStream(stream)) => {
                    let note = ServerNotification::LoggingMessageNotification(LoggingMessageNotification::new(param));
                    let _ = stream.send(ServerJsonRpcMessage::notification(note)).await;
                }
                None => {
                    if let Some(peer) = &self.peer {
                        let _ = peer.notify_logging_message(param).await;
                    }
                }
            }
        }
        .boxed()
    }

    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) -> BoxFuture<'_, ()> {
        async move {
            if let TaskState::Running(task) = &*self.task.lock().unwrap() {
                let total = total.map(|t| format!(" of {t}")).unwrap_or_default();
                task.report(message.clone().unwrap_or_else(|| format!("{progress}{total}")));
            }
            let (Some(token), Some(peer)) = (self.progress_token.clone(), &self.peer) else { return };
            let mut param = ProgressNotificationParam::new(token, progress);
            if let Some(total) = total {
                param = param.with_total(total);
            }
            if let Some(message) = message {
                param = param.with_message(message);
            }
            let _ = peer.notify_progress(param).await;
        }
        .boxed()
    }

    fn output(&self, text: &str) {
        if let TaskState::Running(task) = &*self.task.lock().unwrap() {
            task.output(text);
        }
    }

    fn run_as_task(&self) -> BoxFuture<'_, bool> {
        async move {
            let Mode::Replay(replay) = &self.mode else { return false };
            if !replay.lock().unwrap().open.is_empty() {
                return false;
            }
            let state = std::mem::replace(&mut *self.task.lock().unwrap(), TaskState::Unavailable);
            let ask = match state {
                TaskState::Unavailable => return false,
                TaskState::Running(task) => {
                    *self.task.lock().unwrap() = TaskState::Running(task);
                    return true;
                }
                TaskState::Offered(ask) => ask,
            };
            let (reply, replied) = oneshot::channel();
            if ask.send(reply).is_err() {
                return false;
            }
            match replied.await {
                Ok(Some(task)) => {
                    *self.task.lock().unwrap() = TaskState::Running(task);
                    true
                }
                _ => false,
            }
        }
        .boxed()
    }

    fn elicit(&self, request: WitElicit) -> BoxFuture<'_, Result<ElicitResponse, ClientRequestError>> {
        async move {
            let answer = match &self.mode {
                Mode::Requests => {
                    let params = convert::elicit_params(&request).map_err(ClientRequestError::Failed)?;
                    serde_json::to_value(self.peer()?.create_elicitation(params).await.map_err(failed)?)
                        .map_err(failed)?
                }
                Mode::Replay(_) => {
                    let params = convert::elicit_wire(&request).map_err(ClientRequestError::Failed)?;
                    self.ask(Kind::Elicitation, request.key.clone(), params, |a| convert::elicit_response(a).map(drop))?
                }
            };
            convert::elicit_response(&answer).map_err(ClientRequestError::Failed)
        }
        .boxed()
    }

    fn can_elicit(&self) -> bool {
        match &self.mode {
            Mode::Requests => self
                .peer
                .as_ref()
                .and_then(|peer| peer.peer_info())
                .is_some_and(|client| Kind::Elicitation.declared(&client.capabilities)),
            Mode::Replay(replay) => Kind::Elicitation.declared(&replay.lock().unwrap().capabilities),
        }
    }

    fn sample(&self, request: SamplingRequest) -> BoxFuture<'_, Result<SamplingResponse, ClientRequestError>> {
        async move {
            let answer = match &self.mode {
                Mode::Requests => {
                    let params = convert::sampling_params(&request).map_err(ClientRequestError::Failed)?;
                    serde_json::to_value(self.peer()?.create_message(params).await.map_err(failed)?).map_err(failed)?
                }
                Mode::Replay(_) => {
                    let params = convert::sampling_wire(&request);
                    self.ask(Kind::Sampling, request.key.clone(), params, |a| convert::sampling_response(a).map(drop))?
                }
            };
            convert::sampling_response(&answer).map_err(ClientRequestError::Failed)
        }
        .boxed()
    }

    fn list_roots(&self, key: Option<String>) -> BoxFuture<'_, Result<Vec<Root>, ClientRequestError>> {
        async move {
            let answer = match &self.mode {
                Mode::Requests => {
                    serde_json::to_value(self.peer()?.list_roots().await.map_err(failed)?).map_err(failed)?
                }
                Mode::Replay(_) => self.ask(Kind::Roots, key, json!({}), |a| convert::roots(a).map(drop))?,
            };
            convert::roots(&answer).map_err(ClientRequestError::Failed)
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plugin_level_maps_to_the_mcp_level_of_the_same_name() {
        let pairs = [
            (Level::Debug, LoggingLevel::Debug),
            (Level::Info, LoggingLevel::Info),
            (Level::Notice, LoggingLevel::Notice),
            (Level::Warning, LoggingLevel::Warning),
            (Level::Error, LoggingLevel::Error),
        ];
        for (plugin, mcp) in pairs {
            assert_eq!(mcp_level(plugin), mcp);
        }
    }

    #[test]
    fn a_log_filter_passes_its_level_and_above_only() {
        let warning = LogFilter::AtLeast(LoggingLevel::Warning);
        assert!(!warning.wants(LoggingLevel::Info));
        assert!(!warning.wants(LoggingLevel::Notice));
        assert!(warning.wants(LoggingLevel::Warning));
        assert!(warning.wants(LoggingLevel::Emergency));
        assert!(LogFilter::All.wants(LoggingLevel::Debug));
        assert!(!LogFilter::Nothing.wants(LoggingLevel::Emergency));
    }

    #[test]
    fn levels_rank_in_order_of_severity() {
        let ordered = [
            LoggingLevel::Debug,
            LoggingLevel::Info,
            LoggingLevel::Notice,
            LoggingLevel::Warning,
            LoggingLevel::Error,
            LoggingLevel::Critical,
            LoggingLevel::Alert,
            LoggingLevel::Emergency,
        ];
        assert!(ordered.windows(2).all(|w| level_rank(w[0]) < level_rank(w[1])));
    }

    #[test]
    fn kinds_check_their_own_capability() {
        let mut capabilities = ClientCapabilities::default();
        assert!(!Kind::Elicitation.declared(&capabilities));
        capabilities.roots = Some(Default::default());
        assert!(Kind::Roots.declared(&capabilities));
        assert!(!Kind::Sampling.declared(&capabilities));
        assert_eq!(Kind::Sampling.prefix(), "sampling");
    }
}
