//! Promotion in the store: zero-copy, identical re-promotion, conflicts,
//! records and their filters, and concurrent promotions. On every backend.

use std::sync::Arc;

use gantry_core::Sha256Digest;
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::{
    AddOutcome, BlobInfo, FeedRecord, FeedVisibility, MetadataStore, NewDistTag, NewPackage, NewPromotion,
    PackageKey, PackageQuery, PackageRecord, PromoteOutcome, PromotionQuery, SqlStore, StoreError, TagMove,
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
                files: vec![(String::new(), blob.sha256)],
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
            .map(|e| (e.feed_name, e.kind))
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
            .map(|e| e.kind)
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
