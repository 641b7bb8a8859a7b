//! The consistency check behind `gantry fsck`: does what the metadata store
//! records match what the blob store holds, and do the rows the schema's
//! constraints cannot tie together still agree?
//!
//! It only reads. Checked:
//!
//! - every blob a package file uses is stored, with the recorded size and
//!   (unless quick) bytes that hash to its SHA-256, and is not being
//!   collected by the sweep;
//! - every package version has a file and a history event;
//! - every dist-tag names a version its feed holds;
//! - what nothing refers to — blob rows no package uses (with or without
//!   their object) and stored objects without a row — is listed as
//!   collectable by the sweep. That is expected after deletions and crashes
//!   until the sweep runs; only with [`FsckOptions::strict`] do those older
//!   than the grace period count as problems.
//!
//! Foreign keys already guarantee the rest (package_files → packages and
//! blobs, packages → feeds, dist_tags → feeds, deployment_targets →
//! deployments); history (events, promotions, deployments) names feeds and
//! versions by name and deliberately outlives them.

use std::collections::HashSet;

use futures::TryStreamExt;
use gantry_core::Sha256Digest;
use serde::Serialize;

use crate::metadata::{DanglingTag, PackageRef};
use crate::sweep::CLAIM_STALE_MILLIS;
use crate::time::now_millis;
use crate::{BlobStore, MetadataStore, StoreError, StoreResult};

/// How to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsckOptions {
    /// Check that objects exist with the right size, without reading them.
    pub quick: bool,
    /// The sweep's grace period (milliseconds): collectable blobs older than
    /// this are ones the sweep should already have taken.
    pub grace_millis: i64,
    /// Count collectable blobs older than the grace period as problems.
    pub strict: bool,
}

/// What is wrong with a blob that packages use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum BlobFault {
    /// The object is not in the blob store.
    Missing,
    /// The object's size differs from the recorded one.
    SizeMismatch {
        /// Recorded size.
        recorded: u64,
        /// Stored size.
        stored: u64,
    },
    /// The object's bytes hash to another SHA-256.
    DigestMismatch {
        /// What the bytes hash to.
        actual: String,
    },
    /// The sweep has claimed it: its bytes are being deleted.
    Claimed,
    /// The row's digest is not a SHA-256.
    BadDigest,
}

/// A used blob that is not whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlobProblem {
    /// The blob's SHA-256.
    pub sha256: String,
    /// What is wrong.
    pub fault: BlobFault,
    /// The package versions whose files use it.
    pub used_by: Vec<PackageRef>,
}

/// What a collectable blob consists of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CollectableKind {
    /// A row no package uses, with its object (a deleted package's blob).
    Unreferenced,
    /// A row no package uses, without an object (a crash between lease and commit).
    RowWithoutObject,
    /// An object without a row (a crash between commit and record).
    ObjectWithoutRow,
}

/// Something nothing refers to, which the sweep will collect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collectable {
    /// The blob's SHA-256.
    pub sha256: String,
    /// Row, object or both.
    pub kind: CollectableKind,
    /// Milliseconds since its lease (or, without a row, its object) was last renewed.
    pub age_millis: i64,
    /// Older than the grace period: the sweep should have taken it.
    pub past_grace: bool,
}

/// A blob a sweep has claimed and is deleting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BeingCollected {
    /// The blob's SHA-256.
    pub sha256: String,
    /// Milliseconds since the claim.
    pub claimed_millis_ago: i64,
    /// The claim is older than 45 seconds: its sweep died, and the next
    /// sweep (or an upload of the same bytes) takes the blob over.
    pub stale: bool,
}

/// How much was looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FsckCounts {
    /// Blob rows.
    pub blob_rows: usize,
    /// Blob rows some package file uses.
    pub used_blobs: usize,
    /// Stored objects.
    pub objects: usize,
    /// Bytes read and re-hashed (zero when quick).
    pub bytes_hashed: u64,
}

/// The outcome of a consistency check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FsckReport {
    /// Whether objects were only checked for existence and size.
    pub quick: bool,
    /// Whether collectable blobs past the grace period count as problems.
    pub strict: bool,
    /// The grace period used (milliseconds).
    pub grace_millis: i64,
    /// How much was looked at.
    pub checked: FsckCounts,
    /// Used blobs that are missing, truncated, corrupt or being collected.
    pub blobs: Vec<BlobProblem>,
    /// Package versions with no file.
    pub packages_without_files: Vec<PackageRef>,
    /// Package versions with no history event.
    pub packages_without_history: Vec<PackageRef>,
    /// Dist-tags naming a version the feed does not hold.
    pub dangling_dist_tags: Vec<DanglingTag>,
    /// Unreferenced blobs the sweep will collect (not problems by themselves).
    pub collectable: Vec<Collectable>,
    /// Blobs a sweep has claimed and is deleting (not problems).
    pub being_collected: Vec<BeingCollected>,
    /// Problems counted: everything above except `collectable` (unless
    /// strict, then those past the grace period too) and `being_collected`.
    pub problems: usize,
}

