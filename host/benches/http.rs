//! HTTP throughput and latency benchmark: prints figures, asserts nothing.
//!
//! Starts `portcullis serve --http` (release build) with the hello plugin and
//! drives it from 1, 16 and 64 concurrent clients, each with its own
//! connection, over Streamable HTTP in both eras:
//! - a 2025-11-25 session: `tools/call hello` (a plugin call) beside `ping`
//!   (answered by the host alone);
//! - 2026-07-28 stateless requests: `tools/call hello` beside `tools/list`
//!   (host only: the list is cached).
//!
//! The host-only rows show the cost of HTTP, JSON-RPC and rmcp; the difference
//! to the plugin rows is the plugin's share (a fresh instance per call). The
//! clients run on the same machine as the server and compete for its cores.
//!
//! Then the activity log's load run: 10,000 stateless plugin calls from 16
//! clients against a host with the log on and one with `[activity] enabled =
//! false`, in interleaved rounds; the drop in calls per second, and how many
//! of the calls the log holds afterwards (read back through the admin API).
//!
//! Run with `cargo bench -p portcullis --bench http` after
//! `cargo build --release -p portcullis` and
//! `cargo build --target wasm32-wasip2 --profile plugin -p hello`.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{pct, portcullis_bin, repo};

/// Calls per row, spread over the clients.
const CALLS: usize = 4000;
const WARMUP: usize = 300;
const CONCURRENCY: [usize; 3] = [1, 16, 64];

/// Calls per round of the activity log's load run, and its rounds per host.
const LOAD_CALLS: usize = 10_000;
const LOAD_CLIENTS: usize = 16;
const LOAD_ROUNDS: usize = 3;

/// The server process, killed when dropped.
struct Server {
    child: Child,
    url: String,
    _plugins: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A host with the hello plugin, its state (and `portcullis.toml` with
/// `[activity] enabled = activity`) in a directory of its own.
fn start_server(activity: bool) -> Server {
    let hello = repo().join("target/wasm32-wasip2/plugin/hello.wasm");
    assert!(hello.exists(), "build it first: cargo build --target wasm32-wasip2 --profile plugin -p hello");
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(hello, plugins.path().join("hello.wasm")).unwrap();
    let config = plugins.path().join("portcullis.toml");
    std::fs::write(&config, format!("[activity]\nenabled = {activity}\n")).unwrap();
    let mut child = Command::new(portcullis_bin())
        .args(["serve", "--http", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--plugins")
        .arg(plugins.path())
        .env("PORTCULLIS_STATE_DIR", plugins.path())
        .env("PORTCULLIS_BUNDLED_PLUGINS", "false")
        .env("LOG_LEVEL", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server exited during start-up");
        if let Some(at) = line.find("serving MCP over HTTP at ") {
            let rest = &line[at + "serving MCP over HTTP at ".len()..];
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining the server's log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in stderr.lines() {});
    Server { child, url, _plugins: plugins }
}

/// What one row measures.
#[derive(Clone, Copy)]
enum Op {
    SessionHello,
    SessionPing,
    StatelessHello,
    StatelessList,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::SessionHello => "2025 session   tools/call hello (plugin)",
            Op::SessionPing => "2025 session   ping (host only)",
            Op::StatelessHello => "2026 stateless tools/call hello (plugin)",
            Op::StatelessList => "2026 stateless tools/list (host only)",
        }
    }

    fn modern(self) -> bool {
        matches!(self, Op::StatelessHello | Op::StatelessList)
    }

    fn body(self, id: usize) -> Value {
        let meta = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
        });
        let hello = json!({"name": "hello", "arguments": {"name": "bench"}});
        match self {
            Op::SessionHello => json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": hello}),
            Op::SessionPing => json!({"jsonrpc": "2.0", "id": id, "method": "ping"}),
            Op::StatelessHello => {
                let mut params = hello;
                params["_meta"] = meta;
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
            }
            Op::StatelessList => json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {"_meta": meta}}),
        }
    }
}

/// One client: its own connection and, for 2025 rows, its own session.
struct Client {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
}

