//! The blob sweep: deletes blobs no package refers to any more.
//!
//! Runs in the background, never inside a request. A blob is collected only
//! when its lease (renewed by every upload and promotion that uses it) is
//! older than the grace period, so an upload in flight is never robbed of
//! its bytes.

use futures::TryStreamExt;

use crate::time::now_millis;
use crate::{BlobStore, MetadataStore, StoreResult};

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Blobs whose rows and bytes were removed.
    pub collected: usize,
    /// Stored objects with no row at all (left by a crash) that were removed.
    pub orphans: usize,
}

/// Collects unreferenced blobs whose lease ended more than `grace_millis` ago.
pub async fn sweep(
    meta: &dyn MetadataStore,
    blobs: &BlobStore,
    grace_millis: i64,
) -> StoreResult<SweepReport> {
    let cutoff = now_millis() - grace_millis;
    let mut report = SweepReport::default();
    loop {
        let batch = meta.unreferenced_blobs(cutoff, 500).await?;
        if batch.is_empty() {
            break;
        }
        let mut progressed = false;
        for digest in batch {
            // The row goes first, in a statement that re-checks both
            // conditions, so a concurrent upload that renewed the lease wins.
            if meta.forget_blob(&digest, cutoff).await? {
                blobs.delete(&digest).await?;
                report.collected += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    let stored: Vec<_> = blobs.list().try_collect().await?;
    for (digest, modified) in stored {
        if modified < cutoff && !meta.blob_known(&digest).await? {
            blobs.delete(&digest).await?;
            report.orphans += 1;
        }
    }
    Ok(report)
}
