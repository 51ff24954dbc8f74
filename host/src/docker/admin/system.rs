//! Engine-wide reports: disk usage and events.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::query_parameters::{
    EventsOptionsBuilder, ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
};
use futures::StreamExt;

use super::scope::{Kind, Object};
use super::{EngineAdmin, filter_map};
use crate::docker::error::Error;
use crate::docker::identity::MANAGED;
use crate::wit::docker_engine::{DiskSpace, EngineEvent};

/// The most events one call returns (the newest).
const MAX_EVENTS: usize = 1000;

impl EngineAdmin<'_> {
    /// Disk space by kind of object: the engine's own totals where its API
    /// (1.52+) reports them, else sums over the listings.
    pub(super) async fn disk_usage(&self) -> Result<DiskSpace, Error> {
        let df = self.client.api.df(None).await.map_err(self.client.err("report its disk usage"))?;
        let count = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        let bytes = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        if let (Some(images), Some(containers)) = (&df.image_usage, &df.container_usage) {
            return Ok(DiskSpace {
                images: count(images.total_count),
                images_bytes: bytes(images.total_size),
                containers: count(containers.total_count),
                containers_bytes: bytes(containers.total_size),
                volumes: df.volume_usage.as_ref().map_or(0, |v| count(v.total_count)),
                volumes_bytes: df.volume_usage.as_ref().map(|v| bytes(v.total_size)),
                build_cache_bytes: df.build_cache_usage.as_ref().map(|b| bytes(b.total_size)),
            });
        }
        let api = &self.client.api;
        let images = api.list_images(None::<bollard::query_parameters::ListImagesOptions>).await;
        let images = images.map_err(self.client.err("list images"))?;
        let options = ListContainersOptionsBuilder::new().all(true).size(true).build();
        let containers = api.list_containers(Some(options)).await.map_err(self.client.err("list containers"))?;
        let volumes = api.list_volumes(None::<bollard::query_parameters::ListVolumesOptions>).await;
        let volumes = volumes.map_err(self.client.err("list volumes"))?.volumes.unwrap_or_default();
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(DiskSpace {
            images: len(images.len()),
            images_bytes: images.iter().map(|i| bytes(Some(i.size))).sum(),
            containers: len(containers.len()),
            containers_bytes: containers.iter().map(|c| bytes(c.size_rw)).sum(),
            volumes: len(volumes.len()),
            volumes_bytes: None,
            build_cache_bytes: None,
        })
    }

    /// The events from `since` until `until` (now at the latest) concerning
    /// containers, images, volumes and networks in scope; the newest
    /// [`MAX_EVENTS`].
    pub(super) async fn events(
        &self,
        since: i64,
        until: Option<i64>,
        filters: Vec<(String, String)>,
    ) -> Result<Vec<EngineEvent>, Error> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let until = until.unwrap_or(now).min(now);
        if since > until {
            return Err(Error::InvalidParams(format!("`since` ({since}) is after `until` ({until})")));
        }
        let own = self.own_volumes_and_networks().await?;
        let (since, until) = (since.to_string(), until.to_string());
        let options = EventsOptionsBuilder::new().since(&since).until(&until).filters(&filter_map(filters)).build();
        let mut stream = self.client.api.events(Some(options));
        let mut events = VecDeque::new();
        while let Some(event) = stream.next().await {
            let event = event.map_err(self.client.err("report its events"))?;
            let kind = match event.typ.map(|t| t.to_string()).as_deref() {
                Some("container") => Kind::Container,
                Some("image") => Kind::Image,
                Some("volume") => Kind::Volume,
                Some("network") => Kind::Network,
                _ => continue,
            };
            let actor = event.actor.unwrap_or_default();
            let id = actor.id.unwrap_or_default();
            let attributes = actor.attributes.unwrap_or_default();
            let name = attributes.get("name").cloned();
            let names = [name.clone().unwrap_or_else(|| id.clone())];
            let object = Object { kind, id: &id, names: &names, labels: &attributes };
            if own.contains(&names[0]) || !self.in_scope(&object) {
                continue;
            }
            if events.len() == MAX_EVENTS {
                events.pop_front();
            }
            events.push_back(EngineEvent {
                time: event.time.unwrap_or_default(),
                kind: kind.noun().to_string(),
                action: event.action.unwrap_or_default(),
                id,
                name,
            });
        }
        Ok(events.into())
    }

    /// The names of Portcullis's volumes and networks: their events carry
    /// no labels to tell them by.
    async fn own_volumes_and_networks(&self) -> Result<HashSet<String>, Error> {
        let filters = HashMap::from([("label".to_string(), vec![format!("{MANAGED}=true")])]);
        let api = &self.client.api;
        let volumes = api.list_volumes(Some(ListVolumesOptionsBuilder::new().filters(&filters).build())).await;
        let networks = api.list_networks(Some(ListNetworksOptionsBuilder::new().filters(&filters).build())).await;
        let volumes = volumes.map_err(self.client.err("list volumes"))?.volumes.unwrap_or_default();
        let networks = networks.map_err(self.client.err("list networks"))?;
        Ok(volumes.into_iter().map(|v| v.name).chain(networks.into_iter().filter_map(|n| n.name)).collect())
    }
}