impl Client {
    async fn connect(url: &str, op: Op) -> Client {
        let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
        let mut client = Client { http, url: url.to_string(), session: None };
        if !op.modern() {
            let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}});
            let response = client.post(&init, None).await;
            client.session = Some(response.headers()["mcp-session-id"].to_str().unwrap().to_string());
            let _ = response.text().await;
            let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
            let _ = client.post(&initialized, None).await.text().await;
        }
        client
    }

    async fn post(&self, body: &Value, op: Option<Op>) -> reqwest::Response {
        let mut request = self
            .http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session).header("mcp-protocol-version", "2025-11-25");
        }
        if op.is_some_and(Op::modern) {
            let method = body["method"].as_str().unwrap();
            request = request.header("mcp-protocol-version", "2026-07-28").header("mcp-method", method);
            if let Some(name) = body["params"]["name"].as_str() {
                request = request.header("mcp-name", name);
            }
        }
        request.send().await.unwrap()
    }

    /// One request, timed; panics unless it succeeded.
    async fn call(&self, op: Op, id: usize) -> Duration {
        let started = Instant::now();
        let text = self.post(&op.body(id), Some(op)).await.text().await.unwrap();
        let elapsed = started.elapsed();
        assert!(text.contains("\"result\"") && !text.contains("\"isError\":true"), "{}: {text}", op.label());
        elapsed
    }
}

/// Runs `calls` requests of `op` from `clients` clients; returns every
/// latency and the wall time.
async fn run(url: &str, op: Op, clients: usize, calls: usize) -> (Vec<Duration>, Duration) {
    let mut connected = Vec::new();
    for _ in 0..clients {
        connected.push(Client::connect(url, op).await);
    }
    let per_client = calls.div_ceil(clients);
    let started = Instant::now();
    let tasks: Vec<_> = connected
        .into_iter()
        .map(|client| {
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for id in 1..=per_client {
                    latencies.push(client.call(op, id).await);
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(per_client * clients);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    (latencies, started.elapsed())
}

/// How many `tool` calls the activity log of the host at `url` holds, read
/// page by page through the admin API (open on a loopback listener without keys).
async fn recorded(url: &str, tool: &str) -> usize {
    let api = url.replace("/mcp", "/api/v1/activity");
    let http = reqwest::Client::new();
    let (mut count, mut cursor) = (0, None::<i64>);
    loop {
        let mut query = vec![("tool", tool.to_string()), ("limit", "1000".to_string())];
        query.extend(cursor.map(|c| ("cursor", c.to_string())));
        let page: Value = http.get(&api).query(&query).send().await.unwrap().json().await.unwrap();
        count += page["entries"].as_array().unwrap().len();
        match page["next_cursor"].as_i64() {
            Some(next) => cursor = Some(next),
            None => return count,
        }
    }
}

/// The activity log's load run: calls per second with the log on and off.
async fn activity_load_run(on: &Server, off: &Server) {
    println!();
    println!("activity log load run: {LOAD_CALLS} stateless tools/call hello per round, {LOAD_CLIENTS} clients");
    let (mut with_log, mut without_log) = (Vec::new(), Vec::new());
    for server in [on, off] {
        run(&server.url, Op::StatelessHello, LOAD_CLIENTS, WARMUP).await;
    }
    for _ in 0..LOAD_ROUNDS {
        for (server, rates) in [(on, &mut with_log), (off, &mut without_log)] {
            let (latencies, wall) = run(&server.url, Op::StatelessHello, LOAD_CLIENTS, LOAD_CALLS).await;
            rates.push(latencies.len() as f64 / wall.as_secs_f64());
        }
    }
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (with_log, without_log) = (median(&mut with_log), median(&mut without_log));
    println!("  calls/s with the log {with_log:.0}, without {without_log:.0} (medians of {LOAD_ROUNDS} rounds)");
    println!("  drop with the log on: {:.1} %", (1.0 - with_log / without_log) * 100.0);
    // The writer lingers up to 50 ms per batch; give it time to finish.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let made =
        WARMUP.div_ceil(LOAD_CLIENTS) * LOAD_CLIENTS + LOAD_ROUNDS * LOAD_CALLS.div_ceil(LOAD_CLIENTS) * LOAD_CLIENTS;
    println!("  calls recorded: {} of {made}", recorded(&on.url, "hello").await);
}

fn main() {
    let server = start_server(true);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("HTTP benchmark against {} ({} calls per row; clients share the machine's cores)", server.url, CALLS);
    println!("{:<42} {:>7} {:>10} {:>10} {:>10}", "", "clients", "calls/s", "p50 µs", "p99 µs");
    runtime.block_on(async {
        for op in [Op::SessionHello, Op::SessionPing, Op::StatelessHello, Op::StatelessList] {
            run(&server.url, op, 1, WARMUP).await;
            for clients in CONCURRENCY {
                let (mut latencies, wall) = run(&server.url, op, clients, CALLS).await;
                latencies.sort();
                let per_second = latencies.len() as f64 / wall.as_secs_f64();
                println!(
                    "{:<42} {clients:>7} {per_second:>10.0} {:>10.0} {:>10.0}",
                    op.label(),
                    pct(&latencies, 0.5),
                    pct(&latencies, 0.99)
                );
            }
        }
        drop(server);
        activity_load_run(&start_server(true), &start_server(false)).await;
    });
}
