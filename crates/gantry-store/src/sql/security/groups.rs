//! Groups of users and their members.

use std::collections::HashMap;

use sqlx::{AnyPool, Row};

use super::users::{find_user_id, require_user_id};
use super::{finish, Tx};
use crate::metadata::GroupRecord;
use crate::sql::is_unique_violation;
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

/// The id of the group whose case-folded name is `name_key`.
pub(super) async fn find_group_id(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM user_groups WHERE name_key = $1")
            .bind(name_key)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// The id of the group named `name` (any case), or not found.
pub(super) async fn require_group_id(tx: &mut Tx<'_>, name: &str) -> StoreResult<i64> {
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

/// Adds a membership; adding one that exists changes nothing.
pub(super) async fn add_member(tx: &mut Tx<'_>, group_id: i64, user_id: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(group_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
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
