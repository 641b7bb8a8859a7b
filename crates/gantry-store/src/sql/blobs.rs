//! Blob rows: leases for uploads, and what the sweep may collect.

use gantry_core::Sha256Digest;
use sqlx::AnyPool;

use crate::blob::BlobInfo;
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

pub async fn lease(pool: &AnyPool, blob: &BlobInfo) -> StoreResult<()> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO blobs (sha256, size, md5, sha1, sha512, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (sha256) DO UPDATE SET last_used_at = excluded.last_used_at",
    )
    .bind(blob.sha256.as_str())
    .bind(blob.size as i64)
    .bind(&blob.md5)
    .bind(&blob.sha1)
    .bind(&blob.sha512)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn unreferenced(pool: &AnyPool, cutoff: i64, limit: i64) -> StoreResult<Vec<Sha256Digest>> {
    let digests: Vec<String> = sqlx::query_scalar(
        "SELECT sha256 FROM blobs b WHERE last_used_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM package_files f WHERE f.sha256 = b.sha256) \
         ORDER BY sha256 LIMIT $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    digests
        .iter()
        .map(|d| {
            d.parse()
                .map_err(|_| StoreError::Corrupt(format!("blob digest {d}")))
        })
        .collect()
}

pub async fn forget(pool: &AnyPool, digest: &Sha256Digest, cutoff: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "DELETE FROM blobs WHERE sha256 = $1 AND last_used_at < $2 \
         AND NOT EXISTS (SELECT 1 FROM package_files f WHERE f.sha256 = blobs.sha256)",
    )
    .bind(digest.as_str())
    .bind(cutoff)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn known(pool: &AnyPool, digest: &Sha256Digest) -> StoreResult<bool> {
    let found: Option<String> = sqlx::query_scalar("SELECT sha256 FROM blobs WHERE sha256 = $1")
        .bind(digest.as_str())
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}
