//! The authorization server's records in the state database: one kind per
//! thing kept, each body a serde type of its module, so a restart loses no
//! client, grant, code or key. Secrets are kept only as their SHA-256
//! (codes and refresh tokens are found by it); signing keys are the
//! exception, since they must sign.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::state::{StateError, Store, StoredRecord};

/// A dynamically registered client, by client id.
pub const CLIENT: &str = "oauth_client";
/// A sign-in in progress (between the authorization request and the
/// redirect back), by its flow id.
pub const FLOW: &str = "oauth_flow";
/// An authorization code, by its digest.
pub const CODE: &str = "oauth_code";
/// A grant (one user's authorization of one client), by grant id.
pub const GRANT: &str = "oauth_grant";
/// A refresh token, by its digest.
pub const REFRESH: &str = "oauth_refresh";
/// A revoked grant, kept until its access tokens have expired.
pub const REVOKED: &str = "oauth_revoked";
/// A remembered consent, by the digest of user, client and redirect URI.
pub const CONSENT: &str = "oauth_consent";
/// A signing key, by key id.
pub const KEY: &str = "oauth_key";
/// A local account, by user name.
pub const USER: &str = "user";

/// The record `kind`/`id` as a `T`, if present and not expired.
pub fn get<T: DeserializeOwned>(store: &dyn Store, kind: &str, id: &str) -> Result<Option<T>, StateError> {
    store.record(kind, id, super::now_ms())?.map(|r| body(&r)).transpose()
}

/// Every record of `kind` not expired, as (id, `T`).
pub fn all<T: DeserializeOwned>(store: &dyn Store, kind: &str) -> Result<Vec<(String, T)>, StateError> {
    store.records(kind, super::now_ms())?.into_iter().map(|r| Ok((r.id.clone(), body(&r)?))).collect()
}

/// Writes `value` as record `kind`/`id`, expiring at `expires_at_ms`.
pub fn put<T: Serialize>(
    store: &dyn Store,
    kind: &str,
    id: &str,
    value: &T,
    expires_at_ms: Option<i64>,
) -> Result<(), StateError> {
    let body = serde_json::to_value(value).map_err(|e| StateError::Query(format!("cannot encode a {kind}: {e}")))?;
    store.put_record(&StoredRecord { kind: kind.into(), id: id.into(), body, expires_at_ms })
}

fn body<T: DeserializeOwned>(record: &StoredRecord) -> Result<T, StateError> {
    serde_json::from_value(record.body.clone())
        .map_err(|e| StateError::Query(format!("the {} record `{}` cannot be read: {e}", record.kind, record.id)))
}
