//! The content-addressed store of fetched artifacts: manifests and
//! components under `blobs/sha256/<hex>`, the signatures found for a
//! manifest under `signatures/sha256-<hex>.json`. Every read hashes what it
//! read, so a file altered on disk is refused, never loaded.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::cosign::Signature;
use super::{check_digest, sha256_digest};

/// The store under one directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store in `root` (created on first write).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Where the store is.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        Ok(self.root.join("blobs").join("sha256").join(check_digest(digest)?))
    }

    fn signatures_path(&self, digest: &str) -> Result<PathBuf> {
        Ok(self.root.join("signatures").join(format!("sha256-{}.json", check_digest(digest)?)))
    }

    /// Keeps `bytes`; returns their digest.
    pub fn put(&self, bytes: &[u8]) -> Result<String> {
        let digest = sha256_digest(bytes);
        write_atomically(&self.blob_path(&digest)?, bytes)?;
        Ok(digest)
    }

    /// The blob `digest`, checked against its digest.
    pub fn get(&self, digest: &str) -> Result<Vec<u8>> {
        let path = self.blob_path(digest)?;
        let bytes = std::fs::read(&path)
            .with_context(|| format!("{digest} is not in the plugin store ({})", path.display()))?;
        let actual = sha256_digest(&bytes);
        if actual != digest {
            bail!("{} was altered on disk: it hashes to {actual}, not {digest}", path.display());
        }
        Ok(bytes)
    }

    /// Keeps the signatures found for manifest `digest`.
    pub fn put_signatures(&self, digest: &str, signatures: &[Signature]) -> Result<()> {
        write_atomically(&self.signatures_path(digest)?, &serde_json::to_vec_pretty(signatures)?)
    }

    /// The signatures kept for manifest `digest` (none if none were found).
    pub fn signatures(&self, digest: &str) -> Result<Vec<Signature>> {
        let path = self.signatures_path(digest)?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("store paths have a parent");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = dir.join(format!(".{}-{n}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes).with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_checked_on_every_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_path_buf());
        let digest = store.put(b"component").unwrap();
        assert_eq!(store.get(&digest).unwrap(), b"component");
        std::fs::write(store.blob_path(&digest).unwrap(), b"c0mponent").unwrap();
        assert!(store.get(&digest).unwrap_err().to_string().contains("altered on disk"));
        assert!(store.get(&sha256_digest(b"absent")).unwrap_err().to_string().contains("not in the plugin store"));
        assert!(store.get("sha256:../../x").is_err());
        assert!(store.signatures(&digest).unwrap().is_empty());
        let signatures = vec![Signature::new(b"p", "s".into())];
        store.put_signatures(&digest, &signatures).unwrap();
        assert_eq!(store.signatures(&digest).unwrap(), signatures);
    }
}
