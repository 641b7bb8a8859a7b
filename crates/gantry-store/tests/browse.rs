//! The web UI's views of the store (package pages, feed counts) and its
//! sessions, on every configured backend.

use gantry_core::{FeedType, FeedUsage, Sha256Digest};
use gantry_store::metadata::{NewUser, UserUpdate};
use gantry_store::sql::PoolSettings;
use gantry_store::testing::{backends, fresh_database};
use gantry_store::{
    BlobInfo, FeedSettings, MetadataStore, NewPackage, NewPackageFile, NewSession, PackageKey, SecurityStore,
    SqlStore, SummaryQuery,
};

fn feed(name: &str) -> FeedSettings {
    FeedSettings {
        name: name.into(),
        feed_type: FeedType::Universal,
        description: String::new(),
        active: true,
        usage: FeedUsage::Mixed,
        promote_to_feed_id: None,
        deployment_records_enabled: true,
        alternate_names: vec![],
        allow_direct_uploads: false,
        connectors: Vec::new(),
        cache_connectors: true,
        offline: false,
        immutable_tags: false,
    }
}

fn package(feed_id: i64, group: &str, name: &str, version: &str, digest: &Sha256Digest) -> NewPackage {
    NewPackage {
        feed_id,
        feed_name: "f".into(),
        package_type: "upack".into(),
        group: group.into(),
        name: name.into(),
        version: version.into(),
        key: PackageKey {
            group_key: group.to_ascii_lowercase(),
            name_key: name.to_ascii_lowercase(),
            version_key: version.to_ascii_lowercase(),
        },
        published_by: "SYSTEM".into(),
        metadata: serde_json::json!({"description": format!("{name} {version}")}),
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
async fn package_summaries_fold_versions_page_and_search_literally() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::connect(
            &fresh_database(backend, dir.path()).await,
            &PoolSettings::default(),
        )
        .await
        .expect("store opens");
        let digest = Sha256Digest::from_bytes([7; 32]);
        store
            .lease_blob(&BlobInfo {
                sha256: digest.clone(),
                size: 10,
                md5: "m".into(),
                sha1: "s1".into(),
                sha512: "s5".into(),
            })
            .await
            .expect("blob");
        let a = store.create_feed(&feed("a")).await.expect("feed");
        let b = store.create_feed(&feed("b")).await.expect("feed");
        for (group, name, version) in [
            ("", "Zeta", "1.0.0"),
            ("", "zeta", "2.0.0"),
            ("tools", "alpha", "1.0.0"),
            ("", "alpha", "1.0.0"),
            ("", "100%_sure", "0.1.0"),
            ("", "beta", "3.0.0"),
        ] {
            store
                .add_package(&package(a.id, group, name, version, &digest), false)
                .await
                .expect("added");
        }
        store
            .add_package(&package(b.id, "", "other", "1.0.0", &digest), false)
            .await
            .expect("added");

        let all = store
            .package_summaries(
                a.id,
                &SummaryQuery {
                    search: None,
                    offset: 0,
                    limit: 10,
                },
            )
            .await
            .expect("page");
        assert_eq!(
            all.total, 5,
            "two versions of zeta are one package; feed b is not counted"
        );
        let names: Vec<(&str, &str)> = all
            .items
            .iter()
            .map(|s| (s.group_key.as_str(), s.name_key.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("", "100%_sure"),
                ("", "alpha"),
                ("tools", "alpha"),
                ("", "beta"),
                ("", "zeta")
            ]
        );
        let zeta = &all.items[4];
        assert_eq!((zeta.versions, zeta.downloads), (2, 0));

        let second = store
            .package_summaries(
                a.id,
                &SummaryQuery {
                    search: None,
                    offset: 2,
                    limit: 2,
                },
            )
            .await
            .expect("page");
        assert_eq!(second.total, 5);
        assert_eq!(second.items.len(), 2);
        assert_eq!(second.items[0].group_key, "tools");

        let search = |text: &str| {
            let store = &store;
            let text = text.to_owned();
            async move {
                store
                    .package_summaries(
                        a.id,
                        &SummaryQuery {
                            search: Some(text),
                            offset: 0,
                            limit: 10,
                        },
                    )
                    .await
                    .expect("search")
            }
        };
        assert_eq!(search("ALPHA").await.total, 2);
        assert_eq!(search("TOOLS").await.total, 1, "the group is searched too");
        assert_eq!(search("%").await.total, 1, "% is a literal, not a wildcard");
        assert_eq!(search("_").await.total, 1, "_ is a literal, not a wildcard");
        assert_eq!(search("nothing").await, gantry_store::SummaryPage::default());

        let briefs = store
            .version_briefs(
                a.id,
                &[(String::new(), "zeta".into()), ("tools".into(), "alpha".into())],
            )
            .await
            .expect("briefs");
        let mut versions: Vec<&str> = briefs.iter().map(|v| v.version.as_str()).collect();
        versions.sort_unstable();
        assert_eq!(
            versions,
            ["1.0.0", "1.0.0", "2.0.0"],
            "alpha without a group is not asked for"
        );
        let records = store
            .packages_by_ids(&briefs.iter().map(|b| b.id).collect::<Vec<_>>())
            .await
            .expect("records");
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].files.len(), 1);

        let mut counts = store.feed_counts().await.expect("counts");
        counts.sort_by_key(|c| c.feed_id);
        assert_eq!(
            counts
                .iter()
                .map(|c| (c.feed_id, c.packages, c.versions))
                .collect::<Vec<_>>(),
            [(a.id, 5, 6), (b.id, 1, 1)]
        );
    }
}

