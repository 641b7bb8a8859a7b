//! The SQL metadata store: one implementation for SQLite and PostgreSQL.
//!
//! Queries are written once in the SQL both databases understand (`$N`
//! parameters, `ON CONFLICT`, `RETURNING`, integers for times), and run
//! through sqlx's `Any` driver; each backend has its own migrations. SQLite
//! gets one writer connection (it allows one writer at a time, and a single
//! writer never meets `SQLITE_BUSY` on a lock upgrade) beside a pool of
//! readers; PostgreSQL uses one pool for both.

mod api_keys;
mod blobs;
mod browse;
mod conditions;
mod connectors;
mod consistency;
mod deployments;
mod dist_tags;
mod feeds;
mod packages;
mod promotions;
mod registry;
pub(crate) mod rows;
mod security;
mod sessions;

use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use async_trait::async_trait;
use gantry_core::Sha256Digest;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::blob::BlobInfo;
use crate::metadata::{
    AddFileOutcome, AddOutcome, ApiKeyRecord, ConnectorHealth, ConnectorRecord, ConnectorSettings,
    DeploymentQuery, DeploymentRecord, DistTag, FeedRecord, FeedSettings, MetadataStore, NewApiKey,
    NewDeployment, NewDistTag, NewFileUpload, NewPackage, NewPromotion, PackageEvent, PackageKey,
    PackageQuery, PackageRecord, PackageStatusChange, PromoteOutcome, PromotionQuery, PromotionRecord,
    PromotionRefusal,
};
use crate::metadata::{
    AddPartOutcome, DeleteManifestOutcome, NewRegistryManifest, NewRegistryToken, PutManifestOutcome,
    RegistryBlob, RegistryManifest, RegistryRepository, RegistryUpload, TokenHolder,
};
use crate::metadata::{FeedCounts, NewSession, SessionRecord, SummaryPage, SummaryQuery, VersionBrief};
use crate::metadata::{
    GroupRecord, NewPermission, NewTask, NewUser, PermissionRecord, SecurityDefaults, SecurityEventRecord,
    SecuritySnapshot, SecurityStore, TaskRecord, UserRecord, UserUpdate,
};
use crate::{StoreError, StoreResult};

/// Which database family a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Reads the scheme of a database URL.
    pub fn of_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL '{}': use sqlite://PATH or postgres://...",
                redact_url(url)
            )))
        }
    }
}

/// Pool sizes and timeouts.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Connections in the read pool (and the whole pool on PostgreSQL).
    pub max_connections: u32,
    /// How long a statement may run on PostgreSQL before it is cancelled.
    pub statement_timeout: Duration,
    /// How long to wait for a free connection.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            statement_timeout: Duration::from_secs(30),
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

/// The metadata store over SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlStore {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
}

static INSTALL_DRIVERS: Once = Once::new();

impl SqlStore {
    /// Connects to `url`, creating an SQLite file if needed, and runs the migrations.
    pub async fn connect(url: &str, settings: &PoolSettings) -> StoreResult<Self> {
        let store = Self::open_pools(url, settings).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to an existing database without changing it (for read-only
    /// tools such as `gantry fsck`); [`StoreError::Config`] when its schema
    /// is not the one this version of Gantry writes.
    pub async fn connect_existing(url: &str, settings: &PoolSettings) -> StoreResult<Self> {
        let store = Self::open_pools(url, settings).await?;
        let migrator = match store.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        let expected = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&store.read)
            .await
            .map_err(|e| StoreError::Config(format!("the database holds no Gantry schema ({e})")))?;
        if applied != Some(expected) {
            store.close().await;
            return Err(StoreError::Config(format!(
                "the database schema is at migration {}, this Gantry expects {expected}: \
                 start `gantry serve` of this version once to migrate it",
                applied.unwrap_or(0)
            )));
        }
        Ok(store)
    }

    async fn open_pools(url: &str, settings: &PoolSettings) -> StoreResult<Self> {
        INSTALL_DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::of_url(url)?;
        let options = AnyConnectOptions::from_str(url)?;
        let store = match backend {
            Backend::Sqlite => {
                let write = sqlite_pool(1, settings).connect_with(options.clone()).await?;
                let read = sqlite_pool(settings.max_connections, settings)
                    .connect_with(options)
                    .await?;
                Self { backend, read, write }
            }
            Backend::Postgres => {
                let timeout_ms = settings.statement_timeout.as_millis();
                let pool = AnyPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            conn.execute(format!("SET statement_timeout = {timeout_ms}").as_str())
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                Self {
                    backend,
                    read: pool.clone(),
                    write: pool,
                }
            }
        };
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.write).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.write).await?,
        }
        Ok(())
    }

    /// Which database family this is.
    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// The pool for reads (for whole-store tools such as the migration).
    pub(crate) fn read_pool(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for writes.
    pub(crate) fn write_pool(&self) -> &AnyPool {
        &self.write
    }

    /// Closes every connection (on shutdown).
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

fn sqlite_pool(max: u32, settings: &PoolSettings) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; NORMAL sync is safe with WAL
                // (a crash loses no committed transaction, only an un-synced tail).
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        })
}

