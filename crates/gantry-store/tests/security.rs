//! Users, groups, tasks and permissions in the store, on every configured backend.

use gantry_core::{FeedType, FeedUsage};
use gantry_store::metadata::{
    NewPermission, NewTask, NewUser, PermissionSubject, SecurityDefaults, SecurityStore, UserUpdate,
};
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database};
use gantry_store::{FeedSettings, MetadataStore, NewApiKey, SqlStore, StoreError};

async fn open(backend: Backend) -> (SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, dir.path()).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store opens");
    (store, dir)
}

fn user(name: &str, groups: &[&str]) -> NewUser {
    NewUser {
        name: name.into(),
        display_name: format!("{name} display"),
        email: format!("{name}@example.com"),
        password_hash: "$argon2id$fake".into(),
        disabled: false,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

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

#[tokio::test]
async fn seeding_happens_once_and_writes_the_defaults() {
    for backend in backends() {
        let (store, _dir) = open(backend).await;
        let defaults = SecurityDefaults {
            everyone_may_view: true,
            admin: Some(user("Admin", &[])),
        };
        assert!(store.seed_security(&defaults).await.expect("seed"));
        assert!(!store.seed_security(&defaults).await.expect("seed again"));
        let permissions = store.list_permissions().await.expect("list");
        assert_eq!(permissions.len(), 2, "{permissions:?}");
        assert!(permissions
            .iter()
            .any(|p| p.subject == PermissionSubject::Group("Administrators".into())
                && p.task == "Administer"
                && p.feed.is_none()));
        assert!(permissions
            .iter()
            .any(|p| p.subject == PermissionSubject::Virtual("Everyone".into())
                && p.task == "View & Download Packages"));
        let (admin, hash) = store
            .find_user("admin")
            .await
            .expect("find")
            .expect("admin exists");
        assert_eq!(admin.groups, ["Administrators"]);
        assert_eq!(hash, "$argon2id$fake");
    }
}

#[tokio::test]
async fn every_change_raises_the_version_and_is_audited() {
    for backend in backends() {
        let (store, _dir) = open(backend).await;
        let v0 = store.security_version().await.expect("version");
        store
            .create_group("Senior Developers", &[], "root")
            .await
            .expect("group");
        let alice = store
            .create_user(&user("Alice", &["senior developers"]), "root")
            .await
            .expect("user");
        assert_eq!(alice.groups, ["Senior Developers"]);
        let v1 = store.security_version().await.expect("version");
        assert!(v1 >= v0 + 2);
        let changed = store
            .update_user(
                "alice",
                &UserUpdate {
                    disabled: Some(true),
                    ..UserUpdate::default()
                },
                "root",
            )
            .await
            .expect("update");
        assert!(changed.disabled);
        assert_eq!(changed.email, "Alice@example.com", "untouched fields stay");
        assert!(store.security_version().await.expect("version") > v1);
        let audit = store.list_security_events(None, 10).await.expect("audit");
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["user.changed", "user.created", "group.created"]);
        assert!(audit.iter().all(|e| e.actor == "root"));
        let older = store
            .list_security_events(Some(audit[1].id), 10)
            .await
            .expect("page");
        assert_eq!(older.len(), 1);
    }
}

#[tokio::test]
async fn names_are_unique_case_insensitively_and_references_must_exist() {
    for backend in backends() {
        let (store, _dir) = open(backend).await;
        store.create_user(&user("bob", &[]), "root").await.expect("user");
        assert!(matches!(
            store.create_user(&user("BOB", &[]), "root").await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.create_user(&user("carol", &["nope"]), "root").await,
            Err(StoreError::NotFound(_))
        ));
        assert!(
            store.find_user("carol").await.expect("find").is_none(),
            "a failed create leaves nothing"
        );
        assert!(matches!(
            store.create_group("devs", &["nobody".into()], "root").await,
            Err(StoreError::NotFound(_))
        ));
        assert!(store.list_groups().await.expect("groups").is_empty());
        let missing_feed = NewPermission {
            subject: PermissionSubject::User("bob".into()),
            task: "Publish Packages".into(),
            feed: Some("ghost".into()),
            deny: false,
        };
        assert!(matches!(
            store.add_permission(&missing_feed, "root").await,
            Err(StoreError::NotFound(_))
        ));
        assert!(store.list_permissions().await.expect("list").is_empty());
    }
}

#[tokio::test]
async fn deleting_a_user_takes_their_memberships_permissions_and_personal_keys() {
    for backend in backends() {
        let (store, _dir) = open(backend).await;
        store.create_group("devs", &[], "root").await.expect("group");
        store
            .create_user(&user("dave", &["devs"]), "root")
            .await
            .expect("user");
        store
            .add_permission(
                &NewPermission {
                    subject: PermissionSubject::User("Dave".into()),
                    task: "publish packages".into(),
                    feed: None,
                    deny: false,
                },
                "root",
            )
            .await
            .expect("permission");
        store
            .create_api_key(
                &NewApiKey {
                    key_hash: "personal-hash".into(),
                    key_type: "personal".into(),
                    display_name: String::new(),
                    description: String::new(),
                    system_apis: vec![],
                    package_permissions: vec![],
                    feed_name: None,
                    user_name: Some("dave".into()),
                    expires_at: None,
                },
                "root",
            )
            .await
            .expect("key");
        assert!(store.delete_user("dave", "root").await.expect("delete"));
        assert!(!store.delete_user("dave", "root").await.expect("delete again"));
        assert!(store.list_permissions().await.expect("list").is_empty());
        assert!(store.list_groups().await.expect("groups")[0].members.is_empty());
        assert!(store.find_api_key("personal-hash").await.expect("find").is_none());
    }
}

#[tokio::test]
async fn tasks_in_use_and_built_in_tasks_cannot_be_deleted() {
    for backend in backends() {
        let (store, _dir) = open(backend).await;
        let tasks = store.list_tasks().await.expect("tasks");
        assert_eq!(tasks.iter().filter(|t| t.built_in).count(), 5);
        // The migration's rows and the core's definitions must agree.
        for built_in in gantry_core::security::BUILT_IN_TASKS {
            let row = tasks
                .iter()
                .find(|t| t.name == built_in.name)
                .expect("built-in task row");
            let ids: Vec<&str> = built_in.attributes.iter().map(|a| a.id()).collect();
            assert_eq!(row.attributes, ids, "{}", built_in.name);
            assert!(row.built_in);
        }
        let custom = NewTask {
            name: "Unlisters".into(),
            description: "may unlist".into(),
            attributes: vec!["Feeds_ViewFeed".into(), "Feeds_UnlistPackage".into()],
        };
        let created = store.save_task(&custom, false, "root").await.expect("task");
        assert!(!created.built_in);
        assert!(created.id > 100, "custom task ids start after the reserved range");
        assert!(matches!(
            store.save_task(&custom, false, "root").await,
            Err(StoreError::Conflict(_))
        ));
        store
            .add_permission(
                &NewPermission {
                    subject: PermissionSubject::Virtual("Everyone".into()),
                    task: "unlisters".into(),
                    feed: None,
                    deny: false,
                },
                "root",
            )
            .await
            .expect("permission");
        assert!(matches!(
            store.delete_task("unlisters", "root").await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.delete_task("administer", "root").await,
            Err(StoreError::Conflict(_))
        ));
        assert!(!store.delete_task("nothing", "root").await.expect("absent"));
    }
}

#[tokio::test]
async fn deleting_a_feed_takes_its_permissions_and_raises_the_version() {
    for backend in backends() {
        let (store, _dir) = open(backend).await;
        let f = store.create_feed(&feed("approved")).await.expect("feed");
        store.create_group("devs", &[], "root").await.expect("group");
        let p = store
            .add_permission(
                &NewPermission {
                    subject: PermissionSubject::Group("devs".into()),
                    task: "View & Download Packages".into(),
                    feed: Some("APPROVED".into()),
                    deny: true,
                },
                "root",
            )
            .await
            .expect("permission");
        assert_eq!(p.feed.as_deref(), Some("approved"));
        assert!(p.deny);
        let snapshot = store.security_snapshot().await.expect("snapshot");
        assert_eq!(snapshot.permissions.len(), 1);
        assert!(snapshot.permissions[0]
            .attributes
            .contains(&"Feeds_ViewFeed".to_owned()));
        let before = store.security_version().await.expect("version");
        store.delete_feed(f.id).await.expect("delete feed");
        assert!(store.list_permissions().await.expect("list").is_empty());
        assert!(store.security_version().await.expect("version") > before);
    }
}
