//! Users, groups, tasks, permissions and the security audit trail.
//!
//! Every change runs in one transaction with its audit entry and a raise of
//! `security_state.version`, which nodes watch to rebuild their models.

use std::collections::HashMap;

use gantry_core::security::{ADMINISTER_TASK, VIEW_TASK};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

use super::rows::{get_bool, get_string_list, string_list};
use super::{is_foreign_key_violation, is_unique_violation};
use crate::metadata::{
    GroupRecord, NewPermission, NewTask, NewUser, PermissionRecord, PermissionSubject, SecurityDefaults,
    SecurityEventRecord, SecuritySnapshot, TaskRecord, UserRecord, UserUpdate,
};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

type Tx<'a> = Transaction<'a, Any>;

/// Raises the version every node compares its model against.
pub(super) async fn bump_version(tx: &mut Tx<'_>) -> StoreResult<()> {
    sqlx::query("UPDATE security_state SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Appends to the audit trail inside the caller's transaction.
pub(super) async fn record_event(
    tx: &mut Tx<'_>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO security_events (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now_millis())
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The change is complete: audit it, raise the version, commit.
async fn finish(mut tx: Tx<'_>, actor: &str, action: &str, subject: &str, detail: &str) -> StoreResult<()> {
    record_event(&mut tx, actor, action, subject, detail).await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn version(pool: &AnyPool) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT version FROM security_state WHERE id = 1")
            .fetch_one(pool)
            .await?,
    )
}

pub async fn snapshot(pool: &AnyPool) -> StoreResult<SecuritySnapshot> {
    // Read the version before and after: equal means no change slipped in
    // between (a change always raises it), so the parts agree. Portable where
    // snapshot isolation is not.
    for _ in 0..5 {
        let before = version(pool).await?;
        let users = list_users(pool).await?;
        let permissions = list_permissions(pool).await?;
        if version(pool).await? == before {
            return Ok(SecuritySnapshot {
                version: before,
                users,
                permissions,
            });
        }
    }
    Err(StoreError::Conflict(
        "security settings are changing too fast to be read; try again".into(),
    ))
}

pub async fn seed(pool: &AnyPool, defaults: &SecurityDefaults) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    // Claim the seeding first: of two nodes starting at once, one writes.
    let claimed = sqlx::query("UPDATE security_state SET seeded = $1 WHERE id = 1 AND seeded = $2")
        .bind(true)
        .bind(false)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() == 0 {
        return Ok(false);
    }
    let now = now_millis();
    let admins: i64 = match find_group_id(&mut tx, "administrators").await? {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "INSERT INTO user_groups (name, name_key, created_at) VALUES ('Administrators', 'administrators', $1) RETURNING id",
            )
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let administer = task_id(&mut tx, &ADMINISTER_TASK.to_ascii_lowercase()).await?;
    sqlx::query("INSERT INTO permissions (group_id, task_id, feed_id, deny, created_at) VALUES ($1, $2, NULL, $3, $4)")
        .bind(admins)
        .bind(administer)
        .bind(false)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if defaults.everyone_may_view {
        let view = task_id(&mut tx, &VIEW_TASK.to_ascii_lowercase()).await?;
        sqlx::query(
            "INSERT INTO permissions (virtual_name, task_id, feed_id, deny, created_at) VALUES ('Everyone', $1, NULL, $2, $3)",
        )
        .bind(view)
        .bind(false)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(admin) = &defaults.admin {
        let mut admin = admin.clone();
        admin.groups = vec!["Administrators".into()];
        insert_user(&mut tx, &admin).await?;
    }
    let detail = format!(
        "Administrators may administer{}{}",
        if defaults.everyone_may_view {
            "; Everyone may view & download"
        } else {
            ""
        },
        defaults
            .admin
            .as_ref()
            .map(|a| format!("; created {}", a.name))
            .unwrap_or_default()
    );
    finish(tx, "SYSTEM", "security.seeded", "defaults", &detail).await?;
    Ok(true)
}

// ---------------------------------------------------------------- users ----

const SELECT_USER: &str =
    "SELECT id, name, display_name, email, disabled, created_at, password_changed_at, password_hash FROM users";

fn user_from_row(row: &AnyRow, groups: Vec<String>) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        disabled: get_bool(row, "disabled")?,
        groups,
        created_at: row.try_get("created_at")?,
        password_changed_at: row.try_get("password_changed_at")?,
    })
}

