//! `plugins.lock`: what `portcullis plugin add` pinned. Per plugin: its
//! name, the reference it was added from, the manifest digest it resolved
//! to, the component's SHA-256, who signed it and when it was verified.
//! Written whole to a temporary file and renamed, so a reader (the running
//! host watches it) never sees half a file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The lock file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// The entries, in name order.
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<LockEntry>,
}

/// One pinned plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// The plugin's name in the host.
    pub name: String,
    /// The reference as added (`oci://…:TAG` or `oci://…@sha256:…`).
    pub source: String,
    /// The manifest digest it resolved to, which is what is loaded.
    pub digest: String,
    /// The SHA-256 of the component (`sha256:…`).
    pub sha256: String,
    /// Who signed it, as the trust policy found.
    pub signer: String,
    /// When it was verified against the registry (RFC 3339, UTC).
    pub verified_at: String,
}

const HEADER: &str = "# Plugins pinned by `portcullis plugin add`; change it with `plugin add|update|remove`.\n# The host loads each by digest from its store and checks its hash and signature on every load.\n\n";

impl LockFile {
    /// Reads `path`; a missing file is an empty lock.
    pub fn read(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read the lock file {}", path.display())),
        };
        let lock: LockFile =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("the lock file {} is not valid: {e}", path.display()))?;
        for entry in &lock.plugins {
            super::check_digest(&entry.digest)
                .with_context(|| format!("{}: entry `{}`", path.display(), entry.name))?;
            super::check_digest(&entry.sha256)
                .with_context(|| format!("{}: entry `{}`", path.display(), entry.name))?;
            if lock.plugins.iter().filter(|e| e.name == entry.name).count() > 1 {
                bail!("the lock file {} names plugin `{}` twice", path.display(), entry.name);
            }
        }
        Ok(lock)
    }

    /// Writes the lock to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut sorted = self.clone();
        sorted.plugins.sort_by(|a, b| a.name.cmp(&b.name));
        let text = format!("{HEADER}{}", toml::to_string(&sorted).context("encoding the lock file")?);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let temporary = path.with_extension("lock.tmp");
        std::fs::write(&temporary, text).with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, path).with_context(|| format!("cannot replace {}", path.display()))
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&LockEntry> {
        self.plugins.iter().find(|e| e.name == name)
    }

    /// Adds `entry`, replacing the one of the same name.
    pub fn put(&mut self, entry: LockEntry) {
        self.plugins.retain(|e| e.name != entry.name);
        self.plugins.push(entry);
    }

    /// Removes the entry `name`; whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.plugins.len();
        self.plugins.retain(|e| e.name != name);
        self.plugins.len() != before
    }
}

/// Now, as the lock file writes times.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> LockEntry {
        let digest = super::super::sha256_digest(name.as_bytes());
        LockEntry {
            name: name.into(),
            source: format!("oci://reg/{name}:1"),
            digest: digest.clone(),
            sha256: digest,
            signer: "key k.pub".into(),
            verified_at: now(),
        }
    }

    #[test]
    fn a_lock_round_trips_in_name_order_and_bad_entries_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plugins.lock");
        assert_eq!(LockFile::read(&path).unwrap(), LockFile::default());
        let mut lock = LockFile::default();
        lock.put(entry("zeta"));
        lock.put(entry("alpha"));
        lock.write(&path).unwrap();
        let read = LockFile::read(&path).unwrap();
        assert_eq!(read.plugins.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["alpha", "zeta"]);
        assert!(std::fs::read_to_string(&path).unwrap().contains("[[plugin]]"));
        let mut changed = read.clone();
        assert!(changed.remove("alpha") && !changed.remove("alpha"));

        let text = std::fs::read_to_string(&path).unwrap().replacen("sha256:", "sha256:../", 1);
        std::fs::write(&path, text).unwrap();
        assert!(LockFile::read(&path).unwrap_err().to_string().contains("alpha"));
    }
}
