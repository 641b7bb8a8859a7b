//! Groups: creating them, replacing their members, deleting them.

use gantry_core::GroupName;
use gantry_store::metadata::GroupRecord;

use super::{administer, required_name};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A group to create, or the new member list of one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupRequest {
    /// The group's name.
    pub name: String,
    /// Member user names (they must exist); on update, the whole new list.
    pub users: Option<Vec<String>>,
}

/// Creates a group, once `caller` may administer the server.
pub async fn add(state: &AppState, caller: &Caller, request: &GroupRequest) -> ApiResult<GroupRecord> {
    administer(state, caller)?;
    let name =
        GroupName::parse(&request.name).map_err(|e| ApiError::bad_request(format!("name: {}.", e.0)))?;
    let members = request.users.clone().unwrap_or_default();
    let group = state
        .meta()
        .create_group(name.as_str(), &members, caller.user_name())
        .await?;
    state.security().invalidate();
    Ok(group)
}

/// Replaces the members of the group `request` names (`users` is required),
/// once `caller` may administer the server.
pub async fn update(state: &AppState, caller: &Caller, request: &GroupRequest) -> ApiResult<GroupRecord> {
    administer(state, caller)?;
    let members = request
        .users
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("users is required: the group's new member list."))?;
    let group = state
        .meta()
        .set_group_members(&request.name.to_ascii_lowercase(), members, caller.user_name())
        .await?;
    state.security().invalidate();
    Ok(group)
}

/// Deletes the group named `name`, its memberships and its permissions,
/// once `caller` may administer the server. A blank name is 400.
pub async fn delete(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    administer(state, caller)?;
    let name = required_name(name, "group")?;
    if !state
        .meta()
        .delete_group(&name.to_ascii_lowercase(), caller.user_name())
        .await?
    {
        return Err(ApiError::not_found(format!("There is no group named '{name}'.")));
    }
    state.security().invalidate();
    Ok(())
}
