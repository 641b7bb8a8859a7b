//! `gantry migrate` at the store level: SQLite → PostgreSQL → SQLite keeps
//! every version with every file row (names, times, publishers) and every
//! history event. Needs PostgreSQL by design; skipped without it.

use std::path::Path;

use gantry_store::migrate::migrate;
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::{
    AddFileOutcome, AddOutcome, BlobStore, MetadataOnAdd, MetadataStore, NewFileUpload, NewPackage,
    NewPackageFile, NewPromotion, PackageEvent, PackageKey, PackageQuery, PackageRecord, PromoteOutcome,
    SqlStore,
};

struct Deployment {
    store: SqlStore,
    blobs: BlobStore,
}

async fn deployment(backend: Backend, dir: &Path) -> Deployment {
    let url = fresh_database(backend, dir).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store opens");
    let blobs = BlobStore::local(&dir.join("data"), &dir.join("tmp")).expect("blobs");
    Deployment { store, blobs }
}

fn lib(
    feed_id: i64,
    feed_name: &str,
    qualifier: &str,
    file_name: &str,
    sha256: gantry_core::Sha256Digest,
) -> NewPackage {
    NewPackage {
        feed_id,
        feed_name: feed_name.into(),
        package_type: "upack".into(),
        group: "acme".into(),
        name: "lib".into(),
        version: "2.0.0".into(),
        key: PackageKey {
            group_key: "acme".into(),
            name_key: "lib".into(),
            version_key: "2.0.0".into(),
        },
        published_by: "builder".into(),
        metadata: serde_json::json!({"name": "lib"}),
        files: vec![NewPackageFile {
            qualifier: qualifier.into(),
            file_name: file_name.into(),
            sha256,
        }],
        dist_tags: vec!["latest".into()],
        connector: None,
    }
}

impl Deployment {
    async fn store_bytes(&self, bytes: &[u8]) -> gantry_core::Sha256Digest {
        let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(bytes))]);
        let staged = self.blobs.stage(body, 1 << 20).await.expect("staged");
        self.store.lease_blob(staged.info()).await.expect("lease");
        self.blobs.commit(staged).await.expect("commit").sha256
    }

    /// Every feed's versions, and the history of acme/lib 2.0.0.
    async fn contents(&self) -> (Vec<Vec<PackageRecord>>, Vec<PackageEvent>) {
        let mut versions = Vec::new();
        for feed in self.store.list_feeds().await.expect("feeds") {
            versions.push(
                self.store
                    .find_packages(feed.id, &PackageQuery::default())
                    .await
                    .expect("find"),
            );
        }
        let key = PackageKey {
            group_key: "acme".into(),
            name_key: "lib".into(),
            version_key: "2.0.0".into(),
        };
        let events = self.store.package_events(&[], &key).await.expect("events");
        (versions, events)
    }
}

#[tokio::test]
async fn versions_of_many_files_survive_a_round_trip_through_postgres() {
    if !backends().contains(&Backend::Postgres) {
        eprintln!("skipped: migrating to PostgreSQL needs PostgreSQL (GANTRY_TEST_BACKENDS has no postgres)");
        return;
    }
    let (dir_a, dir_b, dir_c) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let a = deployment(Backend::Sqlite, dir_a.path()).await;
    let dev = a.store.create_feed(&universal_feed("dev")).await.expect("feed");
    let rc = a.store.create_feed(&universal_feed("rc")).await.expect("feed");

    // Published whole with one file, then a second file by its own request.
    let package = a.store_bytes(b"the package").await;
    let AddOutcome::Added(_) = a
        .store
        .add_package(&lib(dev.id, "dev", "", "lib-2.0.0.upack", package), false)
        .await
        .expect("add")
    else {
        panic!("expected Added")
    };
    let sources = a.store_bytes(b"the sources").await;
    let outcome = a
        .store
        .add_package_file(&NewFileUpload {
            package: lib(dev.id, "dev", "sources", "lib-2.0.0-sources.zip", sources),
            replace: false,
            metadata: MetadataOnAdd::KeepExisting,
        })
        .await
        .expect("add file");
    let AddFileOutcome::FileAdded(source) = outcome else {
        panic!("expected FileAdded, got {outcome:?}")
    };
    assert_eq!(source.files.len(), 2);
    let promoted = a
        .store
        .promote(&NewPromotion {
            source_package_id: source.id,
            from_feed: "dev".into(),
            to_feed_id: rc.id,
            to_feed: "rc".into(),
            package_type: "upack".into(),
            user: "alice".into(),
            comments: String::new(),
            tag_moves: vec![],
            gates: vec![],
        })
        .await
        .expect("promote");
    assert!(matches!(promoted, PromoteOutcome::Copied { .. }));
    let before = a.contents().await;
    assert_eq!(before.0[1][0].files, source.files, "rc holds both files");

    let b = deployment(Backend::Postgres, dir_b.path()).await;
    migrate(&a.store, &a.blobs, &b.store, &b.blobs, &mut |_| {})
        .await
        .expect("to PostgreSQL");
    assert_eq!(b.contents().await, before, "PostgreSQL holds what SQLite did");

    let c = deployment(Backend::Sqlite, dir_c.path()).await;
    migrate(&b.store, &b.blobs, &c.store, &c.blobs, &mut |_| {})
        .await
        .expect("back to SQLite");
    assert_eq!(c.contents().await, before, "and back");
}
