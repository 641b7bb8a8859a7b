//! Dist-tags: named pointers to a version of a package in a feed.

use sqlx::{AnyConnection, AnyPool, Row};

use super::packages::{bump_revision, insert_event, package_type_of, EventRow};
use crate::metadata::{DistTag, EventKind, NewDistTag, PackageKey, TagMove};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

pub async fn list(
    pool: &AnyPool,
    feed_id: i64,
    group_key: &str,
    name_key: &str,
) -> StoreResult<Vec<DistTag>> {
    let rows = sqlx::query(
        "SELECT tag, version, version_key, updated_at FROM dist_tags \
         WHERE feed_id = $1 AND group_key = $2 AND name_key = $3 ORDER BY tag",
    )
    .bind(feed_id)
    .bind(group_key)
    .bind(name_key)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DistTag {
                tag: row.try_get("tag")?,
                version: row.try_get("version")?,
                version_key: row.try_get("version_key")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .collect()
}

/// The tag's current version key, inside the caller's transaction.
async fn current(
    conn: &mut AnyConnection,
    feed_id: i64,
    key: &PackageKey,
    tag: &str,
) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT version_key FROM dist_tags WHERE feed_id = $1 AND group_key = $2 AND name_key = $3 AND tag = $4",
    )
    .bind(feed_id)
    .bind(&key.group_key)
    .bind(&key.name_key)
    .bind(tag)
    .fetch_optional(conn)
    .await?)
}

/// Points `tag` at the version `key` with display `version`, inside the
/// caller's transaction (no event).
pub async fn upsert(
    conn: &mut AnyConnection,
    feed_id: i64,
    key: &PackageKey,
    version: &str,
    tag: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO dist_tags (feed_id, group_key, name_key, tag, version, version_key, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (feed_id, group_key, name_key, tag) \
         DO UPDATE SET version = excluded.version, version_key = excluded.version_key, updated_at = excluded.updated_at",
    )
    .bind(feed_id)
    .bind(&key.group_key)
    .bind(&key.name_key)
    .bind(tag)
    .bind(version)
    .bind(&key.version_key)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies conditional moves to the version `key`; false (and nothing
/// moved by the caller's transaction, which must then roll back) when a tag
/// no longer points where the caller saw it.
pub async fn apply_moves(
    conn: &mut AnyConnection,
    feed_id: i64,
    key: &PackageKey,
    version: &str,
    moves: &[TagMove],
) -> StoreResult<bool> {
    for tag_move in moves {
        if current(conn, feed_id, key, &tag_move.tag).await? != tag_move.expected_version_key {
            return Ok(false);
        }
        upsert(conn, feed_id, key, version, &tag_move.tag).await?;
    }
    Ok(true)
}

pub async fn set(pool: &AnyPool, new: &NewDistTag) -> StoreResult<DistTag> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT group_name, name, version FROM packages \
         WHERE feed_id = $1 AND group_key = $2 AND name_key = $3 AND version_key = $4",
    )
    .bind(new.feed_id)
    .bind(&new.key.group_key)
    .bind(&new.key.name_key)
    .bind(&new.key.version_key)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("version {} is not in the feed", new.key.version_key)))?;
    let (group, name, version): (String, String, String) = (
        row.try_get("group_name")?,
        row.try_get("name")?,
        row.try_get("version")?,
    );
    let previous = current(&mut tx, new.feed_id, &new.key, &new.tag).await?;
    upsert(&mut tx, new.feed_id, &new.key, &version, &new.tag).await?;
    bump_revision(&mut tx, new.feed_id).await?;
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &new.feed_name,
            package_type: &new.package_type,
            group: &group,
            name: &name,
            version: &version,
            key: &new.key,
            kind: EventKind::DistTagSet,
            user: &new.user,
            details: serde_json::json!({"tag": new.tag, "previousVersion": previous}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DistTag {
        tag: new.tag.clone(),
        version,
        version_key: new.key.version_key.clone(),
        updated_at: now_millis(),
    })
}

pub async fn delete(
    pool: &AnyPool,
    feed_id: i64,
    feed_name: &str,
    group_key: &str,
    name_key: &str,
    tag: &str,
    user: &str,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT t.version_key, p.group_name, p.name, p.version, f.feed_type FROM dist_tags t \
         JOIN packages p ON p.feed_id = t.feed_id AND p.group_key = t.group_key AND p.name_key = t.name_key \
              AND p.version_key = t.version_key \
         JOIN feeds f ON f.id = t.feed_id \
         WHERE t.feed_id = $1 AND t.group_key = $2 AND t.name_key = $3 AND t.tag = $4",
    )
    .bind(feed_id)
    .bind(group_key)
    .bind(name_key)
    .bind(tag)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM dist_tags WHERE feed_id = $1 AND group_key = $2 AND name_key = $3 AND tag = $4")
        .bind(feed_id)
        .bind(group_key)
        .bind(name_key)
        .bind(tag)
        .execute(&mut *tx)
        .await?;
    bump_revision(&mut tx, feed_id).await?;
    let key = PackageKey {
        group_key: group_key.to_owned(),
        name_key: name_key.to_owned(),
        version_key: row.try_get("version_key")?,
    };
    let package_type = package_type_of(&row.try_get::<String, _>("feed_type")?)?;
    let (group, name, version): (String, String, String) = (
        row.try_get("group_name")?,
        row.try_get("name")?,
        row.try_get("version")?,
    );
    insert_event(
        &mut tx,
        &EventRow {
            feed_name,
            package_type,
            group: &group,
            name: &name,
            version: &version,
            key: &key,
            kind: EventKind::DistTagRemoved,
            user,
            details: serde_json::json!({"tag": tag}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Removes the tags naming a version being deleted, inside the caller's transaction.
pub async fn delete_for_version(conn: &mut AnyConnection, feed_id: i64, key: &PackageKey) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM dist_tags WHERE feed_id = $1 AND group_key = $2 AND name_key = $3 AND version_key = $4",
    )
    .bind(feed_id)
    .bind(&key.group_key)
    .bind(&key.name_key)
    .bind(&key.version_key)
    .execute(conn)
    .await?;
    Ok(())
}
