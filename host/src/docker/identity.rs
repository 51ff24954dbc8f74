//! Who owns a container or volume: the labels every object this host creates
//! carries (the host instance, the principal and its session), this process's
//! identity, and how to tell a crashed run's leftovers.
//!
//! A session is named by its principal: the session `s` of principal `p` is
//! the scoped session `p/s`, so the same name chosen by two principals never
//! reaches the same containers or workspace volume.

use std::collections::HashMap;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::caller::Principal;

/// The scoped session of `principal`'s session named `session`.
pub(super) fn scoped(principal: &Principal, session: &str) -> String {
    format!("{principal}/{session}")
}

/// Which of this instance's objects an engine query selects.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope<'a> {
    /// All of them (shutdown, the engine summary).
    All,
    /// One principal's, in every session.
    Principal(&'a Principal),
    /// One scoped session's.
    Session(&'a str),
}

/// Marks every object a Portcullis host creates.
pub(super) const MANAGED: &str = "portcullis.managed";
/// The owning host instance (random per process).
pub(super) const INSTANCE: &str = "portcullis.instance";
/// The owning principal.
pub(super) const PRINCIPAL: &str = "portcullis.principal";
/// The owning scoped session (see [`scoped`]).
pub(super) const SESSION: &str = "portcullis.session";
/// The owning host process's id.
pub(super) const PID: &str = "portcullis.pid";
/// The owning host's hostname.
pub(super) const HOSTNAME: &str = "portcullis.hostname";
/// The name the caller gave a container.
pub(super) const NAME: &str = "portcullis.name";
/// The upstream server a container runs (see `servers`); it has no owner label.
pub(super) const SERVER: &str = "portcullis.server";
/// Marks an installer container (see `install`), which has no owner label.
pub(super) const INSTALLER: &str = "portcullis.installer";
/// On a committed install step's image: what the step changed (JSON).
pub(super) const INSTALL_CHANGES: &str = "portcullis.install.changes";

/// This host instance: a random id, the process id and the hostname.
#[derive(Debug, Clone)]
pub(super) struct Identity {
    pub(super) instance: String,
    pub(super) pid: u32,
    pub(super) hostname: String,
}

impl Identity {
    /// The identity of a new instance in this process.
    pub(super) fn new() -> Self {
        let pid = std::process::id();
        let hostname = hostname();
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let entropy = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), nanos);
        let instance = digest(&[&pid.to_string(), &hostname, &nanos.to_string(), &entropy.to_string()]);
        Self { instance, pid, hostname }
    }

    /// The labels of an object owned by `principal` in its scoped `session`.
    pub(super) fn labels(&self, principal: &Principal, session: &str) -> HashMap<String, String> {
        self.stamped([(PRINCIPAL, principal.to_string()), (SESSION, session.to_string())])
    }

    /// The labels of an installer: this instance's, but no principal or
    /// session, so no caller can list or address it.
    pub(super) fn installer_labels(&self) -> HashMap<String, String> {
        self.stamped([(INSTALLER, "true".to_string())])
    }

    /// The labels of upstream server `name`'s container: this instance's,
    /// but no principal or session, so no sandbox caller can reach it.
    pub(super) fn server_labels(&self, name: &str) -> HashMap<String, String> {
        self.stamped([(SERVER, name.to_string())])
    }

    /// This instance's labels and `extra`.
    fn stamped<const N: usize>(&self, extra: [(&str, String); N]) -> HashMap<String, String> {
        let own = [
            (MANAGED, "true".to_string()),
            (INSTANCE, self.instance.clone()),
            (PID, self.pid.to_string()),
            (HOSTNAME, self.hostname.clone()),
        ];
        own.into_iter().chain(extra).map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// Engine list filters for this instance's objects in `scope`.
    pub(super) fn filters(&self, scope: Scope<'_>) -> HashMap<String, Vec<String>> {
        let mut labels = vec![format!("{MANAGED}=true"), format!("{INSTANCE}={}", self.instance)];
        match scope {
            Scope::All => {}
            Scope::Principal(principal) => labels.push(format!("{PRINCIPAL}={principal}")),
            Scope::Session(session) => labels.push(format!("{SESSION}={session}")),
        }
        HashMap::from([("label".to_string(), labels)])
    }

    /// Engine list filters for every managed object made on this machine.
    pub(super) fn machine_filters(&self) -> HashMap<String, Vec<String>> {
        let labels = vec![format!("{MANAGED}=true"), format!("{HOSTNAME}={}", self.hostname)];
        HashMap::from([("label".to_string(), labels)])
    }

    /// Whether an object with `labels` is this instance's and `principal`'s.
    pub(super) fn owned_by(&self, labels: &HashMap<String, String>, principal: &Principal) -> bool {
        labels.get(MANAGED).is_some_and(|v| v == "true")
            && labels.get(INSTANCE) == Some(&self.instance)
            && labels.get(PRINCIPAL).map(String::as_str) == Some(principal.as_str())
    }

    /// Whether an object with `labels` was left behind by a host on this
    /// machine whose process is gone (a crashed or killed run).
    pub(super) fn is_leftover(&self, labels: &HashMap<String, String>) -> bool {
        labels.get(HOSTNAME) == Some(&self.hostname)
            && labels.get(INSTANCE) != Some(&self.instance)
            && labels.get(PID).and_then(|p| p.parse().ok()).is_some_and(|pid| !process_alive(pid))
    }

    /// The name of `session`'s workspace volume.
    pub(super) fn volume_name(&self, session: &str) -> String {
        format!("portcullis-{}", self.session_hash(session))
    }

    /// A short stable hash of this instance and `session`, safe in object names.
    pub(super) fn session_hash(&self, session: &str) -> String {
        digest(&[&self.instance, session])
    }
}

