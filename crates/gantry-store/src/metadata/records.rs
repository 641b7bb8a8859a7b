//! The records the metadata store reads and writes.

use std::fmt;
use std::str::FromStr;

use gantry_core::{FeedType, FeedUsage, Sha256Digest};
use serde::{Deserialize, Serialize};

/// A feed as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedRecord {
    /// Database id.
    pub id: i64,
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
    /// The settings a client controls.
    pub settings: FeedSettings,
    /// The name of the feed `settings.promote_to_feed_id` points at.
    pub promote_to_feed: Option<String>,
    /// Raised with every change to the feed's packages: a document rendered
    /// from them at this revision is current while the revision stays.
    pub package_revision: i64,
}

/// What a client sets on a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedSettings {
    /// Display name; uniqueness uses its lower-case form.
    pub name: String,
    /// The package type, fixed at creation.
    pub feed_type: FeedType,
    /// Free text.
    pub description: String,
    /// An inactive feed serves nothing.
    pub active: bool,
    /// What the feed is for.
    pub usage: FeedUsage,
    /// The promotion pipeline target.
    pub promote_to_feed_id: Option<i64>,
    /// Whether deployment records are kept for this feed.
    pub deployment_records_enabled: bool,
    /// Other names the feed answers to.
    pub alternate_names: Vec<String>,
    /// A validated feed accepts direct uploads only when this is set.
    pub allow_direct_uploads: bool,
    /// The connectors the feed proxies, by name, in the order they are asked.
    pub connectors: Vec<String>,
    /// Whether a package served through a connector is stored in the feed
    /// on its first download.
    pub cache_connectors: bool,
    /// Whether the feed serves only what it stores, never asking a connector.
    pub offline: bool,
    /// Whether a registry tag, once pushed, may never point at another
    /// manifest (Docker feeds).
    pub immutable_tags: bool,
}

/// The identity of a package version, in its normalised (`*_key`) form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PackageKey {
    /// Normalised group ("" when the format has none).
    pub group_key: String,
    /// Normalised name.
    pub name_key: String,
    /// Normalised version.
    pub version_key: String,
}

/// A package version to add to a feed.
#[derive(Clone, Debug)]
pub struct NewPackage {
    /// The feed's id.
    pub feed_id: i64,
    /// The feed's name, for the history event.
    pub feed_name: String,
    /// The package type, for the history event.
    pub package_type: String,
    /// Identity as displayed.
    pub group: String,
    /// Name as displayed.
    pub name: String,
    /// Version as displayed.
    pub version: String,
    /// Identity as compared.
    pub key: PackageKey,
    /// Who published it.
    pub published_by: String,
    /// The format's manifest, as JSON.
    pub metadata: serde_json::Value,
    /// The version's files, one per qualifier (one with qualifier "" for
    /// most formats). [`crate::MetadataStore::add_package_file`] takes
    /// exactly one: the file being added.
    pub files: Vec<NewPackageFile>,
    /// Dist-tags to point at this version once it is stored (npm's
    /// `latest` on publish), in the same transaction; a file upload sets
    /// them only when it creates the version.
    pub dist_tags: Vec<String>,
    /// The connector the version was fetched through, when it was cached
    /// from an upstream rather than published; its `added` event names it.
    pub connector: Option<String>,
}

/// A file of a package version to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPackageFile {
    /// Which file of the version it is ("" for the main or only one; Maven's
    /// `sources`, a wheel's tag...); unique within the version.
    pub qualifier: String,
    /// The name a client downloads the file under (`widget-1.0-sources.jar`).
    pub file_name: String,
    /// SHA-256 of the bytes: the blob, which must be leased already.
    pub sha256: Sha256Digest,
}

/// One file added to a package version by its own request
/// ([`crate::MetadataStore::add_package_file`]): Maven's jar, pom and
/// sources arriving by separate PUTs, a PyPI sdist and its wheels.
#[derive(Clone, Debug)]
pub struct NewFileUpload {
    /// The version (identity, metadata, publisher, connector, dist-tags for
    /// when it is created); its `files` holds exactly the one file being added.
    pub package: NewPackage,
    /// Whether a file already stored under the same qualifier with other
    /// content is replaced (otherwise the outcome is [`AddFileOutcome::FileExists`]).
    pub replace: bool,
    /// What `package.metadata` does when the version exists already.
    pub metadata: MetadataOnAdd,
}

