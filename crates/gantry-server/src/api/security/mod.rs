//! Security management with ProGet's shapes under `/api/security/`:
//! users, groups, tasks, attributes, permissions, and the audit trail.
//! Administrators only; every change is audited and takes effect on this
//! node at once (and on the others within a second).

pub mod audit;
pub mod groups;
pub mod permissions;
pub mod tasks;
pub mod users;

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiResult;
// Every endpoint here asks this first.
use crate::services::security::administer;

/// Which user, group or task an action names (`?user=`, `?group=`, `?task=`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Named {
    /// A user name.
    pub user: Option<String>,
    /// A group name.
    pub group: Option<String>,
    /// A task name.
    pub task: Option<String>,
}

impl Named {
    fn required(value: Option<&String>, what: &str) -> ApiResult<String> {
        crate::services::security::required_name(value.map_or("", String::as_str), what)
    }
}
