//! The metadata store's behaviour, run on every configured backend.

use gantry_core::{FeedUsage, Sha256Digest};
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::time::now_millis;
use gantry_store::{
    AddFileOutcome, AddOutcome, BlobInfo, EventKind, FeedSettings, MetadataOnAdd, MetadataStore, NewApiKey,
    NewFileUpload, NewPackage, NewPackageFile, PackageKey, PackageQuery, PackageRecord, PackageStatusChange,
    SecurityStore, SqlStore, StoreError,
};

struct Fixture {
    store: SqlStore,
    url: String,
    _dir: tempfile::TempDir,
}

async fn open(backend: Backend) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, dir.path()).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store opens");
    Fixture {
        store,
        url,
        _dir: dir,
    }
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
        files: vec![NewPackageFile {
            qualifier: String::new(),
            file_name: "package.upack".into(),
            sha256: digest.clone(),
        }],
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
            .map(|e| e.kind.to_string())
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

/// One file of `widget` `version` to add by itself, as `user`.
fn upload(feed_id: i64, version: &str, qualifier: &str, digest: &Sha256Digest, user: &str) -> NewFileUpload {
    let suffix = if qualifier.is_empty() {
        ".jar".to_owned()
    } else {
        format!("-{qualifier}.jar")
    };
    NewFileUpload {
        package: NewPackage {
            feed_id,
            feed_name: "f".into(),
            package_type: "upack".into(),
            group: "Acme".into(),
            name: "Widget".into(),
            version: version.into(),
            key: PackageKey {
                group_key: "acme".into(),
                name_key: "widget".into(),
                version_key: version.to_ascii_lowercase(),
            },
            published_by: user.into(),
            metadata: serde_json::json!({"from": qualifier}),
            files: vec![NewPackageFile {
                qualifier: qualifier.into(),
                file_name: format!("widget-{version}{suffix}"),
                sha256: digest.clone(),
            }],
            dist_tags: vec![],
            connector: None,
        },
        replace: false,
        metadata: MetadataOnAdd::KeepExisting,
    }
}

/// The qualifier, digest and adder of each file, by qualifier.
fn files_of(record: &PackageRecord) -> Vec<(String, Sha256Digest, String)> {
    record
        .files
        .iter()
        .map(|f| (f.qualifier.clone(), f.sha256.clone(), f.added_by.clone()))
        .collect()
}

