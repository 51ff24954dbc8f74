//! `/api/v1/plugins` and `/api/v1/tools`: what the host serves and who
//! serves it; plugins can be reloaded, disabled and enabled (remembered in
//! the state database).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AdminState;
use super::audit::audit;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody};
use crate::caller::Principal;
use crate::plugins::{BUNDLED, Plugin, PluginSource};
use crate::providers::ProviderKind;

/// A plugin's limits per call.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LimitsView {
    /// Linear memory, in MiB.
    pub memory_mib: u64,
    /// Guest CPU time, in milliseconds.
    pub cpu_ms: u64,
    /// Wall-clock time, in milliseconds.
    pub wall_ms: u64,
}

/// What the API shows of a plugin.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PluginView {
    /// Its name.
    pub name: String,
    /// `bundled`, or the file it was loaded from.
    pub source: String,
    /// SHA-256 of its component, in hex (absent if the file is gone).
    pub sha256: Option<String>,
    /// The WIT contract version it was built against.
    pub wit_version: String,
    /// What it exports: `tools`, `resources`, `prompts`, `completions`, `policy`, `language-pack`.
    pub exports: Vec<&'static str>,
    /// Its tools, as clients see them.
    pub tools: Vec<String>,
    /// The grants the operator gave it.
    pub grants: Vec<&'static str>,
    /// Its limits per call.
    pub limits: LimitsView,
    /// Calls of its tools since the host started.
    pub calls: u64,
    /// Its faults (traps, limits hit) since the host started.
    pub faults: u64,
}

/// The plugins: those loaded, and those the operator disabled.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PluginList {
    /// The loaded plugins, by name.
    pub plugins: Vec<PluginView>,
    /// The names of the disabled plugins.
    pub disabled: Vec<String>,
}

/// One tool of the merged list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ToolView {
    /// Its name, as clients call it.
    pub name: String,
    /// The plugin or server that serves it.
    pub provider: String,
    /// `plugin`, `server`, or `host` (the host's own `search` and `fetch`).
    pub provider_kind: &'static str,
    /// What it does.
    pub description: String,
    /// The JSON Schema of its arguments.
    #[schema(value_type = Object)]
    pub input_schema: Value,
}

/// The SHA-256 of a plugin's component, read from where it came from.
async fn component_sha256(name: &str, source: &PluginSource) -> Option<String> {
    let bytes = match source {
        PluginSource::Bundled => return Some(hex::encode(BUNDLED.iter().find(|b| b.name == name)?.sha256)),
        PluginSource::File(path) => tokio::fs::read(path).await.ok()?,
        PluginSource::Oci { sha256, .. } => return Some(sha256.trim_start_matches("sha256:").to_string()),
    };
    Some(hex::encode(Sha256::digest(&bytes)))
}

impl AdminState {
    async fn plugin_view(&self, plugin: &Plugin) -> PluginView {
        let snapshot = self.mcp.services().registry.snapshot();
        let tools: Vec<String> = snapshot
            .tools()
            .iter()
            .filter(|(_, route)| {
                route.provider.kind() == ProviderKind::Plugin && route.provider.name() == plugin.name()
            })
            .map(|(name, _)| name.clone())
            .collect();
        let metrics = self.mcp.metrics();
        let limits = plugin.policy().limits;
        PluginView {
            name: plugin.name().to_string(),
            source: match plugin.source() {
                PluginSource::Bundled => "bundled".into(),
                PluginSource::File(path) => path.display().to_string(),
                PluginSource::Oci { source, digest, .. } => format!("{source} ({digest})"),
            },
            sha256: component_sha256(plugin.name(), plugin.source()).await,
            wit_version: plugin.contract_version().to_string(),
            exports: plugin.exported(),
            calls: tools.iter().map(|t| metrics.calls_of(t)).sum(),
            tools,
            grants: plugin.policy().grants.iter().map(|g| g.name()).collect(),
            limits: LimitsView {
                memory_mib: (limits.memory_bytes >> 20) as u64,
                cpu_ms: limits.cpu_time.as_millis() as u64,
                wall_ms: limits.wall_time.as_millis() as u64,
            },
            faults: metrics.faults_of(plugin.name()),
        }
    }

    /// The loaded plugins, and the names of the disabled ones (once the
    /// first load is done).
    pub async fn plugins(&self) -> PluginList {
        let snapshot = self.mcp.services().registry.loaded_snapshot().await;
        let mut plugins = Vec::new();
        for plugin in snapshot.plugins().values() {
            plugins.push(self.plugin_view(plugin).await);
        }
        PluginList { plugins, disabled: self.loader.disabled() }
    }

