//! Host paths: resolving them, the paths no setting can make mountable, and
//! the operator's mount allowlist.

use std::path::{Path, PathBuf};

/// System directories that can never be mounted, nor anything under them
/// (`/` itself only exactly, or nothing could be mounted).
const SYSTEM_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var/run",
    "/run",
    "/root",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/var/lib/docker",
];

/// Where Docker engines listen by default. Neither these nor any directory
/// containing them can be mounted: the socket is root on the host.
const STANDARD_SOCKETS: &[&str] = &["/var/run/docker.sock", "/run/docker.sock"];

/// Why a path cannot be mounted regardless of the allowlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Forbidden {
    /// The path is, or is inside, this system directory.
    System(PathBuf),
    /// The path is, or contains, this engine socket.
    EngineSocket(PathBuf),
}

/// Resolves symlinks and `..` in `path`, which must exist and be absolute.
pub(super) fn resolve(path: &str) -> Result<PathBuf, String> {
    let raw = Path::new(path);
    if !raw.is_absolute() {
        return Err(format!("host path `{path}` must be absolute"));
    }
    std::fs::canonicalize(raw).map_err(|e| format!("host path `{path}` cannot be resolved: {e}"))
}

/// The paths that can never be mounted, both as written and resolved (so
/// `/var/run` also covers `/run`, and `/bin` covers `/usr/bin` where it links there).
#[derive(Debug, Clone)]
pub(super) struct NeverMount {
    system: Vec<PathBuf>,
    sockets: Vec<PathBuf>,
}

impl NeverMount {
    /// The built-in list plus `extra_sockets` (the configured engine's socket).
    pub(super) fn new(extra_sockets: &[PathBuf]) -> Self {
        let with_resolved = |paths: Vec<PathBuf>| {
            let mut all: Vec<PathBuf> =
                paths.iter().flat_map(|p| [Some(p.clone()), std::fs::canonicalize(p).ok()]).flatten().collect();
            all.sort();
            all.dedup();
            all
        };
        let sockets = STANDARD_SOCKETS.iter().map(PathBuf::from).chain(extra_sockets.iter().cloned()).collect();
        Self {
            system: with_resolved(SYSTEM_PATHS.iter().map(PathBuf::from).collect()),
            sockets: with_resolved(sockets),
        }
    }

    /// Why the resolved `path` can never be mounted, if it cannot.
    pub(super) fn check(&self, path: &Path) -> Option<Forbidden> {
        let socket = |contains: fn(&Path, &Path) -> bool| {
            self.sockets.iter().find(|s| contains(path, s)).map(|s| Forbidden::EngineSocket(s.clone()))
        };
        let system =
            self.system.iter().find(|s| if s.as_os_str() == "/" { path == s.as_path() } else { path.starts_with(s) });
        socket(|path, s| path == s)
            .or_else(|| system.map(|dir| Forbidden::System(dir.clone())))
            .or_else(|| socket(|path, s| s.starts_with(path)))
    }
}

/// The operator's mount allowlist, resolved once. Entries that do not exist
/// allow nothing and are reported in the log.
#[derive(Debug, Clone)]
pub(super) struct MountAllow(Vec<PathBuf>);

impl MountAllow {
    /// Resolves `entries`, dropping (and logging) those that do not exist.
    pub(super) fn new(entries: &[PathBuf]) -> Self {
        let resolved = entries
            .iter()
            .filter_map(|entry| match std::fs::canonicalize(entry) {
                Ok(path) => Some(path),
                Err(e) => {
                    tracing::warn!(path = %entry.display(), "`docker.mount_allow` entry ignored: {e}");
                    None
                }
            })
            .collect();
        Self(resolved)
    }

    /// Whether the resolved `path` lies under an allowed directory.
    pub(super) fn allows(&self, path: &Path) -> bool {
        self.0.iter().any(|allowed| path.starts_with(allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_paths_and_their_contents_are_forbidden_but_not_siblings() {
        let never = NeverMount::new(&[]);
        assert!(matches!(never.check(Path::new("/etc/ssh")), Some(Forbidden::System(_))));
        assert!(matches!(never.check(Path::new("/")), Some(Forbidden::System(_))));
        assert!(matches!(never.check(Path::new("/run/docker.sock")), Some(Forbidden::EngineSocket(_))));
        assert_eq!(never.check(Path::new("/etcetera")), None);
        assert_eq!(never.check(Path::new("/srv/data")), None);
    }

    #[test]
    fn sockets_and_their_parents_are_forbidden() {
        let never = NeverMount::new(&[PathBuf::from("/home/u/.docker/run/docker.sock")]);
        assert!(matches!(never.check(Path::new("/home/u/.docker")), Some(Forbidden::EngineSocket(_))));
        assert!(matches!(never.check(Path::new("/home/u")), Some(Forbidden::EngineSocket(_))));
        assert_eq!(never.check(Path::new("/home/u/project")), None);
    }
}