#[tokio::test]
async fn files_are_added_one_request_at_a_time() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let blobs: Vec<BlobInfo> = (1..=4).map(blob).collect();
        for b in &blobs {
            f.store.lease_blob(b).await.expect("lease");
        }
        let (b1, b2, b3, b4) = (
            &blobs[0].sha256,
            &blobs[1].sha256,
            &blobs[2].sha256,
            &blobs[3].sha256,
        );

        // The first file creates the version, with its dist-tags.
        let mut jar = upload(fd.id, "1.0", "", b1, "alice");
        jar.package.dist_tags = vec!["latest".into()];
        let outcome = f.store.add_package_file(&jar).await.expect("add");
        let AddFileOutcome::Created(created) = outcome else {
            panic!("{backend:?}: expected Created, got {outcome:?}")
        };
        assert_eq!(created.files.len(), 1);
        assert_eq!(created.files[0].file_name, "widget-1.0.jar");
        assert_eq!(created.files[0].added_by, "alice");
        assert!(created.files[0].added_at > 0);
        assert_eq!(created.metadata, serde_json::json!({"from": ""}));
        assert_eq!(revision(&f.store).await, 1, "{backend:?}");

        // A new qualifier is added; its metadata replaces the version's when asked.
        let mut pom = upload(fd.id, "1.0", "pom", b2, "bob");
        pom.metadata = MetadataOnAdd::Replace;
        pom.package.dist_tags = vec!["next".into()];
        let outcome = f.store.add_package_file(&pom).await.expect("add");
        let AddFileOutcome::FileAdded(added) = outcome else {
            panic!("{backend:?}: expected FileAdded, got {outcome:?}")
        };
        assert_eq!(added.id, created.id);
        assert_eq!(
            files_of(&added),
            [
                (String::new(), b1.clone(), "alice".to_owned()),
                ("pom".to_owned(), b2.clone(), "bob".to_owned()),
            ]
        );
        assert_eq!(added.metadata, serde_json::json!({"from": "pom"}));
        assert_eq!(revision(&f.store).await, 2, "{backend:?}");
        let tags = f.store.dist_tags(fd.id, "acme", "widget").await.expect("tags");
        let tags: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(
            tags,
            ["latest"],
            "{backend:?}: tags are set only when the version is created"
        );

        // Metadata of a later file is kept out unless asked for.
        let sources = upload(fd.id, "1.0", "sources", b3, "bob");
        let outcome = f.store.add_package_file(&sources).await.expect("add");
        let AddFileOutcome::FileAdded(added) = outcome else {
            panic!("{backend:?}: expected FileAdded, got {outcome:?}")
        };
        assert_eq!(added.files.len(), 3);
        assert_eq!(added.metadata, serde_json::json!({"from": "pom"}));
        assert_eq!(added.size(), 30);

        // The same content again, even with replacing allowed: nothing changes.
        pom.replace = true;
        let outcome = f.store.add_package_file(&pom).await.expect("add");
        assert!(
            matches!(&outcome, AddFileOutcome::FileExists(r) if r.files == added.files),
            "{backend:?}: {outcome:?}"
        );
        // Other content without replacing: nothing changes either.
        let other = upload(fd.id, "1.0", "pom", b4, "carol");
        let outcome = f.store.add_package_file(&other).await.expect("add");
        assert!(
            matches!(&outcome, AddFileOutcome::FileExists(r) if r.files == added.files),
            "{backend:?}: {outcome:?}"
        );
        assert_eq!(
            revision(&f.store).await,
            3,
            "{backend:?}: no write, no new revision"
        );

        // Other content with replacing: only that file changes.
        let mut other = other;
        other.replace = true;
        let outcome = f.store.add_package_file(&other).await.expect("add");
        let AddFileOutcome::FileReplaced(replaced) = outcome else {
            panic!("{backend:?}: expected FileReplaced, got {outcome:?}")
        };
        assert_eq!(
            files_of(&replaced),
            [
                (String::new(), b1.clone(), "alice".to_owned()),
                ("pom".to_owned(), b4.clone(), "carol".to_owned()),
                ("sources".to_owned(), b3.clone(), "bob".to_owned()),
            ]
        );
        assert_eq!(replaced.metadata, serde_json::json!({"from": "pom"}));
        assert_eq!(revision(&f.store).await, 4, "{backend:?}");

        let events = f.store.package_events(&[], &created.key).await.expect("events");
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Added,
                EventKind::FileAdded,
                EventKind::FileAdded,
                EventKind::FileReplaced
            ],
            "{backend:?}"
        );
        assert_eq!(events[0].details, serde_json::json!({"file": "widget-1.0.jar"}));
        assert_eq!(events[0].user_name, "alice");
        assert_eq!(
            events[1].details,
            serde_json::json!({"file": "widget-1.0-pom.jar", "qualifier": "pom", "sha256": b2.as_str(), "size": 10})
        );
        assert_eq!(
            events[3].details,
            serde_json::json!({
                "file": "widget-1.0-pom.jar",
                "qualifier": "pom",
                "sha256": b4.as_str(),
                "size": 10,
                "previousSha256": b2.as_str(),
            })
        );
        assert_eq!(events[3].user_name, "carol");

        // b2 is no longer used: the replaced file's blob is the sweep's.
        assert_eq!(
            f.store.unreferenced_blobs(i64::MAX, 10).await.expect("query"),
            vec![b2.clone()]
        );
    }
}

#[tokio::test]
async fn a_file_upload_names_its_connector_and_carries_one_file() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let b1 = blob(1);
        f.store.lease_blob(&b1).await.expect("lease");
        let mut cached = upload(fd.id, "2.0", "", &b1.sha256, "SYSTEM");
        cached.package.connector = Some("central".into());
        let outcome = f.store.add_package_file(&cached).await.expect("add");
        let AddFileOutcome::Created(record) = outcome else {
            panic!("{backend:?}: expected Created, got {outcome:?}")
        };
        let events = f.store.package_events(&[], &record.key).await.expect("events");
        assert_eq!(
            events[0].details,
            serde_json::json!({"file": "widget-2.0.jar", "connector": "central"})
        );

        let mut none = upload(fd.id, "3.0", "", &b1.sha256, "bob");
        none.package.files.clear();
        assert!(matches!(
            f.store.add_package_file(&none).await,
            Err(StoreError::Invalid(_))
        ));
        let mut two = upload(fd.id, "3.0", "", &b1.sha256, "bob");
        two.package.files.push(NewPackageFile {
            qualifier: "pom".into(),
            file_name: "widget-3.0.pom".into(),
            sha256: b1.sha256.clone(),
        });
        assert!(matches!(
            f.store.add_package_file(&two).await,
            Err(StoreError::Invalid(_))
        ));
        // A qualifier twice in one whole version is refused as well.
        let mut twice = package(fd.id, "4.0", &b1.sha256);
        twice.files.push(twice.files[0].clone());
        assert!(matches!(
            f.store.add_package(&twice, false).await,
            Err(StoreError::Invalid(_))
        ));
        let versions = f
            .store
            .find_packages(fd.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(versions.len(), 1, "{backend:?}");
    }
}

