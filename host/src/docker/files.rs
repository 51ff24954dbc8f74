//! Copying single files into and out of a container (tar archives through
//! the engine), confined to the session's `/workspace`: paths are checked
//! lexically (no `..`), and a symbolic link on the way (a directory or the
//! file itself) is refused rather than followed, since the engine would
//! follow it anywhere in the container.

use std::io::Read;

use bollard::container::PathStatResponse as PathStat;
use bollard::query_parameters::{
    ContainerArchiveInfoOptionsBuilder, DownloadFromContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures::StreamExt;

use super::engine::Client;
use super::error::Error;
use super::spec::WORKSPACE;

/// The largest file `read` returns.
pub(super) const MAX_READ_BYTES: u64 = 32 << 20;

/// Slack for tar headers and padding around a file in an archive.
const ARCHIVE_OVERHEAD: usize = 64 << 10;

/// Go's `os.ModeDir` and `os.ModeSymlink` bits, as the engine reports file modes.
const MODE_DIR: u32 = 1 << 31;
const MODE_SYMLINK: u32 = 1 << 27;

/// A file path inside `/workspace`, as components below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WorkspacePath(Vec<String>);

impl WorkspacePath {
    /// Accepts absolute paths strictly under `/workspace` with no `..`
    /// component (`.` and repeated slashes are ignored).
    pub(super) fn parse(path: &str) -> Result<Self, Error> {
        let invalid = |why: &str| Error::InvalidParams(format!("path `{path}` is not allowed: {why}"));
        if path.contains('\0') {
            return Err(invalid("it contains a NUL byte"));
        }
        let mut components = path.split('/').filter(|c| !c.is_empty() && *c != ".");
        if !path.starts_with('/') || components.next() != Some(&WORKSPACE[1..]) {
            return Err(invalid("files must be absolute paths under /workspace"));
        }
        let inner: Vec<String> = components.map(String::from).collect();
        if inner.iter().any(|c| c == "..") {
            return Err(invalid("`..` is not allowed"));
        }
        if inner.is_empty() {
            return Err(invalid("it names /workspace itself, not a file in it"));
        }
        Ok(Self(inner))
    }

    fn absolute(&self) -> String {
        format!("{WORKSPACE}/{}", self.0.join("/"))
    }

    /// The absolute paths of the directories on the way to the file, outermost first.
    fn parents(&self) -> impl Iterator<Item = String> + '_ {
        (1..self.0.len()).map(|depth| format!("{WORKSPACE}/{}", self.0[..depth].join("/")))
    }
}

/// What the engine says about one path in a container, or `None` if it does not exist.
async fn stat(client: &Client, container: &str, absolute: &str) -> Result<Option<PathStat>, Error> {
    let options = ContainerArchiveInfoOptionsBuilder::new().path(absolute).build();
    match client.api.get_container_archive_info(container, Some(options)).await {
        Ok(stat) => Ok(Some(stat)),
        Err(e) => match client.err("inspect the path")(e) {
            e if e.is_missing() => Ok(None),
            e => Err(e),
        },
    }
}

/// Refuses a path whose `stat` says it is a symbolic link.
fn not_a_link(absolute: &str, stat: &PathStat) -> Result<(), Error> {
    if stat.file_mode & MODE_SYMLINK == 0 {
        return Ok(());
    }
    Err(Error::InvalidParams(format!(
        "`{absolute}` is a symbolic link to `{}`; files are read and written only within /workspace, never through links",
        stat.link_target
    )))
}

/// Refuses `path` if an existing directory on the way to it is a symbolic link.
async fn check_parents(client: &Client, container: &str, path: &WorkspacePath) -> Result<(), Error> {
    for parent in path.parents() {
        match stat(client, container, &parent).await? {
            Some(found) => not_a_link(&parent, &found)?,
            None => break,
        }
    }
    Ok(())
}

/// Writes `data` to `path`, creating missing directories (mode 0755; the file 0644).
pub(super) async fn write(client: &Client, container: &str, path: &WorkspacePath, data: Vec<u8>) -> Result<(), Error> {
    check_parents(client, container, path).await?;
    let absolute = path.absolute();
    if let Some(existing) = stat(client, container, &absolute).await? {
        not_a_link(&absolute, &existing)?;
    }
    let archive = archive(path, &data).map_err(|e| Error::Failed(format!("could not build the archive: {e}")))?;
    let options = UploadToContainerOptionsBuilder::new().path(WORKSPACE).build();
    client
        .api
        .upload_to_container(container, Some(options), bollard::body_full(archive.into()))
        .await
        .map_err(client.err("write the file"))
}

