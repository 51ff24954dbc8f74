//! What the operator sees and changes of the authorization server, for the
//! admin API and the dashboard: users, clients and grants. Removing a user
//! or a client revokes its grants, so its tokens stop at once.

use serde::Serialize;

use super::clients::{Client, Source};
use super::token::Grant;
use super::users::{UserError, UserInfo};
use super::{AuthorizationServer, now_ms, records, users};
use crate::state::StateError;

/// A client, as listings show it (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClientInfo {
    /// Its client id.
    pub client_id: String,
    /// Its name.
    pub name: String,
    /// `configured` (portcullis.toml or OAUTH_CLIENT_ID) or `registered` (`/register`).
    pub source: String,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Whether the presets (Claude's, ChatGPT's callbacks, loopback) are allowed too.
    pub presets: bool,
    /// Whether it has a secret.
    pub confidential: bool,
    /// When it registered (ms since the epoch; 0 for configured ones).
    pub registered_ms: i64,
    /// Whether it has obtained a token.
    pub used: bool,
}

/// A grant: one user's authorization of one client.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GrantInfo {
    /// Its id (the `gid` claim of its access tokens).
    pub id: String,
    /// The user.
    pub user: String,
    /// The client.
    pub client_id: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// When it was granted (ms since the epoch).
    pub created_ms: i64,
    /// When its refresh token expires unless used (ms since the epoch).
    pub expires_at_ms: Option<i64>,
}

/// Why a client could not be removed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveClientError {
    /// No such registered client.
    #[error("there is no registered client `{0}`")]
    NotFound(String),
    /// It comes from the configuration.
    #[error("client `{0}` is configured in portcullis.toml (or OAUTH_CLIENT_ID); remove it there")]
    Configured(String),
    /// The database failed.
    #[error(transparent)]
    State(#[from] StateError),
}

impl ClientInfo {
    fn of(client: &Client) -> Self {
        Self {
            client_id: client.id.clone(),
            name: client.name.clone(),
            source: match client.source {
                Source::Configured => "configured",
                Source::Registered => "registered",
                Source::Metadata => "metadata",
            }
            .into(),
            redirect_uris: client.redirect_uris.clone(),
            presets: client.presets,
            confidential: client.secret_sha256.is_some(),
            registered_ms: client.registered_ms,
            used: client.used,
        }
    }
}

impl AuthorizationServer {
    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<UserInfo>, StateError> {
        self.state.run(users::list).await
    }

    /// Creates user `name` or sets its password; whether it was created.
    pub async fn set_user(&self, name: &str, password: &str) -> Result<bool, UserError> {
        let (name, password) = (name.to_string(), password.to_string());
        self.state.run(move |s| Ok(users::set(s, &name, &password))).await?
    }

    /// Removes user `name` and revokes their grants; whether they existed.
    pub async fn remove_user(&self, name: &str) -> Result<bool, StateError> {
        let user = name.to_string();
        if !self.state.write("a removed user", move |s| users::remove(s, &user)).await? {
            return Ok(false);
        }
        self.revoke_where(|grant| grant.user == name, "its user was removed").await?;
        Ok(true)
    }

    /// The configured clients, then the registered ones.
    pub async fn clients(&self) -> Result<Vec<ClientInfo>, StateError> {
        let registered: Vec<(String, Client)> = self.state.run(|s| records::all(s, records::CLIENT)).await?;
        let configured = self.clients.configured().map(ClientInfo::of);
        Ok(configured.chain(registered.iter().map(|(_, c)| ClientInfo::of(c))).collect())
    }

    /// Removes registered client `id` and revokes its grants.
    pub async fn remove_client(&self, id: &str) -> Result<(), RemoveClientError> {
        if self.clients.configured().any(|c| c.id == id) {
            return Err(RemoveClientError::Configured(id.to_string()));
        }
        let client = id.to_string();
        if !self.state.write("a removed client", move |s| s.delete_record(records::CLIENT, &client)).await? {
            return Err(RemoveClientError::NotFound(id.to_string()));
        }
        self.revoke_where(|grant| grant.client_id == id, "its client was removed").await?;
        Ok(())
    }

    /// Every live grant, the newest first.
    pub async fn grants(&self) -> Result<Vec<GrantInfo>, StateError> {
        let records = self.state.run(|s| s.records(records::GRANT, now_ms())).await?;
        let mut grants: Vec<GrantInfo> = records
            .into_iter()
            .filter_map(|record| {
                let grant: Grant = serde_json::from_value(record.body).ok()?;
                Some(GrantInfo {
                    id: record.id,
                    user: grant.user,
                    client_id: grant.client_id,
                    scopes: grant.scopes,
                    created_ms: grant.created_ms,
                    expires_at_ms: record.expires_at_ms,
                })
            })
            .collect();
        grants.sort_by_key(|g| std::cmp::Reverse(g.created_ms));
        Ok(grants)
    }

    /// Revokes grant `id` as the operator; whether it was live.
    pub async fn revoke(&self, id: &str) -> Result<bool, StateError> {
        let lookup = id.to_string();
        if self.state.run(move |s| s.record(records::GRANT, &lookup, now_ms())).await?.is_none() {
            return Ok(false);
        }
        self.revoke_grant(id, "the operator revoked it").await?;
        Ok(true)
    }

    /// Revokes every grant `pick` chooses.
    pub(super) async fn revoke_where(&self, pick: impl Fn(&Grant) -> bool, why: &str) -> Result<(), StateError> {
        let grants: Vec<(String, Grant)> = self.state.run(|s| records::all(s, records::GRANT)).await?;
        for (id, _) in grants.iter().filter(|(_, grant)| pick(grant)) {
            self.revoke_grant(id, why).await?;
        }
        Ok(())
    }
}
