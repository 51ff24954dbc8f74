//! The dashboard's login sessions and their CSRF tokens.
//!
//! A session is a random 256-bit id in a cookie (`HttpOnly`,
//! `SameSite=Strict`, `Path=/ui`) that names an entry of a server-side map:
//! the admin it belongs to, its CSRF token (another 256 random bits) and one
//! pending flash message. An entry unused for [`IDLE`] expires; at most
//! [`MAX_SESSIONS`] are kept (the least recently used goes first).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use subtle::ConstantTimeEq;

use crate::caller::Principal;

/// The session cookie's name.
pub const COOKIE: &str = "portcullis_ui";
/// How long a session lives unused.
pub const IDLE: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions are kept.
pub const MAX_SESSIONS: usize = 1024;

/// A logged-in admin, as the pages see it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's id (the cookie's value).
    pub id: String,
    /// The admin (`admin:<key name>`, or `admin:local`).
    pub admin: Principal,
    /// The token every form and htmx request must carry.
    pub csrf: String,
}

/// A message shown once, on the next page the session sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// Whether it reports a failure.
    pub error: bool,
    /// What it says.
    pub text: String,
}

struct Entry {
    admin: Principal,
    csrf: String,
    last_seen: Instant,
    flash: Option<Flash>,
}

/// The live sessions.
#[derive(Default)]
pub struct Sessions {
    entries: Mutex<HashMap<String, Entry>>,
}

/// 256 random bits, in hex.
fn token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Sessions {
    /// Starts a session for `admin`.
    pub fn create(&self, admin: Principal) -> Session {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap();
        entries.retain(|_, e| now.duration_since(e.last_seen) < IDLE);
        if entries.len() >= MAX_SESSIONS
            && let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.last_seen).map(|(id, _)| id.clone())
        {
            entries.remove(&oldest);
        }
        let session = Session { id: token(), admin: admin.clone(), csrf: token() };
        entries.insert(session.id.clone(), Entry { admin, csrf: session.csrf.clone(), last_seen: now, flash: None });
        session
    }

    /// The live session `id`, which counts as a use of it.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.get_mut(id)?;
        if now.duration_since(entry.last_seen) >= IDLE {
            entries.remove(id);
            return None;
        }
        entry.last_seen = now;
        Some(Session { id: id.to_string(), admin: entry.admin.clone(), csrf: entry.csrf.clone() })
    }

    /// Whether session `id` is still live (without counting as a use).
    pub fn is_live(&self, id: &str) -> bool {
        self.entries.lock().unwrap().get(id).is_some_and(|e| e.last_seen.elapsed() < IDLE)
    }

    /// Ends session `id`.
    pub fn end(&self, id: &str) {
        self.entries.lock().unwrap().remove(id);
    }

    /// Leaves `flash` for the next page of session `id`.
    pub fn flash(&self, id: &str, flash: Flash) {
        if let Some(entry) = self.entries.lock().unwrap().get_mut(id) {
            entry.flash = Some(flash);
        }
    }

    /// Takes the pending flash of session `id`.
    pub fn take_flash(&self, id: &str) -> Option<Flash> {
        self.entries.lock().unwrap().get_mut(id)?.flash.take()
    }
}

/// The session id in a request's cookies.
pub fn cookie_id(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, COOKIE)
}

/// The value of the cookie `name` in a request's `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value that gives the browser session `id`; `secure`
/// (the listener serves TLS) keeps it off plain HTTP.
pub fn set_cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/ui; HttpOnly; SameSite=Strict{secure}"))
        .expect("a hex id is a valid header value")
}

/// The `Set-Cookie` value that makes the browser forget its session.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0{secure}"))
        .expect("a valid header value")
}

/// Whether `offered` is `session`'s CSRF token, compared in constant time.
pub fn csrf_matches(session: &Session, offered: &str) -> bool {
    offered.len() == session.csrf.len() && bool::from(offered.as_bytes().ct_eq(session.csrf.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_random_found_by_id_and_ended() {
        let sessions = Sessions::default();
        let a = sessions.create(Principal::admin("ops"));
        let b = sessions.create(Principal::admin("ops"));
        assert_ne!(a.id, b.id);
        assert_ne!(a.csrf, b.csrf);
        assert_eq!(a.id.len(), 64, "256 bits in hex");
        assert_eq!(sessions.get(&a.id).unwrap().admin, Principal::admin("ops"));
        assert!(sessions.get("nope").is_none());
        sessions.end(&a.id);
        assert!(sessions.get(&a.id).is_none() && !sessions.is_live(&a.id));
        assert!(sessions.is_live(&b.id));
    }

    #[test]
    fn a_flash_is_shown_once() {
        let sessions = Sessions::default();
        let s = sessions.create(Principal::admin("ops"));
        sessions.flash(&s.id, Flash { error: false, text: "done".into() });
        assert_eq!(sessions.take_flash(&s.id).unwrap().text, "done");
        assert!(sessions.take_flash(&s.id).is_none());
    }

    #[test]
    fn the_cookie_is_found_among_others_and_csrf_must_match_exactly() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; portcullis_ui=abc; b=2"));
        assert_eq!(cookie_id(&headers), Some("abc"));
        let cookie = set_cookie("abc", false);
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/ui"));
        assert!(!cookie.contains("Secure") && set_cookie("abc", true).to_str().unwrap().ends_with("; Secure"));
        let sessions = Sessions::default();
        let s = sessions.create(Principal::admin("ops"));
        assert!(csrf_matches(&s, &s.csrf.clone()));
        assert!(!csrf_matches(&s, ""));
        assert!(!csrf_matches(&s, &s.csrf[..63]));
    }

    #[test]
    fn sessions_past_the_cap_push_out_old_ones() {
        let sessions = Sessions::default();
        for _ in 0..MAX_SESSIONS + 5 {
            sessions.create(Principal::admin("ops"));
        }
        assert_eq!(sessions.entries.lock().unwrap().len(), MAX_SESSIONS);
    }
}
