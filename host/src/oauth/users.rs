//! Local accounts that sign in on the authorization page: a name and an
//! argon2id hash of the password (PHC string, salted), set by
//! `portcullis users add` or, for `admin`, by ADMIN_PASSWORD. A user signs in
//! as the principal `oauth:<issuer>#<name>`.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

use super::records;
use crate::state::{StateError, Store};

/// The user ADMIN_PASSWORD creates.
pub const ADMIN: &str = "admin";
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

/// A user as the state database keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredUser {
    /// The argon2id PHC string.
    password: String,
    created_ms: i64,
}

/// A user, as listings show it (never the hash).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    /// The name.
    pub name: String,
    /// When it was created, ms since the epoch.
    pub created_ms: i64,
}

/// Why a user could not be added or changed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The name is not one.
    #[error("a user name is 1 to 64 of a-z, 0-9, `.`, `_` and `-`, not `{0}`")]
    BadName(String),
    /// The password is too short.
    #[error("the password must have at least {MIN_PASSWORD} characters")]
    ShortPassword,
    /// The database failed.
    #[error(transparent)]
    State(#[from] StateError),
}

fn check_name(name: &str) -> Result<(), UserError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(UserError::BadName(name.to_string())) }
}

/// Creates user `name`, or sets its password; whether it was created.
pub fn set(store: &dyn Store, name: &str, password: &str) -> Result<bool, UserError> {
    check_name(name)?;
    if password.chars().count() < MIN_PASSWORD {
        return Err(UserError::ShortPassword);
    }
    let existing: Option<StoredUser> = records::get(store, records::USER, name)?;
    if existing.as_ref().is_some_and(|user| verifies(&user.password, password)) {
        return Ok(false);
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StateError::Query(format!("cannot hash the password: {e}")))?
        .to_string();
    let created_ms = existing.as_ref().map_or_else(super::now_ms, |user| user.created_ms);
    records::put(store, records::USER, name, &StoredUser { password: hash, created_ms }, None)?;
    Ok(existing.is_none())
}

/// Removes user `name`; whether it was there.
pub fn remove(store: &dyn Store, name: &str) -> Result<bool, StateError> {
    store.delete_record(records::USER, name)
}

/// Whether user `name` exists.
pub fn exists(store: &dyn Store, name: &str) -> Result<bool, StateError> {
    Ok(store.record(records::USER, name, super::now_ms())?.is_some())
}

/// Every user, by name.
pub fn list(store: &dyn Store) -> Result<Vec<UserInfo>, StateError> {
    let users: Vec<(String, StoredUser)> = records::all(store, records::USER)?;
    Ok(users.into_iter().map(|(name, user)| UserInfo { name, created_ms: user.created_ms }).collect())
}

/// Whether `password` is user `name`'s. An unknown user costs a hash too,
/// so the answer's timing does not tell which names exist.
pub fn check(store: &dyn Store, name: &str, password: &str) -> Result<bool, StateError> {
    let user: Option<StoredUser> =
        if check_name(name).is_ok() { records::get(store, records::USER, name)? } else { None };
    match user {
        Some(user) => Ok(verifies(&user.password, password)),
        None => {
            let salt = SaltString::generate(&mut OsRng);
            let _ = Argon2::default().hash_password(password.as_bytes(), &salt);
            Ok(false)
        }
    }
}

fn verifies(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::sqlite::SqliteStore;

    #[test]
    fn users_are_hashed_checked_and_refused_bad_names_and_short_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("portcullis.db")).unwrap();
        assert!(set(&store, "alice", "correct horse").unwrap());
        assert!(!set(&store, "alice", "correct horse").unwrap(), "the same password changes nothing");
        assert!(check(&store, "alice", "correct horse").unwrap());
        assert!(!check(&store, "alice", "wrong horse").unwrap());
        assert!(!check(&store, "bob", "correct horse").unwrap());
        let stored = store.record(records::USER, "alice", 0).unwrap().unwrap().body.to_string();
        assert!(stored.contains("$argon2id$") && !stored.contains("correct horse"), "{stored}");
        assert!(matches!(set(&store, "Alice; rm", "correct horse"), Err(UserError::BadName(_))));
        assert!(matches!(set(&store, "carol", "short"), Err(UserError::ShortPassword)));
        assert_eq!(list(&store).unwrap().iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["alice"]);
        assert!(remove(&store, "alice").unwrap());
        assert!(!check(&store, "alice", "correct horse").unwrap());
    }
}
