//! API key rows.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::is_unique_violation;
use super::rows::{get_string_list, string_list};
use crate::metadata::{ApiKeyRecord, NewApiKey};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

const SELECT_KEY: &str = "SELECT id, key_type, display_name, description, system_apis, package_permissions, \
     feed_name, user_name, expires_at, created_at FROM api_keys";

pub async fn create(pool: &AnyPool, key: &NewApiKey) -> StoreResult<ApiKeyRecord> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (key_hash, key_type, display_name, description, system_apis, \
         package_permissions, feed_name, user_name, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
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
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict("an API key with that secret already exists".into())
        } else {
            e.into()
        }
    })?;
    let row = sqlx::query(&format!("{SELECT_KEY} WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let record = from_row(&row)?;
    tx.commit().await?;
    Ok(record)
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<ApiKeyRecord>> {
    let rows = sqlx::query(&format!("{SELECT_KEY} ORDER BY id"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(pool: &AnyPool, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
    let row = sqlx::query(&format!("{SELECT_KEY} WHERE key_hash = $1"))
        .bind(key_hash)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn delete(pool: &AnyPool, id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM api_keys WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
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
