//! Connector rows and the feeds that list them, on every configured backend.

use gantry_core::{FeedType, FeedUsage};
use gantry_store::sql::PoolSettings;
use gantry_store::testing::{backends, fresh_database};
use gantry_store::{ConnectorHealth, ConnectorSettings, FeedSettings, MetadataStore, SqlStore, StoreError};

fn connector(name: &str) -> ConnectorSettings {
    ConnectorSettings {
        name: name.into(),
        feed_type: FeedType::NuGet,
        url: "https://api.nuget.org/v3/index.json".into(),
        timeout_secs: 30,
        metadata_cache_enabled: true,
        metadata_cache_minutes: 30,
        metadata_cache_count: 100,
        username: Some("me".into()),
        password: Some("secret".into()),
        filters: vec!["Newtonsoft.*".into(), "!*.Beta".into()],
    }
}

fn feed(name: &str, connectors: &[&str]) -> FeedSettings {
    FeedSettings {
        name: name.into(),
        feed_type: FeedType::NuGet,
        description: String::new(),
        active: true,
        usage: FeedUsage::Proxy,
        promote_to_feed_id: None,
        deployment_records_enabled: true,
        alternate_names: vec![],
        allow_direct_uploads: false,
        connectors: connectors.iter().map(|c| (*c).to_owned()).collect(),
        cache_connectors: true,
        offline: false,
        immutable_tags: false,
    }
}

#[tokio::test]
async fn connectors_round_trip_and_feeds_list_them_in_order() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path()).await;
        let store = SqlStore::connect(&url, &PoolSettings::default())
            .await
            .expect("store opens");

        let nuget_org = store
            .create_connector(&connector("nuget.org"))
            .await
            .expect("created");
        assert_eq!(nuget_org.settings, connector("nuget.org"));
        assert_eq!(nuget_org.health.status, "unknown");
        assert!(matches!(
            store.create_connector(&connector("NuGet.org")).await,
            Err(StoreError::Conflict(_))
        ));
        let mirror = store
            .create_connector(&connector("mirror"))
            .await
            .expect("created");

        // Order is kept; an unknown name refuses the whole feed.
        let created = store
            .create_feed(&feed("public-nuget", &["nuget.org", "mirror"]))
            .await
            .expect("feed");
        assert_eq!(created.settings.connectors, ["nuget.org", "mirror"]);
        assert!(matches!(
            store.create_feed(&feed("other", &["nope"])).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(store.get_feed("other").await.expect("read").is_none());
        let reordered = store
            .update_feed(created.id, &feed("public-nuget", &["mirror", "nuget.org"]))
            .await
            .expect("updated");
        assert_eq!(reordered.settings.connectors, ["mirror", "nuget.org"]);

        // A rename shows through the feed, and raises its revision.
        let mut renamed = connector("nuget-org");
        renamed.filters = vec![];
        renamed.password = None;
        let updated = store
            .update_connector(nuget_org.id, &renamed)
            .await
            .expect("renamed");
        assert_eq!(updated.settings, renamed);
        let feed_now = store
            .get_feed("public-nuget")
            .await
            .expect("read")
            .expect("there");
        assert_eq!(feed_now.settings.connectors, ["mirror", "nuget-org"]);
        assert!(feed_now.package_revision > reordered.package_revision);

        let health = ConnectorHealth {
            status: "unhealthy".into(),
            last_error: Some("connection refused".into()),
            last_error_at: Some(5),
            last_success_at: Some(3),
        };
        store
            .record_connector_health(mirror.id, &health)
            .await
            .expect("health");
        let mirror_now = store.get_connector("mirror").await.expect("read").expect("there");
        assert_eq!(mirror_now.health, health);

        // Deleting a connector takes it off the feeds that listed it.
        store.delete_connector(mirror.id).await.expect("deleted");
        assert!(matches!(
            store.delete_connector(mirror.id).await,
            Err(StoreError::NotFound(_))
        ));
        let feed_now = store
            .get_feed("public-nuget")
            .await
            .expect("read")
            .expect("there");
        assert_eq!(feed_now.settings.connectors, ["nuget-org"]);
        assert_eq!(store.list_connectors().await.expect("list").len(), 1);
    }
}
