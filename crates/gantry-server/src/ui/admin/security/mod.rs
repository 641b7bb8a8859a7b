//! Security administration pages: users, groups, tasks and permissions.
//! Every page needs `Administer`; every change checks the form's CSRF token
//! and then goes through the same service as the API
//! ([`crate::services::security`]), which holds the rules.

mod groups;
mod permissions;
mod tasks;
mod users;

pub use super::{segment, Choice, CsrfForm, DoneQuery};
use crate::api::routes::Routes;

/// This area's routes.
pub fn routes() -> Routes {
    Routes::default()
        .get("/admin/security", users::list)
        .get("/admin/security/users", users::list)
        .get("/admin/security/users/new", users::new_form)
        .post("/admin/security/users/new", users::create)
        .get("/admin/security/users/{name}", users::edit_form)
        .post("/admin/security/users/{name}", users::update)
        .post("/admin/security/users/{name}/delete", users::delete)
        .get("/admin/security/groups", groups::list)
        .get("/admin/security/groups/new", groups::new_form)
        .post("/admin/security/groups/new", groups::create)
        .get("/admin/security/groups/{name}", groups::edit_form)
        .post("/admin/security/groups/{name}", groups::update)
        .post("/admin/security/groups/{name}/delete", groups::delete)
        .get("/admin/security/tasks", tasks::list)
        .get("/admin/security/tasks/new", tasks::new_form)
        .post("/admin/security/tasks/new", tasks::create)
        .get("/admin/security/tasks/{name}", tasks::edit_form)
        .post("/admin/security/tasks/{name}", tasks::update)
        .post("/admin/security/tasks/{name}/delete", tasks::delete)
        .get("/admin/security/permissions", permissions::list)
        .post("/admin/security/permissions/add", permissions::add)
        .post("/admin/security/permissions/{id}/delete", permissions::delete)
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
