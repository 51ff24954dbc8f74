//! On-disk cache of compiled components, keyed by the component's SHA-256 and
//! the engine's compatibility hash, so a restart does not recompile.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components live. Writes are atomic (temp file, then rename),
/// so concurrent hosts sharing a cache never read a torn artifact.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

/// A component's bytes with their SHA-256, the cache's key.
#[derive(Debug)]
pub struct ComponentBytes {
    bytes: Cow<'static, [u8]>,
    sha256: [u8; 32],
}

impl ComponentBytes {
    /// Bytes read at run time, hashed now.
    pub fn new(bytes: Vec<u8>) -> Self {
        let sha256 = Sha256::digest(&bytes).into();
        Self { bytes: Cow::Owned(bytes), sha256 }
    }

    /// Bytes built into the binary with the digest the build computed of
    /// them: on a cache hit they are never read (nor paged in).
    pub const fn embedded(bytes: &'static [u8], sha256: [u8; 32]) -> Self {
        Self { bytes: Cow::Borrowed(bytes), sha256 }
    }
}

/// Whether a component came from the cache or was compiled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded a precompiled artifact.
    Hit,
    /// Compiled (and stored, if the cache is writable).
    Miss,
}

impl CompileCache {
    /// A cache in `dir`; `None` disables caching.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    /// Returns the compiled form of `wasm`, from the cache when possible.
    /// A corrupt or incompatible cache entry is recompiled, never fatal.
    pub fn load(&self, engine: &Engine, wasm: &ComponentBytes) -> Result<(Component, CacheOutcome)> {
        let Some(path) = self.entry_path(engine, &wasm.sha256) else {
            return Ok((Component::new(engine, &wasm.bytes)?, CacheOutcome::Miss));
        };
        if path.exists() {
            match deserialize(engine, &path) {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => tracing::warn!(path = %path.display(), "ignoring unusable compile cache entry: {e:#}"),
            }
        }
        let component = Component::new(engine, &wasm.bytes)?;
        if let Err(e) = store(&path, &component) {
            tracing::warn!(path = %path.display(), "could not write compile cache: {e:#}");
        }
        Ok((component, CacheOutcome::Miss))
    }

    fn entry_path(&self, engine: &Engine, sha256: &[u8; 32]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut engine_hash);
        Some(dir.join(format!("{}-{:016x}.cwasm", hex::encode(sha256), engine_hash.finish())))
    }
}

/// Loads a cache entry. A file on a `noexec` mount (Docker's default
/// `--tmpfs /tmp`) cannot be mapped executable, so it is read into memory,
/// which can; elsewhere it is mapped, sharing the page cache.
fn deserialize(engine: &Engine, path: &Path) -> Result<Component> {
    // SAFETY (both calls): the file was written by `Component::serialize` of an
    // engine with the same compatibility hash (it is part of the key), and the
    // cache directory belongs to the user running the host.
    if mapped_executable(path) {
        Ok(unsafe { Component::deserialize_file(engine, path) }?)
    } else {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(unsafe { Component::deserialize(engine, bytes) }?)
    }
}

/// Whether a file at `path` may be mapped executable: false on a `noexec`
/// mount, true when that cannot be told (the mapping then says).
fn mapped_executable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return true };
    let mut mount = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is NUL-terminated and `mount` is written by the call before it is read.
    if unsafe { libc::statvfs(path.as_ptr(), mount.as_mut_ptr()) } != 0 {
        return true;
    }
    // SAFETY: statvfs returned 0, so it filled `mount`.
    unsafe { mount.assume_init() }.f_flag & libc::ST_NOEXEC == 0
}

fn store(path: &Path, component: &Component) -> Result<()> {
    let dir = path.parent().context("cache path has no parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bytes = component.serialize()?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
