//! The admin API's OpenAPI 3.1 document, derived by `utoipa` from the
//! handlers' annotations and types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{activity, catalog, health, oauth, servers, sessions, tasks};

#[derive(OpenApi)]
#[openapi(
    info(title = "Portcullis admin API", description = "Operate a Portcullis MCP host: servers, plugins, tools, sessions, containers, tasks, the activity log, and the built-in authorization server's users, clients and grants."),
    paths(
        health::health, health::liveness,
        servers::list, servers::create, servers::get, servers::update, servers::delete,
        servers::start, servers::stop, servers::restart, servers::logs, servers::health, servers::call,
        catalog::list, catalog::reload, catalog::enable, catalog::disable, catalog::tools,
        sessions::list, sessions::end, sessions::containers, sessions::remove_container,
        tasks::list, tasks::get, tasks::cancel,
        activity::list,
        oauth::users, oauth::add_user, oauth::remove_user, oauth::clients, oauth::remove_client,
        oauth::grants, oauth::revoke_grant,
    ),
    components(schemas(super::error::ErrorBody)),
    modifiers(&AdminKey),
    security(("admin_key" = [])),
)]
struct ApiDoc;

/// Declares the admin key as a bearer scheme.
struct AdminKey;

impl Modify for AdminKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("an admin key (ADMIN_API_KEY or `[admin] keys`); MCP keys do not open this API"))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("admin_key", SecurityScheme::Http(scheme));
    }
}

/// The document, built once.
pub fn spec() -> &'static utoipa::openapi::OpenApi {
    static SPEC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let mut spec = ApiDoc::openapi();
        spec.info.version = env!("CARGO_PKG_VERSION").to_string();
        spec
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(spec())
}
