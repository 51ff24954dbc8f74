//! Images: listing, inspection, pulls, removal and pruning.

use std::collections::{HashMap, HashSet};

use bollard::models::ImageSummary as EngineSummary;
use bollard::query_parameters::{ListContainersOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptionsBuilder};

use super::scope::{Kind, Object};
use super::{EngineAdmin, Target, check_reference, filter_map, json_text, label_list, short_id};
use crate::caller::CallContext;
use crate::docker::error::Error;
use crate::docker::pull::pull;
use crate::wit::docker_engine::{ImageSummary, Removal};

/// An image that pruning would remove, admitted.
pub(super) struct PruneCandidate {
    target: Target,
    size_bytes: u64,
}

impl PruneCandidate {
    /// The image in a sentence.
    pub(super) fn description(&self) -> &str {
        &self.target.description
    }
}

impl EngineAdmin<'_> {
    /// Resolves the image the caller named and admits it; the target
    /// addresses it as named (so removing a tag untags only that tag).
    async fn resolve_image(&self, asked: &str) -> Result<(Target, bollard::models::ImageInspect), Error> {
        check_reference(Kind::Image, asked)?;
        let inspected = self.client.api.inspect_image(asked).await.map_err(self.client.err("inspect the image"))?;
        let id = inspected.id.clone().unwrap_or_default();
        let tags = inspected.repo_tags.clone().unwrap_or_default();
        let labels = inspected.config.as_ref().and_then(|c| c.labels.clone()).unwrap_or_default();
        self.admit(&Object { kind: Kind::Image, id: &id, names: &names_of(&tags, &id), labels: &labels }, asked)?;
        let tags_text = if tags.is_empty() { "untagged".to_string() } else { tags.join(", ") };
        let description = format!("image `{asked}` (id {}, {tags_text})", short_id(&id));
        Ok((Target { id: asked.to_string(), description }, inspected))
    }

    /// The image the caller named, admitted.
    pub(super) async fn image(&self, asked: &str) -> Result<Target, Error> {
        Ok(self.resolve_image(asked).await?.0)
    }

    /// Images in scope, by first tag (untagged ones last).
    pub(super) async fn list_images(&self, filters: Vec<(String, String)>) -> Result<Vec<ImageSummary>, Error> {
        let mut images: Vec<ImageSummary> =
            self.engine_images(filter_map(filters)).await?.into_iter().filter_map(|i| self.admitted(i)).collect();
        images.sort_by(|a, b| (a.tags.is_empty(), a.tags.first()).cmp(&(b.tags.is_empty(), b.tags.first())));
        Ok(images)
    }

    /// The engine's description of an image, as JSON text.
    pub(super) async fn inspect_image(&self, asked: &str) -> Result<String, Error> {
        json_text(&self.resolve_image(asked).await?.1)
    }

    /// Pulls `reference` if the image rules allow it, reporting progress to
    /// the call's client; the call's cancellation stops it.
    pub(super) async fn pull(&self, reference: &str, call: &CallContext) -> Result<ImageSummary, Error> {
        check_reference(Kind::Image, reference)?;
        let names = [reference.to_string()];
        self.admit(&Object { kind: Kind::Image, id: reference, names: &names, labels: &HashMap::new() }, reference)?;
        tokio::select! {
            pulled = pull(&self.client, reference, call.client.as_deref()) => pulled?,
            () = call.cancel.cancelled() => {
                return Err(Error::Failed(format!("the pull of `{reference}` was cancelled; nothing was added")));
            }
        }
        let filters = HashMap::from([("reference".to_string(), vec![reference.to_string()])]);
        let pulled = self.engine_images(filters).await?.into_iter().next();
        let summary = match pulled {
            Some(image) => summary(image),
            None => {
                // A digest reference lists under no tag: find it by inspection.
                let inspected =
                    self.client.api.inspect_image(reference).await.map_err(self.client.err("inspect the image"))?;
                ImageSummary {
                    id: inspected.id.unwrap_or_default(),
                    tags: inspected.repo_tags.unwrap_or_default(),
                    size_bytes: inspected.size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    created: 0,
                    labels: label_list(inspected.config.and_then(|c| c.labels).unwrap_or_default()),
                }
            }
        };
        tracing::info!(image = reference, id = %summary.id, "pulled an image through docker-engine");
        Ok(summary)
    }

    /// Removes an admitted image (untags it, when named by one of several tags).
    pub(super) async fn remove_image(&self, target: &Target, force: bool) -> Result<Removal, Error> {
        let options = RemoveImageOptionsBuilder::new().force(force).build();
        let items = self
            .client
            .api
            .remove_image(&target.id, Some(options), None)
            .await
            .map_err(self.client.err("remove the image"))?;
        let removed = items.into_iter().flat_map(|i| i.untagged.into_iter().chain(i.deleted)).collect();
        tracing::info!(image = %target.id, "removed an image through docker-engine");
        Ok(Removal { removed, reclaimed_bytes: 0 })
    }

    /// The images in scope that no container uses: the dangling ones, or
    /// with `all` every one.
    pub(super) async fn prune_candidates(&self, all: bool) -> Result<Vec<PruneCandidate>, Error> {
        let options = ListContainersOptionsBuilder::new().all(true).build();
        let containers =
            self.client.api.list_containers(Some(options)).await.map_err(self.client.err("list containers"))?;
        let used: HashSet<String> = containers.into_iter().filter_map(|c| c.image_id).collect();
        let images = self.engine_images(HashMap::new()).await?;
        Ok(images
            .into_iter()
            .filter(|i| !used.contains(&i.id) && (all || dangling(&i.repo_tags)))
            .filter_map(|i| {
                let size_bytes = u64::try_from(i.size).unwrap_or(0);
                let admitted = self.admitted(i)?;
                let tags = if admitted.tags.is_empty() { "untagged".to_string() } else { admitted.tags.join(", ") };
                let description = format!("image {} ({tags})", short_id(&admitted.id));
                Some(PruneCandidate { target: Target { id: admitted.id, description }, size_bytes })
            })
            .collect())
    }

    /// Removes `candidates`; one that cannot be removed (a container started
    /// using it meanwhile) is skipped and logged.
    pub(super) async fn prune(&self, candidates: Vec<PruneCandidate>) -> Removal {
        let mut removal = Removal { removed: Vec::new(), reclaimed_bytes: 0 };
        for candidate in candidates {
            match self.remove_image(&candidate.target, false).await {
                Ok(done) => {
                    removal.removed.extend(done.removed);
                    removal.reclaimed_bytes += candidate.size_bytes;
                }
                Err(e) => tracing::warn!(image = %candidate.target.id, "pruning skipped an image: {e}"),
            }
        }
        removal
    }

    async fn engine_images(&self, filters: HashMap<String, Vec<String>>) -> Result<Vec<EngineSummary>, Error> {
        let options = ListImagesOptionsBuilder::new().filters(&filters).build();
        self.client.api.list_images(Some(options)).await.map_err(self.client.err("list images"))
    }

    /// The image in WIT form, if it is in scope.
    fn admitted(&self, image: EngineSummary) -> Option<ImageSummary> {
        let summary = summary(image);
        let labels = summary.labels.iter().cloned().collect();
        let names = names_of(&summary.tags, &summary.id);
        self.in_scope(&Object { kind: Kind::Image, id: &summary.id, names: &names, labels: &labels }).then_some(summary)
    }
}

/// What image patterns match: the tags, else the id.
fn names_of(tags: &[String], id: &str) -> Vec<String> {
    if tags.is_empty() { vec![id.to_string()] } else { tags.to_vec() }
}

/// Whether an image has no tag (the engine writes `<none>:<none>`).
fn dangling(tags: &[String]) -> bool {
    tags.iter().all(|t| t == "<none>:<none>")
}

/// A listing's entry in WIT form.
fn summary(image: EngineSummary) -> ImageSummary {
    ImageSummary {
        id: image.id,
        tags: image.repo_tags.into_iter().filter(|t| t != "<none>:<none>").collect(),
        size_bytes: u64::try_from(image.size).unwrap_or(0),
        created: image.created,
        labels: label_list(image.labels),
    }
}