/// Whether the metadata of a file upload replaces an existing version's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetadataOnAdd {
    /// The metadata is used only when the upload creates the version.
    #[default]
    KeepExisting,
    /// The metadata replaces the version's when the upload writes a file
    /// (a Maven pom read after the jar).
    Replace,
}

/// What [`crate::MetadataStore::add_package_file`] did; each carries the
/// version as it stands afterwards.
#[derive(Clone, Debug)]
pub enum AddFileOutcome {
    /// The version did not exist: it was created with this file (`added` event).
    Created(PackageRecord),
    /// The version existed without a file of this qualifier: the file was
    /// added (`file-added` event).
    FileAdded(PackageRecord),
    /// The version held other content under this qualifier and replacing
    /// was allowed: the file was replaced (`file-replaced` event).
    FileReplaced(PackageRecord),
    /// The version holds a file of this qualifier already, with the same
    /// content or, replacing not being allowed, with other content: nothing
    /// changed.
    FileExists(PackageRecord),
}

impl AddFileOutcome {
    /// The version as it stands after the upload.
    pub fn record(&self) -> &PackageRecord {
        match self {
            Self::Created(r) | Self::FileAdded(r) | Self::FileReplaced(r) | Self::FileExists(r) => r,
        }
    }
}

/// What [`crate::MetadataStore::add_package`] did.
#[derive(Clone, Debug)]
pub enum AddOutcome {
    /// A new version was stored.
    Added(PackageRecord),
    /// An existing version was replaced.
    Replaced(PackageRecord),
    /// The version exists and overwriting was not allowed; nothing changed.
    Exists,
}

/// A filter on a feed's package versions; `None` matches anything.
#[derive(Clone, Debug, Default)]
pub struct PackageQuery {
    /// Normalised group.
    pub group_key: Option<String>,
    /// Normalised name.
    pub name_key: Option<String>,
    /// Normalised version.
    pub version_key: Option<String>,
}

/// A stored file of a package version, with the digests of its blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFileRecord {
    /// Which file of the version ("" for the only one).
    pub qualifier: String,
    /// The name a client downloads the file under; "" for files stored
    /// before Gantry kept names (the format derives it then).
    pub file_name: String,
    /// When the file was stored, Unix milliseconds (a promoted copy keeps
    /// the original's).
    pub added_at: i64,
    /// Who stored the file.
    pub added_by: String,
    /// SHA-256, the blob's address.
    pub sha256: Sha256Digest,
    /// Size in bytes.
    pub size: u64,
    /// MD5, hex.
    pub md5: String,
    /// SHA-1, hex.
    pub sha1: String,
    /// SHA-512, hex.
    pub sha512: String,
}

/// A stored package version.
#[derive(Clone, Debug, PartialEq)]
pub struct PackageRecord {
    /// Database id.
    pub id: i64,
    /// The feed's id.
    pub feed_id: i64,
    /// Group as displayed ("" when none).
    pub group: String,
    /// Name as displayed.
    pub name: String,
    /// Version as displayed.
    pub version: String,
    /// Identity as compared.
    pub key: PackageKey,
    /// Publication time, Unix milliseconds.
    pub published_at: i64,
    /// Who published it.
    pub published_by: String,
    /// Listed versions show in searches.
    pub listed: bool,
    /// A deprecated version still installs, but clients are told to move on.
    pub deprecated: bool,
    /// Why it is deprecated ("" when not, or when no reason was given).
    pub deprecation_reason: String,
    /// How many times it was downloaded from this feed.
    pub downloads: i64,
    /// The format's manifest, as JSON.
    pub metadata: serde_json::Value,
    /// Its files.
    pub files: Vec<PackageFileRecord>,
    /// Set when the feed does not store this version but a connector
    /// offers it; it then has no files and an id of 0.
    pub remote: Option<RemoteOrigin>,
}

/// Where a version a feed does not store comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteOrigin {
    /// The connector's name.
    pub connector: String,
    /// The connector's id.
    pub connector_id: i64,
    /// The upstream address of the package file.
    pub download_url: String,
    /// The package file's size, when the upstream tells it.
    pub size: Option<u64>,
    /// The upstream's dist-tags naming this version (npm).
    pub dist_tags: Vec<String>,
}

