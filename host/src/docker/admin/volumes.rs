//! Volumes: listing, inspection, creation and removal.

use std::collections::HashMap;

use bollard::models::{Volume, VolumeCreateRequest};
use bollard::query_parameters::{ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder};

use super::scope::{Kind, Object};
use super::{EngineAdmin, Target, check_reference, check_spec_labels, filter_map, json_text, label_list};
use crate::docker::error::Error;
use crate::wit::docker_engine::{Removal, VolumeSpec, VolumeSummary};

impl EngineAdmin<'_> {
    /// Resolves the volume the caller named and admits it.
    async fn resolve_volume(&self, asked: &str) -> Result<(Target, Volume), Error> {
        check_reference(Kind::Volume, asked)?;
        let volume = self.client.api.inspect_volume(asked).await.map_err(self.client.err("inspect the volume"))?;
        let names = [volume.name.clone()];
        self.admit(&Object { kind: Kind::Volume, id: &volume.name, names: &names, labels: &volume.labels }, asked)?;
        let description = format!("volume `{}` (driver {})", volume.name, volume.driver);
        Ok((Target { id: volume.name.clone(), description }, volume))
    }

    /// The volume the caller named, admitted.
    pub(super) async fn volume(&self, asked: &str) -> Result<Target, Error> {
        Ok(self.resolve_volume(asked).await?.0)
    }

    /// Volumes in scope, by name.
    pub(super) async fn list_volumes(&self, filters: Vec<(String, String)>) -> Result<Vec<VolumeSummary>, Error> {
        let options = ListVolumesOptionsBuilder::new().filters(&filter_map(filters)).build();
        let listed = self.client.api.list_volumes(Some(options)).await.map_err(self.client.err("list volumes"))?;
        let mut volumes: Vec<VolumeSummary> = listed
            .volumes
            .unwrap_or_default()
            .into_iter()
            .filter(|v| {
                let names = [v.name.clone()];
                self.in_scope(&Object { kind: Kind::Volume, id: &v.name, names: &names, labels: &v.labels })
            })
            .map(summary)
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    /// The engine's description of a volume, as JSON text.
    pub(super) async fn inspect_volume(&self, asked: &str) -> Result<String, Error> {
        json_text(&self.resolve_volume(asked).await?.1)
    }

    /// Creates a volume whose name and labels are in scope.
    pub(super) async fn create_volume(&self, spec: VolumeSpec) -> Result<VolumeSummary, Error> {
        check_reference(Kind::Volume, &spec.name)?;
        let labels: HashMap<String, String> = check_spec_labels(spec.labels)?;
        let names = [spec.name.clone()];
        self.admit(&Object { kind: Kind::Volume, id: &spec.name, names: &names, labels: &labels }, &spec.name)?;
        let request = VolumeCreateRequest {
            name: Some(spec.name),
            driver: spec.driver,
            labels: Some(labels),
            ..Default::default()
        };
        let volume = self.client.api.create_volume(request).await.map_err(self.client.err("create the volume"))?;
        tracing::info!(volume = %volume.name, "created a volume through docker-engine");
        Ok(summary(volume))
    }

    /// Removes an admitted volume.
    pub(super) async fn remove_volume(&self, target: &Target, force: bool) -> Result<Removal, Error> {
        let options = RemoveVolumeOptionsBuilder::new().force(force).build();
        self.client.api.remove_volume(&target.id, Some(options)).await.map_err(self.client.err("remove the volume"))?;
        tracing::info!(volume = %target.id, "removed a volume through docker-engine");
        Ok(Removal { removed: vec![target.id.clone()], reclaimed_bytes: 0 })
    }
}

/// A volume in WIT form.
fn summary(volume: Volume) -> VolumeSummary {
    VolumeSummary {
        name: volume.name,
        driver: volume.driver,
        mountpoint: volume.mountpoint,
        created_at: volume.created_at.map(|t| t.to_string()),
        labels: label_list(volume.labels),
    }
}
