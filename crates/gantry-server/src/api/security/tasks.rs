//! `/api/security/tasks/list|add|update|delete` and `/api/security/attributes/list`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gantry_core::Attribute;
use gantry_store::metadata::TaskRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{administer, Named};
use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::security::tasks::{self as service, TaskRequest};
use crate::state::AppState;

/// A task (ProGet's `SecurityTask`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityTask {
    /// The task's name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether it makes sense on one feed (false when it holds a server-wide attribute).
    pub feed_scoped: bool,
    /// Attribute ids (see `/api/security/attributes/list`).
    pub attributes: Vec<String>,
    /// Built-in tasks cannot be changed or deleted.
    pub built_in: bool,
}

fn feed_scoped(attribute: Attribute) -> bool {
    attribute != Attribute::Administer
}

impl From<TaskRecord> for SecurityTask {
    fn from(t: TaskRecord) -> Self {
        let scoped = t
            .attributes
            .iter()
            .filter_map(|a| a.parse::<Attribute>().ok())
            .all(feed_scoped);
        Self {
            name: t.name,
            description: t.description,
            feed_scoped: scoped,
            attributes: t.attributes,
            built_in: t.built_in,
        }
    }
}

/// A custom task to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskInput {
    /// The task's name.
    pub name: String,
    pub description: Option<String>,
    /// Attribute ids or their short names (`view`, `promote`, ...).
    pub attributes: Vec<String>,
    /// Accepted for ProGet compatibility; derived from the attributes.
    pub feed_scoped: Option<bool>,
}

impl From<TaskInput> for TaskRequest {
    fn from(input: TaskInput) -> Self {
        Self {
            name: input.name,
            description: input.description,
            attributes: input.attributes,
        }
    }
}

/// An attribute a task can hold.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityTaskAttribute {
    /// The attribute id.
    pub name: String,
    /// Whether it can be granted on one feed.
    pub feed_scoped: bool,
}

/// Lists tasks, built-in ones first.
#[utoipa::path(get, path = "/api/security/tasks/list", tag = "security",
    responses((status = 200, body = [SecurityTask]), (status = 401), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<SecurityTask>>> {
    administer(&state, &caller)?;
    let tasks = state.meta().list_tasks().await?;
    Ok(Json(tasks.into_iter().map(SecurityTask::from).collect()))
}

/// Lists the attributes tasks are made of.
#[utoipa::path(get, path = "/api/security/attributes/list", tag = "security",
    responses((status = 200, body = [SecurityTaskAttribute]), (status = 401), (status = 403)))]
pub async fn attributes(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SecurityTaskAttribute>>> {
    administer(&state, &caller)?;
    Ok(Json(
        Attribute::ALL
            .iter()
            .map(|a| SecurityTaskAttribute {
                name: a.id().to_owned(),
                feed_scoped: feed_scoped(*a),
            })
            .collect(),
    ))
}

/// Creates a custom task.
#[utoipa::path(post, path = "/api/security/tasks/add", tag = "security", request_body = TaskInput,
    responses((status = 200, body = SecurityTask), (status = 400), (status = 401), (status = 403), (status = 409), (status = 415, description = "the body is not sent as application/json")))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<TaskInput>,
) -> ApiResult<Json<SecurityTask>> {
    let task = service::add(&state, &caller, &input.into()).await?;
    Ok(Json(task.into()))
}

/// Replaces a custom task's description and attributes (created when missing).
#[utoipa::path(post, path = "/api/security/tasks/update", tag = "security", request_body = TaskInput,
    responses((status = 200, body = SecurityTask), (status = 400), (status = 401), (status = 403), (status = 409), (status = 415, description = "the body is not sent as application/json")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<TaskInput>,
) -> ApiResult<Json<SecurityTask>> {
    let task = service::update(&state, &caller, &input.into()).await?;
    Ok(Json(task.into()))
}

/// Deletes a custom task no permission uses.
#[utoipa::path(post, path = "/api/security/tasks/delete", tag = "security", params(Named),
    responses((status = 200), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "built in, or used by a permission")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(named): QueryParams<Named>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &caller, named.task.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::OK)
}