impl FsckReport {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems == 0
    }

    /// Collectable blobs older than the grace period.
    pub fn collectable_past_grace(&self) -> usize {
        self.collectable.iter().filter(|c| c.past_grace).count()
    }
}

/// Checks the metadata store against the blob store. Reads only; safe to
/// run beside a live server (a blob uploaded meanwhile may show as
/// collectable, never as a problem).
pub async fn fsck(
    meta: &dyn MetadataStore,
    blobs: &BlobStore,
    options: &FsckOptions,
) -> StoreResult<FsckReport> {
    let now = now_millis();
    let mut checked = FsckCounts::default();
    // Objects first: an upload between the listing and the row scan then
    // shows as a row, not as a missing object.
    let objects: Vec<(Sha256Digest, i64)> = blobs.list().try_collect().await?;
    checked.objects = objects.len();
    let rows = meta.blob_rows().await?;
    checked.blob_rows = rows.len();

    let mut problems = Vec::new();
    let mut collectable = Vec::new();
    let mut being_collected = Vec::new();
    let with_rows: HashSet<&str> = rows.iter().map(|r| r.sha256.as_str()).collect();
    for row in &rows {
        if row.references > 0 {
            checked.used_blobs += 1;
        }
        let fault = if let Some(claimed_at) = row.claimed_at {
            if row.references == 0 {
                being_collected.push(BeingCollected {
                    sha256: row.sha256.clone(),
                    claimed_millis_ago: now - claimed_at,
                    stale: now - claimed_at > CLAIM_STALE_MILLIS,
                });
                continue;
            }
            Some(BlobFault::Claimed)
        } else if let Ok(digest) = row.sha256.parse::<Sha256Digest>() {
            let stored = blobs.size_of(&digest).await?;
            if row.references == 0 {
                let age = now - row.last_used_at;
                collectable.push(Collectable {
                    sha256: row.sha256.clone(),
                    kind: if stored.is_some() {
                        CollectableKind::Unreferenced
                    } else {
                        CollectableKind::RowWithoutObject
                    },
                    age_millis: age,
                    past_grace: age > options.grace_millis,
                });
                continue;
            }
            match stored {
                None => Some(BlobFault::Missing),
                Some(size) if size != row.size => Some(BlobFault::SizeMismatch {
                    recorded: row.size,
                    stored: size,
                }),
                Some(size) if !options.quick => {
                    checked.bytes_hashed += size;
                    match blobs.rehash(&digest).await {
                        Ok(actual) if actual == digest => None,
                        Ok(actual) => Some(BlobFault::DigestMismatch {
                            actual: actual.as_str().to_owned(),
                        }),
                        // Deleted between the size check and the read.
                        Err(StoreError::NotFound(_)) => Some(BlobFault::Missing),
                        Err(e) => return Err(e),
                    }
                }
                Some(_) => None,
            }
        } else {
            Some(BlobFault::BadDigest)
        };
        if let Some(fault) = fault {
            problems.push(BlobProblem {
                sha256: row.sha256.clone(),
                fault,
                used_by: meta.packages_using_blob(&row.sha256).await?,
            });
        }
    }
    for (digest, modified) in &objects {
        if !with_rows.contains(digest.as_str()) && !meta.blob_known(digest).await? {
            let age = now - modified;
            collectable.push(Collectable {
                sha256: digest.as_str().to_owned(),
                kind: CollectableKind::ObjectWithoutRow,
                age_millis: age,
                past_grace: age > options.grace_millis,
            });
        }
    }
    collectable.sort_by(|a, b| a.sha256.cmp(&b.sha256));

    let mut report = FsckReport {
        quick: options.quick,
        strict: options.strict,
        grace_millis: options.grace_millis,
        checked,
        blobs: problems,
        packages_without_files: meta.packages_without_files().await?,
        packages_without_history: meta.packages_without_history().await?,
        dangling_dist_tags: meta.dangling_dist_tags().await?,
        collectable,
        being_collected,
        problems: 0,
    };
    report.problems = report.blobs.len()
        + report.packages_without_files.len()
        + report.packages_without_history.len()
        + report.dangling_dist_tags.len()
        + if options.strict {
            report.collectable_past_grace()
        } else {
            0
        };
    Ok(report)
}
