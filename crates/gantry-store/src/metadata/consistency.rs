//! Rows the consistency check (`gantry fsck`) reads.

use serde::Serialize;

/// A blob row as the consistency check sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlobRow {
    /// SHA-256, hex.
    pub sha256: String,
    /// Recorded size in bytes.
    pub size: u64,
    /// When its lease was last renewed (Unix milliseconds).
    pub last_used_at: i64,
    /// When a sweep claimed it for collection, if one has.
    pub claimed_at: Option<i64>,
    /// How many package file rows use it.
    pub references: i64,
}

/// A package version, named for a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageRef {
    /// The row id.
    pub package_id: i64,
    /// The feed's name.
    pub feed: String,
    /// Group (empty when none).
    pub group: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// A dist-tag that names a version its feed does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DanglingTag {
    /// The feed's name.
    pub feed: String,
    /// The package's group key.
    pub group_key: String,
    /// The package's name key.
    pub name_key: String,
    /// The tag.
    pub tag: String,
    /// The version it names.
    pub version: String,
}
