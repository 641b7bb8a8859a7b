//! Paged views of a feed's packages, for the web UI.

/// Which page of a feed's packages to list.
#[derive(Clone, Debug, Default)]
pub struct SummaryQuery {
    /// Only packages whose name or group contains this text (case-insensitively).
    pub search: Option<String>,
    /// Packages to skip (sorted by name, then group).
    pub offset: i64,
    /// Packages to return.
    pub limit: i64,
}

/// One package (all its versions) of a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageSummary {
    /// Group, scope or namespace, as published.
    pub group: String,
    /// Name, as published.
    pub name: String,
    /// Normalised group.
    pub group_key: String,
    /// Normalised name.
    pub name_key: String,
    /// How many versions the feed holds.
    pub versions: i64,
    /// Downloads of every version.
    pub downloads: i64,
    /// The newest publish date of any version, in Unix milliseconds.
    pub last_published: i64,
}

/// A page of package summaries, with the total that matched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SummaryPage {
    /// Packages matching the query, in all.
    pub total: i64,
    /// This page.
    pub items: Vec<PackageSummary>,
}

/// A version, without its metadata or files: enough to order versions and
/// pick the latest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionBrief {
    /// The package row's id.
    pub id: i64,
    /// Normalised group.
    pub group_key: String,
    /// Normalised name.
    pub name_key: String,
    /// The version, as published.
    pub version: String,
    /// Whether clients see it in listings.
    pub listed: bool,
}

/// How much a feed holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedCounts {
    /// The feed's id.
    pub feed_id: i64,
    /// Distinct packages.
    pub packages: i64,
    /// Package versions.
    pub versions: i64,
}
