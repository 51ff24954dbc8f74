//! Plugins from OCI registries: published in the CNCF Wasm OCI layout,
//! signed with cosign-compatible key signatures, pinned by digest in
//! `plugins.lock`, kept in a content-addressed store and verified again,
//! offline, every time the host loads them.
//!
//! The chain that every load re-checks: a trusted key signed a payload that
//! names the manifest digest; the manifest hashes to that digest and names
//! exactly one `application/wasm` layer; the layer hashes to the digest the
//! manifest gives and to the content hash the lock file recorded.

pub mod cosign;
pub mod keys;
pub mod layout;
pub mod lock;
pub mod reference;
pub mod registry;
pub mod store;
pub mod trust;
pub mod verify;

pub use lock::{LockEntry, LockFile};
pub use store::Store;
pub use trust::{TrustPolicy, TrustRule, TrustedKey};
pub use verify::Verified;

/// `sha256:<hex>` of `bytes`, the form OCI digests take.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Checks that `digest` is `sha256:` and 64 lowercase hex digits, the only
/// form this host accepts (it is also the form paths are built from).
pub fn check_digest(digest: &str) -> anyhow::Result<&str> {
    let hex = digest.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Ok(hex);
    }
    anyhow::bail!("`{}` is not a sha256 digest (`sha256:` and 64 lowercase hex digits)", digest.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_hex_only() {
        let good = sha256_digest(b"x");
        assert_eq!(check_digest(&good).unwrap().len(), 64);
        for bad in ["", "sha256:", "sha512:00", "sha256:../../etc/passwd", &good.to_uppercase(), &format!("{good}0")] {
            assert!(check_digest(bad).is_err(), "{bad}");
        }
    }
}
