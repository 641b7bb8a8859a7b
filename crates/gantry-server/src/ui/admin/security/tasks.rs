//! Tasks: the list, and forms for custom tasks (built-in ones are shown
//! read-only).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::Attribute;
use serde::Deserialize;

use super::{segment, Choice, CsrfForm, DoneQuery};
use crate::error::ApiError;
use crate::services::security::tasks::{self as service, TaskRequest};
use crate::state::AppState;
use crate::ui::admin::{done_notice, require, with_status};
use crate::ui::page::{render, see_other, Page, UiError};
use crate::ui::session::Viewer;

/// An attribute as people name it.
fn attribute_label(attribute: Attribute) -> &'static str {
    match attribute {
        Attribute::ViewPackages => "View packages",
        Attribute::DownloadPackages => "Download packages",
        Attribute::AddPackage => "Publish packages",
        Attribute::OverwritePackage => "Overwrite package versions",
        Attribute::DeletePackage => "Delete package versions",
        Attribute::UnlistPackage => "Unlist and deprecate package versions",
        Attribute::PromotePackage => "Accept promotions",
        Attribute::ManageConnectors => "Manage connectors",
        Attribute::ManageFeeds => "Manage feeds",
        Attribute::Administer => "Administer (users, groups, permissions, API keys; server-wide)",
    }
}

/// Attribute ids as people name them, for the list.
fn labels(ids: &[String]) -> String {
    ids.iter()
        .map(|id| match id.parse::<Attribute>() {
            Ok(attribute) => attribute_label(attribute),
            Err(_) => id.as_str(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of the tasks list.
pub struct TaskRow {
    pub name: String,
    pub link: String,
    pub description: String,
    pub attributes: String,
    pub built_in: bool,
}

#[derive(Template)]
#[template(path = "admin/security_tasks.html")]
struct TasksPage {
    page: Page,
    tasks: Vec<TaskRow>,
}

/// Lists the tasks, built-in ones first.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DoneQuery>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    let tasks = state.meta().list_tasks().await.map_err(UiError::from_store)?;
    let tasks = tasks
        .into_iter()
        .map(|t| TaskRow {
            link: format!("/admin/security/tasks/{}", segment(&t.name)),
            attributes: labels(&t.attributes),
            name: t.name,
            description: t.description,
            built_in: t.built_in,
        })
        .collect();
    render(&TasksPage {
        page: Page::new(&state, &viewer, "Tasks", "admin").with_notice(done_notice(query.done.as_deref())),
        tasks,
    })
}

#[derive(Template)]
#[template(path = "admin/security_task.html")]
struct TaskPage {
    page: Page,
    is_new: bool,
    built_in: bool,
    action: String,
    delete_action: String,
    name: String,
    description: String,
    attributes: Vec<Choice>,
    error: Option<String>,
}

/// What the task form shows.
#[derive(Debug, Default)]
struct Shown {
    name: String,
    description: String,
    attributes: Vec<String>,
    built_in: bool,
}

fn task_page(
    state: &AppState,
    viewer: &Viewer,
    is_new: bool,
    shown: Shown,
    error: Option<ApiError>,
) -> Result<Response, UiError> {
    let base = format!("/admin/security/tasks/{}", segment(&shown.name));
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    // Stored and typed ids may use either spelling: compare the attributes.
    let chosen: Vec<Attribute> = shown.attributes.iter().filter_map(|a| a.parse().ok()).collect();
    let attributes = Attribute::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| Choice {
            value: a.id().to_owned(),
            label: attribute_label(*a).to_owned(),
            checked: chosen.contains(a),
            id: format!("attribute-{i}"),
        })
        .collect();
    let title = if is_new {
        "New task".to_owned()
    } else {
        format!("Task {}", shown.name)
    };
    let response = render(&TaskPage {
        page: Page::new(state, viewer, title, "admin"),
        is_new,
        built_in: shown.built_in,
        action: if is_new {
            "/admin/security/tasks/new".to_owned()
        } else {
            base.clone()
        },
        delete_action: format!("{base}/delete"),
        name: shown.name,
        description: shown.description,
        attributes,
        error: error.map(|e| e.message),
    })?;
    Ok(with_status(response, status))
}

/// The new-task form.
pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    task_page(&state, &viewer, true, Shown::default(), None)
}

/// A task's form (read-only for a built-in task).
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    let task = state
        .meta()
        .list_tasks()
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case(&name))
        .ok_or_else(|| UiError::not_found(format!("There is no task named '{name}'.")))?;
    let shown = Shown {
        name: task.name,
        description: task.description,
        attributes: task.attributes,
        built_in: task.built_in,
    };
    task_page(&state, &viewer, false, shown, None)
}

/// The task form's fields.
#[derive(Debug, Deserialize)]
pub struct TaskForm {
    /// Missing counts as wrong: refused with 403, like a forged one.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    attributes: Vec<String>,
}

impl TaskForm {
    fn request(&self, name: &str) -> TaskRequest {
        TaskRequest {
            name: name.to_owned(),
            description: Some(self.description.trim().to_owned()),
            attributes: self.attributes.clone(),
        }
    }

    fn shown(&self, name: &str) -> Shown {
        Shown {
            name: name.to_owned(),
            description: self.description.clone(),
            attributes: self.attributes.clone(),
            built_in: false,
        }
    }
}

/// Creates a custom task through the task service.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<TaskForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    let name = form.name.trim().to_owned();
    match service::add(&state, &viewer.caller, &form.request(&name)).await {
        Ok(_) => Ok(see_other("/admin/security/tasks?done=created")),
        Err(e) => task_page(&state, &viewer, true, form.shown(&name), Some(e)),
    }
}

/// Replaces a custom task's description and attributes. The service
/// refuses built-in tasks; this page only asks it to change a task that
/// exists.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<TaskForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    // The service's update creates a missing task; an edit form must not.
    let exists = state
        .meta()
        .list_tasks()
        .await
        .map_err(UiError::from_store)?
        .iter()
        .any(|t| t.name.eq_ignore_ascii_case(&name));
    if !exists {
        return Err(UiError::not_found(format!("There is no task named '{name}'.")));
    }
    match service::update(&state, &viewer.caller, &form.request(&name)).await {
        Ok(_) => Ok(see_other("/admin/security/tasks?done=saved")),
        Err(e) => task_page(&state, &viewer, false, form.shown(&name), Some(e)),
    }
}

/// Deletes a custom task (refusals come back as text for the dialog).
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, Attribute::Administer)?;
    service::delete(&state, &viewer.caller, &name).await?;
    Ok(see_other("/admin/security/tasks?done=deleted"))
}
