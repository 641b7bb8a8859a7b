//! `/api/security/groups/list|add|update|delete|add-member|remove-member|members`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gantry_store::metadata::GroupRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{administer, Named};
use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::security::groups::{self as service, GroupRequest};
use crate::state::AppState;

/// A group and its members (ProGet's `SecurityGroup`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityGroup {
    /// The group's name.
    pub name: String,
    /// Names of its members.
    pub users: Vec<String>,
}

impl From<GroupRecord> for SecurityGroup {
    fn from(g: GroupRecord) -> Self {
        Self {
            name: g.name,
            users: g.members,
        }
    }
}

/// A group to create, or the new member list of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    /// The group's name.
    pub name: String,
    /// Member user names (they must exist); on update, the whole new list.
    pub users: Option<Vec<String>>,
}

impl From<GroupInput> for GroupRequest {
    fn from(input: GroupInput) -> Self {
        Self {
            name: input.name,
            users: input.users,
        }
    }
}

/// Lists groups with their members.
#[utoipa::path(get, path = "/api/security/groups/list", tag = "security",
    responses((status = 200, body = [SecurityGroup]), (status = 401), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<SecurityGroup>>> {
    administer(&state, &caller)?;
    let groups = state.meta().list_groups().await?;
    Ok(Json(groups.into_iter().map(SecurityGroup::from).collect()))
}

/// Lists the members of one group.
#[utoipa::path(get, path = "/api/security/groups/members", tag = "security", params(Named),
    responses((status = 200, body = [String]), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn members(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(named): QueryParams<Named>,
) -> ApiResult<Json<Vec<String>>> {
    administer(&state, &caller)?;
    let name = Named::required(named.group.as_ref(), "group")?;
    let group = state
        .meta()
        .list_groups()
        .await?
        .into_iter()
        .find(|g| g.name.eq_ignore_ascii_case(&name))
        .ok_or_else(|| ApiError::not_found(format!("There is no group named '{name}'.")))?;
    Ok(Json(group.members))
}

/// Creates a group.
#[utoipa::path(post, path = "/api/security/groups/add", tag = "security", request_body = GroupInput,
    responses((status = 200, body = SecurityGroup), (status = 400), (status = 401), (status = 403),
        (status = 404, description = "a member does not exist"), (status = 409, description = "the name is taken"), (status = 415, description = "the body is not sent as application/json")))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<GroupInput>,
) -> ApiResult<Json<SecurityGroup>> {
    let group = service::add(&state, &caller, &input.into()).await?;
    Ok(Json(group.into()))
}

/// Replaces a group's members.
#[utoipa::path(post, path = "/api/security/groups/update", tag = "security", request_body = GroupInput,
    responses((status = 200, body = SecurityGroup), (status = 400), (status = 401), (status = 403), (status = 404), (status = 415, description = "the body is not sent as application/json")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<GroupInput>,
) -> ApiResult<Json<SecurityGroup>> {
    let group = service::update(&state, &caller, &input.into()).await?;
    Ok(Json(group.into()))
}

async fn change_member(
    state: &AppState,
    caller: &Caller,
    named: &Named,
    add: bool,
) -> ApiResult<Json<SecurityGroup>> {
    administer(state, caller)?;
    let group = Named::required(named.group.as_ref(), "group")?;
    let user = Named::required(named.user.as_ref(), "user")?;
    let record = state
        .meta()
        .change_group_member(
            &group.to_ascii_lowercase(),
            &user.to_ascii_lowercase(),
            add,
            caller.user_name(),
        )
        .await?;
    state.security().invalidate();
    Ok(Json(record.into()))
}

/// Adds a user to a group (`?group=&user=`); adding a member again changes nothing.
#[utoipa::path(post, path = "/api/security/groups/add-member", tag = "security", params(Named),
    responses((status = 200, body = SecurityGroup), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(named): QueryParams<Named>,
) -> ApiResult<Json<SecurityGroup>> {
    change_member(&state, &caller, &named, true).await
}

/// Removes a user from a group (`?group=&user=`).
#[utoipa::path(post, path = "/api/security/groups/remove-member", tag = "security", params(Named),
    responses((status = 200, body = SecurityGroup), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(named): QueryParams<Named>,
) -> ApiResult<Json<SecurityGroup>> {
    change_member(&state, &caller, &named, false).await
}

/// Deletes a group, its memberships and its permissions.
#[utoipa::path(post, path = "/api/security/groups/delete", tag = "security", params(Named),
    responses((status = 200), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(named): QueryParams<Named>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &caller, named.group.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::OK)
}