/// Group names per user id.
async fn memberships<'e, E>(executor: E) -> StoreResult<HashMap<i64, Vec<String>>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT m.user_id, g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id ORDER BY g.name_key",
    )
    .fetch_all(executor)
    .await?;
    let mut by_user: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        by_user
            .entry(row.try_get("user_id")?)
            .or_default()
            .push(row.try_get("name")?);
    }
    Ok(by_user)
}

pub async fn count_users(pool: &AnyPool) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await?)
}

pub async fn list_users(pool: &AnyPool) -> StoreResult<Vec<UserRecord>> {
    let rows = sqlx::query(&format!("{SELECT_USER} ORDER BY name_key"))
        .fetch_all(pool)
        .await?;
    let mut groups = memberships(pool).await?;
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            user_from_row(row, groups.remove(&id).unwrap_or_default())
        })
        .collect()
}

pub async fn find_user(pool: &AnyPool, name_key: &str) -> StoreResult<Option<(UserRecord, String)>> {
    let mut tx = pool.begin().await?;
    let found = user_in_tx(&mut tx, name_key).await?;
    tx.commit().await?;
    Ok(found)
}

async fn user_in_tx(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<Option<(UserRecord, String)>> {
    let Some(row) = sqlx::query(&format!("{SELECT_USER} WHERE name_key = $1"))
        .bind(name_key)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.try_get("id")?;
    let groups: Vec<String> = sqlx::query_scalar(
        "SELECT g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id WHERE m.user_id = $1 ORDER BY g.name_key",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let hash: String = row.try_get("password_hash")?;
    Ok(Some((user_from_row(&row, groups)?, hash)))
}

async fn insert_user(tx: &mut Tx<'_>, user: &NewUser) -> StoreResult<i64> {
    let now = now_millis();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (name, name_key, display_name, email, password_hash, disabled, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&user.name)
    .bind(user.name.to_ascii_lowercase())
    .bind(&user.display_name)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(user.disabled)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("A user named '{}' already exists.", user.name))
        } else {
            e.into()
        }
    })?;
    set_user_groups(tx, id, &user.groups).await?;
    Ok(id)
}

async fn set_user_groups(tx: &mut Tx<'_>, user_id: i64, groups: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM group_members WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for group in groups {
        let group_id = require_group_id(tx, group).await?;
        add_member(tx, group_id, user_id).await?;
    }
    Ok(())
}

/// Adds a membership; adding one that exists changes nothing.
async fn add_member(tx: &mut Tx<'_>, group_id: i64, user_id: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(group_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn create_user(pool: &AnyPool, user: &NewUser, actor: &str) -> StoreResult<UserRecord> {
    let mut tx = pool.begin().await?;
    insert_user(&mut tx, user).await?;
    let (record, _) = user_in_tx(&mut tx, &user.name.to_ascii_lowercase())
        .await?
        .ok_or_else(|| StoreError::Corrupt("a user vanished while being created".into()))?;
    let detail = if record.groups.is_empty() {
        String::new()
    } else {
        format!("groups: {}", record.groups.join(", "))
    };
    finish(tx, actor, "user.created", &record.name, &detail).await?;
    Ok(record)
}

pub async fn update_user(
    pool: &AnyPool,
    name_key: &str,
    update: &UserUpdate,
    actor: &str,
) -> StoreResult<UserRecord> {
    let mut tx = pool.begin().await?;
    let (current, _) = user_in_tx(&mut tx, name_key)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no user named '{name_key}'.")))?;
    let mut changed = Vec::new();
    if let Some(display_name) = &update.display_name {
        sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(display_name)
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        changed.push("display name");
    }
    if let Some(email) = &update.email {
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        changed.push("email");
    }
    if let Some(hash) = &update.password_hash {
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_millis())
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        changed.push("password");
    }
    if let Some(disabled) = update.disabled {
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        changed.push(if disabled { "disabled" } else { "enabled" });
    }
    if let Some(groups) = &update.groups {
        set_user_groups(&mut tx, current.id, groups).await?;
        changed.push("groups");
    }
    let (record, _) = user_in_tx(&mut tx, name_key)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a user vanished while being changed".into()))?;
    finish(tx, actor, "user.changed", &record.name, &changed.join(", ")).await?;
    Ok(record)
}

