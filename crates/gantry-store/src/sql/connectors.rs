//! Connector rows.

use std::str::FromStr;

use gantry_core::FeedType;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::is_unique_violation;
use super::rows::{get_bool, get_string_list, string_list};
use crate::metadata::{ConnectorHealth, ConnectorRecord, ConnectorSettings};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

const SELECT_CONNECTOR: &str = "SELECT id, name, feed_type, url, timeout_secs, metadata_cache_enabled, \
     metadata_cache_minutes, metadata_cache_count, username, password, filters, created_at, \
     health_status, last_error, last_error_at, last_success_at FROM connectors";

fn taken(name: &str) -> StoreError {
    StoreError::Conflict(format!("a connector named '{name}' already exists"))
}

pub async fn create(pool: &AnyPool, connector: &ConnectorSettings) -> StoreResult<ConnectorRecord> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO connectors (name, name_key, feed_type, url, timeout_secs, metadata_cache_enabled, \
         metadata_cache_minutes, metadata_cache_count, username, password, filters, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (name_key) DO NOTHING RETURNING id",
    )
    .bind(&connector.name)
    .bind(connector.name.to_ascii_lowercase())
    .bind(connector.feed_type.id())
    .bind(&connector.url)
    .bind(i64::from(connector.timeout_secs))
    .bind(connector.metadata_cache_enabled)
    .bind(i64::from(connector.metadata_cache_minutes))
    .bind(i64::from(connector.metadata_cache_count))
    .bind(connector.username.as_deref())
    .bind(connector.password.as_deref())
    .bind(string_list(&connector.filters))
    .bind(now_millis())
    .fetch_optional(pool)
    .await?;
    let id = id.ok_or_else(|| taken(&connector.name))?;
    by_id(pool, id).await
}

async fn by_id(pool: &AnyPool, id: i64) -> StoreResult<ConnectorRecord> {
    let row = sqlx::query(&format!("{SELECT_CONNECTOR} WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no connector with id {id}")))?;
    from_row(&row)
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<ConnectorRecord>> {
    let rows = sqlx::query(&format!("{SELECT_CONNECTOR} ORDER BY name_key"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(pool: &AnyPool, name_key: &str) -> StoreResult<Option<ConnectorRecord>> {
    let row = sqlx::query(&format!("{SELECT_CONNECTOR} WHERE name_key = $1"))
        .bind(name_key)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn update(pool: &AnyPool, id: i64, connector: &ConnectorSettings) -> StoreResult<ConnectorRecord> {
    let mut tx = pool.begin().await?;
    let result = sqlx::query(
        "UPDATE connectors SET name = $1, name_key = $2, url = $3, timeout_secs = $4, \
         metadata_cache_enabled = $5, metadata_cache_minutes = $6, metadata_cache_count = $7, \
         username = $8, password = $9, filters = $10 WHERE id = $11",
    )
    .bind(&connector.name)
    .bind(connector.name.to_ascii_lowercase())
    .bind(&connector.url)
    .bind(i64::from(connector.timeout_secs))
    .bind(connector.metadata_cache_enabled)
    .bind(i64::from(connector.metadata_cache_minutes))
    .bind(i64::from(connector.metadata_cache_count))
    .bind(connector.username.as_deref())
    .bind(connector.password.as_deref())
    .bind(string_list(&connector.filters))
    .bind(id)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => {
            return Err(StoreError::NotFound(format!("no connector with id {id}")));
        }
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(taken(&connector.name)),
        Err(e) => return Err(e.into()),
    }
    bump_users(&mut tx, id).await?;
    tx.commit().await?;
    by_id(pool, id).await
}

/// Raises the package revision of every feed using a connector: what they
/// serve through it changes with its settings, on every node.
async fn bump_users(tx: &mut sqlx::Transaction<'_, sqlx::Any>, connector_id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE feeds SET package_revision = package_revision + 1 \
         WHERE id IN (SELECT feed_id FROM feed_connectors WHERE connector_id = $1)",
    )
    .bind(connector_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete(pool: &AnyPool, id: i64) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    // Feeds that used it stop listing it and its packages.
    bump_users(&mut tx, id).await?;
    let done = sqlx::query("DELETE FROM connectors WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("no connector with id {id}")));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn record_health(pool: &AnyPool, id: i64, health: &ConnectorHealth) -> StoreResult<()> {
    sqlx::query(
        "UPDATE connectors SET health_status = $1, last_error = $2, last_error_at = $3, last_success_at = $4 \
         WHERE id = $5",
    )
    .bind(&health.status)
    .bind(health.last_error.as_deref())
    .bind(health.last_error_at)
    .bind(health.last_success_at)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

fn small(row: &AnyRow, column: &str) -> StoreResult<u32> {
    let value: i64 = row.try_get(column)?;
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column}: {value}")))
}

fn from_row(row: &AnyRow) -> StoreResult<ConnectorRecord> {
    let type_id: String = row.try_get("feed_type")?;
    Ok(ConnectorRecord {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        settings: ConnectorSettings {
            name: row.try_get("name")?,
            feed_type: FeedType::from_str(&type_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            url: row.try_get("url")?,
            timeout_secs: small(row, "timeout_secs")?,
            metadata_cache_enabled: get_bool(row, "metadata_cache_enabled")?,
            metadata_cache_minutes: small(row, "metadata_cache_minutes")?,
            metadata_cache_count: small(row, "metadata_cache_count")?,
            username: row.try_get("username")?,
            password: row.try_get("password")?,
            filters: get_string_list(row, "filters")?,
        },
        health: ConnectorHealth {
            status: row.try_get("health_status")?,
            last_error: row.try_get("last_error")?,
            last_error_at: row.try_get("last_error_at")?,
            last_success_at: row.try_get("last_success_at")?,
        },
    })
}
