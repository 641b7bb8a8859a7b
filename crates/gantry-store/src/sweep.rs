//! The blob sweep: deletes blobs no package refers to any more.
//!
//! Runs in the background, never inside a request. A blob is collected only
//! when its lease (renewed by every upload and promotion that uses it) is
//! older than the grace period, so an upload in flight is never robbed of
//! its bytes.
//!
//! Collection is two steps, exposed so tests can interleave them with an
//! upload: [`claim_unreferenced`] (or [`claim_orphan`]) marks the blob's row
//! as being collected, then [`collect`] deletes the object and the row. An
//! upload of the same bytes cannot lease a claimed row: it waits until the
//! row is gone and then writes the object anew, so it never records a
//! package against an object the sweep is deleting (`docs/architecture.md`,
//! "Blobs").

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use gantry_core::Sha256Digest;

use crate::time::now_millis;
use crate::{BlobStore, MetadataStore, StoreResult};

/// Age after which a claim is stale: its sweep died (or gave up) between
/// claiming and deleting, and an upload or the next sweep may take the blob
/// over. It is [`DELETE_DEADLINE`] plus 15 s for clock differences between
/// nodes (claims are stamped with the sweeping node's clock).
pub const CLAIM_STALE_MILLIS: i64 = 45_000;

/// A sweep's object deletion must finish this soon after its claim; a sweep
/// slower than that (a stalled, retrying S3 request) gives up and leaves the
/// claim to go stale, so its deletion never lands after an upload has taken
/// the blob over.
const DELETE_DEADLINE: Duration = Duration::from_secs(30);

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Blobs whose rows and bytes were removed.
    pub collected: usize,
    /// Stored objects with no row at all (left by a crash) that were removed.
    pub orphans: usize,
    /// Registry upload sessions idle past the grace period that were dropped.
    pub abandoned_uploads: u64,
    /// Registry blobs pushed past the grace period and used by no manifest
    /// of their repository, taken out of it.
    pub unused_registry_blobs: u64,
}

/// A blob the sweep has claimed for collection: step one of two.
#[derive(Debug)]
pub struct Claim {
    digest: Sha256Digest,
    claimed_at: i64,
    taken: Instant,
}

impl Claim {
    /// The claimed blob.
    pub fn digest(&self) -> &Sha256Digest {
        &self.digest
    }
}

/// Step one for a blob with a row: claims it if it is still unreferenced,
/// unleased since `cutoff` (Unix milliseconds) and not claimed by a live sweep.
pub async fn claim_unreferenced(
    meta: &dyn MetadataStore,
    digest: &Sha256Digest,
    cutoff: i64,
) -> StoreResult<Option<Claim>> {
    let now = now_millis();
    let taken = Instant::now();
    Ok(meta.claim_blob(digest, cutoff, now).await?.then(|| Claim {
        digest: digest.clone(),
        claimed_at: now,
        taken,
    }))
}

/// Step one for a stored object with no row: claims it with a placeholder
/// row, if it still has none.
pub async fn claim_orphan(meta: &dyn MetadataStore, digest: &Sha256Digest) -> StoreResult<Option<Claim>> {
    let now = now_millis();
    let taken = Instant::now();
    Ok(meta.claim_orphan_blob(digest, now).await?.then(|| Claim {
        digest: digest.clone(),
        claimed_at: now,
        taken,
    }))
}

/// Step two: deletes the claimed blob's object, then its row. False when
/// the claim is too old to act on (it is left to go stale and be retaken).
pub async fn collect(meta: &dyn MetadataStore, blobs: &BlobStore, claim: Claim) -> StoreResult<bool> {
    let Some(left) = DELETE_DEADLINE.checked_sub(claim.taken.elapsed()) else {
        return Ok(false);
    };
    match tokio::time::timeout(left, blobs.delete(&claim.digest)).await {
        Ok(deleted) => deleted?,
        // Stalled (a retrying S3 request): stop here rather than delete late.
        Err(_) => return Ok(false),
    }
    // The object goes before the row: while the row is claimed no upload
    // leases it, so none can have committed against the object just deleted.
    meta.drop_claimed_blob(&claim.digest, claim.claimed_at).await?;
    Ok(true)
}

/// Collects unreferenced blobs whose lease ended more than `grace_millis` ago.
pub async fn sweep(
    meta: &dyn MetadataStore,
    blobs: &BlobStore,
    grace_millis: i64,
) -> StoreResult<SweepReport> {
    let cutoff = now_millis() - grace_millis;
    let mut report = SweepReport::default();
    // First what makes blobs unreferenced, so that one round collects them.
    (report.abandoned_uploads, report.unused_registry_blobs) = meta.registry_prune(cutoff).await?;
    loop {
        let batch = meta.unreferenced_blobs(cutoff, 500).await?;
        if batch.is_empty() {
            break;
        }
        let mut progressed = false;
        for digest in batch {
            // The claim re-checks both conditions, so a concurrent upload
            // that renewed the lease wins.
            if let Some(claim) = claim_unreferenced(meta, &digest, cutoff).await? {
                if collect(meta, blobs, claim).await? {
                    report.collected += 1;
                    progressed = true;
                }
            }
        }
        if !progressed {
            break;
        }
    }
    let stored: Vec<_> = blobs.list().try_collect().await?;
    for (digest, modified) in stored {
        if modified < cutoff {
            if let Some(claim) = claim_orphan(meta, &digest).await? {
                if collect(meta, blobs, claim).await? {
                    report.orphans += 1;
                }
            }
        }
    }
    Ok(report)
}