pub async fn delete_user(pool: &AnyPool, name_key: &str, actor: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let Some((user, _)) = user_in_tx(&mut tx, name_key).await? else {
        return Ok(false);
    };
    // Memberships and permissions go by foreign-key cascade; personal keys
    // name their user, so they are deleted here.
    let keys = sqlx::query("DELETE FROM api_keys WHERE key_type = 'personal' AND LOWER(user_name) = $1")
        .bind(name_key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let detail = if keys > 0 {
        format!("and {keys} personal API key(s)")
    } else {
        String::new()
    };
    finish(tx, actor, "user.deleted", &user.name, &detail).await?;
    Ok(true)
}

// --------------------------------------------------------------- groups ----

async fn find_group_id(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM user_groups WHERE name_key = $1")
            .bind(name_key)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

async fn find_user_id(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE name_key = $1")
        .bind(name_key)
        .fetch_optional(&mut **tx)
        .await?)
}

/// The id of the user named `name` (any case), or not found.
async fn require_user_id(tx: &mut Tx<'_>, name: &str) -> StoreResult<i64> {
    find_user_id(tx, &name.to_ascii_lowercase())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no user named '{name}'.")))
}

/// The id of the group named `name` (any case), or not found.
async fn require_group_id(tx: &mut Tx<'_>, name: &str) -> StoreResult<i64> {
    find_group_id(tx, &name.to_ascii_lowercase())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no group named '{name}'.")))
}

async fn group_in_tx(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<Option<GroupRecord>> {
    let Some(row) = sqlx::query("SELECT id, name FROM user_groups WHERE name_key = $1")
        .bind(name_key)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.try_get("id")?;
    let members: Vec<String> = sqlx::query_scalar(
        "SELECT u.name FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY u.name_key",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(Some(GroupRecord {
        id,
        name: row.try_get("name")?,
        members,
    }))
}

async fn set_members(tx: &mut Tx<'_>, group_id: i64, members: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(group_id)
        .execute(&mut **tx)
        .await?;
    for member in members {
        let user_id = require_user_id(tx, member).await?;
        add_member(tx, group_id, user_id).await?;
    }
    Ok(())
}

pub async fn list_groups(pool: &AnyPool) -> StoreResult<Vec<GroupRecord>> {
    let groups = sqlx::query("SELECT id, name FROM user_groups ORDER BY name_key")
        .fetch_all(pool)
        .await?;
    let members = sqlx::query(
        "SELECT m.group_id, u.name FROM group_members m JOIN users u ON u.id = m.user_id ORDER BY u.name_key",
    )
    .fetch_all(pool)
    .await?;
    let mut by_group: HashMap<i64, Vec<String>> = HashMap::new();
    for row in members {
        by_group
            .entry(row.try_get("group_id")?)
            .or_default()
            .push(row.try_get("name")?);
    }
    groups
        .iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            Ok(GroupRecord {
                id,
                name: row.try_get("name")?,
                members: by_group.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

pub async fn create_group(
    pool: &AnyPool,
    name: &str,
    members: &[String],
    actor: &str,
) -> StoreResult<GroupRecord> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO user_groups (name, name_key, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(name.to_ascii_lowercase())
    .bind(now_millis())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("A group named '{name}' already exists."))
        } else {
            e.into()
        }
    })?;
    set_members(&mut tx, id, members).await?;
    let group = group_in_tx(&mut tx, &name.to_ascii_lowercase())
        .await?
        .ok_or_else(|| StoreError::Corrupt("a group vanished while being created".into()))?;
    let detail = format!("members: {}", group.members.join(", "));
    finish(tx, actor, "group.created", &group.name, &detail).await?;
    Ok(group)
}

pub async fn set_group_members(
    pool: &AnyPool,
    name_key: &str,
    members: &[String],
    actor: &str,
) -> StoreResult<GroupRecord> {
    let mut tx = pool.begin().await?;
    let id = require_group_id(&mut tx, name_key).await?;
    set_members(&mut tx, id, members).await?;
    let group = group_in_tx(&mut tx, name_key)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a group vanished while being changed".into()))?;
    let detail = format!("members: {}", group.members.join(", "));
    finish(tx, actor, "group.changed", &group.name, &detail).await?;
    Ok(group)
}

pub async fn change_group_member(
    pool: &AnyPool,
    group_key: &str,
    user_key: &str,
    add: bool,
    actor: &str,
) -> StoreResult<GroupRecord> {
    let mut tx = pool.begin().await?;
    let group_id = find_group_id(&mut tx, group_key)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no group named '{group_key}'.")))?;
    let user_id = find_user_id(&mut tx, user_key)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no user named '{user_key}'.")))?;
    let sql = if add {
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2"
    };
    sqlx::query(sql)
        .bind(group_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let group = group_in_tx(&mut tx, group_key)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a group vanished while being changed".into()))?;
    let action = if add {
        "group.member-added"
    } else {
        "group.member-removed"
    };
    finish(tx, actor, action, &group.name, user_key).await?;
    Ok(group)
}

pub async fn delete_group(pool: &AnyPool, name_key: &str, actor: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let Some(group) = group_in_tx(&mut tx, name_key).await? else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM user_groups WHERE id = $1")
        .bind(group.id)
        .execute(&mut *tx)
        .await?;
    finish(tx, actor, "group.deleted", &group.name, "").await?;
    Ok(true)
}

// ---------------------------------------------------------------- tasks ----

fn task_from_row(row: &AnyRow) -> StoreResult<TaskRecord> {
    Ok(TaskRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        attributes: get_string_list(row, "attributes")?,
        built_in: get_bool(row, "built_in")?,
    })
}

async fn task_id(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT id FROM tasks WHERE name_key = $1")
        .bind(name_key)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no task named '{name_key}'.")))
}

pub async fn list_tasks(pool: &AnyPool) -> StoreResult<Vec<TaskRecord>> {
    let rows = sqlx::query(
        "SELECT id, name, description, attributes, built_in FROM tasks ORDER BY built_in DESC, id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(task_from_row).collect()
}

pub async fn save_task(
    pool: &AnyPool,
    task: &NewTask,
    replace: bool,
    actor: &str,
) -> StoreResult<TaskRecord> {
    let mut tx = pool.begin().await?;
    let key = task.name.to_ascii_lowercase();
    let existing =
        sqlx::query("SELECT id, name, description, attributes, built_in FROM tasks WHERE name_key = $1")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(task_from_row)
            .transpose()?;
    let action = match existing {
        Some(current) if current.built_in => {
            return Err(StoreError::Conflict(format!(
                "'{}' is a built-in task and cannot be changed; create a custom task instead.",
                current.name
            )))
        }
        Some(current) if !replace => {
            return Err(StoreError::Conflict(format!(
                "A task named '{}' already exists.",
                current.name
            )))
        }
        Some(current) => {
            sqlx::query("UPDATE tasks SET description = $1, attributes = $2 WHERE id = $3")
                .bind(&task.description)
                .bind(string_list(&task.attributes))
                .bind(current.id)
                .execute(&mut *tx)
                .await?;
            "task.changed"
        }
        None => {
            sqlx::query(
                "INSERT INTO tasks (name, name_key, description, attributes, built_in) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&task.name)
            .bind(&key)
            .bind(&task.description)
            .bind(string_list(&task.attributes))
            .bind(false)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("A task named '{}' already exists.", task.name))
                } else {
                    e.into()
                }
            })?;
            "task.created"
        }
    };
    let row =
        sqlx::query("SELECT id, name, description, attributes, built_in FROM tasks WHERE name_key = $1")
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?;
    let record = task_from_row(&row)?;
    finish(tx, actor, action, &record.name, &record.attributes.join(", ")).await?;
    Ok(record)
}

