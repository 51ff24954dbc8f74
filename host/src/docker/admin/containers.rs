//! Containers: listing, inspection, logs, stats and the state changes.

use bollard::container::LogOutput;
use bollard::models::{ContainerInspectResponse, ContainerStatsResponse, ContainerSummary as EngineSummary};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder,
    StatsOptionsBuilder, StopContainerOptionsBuilder,
};
use futures::StreamExt;

use super::scope::{Kind, Object};
use super::{EngineAdmin, Target, check_reference, filter_map, json_text, label_list, short_id};
use crate::docker::error::Error;
use crate::wit::docker_engine::{ContainerSummary, LogOptions, Logs, Removal, ResourceUse};

/// Lines of logs returned when the caller sets no `tail`.
const DEFAULT_TAIL: u32 = 100;

/// A state change of a container that needs nothing but its id.
#[derive(Debug, Clone, Copy)]
pub(super) enum Change {
    Start,
    Stop(Option<u32>),
    Restart(Option<u32>),
    Pause,
    Unpause,
}

impl EngineAdmin<'_> {
    /// Resolves the container the caller named and admits it.
    async fn resolve_container(&self, asked: &str) -> Result<(Target, ContainerInspectResponse), Error> {
        check_reference(Kind::Container, asked)?;
        let inspected =
            self.client.api.inspect_container(asked, None).await.map_err(self.client.err("inspect the container"))?;
        let id = inspected.id.clone().unwrap_or_default();
        let name = inspected.name.as_deref().unwrap_or_default().trim_start_matches('/').to_string();
        let labels = inspected.config.as_ref().and_then(|c| c.labels.clone()).unwrap_or_default();
        let names = [name.clone()];
        self.admit(&Object { kind: Kind::Container, id: &id, names: &names, labels: &labels }, asked)?;
        let image = inspected.config.as_ref().and_then(|c| c.image.clone()).unwrap_or_default();
        let state = inspected.state.as_ref().and_then(|s| s.status).map(|s| s.to_string()).unwrap_or_default();
        let description = format!("container `{name}` (id {}, image {image}, {state})", short_id(&id));
        Ok((Target { id, description }, inspected))
    }

    /// The container the caller named, admitted.
    pub(super) async fn container(&self, asked: &str) -> Result<Target, Error> {
        Ok(self.resolve_container(asked).await?.0)
    }

    /// Containers in scope, by name.
    pub(super) async fn list_containers(
        &self,
        all: bool,
        filters: Vec<(String, String)>,
    ) -> Result<Vec<ContainerSummary>, Error> {
        let options = ListContainersOptionsBuilder::new().all(all).filters(&filter_map(filters)).build();
        let listed =
            self.client.api.list_containers(Some(options)).await.map_err(self.client.err("list containers"))?;
        let mut containers: Vec<ContainerSummary> = listed
            .into_iter()
            .filter_map(|c| {
                let summary = summary(c);
                let names = [summary.name.clone()];
                let labels = summary.labels.iter().cloned().collect();
                let object = Object { kind: Kind::Container, id: &summary.id, names: &names, labels: &labels };
                self.in_scope(&object).then_some(summary)
            })
            .collect();
        containers.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(containers)
    }

    /// The engine's description of a container, as JSON text.
    pub(super) async fn inspect_container(&self, asked: &str) -> Result<String, Error> {
        json_text(&self.resolve_container(asked).await?.1)
    }

    /// A container's output, the newest `logs_cap_bytes` of it at most.
    pub(super) async fn logs(&self, asked: &str, options: LogOptions) -> Result<Logs, Error> {
        let target = self.container(asked).await?;
        let tail = options.tail.unwrap_or(DEFAULT_TAIL).to_string();
        let mut builder =
            LogsOptionsBuilder::new().stdout(true).stderr(true).timestamps(options.timestamps).tail(&tail);
        if let Some(since) = options.since {
            let since = i32::try_from(since)
                .map_err(|_| Error::InvalidParams(format!("`since` {since} is not a time in seconds since 1970")))?;
            builder = builder.since(since);
        }
        let mut stream = self.client.api.logs(&target.id, Some(builder.build()));
        let mut text = Vec::new();
        while let Some(chunk) = stream.next().await {
            let bytes = match chunk.map_err(self.client.err("read the container's logs"))? {
                LogOutput::StdOut { message }
                | LogOutput::StdErr { message }
                | LogOutput::Console { message }
                | LogOutput::StdIn { message } => message,
            };
            text.extend_from_slice(&bytes);
        }
        Ok(newest(text, self.config.logs_cap_bytes))
    }

    /// One sample of a running container's resource use.
    pub(super) async fn stats(&self, asked: &str) -> Result<ResourceUse, Error> {
        let target = self.container(asked).await?;
        let options = StatsOptionsBuilder::new().stream(false).one_shot(false).build();
        let sample = self.client.api.stats(&target.id, Some(options)).next().await;
        let sample = sample
            .ok_or_else(|| Error::Failed(format!("the engine sent no stats for {}", target.description)))?
            .map_err(self.client.err("read the container's stats"))?;
        Ok(stats(&sample))
    }

    /// Starts, stops, restarts, pauses or unpauses an admitted container.
    pub(super) async fn change(&self, target: &Target, change: Change) -> Result<(), Error> {
        let api = &self.client.api;
        let timeout = |secs: Option<u32>| i32::try_from(secs.unwrap_or(10)).unwrap_or(i32::MAX);
        match change {
            Change::Start => {
                api.start_container(&target.id, None).await.map_err(self.client.err("start the container"))
            }
            Change::Stop(secs) => api
                .stop_container(&target.id, Some(StopContainerOptionsBuilder::new().t(timeout(secs)).build()))
                .await
                .map_err(self.client.err("stop the container")),
            Change::Restart(secs) => api
                .restart_container(&target.id, Some(RestartContainerOptionsBuilder::new().t(timeout(secs)).build()))
                .await
                .map_err(self.client.err("restart the container")),
            Change::Pause => api.pause_container(&target.id).await.map_err(self.client.err("pause the container")),
            Change::Unpause => {
                api.unpause_container(&target.id).await.map_err(self.client.err("unpause the container"))
            }
        }
    }

    /// Removes an admitted container.
    pub(super) async fn remove_container(&self, target: &Target, force: bool, volumes: bool) -> Result<Removal, Error> {
        let options = RemoveContainerOptionsBuilder::new().force(force).v(volumes).build();
        self.client
            .api
            .remove_container(&target.id, Some(options))
            .await
            .map_err(self.client.err("remove the container"))?;
        tracing::info!(container = %target.id, "removed a container through docker-engine");
        Ok(Removal { removed: vec![target.id.clone()], reclaimed_bytes: 0 })
    }
}

