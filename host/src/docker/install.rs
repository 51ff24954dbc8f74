//! Installs that never lend the network to the caller's code.
//!
//! An exec that asks for the network (`with-network`, an install step) in a
//! container created without one does not run in that container. It runs in
//! a short-lived *installer* container, made from the container's image with
//! the files of its earlier installs, with the bridge network, the same
//! limits and hardening, and none of the container's files, processes or
//! mounts. Nothing the caller planted (a fake `python3` on the PATH, a
//! background process waiting for a network) is there. When the step
//! succeeds, the installer is committed as an image (`portcullis-deps:<key>`,
//! the key a digest of the parent image and the step) and the files it added,
//! changed or removed outside scratch and cache directories are copied into
//! the container. The container itself stays on network `none` throughout.
//!
//! The committed images form each container's install lineage (the next
//! step starts from the last one, so `apt-get install` sees what
//! `apt-get update` fetched) and a cache: the same step on the same parent
//! within [`CACHE_TTL`] copies the cached files without running again, so a
//! repeat install in any session is fast and offline. Installers carry no
//! principal or session label, so no caller can list or address one; they
//! are removed when the step ends, at shutdown, or by the next start-up if
//! the host crashed. Cached images past the TTL are removed at start-up.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime};

use bollard::models::{ChangeType, ContainerConfig, ContainerCreateBody, FilesystemChange};
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, DownloadFromContainerOptionsBuilder, ListImagesOptionsBuilder,
    RemoveImageOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::engine::Client;
use super::error::Error;
use super::exec::{self, Job, Outcome, Stop};
use super::identity::{self, Identity};
use super::output::Captured;
use super::sessions::{self, Ledger};
use super::spec::{Blueprint, Limits, Process, WORKSPACE};

/// The repository of committed install steps.
const REPOSITORY: &str = "portcullis-deps";

/// How long a committed step is reused (package indexes move on).
pub(super) const CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Directories whose changes are never copied: scratch space, caches, and
/// what the kernel or the engine provides.
const NOT_COPIED: &[&str] =
    &["/tmp", "/var/tmp", "/var/cache", "/run", "/dev", "/proc", "/sys", "/root/.cache", "/root/.npm"];

/// What a step changed, as recorded on its committed image.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Changes {
    /// Paths to copy (each with everything under it).
    pub(super) copy: Vec<String>,
    /// Paths to remove.
    pub(super) remove: Vec<String>,
}

impl Changes {
    /// The smallest set of copies and removals that reproduces `changes` (the
    /// engine's list for a container): an added path covers everything under
    /// it; a changed directory is represented by its listed entries; nothing
    /// under [`NOT_COPIED`] counts, nor the `/workspace` mount point itself.
    pub(super) fn from_engine(changes: &[FilesystemChange]) -> Changes {
        let by_path: BTreeMap<&str, &ChangeType> = changes.iter().map(|c| (c.path.as_str(), &c.kind)).collect();
        let has_entries_listed = |dir: &str| {
            let prefix = format!("{}/", dir.trim_end_matches('/'));
            by_path.range(prefix.as_str()..).next().is_some_and(|(next, _)| next.starts_with(&prefix))
        };
        // An ancestor of the same kind already covers a path; the workspace
        // mount point never does (its entries are copied one by one).
        let covered = |path: &str, kind: &ChangeType| {
            ancestors(path).any(|dir| dir != WORKSPACE && by_path.get(dir).is_some_and(|k| *k == kind))
        };
        let mut result = Changes::default();
        for (&path, &kind) in &by_path {
            let excluded = NOT_COPIED.iter().any(|dir| path == *dir || ancestors(path).any(|a| a == *dir));
            if excluded || path == WORKSPACE {
                continue;
            }
            match kind {
                ChangeType::_2 if !covered(path, kind) => result.remove.push(path.to_string()),
                ChangeType::_1 if !covered(path, kind) => result.copy.push(path.to_string()),
                ChangeType::_0 if !has_entries_listed(path) => result.copy.push(path.to_string()),
                _ => {}
            }
        }
        result
    }
}

/// The proper ancestors of an absolute `path`, nearest first, `/` excluded.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path;
    std::iter::from_fn(move || {
        let (parent, _) = rest.rsplit_once('/')?;
        rest = parent;
        (!parent.is_empty()).then_some(parent)
    })
}

