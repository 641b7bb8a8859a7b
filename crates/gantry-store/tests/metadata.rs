//! The metadata store's behaviour, run on every configured backend.

use gantry_core::{FeedUsage, Sha256Digest};
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::{
    AddOutcome, BlobInfo, FeedSettings, MetadataStore, NewApiKey, NewPackage, PackageKey, PackageQuery,
    PackageStatusChange, SecurityStore, SqlStore, StoreError,
};

struct Fixture {
    store: SqlStore,
    _dir: tempfile::TempDir,
}

async fn open(backend: Backend) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, dir.path()).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store opens");
    Fixture { store, _dir: dir }
}

fn feed(name: &str) -> FeedSettings {
    universal_feed(name)
}

fn blob(byte: u8) -> BlobInfo {
    BlobInfo {
        sha256: Sha256Digest::from_bytes([byte; 32]),
        size: 10,
        md5: "m".into(),
        sha1: "s1".into(),
        sha512: "s5".into(),
    }
}

fn package(feed_id: i64, version: &str, digest: &Sha256Digest) -> NewPackage {
    NewPackage {
        feed_id,
        feed_name: "f".into(),
        package_type: "upack".into(),
        group: "Acme/Tools".into(),
        name: "Hammer".into(),
        version: version.into(),
        key: PackageKey {
            group_key: "acme/tools".into(),
            name_key: "hammer".into(),
            version_key: version.to_ascii_lowercase(),
        },
        published_by: "SYSTEM".into(),
        metadata: serde_json::json!({"name": "Hammer"}),
        files: vec![(String::new(), digest.clone())],
        dist_tags: vec![],
        connector: None,
    }
}

#[tokio::test]
async fn feeds_are_unique_case_insensitively_and_round_trip() {
    for backend in backends() {
        let f = open(backend).await;
        let created = f.store.create_feed(&feed("Approved")).await.expect("created");
        assert_eq!(created.settings.name, "Approved");
        assert!(created.settings.active);
        assert!(matches!(
            f.store.create_feed(&feed("APPROVED")).await,
            Err(StoreError::Conflict(_))
        ));

        let mut dev = feed("dev");
        dev.promote_to_feed_id = Some(created.id);
        dev.usage = FeedUsage::Private;
        let dev = f.store.create_feed(&dev).await.expect("dev created");
        assert_eq!(dev.promote_to_feed.as_deref(), Some("Approved"));
        assert_eq!(dev.settings.usage, FeedUsage::Private);

        let found = f
            .store
            .get_feed("approved")
            .await
            .expect("read")
            .expect("present");
        assert_eq!(found, created);
        assert_eq!(f.store.list_feeds().await.expect("list").len(), 2);

        // The pipeline target cannot be deleted while a feed points at it.
        assert!(matches!(
            f.store.delete_feed(created.id).await,
            Err(StoreError::Conflict(_))
        ));
        let mut renamed = dev.settings.clone();
        renamed.name = "approved".into();
        assert!(matches!(
            f.store.update_feed(dev.id, &renamed).await,
            Err(StoreError::Conflict(_))
        ));
        renamed.name = "development".into();
        renamed.active = false;
        let updated = f.store.update_feed(dev.id, &renamed).await.expect("updated");
        assert!(!updated.settings.active);
        f.store.delete_feed(dev.id).await.expect("deleted");
        assert!(f.store.get_feed("development").await.expect("read").is_none());
    }
}

