//! Pulling an image, with its progress in the log (how much of the layers
//! has arrived, at most every few seconds, and how long it took) and, when a
//! client asked for it, as progress notifications.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bollard::models::CreateImageInfo;
use bollard::query_parameters::CreateImageOptionsBuilder;
use futures::StreamExt;

use super::engine::Client;
use super::error::Error;
use crate::caller::ClientLink;

/// How often a pull's progress is logged.
const EVERY: Duration = Duration::from_secs(3);
/// How often a pull's progress is sent to the client.
const REPORT_EVERY: Duration = Duration::from_millis(250);

/// Pulls `image` (with tag `latest` if it names none), reporting progress to
/// `observer` if given. Dropping the future stops the pull.
pub(super) async fn pull(client: &Client, image: &str, observer: Option<&dyn ClientLink>) -> Result<(), Error> {
    let last = image.rsplit('/').next().unwrap_or(image);
    let mut options = CreateImageOptionsBuilder::new().from_image(image);
    if !last.contains([':', '@']) {
        options = options.tag("latest");
    }
    tracing::info!(image, "pulling an image the engine lacks");
    let started = Instant::now();
    let (mut progress, mut logged, mut reported) = (Progress::default(), started, started);
    let mut steps = client.api.create_image(Some(options.build()), None, None);
    while let Some(step) = steps.next().await {
        let step = step.map_err(|e| match client.err("pull the image")(e) {
            Error::Engine { message, .. } => Error::Failed(format!(
                "image `{image}` is not on the engine and could not be pulled ({message}); load or pull it on the engine first"
            )),
            other => other,
        })?;
        let layer_done = progress.record(&step);
        if logged.elapsed() >= EVERY {
            logged = Instant::now();
            tracing::info!(image, "pulling: {}", progress.summary());
        }
        if let Some(observer) = observer
            && (layer_done || reported.elapsed() >= REPORT_EVERY)
        {
            reported = Instant::now();
            let (current, total) = progress.bytes();
            let total = (total > 0).then_some(total as f64);
            observer.progress(current as f64, total, Some(format!("pulling {image}: {}", progress.summary()))).await;
        }
    }
    tracing::info!(image, secs = started.elapsed().as_secs(), "pulled: {}", progress.summary());
    Ok(())
}

/// What has arrived of a pull's layers.
#[derive(Default)]
struct Progress {
    /// Bytes downloaded and expected, by layer id.
    layers: BTreeMap<String, Layer>,
}

#[derive(Default)]
struct Layer {
    current: u64,
    total: u64,
    done: bool,
}

impl Progress {
    /// Takes in one step of the engine's progress stream; whether it
    /// completed a layer.
    fn record(&mut self, step: &CreateImageInfo) -> bool {
        let (Some(id), Some(status)) = (&step.id, &step.status) else { return false };
        let layer = match status.as_str() {
            "Pulling fs layer" | "Waiting" | "Downloading" | "Download complete" | "Extracting" | "Pull complete"
            | "Already exists" => self.layers.entry(id.clone()).or_default(),
            _ => return false,
        };
        let was_done = layer.done;
        match status.as_str() {
            "Downloading" => {
                let detail = step.progress_detail.as_ref();
                let bytes = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
                layer.current = bytes(detail.and_then(|d| d.current)).unwrap_or(layer.current);
                layer.total = bytes(detail.and_then(|d| d.total)).unwrap_or(layer.total);
            }
            "Download complete" | "Extracting" | "Pull complete" | "Already exists" => {
                layer.current = layer.total;
                layer.done = true;
            }
            _ => {}
        }
        layer.done && !was_done
    }

    /// Bytes arrived and expected, over every layer.
    fn bytes(&self) -> (u64, u64) {
        let current = self.layers.values().map(|l| l.current).sum();
        (current, self.layers.values().map(|l| l.total).sum())
    }

    /// "12.5 of 40.0 MiB, 2 of 5 layers".
    fn summary(&self) -> String {
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        let (current, total) = self.bytes();
        let done = self.layers.values().filter(|l| l.done).count();
        format!("{:.1} of {:.1} MiB, {done} of {} layers", mib(current), mib(total), self.layers.len())
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::ProgressDetail;

    use super::*;

    fn step(id: &str, status: &str, current: Option<i64>, total: Option<i64>) -> CreateImageInfo {
        CreateImageInfo {
            id: Some(id.into()),
            status: Some(status.into()),
            progress_detail: Some(ProgressDetail { current, total }),
            ..Default::default()
        }
    }

    #[test]
    fn sums_what_has_arrived_of_every_layer() {
        let mut progress = Progress::default();
        let mib = 1024 * 1024;
        for s in [
            step("latest", "Pulling from library/node", None, None),
            step("a", "Pulling fs layer", None, None),
            step("b", "Pulling fs layer", None, None),
            step("c", "Already exists", None, None),
            step("a", "Downloading", Some(mib), Some(4 * mib)),
            step("b", "Downloading", Some(mib / 2), Some(2 * mib)),
        ] {
            progress.record(&s);
        }
        assert_eq!(progress.summary(), "1.5 of 6.0 MiB, 1 of 3 layers");
        progress.record(&step("a", "Download complete", None, None));
        progress.record(&step("b", "Pull complete", None, None));
        assert_eq!(progress.summary(), "6.0 of 6.0 MiB, 3 of 3 layers");
    }
}
