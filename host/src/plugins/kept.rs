//! Instances kept between calls, for plugins with `instance = "per-session"`:
//! one live store and instance per (principal, session), so a plugin keeps
//! its state across the calls of one session (a REPL, a parsed index) and
//! never across sessions or principals. The calls of one session take turns
//! on their instance. An instance is dropped when its session ends, when it
//! has been idle for [`IDLE`], when a call into it faults (a trap, a limit, a
//! timeout or a cancellation leaves it in no state to reuse), or when the
//! plugin keeps [`MAX_KEPT`] of them and a new session needs room (the least
//! recently used goes).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmtime::Store;
use wasmtime::component::Instance;

use super::call::CallState;
use crate::caller::Principal;

/// How long an unused instance is kept.
pub const IDLE: Duration = Duration::from_secs(600);
/// The most instances one plugin keeps (each holds a slot of the engine's pool).
pub const MAX_KEPT: usize = 128;

/// A store, the instance in it once instantiated, and the flag its memory
/// limiter raises when it refuses to grow.
pub struct Live {
    /// The store.
    pub store: Store<CallState>,
    /// The instance, after the first call instantiated it.
    pub instance: Option<Instance>,
    /// Set when the memory limiter refused a growth.
    pub refused: Arc<AtomicBool>,
}

/// One session's place: its instance between calls (`None` until the first
/// call ends well), locked while a call runs.
pub type Slot = Arc<tokio::sync::Mutex<Option<Live>>>;

struct Entry {
    slot: Slot,
    used: Instant,
}

/// The kept instances of one plugin, by principal and session.
#[derive(Default)]
pub struct KeptInstances {
    entries: Mutex<HashMap<(Principal, String), Entry>>,
}

impl KeptInstances {
    /// The slot of `session` of `principal`, made when missing. Idle slots
    /// go first, and the least recently used one when the plugin is at
    /// [`MAX_KEPT`].
    pub fn slot(&self, principal: &Principal, session: &str) -> Slot {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        entries.retain(|_, entry| now.duration_since(entry.used) < IDLE || Arc::strong_count(&entry.slot) > 1);
        let key = (principal.clone(), session.to_string());
        if !entries.contains_key(&key) && entries.len() >= MAX_KEPT {
            let oldest = entries.iter().filter(|(_, e)| Arc::strong_count(&e.slot) == 1).min_by_key(|(_, e)| e.used);
            if let Some(oldest) = oldest.map(|(key, _)| key.clone()) {
                entries.remove(&oldest);
            }
        }
        let entry = entries.entry(key).or_insert_with(|| Entry { slot: Slot::default(), used: now });
        entry.used = now;
        entry.slot.clone()
    }

    /// Drops the instance of `session` of `principal` (a call still running
    /// in it finishes first, and its instance is not kept).
    pub fn end(&self, principal: &Principal, session: &str) {
        let key = (principal.clone(), session.to_string());
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_principals_get_their_own_slots() {
        let kept = KeptInstances::default();
        let (alice, bob) = (Principal::api_key("alice"), Principal::api_key("bob"));
        let first = kept.slot(&alice, "s1");
        assert!(Arc::ptr_eq(&first, &kept.slot(&alice, "s1")), "the same session finds its slot again");
        assert!(!Arc::ptr_eq(&first, &kept.slot(&alice, "s2")), "another session has its own");
        assert!(!Arc::ptr_eq(&first, &kept.slot(&bob, "s1")), "another principal's session of the same id too");
        assert_eq!(kept.len(), 3);
        kept.end(&alice, "s1");
        assert!(!Arc::ptr_eq(&first, &kept.slot(&alice, "s1")), "an ended session starts afresh");
    }

    #[test]
    fn the_least_recently_used_idle_slot_makes_room() {
        let kept = KeptInstances::default();
        let principal = Principal::local();
        let first = kept.slot(&principal, "0");
        drop(first);
        for i in 1..MAX_KEPT {
            kept.slot(&principal, &i.to_string());
        }
        let busy = kept.slot(&principal, "1");
        kept.slot(&principal, "new");
        assert_eq!(kept.len(), MAX_KEPT);
        let again = kept.slot(&principal, "1");
        assert!(Arc::ptr_eq(&busy, &again), "a slot in use is not evicted");
    }
}