#[tokio::test]
async fn packages_add_find_overwrite_delete_with_history() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let b1 = blob(1);
        let b2 = blob(2);
        f.store.lease_blob(&b1).await.expect("lease");
        f.store.lease_blob(&b2).await.expect("lease");

        let added = f
            .store
            .add_package(&package(fd.id, "1.0.0", &b1.sha256), false)
            .await
            .expect("add");
        let AddOutcome::Added(record) = added else {
            panic!("expected Added, got {added:?}")
        };
        assert_eq!(record.files.len(), 1);
        assert_eq!(record.files[0].sha256, b1.sha256);
        assert_eq!(record.size(), 10);
        assert!(record.listed);

        let again = f
            .store
            .add_package(&package(fd.id, "1.0.0", &b2.sha256), false)
            .await
            .expect("add");
        assert!(matches!(again, AddOutcome::Exists));
        let replaced = f
            .store
            .add_package(&package(fd.id, "1.0.0", &b2.sha256), true)
            .await
            .expect("add");
        let AddOutcome::Replaced(record) = replaced else {
            panic!("expected Replaced")
        };
        assert_eq!(record.files[0].sha256, b2.sha256);

        f.store
            .add_package(&package(fd.id, "2.0.0-RC", &b1.sha256), false)
            .await
            .expect("add");
        let all = f
            .store
            .find_packages(fd.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(all.len(), 2);
        let by_version = PackageQuery {
            name_key: Some("hammer".into()),
            group_key: Some("acme/tools".into()),
            version_key: Some("2.0.0-rc".into()),
        };
        let found = f.store.find_packages(fd.id, &by_version).await.expect("find");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].version, "2.0.0-RC");

        f.store.count_download(found[0].id).await.expect("count");
        let found = f.store.find_packages(fd.id, &by_version).await.expect("find");
        assert_eq!(found[0].downloads, 1);

        // b1 is still used by 2.0.0-RC; nothing is unreferenced yet.
        assert!(f
            .store
            .unreferenced_blobs(i64::MAX, 10)
            .await
            .expect("query")
            .is_empty());
        assert!(f
            .store
            .delete_package(found[0].id, "f", "tester")
            .await
            .expect("delete"));
        assert!(!f
            .store
            .delete_package(found[0].id, "f", "tester")
            .await
            .expect("delete"));
        assert_eq!(
            f.store.unreferenced_blobs(i64::MAX, 10).await.expect("query"),
            vec![b1.sha256.clone()]
        );
        // A lease newer than the cutoff protects the blob.
        assert!(!f.store.claim_blob(&b1.sha256, 0, 1).await.expect("claim"));
        assert!(f.store.claim_blob(&b1.sha256, i64::MAX, 1).await.expect("claim"));
        assert!(
            !f.store.drop_claimed_blob(&b1.sha256, 2).await.expect("drop"),
            "another claim's stamp"
        );
        assert!(f.store.drop_claimed_blob(&b1.sha256, 1).await.expect("drop"));
        assert!(!f.store.blob_known(&b1.sha256).await.expect("known"));

        let history = f.store.package_events(&[], &found[0].key).await.expect("events");
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["added", "deleted"]);
        assert_eq!(history[1].user_name, "tester");
        let first = package(fd.id, "1.0.0", &b1.sha256).key;
        let kinds: Vec<String> = f
            .store
            .package_events(&["upack".to_owned()], &first)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["added", "overwritten"]);
    }
}

async fn revision(store: &SqlStore) -> i64 {
    store
        .get_feed("f")
        .await
        .expect("read")
        .expect("feed")
        .package_revision
}

#[tokio::test]
async fn status_changes_are_stored_with_one_event_each() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let b1 = blob(1);
        f.store.lease_blob(&b1).await.expect("lease");
        let AddOutcome::Added(record) = f
            .store
            .add_package(&package(fd.id, "1.0.0", &b1.sha256), false)
            .await
            .expect("add")
        else {
            panic!("expected Added")
        };
        assert!(!record.deprecated);

        let change = PackageStatusChange {
            listed: Some(false),
            deprecated: Some(true),
            deprecation_reason: Some("use 2.x".into()),
        };
        let after = f
            .store
            .set_package_status(record.id, &change, "f", "alice")
            .await
            .expect("set")
            .expect("exists");
        assert_eq!(
            (after.listed, after.deprecated, after.deprecation_reason.as_str()),
            (false, true, "use 2.x")
        );
        assert_eq!(
            revision(&f.store).await,
            2,
            "{backend:?}: publish and status change each raise it"
        );
        // The same change again is no change, and writes no event.
        f.store
            .set_package_status(record.id, &change, "f", "alice")
            .await
            .expect("set");
        assert_eq!(
            revision(&f.store).await,
            2,
            "{backend:?}: no change, same revision"
        );
        // Undeprecating clears the reason; listing is left alone.
        let undeprecate = PackageStatusChange {
            deprecated: Some(false),
            ..PackageStatusChange::default()
        };
        let after = f
            .store
            .set_package_status(record.id, &undeprecate, "f", "bob")
            .await
            .expect("set")
            .expect("exists");
        assert_eq!(
            (after.listed, after.deprecated, after.deprecation_reason.as_str()),
            (false, false, "")
        );

        let events = f.store.package_events(&[], &record.key).await.expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["added", "status-changed", "status-changed"],
            "{backend:?}"
        );
        assert_eq!(
            events[1].details,
            serde_json::json!({"listed": false, "deprecated": true, "deprecationReason": "use 2.x"})
        );
        assert_eq!(events[2].user_name, "bob");
        assert_eq!(
            events[2].details,
            serde_json::json!({"deprecated": false, "deprecationReason": ""})
        );
        assert!(f
            .store
            .delete_package(record.id, "f", "carol")
            .await
            .expect("delete"));
        assert_eq!(
            revision(&f.store).await,
            4,
            "{backend:?}: undeprecate and delete raise it"
        );
        assert!(f
            .store
            .set_package_status(i64::MAX, &change, "f", "alice")
            .await
            .expect("set")
            .is_none());
    }
}

