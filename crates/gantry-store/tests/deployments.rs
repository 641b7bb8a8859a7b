//! Deployment records: recording, listing and "where does it run". On every backend.

use gantry_store::sql::PoolSettings;
use gantry_store::testing::{backends, fresh_database};
use gantry_store::{
    DeploymentQuery, EventKind, FeedVisibility, MetadataStore, NewDeployment, PackageKey, SqlStore,
};

fn deployment(version: &str, target: &str, at: i64) -> NewDeployment {
    NewDeployment {
        feed_name: "Approved".into(),
        package_type: "upack".into(),
        group: "acme".into(),
        name: "Engine".into(),
        version: version.into(),
        key: PackageKey {
            group_key: "acme".into(),
            name_key: "engine".into(),
            version_key: version.into(),
        },
        application: "BuildMaster".into(),
        description: "release".into(),
        target: target.into(),
        user: "alice".into(),
        url: Some("https://ci.example/run/1".into()),
        at,
    }
}

#[tokio::test]
async fn deployments_answer_where_each_version_runs() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path()).await;
        let store = SqlStore::connect(&url, &PoolSettings::default())
            .await
            .expect("store");
        for (version, target, at) in [
            ("1.0.0", "web01", 1000),
            ("1.0.0", "WEB02", 2000),
            ("1.1.0", "web02", 3000),
        ] {
            store
                .record_deployment(&deployment(version, target, at))
                .await
                .expect("record");
        }
        let targets = store
            .deployment_targets("approved", "acme", "engine")
            .await
            .expect("targets");
        let pairs: Vec<(String, String)> = targets
            .iter()
            .map(|d| (d.target.to_lowercase(), d.version.clone()))
            .collect();
        assert_eq!(
            pairs,
            [("web01".into(), "1.0.0".into()), ("web02".into(), "1.1.0".into())],
            "{backend:?}"
        );

        let all = store
            .list_deployments(&DeploymentQuery::default())
            .await
            .expect("list");
        assert_eq!(
            all.iter().map(|d| d.at).collect::<Vec<_>>(),
            [3000, 2000, 1000],
            "newest first"
        );
        let count = |q: DeploymentQuery| {
            let store = store.clone();
            async move { store.list_deployments(&q).await.expect("list").len() }
        };
        assert_eq!(
            count(DeploymentQuery {
                target_key: Some("web02".into()),
                ..Default::default()
            })
            .await,
            2
        );
        assert_eq!(
            count(DeploymentQuery {
                version_key: Some("1.0.0".into()),
                ..Default::default()
            })
            .await,
            2
        );
        assert_eq!(
            count(DeploymentQuery {
                since: Some(2000),
                until: Some(3000),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            count(DeploymentQuery {
                application: Some("Octopus".into()),
                ..Default::default()
            })
            .await,
            0
        );
        assert_eq!(
            count(DeploymentQuery {
                visible: FeedVisibility::Only(vec!["other".into()]),
                ..Default::default()
            })
            .await,
            0
        );
        let page = store
            .list_deployments(&DeploymentQuery {
                limit: Some(2),
                ..Default::default()
            })
            .await
            .expect("list");
        let rest = store
            .list_deployments(&DeploymentQuery {
                before_id: Some(page[1].id),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].at, 1000);

        let key = PackageKey {
            group_key: "acme".into(),
            name_key: "engine".into(),
            version_key: "1.1.0".into(),
        };
        let history = store.package_events(&[], &key).await.expect("events");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].kind, EventKind::Deployed);
        assert_eq!(history[0].details["target"], "web02");
        assert_eq!(history[0].details["url"], "https://ci.example/run/1");
    }
}
