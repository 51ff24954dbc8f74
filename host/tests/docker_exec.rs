//! Exec against a real engine: output and exit codes, streaming, timeouts and
//! cancellation that leave no process behind, the output cap, out-of-memory,
//! and the network (off by default, on for an install only).

mod docker_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use docker_support::*;
use portcullis::caller::Grant;
use portcullis::docker::DockerConfig;
use portcullis::wit::docker::ExitReason;
use portcullis::wit::log::Level;
use portcullis::wit::types::Failure;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn output_exit_code_and_literal_arguments() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "output", |session| async move {
        let caller = caller(&session, &[]);
        let c = create(service, &caller, spec(BUSYBOX)).await;

        let result = run(service, &caller, &c.id, exec_spec(&["sh", "-c", "echo out; echo err >&2; exit 3"])).await;
        assert_eq!((result.stdout.as_str(), result.stderr.as_str()), ("out\n", "err\n"));
        assert_eq!(result.exit_code, Some(3));
        assert_eq!(result.reason, ExitReason::Exited);
        assert!(!result.truncated);

        // Arguments are never interpreted by a shell.
        let result = run(service, &caller, &c.id, exec_spec(&["echo", "$(id)", ";", "rm", "-rf", "/"])).await;
        assert_eq!(result.stdout, "$(id) ; rm -rf /\n");

        let mut in_tmp = exec_spec(&["pwd"]);
        in_tmp.workdir = Some("/tmp".into());
        assert_eq!(run(service, &caller, &c.id, in_tmp).await.stdout, "/tmp\n");
        assert_eq!(run(service, &caller, &c.id, exec_spec(&["pwd"])).await.stdout, "/workspace\n");

        let mut nowhere = exec_spec(&["pwd"]);
        nowhere.workdir = Some("/no/such/dir".into());
        let unstartable = service.exec(&caller, &c.id, nowhere).await;
        assert!(matches!(&unstartable, Err(Failure::Failed(m)) if m.contains("/no/such/dir")), "{unstartable:?}");

        let missing = run(service, &caller, &c.id, exec_spec(&["no-such-program"])).await;
        assert_eq!(missing.exit_code, Some(127), "{missing:?}");
        assert!(missing.stderr.contains("no-such-program"), "{missing:?}");

        let by_name = service.exec(&caller, "not-a-container", exec_spec(&["true"])).await;
        assert!(matches!(by_name, Err(Failure::NotFound(_))), "{by_name:?}");
    })
    .await;
}

