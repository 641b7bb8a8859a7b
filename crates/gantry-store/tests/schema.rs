//! Migrations of databases that already hold data, on every backend.

use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database};
use gantry_store::{MetadataStore, PackageQuery, SqlStore};

/// Applies the migrations up to and including `version` only.
async fn migrate_to(backend: Backend, pool: &sqlx::AnyPool, version: i64) {
    let mut migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    let older: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect();
    migrator.migrations = older.into();
    migrator.run(pool).await.expect("older migrations");
}

#[tokio::test]
async fn file_rows_stored_before_0013_take_their_versions_publication() {
    sqlx::any::install_default_drivers();
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path()).await;
        let raw = sqlx::AnyPool::connect(&url).await.expect("raw pool");
        migrate_to(backend, &raw, 12).await;
        for statement in [
            "INSERT INTO feeds (name, name_key, feed_type, created_at) VALUES ('f', 'f', 'universal', 1)",
            "INSERT INTO blobs (sha256, size, md5, sha1, sha512, created_at, last_used_at) \
             VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 3, '', '', '', 0, 0)",
            "INSERT INTO packages (feed_id, name, name_key, version, version_key, published_at, published_by) \
             SELECT id, 'old', 'old', '1.0', '1.0', 1234, 'alice' FROM feeds",
            "INSERT INTO package_files (package_id, qualifier, sha256) \
             SELECT id, '', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' FROM packages",
            "INSERT INTO package_files (package_id, qualifier, sha256) \
             SELECT id, 'docs', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' FROM packages",
        ] {
            sqlx::query(statement).execute(&raw).await.expect(statement);
        }
        raw.close().await;

        // Opening the store runs the rest.
        let store = SqlStore::connect(&url, &PoolSettings::default())
            .await
            .expect("store opens");
        let feed = store.get_feed("f").await.expect("read").expect("feed");
        let versions = store
            .find_packages(feed.id, &PackageQuery::default())
            .await
            .expect("find");
        let files: Vec<(&str, &str, i64, &str)> = versions[0]
            .files
            .iter()
            .map(|f| {
                (
                    f.qualifier.as_str(),
                    f.file_name.as_str(),
                    f.added_at,
                    f.added_by.as_str(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [("", "", 1234, "alice"), ("docs", "", 1234, "alice")],
            "{backend:?}"
        );
        store.close().await;
    }
}
