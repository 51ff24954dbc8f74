//! `/ui/oauth`: the built-in authorization server's users, clients and
//! grants; the operator removes a user or a registered client (revoking
//! their grants) or revokes one grant.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use maud::{Markup, html};

use super::super::layout::{Nav, action, badge, segment};
use super::{ActionForm, Visit, problem};
use crate::admin::error::ApiError;
use crate::state::display::utc;

/// `GET /ui/oauth`.
pub async fn page(Visit { ui, session }: Visit) -> Markup {
    let listed = async {
        let server = ui.admin.authorization_server()?.clone();
        let users = server.users().await.map_err(ApiError::storage)?;
        let clients = server.clients().await.map_err(ApiError::storage)?;
        let grants = server.grants().await.map_err(ApiError::storage)?;
        Ok::<_, ApiError>((server, users, clients, grants))
    };
    let (server, users, clients, grants) = match listed.await {
        Ok(listed) => listed,
        Err(e) => return ui.page(&session, Nav::OAuth, "Sign-ins", problem(&e)),
    };
    let body = html! {
        p.lead { "Who may sign in on " code { (server.config().issuer) } ", the clients that may ask, and the grants they hold. Removing a user or a client, or revoking a grant, stops its tokens from the next request on." }
        h2 { "Grants" }
        table #grants {
            thead { tr { th { "User" } th { "Client" } th { "Scopes" } th { "Granted (UTC)" } th {} } }
            tbody {
                @for g in &grants {
                    tr data-grant=(g.id) {
                        td { (g.user) }
                        td.mono.small.wrap { (g.client_id) }
                        td.mono.small { (g.scopes.join(" ")) }
                        td.nowrap.small { (utc(g.created_ms)) }
                        td.actions { (action(&session, &format!("/ui/oauth/grants/{}/revoke", segment(&g.id)), "/ui/oauth", "Revoke", "danger")) }
                    }
                }
                @if grants.is_empty() { tr.empty { td colspan="5" { "No grants." } } }
            }
        }
        h2 { "Users" }
        p.muted { "Add one with " code { "portcullis users add NAME" } ", ADMIN_PASSWORD, or " code { "POST /api/v1/oauth/users" } "." }
        table #users {
            thead { tr { th { "User" } th { "Created (UTC)" } th {} } }
            tbody {
                @for u in &users {
                    tr data-user=(u.name) {
                        td { (u.name) }
                        td.nowrap.small { (utc(u.created_ms)) }
                        td.actions { (action(&session, &format!("/ui/oauth/users/{}/remove", segment(&u.name)), "/ui/oauth", "Remove", "danger")) }
                    }
                }
                @if users.is_empty() { tr.empty { td colspan="3" { "No users." } } }
            }
        }
        h2 { "Clients" }
        table #clients {
            thead { tr { th { "Client" } th { "Name" } th { "Source" } th { "Redirect URIs" } th {} } }
            tbody {
                @for c in &clients {
                    tr data-client=(c.client_id) {
                        td.mono.small.wrap { (c.client_id) }
                        td { (c.name) }
                        td { (badge(&c.source)) }
                        td.small.wrap {
                            (c.redirect_uris.join(" "))
                            @if c.presets { span.muted { " + Claude, ChatGPT and loopback presets" } }
                        }
                        td.actions {
                            @if c.source == "registered" {
                                (action(&session, &format!("/ui/oauth/clients/{}/remove", segment(&c.client_id)), "/ui/oauth", "Remove", "danger"))
                            }
                        }
                    }
                }
                @if clients.is_empty() { tr.empty { td colspan="5" { "No clients yet: they register when they first connect." } } }
            }
        }
    };
    ui.page(&session, Nav::OAuth, "Sign-ins", body)
}

/// `POST /ui/oauth/grants/{id}/revoke`, as the logged-in admin.
pub async fn revoke_grant(
    Visit { ui, session }: Visit,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let done = ui.admin.revoke_grant(&session.admin, &id).await.map(|()| "Revoked the grant.".to_string());
    ui.after(&session, form.back.as_deref(), "/ui/oauth", done)
}

/// `POST /ui/oauth/users/{name}/remove`, as the logged-in admin.
pub async fn remove_user(
    Visit { ui, session }: Visit,
    Path(name): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let done = ui.admin.remove_user(&session.admin, &name).await.map(|()| format!("Removed user {name}."));
    ui.after(&session, form.back.as_deref(), "/ui/oauth", done)
}

/// `POST /ui/oauth/clients/{id}/remove`, as the logged-in admin.
pub async fn remove_client(
    Visit { ui, session }: Visit,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let done = ui.admin.remove_client(&session.admin, &id).await.map(|()| format!("Removed client {id}."));
    ui.after(&session, form.back.as_deref(), "/ui/oauth", done)
}