#[tokio::test]
async fn a_file_whose_blob_is_being_collected_is_refused() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let (b1, b2) = (blob(1), blob(2));
        f.store.lease_blob(&b1).await.expect("lease");
        f.store.lease_blob(&b2).await.expect("lease");
        assert!(f
            .store
            .claim_blob(&b2.sha256, i64::MAX, now_millis())
            .await
            .expect("claim"));

        // Neither a new version nor a new file of an existing one.
        let result = f
            .store
            .add_package_file(&upload(fd.id, "1.0", "", &b2.sha256, "alice"))
            .await;
        assert!(
            matches!(result, Err(StoreError::Conflict(_))),
            "{backend:?}: {result:?}"
        );
        assert!(f
            .store
            .find_packages(fd.id, &PackageQuery::default())
            .await
            .expect("find")
            .is_empty());
        f.store
            .add_package_file(&upload(fd.id, "1.0", "", &b1.sha256, "alice"))
            .await
            .expect("add");
        let result = f
            .store
            .add_package_file(&upload(fd.id, "1.0", "pom", &b2.sha256, "alice"))
            .await;
        assert!(
            matches!(result, Err(StoreError::Conflict(_))),
            "{backend:?}: {result:?}"
        );
        let versions = f
            .store
            .find_packages(fd.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(versions[0].files.len(), 1, "{backend:?}");
        assert_eq!(revision(&f.store).await, 1, "{backend:?}");
    }
}

