//! The generic packages API: `/api/packages/{feed}/...`.

use gantry_test_support::{upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::expect_status;

async fn seeded() -> Vec<TestApp> {
    let apps = TestApp::each_backend().await;
    for app in &apps {
        app.create_feed("tools", "universal").await;
        for version in ["1.0.0", "1.1.0", "2.0.0-rc.1"] {
            let (status, body) = app
                .upload_upack(
                    "tools",
                    ADMIN_KEY,
                    upack("acme", "hammer", version, version.as_bytes()),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (status, _) = app
            .upload_upack("tools", ADMIN_KEY, upack("", "saw", "0.5.0", b"saw"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    apps
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    serde_json::from_str(&expect_status(response, StatusCode::OK, &format!("{:?} {path}", app.backend)).await)
        .expect("json")
}

#[tokio::test]
async fn versions_report_package_version_info() {
    for app in seeded().await {
        let all = json_of(&app, "/api/packages/tools/versions").await;
        assert_eq!(all.as_array().expect("array").len(), 4);
        let hammer = json_of(
            &app,
            "/api/packages/tools/versions?name=HAMMER&group=acme&version=1.1.0",
        )
        .await;
        let info = &hammer[0];
        assert_eq!(hammer.as_array().expect("array").len(), 1);
        assert_eq!(info["purl"], "pkg:upack/acme/hammer@1.1.0");
        assert_eq!(info["group"], "acme");
        assert_eq!(info["name"], "hammer");
        assert_eq!(info["publishedBy"], "SYSTEM");
        assert_eq!(info["listed"], true);
        assert_eq!(info["downloads"], 0);
        let expected = upack("acme", "hammer", "1.1.0", b"1.1.0");
        assert_eq!(info["size"], expected.len());
        assert_eq!(info["sha256"], hex::encode(Sha256::digest(&expected)));
        assert_eq!(info["sha1"].as_str().expect("sha1").len(), 40);
        assert_eq!(info["sha512"].as_str().expect("sha512").len(), 128);
        assert_eq!(info["md5"].as_str().expect("md5").len(), 32);
        assert!(info["published"].as_str().expect("date").ends_with('Z'));
        let saw = json_of(&app, "/api/packages/tools/versions?name=saw").await;
        assert!(saw[0].get("group").is_none(), "no group for an ungrouped package");
    }
}

#[tokio::test]
async fn latest_per_package_with_and_without_prereleases() {
    for app in seeded().await {
        let latest = json_of(&app, "/api/packages/tools/latest").await;
        let pairs: Vec<(String, String)> = latest
            .as_array()
            .expect("array")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_owned(),
                    p["version"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert!(
            pairs.contains(&("hammer".into(), "2.0.0-rc.1".into())),
            "{pairs:?}"
        );
        assert!(pairs.contains(&("saw".into(), "0.5.0".into())), "{pairs:?}");
        let stable = json_of(
            &app,
            "/api/packages/tools/latest?name=hammer&group=acme&stableOnly=true",
        )
        .await;
        assert_eq!(stable[0]["version"], "1.1.0");
        assert_eq!(stable.as_array().expect("array").len(), 1);
        let none = json_of(&app, "/api/packages/tools/latest?name=nothing").await;
        assert_eq!(none, serde_json::json!([]));
    }
}

#[tokio::test]
async fn download_by_name_or_purl_and_delete() {
    for app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        let by_name = app
            .anonymous(
                Method::GET,
                "/api/packages/tools/download?group=acme&name=hammer&version=1.0.0",
            )
            .send()
            .await
            .expect("request");
        assert_eq!(by_name.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            by_name.bytes().await.expect("bytes").as_ref(),
            upack("acme", "hammer", "1.0.0", b"1.0.0").as_slice()
        );
        let by_purl = app
            .anonymous(
                Method::GET,
                "/api/packages/tools/download?purl=pkg:upack/acme/hammer@latest-stable",
            )
            .send()
            .await
            .expect("request");
        assert_eq!(by_purl.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            by_purl.bytes().await.expect("bytes").as_ref(),
            upack("acme", "hammer", "1.1.0", b"1.1.0").as_slice()
        );
        let downloads = json_of(&app, "/api/packages/tools/versions?name=hammer&version=1.0.0").await;
        assert_eq!(downloads[0]["downloads"], 1);
        assert_eq!(downloads[0]["totalDownloads"], 2);

        for (query, status) in [
            ("name=hammer", StatusCode::BAD_REQUEST),
            ("version=1.0.0", StatusCode::BAD_REQUEST),
            ("purl=pkg:npm/hammer@1.0.0", StatusCode::BAD_REQUEST),
            ("name=hammer&group=acme&version=9.9.9", StatusCode::NOT_FOUND),
            (
                "name=hammer&group=acme&version=not-semver",
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let response = app
                .anonymous(Method::GET, &format!("/api/packages/tools/download?{query}"))
                .send()
                .await
                .expect("request");
            expect_status(response, status, &format!("{ctx} {query}")).await;
        }
        let missing_feed = app
            .anonymous(Method::GET, "/api/packages/nope/versions")
            .send()
            .await
            .expect("request");
        expect_status(missing_feed, StatusCode::NOT_FOUND, &ctx).await;

        let anonymous_delete = app
            .anonymous(Method::POST, "/api/packages/tools/delete?name=saw&version=0.5.0")
            .send()
            .await
            .expect("request");
        expect_status(anonymous_delete, StatusCode::UNAUTHORIZED, &ctx).await;
        let deleted = app
            .admin(
                Method::POST,
                "/api/packages/tools/delete?purl=pkg:upack/saw@0.5.0",
            )
            .send()
            .await
            .expect("request");
        expect_status(deleted, StatusCode::OK, &ctx).await;
        let left = json_of(&app, "/api/packages/tools/versions?name=saw").await;
        assert_eq!(left, serde_json::json!([]));
    }
}

#[tokio::test]
async fn status_unlists_and_deprecates_and_is_recorded() {
    for app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        let anonymous = app
            .anonymous(
                Method::POST,
                "/api/packages/tools/status?group=acme&name=hammer&version=1.0.0",
            )
            .json(&serde_json::json!({"listed": false}))
            .send()
            .await
            .expect("request");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;

        let changed = app
            .admin(
                Method::POST,
                "/api/packages/tools/status?purl=pkg:upack/acme/hammer@1.0.0",
            )
            .json(&serde_json::json!({"listed": false, "deprecated": true, "deprecationReason": "use 1.1"}))
            .send()
            .await
            .expect("request");
        let info: Value =
            serde_json::from_str(&expect_status(changed, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(
            (&info["listed"], &info["deprecated"], &info["deprecationReason"]),
            (&Value::Bool(false), &Value::Bool(true), &Value::from("use 1.1")),
            "{ctx}"
        );
        let listed = json_of(&app, "/api/packages/tools/versions?name=hammer&version=1.0.0").await;
        assert_eq!(listed[0]["listed"], false, "{ctx}");
        assert_eq!(listed[0]["deprecationReason"], "use 1.1", "{ctx}");

        // Relist and undeprecate: the reason goes with the flag.
        let restored = app
            .admin(
                Method::POST,
                "/api/packages/tools/status?group=acme&name=hammer&version=1.0.0",
            )
            .json(&serde_json::json!({"listed": true, "deprecated": false}))
            .send()
            .await
            .expect("request");
        let info: Value =
            serde_json::from_str(&expect_status(restored, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(
            (&info["listed"], &info["deprecated"]),
            (&Value::Bool(true), &Value::Bool(false))
        );
        assert!(info.get("deprecationReason").is_none(), "{ctx}: {info}");

        let history = json_of(
            &app,
            "/api/packages/tools/history?group=acme&name=hammer&version=1.0.0",
        )
        .await;
        let actions: Vec<&str> = history
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["added", "status-changed", "status-changed"], "{ctx}");
        assert_eq!(history[1]["details"]["deprecationReason"], "use 1.1");
        assert_eq!(history[2]["details"]["listed"], true);

        for (query, body, status) in [
            (
                "group=acme&name=hammer&version=1.0.0",
                serde_json::json!({"listed": "no"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "group=acme&name=hammer&version=1.0.0",
                serde_json::json!({"allowDownload": false}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "group=acme&name=hammer&version=1.0.0",
                serde_json::json!({"colour": "red"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "group=acme&name=hammer",
                serde_json::json!({"listed": false}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "group=acme&name=hammer&version=9.0.0",
                serde_json::json!({"listed": false}),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let response = app
                .admin(Method::POST, &format!("/api/packages/tools/status?{query}"))
                .json(&body)
                .send()
                .await
                .expect("request");
            expect_status(response, status, &format!("{ctx} {query} {body}")).await;
        }
    }
}
