//! Permissions: granting or denying a task, and removing a permission.

use gantry_core::security::Subject;
use gantry_store::metadata::{NewPermission, PermissionRecord, PermissionSubject};

use super::administer;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A permission to add: exactly one of `user` and `group` (either may name
/// `Anonymous`, `Authenticated` or `Everyone`), a task, and a feed or none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionRequest {
    /// A user name (or a built-in principal).
    pub user: Option<String>,
    /// A group name (or a built-in principal).
    pub group: Option<String>,
    /// The task granted or denied.
    pub task: Option<String>,
    /// The feed it applies to; all feeds when absent.
    pub feed: Option<String>,
    /// Feed groups are not supported: naming one is refused.
    pub feed_group: Option<String>,
    /// A restriction rather than a grant (default false).
    pub deny: Option<bool>,
}

/// Grants or denies a task to a user or group, once `caller` may administer
/// the server.
pub async fn add(
    state: &AppState,
    caller: &Caller,
    request: &PermissionRequest,
) -> ApiResult<PermissionRecord> {
    administer(state, caller)?;
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let subject = match (present(&request.user), present(&request.group)) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("Name either a user or a group, not both.")),
        (None, None) => return Err(ApiError::bad_request("user or group is required.")),
        (Some(name), None) | (None, Some(name)) if Subject::virtual_named(&name).is_some() => {
            // Stored with its canonical spelling.
            let canonical = match Subject::virtual_named(&name) {
                Some(Subject::Anonymous) => "Anonymous",
                Some(Subject::Authenticated) => "Authenticated",
                _ => "Everyone",
            };
            PermissionSubject::Virtual(canonical.to_owned())
        }
        (Some(user), None) => PermissionSubject::User(user),
        (None, Some(group)) => PermissionSubject::Group(group),
    };
    if present(&request.feed_group).is_some() {
        return Err(ApiError::bad_request(
            "feedGroup: feed groups are not supported; name one feed or none.",
        ));
    }
    let task = present(&request.task).ok_or_else(|| ApiError::bad_request("task is required."))?;
    let permission = NewPermission {
        subject,
        task,
        feed: present(&request.feed),
        deny: request.deny.unwrap_or(false),
    };
    let record = state
        .meta()
        .add_permission(&permission, caller.user_name())
        .await?;
    state.security().invalidate();
    tracing::info!(id = record.id, "permission added");
    Ok(record)
}

/// Removes the permission whose id a client sent (as text: `None` when it
/// sent none), once `caller` may administer the server. A missing id or one
/// that is not a number is 400.
pub async fn delete(state: &AppState, caller: &Caller, permission_id: Option<&str>) -> ApiResult<()> {
    administer(state, caller)?;
    let raw = permission_id.ok_or_else(|| ApiError::bad_request("permissionId is required."))?;
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::bad_request(format!("permissionId: '{raw}' is not a number.")))?;
    if !state.meta().delete_permission(id, caller.user_name()).await? {
        return Err(ApiError::not_found(format!(
            "There is no permission with id {id}."
        )));
    }
    state.security().invalidate();
    Ok(())
}
