//! Promotion in the store: zero-copy, identical re-promotion, conflicts,
//! records and their filters, and concurrent promotions. On every backend.

use std::sync::Arc;

use gantry_core::Sha256Digest;
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::{
    AddFileOutcome, AddOutcome, BlobInfo, EventKind, FeedRecord, FeedVisibility, GateVerdict, MetadataOnAdd,
    MetadataStore, NewDistTag, NewFileUpload, NewPackage, NewPackageFile, NewPromotion, PackageKey,
    PackageQuery, PackageRecord, PromoteOutcome, PromotionQuery, PromotionRefusal, SqlStore, StoreError,
    TagMove,
};

struct Fixture {
    store: Arc<SqlStore>,
    _dir: tempfile::TempDir,
}

async fn open(backend: Backend) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, dir.path()).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store opens");
    Fixture {
        store: Arc::new(store),
        _dir: dir,
    }
}

async fn feed(store: &SqlStore, name: &str) -> FeedRecord {
    store.create_feed(&universal_feed(name)).await.expect("feed")
}

async fn publish(store: &SqlStore, feed: &FeedRecord, version: &str, byte: u8) -> PackageRecord {
    let blob = BlobInfo {
        sha256: Sha256Digest::from_bytes([byte; 32]),
        size: 5,
        md5: "m".into(),
        sha1: "s".into(),
        sha512: "x".into(),
    };
    store.lease_blob(&blob).await.expect("lease");
    let outcome = store
        .add_package(
            &NewPackage {
                feed_id: feed.id,
                feed_name: feed.settings.name.clone(),
                package_type: "upack".into(),
                group: "Acme".into(),
                name: "Hammer".into(),
                version: version.into(),
                key: PackageKey {
                    group_key: "acme".into(),
                    name_key: "hammer".into(),
                    version_key: version.into(),
                },
                published_by: "builder".into(),
                metadata: serde_json::json!({"name": "Hammer"}),
                files: vec![NewPackageFile {
                    qualifier: String::new(),
                    file_name: "package.upack".into(),
                    sha256: blob.sha256,
                }],
                dist_tags: vec![],
                connector: None,
            },
            false,
        )
        .await
        .expect("add");
    match outcome {
        AddOutcome::Added(r) => r,
        other => panic!("expected Added, got {other:?}"),
    }
}

fn promotion(source: &PackageRecord, from: &FeedRecord, to: &FeedRecord, user: &str) -> NewPromotion {
    NewPromotion {
        source_package_id: source.id,
        from_feed: from.settings.name.clone(),
        to_feed_id: to.id,
        to_feed: to.settings.name.clone(),
        package_type: "upack".into(),
        user: user.into(),
        comments: "looks good".into(),
        tag_moves: vec![],
        gates: vec![],
    }
}

