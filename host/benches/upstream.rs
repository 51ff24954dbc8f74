//! Upstream server benchmark: prints figures, asserts nothing.
//!
//! - a `tools/call` (the fixture server's `echo`) sent straight to the server
//!   in its container over attached stdio (`docker run -i`), and the same
//!   call through `portcullis serve` to the same image as a container
//!   upstream, one call in flight, and the difference; each round alternates
//!   batches of [`BATCH`] calls between the two, so that both see the same
//!   spells of load on a shared machine, and the last line pools every round;
//! - start to the first listed upstream tool, with the image present;
//! - the host's resident memory with one running upstream against none.
//!
//! Run with `cargo bench -p portcullis --bench upstream` after
//! `cargo build --release -p portcullis` and `scripts/test-images.sh`
//! (the image `portcullis-test/mcp-upstream:1`).

use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use serde_json::json;
use support::{Peer, portcullis_bin, print, stats};

const IMAGE: &str = "portcullis-test/mcp-upstream:1";
const CALLS: usize = 1000;
const WARMUP: usize = 100;
const ROUNDS: usize = 3;
/// Calls in a row to one side before the other's turn.
const BATCH: usize = 50;

fn direct() -> Peer {
    let mut command = Command::new("docker");
    command.args(["run", "-i", "--rm", "--network", "none", IMAGE]);
    let mut peer = Peer::spawn(command);
    peer.initialize();
    peer
}

fn through_portcullis(servers: bool) -> (Peer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("portcullis.toml");
    let body = format!(
        "bundled_plugins = false\n[docker]\nimages = [\"portcullis-test/*\"]\n[servers.boxed]\nimage = \"{IMAGE}\"\n"
    );
    std::fs::write(&config, if servers { body.as_str() } else { "bundled_plugins = false\n" }).unwrap();
    let mut command = Command::new(portcullis_bin());
    command.args(["serve", "--config"]).arg(&config).env("LOG_LEVEL", "warn");
    let mut peer = Peer::spawn(command);
    peer.initialize();
    (peer, dir)
}

/// Waits until `tools/list` names `tool`; returns how long that took.
fn until_listed(peer: &mut Peer, tool: &str, since: Instant) -> Duration {
    loop {
        let listed = peer.request("tools/list", json!({}));
        let tools = listed["result"]["tools"].as_array().cloned().unwrap_or_default();
        if tools.iter().any(|t| t["name"] == tool) {
            return since.elapsed();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `count` calls of `tool`, each timed.
fn calls(peer: &mut Peer, tool: &str, count: usize) -> Vec<Duration> {
    let params = json!({"name": tool, "arguments": {"text": "bench"}});
    (0..count)
        .map(|_| {
            let started = Instant::now();
            let answer = peer.request("tools/call", params.clone());
            assert!(answer.get("result").is_some(), "{answer}");
            started.elapsed()
        })
        .collect()
}

fn main() {
    let started = Instant::now();
    let (mut gateway, _dir) = through_portcullis(true);
    let first = until_listed(&mut gateway, "boxed__echo", started);
    println!("start to the first listed upstream tool (image present): {:.0} ms", first.as_secs_f64() * 1e3);
    let mut straight = direct();
    calls(&mut straight, "echo", WARMUP);
    calls(&mut gateway, "boxed__echo", WARMUP);
    let (mut all_direct, mut all_through) = (Vec::new(), Vec::new());
    let compare = |label: &str, direct: Vec<Duration>, through: Vec<Duration>| {
        let (direct, through) = (stats(direct), stats(through));
        print(&format!("{label}: straight to the container"), &direct);
        print(&format!("{label}: through portcullis"), &through);
        println!(
            "{label}: added by portcullis: p50 {:+.1} µs   p99 {:+.1} µs",
            through.p50 - direct.p50,
            through.p99 - direct.p99
        );
    };
    for round in 1..=ROUNDS {
        let (mut direct, mut through) = (Vec::new(), Vec::new());
        for _ in 0..CALLS / BATCH {
            direct.extend(calls(&mut straight, "echo", BATCH));
            through.extend(calls(&mut gateway, "boxed__echo", BATCH));
        }
        all_direct.extend(&direct);
        all_through.extend(&through);
        compare(&format!("round {round}"), direct, through);
    }
    compare("all rounds", all_direct, all_through);
    let (bare, _bare_dir) = through_portcullis(false);
    std::thread::sleep(Duration::from_millis(300));
    let (with, without) = (gateway.peak_rss_kib(), bare.peak_rss_kib());
    println!(
        "host peak RSS: {:.1} MiB with one running upstream, {:.1} MiB with none ({:+.1} MiB)",
        with as f64 / 1024.0,
        without as f64 / 1024.0,
        (with as f64 - without as f64) / 1024.0
    );
}