/// Runs `job`, an exec that asked for the network, for the offline container
/// `job.container` in an installer (see the module docs), and copies what it
/// installed into the container. The outcome is the step's; a step served
/// from the cache reports exit code 0 and says so on stdout.
pub(super) async fn run(client: &Client, me: &Identity, ledger: &Ledger, job: Job) -> Result<Outcome, Error> {
    let started = Instant::now();
    let target = job.container.clone();
    let inspected = client.api.inspect_container(&target, None).await.map_err(client.err("inspect the container"))?;
    let base = inspected.image.clone().unwrap_or_default();
    let parent = match ledger.install_parent(&target) {
        Some(image) if client.api.inspect_image(&image).await.is_ok() => image,
        _ => base,
    };
    let tag = format!("{REPOSITORY}:{}", identity::digest(&step_key(&parent, &job)));
    if let Some(changes) = cached(client, &tag).await {
        let source = create_installer(client, me, &tag, &inspected, false).await?;
        let copied = with_removal(client, &source, copy(client, &source, &target, &changes)).await;
        copied?;
        ledger.set_install_parent(&target, &tag);
        let stdout = format!("(from the install cache: this step already ran on this image; {tag})\n");
        let output = Captured { stdout, stderr: String::new(), truncated: false };
        return Ok(Outcome { exit_code: Some(0), output, duration: started.elapsed(), stop: Stop::Exited });
    }
    let installer = create_installer(client, me, &parent, &inspected, true).await?;
    tracing::info!(container = %target, installer = %installer, image = %parent, "running an install step in an installer container");
    let work = async {
        let outcome = exec::run(client, Job { container: installer.clone(), ..job }).await?;
        if outcome.stop == Stop::Exited && outcome.exit_code == Some(0) {
            let changes = commit(client, &installer, &tag).await?;
            copy(client, &installer, &target, &changes).await?;
            ledger.set_install_parent(&target, &tag);
        }
        Ok(outcome)
    };
    with_removal(client, &installer, work).await
}

/// Removes the cached steps older than [`CACHE_TTL`]; returns how many. An
/// image still in use (a running installer, a child step) stays.
pub(super) async fn remove_expired(client: &Client) -> Result<u32, Error> {
    let filters = HashMap::from([("reference".to_string(), vec![REPOSITORY.to_string()])]);
    let options = ListImagesOptionsBuilder::new().filters(&filters).build();
    let images = client.api.list_images(Some(options)).await.map_err(client.err("list images"))?;
    let mut removed = 0;
    for image in images.into_iter().filter(|i| age_secs(i.created) > CACHE_TTL.as_secs()) {
        for tag in image.repo_tags.iter().filter(|t| t.starts_with(&format!("{REPOSITORY}:"))) {
            let options = RemoveImageOptionsBuilder::new().noprune(false).build();
            match client.api.remove_image(tag, Some(options), None).await {
                Ok(_) => removed += 1,
                Err(e) => tracing::debug!(tag, "kept a cached install step: {e}"),
            }
        }
    }
    Ok(removed)
}

/// What identifies a step: its parent image, argv, environment and workdir.
fn step_key(parent: &str, job: &Job) -> Vec<String> {
    let env = job.env.iter().filter(|e| !e.starts_with(&format!("{}=", exec::TAG)));
    [parent.to_string(), job.workdir.clone()].into_iter().chain(job.argv.iter().cloned()).chain(env.cloned()).collect()
}

/// The changes of the cached step `tag`, if it exists and is fresh.
async fn cached(client: &Client, tag: &str) -> Option<Changes> {
    let filters = HashMap::from([("reference".to_string(), vec![tag.to_string()])]);
    let options = ListImagesOptionsBuilder::new().filters(&filters).build();
    let image = client.api.list_images(Some(options)).await.ok()?.into_iter().next()?;
    if age_secs(image.created) > CACHE_TTL.as_secs() {
        return None;
    }
    serde_json::from_str(image.labels.get(identity::INSTALL_CHANGES)?).ok()
}

/// Seconds since `created` (Unix seconds, as the engine reports images).
fn age_secs(created: i64) -> u64 {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    now.saturating_sub(u64::try_from(created).unwrap_or(0))
}

/// Creates an installer from `image` for the container `of` (its
/// environment and limits), started and on the bridge network when
/// `networked`, else only created (a source to copy cached files from).
async fn create_installer(
    client: &Client,
    me: &Identity,
    image: &str,
    of: &bollard::models::ContainerInspectResponse,
    networked: bool,
) -> Result<String, Error> {
    let env = of.config.as_ref().and_then(|c| c.env.clone()).unwrap_or_default();
    let limits =
        of.host_config.as_ref().map(Limits::of).ok_or_else(|| Error::Failed("the container has no limits".into()))?;
    let labels = me.installer_labels();
    let process = Process::Idle;
    let blueprint = Blueprint { image, env, network: networked, mounts: &[], labels, volume: None, limits, process };
    let body: ContainerCreateBody = blueprint.body();
    let created = client.api.create_container(None, body).await.map_err(client.err("create an installer container"))?;
    if networked
        && let Err(e) = client.api.start_container(&created.id, None).await.map_err(client.err("start an installer"))
    {
        sessions::remove_container(client, &created.id).await?;
        return Err(e);
    }
    Ok(created.id)
}

