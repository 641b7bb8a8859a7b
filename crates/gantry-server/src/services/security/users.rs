//! Users: creating, changing and deleting them.

use gantry_core::{Principal, UserName};
use gantry_store::metadata::{NewUser, UserRecord, UserUpdate};

use super::{administer, required_name};
use crate::auth::{passwords, Caller};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A user to create or change. On update, absent (`None`) fields stay as
/// they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserRequest {
    /// The sign-in name (required).
    pub name: String,
    /// Shown instead of the name.
    pub display_name: Option<String>,
    /// Contact address.
    pub email: Option<String>,
    /// Required on creation; at least 8 characters.
    pub password: Option<String>,
    /// Group names; on update this replaces the user's groups.
    pub groups: Option<Vec<String>>,
    /// A disabled user cannot sign in and their personal keys do not work.
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

/// Creates a user, once `caller` may administer the server.
pub async fn add(state: &AppState, caller: &Caller, request: &UserRequest) -> ApiResult<UserRecord> {
    administer(state, caller)?;
    let name =
        UserName::parse(request.name.trim()).map_err(|e| ApiError::bad_request(format!("name: {}.", e.0)))?;
    let password = request
        .password
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("password is required for a new user."))?;
    let new = NewUser {
        name: name.as_str().to_owned(),
        display_name: request.display_name.clone().unwrap_or_default(),
        email: checked_email(request.email.clone())?.unwrap_or_default(),
        password_hash: hashed(password)?,
        disabled: request.disabled.unwrap_or(false),
        groups: request.groups.clone().unwrap_or_default(),
    };
    let user = state.meta().create_user(&new, caller.user_name()).await?;
    state.security().invalidate();
    tracing::info!(user = %user.name, "user created");
    Ok(user)
}

/// Changes the user `request` names: display name, e-mail, password,
/// groups, disabled. Once `caller` may administer the server.
pub async fn update(state: &AppState, caller: &Caller, request: &UserRequest) -> ApiResult<UserRecord> {
    administer(state, caller)?;
    let update = UserUpdate {
        display_name: request.display_name.clone(),
        email: checked_email(request.email.clone())?,
        password_hash: request.password.as_deref().map(hashed).transpose()?,
        disabled: request.disabled,
        groups: request.groups.clone(),
    };
    let user = state
        .meta()
        .update_user(
            &request.name.trim().to_ascii_lowercase(),
            &update,
            caller.user_name(),
        )
        .await?;
    state.security().invalidate();
    Ok(user)
}

/// Deletes the user named `name` with their memberships, permissions and
/// personal keys, once `caller` may administer the server. A blank name is
/// 400; a signed-in user cannot delete themselves.
pub async fn delete(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    administer(state, caller)?;
    let name = required_name(name, "user")?;
    if caller.principal.user_name().eq_ignore_ascii_case(&name)
        && matches!(caller.principal, Principal::User { .. })
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
    Ok(())
}
