//! Shared by the benchmarks: percentiles and a JSON-RPC peer on a child's stdio.

#![allow(dead_code)] // Each benchmark uses a different part.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The release binary; benchmarks measure what users run.
pub fn portcullis_bin() -> PathBuf {
    let path = repo().join("target/release/portcullis");
    assert!(path.exists(), "build it first: cargo build --release -p portcullis");
    path
}

/// Percentile `p` (0..=1) of sorted durations, in microseconds.
pub fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

/// p50, p99 and throughput of a run of samples.
pub struct Stats {
    pub p50: f64,
    pub p99: f64,
    pub per_second: f64,
}

/// Summarises `samples` (one call in flight, so throughput is 1 / mean).
pub fn stats(mut samples: Vec<Duration>) -> Stats {
    let total: Duration = samples.iter().sum();
    samples.sort();
    Stats { p50: pct(&samples, 0.5), p99: pct(&samples, 0.99), per_second: samples.len() as f64 / total.as_secs_f64() }
}

/// Prints one line of figures.
pub fn print(label: &str, s: &Stats) {
    println!("{label:<46} p50 {:>9.1} µs   p99 {:>9.1} µs   {:>9.0} calls/s", s.p50, s.p99, s.per_second);
}

/// What the scheduler counted for a process (`/proc/PID/task/*/schedstat`).
#[derive(Clone, Copy, Default)]
pub struct Sched {
    /// Time its threads ran.
    pub on_cpu_ns: u64,
    /// Time its threads were runnable but waited for a CPU.
    pub waiting_ns: u64,
    /// Times one of its threads was put on a CPU: every wake-up counts one.
    pub slices: u64,
}

impl Sched {
    /// Prints the growth since `before`, per call.
    pub fn print_since(&self, before: Sched, label: &str, calls: usize) {
        let per = |a: u64, b: u64| (a - b) as f64 / calls as f64;
        println!(
            "{label:<46} {:>9.1} µs on CPU   {:>7.1} µs runnable   {:>5.2} wake-ups per call",
            per(self.on_cpu_ns, before.on_cpu_ns) / 1000.0,
            per(self.waiting_ns, before.waiting_ns) / 1000.0,
            per(self.slices, before.slices)
        );
    }
}

/// A line-delimited JSON-RPC peer on a child's stdio.
pub struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Peer {
    pub fn spawn(mut command: Command) -> Peer {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Peer { child, stdin, stdout, next_id: 1 }
    }

    pub fn send(&mut self, message: serde_json::Value) {
        let mut line = serde_json::to_vec(&message).unwrap();
        line.push(b'\n');
        self.stdin.write_all(&line).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request and reads lines until its response arrives.
    pub fn request(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let mut line = String::new();
        loop {
            line.clear();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed stdout");
            let message: serde_json::Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    pub fn initialize(&mut self) {
        let params = serde_json::json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}});
        self.request("initialize", params);
        self.send(serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    }

    /// Scheduler figures summed over every thread of the child so far.
    pub fn sched(&self) -> Sched {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id())).unwrap();
        let mut sum = Sched::default();
        for task in tasks.filter_map(Result::ok) {
            let Ok(schedstat) = std::fs::read_to_string(task.path().join("schedstat")) else { continue };
            let mut fields = schedstat.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
            sum.on_cpu_ns += fields.next().unwrap_or(0);
            sum.waiting_ns += fields.next().unwrap_or(0);
            sum.slices += fields.next().unwrap_or(0);
        }
        sum
    }

    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