#[tokio::test]
async fn sessions_end_on_expiry_sign_out_disable_and_password_change() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::connect(
            &fresh_database(backend, dir.path()).await,
            &PoolSettings::default(),
        )
        .await
        .expect("store opens");
        let user = store
            .create_user(
                &NewUser {
                    name: "Alice".into(),
                    display_name: String::new(),
                    email: String::new(),
                    password_hash: "$argon2id$fake".into(),
                    disabled: false,
                    groups: vec![],
                },
                "test",
            )
            .await
            .expect("user");
        let session = |token: &str, expires_at: i64| NewSession {
            token_hash: token.into(),
            user_id: user.id,
            password_changed_at: user.password_changed_at,
            csrf_token: format!("csrf-{token}"),
            expires_at,
        };
        let now = gantry_store::time::now_millis();
        store
            .create_session(&session("live", now + 60_000))
            .await
            .expect("stored");
        store
            .create_session(&session("old", now - 1))
            .await
            .expect("stored");
        let found = store
            .find_session("live", now)
            .await
            .expect("read")
            .expect("valid");
        assert_eq!(
            (found.user_name.as_str(), found.csrf_token.as_str()),
            ("Alice", "csrf-live")
        );
        assert_eq!(
            store.find_session("old", now).await.expect("read"),
            None,
            "expired"
        );
        assert_eq!(
            store.find_session("live", now + 60_001).await.expect("read"),
            None
        );
        store
            .extend_session("live", now + 120_000)
            .await
            .expect("extended");
        assert!(store
            .find_session("live", now + 90_000)
            .await
            .expect("read")
            .is_some());

        store
            .create_session(&session("bye", now + 60_000))
            .await
            .expect("stored");
        store.delete_session("bye").await.expect("deleted");
        assert_eq!(store.find_session("bye", now).await.expect("read"), None);

        let disable = UserUpdate {
            disabled: Some(true),
            ..UserUpdate::default()
        };
        store
            .update_user("alice", &disable, "test")
            .await
            .expect("disabled");
        assert_eq!(
            store.find_session("live", now).await.expect("read"),
            None,
            "disabled users have no session"
        );
        let enable = UserUpdate {
            disabled: Some(false),
            ..UserUpdate::default()
        };
        store
            .update_user("alice", &enable, "test")
            .await
            .expect("enabled");
        assert!(store.find_session("live", now).await.expect("read").is_some());

        // The stored change time is in milliseconds; make sure it moves.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let password = UserUpdate {
            password_hash: Some("$argon2id$other".into()),
            ..UserUpdate::default()
        };
        store
            .update_user("alice", &password, "test")
            .await
            .expect("changed");
        assert_eq!(
            store.find_session("live", now).await.expect("read"),
            None,
            "a new password ends old sessions"
        );
    }
}
