//! Running a command in a container: streamed output, a timeout and
//! cancellation that kill the command's whole process group, and the exit
//! code and out-of-memory verdict afterwards.
//!
//! The command runs under a tiny wrapper, `sh -c 'echo "<marker>$$" >&2; exec "$@"'`,
//! with the caller's argv as positional arguments (never part of the script).
//! The engine starts each exec in a new session, so the wrapper's pid (which
//! the command inherits through `exec`) is also its process group id, and
//! `kill -9 -<pid>` ends the command and everything it started that stayed in
//! its group. Processes that left the group (`setsid`, daemons that double
//! fork) still carry the exec's tag in their environment
//! (`PORTCULLIS_EXEC=<random>`), and every process with the tag is killed
//! too. A process that deliberately clears its environment escapes the tag;
//! it ends with its container (session end, idle TTL, shutdown).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use super::engine::Client;
use super::error::Error;
use super::output::{Capture, Captured, PID_MARKER};
use crate::caller::ClientLink;

/// How long to wait, after a kill, for the wrapper's pid and then for the
/// output to end.
const KILL_GRACE: Duration = Duration::from_secs(3);

/// How long the host's own helper commands (kill, reading counters) may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait for the engine to record an exec's exit after its output ends.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// The environment variable that tags every process an exec starts.
pub(super) const TAG: &str = "PORTCULLIS_EXEC";

/// Kills the group `$0`, then (twice, to catch processes forked meanwhile)
/// every process whose environment holds `PORTCULLIS_EXEC=$1`.
const KILL_SCRIPT: &str = r#"kill -9 "-$0" 2>/dev/null || kill -9 "$0" 2>/dev/null
for round in 1 2; do
  for dir in /proc/[0-9]*; do
    if tr '\0' '\n' < "$dir/environ" 2>/dev/null | grep -qx "PORTCULLIS_EXEC=$1"; then
      kill -9 "${dir#/proc/}" 2>/dev/null
    fi
  done
done
true"#;

/// The exit code of a process the kernel killed with SIGKILL (as the OOM killer does).
pub(super) const SIGKILL_EXIT: i64 = 128 + 9;

type Frames = std::pin::Pin<Box<dyn Stream<Item = Result<LogOutput, BollardError>> + Send>>;

/// One command to run.
pub(super) struct Job {
    pub(super) container: String,
    pub(super) argv: Vec<String>,
    pub(super) workdir: String,
    pub(super) env: Vec<String>,
    pub(super) timeout: Duration,
    pub(super) output_cap: usize,
    /// Where to stream output, if the caller asked for streaming.
    pub(super) stream: Option<Arc<dyn ClientLink>>,
    pub(super) cancel: CancellationToken,
}

/// Why a command stopped, as far as the exec itself can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    Exited,
    Timeout,
    Cancelled,
}

/// What became of a command.
#[derive(Debug)]
pub(super) struct Outcome {
    pub(super) exit_code: Option<i64>,
    pub(super) output: Captured,
    pub(super) duration: Duration,
    pub(super) stop: Stop,
}

/// Runs `job` to its end: exit, timeout or cancellation. On timeout or
/// cancellation the process group is killed before this returns.
pub(super) async fn run(client: &Client, job: Job) -> Result<Outcome, Error> {
    let script = format!("echo \"{PID_MARKER}$$\" >&2 && exec \"$@\"");
    let cmd = ["sh", "-c", &script, "portcullis-exec"].into_iter().map(String::from).chain(job.argv).collect();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut env = job.env;
    env.push(format!("{TAG}={tag}"));
    let config = ExecConfig {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        cmd: Some(cmd),
        env: Some(env),
        working_dir: Some(job.workdir),
        ..Default::default()
    };
    let (exec_id, mut frames) = start(client, &job.container, config).await?;
    let started = Instant::now();
    let mut capture = Capture::new(job.output_cap, job.stream);
    let deadline = tokio::time::sleep(job.timeout);
    tokio::pin!(deadline);
    let ended = loop {
        tokio::select! {
            biased;
            _ = job.cancel.cancelled() => break Ok(Stop::Cancelled),
            _ = &mut deadline => break Ok(Stop::Timeout),
            frame = frames.next() => match frame {
                Some(Ok(frame)) => capture.push(frame).await,
                Some(Err(e)) => break Err(e),
                None => break Ok(Stop::Exited),
            },
        }
    };
    if !matches!(ended, Ok(Stop::Exited)) {
        kill_all(client, &job.container, &tag, &mut capture, &mut frames).await;
    }
    let duration = started.elapsed();
    let stop = ended.map_err(client.err("read the command's output"))?;
    let exit_code = exit_code(client, &exec_id).await?;
    let wrapper_ran = capture.pid().is_some();
    let output = capture.finish().await;
    if stop == Stop::Exited && !wrapper_ran {
        let said = format!("{}{}", output.stdout, output.stderr);
        return Err(Error::Failed(format!(
            "the command could not be started in the container (exit code {}): {}. Commands run through `sh`, which the image must provide",
            exit_code.map_or("unknown".into(), |c| c.to_string()),
            said.trim()
        )));
    }
    Ok(Outcome { exit_code, output, duration, stop })
}