#[tokio::test]
async fn promotion_copies_rows_not_bytes_and_records_it() {
    for backend in backends() {
        let f = open(backend).await;
        let dev = feed(&f.store, "dev").await;
        let prod = feed(&f.store, "prod").await;
        let source = publish(&f.store, &dev, "1.0.0", 1).await;

        let outcome = f
            .store
            .promote(&promotion(&source, &dev, &prod, "alice"))
            .await
            .expect("promote");
        let PromoteOutcome::Copied {
            promotion: record,
            package,
        } = outcome
        else {
            panic!("{backend:?}: expected Copied, got {outcome:?}")
        };
        assert_eq!(package.feed_id, prod.id);
        assert_eq!(package.files, source.files, "the target points at the same blobs");
        assert_eq!(package.published_by, "builder", "the original publisher is kept");
        assert_eq!(package.downloads, 0);
        assert_eq!(
            (record.from_feed.as_str(), record.to_feed.as_str()),
            ("dev", "prod")
        );
        assert_eq!(record.user_name, "alice");
        assert_eq!(record.comments, "looks good");

        // The source is untouched.
        let still = f
            .store
            .find_packages(dev.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(still, vec![source.clone()]);

        // Promoting again: identical content, recorded, nothing copied.
        let again = f
            .store
            .promote(&promotion(&source, &dev, &prod, "bob"))
            .await
            .expect("promote");
        let PromoteOutcome::AlreadyPresent {
            promotion: second, ..
        } = again
        else {
            panic!("{backend:?}: expected AlreadyPresent, got {again:?}")
        };
        assert!(second.id > record.id, "ids increase");

        // Same version, different content in another source: conflict, nothing changes.
        let other = feed(&f.store, "other").await;
        let different = publish(&f.store, &other, "1.0.0", 2).await;
        let conflict = f
            .store
            .promote(&promotion(&different, &other, &prod, "carol"))
            .await
            .expect("promote");
        assert!(
            matches!(conflict, PromoteOutcome::Conflict),
            "{backend:?}: {conflict:?}"
        );
        let records = f
            .store
            .list_promotions(&PromotionQuery::default())
            .await
            .expect("list");
        assert_eq!(records.len(), 2, "{backend:?}: the conflict recorded nothing");
        let target = f
            .store
            .find_packages(prod.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(target[0].files, source.files);

        // History across feeds: added in dev, promoted twice into prod.
        let kinds: Vec<(String, String)> = f
            .store
            .package_events(&["upack".into()], &source.key)
            .await
            .expect("events")
            .into_iter()
            .map(|e| (e.feed_name, e.kind.to_string()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("dev".into(), "added".into()),
                ("prod".into(), "promoted".into()),
                ("prod".into(), "promoted".into()),
                ("other".into(), "added".into())
            ]
        );

        // A deleted source cannot be promoted.
        assert!(f
            .store
            .delete_package(different.id, "other", "carol")
            .await
            .expect("delete"));
        let gone = f
            .store
            .promote(&promotion(&different, &other, &prod, "carol"))
            .await
            .expect("promote");
        assert!(matches!(gone, PromoteOutcome::SourceGone));
    }
}

#[tokio::test]
async fn promotion_records_filter_and_paginate() {
    for backend in backends() {
        let f = open(backend).await;
        let dev = feed(&f.store, "dev").await;
        let rc = feed(&f.store, "rc").await;
        let prod = feed(&f.store, "prod").await;
        let v1 = publish(&f.store, &dev, "1.0.0", 1).await;
        let v2 = publish(&f.store, &dev, "2.0.0", 2).await;
        for (source, from, to) in [(&v1, &dev, &rc), (&v2, &dev, &rc)] {
            f.store
                .promote(&promotion(source, from, to, "alice"))
                .await
                .expect("promote");
        }
        let in_rc = f
            .store
            .find_packages(rc.id, &PackageQuery::default())
            .await
            .expect("find");
        f.store
            .promote(&promotion(&in_rc[0], &rc, &prod, "bob"))
            .await
            .expect("promote");

        let all = f
            .store
            .list_promotions(&PromotionQuery::default())
            .await
            .expect("list");
        assert_eq!(all.len(), 3);
        let count = |q: PromotionQuery| {
            let store = Arc::clone(&f.store);
            async move { store.list_promotions(&q).await.expect("list").len() }
        };
        assert_eq!(
            count(PromotionQuery {
                to_feed_key: Some("rc".into()),
                ..Default::default()
            })
            .await,
            2
        );
        assert_eq!(
            count(PromotionQuery {
                from_feed_key: Some("rc".into()),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            count(PromotionQuery {
                version_key: Some("2.0.0".into()),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            count(PromotionQuery {
                name_key: Some("nothing".into()),
                ..Default::default()
            })
            .await,
            0
        );
        assert_eq!(
            count(PromotionQuery {
                name_key: Some("hammer".into()),
                group_key: Some("acme".into()),
                ..Default::default()
            })
            .await,
            3
        );
        assert_eq!(
            count(PromotionQuery {
                since: Some(all[2].at + 1),
                ..Default::default()
            })
            .await,
            0
        );
        assert_eq!(
            count(PromotionQuery {
                until: Some(all[0].at),
                ..Default::default()
            })
            .await,
            0
        );
        let page = f
            .store
            .list_promotions(&PromotionQuery {
                limit: Some(2),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(
            page.iter().map(|p| p.id).collect::<Vec<_>>(),
            [all[0].id, all[1].id]
        );
        let rest = f
            .store
            .list_promotions(&PromotionQuery {
                after_id: Some(page[1].id),
                limit: Some(2),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(rest.iter().map(|p| p.id).collect::<Vec<_>>(), [all[2].id]);
        // A promotion is visible only when both of its feeds are.
        for (visible, expected, why) in [
            (
                FeedVisibility::Only(vec!["dev".into(), "rc".into()]),
                2,
                "dev and rc: the two into rc",
            ),
            (
                FeedVisibility::Only(vec!["rc".into(), "prod".into()]),
                1,
                "rc and prod: the one into prod",
            ),
            (
                FeedVisibility::Only(vec!["dev".into()]),
                0,
                "dev alone: each names another feed",
            ),
            (FeedVisibility::Only(vec![]), 0, "no feed"),
            (FeedVisibility::AllBut(vec!["prod".into()]), 2, "all but prod"),
            (FeedVisibility::AllBut(vec!["dev".into()]), 1, "all but dev"),
            (FeedVisibility::AllBut(vec![]), 3, "all"),
        ] {
            assert_eq!(
                count(PromotionQuery {
                    visible,
                    ..Default::default()
                })
                .await,
                expected,
                "{backend:?}: {why}"
            );
        }
    }
}

#[tokio::test]
async fn concurrent_identical_promotions_leave_one_copy() {
    for backend in backends() {
        let f = open(backend).await;
        let dev = feed(&f.store, "dev").await;
        let prod = feed(&f.store, "prod").await;
        let source = publish(&f.store, &dev, "1.0.0", 1).await;
        let mut tasks = Vec::new();
        for i in 0..30 {
            let store = Arc::clone(&f.store);
            let p = promotion(&source, &dev, &prod, &format!("user{i}"));
            tasks.push(tokio::spawn(async move { store.promote(&p).await }));
        }
        let (mut copied, mut present) = (0, 0);
        for task in tasks {
            match task.await.expect("task").expect("promote") {
                PromoteOutcome::Copied { .. } => copied += 1,
                PromoteOutcome::AlreadyPresent { .. } => present += 1,
                other => panic!("{backend:?}: unexpected {other:?}"),
            }
        }
        assert_eq!((copied, present), (1, 29), "{backend:?}");
        let target = f
            .store
            .find_packages(prod.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(target.len(), 1);
        assert_eq!(
            f.store
                .list_promotions(&PromotionQuery::default())
                .await
                .expect("list")
                .len(),
            30
        );
    }
}

#[tokio::test]
async fn dist_tags_follow_publishes_moves_and_deletes() {
    for backend in backends() {
        let f = open(backend).await;
        let dev = feed(&f.store, "dev").await;
        let prod = feed(&f.store, "prod").await;
        let one = publish(&f.store, &dev, "1.0.0", 1).await;
        let two = publish(&f.store, &dev, "2.0.0", 2).await;
        let tags = |feed: &FeedRecord| {
            let store = &f.store;
            let id = feed.id;
            async move {
                store
                    .dist_tags(id, "acme", "hammer")
                    .await
                    .expect("tags")
                    .into_iter()
                    .map(|t| (t.tag, t.version))
                    .collect::<Vec<_>>()
            }
        };
        let set = |key: &PackageKey, tag: &str| NewDistTag {
            feed_id: dev.id,
            feed_name: "dev".into(),
            package_type: "upack".into(),
            key: key.clone(),
            tag: tag.into(),
            user: "alice".into(),
        };
        f.store.set_dist_tag(&set(&two.key, "latest")).await.expect("set");
        f.store.set_dist_tag(&set(&one.key, "lts")).await.expect("set");
        assert_eq!(
            tags(&dev).await,
            [
                ("latest".to_owned(), "2.0.0".to_owned()),
                ("lts".to_owned(), "1.0.0".to_owned())
            ],
            "{backend:?}"
        );
        let mut missing = one.key.clone();
        missing.version_key = "9.9.9".into();
        assert!(matches!(
            f.store.set_dist_tag(&set(&missing, "latest")).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(f
            .store
            .delete_dist_tag(dev.id, "dev", "acme", "hammer", "lts", "bob")
            .await
            .expect("delete"));
        assert!(!f
            .store
            .delete_dist_tag(dev.id, "dev", "acme", "hammer", "lts", "bob")
            .await
            .expect("delete"));
        let kinds: Vec<String> = f
            .store
            .package_events(&[], &one.key)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind.to_string())
            .collect();
        assert_eq!(
            kinds,
            ["added", "dist-tag-set", "dist-tag-removed"],
            "{backend:?}"
        );

        // A promotion moves a tag only if it still points where it was seen.
        let mut moved = promotion(&one, &dev, &prod, "carol");
        moved.tag_moves = vec![TagMove {
            tag: "latest".into(),
            expected_version_key: Some("0.1.0".into()),
        }];
        assert!(matches!(
            f.store.promote(&moved).await.expect("promote"),
            PromoteOutcome::TagsMoved
        ));
        assert!(tags(&prod).await.is_empty(), "{backend:?}: nothing happened");
        let found = f
            .store
            .find_packages(prod.id, &PackageQuery::default())
            .await
            .expect("find");
        assert!(found.is_empty(), "{backend:?}: the promotion rolled back");
        moved.tag_moves[0].expected_version_key = None;
        assert!(matches!(
            f.store.promote(&moved).await.expect("promote"),
            PromoteOutcome::Copied { .. }
        ));
        assert_eq!(tags(&prod).await, [("latest".to_owned(), "1.0.0".to_owned())]);

        // Deleting a version takes its tags with it.
        assert!(f
            .store
            .delete_package(two.id, "dev", "alice")
            .await
            .expect("delete"));
        assert!(tags(&dev).await.is_empty(), "{backend:?}");
    }
}

fn blob_info(byte: u8) -> BlobInfo {
    BlobInfo {
        sha256: Sha256Digest::from_bytes([byte; 32]),
        size: 5,
        md5: "m".into(),
        sha1: "s".into(),
        sha512: "x".into(),
    }
}

/// `Hammer` `version` with one file per (qualifier, blob byte), published whole.
fn hammer(feed: &FeedRecord, version: &str, files: &[(&str, u8)]) -> NewPackage {
    NewPackage {
        feed_id: feed.id,
        feed_name: feed.settings.name.clone(),
        package_type: "upack".into(),
        group: "Acme".into(),
        name: "Hammer".into(),
        version: version.into(),
        key: PackageKey {
            group_key: "acme".into(),
            name_key: "hammer".into(),
            version_key: version.into(),
        },
        published_by: "builder".into(),
        metadata: serde_json::json!({"name": "Hammer"}),
        files: files
            .iter()
            .map(|(qualifier, byte)| NewPackageFile {
                qualifier: (*qualifier).into(),
                file_name: format!("hammer-{version}{qualifier}.bin"),
                sha256: blob_info(*byte).sha256,
            })
            .collect(),
        dist_tags: vec![],
        connector: None,
    }
}

async fn publish_files(
    store: &SqlStore,
    feed: &FeedRecord,
    version: &str,
    files: &[(&str, u8)],
) -> PackageRecord {
    for (_, byte) in files {
        store.lease_blob(&blob_info(*byte)).await.expect("lease");
    }
    match store
        .add_package(&hammer(feed, version, files), false)
        .await
        .expect("add")
    {
        AddOutcome::Added(r) => r,
        other => panic!("expected Added, got {other:?}"),
    }
}

const THREE: [(&str, u8); 3] = [("", 1), ("pom", 2), ("sources", 3)];

#[tokio::test]
async fn a_version_with_many_files_is_promoted_whole() {
    for backend in backends() {
        let f = open(backend).await;
        let dev = feed(&f.store, "dev").await;
        let prod = feed(&f.store, "prod").await;
        let source = publish_files(&f.store, &dev, "1.0.0", &THREE).await;
        assert_eq!(source.files.len(), 3);
        let blobs_before = f.store.blob_rows().await.expect("blobs");

        let outcome = f
            .store
            .promote(&promotion(&source, &dev, &prod, "alice"))
            .await
            .expect("promote");
        let PromoteOutcome::Copied { package, .. } = outcome else {
            panic!("{backend:?}: expected Copied, got {outcome:?}")
        };
        // Every file row, with its name and who added it when; no new bytes.
        assert_eq!(package.files, source.files, "{backend:?}");
        let blobs_after = f.store.blob_rows().await.expect("blobs");
        assert_eq!(
            blobs_after.len(),
            blobs_before.len(),
            "{backend:?}: no new blob rows"
        );
        assert!(
            blobs_after.iter().all(|b| b.references == 2),
            "{backend:?}: {blobs_after:?}"
        );
        let in_prod: Vec<EventKind> = f
            .store
            .package_events(&[], &source.key)
            .await
            .expect("events")
            .iter()
            .filter(|e| e.feed_name == "prod")
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            in_prod,
            [EventKind::Promoted],
            "{backend:?}: one event for the whole version"
        );

        // The same three files, added one by one elsewhere: the same content.
        let staging = feed(&f.store, "staging").await;
        for (qualifier, byte) in THREE.iter().rev() {
            let mut one = hammer(&staging, "1.0.0", &[(*qualifier, *byte)]);
            one.published_by = "ci".into();
            f.store
                .add_package_file(&NewFileUpload {
                    package: one,
                    replace: false,
                    metadata: MetadataOnAdd::KeepExisting,
                })
                .await
                .expect("add file");
        }
        let present = f
            .store
            .promote(&promotion(&source, &dev, &staging, "alice"))
            .await
            .expect("promote");
        assert!(
            matches!(present, PromoteOutcome::AlreadyPresent { .. }),
            "{backend:?}: {present:?}"
        );

        // A target holding some of the files, or one more, differs.
        let fewer = feed(&f.store, "fewer").await;
        publish_files(&f.store, &fewer, "1.0.0", &THREE[..2]).await;
        let more = feed(&f.store, "more").await;
        publish_files(
            &f.store,
            &more,
            "1.0.0",
            &[THREE[0], THREE[1], THREE[2], ("javadoc", 4)],
        )
        .await;
        let renamed = feed(&f.store, "renamed").await;
        publish_files(&f.store, &renamed, "1.0.0", &[("", 1), ("pom", 2), ("docs", 3)]).await;
        for target in [&fewer, &more, &renamed] {
            let outcome = f
                .store
                .promote(&promotion(&source, &dev, target, "alice"))
                .await
                .expect("promote");
            assert!(
                matches!(outcome, PromoteOutcome::Conflict),
                "{backend:?} {}: {outcome:?}",
                target.settings.name
            );
        }
        let target = f
            .store
            .find_packages(fewer.id, &PackageQuery::default())
            .await
            .expect("find");
        assert_eq!(
            target[0].files.len(),
            2,
            "{backend:?}: a conflict changes nothing"
        );

        // A file added to the source later is not in the copy made before it.
        let mut late = hammer(&dev, "1.0.0", &[("javadoc", 4)]);
        late.published_by = "ci".into();
        let outcome = f
            .store
            .add_package_file(&NewFileUpload {
                package: late,
                replace: false,
                metadata: MetadataOnAdd::KeepExisting,
            })
            .await
            .expect("add file");
        assert!(matches!(outcome, AddFileOutcome::FileAdded(ref r) if r.files.len() == 4));
        let again = f
            .store
            .promote(&promotion(&source, &dev, &prod, "bob"))
            .await
            .expect("promote");
        assert!(
            matches!(again, PromoteOutcome::Conflict),
            "{backend:?}: the source has four files now, the target three: {again:?}"
        );
    }
}

fn gates() -> Vec<GateVerdict> {
    vec![
        GateVerdict {
            gate: "approvals".into(),
            passed: true,
            reason: "2 of 2 approvals".into(),
        },
        GateVerdict {
            gate: "vulnerabilities".into(),
            passed: false,
            reason: "CVE-2024-0001 is critical".into(),
        },
    ]
}

#[tokio::test]
async fn gate_verdicts_are_kept_in_history() {
    for backend in backends() {
        let f = open(backend).await;
        let dev = feed(&f.store, "dev").await;
        let prod = feed(&f.store, "prod").await;
        let qa = feed(&f.store, "qa").await;
        let source = publish(&f.store, &dev, "1.0.0", 1).await;
        let revisions = |feeds: Vec<FeedRecord>| feeds.iter().map(|f| f.package_revision).collect::<Vec<_>>();
        let before = revisions(f.store.list_feeds().await.expect("feeds"));

        // A refusal is an event of the source version, in the source feed.
        f.store
            .record_promotion_refused(&PromotionRefusal {
                source_package_id: source.id,
                from_feed: "dev".into(),
                to_feed: "prod".into(),
                package_type: "upack".into(),
                user: "alice".into(),
                comments: "please".into(),
                gates: gates(),
            })
            .await
            .expect("refusal");
        assert_eq!(
            revisions(f.store.list_feeds().await.expect("feeds")),
            before,
            "{backend:?}: no package changed"
        );
        assert!(f
            .store
            .list_promotions(&PromotionQuery::default())
            .await
            .expect("list")
            .is_empty());
        let events = f.store.package_events(&[], &source.key).await.expect("events");
        let refused = &events[1];
        assert_eq!(
            (
                refused.kind,
                refused.feed_name.as_str(),
                refused.user_name.as_str()
            ),
            (EventKind::PromotionRefused, "dev", "alice"),
            "{backend:?}"
        );
        assert_eq!(
            refused.details,
            serde_json::json!({
                "toFeed": "prod",
                "comments": "please",
                "gates": [
                    {"gate": "approvals", "passed": true, "reason": "2 of 2 approvals"},
                    {"gate": "vulnerabilities", "passed": false, "reason": "CVE-2024-0001 is critical"},
                ],
            })
        );
        let read: Vec<GateVerdict> =
            serde_json::from_value(refused.details["gates"].clone()).expect("gates read back");
        assert_eq!(read, gates());

        // A promotion the gates let through keeps their verdicts.
        let mut passed = promotion(&source, &dev, &prod, "bob");
        passed.gates = vec![gates().remove(0)];
        f.store.promote(&passed).await.expect("promote");
        // Without gates, the event has no such entry.
        f.store
            .promote(&promotion(&source, &dev, &qa, "bob"))
            .await
            .expect("promote");
        let events = f.store.package_events(&[], &source.key).await.expect("events");
        let promoted: Vec<_> = events.iter().filter(|e| e.kind == EventKind::Promoted).collect();
        assert_eq!(promoted.len(), 2);
        assert_eq!(
            promoted[0].details["gates"],
            serde_json::json!([{"gate": "approvals", "passed": true, "reason": "2 of 2 approvals"}]),
            "{backend:?}"
        );
        assert_eq!(promoted[0].details["fromFeed"], "dev");
        assert!(promoted[1].details.get("gates").is_none(), "{backend:?}");

        // A refusal of a version that is gone has nothing to be written on.
        assert!(f
            .store
            .delete_package(source.id, "dev", "carol")
            .await
            .expect("delete"));
        let result = f
            .store
            .record_promotion_refused(&PromotionRefusal {
                source_package_id: source.id,
                from_feed: "dev".into(),
                to_feed: "prod".into(),
                package_type: "upack".into(),
                user: "alice".into(),
                comments: String::new(),
                gates: gates(),
            })
            .await;
        assert!(
            matches!(result, Err(StoreError::NotFound(_))),
            "{backend:?}: {result:?}"
        );
    }
}