    /// Loads plugin `name` again from its file (or the bundled copy) as
    /// `who`, recorded in the activity log.
    pub async fn reload_plugin(&self, who: &Principal, name: &str) -> Result<PluginView, ApiError> {
        let done = async {
            if self.loader.is_disabled(name) {
                return Err(ApiError::conflict(format!(
                    "plugin `{name}` is disabled; `POST /api/v1/plugins/{name}/enable` loads it"
                )));
            }
            if !self.mcp.services().registry.loaded_snapshot().await.plugins().contains_key(name) {
                return Err(ApiError::not_found("plugin", name, "/api/v1/plugins"));
            }
            let plugin = self.loader.reload(name).await.map_err(|e| ApiError::conflict(format!("{e:#}")))?;
            Ok(self.plugin_view(&plugin).await)
        }
        .await;
        audit(self, who, "plugin.reload", name, &done);
        done
    }

    /// Disables plugin `name` (unloaded, and kept so across restarts) or
    /// enables it again, as `who`, recorded in the activity log.
    pub async fn switch_plugin(&self, who: &Principal, name: &str, disabled: bool) -> Result<(), ApiError> {
        let done = async {
            let loaded = self.mcp.services().registry.loaded_snapshot().await.plugins().contains_key(name);
            if !loaded && !self.loader.is_disabled(name) {
                return Err(ApiError::not_found("plugin", name, "/api/v1/plugins"));
            }
            let key = name.to_string();
            self.state()
                .write("a plugin's state", move |s| s.set_plugin_disabled(&key, disabled))
                .await
                .map_err(ApiError::storage)?;
            self.loader.set_disabled(name, disabled).await.map_err(|e| ApiError::conflict(format!("{e:#}")))
        }
        .await;
        audit(self, who, if disabled { "plugin.disable" } else { "plugin.enable" }, name, &done);
        done
    }

    /// Every tool, plugins' and servers', with who serves it, by name (once
    /// the first load is done).
    pub async fn tools(&self) -> Vec<ToolView> {
        let snapshot = self.mcp.services().registry.loaded_snapshot().await;
        snapshot
            .tools()
            .iter()
            .map(|(name, route)| ToolView {
                name: name.clone(),
                provider: route.provider.name().to_string(),
                provider_kind: match route.provider.kind() {
                    ProviderKind::Plugin => "plugin",
                    ProviderKind::Server => "server",
                    ProviderKind::Host => "host",
                },
                description: route.tool.description.clone(),
                input_schema: serde_json::from_str(&route.tool.input_schema).unwrap_or(Value::Null),
            })
            .collect()
    }
}

/// `GET /api/v1/plugins`: the loaded plugins, and the names of the disabled ones.
#[utoipa::path(get, path = "/api/v1/plugins", operation_id = "list_plugins", tag = "plugins", responses((status = 200, body = PluginList)))]
pub async fn list(State(admin): State<Arc<AdminState>>) -> Json<PluginList> {
    Json(admin.plugins().await)
}

/// `POST /api/v1/plugins/{name}/reload`: loads a plugin again from its file (or the bundled copy).
#[utoipa::path(post, path = "/api/v1/plugins/{name}/reload", operation_id = "reload_plugin", tag = "plugins", params(("name" = String, Path)),
    responses((status = 200, body = PluginView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reload(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<Json<PluginView>, ApiError> {
    admin.reload_plugin(&who, &name).await.map(Json)
}

/// `POST /api/v1/plugins/{name}/disable`: unloads a plugin and keeps it unloaded, across restarts.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/disable", operation_id = "disable_plugin", tag = "plugins", params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    admin.switch_plugin(&who, &name, true).await.map(|()| axum::http::StatusCode::NO_CONTENT)
}

/// `POST /api/v1/plugins/{name}/enable`: loads a disabled plugin again.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/enable", operation_id = "enable_plugin", tag = "plugins", params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enable(
    State(admin): State<Arc<AdminState>>,
    Admin(who): Admin,
    Path(name): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    admin.switch_plugin(&who, &name, false).await.map(|()| axum::http::StatusCode::NO_CONTENT)
}

/// `GET /api/v1/tools`: every tool, plugins' and servers', with who serves it.
#[utoipa::path(get, path = "/api/v1/tools", operation_id = "list_tools", tag = "tools", responses((status = 200, body = [ToolView])))]
pub async fn tools(State(admin): State<Arc<AdminState>>) -> Json<Vec<ToolView>> {
    Json(admin.tools().await)
}
