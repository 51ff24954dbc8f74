//! Host overhead benchmark: prints figures, asserts nothing.
//!
//! - in-process: a `tools/call` of a trivial plugin tool through the registry
//!   (fresh store and instance per call), p50/p99 and calls per second;
//! - stdio end to end: the same call through `portcullis serve`, one call in
//!   flight, beside the same round trip against a process that answers with
//!   canned JSON-RPC (this binary with `--canned`), and the difference; in
//!   interleaved rounds, with the machine idle and with its CPUs kept busy
//!   by spinning threads at the lowest priority (an idle CPU wakes slowly),
//!   with each process's CPU time, runnable time and wake-ups per call;
//! - start-up: process start to the first answered `tools/list` with five
//!   plugins, and to the answered `initialize` with the bundled plugins,
//!   compile cache cold and warm;
//! - peak resident memory of the stdio server, with hello only and with
//!   every bundled plugin, compile cache cold and warm.
//!
//! Run with `cargo bench -p portcullis --bench overhead` after
//! `cargo build --target wasm32-wasip2 --profile plugin -p hello`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use portcullis::app::App;
use portcullis::caller::CallContext;
use portcullis::config::Config;
use support::{Peer, pct, portcullis_bin, print, repo, stats};

const CALLS: usize = 3000;
const WARMUP: usize = 300;
const STARTS: usize = 15;

fn hello_wasm() -> PathBuf {
    let path = repo().join("target/wasm32-wasip2/plugin/hello.wasm");
    assert!(path.exists(), "build it first: cargo build --target wasm32-wasip2 --profile plugin -p hello");
    path
}

fn plugin_dir_with(copies: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wasm = hello_wasm();
    for i in 0..copies {
        let name = if i == 0 { "hello".to_string() } else { format!("hello{i}") };
        std::fs::copy(&wasm, dir.path().join(format!("{name}.wasm"))).unwrap();
    }
    dir
}

fn in_process() {
    let dir = plugin_dir_with(1);
    let cache = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let config = Config {
            plugin_dir: Some(dir.path().to_path_buf()),
            bundled_plugins: false,
            cache_dir: Some(cache.path().to_path_buf()),
            ..Config::default()
        };
        let app = App::start(config).await.unwrap();
        let services = app.mcp.services().clone();
        let snapshot = services.registry.loaded_snapshot().await;
        let route = snapshot.tools().get("hello").expect("the hello tool");
        let mut samples = Vec::with_capacity(CALLS);
        for i in 0..WARMUP + CALLS {
            let started = Instant::now();
            let result =
                route.provider.call_tool(&services, CallContext::default(), "hello", r#"{"name":"bench"}"#).await;
            let elapsed = started.elapsed();
            assert!(matches!(result, Ok(Ok(_))));
            if i >= WARMUP {
                samples.push(elapsed);
            }
        }
        print("in-process plugin call", &stats(samples));
        app.stop().await;
    });
}

fn serve_command(plugins: &Path, cache: &Path, bundled: bool) -> Command {
    let mut command = Command::new(portcullis_bin());
    command
        .args(["serve", "--plugins"])
        .arg(plugins)
        .env("PORTCULLIS_CACHE_DIR", cache)
        .env("PORTCULLIS_BUNDLED_PLUGINS", bundled.to_string())
        .env("LOG_LEVEL", "warn");
    command
}

fn round_trips(peer: &mut Peer) -> Vec<Duration> {
    let args = serde_json::json!({"name": "hello", "arguments": {"name": "bench"}});
    let mut samples = Vec::with_capacity(CALLS);
    for i in 0..WARMUP + CALLS {
        let started = Instant::now();
        let response = peer.request("tools/call", args.clone());
        let elapsed = started.elapsed();
        assert_eq!(response["result"]["content"][0]["text"], "Hello, bench!", "{response}");
        if i >= WARMUP {
            samples.push(elapsed);
        }
    }
    samples
}

/// Rounds of each condition; floor and host alternate within a condition.
const ROUNDS: usize = 3;

