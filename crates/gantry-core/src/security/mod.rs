//! Who may do what: attributes, tasks, principals, permission rules, and the
//! one decision function every endpoint goes through ([`SecurityModel::decide`]).

pub mod attribute;
pub mod model;
pub mod principal;
pub mod task;

pub use attribute::{Attribute, AttributeSet};
pub use model::{Decision, Rule, Scope, SecurityModel, Subject, UserEntry};
pub use principal::{ApiKeyGrant, PackagePermission, Principal, SystemApi};
pub use task::{BuiltInTask, ADMINISTER_TASK, BUILT_IN_TASKS, VIEW_TASK};
