//! Whole-store queries for the consistency check. They read only, and check
//! what the schema's foreign keys do not: package_files → packages and
//! blobs, packages → feeds, dist_tags → feeds and deployment_targets →
//! deployments are constraints already; history (events, promotions,
//! deployments) deliberately outlives what it names.

use sqlx::{AnyPool, Row};

use crate::metadata::{BlobRow, DanglingTag, PackageRef};
use crate::StoreResult;

const PACKAGE_REF: &str = "SELECT p.id, f.name AS feed, p.group_name, p.name, p.version FROM packages p \
     JOIN feeds f ON f.id = p.feed_id";

fn package_ref(row: &sqlx::any::AnyRow) -> StoreResult<PackageRef> {
    Ok(PackageRef {
        package_id: row.try_get("id")?,
        feed: row.try_get("feed")?,
        group: row.try_get("group_name")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
    })
}

pub async fn blob_rows(pool: &AnyPool) -> StoreResult<Vec<BlobRow>> {
    let rows = sqlx::query(
        "SELECT b.sha256, b.size, b.last_used_at, b.claimed_at, \
         (SELECT COUNT(*) FROM package_files f WHERE f.sha256 = b.sha256) \
         + (SELECT COUNT(*) FROM registry_manifests m WHERE m.sha256 = b.sha256) \
         + (SELECT COUNT(*) FROM registry_blobs l WHERE l.sha256 = b.sha256) \
         + (SELECT COUNT(*) FROM registry_upload_parts u WHERE u.sha256 = b.sha256) AS refs \
         FROM blobs b ORDER BY b.sha256",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(BlobRow {
                sha256: row.try_get("sha256")?,
                size: row.try_get::<i64, _>("size")?.max(0) as u64,
                last_used_at: row.try_get("last_used_at")?,
                claimed_at: row.try_get("claimed_at")?,
                references: row.try_get("refs")?,
            })
        })
        .collect()
}

pub async fn packages_using_blob(pool: &AnyPool, sha256: &str) -> StoreResult<Vec<PackageRef>> {
    let rows = sqlx::query(&format!(
        "{PACKAGE_REF} WHERE p.id IN (SELECT package_id FROM package_files WHERE sha256 = $1) ORDER BY p.id"
    ))
    .bind(sha256)
    .fetch_all(pool)
    .await?;
    rows.iter().map(package_ref).collect()
}

pub async fn packages_without_files(pool: &AnyPool) -> StoreResult<Vec<PackageRef>> {
    let rows = sqlx::query(&format!(
        "{PACKAGE_REF} WHERE NOT EXISTS (SELECT 1 FROM package_files pf WHERE pf.package_id = p.id) ORDER BY p.id"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(package_ref).collect()
}

pub async fn packages_without_history(pool: &AnyPool) -> StoreResult<Vec<PackageRef>> {
    let rows = sqlx::query(&format!(
        "{PACKAGE_REF} WHERE NOT EXISTS (SELECT 1 FROM package_events e WHERE e.name_key = p.name_key \
         AND e.group_key = p.group_key AND e.version_key = p.version_key) ORDER BY p.id"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(package_ref).collect()
}

pub async fn dangling_dist_tags(pool: &AnyPool) -> StoreResult<Vec<DanglingTag>> {
    let rows = sqlx::query(
        "SELECT f.name AS feed, t.group_key, t.name_key, t.tag, t.version FROM dist_tags t \
         JOIN feeds f ON f.id = t.feed_id WHERE NOT EXISTS (SELECT 1 FROM packages p \
         WHERE p.feed_id = t.feed_id AND p.group_key = t.group_key AND p.name_key = t.name_key \
         AND p.version_key = t.version_key) ORDER BY f.name, t.name_key, t.tag",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DanglingTag {
                feed: row.try_get("feed")?,
                group_key: row.try_get("group_key")?,
                name_key: row.try_get("name_key")?,
                tag: row.try_get("tag")?,
                version: row.try_get("version")?,
            })
        })
        .collect()
}