impl PackageRecord {
    /// The main file (qualifier ""), or the first one.
    pub fn primary_file(&self) -> Option<&PackageFileRecord> {
        self.files
            .iter()
            .find(|f| f.qualifier.is_empty())
            .or_else(|| self.files.first())
    }

    /// Total size of the version's files.
    pub fn size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// A change to a version's status; `None` leaves that part as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageStatusChange {
    /// Listed (shown in searches) or unlisted.
    pub listed: Option<bool>,
    /// Deprecated or not.
    pub deprecated: Option<bool>,
    /// The deprecation reason; cleared when a version is undeprecated.
    pub deprecation_reason: Option<String>,
}

/// One entry of a package version's history.
#[derive(Clone, Debug, PartialEq)]
pub struct PackageEvent {
    /// Increasing id.
    pub id: i64,
    /// The feed it happened in.
    pub feed_name: String,
    /// The package type.
    pub package_type: String,
    /// Group as displayed.
    pub group: String,
    /// Name as displayed.
    pub name: String,
    /// Version as displayed.
    pub version: String,
    /// What happened.
    pub kind: EventKind,
    /// When, Unix milliseconds.
    pub at: i64,
    /// Who.
    pub user_name: String,
    /// Kind-specific details.
    pub details: serde_json::Value,
}

/// What a history event records; stored as [`EventKind::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A version was stored (published, cached from a connector, or created
    /// by its first file).
    Added,
    /// A version was replaced whole.
    Overwritten,
    /// A file was added to an existing version.
    FileAdded,
    /// A file of a version was replaced.
    FileReplaced,
    /// A version was deleted.
    Deleted,
    /// A version was listed, unlisted, deprecated or undeprecated.
    StatusChanged,
    /// A version was promoted into the feed.
    Promoted,
    /// A promotion of the version out of the feed was refused by its gates.
    PromotionRefused,
    /// A version was deployed.
    Deployed,
    /// A dist-tag was pointed at the version.
    DistTagSet,
    /// A dist-tag naming the version was removed.
    DistTagRemoved,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 11] = [
        Self::Added,
        Self::Overwritten,
        Self::FileAdded,
        Self::FileReplaced,
        Self::Deleted,
        Self::StatusChanged,
        Self::Promoted,
        Self::PromotionRefused,
        Self::Deployed,
        Self::DistTagSet,
        Self::DistTagRemoved,
    ];

    /// The stored (and API) form: `added`, `file-added`, `status-changed`...
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Overwritten => "overwritten",
            Self::FileAdded => "file-added",
            Self::FileReplaced => "file-replaced",
            Self::Deleted => "deleted",
            Self::StatusChanged => "status-changed",
            Self::Promoted => "promoted",
            Self::PromotionRefused => "promotion-refused",
            Self::Deployed => "deployed",
            Self::DistTagSet => "dist-tag-set",
            Self::DistTagRemoved => "dist-tag-removed",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`EventKind`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown history event kind '{0}'")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    /// Reads the stored form exactly (it is always written lower-case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownEventKind(s.to_owned()))
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An API key to store.
#[derive(Clone, Debug)]
pub struct NewApiKey {
    /// SHA-256 of the secret, hex.
    pub key_hash: String,
    /// `system`, `feed` or `personal`.
    pub key_type: String,
    /// Shown in lists.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// System APIs (system keys).
    pub system_apis: Vec<String>,
    /// Package permissions (feed keys).
    pub package_permissions: Vec<String>,
    /// The feed a feed key is bound to.
    pub feed_name: Option<String>,
    /// The user a personal key acts as.
    pub user_name: Option<String>,
    /// Expiry, Unix milliseconds.
    pub expires_at: Option<i64>,
}

/// A stored API key (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Database id.
    pub id: i64,
    /// `system`, `feed` or `personal`.
    pub key_type: String,
    /// Shown in lists.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// System APIs (system keys).
    pub system_apis: Vec<String>,
    /// Package permissions (feed keys).
    pub package_permissions: Vec<String>,
    /// The feed a feed key is bound to.
    pub feed_name: Option<String>,
    /// The user a personal key acts as.
    pub user_name: Option<String>,
    /// Expiry, Unix milliseconds.
    pub expires_at: Option<i64>,
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
}