pub async fn delete_task(pool: &AnyPool, name_key: &str, actor: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let Some(row) =
        sqlx::query("SELECT id, name, description, attributes, built_in FROM tasks WHERE name_key = $1")
            .bind(name_key)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(false);
    };
    let task = task_from_row(&row)?;
    if task.built_in {
        return Err(StoreError::Conflict(format!(
            "'{}' is a built-in task and cannot be deleted.",
            task.name
        )));
    }
    let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM permissions WHERE task_id = $1")
        .bind(task.id)
        .fetch_one(&mut *tx)
        .await?;
    if used > 0 {
        return Err(StoreError::Conflict(format!(
            "The task '{}' is used by {used} permission(s); remove them first.",
            task.name
        )));
    }
    sqlx::query("DELETE FROM tasks WHERE id = $1")
        .bind(task.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::Conflict(format!("The task '{}' is in use.", task.name))
            } else {
                e.into()
            }
        })?;
    finish(tx, actor, "task.deleted", &task.name, "").await?;
    Ok(true)
}

// ---------------------------------------------------------- permissions ----

const SELECT_PERMISSION: &str = "SELECT p.id, u.name AS user_name, g.name AS group_name, p.virtual_name, \
     t.name AS task_name, t.attributes, f.name AS feed_name, p.deny, p.created_at \
     FROM permissions p JOIN tasks t ON t.id = p.task_id \
     LEFT JOIN users u ON u.id = p.user_id LEFT JOIN user_groups g ON g.id = p.group_id \
     LEFT JOIN feeds f ON f.id = p.feed_id";

