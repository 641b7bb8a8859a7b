//! Permissions: the list with a remove button per row, and the form that
//! adds one, on the same page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::Attribute;
use gantry_store::metadata::PermissionSubject;
use serde::Deserialize;

use super::{Choice, CsrfForm, DoneQuery};
use crate::error::ApiError;
use crate::services::security::permissions::{self as service, PermissionRequest};
use crate::state::AppState;
use crate::ui::admin::{done_notice, require, with_status};
use crate::ui::page::{render, see_other, Page, UiError};
use crate::ui::session::Viewer;

/// The principals every server has besides its users and groups.
const VIRTUAL: [&str; 3] = ["Everyone", "Authenticated", "Anonymous"];

/// One row of the permissions list.
pub struct PermissionRow {
    pub id: i64,
    /// What kind of principal: `user`, `group` or `built-in`.
    pub kind: &'static str,
    pub principal: String,
    pub task: String,
    /// The feed, or `None` for all feeds.
    pub feed: Option<String>,
    pub deny: bool,
    pub remove_action: String,
}

#[derive(Template)]
#[template(path = "admin/security_permissions.html")]
struct PermissionsPage {
    page: Page,
    permissions: Vec<PermissionRow>,
    /// Principal options: `user:NAME`, `group:NAME` or `virtual:NAME`.
    users: Vec<Choice>,
    groups: Vec<Choice>,
    virtuals: Vec<Choice>,
    tasks: Vec<Choice>,
    /// Feed options; the empty value means all feeds.
    feeds: Vec<Choice>,
    all_feeds: bool,
    deny: bool,
    error: Option<String>,
}

/// What the add form shows selected.
#[derive(Debug, Default)]
struct Selected {
    principal: String,
    task: String,
    feed: String,
    deny: bool,
}

fn options(prefix: &str, names: impl IntoIterator<Item = String>, selected: &str) -> Vec<Choice> {
    names
        .into_iter()
        .map(|name| {
            let value = format!("{prefix}{name}");
            let checked = value == selected;
            Choice {
                value,
                label: name,
                checked,
                id: String::new(),
            }
        })
        .collect()
}

async fn permissions_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<String>,
    selected: Selected,
    error: Option<ApiError>,
) -> Result<Response, UiError> {
    let meta = state.meta();
    let permissions = meta.list_permissions().await.map_err(UiError::from_store)?;
    let users = meta.list_users().await.map_err(UiError::from_store)?;
    let groups = meta.list_groups().await.map_err(UiError::from_store)?;
    let tasks = meta.list_tasks().await.map_err(UiError::from_store)?;
    let feeds = meta.list_feeds().await.map_err(UiError::from_store)?;
    let permissions = permissions
        .into_iter()
        .map(|p| {
            let (kind, principal) = match p.subject {
                PermissionSubject::User(u) => ("user", u),
                PermissionSubject::Group(g) => ("group", g),
                PermissionSubject::Virtual(v) => ("built-in", v),
            };
            PermissionRow {
                remove_action: format!("/admin/security/permissions/{}/delete", p.id),
                id: p.id,
                kind,
                principal,
                task: p.task,
                feed: p.feed,
                deny: p.deny,
            }
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let response = render(&PermissionsPage {
        page: Page::new(state, viewer, "Permissions", "admin").with_notice(notice),
        permissions,
        users: options("user:", users.into_iter().map(|u| u.name), &selected.principal),
        groups: options("group:", groups.into_iter().map(|g| g.name), &selected.principal),
        virtuals: options("virtual:", VIRTUAL.map(str::to_owned), &selected.principal),
        tasks: options("", tasks.into_iter().map(|t| t.name), &selected.task),
        all_feeds: selected.feed.is_empty(),
        feeds: options("", feeds.into_iter().map(|f| f.settings.name), &selected.feed),
        deny: selected.deny,
        error: error.map(|e| e.message),
    })?;
    Ok(with_status(response, status))
}

/// The permissions and the form that adds one.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DoneQuery>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    let notice = done_notice(query.done.as_deref());
    permissions_page(&state, &viewer, notice, Selected::default(), None).await
}

/// The add form's fields.
#[derive(Debug, Deserialize)]
pub struct PermissionForm {
    /// Missing counts as wrong: refused with 403, like a forged one.
    #[serde(default)]
    csrf: String,
    /// `user:NAME`, `group:NAME` or `virtual:NAME`.
    #[serde(default)]
    principal: String,
    #[serde(default)]
    task: String,
    /// Empty for all feeds.
    #[serde(default)]
    feed: String,
    #[serde(default)]
    deny: bool,
}

/// Grants or denies a task through the permission service.
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PermissionForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    // The service takes the built-in principals under either field; the
    // API names Anonymous a user and the others groups, so the form does too.
    let (user, group) = match form.principal.split_once(':') {
        Some(("user", name)) => (Some(name.to_owned()), None),
        Some(("virtual", name)) if name.eq_ignore_ascii_case("anonymous") => (Some(name.to_owned()), None),
        Some(("group" | "virtual", name)) => (None, Some(name.to_owned())),
        _ => (None, None),
    };
    let request = PermissionRequest {
        user,
        group,
        task: Some(form.task.clone()),
        feed: Some(form.feed.clone()).filter(|f| !f.is_empty()),
        feed_group: None,
        deny: Some(form.deny),
    };
    let result = service::add(&state, &viewer.caller, &request).await;
    match result {
        Ok(_) => Ok(see_other("/admin/security/permissions?done=added")),
        Err(e) => {
            let selected = Selected {
                principal: form.principal,
                task: form.task,
                feed: form.feed,
                deny: form.deny,
            };
            permissions_page(&state, &viewer, None, selected, Some(e)).await
        }
    }
}

/// Removes a permission (refusals come back as text for the dialog).
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    service::delete(&state, &viewer.caller, Some(&id)).await?;
    Ok(see_other("/admin/security/permissions?done=removed"))
}
