//! Security administration pages: users, groups, tasks and permissions.
//! Every page needs `Administer`; every change checks the form's CSRF token
//! and then goes through the API's own handler, which holds the rules.

mod groups;
mod permissions;
mod tasks;
mod users;

use axum::routing::{get, post};
use axum::Router;

pub use super::{segment, Choice, CsrfForm, DoneQuery};
use crate::state::AppState;

/// This area's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/security", get(users::list))
        .route("/admin/security/users", get(users::list))
        .route(
            "/admin/security/users/new",
            get(users::new_form).post(users::create),
        )
        .route(
            "/admin/security/users/{name}",
            get(users::edit_form).post(users::update),
        )
        .route("/admin/security/users/{name}/delete", post(users::delete))
        .route("/admin/security/groups", get(groups::list))
        .route(
            "/admin/security/groups/new",
            get(groups::new_form).post(groups::create),
        )
        .route(
            "/admin/security/groups/{name}",
            get(groups::edit_form).post(groups::update),
        )
        .route("/admin/security/groups/{name}/delete", post(groups::delete))
        .route("/admin/security/tasks", get(tasks::list))
        .route(
            "/admin/security/tasks/new",
            get(tasks::new_form).post(tasks::create),
        )
        .route(
            "/admin/security/tasks/{name}",
            get(tasks::edit_form).post(tasks::update),
        )
        .route("/admin/security/tasks/{name}/delete", post(tasks::delete))
        .route("/admin/security/permissions", get(permissions::list))
        .route("/admin/security/permissions/add", post(permissions::add))
        .route(
            "/admin/security/permissions/{id}/delete",
            post(permissions::delete),
        )
}

/// Checkboxes for `names`, checked where `selected` names them (case-insensitively).
fn checkboxes(prefix: &str, names: impl IntoIterator<Item = String>, selected: &[String]) -> Vec<Choice> {
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let checked = selected.iter().any(|s| s.eq_ignore_ascii_case(&name));
            Choice::new(prefix, i, name.clone(), name, checked)
        })
        .collect()
}