fn stdio_end_to_end() {
    let dir = plugin_dir_with(1);
    let cache = tempfile::tempdir().unwrap();
    let mut canned = Peer::spawn({
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.arg("--canned");
        c
    });
    canned.initialize();
    let mut host = Peer::spawn(serve_command(dir.path(), cache.path(), false));
    host.initialize();
    for busy in [false, true] {
        let _spinners = busy.then(Spinners::start);
        let condition = if busy { "busy" } else { "idle" };
        let (mut floor, mut real) = (Vec::new(), Vec::new());
        let (host_before, canned_before) = (host.sched(), canned.sched());
        for _ in 0..ROUNDS {
            floor.extend(round_trips(&mut canned));
            real.extend(round_trips(&mut host));
        }
        let (floor, real) = (stats(floor), stats(real));
        print(&format!("stdio, {condition}: canned responder (floor)"), &floor);
        print(&format!("stdio, {condition}: portcullis, hello plugin"), &real);
        println!(
            "{:<46} p50 {:>9.1} µs   p99 {:>9.1} µs",
            format!("stdio, {condition}: overhead above the floor"),
            real.p50 - floor.p50,
            real.p99 - floor.p99
        );
        let calls = ROUNDS * (WARMUP + CALLS);
        canned.sched().print_since(canned_before, &format!("stdio, {condition}: canned responder"), calls);
        host.sched().print_since(host_before, &format!("stdio, {condition}: portcullis"), calls);
    }
    println!("{:<46} {:>9.1} MiB", "peak resident memory, hello only", host.peak_rss_kib() as f64 / 1024.0);
    let empty = tempfile::tempdir().unwrap();
    for cache_state in ["cold", "warm"] {
        let mut bundled = Peer::spawn(serve_command(empty.path(), cache.path(), true));
        bundled.initialize();
        bundled.request("tools/list", serde_json::json!({}));
        println!(
            "{:<46} {:>9.1} MiB",
            format!("peak resident memory, every bundled plugin, {cache_state} cache"),
            bundled.peak_rss_kib() as f64 / 1024.0
        );
    }
}

/// Threads that keep every CPU busy at the lowest priority until dropped.
struct Spinners {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Spinners {
    fn start() -> Spinners {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = (0..cpus)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    // SAFETY: lowers this thread's own priority.
                    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Spinners { stop, threads }
    }
}

impl Drop for Spinners {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Time from spawning the server to the answer of its first `tools/list`.
fn start_to_first_list(plugins: &Path, cache: &Path) -> Duration {
    let started = Instant::now();
    let mut peer = Peer::spawn(serve_command(plugins, cache, false));
    peer.initialize();
    let list = peer.request("tools/list", serde_json::json!({}));
    let elapsed = started.elapsed();
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(5), "{list}");
    elapsed
}

/// Time from spawning the server with the bundled plugins to the answer
/// of its `initialize` (what a newcomer's client waits for, the plugins
/// still loading) and to the answer of its first `tools/list` (which waits
/// for them).
fn start_to_initialize(cache: &Path) -> (Duration, Duration) {
    let empty = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut peer = Peer::spawn(serve_command(empty.path(), cache, true));
    peer.initialize();
    let initialized = started.elapsed();
    let list = peer.request("tools/list", serde_json::json!({}));
    assert!(list["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()), "{list}");
    (initialized, started.elapsed())
}

fn startup() {
    let dir = plugin_dir_with(5);
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let (mut bundled_cold, mut bundled_warm, mut bundled_cold_list, mut bundled_warm_list) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..STARTS {
        let cache = tempfile::tempdir().unwrap();
        cold.push(start_to_first_list(dir.path(), cache.path()));
        warm.push(start_to_first_list(dir.path(), cache.path()));
        let cache = tempfile::tempdir().unwrap();
        let (initialized, listed) = start_to_initialize(cache.path());
        bundled_cold.push(initialized);
        bundled_cold_list.push(listed);
        let (initialized, listed) = start_to_initialize(cache.path());
        bundled_warm.push(initialized);
        bundled_warm_list.push(listed);
    }
    for (label, mut samples) in [
        ("start → first tools/list, 5 plugins, cold", cold),
        ("start → first tools/list, 5 plugins, warm", warm),
        ("start → initialize, bundled plugins, cold", bundled_cold),
        ("start → initialize, bundled plugins, warm", bundled_warm),
        ("start → first tools/list, bundled, cold", bundled_cold_list),
        ("start → first tools/list, bundled, warm", bundled_warm_list),
    ] {
        samples.sort();
        let ms = |p| pct(&samples, p) / 1000.0;
        println!("{label:<46} p50 {:>9.1} ms   max {:>8.1} ms", ms(0.5), ms(1.0));
    }
}

/// `--canned`: answers `initialize` and every other request with canned
/// results shaped like the host's, so the stdio floor has the same payloads.
fn canned() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let message: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let Some(id) = message.get("id") else { continue };
        let result = if message["method"] == "initialize" {
            serde_json::json!({"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "canned", "version": "0"}})
        } else {
            serde_json::json!({"content": [{"type": "text", "text": "Hello, bench!"}], "isError": false})
        };
        let reply = serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result});
        serde_json::to_writer(&mut stdout, &reply).unwrap();
        stdout.write_all(b"\n").unwrap();
        stdout.flush().unwrap();
    }
}

fn main() {
    if std::env::args().any(|a| a == "--canned") {
        return canned();
    }
    // `cargo bench --bench overhead -- in-process` (or `stdio`, `startup`) runs one part, for profiling.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    println!("portcullis host overhead ({CALLS} calls after {WARMUP} warm-up, one in flight)");
    if run("in-process") {
        in_process();
    }
    if run("stdio") {
        stdio_end_to_end();
    }
    if run("startup") {
        startup();
    }
}
