//! `/api/security/users/list|show|add|update|delete`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gantry_core::UserName;
use gantry_store::metadata::{NewUser, UserRecord, UserUpdate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{administer, Named};
use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::{passwords, Caller};
use crate::error::{ApiError, ApiResult};
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

fn hashed(password: &str) -> ApiResult<String> {
    passwords::validate(password).map_err(|e| ApiError::bad_request(format!("password: {e}.")))?;
    passwords::hash(password).map_err(|e| ApiError::internal("cannot hash the password", &e))
}

fn checked_email(email: Option<String>) -> ApiResult<Option<String>> {
    match email {
        Some(e) if !e.is_empty() && (!e.contains('@') || e.chars().any(char::is_whitespace)) => Err(
            ApiError::bad_request(format!("email: '{e}' is not an e-mail address.")),
        ),
        other => Ok(other),
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
    administer(&state, &caller)?;
    let name =
        UserName::parse(input.name.trim()).map_err(|e| ApiError::bad_request(format!("name: {}.", e.0)))?;
    let password = input
        .password
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("password is required for a new user."))?;
    let new = NewUser {
        name: name.as_str().to_owned(),
        display_name: input.display_name.unwrap_or_default(),
        email: checked_email(input.email)?.unwrap_or_default(),
        password_hash: hashed(password)?,
        disabled: input.disabled.unwrap_or(false),
        groups: input.groups.unwrap_or_default(),
    };
    let user = state.meta().create_user(&new, caller.user_name()).await?;
    state.security().invalidate();
    tracing::info!(user = %user.name, "user created");
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
    administer(&state, &caller)?;
    let update = UserUpdate {
        display_name: input.display_name,
        email: checked_email(input.email)?,
        password_hash: input.password.as_deref().map(hashed).transpose()?,
        disabled: input.disabled,
        groups: input.groups,
    };
    let user = state
        .meta()
        .update_user(
            &input.name.trim().to_ascii_lowercase(),
            &update,
            caller.user_name(),
        )
        .await?;
    state.security().invalidate();
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
    administer(&state, &caller)?;
    let name = Named::required(named.user.as_ref(), "user")?;
    if caller.principal.user_name().eq_ignore_ascii_case(&name)
        && matches!(caller.principal, gantry_core::Principal::User { .. })
    {
        return Err(ApiError::bad_request(
            "You cannot delete the user you are signed in as.",
        ));
    }
    if !state
        .meta()
        .delete_user(&name.to_ascii_lowercase(), caller.user_name())
        .await?
    {
        return Err(ApiError::not_found(format!("There is no user named '{name}'.")));
    }
    state.security().invalidate();
    tracing::info!(user = %name, "user deleted");
    Ok(StatusCode::OK)
}
