//! Feed management: `/api/management/feeds/...`.

use gantry_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

#[tokio::test]
async fn create_get_list_update_delete() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let created = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "Approved", "feedType": "universal", "description": "vetted", "usage": "validated"}))
            .send()
            .await
            .expect("request");
        let body: Value =
            serde_json::from_str(&expect_status(created, StatusCode::CREATED, &ctx).await).expect("json");
        assert_eq!(body["name"], "Approved");
        assert_eq!(body["feedType"], "universal");
        assert_eq!(body["description"], "vetted");
        assert_eq!(body["active"], true);
        assert_eq!(body["usage"], "validated");
        assert_eq!(body["promoteToFeed"], Value::Null);
        assert_eq!(body["deploymentRecordsEnabled"], true);

        // Names are unique case-insensitively; look-ups ignore case.
        let dup = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "APPROVED", "feedType": "universal"}))
            .send()
            .await
            .expect("request");
        expect_status(dup, StatusCode::CONFLICT, &ctx).await;
        let got = app
            .anonymous(Method::GET, "/api/management/feeds/get/approved")
            .send()
            .await
            .expect("request");
        let got: Value = serde_json::from_str(&expect_status(got, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(got["name"], "Approved");

        app.create_feed("dev", "universal").await;
        let updated = app
            .admin(Method::POST, "/api/management/feeds/update/dev")
            .json(&json!({"promoteToFeed": "approved", "description": "daily builds", "active": false}))
            .send()
            .await
            .expect("request");
        let updated: Value =
            serde_json::from_str(&expect_status(updated, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(updated["promoteToFeed"], "Approved");
        assert_eq!(updated["description"], "daily builds");
        assert_eq!(updated["active"], false);

        let list = app
            .anonymous(Method::GET, "/api/management/feeds/list")
            .send()
            .await
            .expect("request");
        let list: Value =
            serde_json::from_str(&expect_status(list, StatusCode::OK, &ctx).await).expect("json");
        let names: Vec<&str> = list
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert_eq!(names, ["Approved", "dev"]);

        // A pipeline target cannot be deleted; clearing the pipeline allows it.
        let refused = app
            .admin(Method::DELETE, "/api/management/feeds/delete/Approved")
            .send()
            .await
            .expect("request");
        let reason = expect_status(refused, StatusCode::CONFLICT, &ctx).await;
        assert!(reason.contains("promotion target"), "{reason}");
        let cleared = app
            .admin(Method::POST, "/api/management/feeds/update/dev")
            .json(&json!({"promoteToFeed": null}))
            .send()
            .await
            .expect("request");
        let cleared: Value =
            serde_json::from_str(&expect_status(cleared, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(cleared["promoteToFeed"], Value::Null);
        let deleted = app
            .admin(Method::DELETE, "/api/management/feeds/delete/Approved")
            .send()
            .await
            .expect("request");
        expect_status(deleted, StatusCode::OK, &ctx).await;
        // ProGet scripts delete with POST too.
        let deleted = app
            .admin(Method::POST, "/api/management/feeds/delete/dev")
            .send()
            .await
            .expect("request");
        expect_status(deleted, StatusCode::OK, &ctx).await;
        let gone = app
            .anonymous(Method::GET, "/api/management/feeds/get/dev")
            .send()
            .await
            .expect("request");
        expect_status(gone, StatusCode::NOT_FOUND, &ctx).await;
    }
}

#[tokio::test]
async fn invalid_feeds_are_refused_with_a_reason() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let cases = [
            (
                json!({"feedType": "universal"}),
                StatusCode::BAD_REQUEST,
                "name is required",
            ),
            (
                json!({"name": "x"}),
                StatusCode::BAD_REQUEST,
                "feedType is required",
            ),
            (
                json!({"name": "a/b", "feedType": "universal"}),
                StatusCode::BAD_REQUEST,
                "contains the character",
            ),
            (
                json!({"name": "..", "feedType": "universal"}),
                StatusCode::BAD_REQUEST,
                "must start with a letter or digit",
            ),
            (
                json!({"name": "tab\there", "feedType": "universal"}),
                StatusCode::BAD_REQUEST,
                "contains the character",
            ),
            (
                json!({"name": "x".repeat(101), "feedType": "universal"}),
                StatusCode::BAD_REQUEST,
                "at most 100",
            ),
            (
                json!({"name": "x", "feedType": "zip"}),
                StatusCode::BAD_REQUEST,
                "unknown feed type",
            ),
            (
                json!({"name": "x", "feedType": "rpm"}),
                StatusCode::BAD_REQUEST,
                "not supported yet",
            ),
            (
                json!({"name": "x", "feedType": "universal", "usage": "secret"}),
                StatusCode::BAD_REQUEST,
                "unknown feed usage",
            ),
            (
                json!({"name": "x", "feedType": "universal", "promoteToFeed": "nowhere"}),
                StatusCode::BAD_REQUEST,
                "does not exist",
            ),
            (
                json!({"name": "x", "feedType": "universal", "retentionRules": []}),
                StatusCode::BAD_REQUEST,
                "unknown field",
            ),
            (
                json!({"name": "x", "feedType": "universal", "connectors": ["nowhere"]}),
                StatusCode::BAD_REQUEST,
                "no connector named",
            ),
            (
                json!({"name": "x", "feedType": "universal", "promoteToFeed": "x"}),
                StatusCode::BAD_REQUEST,
                "itself",
            ),
        ];
        for (input, status, reason) in cases {
            let response = app
                .admin(Method::POST, "/api/management/feeds/create")
                .json(&input)
                .send()
                .await
                .expect("request");
            let body = expect_status(response, status, &format!("{ctx} {input}")).await;
            assert!(
                body.contains(reason),
                "{ctx} {input}: '{body}' should mention '{reason}'"
            );
        }
        let malformed = app
            .admin(Method::POST, "/api/management/feeds/create")
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("request");
        expect_status(malformed, StatusCode::BAD_REQUEST, &ctx).await;
        let list = app
            .admin(Method::GET, "/api/management/feeds/list")
            .send()
            .await
            .expect("request");
        assert_eq!(
            expect_status(list, StatusCode::OK, &ctx).await,
            "[]",
            "{ctx}: nothing was created"
        );
    }
}

#[tokio::test]
async fn pipelines_refuse_loops_and_other_types() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        for name in ["dev", "rc", "prod"] {
            app.create_feed(name, "universal").await;
        }
        for (feed, target) in [("dev", "rc"), ("rc", "prod")] {
            let response = app
                .admin(Method::POST, &format!("/api/management/feeds/update/{feed}"))
                .json(&json!({"promoteToFeed": target}))
                .send()
                .await
                .expect("request");
            expect_status(response, StatusCode::OK, &ctx).await;
        }
        let looped = app
            .admin(Method::POST, "/api/management/feeds/update/prod")
            .json(&json!({"promoteToFeed": "dev"}))
            .send()
            .await
            .expect("request");
        let reason = expect_status(looped, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(reason.contains("loop"), "{reason}");
        let changed_type = app
            .admin(Method::POST, "/api/management/feeds/update/prod")
            .json(&json!({"feedType": "nuget"}))
            .send()
            .await
            .expect("request");
        expect_status(changed_type, StatusCode::BAD_REQUEST, &ctx).await;
        let prod = app
            .admin(Method::GET, "/api/management/feeds/get/prod")
            .send()
            .await
            .expect("request");
        let prod: Value =
            serde_json::from_str(&expect_status(prod, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(
            prod["promoteToFeed"],
            Value::Null,
            "{ctx}: the refused update changed nothing"
        );
    }
}

#[tokio::test]
async fn managing_feeds_needs_a_key_with_the_right() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("f", "universal").await;
        let body = json!({"name": "g", "feedType": "universal"});
        let anonymous = app
            .anonymous(Method::POST, "/api/management/feeds/create")
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(anonymous.headers()["www-authenticate"], "Basic realm=\"Gantry\"");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;
        let wrong = app
            .with_key(
                Method::POST,
                "/api/management/feeds/create",
                "not-a-real-key-at-all",
            )
            .json(&body)
            .send()
            .await
            .expect("request");
        let reason = expect_status(wrong, StatusCode::FORBIDDEN, &ctx).await;
        assert!(
            reason.contains("does not have the proper permissions"),
            "{reason}"
        );
        let feed_key = app
            .create_key(json!({"type": "feed", "feed": "f", "packagePermissions": ["view", "add", "delete"]}))
            .await;
        let insufficient = app
            .with_key(Method::POST, "/api/management/feeds/create", &feed_key)
            .json(&body)
            .send()
            .await
            .expect("request");
        expect_status(insufficient, StatusCode::FORBIDDEN, &ctx).await;
        let system_feeds_key = app
            .create_key(json!({"type": "system", "systemApis": ["feeds"]}))
            .await;
        let allowed = app
            .with_key(Method::POST, "/api/management/feeds/create", &system_feeds_key)
            .json(&body)
            .send()
            .await
            .expect("request");
        expect_status(allowed, StatusCode::CREATED, &ctx).await;
    }
}
