//! Users: accounts, their group memberships, sign-in look-ups.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row};

use super::groups::{add_member, require_group_id};
use super::{finish, Tx};
use crate::metadata::{NewUser, UserRecord, UserUpdate};
use crate::sql::is_unique_violation;
use crate::sql::rows::get_bool;
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

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

pub(super) async fn insert_user(tx: &mut Tx<'_>, user: &NewUser) -> StoreResult<i64> {
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

/// The id of the user whose case-folded name is `name_key`.
pub(super) async fn find_user_id(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE name_key = $1")
        .bind(name_key)
        .fetch_optional(&mut **tx)
        .await?)
}

/// The id of the user named `name` (any case), or not found.
pub(super) async fn require_user_id(tx: &mut Tx<'_>, name: &str) -> StoreResult<i64> {
    find_user_id(tx, &name.to_ascii_lowercase())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no user named '{name}'.")))
}
