//! Users, groups, tasks, permissions and the audit trail of security changes.

use async_trait::async_trait;

use crate::StoreResult;

/// A user, without the password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// Database id.
    pub id: i64,
    /// Name as given at creation (compared case-insensitively).
    pub name: String,
    /// Shown instead of the name where there is room.
    pub display_name: String,
    /// Contact address.
    pub email: String,
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// Names of the user's groups, sorted.
    pub groups: Vec<String>,
    /// When the user was created (Unix ms).
    pub created_at: i64,
    /// When the password last changed (Unix ms).
    pub password_changed_at: i64,
}

/// A user to create. Group names must exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    pub display_name: String,
    pub email: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub disabled: bool,
    pub groups: Vec<String>,
}

/// Changes to a user; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub disabled: Option<bool>,
    /// Replaces the user's groups.
    pub groups: Option<Vec<String>>,
}

/// A group and its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    /// Database id.
    pub id: i64,
    /// Name as given at creation.
    pub name: String,
    /// Names of the members, sorted.
    pub members: Vec<String>,
}

/// A task: a named set of attribute ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRecord {
    /// Database id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Attribute ids (`Feeds_ViewFeed`, ...).
    pub attributes: Vec<String>,
    /// Built-in tasks cannot be changed or deleted.
    pub built_in: bool,
}

/// A task to create or replace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTask {
    pub name: String,
    pub description: String,
    pub attributes: Vec<String>,
}

/// Whom a permission is for, by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PermissionSubject {
    /// A user.
    User(String),
    /// A group.
    Group(String),
    /// `Anonymous`, `Authenticated` or `Everyone`.
    Virtual(String),
}

/// A stored permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionRecord {
    /// Database id.
    pub id: i64,
    /// Whom it is for (names as stored).
    pub subject: PermissionSubject,
    /// The task's name.
    pub task: String,
    /// The task's attribute ids.
    pub attributes: Vec<String>,
    /// The feed's name, or `None` for all feeds.
    pub feed: Option<String>,
    /// A restriction rather than a grant.
    pub deny: bool,
    /// When it was added (Unix ms).
    pub created_at: i64,
}

/// A permission to add; names are matched case-insensitively and must exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPermission {
    pub subject: PermissionSubject,
    pub task: String,
    /// `None` for all feeds.
    pub feed: Option<String>,
    pub deny: bool,
}

/// One entry of the security audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityEventRecord {
    /// Database id (increasing).
    pub id: i64,
    /// When (Unix ms).
    pub at: i64,
    /// Who made the change.
    pub actor: String,
    /// What kind of change (`user.created`, `permission.added`, ...).
    pub action: String,
    /// What it was made to (a user, group, task, permission or key).
    pub subject: String,
    /// More about it.
    pub detail: String,
}

/// What the permission model is built from, with the version it reflects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecuritySnapshot {
    /// The version of the security state this was read at.
    pub version: i64,
    /// Every user; `groups` holds names.
    pub users: Vec<UserRecord>,
    /// Every permission, with its task's attributes and its feed's name.
    pub permissions: Vec<PermissionRecord>,
}

/// What the first start writes, once per database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityDefaults {
    /// Grant `Everyone` the built-in view task on all feeds.
    pub everyone_may_view: bool,
    /// An administrator to create in the `Administrators` group.
    pub admin: Option<NewUser>,
}

/// Where users, groups, tasks and permissions are kept. Every change is one
/// transaction that also appends to the audit trail and raises the
/// security version, so every node knows to rebuild its model.
#[async_trait]
pub trait SecurityStore: Send + Sync {
    /// The current security version.
    async fn security_version(&self) -> StoreResult<i64>;

    /// Everything the permission model needs, read consistently.
    async fn security_snapshot(&self) -> StoreResult<SecuritySnapshot>;

    /// Writes the first start's defaults unless they were written before;
    /// true when they were written now.
    async fn seed_security(&self, defaults: &SecurityDefaults) -> StoreResult<bool>;

    /// How many users exist.
    async fn count_users(&self) -> StoreResult<i64>;

    /// Every user, by name.
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>>;

    /// A user by case-folded name, with the password hash.
    async fn find_user(&self, name_key: &str) -> StoreResult<Option<(UserRecord, String)>>;

    /// Creates a user; conflict when the name is taken, not found for an unknown group.
    async fn create_user(&self, user: &NewUser, actor: &str) -> StoreResult<UserRecord>;

    /// Changes a user.
    async fn update_user(&self, name_key: &str, update: &UserUpdate, actor: &str) -> StoreResult<UserRecord>;

    /// Deletes a user, their memberships, permissions and personal keys.
    async fn delete_user(&self, name_key: &str, actor: &str) -> StoreResult<bool>;

    /// Every group with its members, by name.
    async fn list_groups(&self) -> StoreResult<Vec<GroupRecord>>;

    /// Creates a group with members (who must exist).
    async fn create_group(&self, name: &str, members: &[String], actor: &str) -> StoreResult<GroupRecord>;

    /// Replaces a group's members.
    async fn set_group_members(
        &self,
        name_key: &str,
        members: &[String],
        actor: &str,
    ) -> StoreResult<GroupRecord>;

    /// Adds one member (no change when already one) or removes one.
    async fn change_group_member(
        &self,
        group_key: &str,
        user_key: &str,
        add: bool,
        actor: &str,
    ) -> StoreResult<GroupRecord>;

    /// Deletes a group, its memberships and its permissions.
    async fn delete_group(&self, name_key: &str, actor: &str) -> StoreResult<bool>;

    /// Every task, built-in first, then by name.
    async fn list_tasks(&self) -> StoreResult<Vec<TaskRecord>>;

    /// Creates a task, or replaces a custom one when `replace` is set.
    async fn save_task(&self, task: &NewTask, replace: bool, actor: &str) -> StoreResult<TaskRecord>;

    /// Deletes a custom task that no permission uses.
    async fn delete_task(&self, name_key: &str, actor: &str) -> StoreResult<bool>;

    /// Every permission, by id.
    async fn list_permissions(&self) -> StoreResult<Vec<PermissionRecord>>;

    /// Adds a permission.
    async fn add_permission(&self, permission: &NewPermission, actor: &str) -> StoreResult<PermissionRecord>;

    /// Deletes a permission.
    async fn delete_permission(&self, id: i64, actor: &str) -> StoreResult<bool>;

    /// Audit entries with ids below `before` (all when `None`), newest first.
    async fn list_security_events(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<SecurityEventRecord>>;
}