#[tokio::test]
async fn concurrent_file_uploads_each_get_an_outcome() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let blobs: Vec<BlobInfo> = (1..=8).map(blob).collect();
        for b in &blobs {
            f.store.lease_blob(b).await.expect("lease");
        }

        // Eight files of a version nobody has created yet, all at once.
        let tasks: Vec<_> = blobs
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let store = f.store.clone();
                let upload = upload(fd.id, "1.0", &format!("part{i}"), &b.sha256, "ci");
                tokio::spawn(async move { store.add_package_file(&upload).await })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.expect("task").expect("no error") {
                AddFileOutcome::Created(_) => created += 1,
                AddFileOutcome::FileAdded(_) => {}
                other => panic!("{backend:?}: {other:?}"),
            }
        }
        assert_eq!(created, 1, "{backend:?}: one upload creates the version");
        let versions = f
            .store
            .find_packages(fd.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].files.len(), 8, "{backend:?}");
        let events = f
            .store
            .package_events(&[], &versions[0].key)
            .await
            .expect("events");
        assert_eq!(events.len(), 8);
        assert_eq!(
            events.iter().filter(|e| e.kind == EventKind::Added).count(),
            1,
            "{backend:?}"
        );

        // Eight different contents for one qualifier of a new version: one wins.
        let tasks: Vec<_> = blobs
            .iter()
            .map(|b| {
                let store = f.store.clone();
                let upload = upload(fd.id, "2.0", "", &b.sha256, "ci");
                tokio::spawn(async move { store.add_package_file(&upload).await })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.expect("task").expect("no error") {
                AddFileOutcome::Created(r) => winners.push(r.files[0].sha256.clone()),
                AddFileOutcome::FileExists(r) => assert_eq!(r.files.len(), 1, "{backend:?}"),
                other => panic!("{backend:?}: {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "{backend:?}");
        let found = f
            .store
            .find_packages(
                fd.id,
                &PackageQuery {
                    version_key: Some("2.0".into()),
                    ..PackageQuery::default()
                },
            )
            .await
            .expect("find");
        assert_eq!(found[0].files[0].sha256, winners[0], "{backend:?}");

        // One qualifier of an existing version, with replacing allowed: every
        // upload succeeds, and the file holds one of them.
        let tasks: Vec<_> = blobs
            .iter()
            .map(|b| {
                let store = f.store.clone();
                let mut upload = upload(fd.id, "1.0", "extra", &b.sha256, "ci");
                upload.replace = true;
                tokio::spawn(async move { store.add_package_file(&upload).await })
            })
            .collect();
        let mut added = 0;
        for task in tasks {
            match task.await.expect("task").expect("no error") {
                AddFileOutcome::FileAdded(_) => added += 1,
                AddFileOutcome::FileReplaced(_) | AddFileOutcome::FileExists(_) => {}
                other @ AddFileOutcome::Created(_) => panic!("{backend:?}: {other:?}"),
            }
        }
        assert_eq!(added, 1, "{backend:?}");
    }
}

#[tokio::test]
async fn deleting_a_version_removes_every_file_row() {
    for backend in backends() {
        let f = open(backend).await;
        let fd = f.store.create_feed(&feed("f")).await.expect("feed");
        let blobs: Vec<BlobInfo> = (1..=3).map(blob).collect();
        for b in &blobs {
            f.store.lease_blob(b).await.expect("lease");
        }
        let mut three = package(fd.id, "1.0.0", &blobs[0].sha256);
        three.files = ["", "pom", "sources"]
            .iter()
            .zip(&blobs)
            .map(|(q, b)| NewPackageFile {
                qualifier: (*q).into(),
                file_name: format!("hammer{q}.bin"),
                sha256: b.sha256.clone(),
            })
            .collect();
        let AddOutcome::Added(record) = f.store.add_package(&three, false).await.expect("add") else {
            panic!("expected Added")
        };
        assert_eq!(record.files.len(), 3);
        assert!(record.files.iter().all(|file| file.added_by == "SYSTEM"));
        assert_eq!(
            record.primary_file().map(|file| file.file_name.as_str()),
            Some("hammer.bin")
        );
        let refs: Vec<i64> = f
            .store
            .blob_rows()
            .await
            .expect("rows")
            .iter()
            .map(|r| r.references)
            .collect();
        assert_eq!(refs, [1, 1, 1]);

        assert!(f.store.delete_package(record.id, "f", "t").await.expect("delete"));
        let rows = f.store.blob_rows().await.expect("rows");
        assert!(rows.iter().all(|r| r.references == 0), "{backend:?}: {rows:?}");
        let mut expected: Vec<Sha256Digest> = blobs.iter().map(|b| b.sha256.clone()).collect();
        expected.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        let mut unreferenced = f.store.unreferenced_blobs(i64::MAX, 10).await.expect("query");
        unreferenced.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        assert_eq!(unreferenced, expected, "{backend:?}");
    }
}

#[tokio::test]
async fn every_event_kind_round_trips_its_stored_string() {
    let stored = [
        "added",
        "overwritten",
        "file-added",
        "file-replaced",
        "deleted",
        "status-changed",
        "promoted",
        "promotion-refused",
        "deployed",
        "dist-tag-set",
        "dist-tag-removed",
    ];
    let strings: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(strings, stored);
    for kind in EventKind::ALL {
        assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.as_str());
        let json = serde_json::to_value(kind).expect("serialize");
        assert_eq!(json, serde_json::Value::from(kind.as_str()));
        assert_eq!(
            serde_json::from_value::<EventKind>(json).expect("deserialize"),
            kind
        );
    }
    assert!("Added".parse::<EventKind>().is_err());
    assert!("exploded".parse::<EventKind>().is_err());
    assert!(serde_json::from_value::<EventKind>(serde_json::json!("exploded")).is_err());

    // Through the database: every stored string reads back as its kind, and
    // one this Gantry does not know is corrupt, never a guess.
    for backend in backends() {
        let f = open(backend).await;
        let raw = sqlx::AnyPool::connect(&f.url).await.expect("raw pool");
        let insert = |kind: &'static str| {
            sqlx::query(
                "INSERT INTO package_events (feed_name, package_type, group_key, name_key, version_key, \
                 group_name, name, version, kind, at, user_name, details) \
                 VALUES ('f', 'upack', '', 'old', '1.0', '', 'old', '1.0', $1, 0, 't', '{}')",
            )
            .bind(kind)
            .execute(&raw)
        };
        for kind in stored {
            insert(kind).await.expect("insert");
        }
        let key = PackageKey {
            group_key: String::new(),
            name_key: "old".into(),
            version_key: "1.0".into(),
        };
        let kinds: Vec<EventKind> = f
            .store
            .package_events(&[], &key)
            .await
            .expect("events")
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, EventKind::ALL, "{backend:?}");
        insert("exploded").await.expect("insert");
        assert!(
            matches!(
                f.store.package_events(&[], &key).await,
                Err(StoreError::Corrupt(_))
            ),
            "{backend:?}"
        );
        raw.close().await;
    }
}
