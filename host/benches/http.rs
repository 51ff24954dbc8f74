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

fn start_server() -> Server {
    let hello = repo().join("target/wasm32-wasip2/plugin/hello.wasm");
    assert!(hello.exists(), "build it first: cargo build --target wasm32-wasip2 --profile plugin -p hello");
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(hello, plugins.path().join("hello.wasm")).unwrap();
    let mut child = Command::new(portcullis_bin())
        .args(["serve", "--http", "127.0.0.1:0", "--plugins"])
        .arg(plugins.path())
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

fn main() {
    let server = start_server();
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
    });
}
