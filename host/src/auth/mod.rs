//! Credentials shared by the planes that take them: named bearer keys,
//! compared in constant time ([`KeyRing`]). The MCP plane (`http.api_keys`)
//! and the admin plane (`[admin] keys`) each have their own ring, so a key of
//! one never opens the other.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Named secret keys. Only their SHA-256 is kept: digests have one length,
/// so comparing them in constant time reveals nothing about key lengths.
#[derive(Default)]
pub struct KeyRing {
    keys: Vec<(String, [u8; 32])>,
}

impl KeyRing {
    /// A ring of `keys` (name, secret).
    pub fn new<'a>(keys: impl IntoIterator<Item = (&'a String, &'a String)>) -> KeyRing {
        KeyRing { keys: keys.into_iter().map(|(name, key)| (name.clone(), digest(key.as_bytes()))).collect() }
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The name of the key equal to `token`. Every key is compared, in
    /// constant time, whatever matches.
    pub fn name_of(&self, token: &str) -> Option<&str> {
        let offered = digest(token.as_bytes());
        let mut found = None;
        for (name, key) in &self.keys {
            if bool::from(key.ct_eq(&offered)) {
                found = Some(name.as_str());
            }
        }
        found
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}