#[tokio::test]
async fn streams_output_as_logs_and_progress() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "stream", |session| async move {
        let recorder = Arc::new(Recorder::default());
        let caller = caller_with(&session, &[], Some(recorder.clone()), CancellationToken::new());
        let c = create(service, &caller, spec(BUSYBOX)).await;
        let mut streamed = exec_spec(&["sh", "-c", "echo first; sleep 0.2; echo oops >&2; sleep 0.2; echo last"]);
        streamed.stream = true;
        let result = run(service, &caller, &c.id, streamed).await;
        assert_eq!(result.stdout, "first\nlast\n");
        let notes = recorder.notes();
        let logs: Vec<_> = notes
            .iter()
            .filter_map(|n| match n {
                Note::Log(level, logger, text) => Some((*level, logger.as_str(), text.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            logs,
            [(Level::Info, "exec", "first\n"), (Level::Warning, "exec", "oops\n"), (Level::Info, "exec", "last\n")],
            "{notes:?}"
        );
        assert!(notes.contains(&Note::Progress(6.0, Some("first".into()))), "{notes:?}");

        // A flood of output is coalesced into a few records, and nothing kept is lost.
        let before = recorder.notes().len();
        // One write per line: the engine delivers them as hundreds of frames.
        let lines = "i=1; while [ $i -le 20000 ]; do echo $i; i=$((i+1)); done";
        let mut flood = exec_spec(&["sh", "-c", lines]);
        flood.stream = true;
        let result = run(service, &caller, &c.id, flood).await;
        let notes = &recorder.notes()[before..];
        let streamed: String = notes
            .iter()
            .filter_map(|n| match n {
                Note::Log(Level::Info, _, text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(streamed, result.stdout, "the streamed output is the kept output");
        assert!(result.stdout.ends_with("\n20000\n"));
        assert!(notes.len() < 60, "{} notifications for {} bytes", notes.len(), result.stdout.len());

        // Without `stream`, nothing reaches the client.
        let before = recorder.notes().len();
        run(service, &caller, &c.id, exec_spec(&["echo", "quiet"])).await;
        assert_eq!(recorder.notes().len(), before);
    })
    .await;
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "timeout", |session| async move {
        let caller = caller(&session, &[]);
        let c = create(service, &caller, spec(BUSYBOX)).await;
        let mut slow = exec_spec(&["sh", "-c", "sleep 300 & sleep 301; echo never"]);
        slow.timeout_ms = Some(1000);
        let started = Instant::now();
        let result = run(service, &caller, &c.id, slow).await;
        assert_eq!(result.reason, ExitReason::Timeout, "{result:?}");
        assert_eq!(result.exit_code, None);
        assert!(result.duration_ms >= 1000 && started.elapsed() < Duration::from_secs(6), "{result:?}");
        let ps = processes(service, &caller, &c.id).await;
        assert!(!ps.contains("sleep 30"), "processes survived the timeout:\n{ps}");
    })
    .await;
}

#[tokio::test]
async fn a_timeout_kills_processes_that_left_the_group() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "setsid", |session| async move {
        let caller = caller(&session, &[]);
        let c = create(service, &caller, spec(BUSYBOX)).await;
        // One escapes with setsid, one double-forks into its own session.
        let script = "setsid sleep 1001 & (setsid sh -c 'sleep 1002 &') ; sleep 303";
        let mut slow = exec_spec(&["sh", "-c", script]);
        slow.timeout_ms = Some(1000);
        assert_eq!(run(service, &caller, &c.id, slow).await.reason, ExitReason::Timeout);
        let ps = processes(service, &caller, &c.id).await;
        assert!(!ps.contains("sleep 100"), "processes that left the group survived the timeout:\n{ps}");
        // A process group the exec did not start is not touched.
        let mut detached = exec_spec(&["sh", "-c", "setsid sleep 1003 >/dev/null 2>&1 &"]);
        detached.timeout_ms = Some(5000);
        assert_eq!(run(service, &caller, &c.id, detached).await.reason, ExitReason::Exited);
        assert!(processes(service, &caller, &c.id).await.contains("sleep 1003"), "an exec that ended kills nothing");
    })
    .await;
}

#[tokio::test]
async fn cancellation_and_dropping_the_call_kill_the_command() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "cancel", |session| async move {
        let cancel = CancellationToken::new();
        let caller = caller_with(&session, &[], None, cancel.clone());
        let c = create(service, &caller, spec(BUSYBOX)).await;
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            cancel.cancel();
        });
        let result = run(service, &caller, &c.id, exec_spec(&["sh", "-c", "sleep 302 & sleep 303"])).await;
        canceller.await.unwrap();
        assert_eq!(result.reason, ExitReason::Cancelled, "{result:?}");
        assert_eq!(result.exit_code, None);
        let plain = docker_support::caller(&session, &[]);
        let ps = processes(service, &plain, &c.id).await;
        assert!(!ps.contains("sleep 30"), "processes survived cancellation:\n{ps}");

        // A caller that goes away (its future dropped) kills the command too.
        let abandoned = tokio::time::timeout(
            Duration::from_millis(500),
            service.exec(&plain, &c.id, exec_spec(&["sh", "-c", "sleep 304 & sleep 305"])),
        )
        .await;
        assert!(abandoned.is_err(), "the exec should still have been running");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let ps = processes(service, &plain, &c.id).await;
            if !ps.contains("sleep 30") {
                break;
            }
            assert!(Instant::now() < deadline, "processes survived a dropped call:\n{ps}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn output_is_capped_and_marked_truncated() {
    engine().await;
    let service = &Capability::new(DockerConfig { output_cap_bytes: 1000, ..config() });
    in_session(service, "cap", |session| async move {
        let caller = caller(&session, &[]);
        let c = create(service, &caller, spec(BUSYBOX)).await;
        let result =
            run(service, &caller, &c.id, exec_spec(&["sh", "-c", "head -c 50000 /dev/zero | tr '\\0' a"])).await;
        assert_eq!(result.exit_code, Some(0));
        assert!(result.truncated);
        assert_eq!(result.stdout, "a".repeat(1000));
        assert!(result.stderr.contains("output truncated") && result.stderr.contains("50000"), "{}", result.stderr);
    })
    .await;
}

#[tokio::test]
async fn out_of_memory_is_reported_as_such() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "oom", |session| async move {
        let caller = caller(&session, &[]);
        let mut small = spec(PYTHON);
        small.memory_bytes = Some(64 << 20);
        let c = create(service, &caller, small).await;
        let hog = run(service, &caller, &c.id, exec_spec(&["python3", "-c", "x = b'x' * (2 << 30)"])).await;
        assert_eq!(hog.reason, ExitReason::OutOfMemory, "{hog:?}");
        assert_eq!(hog.exit_code, Some(137));

        // A SIGKILL that is not the OOM killer's is an ordinary exit.
        let killed = run(service, &caller, &c.id, exec_spec(&["sh", "-c", "kill -9 $$"])).await;
        assert_eq!((killed.reason, killed.exit_code), (ExitReason::Exited, Some(137)), "{killed:?}");
    })
    .await;
}

