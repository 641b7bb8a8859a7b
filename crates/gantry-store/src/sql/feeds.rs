//! Feed rows.

use std::str::FromStr;

use gantry_core::{FeedType, FeedUsage};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::rows::{get_bool, get_string_list, string_list};
use super::{is_foreign_key_violation, is_unique_violation};
use crate::metadata::{FeedRecord, FeedSettings};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

const SELECT_FEED: &str = "SELECT f.id, f.name, f.feed_type, f.description, f.active, f.usage, \
     f.promote_to_feed_id, f.deployment_records_enabled, f.alternate_names, f.created_at, \
     f.allow_direct_uploads, f.package_revision, f.cache_connectors, f.offline, f.immutable_tags, \
     t.name AS promote_to_name, \
     (SELECT string_agg(c.name, ',' ORDER BY fc.position) FROM feed_connectors fc \
      JOIN connectors c ON c.id = fc.connector_id WHERE fc.feed_id = f.id) AS connector_names \
     FROM feeds f LEFT JOIN feeds t ON t.id = f.promote_to_feed_id";

fn taken(name: &str) -> StoreError {
    StoreError::Conflict(format!("a feed named '{name}' already exists"))
}

pub async fn create(pool: &AnyPool, feed: &FeedSettings) -> StoreResult<FeedRecord> {
    let mut tx = pool.begin().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO feeds (name, name_key, feed_type, description, active, usage, promote_to_feed_id, \
         deployment_records_enabled, alternate_names, created_at, allow_direct_uploads, cache_connectors, offline, \
         immutable_tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (name_key) DO NOTHING RETURNING id",
    )
    .bind(&feed.name)
    .bind(feed.name.to_ascii_lowercase())
    .bind(feed.feed_type.id())
    .bind(&feed.description)
    .bind(feed.active)
    .bind(feed.usage.id())
    .bind(feed.promote_to_feed_id)
    .bind(feed.deployment_records_enabled)
    .bind(string_list(&feed.alternate_names))
    .bind(now_millis())
    .bind(feed.allow_direct_uploads)
    .bind(feed.cache_connectors)
    .bind(feed.offline)
    .bind(feed.immutable_tags)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| taken(&feed.name))?;
    set_connectors(&mut tx, id, &feed.connectors).await?;
    let row = sqlx::query(&format!("{SELECT_FEED} WHERE f.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let record = from_row(&row)?;
    tx.commit().await?;
    Ok(record)
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<FeedRecord>> {
    let rows = sqlx::query(&format!("{SELECT_FEED} ORDER BY f.name_key"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(pool: &AnyPool, name_key: &str) -> StoreResult<Option<FeedRecord>> {
    let row = sqlx::query(&format!("{SELECT_FEED} WHERE f.name_key = $1"))
        .bind(name_key)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn update(pool: &AnyPool, id: i64, feed: &FeedSettings) -> StoreResult<FeedRecord> {
    let mut tx = pool.begin().await?;
    let result = sqlx::query(
        "UPDATE feeds SET name = $1, name_key = $2, description = $3, active = $4, usage = $5, \
         promote_to_feed_id = $6, deployment_records_enabled = $7, alternate_names = $8, \
         allow_direct_uploads = $9, cache_connectors = $10, offline = $11, immutable_tags = $12 WHERE id = $13",
    )
    .bind(&feed.name)
    .bind(feed.name.to_ascii_lowercase())
    .bind(&feed.description)
    .bind(feed.active)
    .bind(feed.usage.id())
    .bind(feed.promote_to_feed_id)
    .bind(feed.deployment_records_enabled)
    .bind(string_list(&feed.alternate_names))
    .bind(feed.allow_direct_uploads)
    .bind(feed.cache_connectors)
    .bind(feed.offline)
    .bind(feed.immutable_tags)
    .bind(id)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => {
            return Err(StoreError::NotFound(format!("no feed with id {id}")));
        }
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(taken(&feed.name)),
        Err(e) => return Err(e.into()),
    }
    set_connectors(&mut tx, id, &feed.connectors).await?;
    let row = sqlx::query(&format!("{SELECT_FEED} WHERE f.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let record = from_row(&row)?;
    // Permission models key feed-scoped rules by feed name: a rename must
    // make every node rebuild its model.
    super::security::bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(record)
}

pub async fn delete(pool: &AnyPool, id: i64) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    // The feed's permissions go with it (foreign-key cascade); nodes must
    // forget them too, so that a new feed of the same name starts clean.
    let result = sqlx::query("DELETE FROM feeds WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => Err(StoreError::NotFound(format!("no feed with id {id}"))),
        Ok(_) => {
            super::security::bump_version(&mut tx).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(e) if is_foreign_key_violation(&e) => Err(StoreError::Conflict(
            "the feed is the promotion target of another feed; change that feed's promoteToFeed first".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a feed's connector list, resolving names; a name no connector
/// has is [`StoreError::NotFound`] and the transaction is dropped.
async fn set_connectors(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    feed_id: i64,
    names: &[String],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM feed_connectors WHERE feed_id = $1")
        .bind(feed_id)
        .execute(&mut **tx)
        .await?;
    for (position, name) in names.iter().enumerate() {
        let connector_id: Option<i64> = sqlx::query_scalar("SELECT id FROM connectors WHERE name_key = $1")
            .bind(name.to_ascii_lowercase())
            .fetch_optional(&mut **tx)
            .await?;
        let connector_id = connector_id
            .ok_or_else(|| StoreError::NotFound(format!("there is no connector named '{name}'")))?;
        let inserted = sqlx::query(
            "INSERT INTO feed_connectors (feed_id, connector_id, position) VALUES ($1, $2, $3) \
             ON CONFLICT (feed_id, connector_id) DO NOTHING",
        )
        .bind(feed_id)
        .bind(connector_id)
        .bind(position as i64)
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "connector '{name}' is listed twice"
            )));
        }
    }
    Ok(())
}

fn from_row(row: &AnyRow) -> StoreResult<FeedRecord> {
    let type_id: String = row.try_get("feed_type")?;
    let usage: String = row.try_get("usage")?;
    Ok(FeedRecord {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        promote_to_feed: row.try_get("promote_to_name")?,
        package_revision: row.try_get("package_revision")?,
        settings: FeedSettings {
            name: row.try_get("name")?,
            feed_type: FeedType::from_str(&type_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            description: row.try_get("description")?,
            active: get_bool(row, "active")?,
            usage: FeedUsage::from_str(&usage).map_err(StoreError::Corrupt)?,
            promote_to_feed_id: row.try_get("promote_to_feed_id")?,
            deployment_records_enabled: get_bool(row, "deployment_records_enabled")?,
            alternate_names: get_string_list(row, "alternate_names")?,
            allow_direct_uploads: get_bool(row, "allow_direct_uploads")?,
            connectors: row
                .try_get::<Option<String>, _>("connector_names")?
                .map(|names| names.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            cache_connectors: get_bool(row, "cache_connectors")?,
            offline: get_bool(row, "offline")?,
            immutable_tags: get_bool(row, "immutable_tags")?,
        },
    })
}
