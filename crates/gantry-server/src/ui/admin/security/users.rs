//! Users: the list, the new-user form, the edit form and deletion.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::Attribute;
use serde::Deserialize;

use super::{checkboxes, segment, Choice, CsrfForm, DoneQuery};
use crate::error::ApiError;
use crate::services::security::users::{self as service, UserRequest};
use crate::state::AppState;
use crate::ui::admin::{done_notice, require, with_status};
use crate::ui::page::{render, see_other, Page, UiError};
use crate::ui::session::Viewer;

/// One row of the users list.
pub struct UserRow {
    pub name: String,
    pub link: String,
    pub display_name: String,
    pub email: String,
    pub groups: String,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "admin/security_users.html")]
struct UsersPage {
    page: Page,
    users: Vec<UserRow>,
}

/// Lists the users.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DoneQuery>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    let users = state.meta().list_users().await.map_err(UiError::from_store)?;
    let users = users
        .into_iter()
        .map(|u| UserRow {
            link: format!("/admin/security/users/{}", segment(&u.name)),
            name: u.name,
            display_name: u.display_name,
            email: u.email,
            groups: u.groups.join(", "),
            disabled: u.disabled,
        })
        .collect();
    render(&UsersPage {
        page: Page::new(&state, &viewer, "Users", "admin").with_notice(done_notice(query.done.as_deref())),
        users,
    })
}

#[derive(Template)]
#[template(path = "admin/security_user.html")]
struct UserPage {
    page: Page,
    /// Creating rather than editing.
    is_new: bool,
    /// Where the form posts.
    action: String,
    /// Where the delete dialog posts.
    delete_action: String,
    name: String,
    display_name: String,
    email: String,
    groups: Vec<Choice>,
    disabled: bool,
    /// The viewer's own account (deleting it is refused).
    is_self: bool,
    error: Option<String>,
}

/// What the user form shows, typed or stored.
#[derive(Debug, Default)]
struct Shown {
    name: String,
    display_name: String,
    email: String,
    groups: Vec<String>,
    disabled: bool,
}

async fn user_page(
    state: &AppState,
    viewer: &Viewer,
    is_new: bool,
    shown: Shown,
    error: Option<ApiError>,
) -> Result<Response, UiError> {
    let groups = state.meta().list_groups().await.map_err(UiError::from_store)?;
    let title = if is_new {
        "New user".to_owned()
    } else {
        format!("User {}", shown.name)
    };
    let base = format!("/admin/security/users/{}", segment(&shown.name));
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let response = render(&UserPage {
        page: Page::new(state, viewer, title, "admin"),
        is_new,
        action: if is_new {
            "/admin/security/users/new".to_owned()
        } else {
            base.clone()
        },
        delete_action: format!("{base}/delete"),
        is_self: viewer
            .user_name()
            .is_some_and(|me| me.eq_ignore_ascii_case(&shown.name)),
        groups: checkboxes("group", groups.into_iter().map(|g| g.name), &shown.groups),
        name: shown.name,
        display_name: shown.display_name,
        email: shown.email,
        disabled: shown.disabled,
        error: error.map(|e| e.message),
    })?;
    Ok(with_status(response, status))
}

/// The new-user form.
pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    user_page(&state, &viewer, true, Shown::default(), None).await
}

/// A user's edit form.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    let found = state
        .meta()
        .find_user(&name.to_ascii_lowercase())
        .await
        .map_err(UiError::from_store)?;
    let Some((user, _)) = found else {
        return Err(UiError::not_found(format!("There is no user named '{name}'.")));
    };
    let shown = Shown {
        name: user.name,
        display_name: user.display_name,
        email: user.email,
        groups: user.groups,
        disabled: user.disabled,
    };
    user_page(&state, &viewer, false, shown, None).await
}

/// The user form's fields. The password is never sent back to the page.
#[derive(Debug, Deserialize)]
pub struct UserForm {
    /// Missing counts as wrong: refused with 403, like a forged one.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "displayName")]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    disabled: bool,
}

impl UserForm {
    /// What to show again when the change is refused (never the password).
    fn shown(&self, name: &str) -> Shown {
        Shown {
            name: name.to_owned(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            groups: self.groups.clone(),
            disabled: self.disabled,
        }
    }
}

/// Creates a user through the user service.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<UserForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    let name = form.name.trim().to_owned();
    let request = UserRequest {
        name: name.clone(),
        display_name: Some(form.display_name.trim().to_owned()),
        email: Some(form.email.trim().to_owned()),
        password: Some(form.password.clone()),
        groups: Some(form.groups.clone()),
        disabled: Some(form.disabled),
    };
    match service::add(&state, &viewer.caller, &request).await {
        Ok(_) => Ok(see_other("/admin/security/users?done=created")),
        Err(e) => user_page(&state, &viewer, true, form.shown(&name), Some(e)).await,
    }
}

/// Changes a user; a blank password keeps the current one.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<UserForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    let request = UserRequest {
        name: name.clone(),
        display_name: Some(form.display_name.trim().to_owned()),
        email: Some(form.email.trim().to_owned()),
        // Blank means unchanged: the form never shows the stored password.
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        groups: Some(form.groups.clone()),
        disabled: Some(form.disabled),
    };
    match service::update(&state, &viewer.caller, &request).await {
        Ok(_) => Ok(see_other("/admin/security/users?done=saved")),
        Err(e) => user_page(&state, &viewer, false, form.shown(&name), Some(e)).await,
    }
}

/// Deletes a user (refusals come back as text for the dialog).
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    service::delete(&state, &viewer.caller, &name).await?;
    Ok(see_other("/admin/security/users?done=deleted"))
}
