//! `/api/security/permissions/list|add|delete`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gantry_store::metadata::{PermissionRecord, PermissionSubject};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::administer;
use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::security::permissions::{self as service, PermissionRequest};
use crate::state::AppState;

/// A permission (ProGet's `SecurityPermission`): a task granted or, with
/// `deny`, denied to a user or a group, on one feed or on all feeds.
/// `Anonymous` shows as a user; `Everyone` and `Authenticated` as groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityPermission {
    /// Id, for `delete`.
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The task's name.
    pub task: String,
    /// The feed, or absent for all feeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    /// A restriction rather than a grant.
    pub deny: bool,
}

impl From<PermissionRecord> for SecurityPermission {
    fn from(p: PermissionRecord) -> Self {
        let (user, group) = match p.subject {
            PermissionSubject::User(u) => (Some(u), None),
            PermissionSubject::Group(g) => (None, Some(g)),
            PermissionSubject::Virtual(v) if v.eq_ignore_ascii_case("anonymous") => (Some(v), None),
            PermissionSubject::Virtual(v) => (None, Some(v)),
        };
        Self {
            id: p.id,
            user,
            group,
            task: p.task,
            feed: p.feed,
            deny: p.deny,
        }
    }
}

/// A permission to add: exactly one of `user` and `group` (either may name
/// `Anonymous`, `Authenticated` or `Everyone`), a task, and a feed or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionInput {
    pub user: Option<String>,
    pub group: Option<String>,
    pub task: Option<String>,
    pub feed: Option<String>,
    /// Feed groups are not supported.
    #[serde(rename = "feedGroup")]
    pub feed_group: Option<String>,
    pub deny: Option<bool>,
    /// Sent as null by pgutil; ignored.
    pub id: Option<i64>,
}

impl From<PermissionInput> for PermissionRequest {
    fn from(input: PermissionInput) -> Self {
        Self {
            user: input.user,
            group: input.group,
            task: input.task,
            feed: input.feed,
            feed_group: input.feed_group,
            deny: input.deny,
        }
    }
}

/// Which permission to delete.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PermissionId {
    /// The permission's id.
    #[serde(rename = "permissionId", alias = "id")]
    pub permission_id: Option<String>,
}

/// Lists permissions.
#[utoipa::path(get, path = "/api/security/permissions/list", tag = "security",
    responses((status = 200, body = [SecurityPermission]), (status = 401), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<SecurityPermission>>> {
    administer(&state, &caller)?;
    let permissions = state.meta().list_permissions().await?;
    Ok(Json(
        permissions.into_iter().map(SecurityPermission::from).collect(),
    ))
}

/// Grants or denies a task.
#[utoipa::path(post, path = "/api/security/permissions/add", tag = "security", request_body = PermissionInput,
    responses((status = 200, body = SecurityPermission), (status = 400), (status = 401), (status = 403),
        (status = 404, description = "the user, group, task or feed does not exist"), (status = 415, description = "the body is not sent as application/json")))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<PermissionInput>,
) -> ApiResult<Json<SecurityPermission>> {
    let record = service::add(&state, &caller, &input.into()).await?;
    Ok(Json(record.into()))
}

/// Removes a permission (`?permissionId=`).
#[utoipa::path(post, path = "/api/security/permissions/delete", tag = "security", params(PermissionId),
    responses((status = 200), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<PermissionId>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &caller, query.permission_id.as_deref()).await?;
    Ok(StatusCode::OK)
}