/// Runs a helper command of the host's own (no wrapper, no streaming) and
/// returns its exit code and stdout.
pub(super) async fn helper(client: &Client, container: &str, argv: &[&str]) -> Result<(Option<i64>, String), Error> {
    let config = ExecConfig {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        cmd: Some(argv.iter().map(|a| a.to_string()).collect()),
        ..Default::default()
    };
    let work = async {
        let (exec_id, mut frames) = start(client, container, config).await?;
        let mut stdout = Vec::new();
        while let Some(frame) = frames.next().await {
            if let LogOutput::StdOut { message } = frame.map_err(client.err("read a helper command's output"))? {
                stdout.extend_from_slice(&message);
            }
        }
        Ok((exit_code(client, &exec_id).await?, String::from_utf8_lossy(&stdout).into_owned()))
    };
    tokio::time::timeout(HELPER_TIMEOUT, work).await.map_err(|_| {
        Error::Failed(format!("`{}` did not finish within {} s", argv.join(" "), HELPER_TIMEOUT.as_secs()))
    })?
}

/// How many processes the kernel has killed in this container for lack of
/// memory (its cgroup's `oom_kill` counter, v2 or v1), if readable.
pub(super) async fn oom_kills(client: &Client, container: &str) -> Option<u64> {
    let argv = ["cat", "/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"];
    let (_, text) = helper(client, container, &argv).await.ok()?;
    text.lines().find_map(|line| line.strip_prefix("oom_kill ")).and_then(|n| n.trim().parse().ok())
}

async fn start(client: &Client, container: &str, config: ExecConfig) -> Result<(String, Frames), Error> {
    let exec = client.api.create_exec(container, config).await.map_err(client.err("create an exec"))?;
    match client.api.start_exec(&exec.id, None).await.map_err(client.err("start an exec"))? {
        StartExecResults::Attached { output, .. } => Ok((exec.id, output)),
        StartExecResults::Detached => Err(Error::Failed("the engine started the exec detached".into())),
    }
}

/// Kills the command's process group and every process carrying its `tag`,
/// then collects what output remains.
async fn kill_all(client: &Client, container: &str, tag: &str, capture: &mut Capture, frames: &mut Frames) {
    let grace = tokio::time::Instant::now() + KILL_GRACE;
    while capture.pid().is_none() {
        match tokio::time::timeout_at(grace, frames.next()).await {
            Ok(Some(Ok(frame))) => capture.push(frame).await,
            _ => break,
        }
    }
    // Without a pid (the wrapper never reported it), the tag still finds the processes.
    let pid = capture.pid().map_or_else(|| "0".to_string(), |pid| pid.to_string());
    // `-pid` is the group; the plain pid covers a command that left it.
    let kill = ["sh", "-c", KILL_SCRIPT, &pid, tag];
    if let Err(e) = helper(client, container, &kill).await {
        tracing::warn!(container, pid, "could not kill a timed-out or cancelled command: {e}");
    }
    let grace = tokio::time::Instant::now() + KILL_GRACE;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(grace, frames.next()).await {
        capture.push(frame).await;
    }
}

/// The exec's exit code, once the engine has recorded it.
async fn exit_code(client: &Client, exec_id: &str) -> Result<Option<i64>, Error> {
    let until = Instant::now() + EXIT_WAIT;
    loop {
        let inspected = client.api.inspect_exec(exec_id).await.map_err(client.err("inspect an exec"))?;
        if inspected.running != Some(true) || Instant::now() >= until {
            return Ok(inspected.exit_code);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
