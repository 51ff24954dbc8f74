//! Docker benchmark: prints figures, asserts nothing.
//!
//! - `execute_code` of a trivial command in an existing container, end to end
//!   through `portcullis serve` over stdio (MCP call, sandbox plugin, host exec
//!   with its process-group wrapper), beside a bare exec of the same command
//!   through the engine API (create, start, read to the end, inspect);
//! - `create_container` time through the host.
//!
//! Needs the test images (scripts/test-images.sh), a release build and
//! `cargo bench -p portcullis --bench docker`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures::StreamExt;
use support::{Peer, portcullis_bin, print, stats};

const IMAGE: &str = "portcullis-test/python:3";
const EXECS: usize = 200;
const CREATES: usize = 10;

fn host() -> (Peer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("portcullis.toml");
    std::fs::write(
        &config,
        format!("[plugins.sandbox]\ngrants = [\"docker\"]\n[plugins.sandbox.settings]\ndefault_image = \"{IMAGE}\"\n"),
    )
    .unwrap();
    let mut command = Command::new(portcullis_bin());
    command.args(["serve", "--config"]).arg(&config).env("LOG_LEVEL", "warn");
    let mut peer = Peer::spawn(command);
    peer.initialize();
    (peer, dir)
}

fn call(peer: &mut Peer, tool: &str, arguments: serde_json::Value) -> serde_json::Value {
    let response = peer.request("tools/call", serde_json::json!({"name": tool, "arguments": arguments}));
    let result = &response["result"];
    assert_eq!(result["isError"], false, "{response}");
    result["structuredContent"].clone()
}

async fn bare_exec(docker: &Docker, container: &str) {
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(vec!["true"]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    if let StartExecResults::Attached { mut output, .. } = docker.start_exec(&exec.id, None).await.unwrap() {
        while output.next().await.is_some() {}
    }
    let inspected = docker.inspect_exec(&exec.id).await.unwrap();
    assert_eq!(inspected.exit_code, Some(0));
}

fn main() {
    let (mut peer, _dir) = host();
    let mut creates = Vec::new();
    let mut container = String::new();
    for i in 0..CREATES {
        let started = Instant::now();
        let created = call(
            &mut peer,
            "create_container",
            serde_json::json!({"name": format!("bench-{i}"), "reuse_existing": false}),
        );
        creates.push(started.elapsed());
        container = created["id"].as_str().unwrap().to_string();
    }

    let args = serde_json::json!({"container_id": container, "command": "true", "stream": false});
    let mut through_host = Vec::new();
    for i in 0..EXECS + 20 {
        let started = Instant::now();
        call(&mut peer, "execute_code", args.clone());
        if i >= 20 {
            through_host.push(started.elapsed());
        }
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bare: Vec<Duration> = runtime.block_on(async {
        let docker = Docker::connect_with_local_defaults().unwrap().negotiate_version().await.unwrap();
        let mut samples = Vec::new();
        for i in 0..EXECS + 20 {
            let started = Instant::now();
            bare_exec(&docker, &container).await;
            if i >= 20 {
                samples.push(started.elapsed());
            }
        }
        samples
    });

    println!("portcullis Docker figures ({EXECS} execs of `true` after 20 warm-up, one in flight)");
    let host = stats(through_host);
    let engine = stats(bare);
    print("execute_code via MCP stdio (sandbox plugin)", &host);
    print("bare exec via the engine API (bollard)", &engine);
    println!(
        "{:<46} p50 {:>9.1} µs   p99 {:>9.1} µs",
        "host share above the bare exec",
        host.p50 - engine.p50,
        host.p99 - engine.p99
    );
    print("create_container via MCP stdio", &stats(creates));
}
