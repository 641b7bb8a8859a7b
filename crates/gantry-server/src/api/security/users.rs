//! `/api/security/users/list|show|add|update|delete`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gantry_store::metadata::UserRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{administer, Named};
use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::security::users::{self as service, UserRequest};
use crate::state::AppState;

/// A user as the API shows it (ProGet's `SecurityUser`; never the password).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityUser {
    /// The sign-in name.
    pub name: String,
    /// Shown instead of the name.
    pub display_name: String,
    /// Contact address.
    pub email: String,
    /// The user's groups.
    pub groups: Vec<String>,
    /// A disabled user cannot sign in and their personal keys do not work.
    pub disabled: bool,
}

impl From<UserRecord> for SecurityUser {
    fn from(u: UserRecord) -> Self {
        Self {
            name: u.name,
            display_name: u.display_name,
            email: u.email,
            groups: u.groups,
            disabled: u.disabled,
        }
    }
}

/// A user to create or change. On update, absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserInput {
    /// The sign-in name (required).
    pub name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Required on creation; at least 8 characters.
    pub password: Option<String>,
    /// Group names; on update this replaces the user's groups.
    pub groups: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

impl From<UserInput> for UserRequest {
    fn from(input: UserInput) -> Self {
        Self {
            name: input.name,
            display_name: input.display_name,
            email: input.email,
            password: input.password,
            groups: input.groups,
            disabled: input.disabled,
        }
    }
}

/// Lists users.
#[utoipa::path(get, path = "/api/security/users/list", tag = "security",
    responses((status = 200, body = [SecurityUser]), (status = 401), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<SecurityUser>>> {
    administer(&state, &caller)?;
    let users = state.meta().list_users().await?;
    Ok(Json(users.into_iter().map(SecurityUser::from).collect()))
}

/// Shows one user.
#[utoipa::path(get, path = "/api/security/users/show", tag = "security", params(Named),
    responses((status = 200, body = SecurityUser), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(named): QueryParams<Named>,
) -> ApiResult<Json<SecurityUser>> {
    administer(&state, &caller)?;
    let name = Named::required(named.user.as_ref(), "user")?;
    let (user, _) = state
        .meta()
        .find_user(&name.to_ascii_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no user named '{name}'.")))?;
    Ok(Json(user.into()))
}

/// Creates a user.
#[utoipa::path(post, path = "/api/security/users/add", tag = "security", request_body = UserInput,
    responses((status = 200, body = SecurityUser), (status = 400), (status = 401), (status = 403),
        (status = 404, description = "a named group does not exist"), (status = 409, description = "the name is taken"), (status = 415, description = "the body is not sent as application/json")))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<UserInput>,
) -> ApiResult<Json<SecurityUser>> {
    let user = service::add(&state, &caller, &input.into()).await?;
    Ok(Json(user.into()))
}

/// Changes a user: display name, e-mail, password, groups, disabled.
#[utoipa::path(post, path = "/api/security/users/update", tag = "security", request_body = UserInput,
    responses((status = 200, body = SecurityUser), (status = 400), (status = 401), (status = 403), (status = 404), (status = 415, description = "the body is not sent as application/json")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<UserInput>,
) -> ApiResult<Json<SecurityUser>> {
    let user = service::update(&state, &caller, &input.into()).await?;
    Ok(Json(user.into()))
}

/// Deletes a user with their memberships, permissions and personal keys.
#[utoipa::path(post, path = "/api/security/users/delete", tag = "security", params(Named),
    responses((status = 200), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(named): QueryParams<Named>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &caller, named.user.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::OK)
}