/// Twelve hex digits of the SHA-256 of `parts`, each terminated by a NUL byte.
pub(super) fn digest<S: AsRef<str>>(parts: &[S]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_ref().as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..6])
}

#[cfg(unix)]
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes; gethostname writes at most that many.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if rc == 0 { String::from_utf8_lossy(&buf[..end]).into_owned() } else { "unknown".into() }
}

#[cfg(not(unix))]
fn hostname() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".into())
}

/// Whether process `pid` exists on this machine. Errs towards "alive": only a
/// definite "no such process" counts as dead.
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 performs the permission and existence checks only.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Without a way to probe processes, every owner counts as alive and nothing is reaped.
#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_dead_processes_of_other_instances_on_this_machine() {
        let me = Identity::new();
        let mut labels = me.labels(&Principal::local(), "local/s");
        assert!(!me.is_leftover(&labels), "own objects are not leftovers");
        labels.insert(INSTANCE.into(), "other".into());
        assert!(!me.is_leftover(&labels), "a live process's objects are not leftovers");
        labels.insert(PID.into(), "999999999".into());
        assert!(me.is_leftover(&labels));
        labels.insert(HOSTNAME.into(), "elsewhere".into());
        assert!(!me.is_leftover(&labels), "another machine's objects are never touched");
    }

    #[test]
    fn objects_belong_to_one_principal() {
        let me = Identity::new();
        let labels = me.labels(&Principal::api_key("a"), &scoped(&Principal::api_key("a"), "s"));
        assert!(me.owned_by(&labels, &Principal::api_key("a")));
        assert!(!me.owned_by(&labels, &Principal::api_key("b")));
        assert!(!Identity::new().owned_by(&labels, &Principal::api_key("a")), "another instance's");
        let (a, b) = (scoped(&Principal::api_key("a"), "s"), scoped(&Principal::api_key("b"), "s"));
        assert_ne!(me.volume_name(&a), me.volume_name(&b), "one session name, two workspaces");
    }
}