/// A promotion to carry out: copy a source version into a target feed.
#[derive(Clone, Debug)]
pub struct NewPromotion {
    /// The version in the source feed.
    pub source_package_id: i64,
    /// The source feed's name, for the record.
    pub from_feed: String,
    /// The target feed.
    pub to_feed_id: i64,
    /// The target feed's name, for the record.
    pub to_feed: String,
    /// The package type, for the record.
    pub package_type: String,
    /// Who promotes.
    pub user: String,
    /// Why.
    pub comments: String,
    /// Dist-tags of the target to point at the promoted version, each only
    /// if it still points where the caller saw it; otherwise nothing is
    /// done and the outcome is [`PromoteOutcome::TagsMoved`].
    pub tag_moves: Vec<TagMove>,
    /// The verdicts of the promotion gates that let it through, kept in the
    /// `promoted` event (left out of it when empty).
    pub gates: Vec<GateVerdict>,
}

/// What one promotion gate decided about a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateVerdict {
    /// The gate's name.
    pub gate: String,
    /// Whether the version passed it.
    pub passed: bool,
    /// Why (shown in the history).
    pub reason: String,
}

/// A promotion the gates refused, for the source version's history
/// ([`crate::MetadataStore::record_promotion_refused`]).
#[derive(Clone, Debug)]
pub struct PromotionRefusal {
    /// The version in the source feed.
    pub source_package_id: i64,
    /// The source feed's name (the event is written there).
    pub from_feed: String,
    /// The target feed's name.
    pub to_feed: String,
    /// The package type.
    pub package_type: String,
    /// Who asked for the promotion.
    pub user: String,
    /// Why they asked.
    pub comments: String,
    /// Every gate's verdict, failed ones among them.
    pub gates: Vec<GateVerdict>,
}

/// A named pointer to a version of a package in a feed (npm's dist-tags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistTag {
    /// The tag (`latest`).
    pub tag: String,
    /// The version it names, as displayed.
    pub version: String,
    /// The version it names, normalised.
    pub version_key: String,
    /// When it was last set, Unix milliseconds.
    pub updated_at: i64,
}

/// A conditional move of a dist-tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagMove {
    /// The tag.
    pub tag: String,
    /// The version key the tag named when the move was decided (`None`: the
    /// tag did not exist).
    pub expected_version_key: Option<String>,
}

/// Setting a dist-tag to a version the feed holds.
#[derive(Clone, Debug)]
pub struct NewDistTag {
    /// The feed.
    pub feed_id: i64,
    /// The feed's name, for the history event.
    pub feed_name: String,
    /// The package type, for the history event.
    pub package_type: String,
    /// The version (normalised identity).
    pub key: PackageKey,
    /// The tag.
    pub tag: String,
    /// Who.
    pub user: String,
}

/// What [`crate::MetadataStore::promote`] did.
#[derive(Clone, Debug)]
pub enum PromoteOutcome {
    /// The version was copied into the target and the promotion recorded.
    Copied {
        /// The record.
        promotion: PromotionRecord,
        /// The version as it now stands in the target.
        package: PackageRecord,
    },
    /// A tag of [`NewPromotion::tag_moves`] no longer pointed where the
    /// caller saw it: nothing changed; decide again and retry.
    TagsMoved,
    /// The target already held the version with identical files: nothing
    /// was copied, and the promotion was recorded all the same.
    AlreadyPresent {
        /// The record.
        promotion: PromotionRecord,
        /// The version in the target.
        package: PackageRecord,
    },
    /// The target holds the version with different files; nothing changed.
    Conflict,
    /// The source version was deleted meanwhile; nothing changed.
    SourceGone,
}

/// A recorded promotion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromotionRecord {
    /// Increasing id.
    pub id: i64,
    /// `upack`, `nuget`, ...
    pub package_type: String,
    /// Group as displayed ("" when none).
    pub group: String,
    /// Name as displayed.
    pub name: String,
    /// Version as displayed.
    pub version: String,
    /// Identity as compared.
    pub key: PackageKey,
    /// Source feed name.
    pub from_feed: String,
    /// Target feed name.
    pub to_feed: String,
    /// Who promoted.
    pub user_name: String,
    /// When, Unix milliseconds.
    pub at: i64,
    /// Why.
    pub comments: String,
}

