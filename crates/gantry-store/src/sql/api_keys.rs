//! API key rows.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::is_unique_violation;
use super::rows::{get_string_list, string_list};
use crate::metadata::{ApiKeyRecord, NewApiKey};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

/// A feed key reads its feed's current name through `feed_id`: it follows a
/// rename, and it is gone with its feed (foreign-key cascade).
const SELECT_KEY: &str = "SELECT k.id, k.key_type, k.display_name, k.description, k.system_apis, \
     k.package_permissions, COALESCE(f.name, k.feed_name) AS feed_name, k.user_name, k.expires_at, k.created_at \
     FROM api_keys k LEFT JOIN feeds f ON f.id = k.feed_id";

pub async fn create(pool: &AnyPool, key: &NewApiKey, actor: &str) -> StoreResult<ApiKeyRecord> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (key_hash, key_type, display_name, description, system_apis, \
         package_permissions, feed_name, user_name, expires_at, created_at, feed_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, (SELECT id FROM feeds WHERE name_key = $11)) \
         RETURNING id",
    )
    .bind(&key.key_hash)
    .bind(&key.key_type)
    .bind(&key.display_name)
    .bind(&key.description)
    .bind(string_list(&key.system_apis))
    .bind(string_list(&key.package_permissions))
    .bind(&key.feed_name)
    .bind(&key.user_name)
    .bind(key.expires_at)
    .bind(now_millis())
    .bind(key.feed_name.as_ref().map(|f| f.to_ascii_lowercase()))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict("an API key with that secret already exists".into())
        } else {
            e.into()
        }
    })?;
    let row = sqlx::query(&format!("{SELECT_KEY} WHERE k.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let record = from_row(&row)?;
    if record.key_type == "feed" && record.feed_name.is_some() {
        // A feed key whose feed does not exist would wait for the next feed
        // of that name: refuse it instead.
        let bound: Option<i64> = sqlx::query_scalar("SELECT feed_id FROM api_keys WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if bound.is_none() {
            return Err(StoreError::NotFound(format!(
                "there is no feed named '{}'",
                record.feed_name.unwrap_or_default()
            )));
        }
    }
    super::security::record_event(&mut tx, actor, "api-key.created", &describe(&record), "").await?;
    tx.commit().await?;
    Ok(record)
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<ApiKeyRecord>> {
    let rows = sqlx::query(&format!("{SELECT_KEY} ORDER BY k.id"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(pool: &AnyPool, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
    let row = sqlx::query(&format!("{SELECT_KEY} WHERE k.key_hash = $1"))
        .bind(key_hash)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn delete(pool: &AnyPool, id: i64, actor: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query(&format!("{SELECT_KEY} WHERE k.id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(false);
    };
    let record = from_row(&row)?;
    sqlx::query("DELETE FROM api_keys WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    super::security::record_event(&mut tx, actor, "api-key.deleted", &describe(&record), "").await?;
    tx.commit().await?;
    Ok(true)
}

/// "feed key 7 (ci) on approved", for the audit trail.
fn describe(key: &ApiKeyRecord) -> String {
    let mut text = format!("{} key {}", key.key_type, key.id);
    if !key.display_name.is_empty() {
        text = format!("{text} ({})", key.display_name);
    }
    if let Some(feed) = &key.feed_name {
        text = format!("{text} on {feed}");
    }
    if let Some(user) = &key.user_name {
        text = format!("{text} for {user}");
    }
    text
}

fn from_row(row: &AnyRow) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        key_type: row.try_get("key_type")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        system_apis: get_string_list(row, "system_apis")?,
        package_permissions: get_string_list(row, "package_permissions")?,
        feed_name: row.try_get("feed_name")?,
        user_name: row.try_get("user_name")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
    })
}