/// A listing's entry in WIT form.
fn summary(c: EngineSummary) -> ContainerSummary {
    let ports = c
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let kind = p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into());
            match p.public_port {
                Some(public) => {
                    format!("{}:{public}->{}/{kind}", p.ip.as_deref().unwrap_or("0.0.0.0"), p.private_port)
                }
                None => format!("{}/{kind}", p.private_port),
            }
        })
        .collect();
    ContainerSummary {
        id: c.id.unwrap_or_default(),
        name: c.names.unwrap_or_default().first().map(|n| n.trim_start_matches('/').to_string()).unwrap_or_default(),
        image: c.image.unwrap_or_default(),
        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        status: c.status.unwrap_or_default(),
        created: c.created.unwrap_or_default(),
        labels: label_list(c.labels.unwrap_or_default()),
        ports,
    }
}

/// The newest `cap` bytes of `text` (cut at a line start where one is
/// near), lossily decoded.
fn newest(text: Vec<u8>, cap: usize) -> Logs {
    if text.len() <= cap {
        return Logs { text: String::from_utf8_lossy(&text).into_owned(), truncated: false };
    }
    let mut start = text.len() - cap;
    if let Some(newline) = text[start..].iter().position(|&b| b == b'\n') {
        start += newline + 1;
    }
    Logs { text: String::from_utf8_lossy(&text[start..]).into_owned(), truncated: true }
}

/// One stats sample in WIT form: CPU use between the sample and the one
/// before it, memory without the page cache, I/O totals.
fn stats(sample: &ContainerStatsResponse) -> ResourceUse {
    let cpu = |s: Option<&bollard::models::ContainerCpuStats>| {
        s.map(|s| (s.cpu_usage.as_ref().and_then(|u| u.total_usage).unwrap_or(0), s.system_cpu_usage.unwrap_or(0)))
    };
    let (now, before) = (cpu(sample.cpu_stats.as_ref()), cpu(sample.precpu_stats.as_ref()));
    let cpus = sample.cpu_stats.as_ref().and_then(|s| s.online_cpus).unwrap_or(1).max(1);
    let cpu_percent = match (now, before) {
        (Some((total, system)), Some((total0, system0))) if system > system0 && total >= total0 => {
            (total - total0) as f64 / (system - system0) as f64 * f64::from(cpus) * 100.0
        }
        _ => 0.0,
    };
    let memory = sample.memory_stats.as_ref();
    let cache = memory
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| s.get("inactive_file").or_else(|| s.get("total_inactive_file")).copied())
        .unwrap_or(0);
    let networks = sample.networks.iter().flat_map(|n| n.values());
    let (rx, tx) = networks.fold((0, 0), |(rx, tx), n| (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0)));
    let io = sample.blkio_stats.as_ref().and_then(|b| b.io_service_bytes_recursive.as_ref());
    let io_bytes = |op: &str| {
        io.into_iter()
            .flatten()
            .filter(|e| e.op.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op)))
            .map(|e| e.value.unwrap_or(0))
            .sum()
    };
    ResourceUse {
        cpu_percent,
        memory_bytes: memory.and_then(|m| m.usage).unwrap_or(0).saturating_sub(cache),
        memory_limit_bytes: memory.and_then(|m| m.limit).unwrap_or(0),
        network_rx_bytes: rx,
        network_tx_bytes: tx,
        block_read_bytes: io_bytes("read"),
        block_write_bytes: io_bytes("write"),
        pids: sample.pids_stats.as_ref().and_then(|p| p.current).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_over_the_cap_keep_the_newest_whole_lines() {
        let text = b"one\ntwo\nthree\nfour\n".to_vec();
        assert_eq!(newest(text.clone(), 100), Logs { text: "one\ntwo\nthree\nfour\n".into(), truncated: false });
        assert_eq!(newest(text, 12), Logs { text: "three\nfour\n".into(), truncated: true });
    }
}