/// Hides the password in a database URL, for logs and `config show`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:********@{host}"),
        None => url.to_owned(),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(sqlx::error::DatabaseError::is_unique_violation)
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(sqlx::error::DatabaseError::is_foreign_key_violation)
}

#[async_trait]
impl MetadataStore for SqlStore {
    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn create_feed(&self, feed: &FeedSettings) -> StoreResult<FeedRecord> {
        feeds::create(&self.write, feed).await
    }

    async fn list_feeds(&self) -> StoreResult<Vec<FeedRecord>> {
        feeds::list(&self.read).await
    }

    async fn get_feed(&self, name_key: &str) -> StoreResult<Option<FeedRecord>> {
        feeds::get(&self.read, name_key).await
    }

    async fn update_feed(&self, id: i64, feed: &FeedSettings) -> StoreResult<FeedRecord> {
        feeds::update(&self.write, id, feed).await
    }

    async fn delete_feed(&self, id: i64) -> StoreResult<()> {
        feeds::delete(&self.write, id).await
    }

    async fn lease_blob(&self, blob: &BlobInfo) -> StoreResult<()> {
        blobs::lease(&self.write, blob).await
    }

    async fn add_package(&self, package: &NewPackage, overwrite: bool) -> StoreResult<AddOutcome> {
        packages::add(&self.write, package, overwrite).await
    }

    async fn add_package_file(&self, upload: &NewFileUpload) -> StoreResult<AddFileOutcome> {
        packages::add_file(&self.write, upload).await
    }

    async fn find_packages(&self, feed_id: i64, query: &PackageQuery) -> StoreResult<Vec<PackageRecord>> {
        packages::find(&self.read, feed_id, query).await
    }

    async fn delete_package(&self, package_id: i64, feed_name: &str, user: &str) -> StoreResult<bool> {
        packages::delete(&self.write, package_id, feed_name, user).await
    }

    async fn set_package_status(
        &self,
        package_id: i64,
        change: &PackageStatusChange,
        feed_name: &str,
        user: &str,
    ) -> StoreResult<Option<PackageRecord>> {
        packages::set_status(&self.write, package_id, change, feed_name, user).await
    }

    async fn dist_tags(&self, feed_id: i64, group_key: &str, name_key: &str) -> StoreResult<Vec<DistTag>> {
        dist_tags::list(&self.read, feed_id, group_key, name_key).await
    }

    async fn set_dist_tag(&self, tag: &NewDistTag) -> StoreResult<DistTag> {
        dist_tags::set(&self.write, tag).await
    }

    async fn delete_dist_tag(
        &self,
        feed_id: i64,
        feed_name: &str,
        group_key: &str,
        name_key: &str,
        tag: &str,
        user: &str,
    ) -> StoreResult<bool> {
        dist_tags::delete(&self.write, feed_id, feed_name, group_key, name_key, tag, user).await
    }

