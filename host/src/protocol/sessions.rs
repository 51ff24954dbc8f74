//! The index of live sessions (stdio connections, initialize-era HTTP and
//! legacy SSE sessions) for the operator: who holds each, through which
//! transport, since when, and which principals own resources in it. Ending
//! one releases what it owns; its further calls are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::caller::Principal;
use crate::state::activity::now_ms;

/// One live session, shared by its [`super::McpSession`] and the index.
pub struct SessionEntry {
    id: String,
    started_ms: i64,
    last_seen_ms: AtomicI64,
    ended: AtomicBool,
    details: Mutex<Details>,
    /// The principals on whose behalf calls ran in it (so they may own
    /// containers and session-scoped servers in it).
    claimants: Mutex<BTreeSet<Principal>>,
}

#[derive(Default, Clone)]
struct Details {
    transport: &'static str,
    principal: Option<Principal>,
    client: Option<(String, String)>,
}

/// What the operator sees of one session.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// Its id (the `Mcp-Session-Id` over HTTP).
    pub id: String,
    /// `stdio`, `http` or `sse`.
    pub transport: String,
    /// Always `initialize`: stateless 2026-07-28 requests hold no session.
    pub era: String,
    /// Who opened it.
    pub principal: Option<String>,
    /// The client's name, as it said in `initialize`.
    pub client_name: Option<String>,
    /// The client's version.
    pub client_version: Option<String>,
    /// When it began (ms since the epoch).
    pub started_ms: i64,
    /// When it last made a call or began (ms since the epoch).
    pub last_seen_ms: i64,
    /// The principals owning containers or session-scoped servers in it.
    pub owners: Vec<String>,
}

impl SessionEntry {
    /// A new session, not yet in any index.
    pub fn new(id: String) -> Arc<SessionEntry> {
        let now = now_ms();
        Arc::new(SessionEntry {
            id,
            started_ms: now,
            last_seen_ms: AtomicI64::new(now),
            ended: AtomicBool::new(false),
            details: Mutex::default(),
            claimants: Mutex::default(),
        })
    }

    /// Notes who opened it, over what, with which client.
    pub fn describe(&self, transport: &'static str, principal: Principal, client: Option<(String, String)>) {
        *self.details.lock().unwrap() = Details { transport, principal: Some(principal), client };
    }

    /// Notes a call on behalf of `principal`; `false` once the operator ended the session.
    pub fn claim(&self, principal: &Principal) -> bool {
        if self.ended.load(Ordering::Relaxed) {
            return false;
        }
        self.last_seen_ms.store(now_ms(), Ordering::Relaxed);
        let mut claimants = self.claimants.lock().unwrap();
        if !claimants.contains(principal) {
            claimants.insert(principal.clone());
        }
        true
    }

    /// Marks it ended and hands over its claimants, once.
    pub fn end(&self) -> BTreeSet<Principal> {
        self.ended.store(true, Ordering::Relaxed);
        std::mem::take(&mut *self.claimants.lock().unwrap())
    }

    fn info(&self) -> SessionInfo {
        let details = self.details.lock().unwrap().clone();
        let (client_name, client_version) = details.client.unzip();
        SessionInfo {
            id: self.id.clone(),
            transport: details.transport.to_string(),
            era: "initialize".into(),
            principal: details.principal.map(|p| p.to_string()),
            client_name,
            client_version,
            started_ms: self.started_ms,
            last_seen_ms: self.last_seen_ms.load(Ordering::Relaxed),
            owners: self.claimants.lock().unwrap().iter().map(|p| p.to_string()).collect(),
        }
    }
}

/// The live sessions, by id.
#[derive(Default)]
pub struct SessionIndex {
    sessions: Mutex<BTreeMap<String, Arc<SessionEntry>>>,
}

impl SessionIndex {
    /// Lists `entry` until [`SessionIndex::remove`].
    pub fn insert(&self, entry: Arc<SessionEntry>) {
        self.sessions.lock().unwrap().insert(entry.id.clone(), entry);
    }

    /// Takes a session off the list.
    pub fn remove(&self, id: &str) -> Option<Arc<SessionEntry>> {
        self.sessions.lock().unwrap().remove(id)
    }

    /// The principals owning resources in session `id`.
    pub fn owners(&self, id: &str) -> Vec<Principal> {
        let entry = self.sessions.lock().unwrap().get(id).cloned();
        entry.map(|e| e.claimants.lock().unwrap().iter().cloned().collect()).unwrap_or_default()
    }

    /// Every listed session, by id.
    pub fn list(&self) -> Vec<SessionInfo> {
        let entries: Vec<_> = self.sessions.lock().unwrap().values().cloned().collect();
        entries.iter().map(|e| e.info()).collect()
    }
}
