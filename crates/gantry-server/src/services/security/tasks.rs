//! Custom tasks: creating, replacing and deleting them (built-in tasks
//! cannot change; the store refuses).

use gantry_core::Attribute;
use gantry_store::metadata::{NewTask, TaskRecord};

use super::{administer, required_name};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A custom task to create or replace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskRequest {
    /// The task's name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Attribute ids or their short names (`view`, `promote`, ...).
    pub attributes: Vec<String>,
}

/// The task to store: a valid name and at least one known attribute,
/// each once, in order.
fn checked(request: &TaskRequest) -> ApiResult<NewTask> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name: a task name is 1 to 100 printable characters.",
        ));
    }
    if request.attributes.is_empty() {
        return Err(ApiError::bad_request(
            "attributes: a task needs at least one attribute.",
        ));
    }
    let mut attributes = Vec::new();
    for raw in &request.attributes {
        let attribute: Attribute = raw
            .parse()
            .map_err(|e: String| ApiError::bad_request(format!("attributes: {e}.")))?;
        if !attributes.contains(&attribute) {
            attributes.push(attribute);
        }
    }
    attributes.sort();
    Ok(NewTask {
        name: name.to_owned(),
        description: request.description.clone().unwrap_or_default(),
        attributes: attributes.iter().map(|a| a.id().to_owned()).collect(),
    })
}

/// Creates a custom task, once `caller` may administer the server.
pub async fn add(state: &AppState, caller: &Caller, request: &TaskRequest) -> ApiResult<TaskRecord> {
    save(state, caller, request, false).await
}

/// Replaces a custom task's description and attributes, creating it when
/// missing, once `caller` may administer the server.
pub async fn update(state: &AppState, caller: &Caller, request: &TaskRequest) -> ApiResult<TaskRecord> {
    save(state, caller, request, true).await
}

async fn save(
    state: &AppState,
    caller: &Caller,
    request: &TaskRequest,
    replace: bool,
) -> ApiResult<TaskRecord> {
    administer(state, caller)?;
    let task = state
        .meta()
        .save_task(&checked(request)?, replace, caller.user_name())
        .await?;
    state.security().invalidate();
    Ok(task)
}

/// Deletes the custom task named `name` (refused while a permission uses
/// it), once `caller` may administer the server. A blank name is 400.
pub async fn delete(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    administer(state, caller)?;
    let name = required_name(name, "task")?;
    if !state
        .meta()
        .delete_task(&name.to_ascii_lowercase(), caller.user_name())
        .await?
    {
        return Err(ApiError::not_found(format!("There is no task named '{name}'.")));
    }
    state.security().invalidate();
    Ok(())
}
