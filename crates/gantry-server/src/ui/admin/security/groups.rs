//! Groups: the list with members, the new-group form, the members form and
//! deletion.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::Attribute;
use serde::Deserialize;

use super::{checkboxes, segment, Choice, CsrfForm, DoneQuery};
use crate::error::ApiError;
use crate::services::security::groups::{self as service, GroupRequest};
use crate::state::AppState;
use crate::ui::admin::{done_notice, require, with_status};
use crate::ui::page::{render, see_other, Page, UiError};
use crate::ui::session::Viewer;

/// One row of the groups list.
pub struct GroupRow {
    pub name: String,
    pub link: String,
    pub members: String,
}

#[derive(Template)]
#[template(path = "admin/security_groups.html")]
struct GroupsPage {
    page: Page,
    groups: Vec<GroupRow>,
}

/// Lists the groups with their members.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DoneQuery>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    let groups = state.meta().list_groups().await.map_err(UiError::from_store)?;
    let groups = groups
        .into_iter()
        .map(|g| GroupRow {
            link: format!("/admin/security/groups/{}", segment(&g.name)),
            name: g.name,
            members: g.members.join(", "),
        })
        .collect();
    render(&GroupsPage {
        page: Page::new(&state, &viewer, "Groups", "admin").with_notice(done_notice(query.done.as_deref())),
        groups,
    })
}

#[derive(Template)]
#[template(path = "admin/security_group.html")]
struct GroupPage {
    page: Page,
    is_new: bool,
    action: String,
    delete_action: String,
    name: String,
    members: Vec<Choice>,
    error: Option<String>,
}

async fn group_page(
    state: &AppState,
    viewer: &Viewer,
    is_new: bool,
    name: String,
    members: &[String],
    error: Option<ApiError>,
) -> Result<Response, UiError> {
    let users = state.meta().list_users().await.map_err(UiError::from_store)?;
    let base = format!("/admin/security/groups/{}", segment(&name));
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let title = if is_new {
        "New group".to_owned()
    } else {
        format!("Group {name}")
    };
    let response = render(&GroupPage {
        page: Page::new(state, viewer, title, "admin"),
        is_new,
        action: if is_new {
            "/admin/security/groups/new".to_owned()
        } else {
            base.clone()
        },
        delete_action: format!("{base}/delete"),
        name,
        members: checkboxes("member", users.into_iter().map(|u| u.name), members),
        error: error.map(|e| e.message),
    })?;
    Ok(with_status(response, status))
}

/// The new-group form.
pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    group_page(&state, &viewer, true, String::new(), &[], None).await
}

/// A group's members form.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    let group = state
        .meta()
        .list_groups()
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .find(|g| g.name.eq_ignore_ascii_case(&name))
        .ok_or_else(|| UiError::not_found(format!("There is no group named '{name}'.")))?;
    group_page(&state, &viewer, false, group.name, &group.members, None).await
}

/// The group form's fields.
#[derive(Debug, Deserialize)]
pub struct GroupForm {
    /// Missing counts as wrong: refused with 403, like a forged one.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

/// Creates a group through the group service.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<GroupForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    let name = form.name.trim().to_owned();
    let request = GroupRequest {
        name: name.clone(),
        users: Some(form.members.clone()),
    };
    match service::add(&state, &viewer.caller, &request).await {
        Ok(_) => Ok(see_other("/admin/security/groups?done=created")),
        Err(e) => group_page(&state, &viewer, true, name, &form.members, Some(e)).await,
    }
}

/// Replaces a group's members.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<GroupForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    let request = GroupRequest {
        name: name.clone(),
        users: Some(form.members.clone()),
    };
    match service::update(&state, &viewer.caller, &request).await {
        Ok(_) => Ok(see_other("/admin/security/groups?done=saved")),
        Err(e) => group_page(&state, &viewer, false, name, &form.members, Some(e)).await,
    }
}

/// Deletes a group (refusals come back as text for the dialog).
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    service::delete(&state, &viewer.caller, &name).await?;
    Ok(see_other("/admin/security/groups?done=deleted"))
}