/// A filter on promotion records; `None` matches anything. Results come in
/// increasing id order.
#[derive(Clone, Debug, Default)]
pub struct PromotionQuery {
    /// Source feed, case-folded.
    pub from_feed_key: Option<String>,
    /// Target feed, case-folded.
    pub to_feed_key: Option<String>,
    /// Normalised group.
    pub group_key: Option<String>,
    /// Normalised name.
    pub name_key: Option<String>,
    /// Normalised version.
    pub version_key: Option<String>,
    /// Only promotions at or after this time (Unix milliseconds).
    pub since: Option<i64>,
    /// Only promotions before this time (Unix milliseconds).
    pub until: Option<i64>,
    /// Only promotions with a larger id (the pagination cursor).
    pub after_id: Option<i64>,
    /// At most this many records.
    pub limit: Option<i64>,
    /// The feeds the caller may view: a promotion is listed only when both
    /// its source and its target are visible.
    pub visible: FeedVisibility,
}

/// A deployment to record.
#[derive(Clone, Debug)]
pub struct NewDeployment {
    /// The feed's name.
    pub feed_name: String,
    /// The package type.
    pub package_type: String,
    /// Group as displayed.
    pub group: String,
    /// Name as displayed.
    pub name: String,
    /// Version as displayed.
    pub version: String,
    /// Identity as compared.
    pub key: PackageKey,
    /// The tool that deployed (`BuildMaster`, `Octopus`, a script).
    pub application: String,
    /// What the deployment was.
    pub description: String,
    /// Where it went (typically a server name).
    pub target: String,
    /// Who deployed.
    pub user: String,
    /// A link to more about the deployment.
    pub url: Option<String>,
    /// When, Unix milliseconds.
    pub at: i64,
}

/// A recorded deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentRecord {
    /// Increasing id.
    pub id: i64,
    /// The feed's name.
    pub feed_name: String,
    /// The package type.
    pub package_type: String,
    /// Group as displayed.
    pub group: String,
    /// Name as displayed.
    pub name: String,
    /// Version as displayed.
    pub version: String,
    /// The tool that deployed.
    pub application: String,
    /// What the deployment was.
    pub description: String,
    /// Where it went.
    pub target: String,
    /// Who deployed.
    pub user_name: String,
    /// A link to more about it.
    pub url: Option<String>,
    /// When, Unix milliseconds.
    pub at: i64,
}

/// A filter on deployment records; `None` matches anything. Results come
/// newest first (decreasing id).
#[derive(Clone, Debug, Default)]
pub struct DeploymentQuery {
    /// Feed, case-folded.
    pub feed_key: Option<String>,
    /// Normalised group.
    pub group_key: Option<String>,
    /// Normalised name.
    pub name_key: Option<String>,
    /// Normalised version.
    pub version_key: Option<String>,
    /// Target, case-folded.
    pub target_key: Option<String>,
    /// Application, exactly.
    pub application: Option<String>,
    /// At or after (Unix milliseconds).
    pub since: Option<i64>,
    /// Before (Unix milliseconds).
    pub until: Option<i64>,
    /// Only records with a smaller id (the pagination cursor).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: Option<i64>,
    /// The feeds the caller may view: only records of visible feeds.
    pub visible: FeedVisibility,
}

/// Which feeds' records a caller may see, decided feed by feed by the
/// server's authorization and handed to the store as case-folded names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FeedVisibility {
    /// Every feed's records.
    #[default]
    Every,
    /// Every feed's records except these feeds'. Records naming a feed that
    /// no longer exists are visible: no rule of that feed is left to deny them.
    AllBut(Vec<String>),
    /// Only records of these feeds.
    Only(Vec<String>),
}

impl FeedVisibility {
    /// Whether records of the feed named `feed_name` are visible.
    #[must_use]
    pub fn allows(&self, feed_name: &str) -> bool {
        let key = feed_name.to_ascii_lowercase();
        match self {
            Self::Every => true,
            Self::AllBut(hidden) => !hidden.contains(&key),
            Self::Only(visible) => visible.contains(&key),
        }
    }
}