fn permission_from_row(row: &AnyRow) -> StoreResult<PermissionRecord> {
    let user: Option<String> = row.try_get("user_name")?;
    let group: Option<String> = row.try_get("group_name")?;
    let virtual_name: Option<String> = row.try_get("virtual_name")?;
    let subject = match (user, group, virtual_name) {
        (Some(u), _, _) => PermissionSubject::User(u),
        (_, Some(g), _) => PermissionSubject::Group(g),
        (_, _, Some(v)) => PermissionSubject::Virtual(v),
        _ => return Err(StoreError::Corrupt("a permission names no principal".into())),
    };
    Ok(PermissionRecord {
        id: row.try_get("id")?,
        subject,
        task: row.try_get("task_name")?,
        attributes: get_string_list(row, "attributes")?,
        feed: row.try_get("feed_name")?,
        deny: get_bool(row, "deny")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn list_permissions(pool: &AnyPool) -> StoreResult<Vec<PermissionRecord>> {
    let rows = sqlx::query(&format!("{SELECT_PERMISSION} ORDER BY p.id"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(permission_from_row).collect()
}

pub async fn add_permission(
    pool: &AnyPool,
    permission: &NewPermission,
    actor: &str,
) -> StoreResult<PermissionRecord> {
    let mut tx = pool.begin().await?;
    let (user_id, group_id, virtual_name) = match &permission.subject {
        PermissionSubject::User(name) => (Some(require_user_id(&mut tx, name).await?), None, None),
        PermissionSubject::Group(name) => (None, Some(require_group_id(&mut tx, name).await?), None),
        PermissionSubject::Virtual(name) => (None, None, Some(name.clone())),
    };
    let task = task_id(&mut tx, &permission.task.to_ascii_lowercase()).await?;
    let feed_id: Option<i64> = match &permission.feed {
        Some(feed) => Some(
            sqlx::query_scalar("SELECT id FROM feeds WHERE name_key = $1")
                .bind(feed.to_ascii_lowercase())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("There is no feed named '{feed}'.")))?,
        ),
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO permissions (user_id, group_id, virtual_name, task_id, feed_id, deny, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(user_id)
    .bind(group_id)
    .bind(virtual_name)
    .bind(task)
    .bind(feed_id)
    .bind(permission.deny)
    .bind(now_millis())
    .fetch_one(&mut *tx)
    .await?;
    let row = sqlx::query(&format!("{SELECT_PERMISSION} WHERE p.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let record = permission_from_row(&row)?;
    let detail = describe(&record);
    finish(
        tx,
        actor,
        "permission.added",
        &format!("permission {id}"),
        &detail,
    )
    .await?;
    Ok(record)
}

/// "grant Promote Packages to group Senior Developers on approved-nuget".
fn describe(p: &PermissionRecord) -> String {
    let whom = match &p.subject {
        PermissionSubject::User(n) => format!("user {n}"),
        PermissionSubject::Group(n) => format!("group {n}"),
        PermissionSubject::Virtual(n) => n.clone(),
    };
    let scope = p
        .feed
        .as_deref()
        .map_or("all feeds".to_owned(), |f| format!("feed {f}"));
    let verb = if p.deny { "deny" } else { "grant" };
    format!("{verb} {} to {whom} on {scope}", p.task)
}

pub async fn delete_permission(pool: &AnyPool, id: i64, actor: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query(&format!("{SELECT_PERMISSION} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(false);
    };
    let record = permission_from_row(&row)?;
    sqlx::query("DELETE FROM permissions WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    finish(
        tx,
        actor,
        "permission.removed",
        &format!("permission {id}"),
        &describe(&record),
    )
    .await?;
    Ok(true)
}

// ---------------------------------------------------------------- audit ----

pub async fn list_events(
    pool: &AnyPool,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<SecurityEventRecord>> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, subject, detail FROM security_events WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SecurityEventRecord {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                subject: row.try_get("subject")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
