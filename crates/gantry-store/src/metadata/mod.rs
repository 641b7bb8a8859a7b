//! The metadata store: feeds, package versions, their history, blobs, API
//! keys, and security (users, groups, tasks, permissions).

mod browse;
mod connectors;
mod consistency;
mod records;
mod registry;
mod security;
mod sessions;

pub use browse::*;
pub use connectors::*;
pub use consistency::*;
pub use records::*;
pub use registry::*;
pub use security::*;
pub use sessions::*;

use async_trait::async_trait;
use gantry_core::Sha256Digest;

use crate::blob::BlobInfo;
use crate::StoreResult;

/// Everything Gantry keeps about feeds and packages, apart from the bytes.
///
/// One implementation per database family; every method is a single
/// transaction, and every change to packages writes its history event in
/// that same transaction. Uniqueness comes from database constraints, never
/// from locks in one process, so several nodes may share one database.
#[async_trait]
pub trait MetadataStore: SecurityStore + Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a feed; [`crate::StoreError::Conflict`] when the name (case-insensitively) is taken.
    async fn create_feed(&self, feed: &FeedSettings) -> StoreResult<FeedRecord>;

    /// All feeds, by name.
    async fn list_feeds(&self) -> StoreResult<Vec<FeedRecord>>;

    /// The feed whose case-folded name is `name_key`.
    async fn get_feed(&self, name_key: &str) -> StoreResult<Option<FeedRecord>>;

    /// Replaces a feed's settings (its type cannot change).
    async fn update_feed(&self, id: i64, feed: &FeedSettings) -> StoreResult<FeedRecord>;

    /// Deletes a feed and its package rows (the blobs are swept later).
    async fn delete_feed(&self, id: i64) -> StoreResult<()>;

    /// Records a blob, or renews its lease so the sweep leaves it alone for
    /// a grace period. Call before writing the bytes.
    async fn lease_blob(&self, blob: &BlobInfo) -> StoreResult<()>;

    /// Adds a package version with all its files and an `added` event.
    /// When the version exists it is replaced whole (every file, with an
    /// `overwritten` event) if `overwrite` is set, and refused with
    /// [`AddOutcome::Exists`] otherwise. A qualifier named twice is
    /// [`crate::StoreError::Invalid`].
    async fn add_package(&self, package: &NewPackage, overwrite: bool) -> StoreResult<AddOutcome>;

    /// Adds one file to a package version in one transaction, creating the
    /// version when it is missing (`added` event, dist-tags of
    /// `upload.package` set). A new qualifier is added with a `file-added`
    /// event; a qualifier already stored with the same content changes
    /// nothing ([`AddFileOutcome::FileExists`]), with other content it is
    /// replaced (`file-replaced`) only when `upload.replace` is set.
    /// `upload.package.files` must hold exactly one file
    /// ([`crate::StoreError::Invalid`] otherwise). Every write raises the
    /// feed's package revision; [`crate::StoreError::Conflict`] when the
    /// file's blob is being collected by the sweep. Concurrent uploads of
    /// the same version or file, on any node, each get an outcome.
    async fn add_package_file(&self, upload: &NewFileUpload) -> StoreResult<AddFileOutcome>;

    /// Package versions of a feed matching a query, oldest first, with their files.
    async fn find_packages(&self, feed_id: i64, query: &PackageQuery) -> StoreResult<Vec<PackageRecord>>;

    /// Deletes a package version and writes a `deleted` event; false when it was not there.
    async fn delete_package(&self, package_id: i64, feed_name: &str, user: &str) -> StoreResult<bool>;

    /// Changes a version's listed and deprecated status and writes a
    /// `status-changed` event naming what changed (none when nothing did);
    /// `None` when the version is gone.
    async fn set_package_status(
        &self,
        package_id: i64,
        change: &PackageStatusChange,
        feed_name: &str,
        user: &str,
    ) -> StoreResult<Option<PackageRecord>>;

    /// The dist-tags of a package in a feed, by tag.
    async fn dist_tags(&self, feed_id: i64, group_key: &str, name_key: &str) -> StoreResult<Vec<DistTag>>;

    /// Points a dist-tag at a version the feed holds, with a `dist-tag-set`
    /// event; [`crate::StoreError::NotFound`] when the feed lacks the version.
    async fn set_dist_tag(&self, tag: &NewDistTag) -> StoreResult<DistTag>;

    /// Removes a dist-tag, with a `dist-tag-removed` event on the version it
    /// named; false when there was no such tag.
    async fn delete_dist_tag(
        &self,
        feed_id: i64,
        feed_name: &str,
        group_key: &str,
        name_key: &str,
        tag: &str,
        user: &str,
    ) -> StoreResult<bool>;

    /// Counts one download of a package version.
    async fn count_download(&self, package_id: i64) -> StoreResult<()>;

    /// The history of a package version across all feeds holding one of
    /// `package_types` (every type when empty), oldest first.
    async fn package_events(
        &self,
        package_types: &[String],
        key: &PackageKey,
    ) -> StoreResult<Vec<PackageEvent>>;

    /// Promotes a version in one transaction: copies its package row and
    /// every file row (never the bytes) into the target feed, records the
    /// promotion and writes the `promoted` history event (with the gates'
    /// verdicts). A target already holding the version counts as present
    /// only when its set of files is the same. Concurrent promotions of the same
    /// version leave one copy, and each gets a correct outcome.
    async fn promote(&self, promotion: &NewPromotion) -> StoreResult<PromoteOutcome>;

    /// Writes a `promotion-refused` event on the source version, in the
    /// source feed, with the gates' verdicts;
    /// [`crate::StoreError::NotFound`] when the source version is gone.
    async fn record_promotion_refused(&self, refusal: &PromotionRefusal) -> StoreResult<()>;

    /// Promotion records matching a query, in increasing id order.
    async fn list_promotions(&self, query: &PromotionQuery) -> StoreResult<Vec<PromotionRecord>>;

    /// Blobs no package references whose lease ended before `cutoff_millis`.
    async fn unreferenced_blobs(&self, cutoff_millis: i64, limit: i64) -> StoreResult<Vec<Sha256Digest>>;

    /// Claims a blob for the sweep if it is still unreferenced, unleased
    /// since `cutoff_millis` and not claimed by a live sweep; the claim is
    /// stamped `now_millis`. While claimed, leases wait and the bytes may go.
    async fn claim_blob(
        &self,
        digest: &Sha256Digest,
        cutoff_millis: i64,
        now_millis: i64,
    ) -> StoreResult<bool>;

    /// Claims a stored object that has no row (a placeholder row, claimed at
    /// `now_millis`); false when the blob has a row.
    async fn claim_orphan_blob(&self, digest: &Sha256Digest, now_millis: i64) -> StoreResult<bool>;

    /// Deletes a claimed blob's row once its bytes are gone; false when the
    /// claim stamped `claimed_at` no longer holds it.
    async fn drop_claimed_blob(&self, digest: &Sha256Digest, claimed_at: i64) -> StoreResult<bool>;

    /// Whether a blob row exists.
    async fn blob_known(&self, digest: &Sha256Digest) -> StoreResult<bool>;

    /// Every blob row with its lease, claim and reference count, by digest
    /// (for the consistency check).
    async fn blob_rows(&self) -> StoreResult<Vec<BlobRow>>;

    /// The package versions whose files use a blob (for the consistency check).
    async fn packages_using_blob(&self, sha256: &str) -> StoreResult<Vec<PackageRef>>;

    /// Package versions with no file row (every package type stores one).
    async fn packages_without_files(&self) -> StoreResult<Vec<PackageRef>>;

    /// Package versions with no history event (every change writes one).
    async fn packages_without_history(&self) -> StoreResult<Vec<PackageRef>>;

    /// Dist-tags naming a version their feed does not hold.
    async fn dangling_dist_tags(&self) -> StoreResult<Vec<DanglingTag>>;

    /// Records a deployment and its `deployed` history event in one transaction.
    async fn record_deployment(&self, deployment: &NewDeployment) -> StoreResult<DeploymentRecord>;

    /// Deployment records matching a query, newest first.
    async fn list_deployments(&self, query: &DeploymentQuery) -> StoreResult<Vec<DeploymentRecord>>;

    /// For one package of a feed, the latest deployment to each target
    /// (by target name): where each version runs now.
    async fn deployment_targets(
        &self,
        feed_key: &str,
        group_key: &str,
        name_key: &str,
    ) -> StoreResult<Vec<DeploymentRecord>>;

    /// Takes or renews the lease on a cluster-wide job for `ttl_millis`;
    /// true when `holder` now holds it. A lease runs out on its own, so a node
    /// that dies does not block the job for longer than `ttl_millis`.
    async fn try_lease_job(&self, job: &str, holder: &str, ttl_millis: i64) -> StoreResult<bool>;

    /// Stores a new API key (its hash, never the secret), with an audit entry naming `actor`.
    async fn create_api_key(&self, key: &NewApiKey, actor: &str) -> StoreResult<ApiKeyRecord>;

    /// All API keys, by id.
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>>;

    /// The key whose secret hashes to `key_hash`.
    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>>;

    /// Deletes a key, with an audit entry naming `actor`; false when there was none with that id.
    async fn delete_api_key(&self, id: i64, actor: &str) -> StoreResult<bool>;

    /// How many API keys exist (the bootstrap key is made only when none do).
    async fn count_api_keys(&self) -> StoreResult<i64>;

    /// Creates a connector; [`crate::StoreError::Conflict`] when the name (case-insensitively) is taken.
    async fn create_connector(&self, connector: &ConnectorSettings) -> StoreResult<ConnectorRecord>;

    /// All connectors, by name.
    async fn list_connectors(&self) -> StoreResult<Vec<ConnectorRecord>>;

    /// The connector whose case-folded name is `name_key`.
    async fn get_connector(&self, name_key: &str) -> StoreResult<Option<ConnectorRecord>>;

    /// Replaces a connector's settings (its type cannot change); a rename
    /// shows in the `connectors` of every feed using it.
    async fn update_connector(&self, id: i64, connector: &ConnectorSettings) -> StoreResult<ConnectorRecord>;

    /// Deletes a connector; the feeds using it simply stop listing it.
    async fn delete_connector(&self, id: i64) -> StoreResult<()>;

    /// Records what a node saw of a connector's health.
    async fn record_connector_health(&self, id: i64, health: &ConnectorHealth) -> StoreResult<()>;

    /// One page of a feed's packages (every version of a name folded into
    /// one), sorted by name then group, with the number that matched.
    async fn package_summaries(&self, feed_id: i64, query: &SummaryQuery) -> StoreResult<SummaryPage>;

    /// Every version of the named packages of a feed, without metadata.
    async fn version_briefs(
        &self,
        feed_id: i64,
        packages: &[(String, String)],
    ) -> StoreResult<Vec<VersionBrief>>;

    /// Package versions by row id (any feed), with metadata and files.
    async fn packages_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<PackageRecord>>;

    /// How many packages and versions each feed holds (feeds holding none are left out).
    async fn feed_counts(&self) -> StoreResult<Vec<FeedCounts>>;

    /// Stores a web UI session; expired sessions are removed on the way.
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;

    /// A session by its token's hash, if it is still valid at `now`: not
    /// expired, its user enabled, the password unchanged since sign-in.
    async fn find_session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRecord>>;

    /// Moves a session's end (sliding expiry).
    async fn extend_session(&self, token_hash: &str, expires_at: i64) -> StoreResult<()>;

    /// Ends a session (sign out).
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    /// Puts a blob (leased already) into a repository; refused when the
    /// sweep is collecting it.
    async fn registry_link_blob(&self, at: &RegistryRepository, blob: &RegistryBlob) -> StoreResult<()>;

    /// A blob of a repository by digest (a manifest's bytes count too).
    async fn registry_blob(
        &self,
        feed_id: i64,
        repository: &str,
        digest: &str,
    ) -> StoreResult<Option<RegistryBlob>>;

    /// Takes a blob out of a repository (its bytes stay while anything
    /// else uses them); false when it was not there.
    async fn registry_unlink_blob(&self, feed_id: i64, repository: &str, digest: &str) -> StoreResult<bool>;

    /// Stores a manifest after checking that everything it references is
    /// in the repository, points its tag at it, and adds it to the image of
    /// every tag that reaches its subject; one transaction.
    async fn registry_put_manifest(&self, manifest: &NewRegistryManifest) -> StoreResult<PutManifestOutcome>;

    /// A manifest of a repository by digest.
    async fn registry_manifest(
        &self,
        feed_id: i64,
        repository: &str,
        digest: &str,
    ) -> StoreResult<Option<RegistryManifest>>;

    /// The manifests of a repository whose subject is `subject`, oldest first.
    async fn registry_referrers(
        &self,
        feed_id: i64,
        repository: &str,
        subject: &str,
    ) -> StoreResult<Vec<RegistryManifest>>;

    /// Deletes a manifest and the tags pointing at it (their history says
    /// so); refused while another manifest of the repository references it.
    async fn registry_delete_manifest(
        &self,
        at: &RegistryRepository,
        digest: &str,
        user: &str,
    ) -> StoreResult<DeleteManifestOutcome>;

    /// The tags of a repository with the digest each points at, in tag
    /// order (byte order), after `after` when given, at most `limit`.
    async fn registry_tags(
        &self,
        feed_id: i64,
        repository: &str,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(String, String)>>;

    /// The repositories of a feed that hold a manifest, in order, after
    /// `after` when given, at most `limit`.
    async fn registry_repositories(
        &self,
        feed_id: i64,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<String>>;

    /// Starts a blob upload session.
    async fn registry_start_upload(&self, upload: &RegistryUpload) -> StoreResult<()>;

    /// An upload session with its parts.
    async fn registry_upload(&self, id: &str) -> StoreResult<Option<RegistryUpload>>;

    /// Appends a part (its blob leased already) at `offset`.
    async fn registry_add_upload_part(
        &self,
        id: &str,
        offset: i64,
        sha256: &Sha256Digest,
        size: i64,
    ) -> StoreResult<AddPartOutcome>;

    /// Ends an upload session by putting its blob into the repository;
    /// false when the session is gone.
    async fn registry_finish_upload(&self, id: &str, blob: &RegistryBlob) -> StoreResult<bool>;

    /// Cancels an upload session; false when it is gone.
    async fn registry_cancel_upload(&self, id: &str) -> StoreResult<bool>;

    /// Drops upload sessions idle since `cutoff_millis` (their parts' blobs
    /// become unreferenced) and blobs linked before it that no manifest of
    /// their repository uses; returns how many of each.
    async fn registry_prune(&self, cutoff_millis: i64) -> StoreResult<(u64, u64)>;

    /// Stores a registry bearer token (and drops expired ones).
    async fn create_registry_token(&self, token: &NewRegistryToken) -> StoreResult<()>;

    /// Whom a registry token stands for, while it is valid: not expired,
    /// its key not deleted, its user enabled with the same password.
    async fn find_registry_token(&self, token_hash: &str, now: i64) -> StoreResult<Option<TokenHolder>>;
}
