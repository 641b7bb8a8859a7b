//! Security administration: users, groups, tasks and permissions.
//! Administrators only; every change is audited by the store and takes
//! effect on this node at once (and on the others within a second). The
//! security API and the administration pages both call these.

pub mod groups;
pub mod permissions;
pub mod tasks;
pub mod users;

use gantry_core::Attribute;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Refuses `caller` unless they may administer the server: every security
/// action asks this first.
pub fn administer(state: &AppState, caller: &Caller) -> ApiResult<()> {
    state.authorize(caller, Attribute::Administer, None)
}

/// The user, group or task name a client gave, trimmed; 400 ("`what` is
/// required.") when it is blank.
pub fn required_name(value: &str, what: &str) -> ApiResult<String> {
    Some(value.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_request(format!("{what} is required.")))
}
