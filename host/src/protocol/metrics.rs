//! What the MCP surface counts, for Prometheus: tool calls, their errors and
//! latency, plugin faults, live sessions, loaded plugins, live containers and
//! the state, restarts and call latency of each upstream server.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rmcp::ErrorData;
use rmcp::model::CallToolResponse;

use crate::plugins::PluginFault;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    tool: String,
    /// `tool_error` (a result the model reads, faults included) or `protocol_error`.
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaultLabels {
    plugin: String,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerLabels {
    server: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerStateLabels {
    server: String,
    state: &'static str,
}

/// What the metrics say about one upstream server.
pub struct ServerFigures<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its state's name.
    pub state: &'static str,
    /// Its restarts since it last ran stably.
    pub restarts: u32,
}

/// Every kind of plugin fault, as metrics name them.
const FAULT_KINDS: [&str; 6] = ["trap", "memory_limit", "cpu_limit", "wall_timeout", "cancelled", "missing_export"];

/// Every state an upstream server can be in, as metrics name them.
const SERVER_STATES: [&str; 5] = ["starting", "running", "restarting", "failed", "stopped"];

type LatencyFamily = Family<ToolLabels, Histogram, fn() -> Histogram>;
type ServerLatencyFamily = Family<ServerLabels, Histogram, fn() -> Histogram>;

/// The host's metrics. Labels are tool and plugin names the registry knows,
/// never names a client made up, so their number stays bounded.
pub struct Metrics {
    registry: Registry,
    calls: Family<ToolLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    latency: LatencyFamily,
    faults: Family<FaultLabels, Counter>,
    sessions: Gauge,
    plugins: Gauge,
    containers: Gauge,
    server_state: Family<ServerStateLabels, Gauge>,
    server_restarts: Family<ServerLabels, Gauge>,
    server_latency: ServerLatencyFamily,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    /// The metrics, with the state database's counters: failed writes and
    /// activity records dropped because the writer was behind.
    pub fn new(state: &crate::state::StateDb) -> Metrics {
        let mut metrics = Metrics::default();
        metrics.registry.register(
            "state_write_failures",
            "Writes to the state database that failed (activity records count one each)",
            state.write_failures().clone(),
        );
        metrics.registry.register(
            "activity_dropped",
            "Activity records dropped because the writer was behind",
            state.activity().dropped().clone(),
        );
        metrics
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("portcullis");
        let calls = Family::<ToolLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let faults = Family::<FaultLabels, Counter>::default();
        let (sessions, plugins, containers) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("tool_calls", "Tool calls, by tool", calls.clone());
        registry.register("tool_errors", "Tool calls that failed, by tool and kind", errors.clone());
        registry.register("tool_call_duration_seconds", "Tool call latency, by tool", latency.clone());
        registry.register(
            "plugin_faults",
            "Plugin calls that trapped or hit a limit, by plugin and kind",
            faults.clone(),
        );
        registry.register("sessions", "Live sessions that began with initialize (stdio, HTTP, SSE)", sessions.clone());
        registry.register("plugins", "Loaded plugins", plugins.clone());
        registry.register("containers", "Live containers this host instance owns", containers.clone());
        let server_state = Family::<ServerStateLabels, Gauge>::default();
        let server_restarts = Family::<ServerLabels, Gauge>::default();
        registry.register("upstream_state", "1 for each upstream server's current state", server_state.clone());
        registry.register(
            "upstream_restarts",
            "Restarts of each upstream server since it last ran stably",
            server_restarts.clone(),
        );
        let server_latency = ServerLatencyFamily::new_with_constructor(latency_histogram);
        registry.register(
            "upstream_call_duration_seconds",
            "Tool call latency through each upstream server",
            server_latency.clone(),
        );
        Self {
            registry,
            calls,
            errors,
            latency,
            faults,
            sessions,
            plugins,
            containers,
            server_state,
            server_restarts,
            server_latency,
        }
    }
}

impl Metrics {
    /// Records one call of `tool` that took `elapsed` and answered `response`;
    /// `server` names the upstream server that served it, if one did.
    pub fn tool_call(
        &self,
        tool: &str,
        server: Option<&str>,
        elapsed: Duration,
        response: &Result<CallToolResponse, ErrorData>,
    ) {
        let labels = ToolLabels { tool: tool.to_string() };
        self.calls.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(elapsed.as_secs_f64());
        if let Some(server) = server {
            let labels = ServerLabels { server: server.to_string() };
            self.server_latency.get_or_create(&labels).observe(elapsed.as_secs_f64());
        }
        let kind = match response {
            Ok(CallToolResponse::Complete(result)) if result.is_error == Some(true) => "tool_error",
            Ok(_) => return,
            Err(_) => "protocol_error",
        };
        self.errors.get_or_create(&ErrorLabels { tool: labels.tool, kind }).inc();
    }

    /// Records a plugin fault.
    pub fn fault(&self, fault: &PluginFault) {
        let (plugin, kind) = match fault {
            PluginFault::Trap { plugin, .. } => (plugin, FAULT_KINDS[0]),
            PluginFault::MemoryLimit { plugin, .. } => (plugin, FAULT_KINDS[1]),
            PluginFault::CpuLimit { plugin, .. } => (plugin, FAULT_KINDS[2]),
            PluginFault::WallTimeout { plugin, .. } => (plugin, FAULT_KINDS[3]),
            PluginFault::Cancelled { plugin } => (plugin, FAULT_KINDS[4]),
            PluginFault::MissingExport { plugin, .. } => (plugin, FAULT_KINDS[5]),
        };
        self.faults.get_or_create(&FaultLabels { plugin: plugin.clone(), kind }).inc();
    }

    /// The calls of `tool` (its public name) so far.
    pub fn calls_of(&self, tool: &str) -> u64 {
        self.calls.get(&ToolLabels { tool: tool.to_string() }).map_or(0, |c| c.get())
    }

    /// The faults of `plugin` so far, of every kind.
    pub fn faults_of(&self, plugin: &str) -> u64 {
        FAULT_KINDS
            .iter()
            .map(|&kind| self.faults.get(&FaultLabels { plugin: plugin.to_string(), kind }).map_or(0, |c| c.get()))
            .sum()
    }

    /// A session began (`+1`) or ended (`-1`).
    pub fn sessions(&self, delta: i64) {
        self.sessions.inc_by(delta);
    }

    /// The metrics in the Prometheus text format, with the current number of
    /// loaded plugins, of live containers if known, and the upstream servers.
    pub fn encode(&self, plugins: usize, containers: Option<u32>, servers: &[ServerFigures<'_>]) -> String {
        self.plugins.set(plugins as i64);
        if let Some(containers) = containers {
            self.containers.set(i64::from(containers));
        }
        for server in servers {
            for state in SERVER_STATES {
                let labels = ServerStateLabels { server: server.name.to_string(), state };
                self.server_state.get_or_create(&labels).set(i64::from(state == server.state));
            }
            let labels = ServerLabels { server: server.name.to_string() };
            self.server_restarts.get_or_create(&labels).set(i64::from(server.restarts));
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{CallToolResult, ContentBlock};

    #[test]
    fn counts_calls_errors_and_faults() {
        let metrics = Metrics::default();
        let ok = Ok(CallToolResult::success(vec![ContentBlock::text("fine")]).into());
        let failed = Ok(CallToolResult::error(vec![ContentBlock::text("no")]).into());
        metrics.tool_call("hello", None, Duration::from_millis(2), &ok);
        metrics.tool_call("hello", None, Duration::from_millis(3), &failed);
        metrics.tool_call("git__status", Some("git"), Duration::from_millis(4), &ok);
        metrics.fault(&PluginFault::CpuLimit { plugin: "faulty".into(), limit_ms: 5 });
        metrics.sessions(1);
        let text = metrics.encode(3, Some(2), &[ServerFigures { name: "git", state: "running", restarts: 1 }]);
        for line in [
            "portcullis_tool_calls_total{tool=\"hello\"} 2",
            "portcullis_upstream_call_duration_seconds_count{server=\"git\"} 1",
            "portcullis_tool_errors_total{tool=\"hello\",kind=\"tool_error\"} 1",
            "portcullis_tool_call_duration_seconds_count{tool=\"hello\"} 2",
            "portcullis_plugin_faults_total{plugin=\"faulty\",kind=\"cpu_limit\"} 1",
            "portcullis_sessions 1",
            "portcullis_plugins 3",
            "portcullis_containers 2",
            "portcullis_upstream_state{server=\"git\",state=\"running\"} 1",
            "portcullis_upstream_state{server=\"git\",state=\"failed\"} 0",
            "portcullis_upstream_restarts{server=\"git\"} 1",
        ] {
            assert!(text.contains(line), "missing `{line}` in:\n{text}");
        }
    }
}