#[tokio::test]
async fn network_is_off_unless_an_install_asks_for_it() {
    engine().await;
    let service = &Capability::new(config());
    in_session(service, "network", |session| async move {
        let caller = caller(&session, &[Grant::InstallNetwork]);
        let python = create(service, &caller, spec(PYTHON)).await;
        assert!(!python.network);
        let probe = ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://1.1.1.1', timeout=3)"];
        let offline = run(service, &caller, &python.id, exec_spec(&probe)).await;
        assert_eq!(offline.exit_code, Some(1), "{offline:?}");
        assert!(offline.stderr.contains("unreachable"), "{}", offline.stderr);

        // The install step runs with a network, elsewhere; what it writes arrives.
        // Unique per run, so the step is never in the cache yet.
        let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let step = format!("echo {unique} > /opt/installed && cat /proc/net/dev");
        let mut install = exec_spec(&["sh", "-c", &step]);
        install.with_network = true;
        let online = run(service, &caller, &python.id, install.clone()).await;
        assert!(online.stdout.contains("eth0"), "no interface during the install:\n{}", online.stdout);
        let interfaces = ["cat", "/proc/net/dev"];
        let after = run(service, &caller, &python.id, exec_spec(&interfaces)).await;
        assert!(!after.stdout.contains("eth0"), "the container got a network:\n{}", after.stdout);
        let installed = run(service, &caller, &python.id, exec_spec(&["cat", "/opt/installed"])).await;
        assert_eq!(installed.stdout.trim(), unique.to_string(), "{installed:?}");

        // The same step on the same image is served from the cache, offline.
        let other = create(service, &caller, spec(PYTHON)).await;
        let cached = run(service, &caller, &other.id, install.clone()).await;
        assert!(cached.stdout.contains("from the install cache"), "{cached:?}");
        let installed = run(service, &caller, &other.id, exec_spec(&["cat", "/opt/installed"])).await;
        assert_eq!(installed.stdout.trim(), unique.to_string(), "{installed:?}");

        // A failing step changes nothing in the container.
        let mut failing = exec_spec(&["sh", "-c", "echo partial > /opt/failed; exit 3"]);
        failing.with_network = true;
        assert_eq!(run(service, &caller, &python.id, failing).await.exit_code, Some(3));
        let absent = run(service, &caller, &python.id, exec_spec(&["ls", "/opt"])).await;
        assert_eq!(absent.stdout, "installed\n", "{absent:?}");

        let ungranted = service.exec(&docker_support::caller(&session, &[]), &python.id, install).await;
        match ungranted {
            Err(Failure::Denied(message)) => assert!(message.contains("install-network"), "{message}"),
            other => panic!("expected a denial, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn the_workspace_quota_refuses_writes_and_stops_execs_past_it() {
    engine().await;
    let service = &Capability::new(DockerConfig { workspace_bytes: 16 << 20, ..config() });
    in_session(service, "quota", |session| async move {
        let caller = caller(&session, &[]);
        let c = create(service, &caller, spec(BUSYBOX)).await;

        let refused = service.write_file(&caller, &c.id, "/workspace/big", vec![b'x'; 17 << 20]).await;
        assert!(matches!(&refused, Err(Failure::Failed(m)) if m.contains("docker.workspace_mib")), "{refused:?}");
        let listed = run(service, &caller, &c.id, exec_spec(&["ls", "/workspace"])).await;
        assert_eq!(listed.stdout, "", "a refused write wrote nothing");

        // A command that keeps writing is stopped soon after the quota is passed.
        let fill = "i=0; while true; do dd if=/dev/zero of=/workspace/f$i bs=1M count=2 2>/dev/null; i=$((i+1)); sleep 0.1; done";
        let mut filling = exec_spec(&["sh", "-c", fill]);
        filling.timeout_ms = Some(60_000);
        let stopped = run(service, &caller, &c.id, filling).await;
        assert_eq!(stopped.reason, ExitReason::Cancelled, "{stopped:?}");
        assert!(stopped.stderr.contains("so the command was stopped") && stopped.stderr.contains("docker.workspace_mib"));
        assert!(stopped.duration_ms < 15_000, "{stopped:?}");
        let used = run(service, &caller, &c.id, exec_spec(&["du", "-sm", "/workspace"])).await;
        let mib: u64 = used.stdout.split_whitespace().next().unwrap().parse().unwrap();
        assert!((16..48).contains(&mib), "the workspace holds {mib} MiB");

        // A short command that passes it is told so; deleting makes room again.
        let burst = run(service, &caller, &c.id, exec_spec(&["dd", "if=/dev/zero", "of=/workspace/g", "bs=1M", "count=1"])).await;
        assert!(burst.stderr.contains("over its quota"), "{burst:?}");
        run(service, &caller, &c.id, exec_spec(&["sh", "-c", "rm /workspace/*"])).await;
        service.write_file(&caller, &c.id, "/workspace/small", vec![b'x'; 1 << 20]).await.unwrap();
    })
    .await;
}