#[tokio::test]
async fn a_file_row_cannot_point_at_an_unknown_blob() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let result = f
            .store
            .add_package(&package(fd.id, "1.0.0", &blob(9).sha256), false)
            .await;
        assert!(
            result.is_err(),
            "{backend:?}: a package must not reference a blob the store does not know"
        );
        assert!(f
            .store
            .find_packages(fd.id, &PackageQuery::default())
            .await
            .expect("find")
            .is_empty());
    }
}

#[tokio::test]
async fn api_keys_round_trip_by_hash() {
    for backend in backends() {
        let f = open(backend).await;
        assert_eq!(f.store.count_api_keys().await.expect("count"), 0);
        // A feed key belongs to an existing feed.
        f.store.create_feed(&feed("Approved")).await.expect("feed");
        let key = f
            .store
            .create_api_key(
                &NewApiKey {
                    key_hash: "h1".into(),
                    key_type: "feed".into(),
                    display_name: "ci".into(),
                    description: String::new(),
                    system_apis: vec![],
                    package_permissions: vec!["view".into(), "promote".into()],
                    feed_name: Some("approved".into()),
                    user_name: None,
                    expires_at: Some(42),
                },
                "tester",
            )
            .await
            .expect("created");
        assert_eq!(key.package_permissions, ["view", "promote"]);
        assert_eq!(f.store.find_api_key("h1").await.expect("find"), Some(key.clone()));
        assert_eq!(f.store.find_api_key("h2").await.expect("find"), None);
        assert_eq!(f.store.list_api_keys().await.expect("list"), vec![key.clone()]);
        assert!(f.store.delete_api_key(key.id, "tester").await.expect("delete"));
        assert!(!f.store.delete_api_key(key.id, "tester").await.expect("delete"));
        let audit = f.store.list_security_events(None, 10).await.expect("audit");
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["api-key.deleted", "api-key.created"]);
        assert!(audit
            .iter()
            .all(|e| e.actor == "tester" && e.subject.contains("feed key")));
    }
}

#[tokio::test]
async fn job_leases_go_to_one_holder_until_they_lapse() {
    for backend in backends() {
        let f = open(backend).await;
        assert!(f
            .store
            .try_lease_job("sweep", "node-a", 60_000)
            .await
            .expect("lease"));
        assert!(
            !f.store
                .try_lease_job("sweep", "node-b", 60_000)
                .await
                .expect("lease"),
            "{backend:?}"
        );
        assert!(
            f.store
                .try_lease_job("sweep", "node-a", 60_000)
                .await
                .expect("renew"),
            "{backend:?}"
        );
        assert!(f
            .store
            .try_lease_job("other-job", "node-b", 60_000)
            .await
            .expect("lease"));
        // A lapsed lease (here: one that ran out at once) can be taken over.
        assert!(f.store.try_lease_job("short", "node-a", -1).await.expect("lease"));
        assert!(
            f.store
                .try_lease_job("short", "node-b", 60_000)
                .await
                .expect("take over"),
            "{backend:?}"
        );
    }
}