/// Reads the regular file at `path`, up to [`MAX_READ_BYTES`].
pub(super) async fn read(client: &Client, container: &str, path: &WorkspacePath) -> Result<Vec<u8>, Error> {
    check_parents(client, container, path).await?;
    let absolute = path.absolute();
    let Some(stat) = stat(client, container, &absolute).await? else {
        return Err(Error::NotFound(format!("no file `{absolute}` in the container")));
    };
    not_a_link(&absolute, &stat)?;
    if stat.file_mode & MODE_DIR != 0 {
        return Err(Error::InvalidParams(format!("`{absolute}` is a directory, not a file")));
    }
    if stat.size as u64 > MAX_READ_BYTES {
        return Err(Error::Failed(format!(
            "`{absolute}` is {} bytes; files larger than {MAX_READ_BYTES} bytes cannot be read whole",
            stat.size
        )));
    }
    let options = DownloadFromContainerOptionsBuilder::new().path(&absolute).build();
    let mut body = client.api.download_from_container(container, Some(options));
    let mut tarball = Vec::new();
    while let Some(chunk) = body.next().await {
        tarball.extend_from_slice(&chunk.map_err(client.err("read the file"))?);
        if tarball.len() > MAX_READ_BYTES as usize + ARCHIVE_OVERHEAD {
            return Err(Error::Failed(format!("`{absolute}` grew past {MAX_READ_BYTES} bytes while being read")));
        }
    }
    unpack_single(&tarball)
        .map_err(|e| Error::Failed(format!("could not unpack `{absolute}` from the engine's archive: {e}")))
}

/// A tar archive holding `path`'s directories and the file itself, relative to `/workspace`.
fn archive(path: &WorkspacePath, data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mtime = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let mut builder = tar::Builder::new(Vec::new());
    let (file, dirs) = path.0.split_last().expect("a workspace path has at least one component");
    for depth in 1..=dirs.len() {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_mtime(mtime);
        header.set_size(0);
        builder.append_data(&mut header, dirs[..depth].join("/"), std::io::empty())?;
    }
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_size(data.len() as u64);
    let relative = dirs.iter().chain([file]).cloned().collect::<Vec<_>>().join("/");
    builder.append_data(&mut header, relative, data)?;
    builder.into_inner()
}

/// The contents of the first entry of `tarball`, which must be a regular file.
fn unpack_single(tarball: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(tarball);
    let mut entry = archive.entries()?.next().ok_or_else(|| std::io::Error::other("the archive is empty"))??;
    if !entry.header().entry_type().is_file() {
        return Err(std::io::Error::other("the path is not a regular file"));
    }
    let mut data = Vec::with_capacity(entry.size() as usize);
    entry.read_to_end(&mut data)?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_the_workspace_are_accepted() {
        assert_eq!(WorkspacePath::parse("/workspace/a/./b.txt").unwrap().absolute(), "/workspace/a/b.txt");
        assert_eq!(WorkspacePath::parse("//workspace//x").unwrap().absolute(), "/workspace/x");
        for bad in [
            "/workspace/../etc/passwd",
            "/workspace/a/../../x",
            "/etc/passwd",
            "workspace/x",
            "/workspace",
            "/workspace/",
            "/workspaces/x",
            "/workspace/a\0b",
        ] {
            assert!(matches!(WorkspacePath::parse(bad), Err(Error::InvalidParams(_))), "{bad:?} was accepted");
        }
    }

    #[test]
    fn archives_round_trip() {
        let path = WorkspacePath::parse("/workspace/sub/dir/f.txt").unwrap();
        let tarball = archive(&path, b"hello").unwrap();
        let names: Vec<String> = tar::Archive::new(tarball.as_slice())
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["sub", "sub/dir", "sub/dir/f.txt"]);
        let file_only = archive(&WorkspacePath::parse("/workspace/f").unwrap(), b"hello").unwrap();
        assert_eq!(unpack_single(&file_only).unwrap(), b"hello");
    }
}
