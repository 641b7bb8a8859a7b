//! Blob rows: leases for uploads, and the sweep's claims on what it collects.
//!
//! A row's `claimed_at` is set while the sweep deletes the blob's object:
//! the sweep claims the row, deletes the object, then deletes the row. An
//! upload's lease never renews a claimed row; it waits for the row to go
//! (and then writes the object anew), so the object a package is recorded
//! against can never be one a sweep is about to delete. See
//! `docs/architecture.md`, "Blobs".

use std::time::{Duration, Instant};

use gantry_core::Sha256Digest;
use sqlx::AnyPool;

use crate::blob::BlobInfo;
use crate::sweep::CLAIM_STALE_MILLIS;
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

/// How long a lease waits for a sweep to finish collecting the same bytes.
/// A live sweep holds a claim for one object deletion (milliseconds); a
/// claim whose sweep died goes stale within [`CLAIM_STALE_MILLIS`] and is
/// then taken over, so this is only a backstop.
const LEASE_WAIT: Duration = Duration::from_millis(CLAIM_STALE_MILLIS as u64 + 5_000);

/// How often a waiting lease looks again.
const LEASE_POLL: Duration = Duration::from_millis(20);

pub async fn lease(pool: &AnyPool, blob: &BlobInfo) -> StoreResult<()> {
    let started = Instant::now();
    loop {
        if try_lease(pool, blob).await? {
            return Ok(());
        }
        if started.elapsed() >= LEASE_WAIT {
            return Err(StoreError::Conflict(format!(
                "blob {} is being collected by the blob sweep; try again in a minute",
                blob.sha256
            )));
        }
        tokio::time::sleep(LEASE_POLL).await;
    }
}

/// Inserts the row or renews its lease; false when a sweep's fresh claim
/// holds it. A stale claim is taken over, and the digests written again in
/// case the row was an orphan's placeholder.
async fn try_lease(pool: &AnyPool, blob: &BlobInfo) -> StoreResult<bool> {
    let now = now_millis();
    let done = sqlx::query(
        "INSERT INTO blobs (sha256, size, md5, sha1, sha512, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (sha256) DO UPDATE SET last_used_at = excluded.last_used_at, size = excluded.size, \
         md5 = excluded.md5, sha1 = excluded.sha1, sha512 = excluded.sha512, claimed_at = NULL \
         WHERE blobs.claimed_at IS NULL OR blobs.claimed_at < $7",
    )
    .bind(blob.sha256.as_str())
    .bind(blob.size as i64)
    .bind(&blob.md5)
    .bind(&blob.sha1)
    .bind(&blob.sha512)
    .bind(now)
    .bind(now - CLAIM_STALE_MILLIS)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn unreferenced(pool: &AnyPool, cutoff: i64, limit: i64) -> StoreResult<Vec<Sha256Digest>> {
    let digests: Vec<String> = sqlx::query_scalar(
        "SELECT sha256 FROM blobs b WHERE last_used_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM package_files f WHERE f.sha256 = b.sha256) \
         AND NOT EXISTS (SELECT 1 FROM registry_manifests m WHERE m.sha256 = b.sha256) \
         AND NOT EXISTS (SELECT 1 FROM registry_blobs l WHERE l.sha256 = b.sha256) \
         AND NOT EXISTS (SELECT 1 FROM registry_upload_parts u WHERE u.sha256 = b.sha256) \
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

/// Claims a blob for collection if it is unreferenced, unleased since
/// `cutoff` and not claimed by a live sweep; the claim is stamped `now`.
pub async fn claim(pool: &AnyPool, digest: &Sha256Digest, cutoff: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE blobs SET claimed_at = $3 WHERE sha256 = $1 AND last_used_at < $2 \
         AND (claimed_at IS NULL OR claimed_at < $4) \
         AND NOT EXISTS (SELECT 1 FROM package_files f WHERE f.sha256 = blobs.sha256) \
         AND NOT EXISTS (SELECT 1 FROM registry_manifests m WHERE m.sha256 = blobs.sha256) \
         AND NOT EXISTS (SELECT 1 FROM registry_blobs l WHERE l.sha256 = blobs.sha256) \
         AND NOT EXISTS (SELECT 1 FROM registry_upload_parts u WHERE u.sha256 = blobs.sha256)",
    )
    .bind(digest.as_str())
    .bind(cutoff)
    .bind(now)
    .bind(now - CLAIM_STALE_MILLIS)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Claims a stored object that has no row, by inserting a claimed
/// placeholder row (no digests, never leased); false when a row exists.
pub async fn claim_orphan(pool: &AnyPool, digest: &Sha256Digest, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO blobs (sha256, size, md5, sha1, sha512, created_at, last_used_at, claimed_at) \
         VALUES ($1, 0, '', '', '', $2, 0, $2) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(digest.as_str())
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a claimed row once its object is gone; false when the claim was
/// taken over (its row then stays).
pub async fn drop_claimed(pool: &AnyPool, digest: &Sha256Digest, claimed_at: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM blobs WHERE sha256 = $1 AND claimed_at = $2")
        .bind(digest.as_str())
        .bind(claimed_at)
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