/// Runs `work`, then removes the installer `id` whatever the outcome.
async fn with_removal<T>(client: &Client, id: &str, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let result = work.await;
    if let Err(e) = sessions::remove_container(client, id).await {
        tracing::warn!(installer = %id, "could not remove an installer container: {e}");
    }
    result
}

/// Commits the installer `id` as `tag`, recording what it changed.
async fn commit(client: &Client, id: &str, tag: &str) -> Result<Changes, Error> {
    let listed = client.api.container_changes(id).await.map_err(client.err("list an install's changes"))?;
    let changes = Changes::from_engine(&listed.unwrap_or_default());
    let recorded = serde_json::to_string(&changes).map_err(|e| Error::Failed(format!("record changes: {e}")))?;
    let (repo, tag_name) = tag.split_once(':').unwrap_or((tag, "latest"));
    let options = CommitContainerOptionsBuilder::new().container(id).repo(repo).tag(tag_name).pause(true).build();
    let labels = HashMap::from([
        (identity::MANAGED.to_string(), "true".to_string()),
        (identity::INSTALL_CHANGES.to_string(), recorded),
    ]);
    let config = ContainerConfig { labels: Some(labels), ..Default::default() };
    client.api.commit_container(options, config).await.map_err(client.err("commit an install step"))?;
    Ok(changes)
}

/// Copies `changes` from container `source` into container `target`:
/// removals first, then each path into its parent directory, one at a time
/// (the engine locks a container while an archive of it is read or
/// extracted, so concurrent copies between two containers deadlock).
async fn copy(client: &Client, source: &str, target: &str, changes: &Changes) -> Result<(), Error> {
    if !changes.remove.is_empty() {
        let argv: Vec<&str> =
            ["rm", "-rf", "--"].into_iter().chain(changes.remove.iter().map(String::as_str)).collect();
        if let Err(e) = exec::helper(client, target, &argv).await {
            tracing::warn!(container = target, "could not remove what an install removed: {e}");
        }
    }
    for path in &changes.copy {
        copy_path(client, source, target, path).await.map_err(|e| {
            Error::Failed(format!("the install succeeded, but copying `{path}` into the container failed: {e}"))
        })?;
    }
    Ok(())
}

/// Streams `path` (with everything under it) from `source` into `target`.
async fn copy_path(client: &Client, source: &str, target: &str, path: &str) -> Result<(), Error> {
    let parent = match path.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((parent, _)) => parent,
    };
    let download = DownloadFromContainerOptionsBuilder::new().path(path).build();
    // A failed read aborts the upload, which then reports it.
    let archive = client.api.download_from_container(source, Some(download)).map_err(std::io::Error::other);
    let upload = UploadToContainerOptionsBuilder::new().path(parent).build();
    client
        .api
        .upload_to_container(target, Some(upload), bollard::body_try_stream(archive))
        .await
        .map_err(client.err("copy an installed path"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str, kind: ChangeType) -> FilesystemChange {
        FilesystemChange { path: path.into(), kind }
    }

    #[test]
    fn added_trees_are_copied_once_and_changed_directories_by_their_entries() {
        let listed = [
            change("/usr", ChangeType::_0),
            change("/usr/lib/python3/dist-packages", ChangeType::_0),
            change("/usr/lib/python3/dist-packages/requests", ChangeType::_1),
            change("/usr/lib/python3/dist-packages/requests/__init__.py", ChangeType::_1),
            change("/var/lib/dpkg/status", ChangeType::_0),
            change("/var/lib/dpkg/status-old", ChangeType::_2),
            change("/var/cache/apt/pkgcache.bin", ChangeType::_1),
            change("/tmp/pip-build", ChangeType::_1),
            change("/root", ChangeType::_0),
            change("/root/.cache", ChangeType::_1),
            change("/workspace", ChangeType::_1),
            change("/workspace/node_modules", ChangeType::_1),
            change("/workspace2", ChangeType::_1),
        ];
        let changes = Changes::from_engine(&listed);
        assert_eq!(
            changes.copy,
            [
                "/usr/lib/python3/dist-packages/requests",
                "/var/lib/dpkg/status",
                "/workspace/node_modules",
                "/workspace2"
            ]
        );
        assert_eq!(changes.remove, ["/var/lib/dpkg/status-old"]);
    }

    #[test]
    fn a_removed_tree_is_removed_once() {
        let listed = [change("/opt/old", ChangeType::_2), change("/opt/old/file", ChangeType::_2)];
        assert_eq!(Changes::from_engine(&listed), Changes { copy: vec![], remove: vec!["/opt/old".into()] });
    }
}