    async fn count_download(&self, package_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE packages SET downloads = downloads + 1 WHERE id = $1")
            .bind(package_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn package_events(
        &self,
        package_types: &[String],
        key: &PackageKey,
    ) -> StoreResult<Vec<PackageEvent>> {
        packages::events(&self.read, package_types, key).await
    }

    async fn promote(&self, promotion: &NewPromotion) -> StoreResult<PromoteOutcome> {
        promotions::promote(&self.write, promotion).await
    }

    async fn record_promotion_refused(&self, refusal: &PromotionRefusal) -> StoreResult<()> {
        promotions::record_refusal(&self.write, refusal).await
    }

    async fn list_promotions(&self, query: &PromotionQuery) -> StoreResult<Vec<PromotionRecord>> {
        promotions::list(&self.read, query).await
    }

    async fn unreferenced_blobs(&self, cutoff_millis: i64, limit: i64) -> StoreResult<Vec<Sha256Digest>> {
        blobs::unreferenced(&self.read, cutoff_millis, limit).await
    }

    async fn claim_blob(
        &self,
        digest: &Sha256Digest,
        cutoff_millis: i64,
        now_millis: i64,
    ) -> StoreResult<bool> {
        blobs::claim(&self.write, digest, cutoff_millis, now_millis).await
    }

    async fn claim_orphan_blob(&self, digest: &Sha256Digest, now_millis: i64) -> StoreResult<bool> {
        blobs::claim_orphan(&self.write, digest, now_millis).await
    }

    async fn drop_claimed_blob(&self, digest: &Sha256Digest, claimed_at: i64) -> StoreResult<bool> {
        blobs::drop_claimed(&self.write, digest, claimed_at).await
    }

    async fn blob_known(&self, digest: &Sha256Digest) -> StoreResult<bool> {
        blobs::known(&self.read, digest).await
    }

    async fn blob_rows(&self) -> StoreResult<Vec<crate::metadata::BlobRow>> {
        consistency::blob_rows(&self.read).await
    }

    async fn packages_using_blob(&self, sha256: &str) -> StoreResult<Vec<crate::metadata::PackageRef>> {
        consistency::packages_using_blob(&self.read, sha256).await
    }

    async fn packages_without_files(&self) -> StoreResult<Vec<crate::metadata::PackageRef>> {
        consistency::packages_without_files(&self.read).await
    }

    async fn packages_without_history(&self) -> StoreResult<Vec<crate::metadata::PackageRef>> {
        consistency::packages_without_history(&self.read).await
    }

    async fn dangling_dist_tags(&self) -> StoreResult<Vec<crate::metadata::DanglingTag>> {
        consistency::dangling_dist_tags(&self.read).await
    }

    async fn record_deployment(&self, deployment: &NewDeployment) -> StoreResult<DeploymentRecord> {
        deployments::record(&self.write, deployment).await
    }

    async fn list_deployments(&self, query: &DeploymentQuery) -> StoreResult<Vec<DeploymentRecord>> {
        deployments::list(&self.read, query).await
    }

    async fn deployment_targets(
        &self,
        feed_key: &str,
        group_key: &str,
        name_key: &str,
    ) -> StoreResult<Vec<DeploymentRecord>> {
        deployments::targets(&self.read, feed_key, group_key, name_key).await
    }

    async fn try_lease_job(&self, job: &str, holder: &str, ttl_millis: i64) -> StoreResult<bool> {
        let now = crate::time::now_millis();
        // Insert, or take over a lapsed lease, or renew our own: one atomic
        // statement, so two nodes can never both succeed.
        let done = sqlx::query(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.expires_at < $4 OR job_leases.holder = excluded.holder",
        )
        .bind(job)
        .bind(holder)
        .bind(now + ttl_millis)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_api_key(&self, key: &NewApiKey, actor: &str) -> StoreResult<ApiKeyRecord> {
        api_keys::create(&self.write, key, actor).await
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        api_keys::list(&self.read).await
    }

    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        api_keys::find(&self.read, key_hash).await
    }

    async fn delete_api_key(&self, id: i64, actor: &str) -> StoreResult<bool> {
        api_keys::delete(&self.write, id, actor).await
    }

    async fn count_api_keys(&self) -> StoreResult<i64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys")
            .fetch_one(&self.read)
            .await?;
        Ok(count)
    }

    async fn create_connector(&self, connector: &ConnectorSettings) -> StoreResult<ConnectorRecord> {
        connectors::create(&self.write, connector).await
    }

    async fn list_connectors(&self) -> StoreResult<Vec<ConnectorRecord>> {
        connectors::list(&self.read).await
    }

    async fn get_connector(&self, name_key: &str) -> StoreResult<Option<ConnectorRecord>> {
        connectors::get(&self.read, name_key).await
    }

    async fn update_connector(&self, id: i64, connector: &ConnectorSettings) -> StoreResult<ConnectorRecord> {
        connectors::update(&self.write, id, connector).await
    }

    async fn delete_connector(&self, id: i64) -> StoreResult<()> {
        connectors::delete(&self.write, id).await
    }

    async fn record_connector_health(&self, id: i64, health: &ConnectorHealth) -> StoreResult<()> {
        connectors::record_health(&self.write, id, health).await
    }

    async fn package_summaries(&self, feed_id: i64, query: &SummaryQuery) -> StoreResult<SummaryPage> {
        browse::summaries(&self.read, feed_id, query).await
    }

    async fn version_briefs(
        &self,
        feed_id: i64,
        packages: &[(String, String)],
    ) -> StoreResult<Vec<VersionBrief>> {
        browse::version_briefs(&self.read, feed_id, packages).await
    }

    async fn packages_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<PackageRecord>> {
        browse::by_ids(&self.read, ids).await
    }

    async fn feed_counts(&self) -> StoreResult<Vec<FeedCounts>> {
        browse::feed_counts(&self.read).await
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        sessions::create(&self.write, session).await
    }

    async fn find_session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRecord>> {
        sessions::find(&self.read, token_hash, now).await
    }

    async fn extend_session(&self, token_hash: &str, expires_at: i64) -> StoreResult<()> {
        sessions::extend(&self.write, token_hash, expires_at).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sessions::delete(&self.write, token_hash).await
    }

    async fn registry_link_blob(&self, at: &RegistryRepository, blob: &RegistryBlob) -> StoreResult<()> {
        registry::link_blob(&self.write, at, blob).await
    }

    async fn registry_blob(
        &self,
        feed_id: i64,
        repository: &str,
        digest: &str,
    ) -> StoreResult<Option<RegistryBlob>> {
        registry::blob(&self.read, feed_id, repository, digest).await
    }

    async fn registry_unlink_blob(&self, feed_id: i64, repository: &str, digest: &str) -> StoreResult<bool> {
        registry::unlink_blob(&self.write, feed_id, repository, digest).await
    }

    async fn registry_put_manifest(&self, manifest: &NewRegistryManifest) -> StoreResult<PutManifestOutcome> {
        registry::put_manifest(&self.write, manifest).await
    }

    async fn registry_manifest(
        &self,
        feed_id: i64,
        repository: &str,
        digest: &str,
    ) -> StoreResult<Option<RegistryManifest>> {
        registry::manifest(&self.read, feed_id, repository, digest).await
    }

    async fn registry_referrers(
        &self,
        feed_id: i64,
        repository: &str,
        subject: &str,
    ) -> StoreResult<Vec<RegistryManifest>> {
        registry::referrers(&self.read, feed_id, repository, subject).await
    }

    async fn registry_delete_manifest(
        &self,
        at: &RegistryRepository,
        digest: &str,
        user: &str,
    ) -> StoreResult<DeleteManifestOutcome> {
        registry::delete_manifest(&self.write, at, digest, user).await
    }

    async fn registry_tags(
        &self,
        feed_id: i64,
        repository: &str,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(String, String)>> {
        registry::tags(&self.read, feed_id, repository, after, limit).await
    }

    async fn registry_repositories(
        &self,
        feed_id: i64,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<String>> {
        registry::repositories(&self.read, feed_id, after, limit).await
    }

    async fn registry_start_upload(&self, upload: &RegistryUpload) -> StoreResult<()> {
        registry::start_upload(&self.write, upload).await
    }

    async fn registry_upload(&self, id: &str) -> StoreResult<Option<RegistryUpload>> {
        registry::upload(&self.read, id).await
    }

    async fn registry_add_upload_part(
        &self,
        id: &str,
        offset: i64,
        sha256: &Sha256Digest,
        size: i64,
    ) -> StoreResult<AddPartOutcome> {
        registry::add_upload_part(&self.write, id, offset, sha256, size).await
    }

    async fn registry_finish_upload(&self, id: &str, blob: &RegistryBlob) -> StoreResult<bool> {
        registry::finish_upload(&self.write, id, blob).await
    }

    async fn registry_cancel_upload(&self, id: &str) -> StoreResult<bool> {
        registry::cancel_upload(&self.write, id).await
    }

    async fn registry_prune(&self, cutoff_millis: i64) -> StoreResult<(u64, u64)> {
        registry::prune(&self.write, cutoff_millis).await
    }

    async fn create_registry_token(&self, token: &NewRegistryToken) -> StoreResult<()> {
        registry::create_token(&self.write, token).await
    }

    async fn find_registry_token(&self, token_hash: &str, now: i64) -> StoreResult<Option<TokenHolder>> {
        registry::find_token(&self.read, token_hash, now).await
    }
}

#[async_trait]
impl SecurityStore for SqlStore {
    async fn security_version(&self) -> StoreResult<i64> {
        security::version(&self.read).await
    }

    async fn security_snapshot(&self) -> StoreResult<SecuritySnapshot> {
        security::snapshot(&self.read).await
    }

    async fn seed_security(&self, defaults: &SecurityDefaults) -> StoreResult<bool> {
        security::seed(&self.write, defaults).await
    }

    async fn count_users(&self) -> StoreResult<i64> {
        security::count_users(&self.read).await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        security::list_users(&self.read).await
    }

    async fn find_user(&self, name_key: &str) -> StoreResult<Option<(UserRecord, String)>> {
        security::find_user(&self.read, name_key).await
    }

    async fn create_user(&self, user: &NewUser, actor: &str) -> StoreResult<UserRecord> {
        security::create_user(&self.write, user, actor).await
    }

    async fn update_user(&self, name_key: &str, update: &UserUpdate, actor: &str) -> StoreResult<UserRecord> {
        security::update_user(&self.write, name_key, update, actor).await
    }

    async fn delete_user(&self, name_key: &str, actor: &str) -> StoreResult<bool> {
        security::delete_user(&self.write, name_key, actor).await
    }

    async fn list_groups(&self) -> StoreResult<Vec<GroupRecord>> {
        security::list_groups(&self.read).await
    }

    async fn create_group(&self, name: &str, members: &[String], actor: &str) -> StoreResult<GroupRecord> {
        security::create_group(&self.write, name, members, actor).await
    }

    async fn set_group_members(
        &self,
        name_key: &str,
        members: &[String],
        actor: &str,
    ) -> StoreResult<GroupRecord> {
        security::set_group_members(&self.write, name_key, members, actor).await
    }

    async fn change_group_member(
        &self,
        group_key: &str,
        user_key: &str,
        add: bool,
        actor: &str,
    ) -> StoreResult<GroupRecord> {
        security::change_group_member(&self.write, group_key, user_key, add, actor).await
    }

    async fn delete_group(&self, name_key: &str, actor: &str) -> StoreResult<bool> {
        security::delete_group(&self.write, name_key, actor).await
    }

    async fn list_tasks(&self) -> StoreResult<Vec<TaskRecord>> {
        security::list_tasks(&self.read).await
    }

    async fn save_task(&self, task: &NewTask, replace: bool, actor: &str) -> StoreResult<TaskRecord> {
        security::save_task(&self.write, task, replace, actor).await
    }

    async fn delete_task(&self, name_key: &str, actor: &str) -> StoreResult<bool> {
        security::delete_task(&self.write, name_key, actor).await
    }

    async fn list_permissions(&self) -> StoreResult<Vec<PermissionRecord>> {
        security::list_permissions(&self.read).await
    }

    async fn add_permission(&self, permission: &NewPermission, actor: &str) -> StoreResult<PermissionRecord> {
        security::add_permission(&self.write, permission, actor).await
    }

    async fn delete_permission(&self, id: i64, actor: &str) -> StoreResult<bool> {
        security::delete_permission(&self.write, id, actor).await
    }

    async fn list_security_events(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<SecurityEventRecord>> {
        security::list_events(&self.read, before, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_password_only() {
        assert_eq!(
            redact_url("postgres://gantry:s3cret@db:5432/g"),
            "postgres://gantry:********@db:5432/g"
        );
        assert_eq!(redact_url("postgres://gantry@db/g"), "postgres://gantry@db/g");
        assert_eq!(redact_url("sqlite://./gantry.db"), "sqlite://./gantry.db");
    }
}
