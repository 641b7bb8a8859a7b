//! The generic packages API, `/api/packages/{feed}/...`, for every package
//! type (`type_test!`: one test per type and backend).

use std::collections::HashMap;

use gantry_test_support::{type_test, Built, PackageRef, TestApp, TypeFixture};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::expect_status;

/// What [`seeded`] published.
struct Seed {
    /// acme/hammer as the type writes it: 1.0.0, 1.1.0 and the type's
    /// prerelease (2.0.0-rc.1, see [`TypeFixture::prerelease`]).
    hammer: PackageRef,
    /// saw, without a group: 0.5.0.
    saw: PackageRef,
    /// hammer's files by version.
    published: HashMap<&'static str, Built>,
}

/// A feed `tools` of the type with hammer 1.0.0, 1.1.0 and 2.0.0-rc.1 (the
/// type's prerelease)
/// (each holding its version as content) and saw 0.5.0.
async fn seeded(app: &TestApp, ty: impl TypeFixture) -> Seed {
    ty.create_feed(app, "tools").await;
    let hammer = ty.package("acme", "hammer");
    let mut published = HashMap::new();
    for version in ["1.0.0", "1.1.0", ty.prerelease()] {
        let built = ty
            .publish_new(app, "tools", &hammer, version, version.as_bytes())
            .await;
        published.insert(version, built);
    }
    let saw = ty.package("", "saw");
    ty.publish_new(app, "tools", &saw, "0.5.0", b"saw").await;
    Seed {
        hammer,
        saw,
        published,
    }
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    serde_json::from_str(&expect_status(response, StatusCode::OK, &format!("{:?} {path}", app.backend)).await)
        .expect("json")
}

/// `[Backend type]`, for assertion messages.
fn context(app: &TestApp, ty: impl TypeFixture) -> String {
    format!("[{:?} {}]", app.backend, ty.label())
}

/// The group as the API shows it: absent (`Null`) when there is none.
fn group_of(package: &PackageRef) -> Value {
    if package.group.is_empty() {
        Value::Null
    } else {
        json!(package.group)
    }
}

/// A purl of another package type than `ty`'s, which the feed must refuse.
fn foreign_purl(ty: impl TypeFixture) -> &'static str {
    if ty.package_type() == "npm" {
        "pkg:upack/hammer@1.0.0"
    } else {
        "pkg:npm/hammer@1.0.0"
    }
}

type_test! {
    async fn versions_report_package_version_info(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let all = json_of(&app, "/api/packages/tools/versions").await;
        assert_eq!(all.as_array().expect("array").len(), 4, "{ctx}");
        // The name in another case: identity compares as the type does
        // (Maven's coordinates are case-sensitive: its own case, and none
        // in another).
        let name = if ty.names_ignore_case() {
            seed.hammer.name.to_uppercase()
        } else {
            let other = format!(
                "/api/packages/tools/versions?group={}&name={}",
                seed.hammer.group,
                seed.hammer.name.to_uppercase()
            );
            assert_eq!(json_of(&app, &other).await, json!([]), "{ctx}: case-sensitive");
            seed.hammer.name.clone()
        };
        let mut query = format!("name={name}&version=1.1.0");
        if !seed.hammer.group.is_empty() {
            query = format!("{query}&group={}", seed.hammer.group);
        }
        let hammer = json_of(&app, &format!("/api/packages/tools/versions?{query}")).await;
        let info = &hammer[0];
        assert_eq!(hammer.as_array().expect("array").len(), 1, "{ctx}: {hammer}");
        assert_eq!(info["purl"], ty.purl(&seed.hammer, "1.1.0"), "{ctx}");
        assert_eq!(info["group"], group_of(&seed.hammer), "{ctx}");
        assert_eq!(info["name"], seed.hammer.name.as_str());
        assert_eq!(info["publishedBy"], "SYSTEM");
        assert_eq!(info["listed"], true);
        assert_eq!(info["downloads"], 0);
        let expected = &seed.published["1.1.0"].bytes;
        assert_eq!(info["size"], ty.stored_size(&seed.published["1.1.0"]), "{ctx}");
        assert_eq!(info["sha256"], hex::encode(Sha256::digest(expected)), "{ctx}");
        assert_eq!(info["sha1"].as_str().expect("sha1").len(), 40);
        assert_eq!(info["sha512"].as_str().expect("sha512").len(), 128);
        assert_eq!(info["md5"].as_str().expect("md5").len(), 32);
        assert!(info["published"].as_str().expect("date").ends_with('Z'));
        let saw = json_of(&app, &format!("/api/packages/tools/versions?{}", seed.saw.query())).await;
        if seed.saw.group.is_empty() {
            assert!(saw[0].get("group").is_none(), "{ctx}: no group for an ungrouped package");
        } else {
            // Maven: every artifact has a groupId.
            assert_eq!(saw[0]["group"], seed.saw.group.as_str(), "{ctx}");
        }
    }

    async fn latest_per_package_with_and_without_prereleases(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
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
            pairs.contains(&(seed.hammer.name.clone(), ty.prerelease().into())),
            "{ctx}: {pairs:?}"
        );
        assert!(pairs.contains(&(seed.saw.name.clone(), "0.5.0".into())), "{ctx}: {pairs:?}");
        let stable = json_of(
            &app,
            &format!("/api/packages/tools/latest?{}&stableOnly=true", seed.hammer.query()),
        )
        .await;
        assert_eq!(stable[0]["version"], "1.1.0", "{ctx}");
        assert_eq!(stable.as_array().expect("array").len(), 1);
        let none = json_of(&app, "/api/packages/tools/latest?name=nothing").await;
        assert_eq!(none, json!([]));
    }

    async fn download_by_name_or_purl_and_delete(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let by_name = app
            .anonymous(
                Method::GET,
                &format!("/api/packages/tools/download?{}&version=1.0.0", seed.hammer.query()),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(by_name.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            by_name.bytes().await.expect("bytes").as_ref(),
            seed.published["1.0.0"].bytes.as_slice(),
            "{ctx}"
        );
        let by_purl = app
            .anonymous(Method::GET, "/api/packages/tools/download")
            .query(&[("purl", ty.selecting_purl("tools", &seed.hammer, "latest-stable"))])
            .send()
            .await
            .expect("request");
        assert_eq!(by_purl.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            by_purl.bytes().await.expect("bytes").as_ref(),
            seed.published["1.1.0"].bytes.as_slice(),
            "{ctx}"
        );
        let downloads = json_of(
            &app,
            &format!("/api/packages/tools/versions?{}&version=1.0.0", seed.hammer.query()),
        )
        .await;
        assert_eq!(downloads[0]["downloads"], 1, "{ctx}");
        assert_eq!(downloads[0]["totalDownloads"], 2, "{ctx}");

        let hammer = seed.hammer.query();
        for (query, status) in [
            (format!("name={}", seed.hammer.name), StatusCode::BAD_REQUEST),
            ("version=1.0.0".to_owned(), StatusCode::BAD_REQUEST),
            (format!("purl={}", foreign_purl(ty)), StatusCode::BAD_REQUEST),
            (format!("{hammer}&version=9.9.9"), StatusCode::NOT_FOUND),
            (
                format!("{hammer}&version={}", ty.invalid_version("not-semver")),
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
            .anonymous(
                Method::POST,
                &format!("/api/packages/tools/delete?{}&version=0.5.0", seed.saw.query()),
            )
            .send()
            .await
            .expect("request");
        expect_status(anonymous_delete, StatusCode::UNAUTHORIZED, &ctx).await;
        let deleted = app
            .admin(Method::POST, "/api/packages/tools/delete")
            .query(&[("purl", ty.selecting_purl("tools", &seed.saw, "0.5.0"))])
            .send()
            .await
            .expect("request");
        expect_status(deleted, StatusCode::OK, &ctx).await;
        let left = json_of(&app, &format!("/api/packages/tools/versions?{}", seed.saw.query())).await;
        assert_eq!(left, json!([]), "{ctx}");
        // Gone from the type's protocol too.
        for path in ty.download_paths("tools", &seed.saw, "0.5.0") {
            let response = app.anonymous(Method::GET, &path).send().await.expect("request");
            expect_status(response, StatusCode::NOT_FOUND, &format!("{ctx} GET {path}")).await;
        }
    }

    async fn status_unlists_and_deprecates_and_is_recorded(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let hammer_1 = format!("{}&version=1.0.0", seed.hammer.query());
        let anonymous = app
            .anonymous(Method::POST, &format!("/api/packages/tools/status?{hammer_1}"))
            .json(&json!({"listed": false}))
            .send()
            .await
            .expect("request");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;

        let changed = app
            .admin(Method::POST, "/api/packages/tools/status")
            .query(&[("purl", ty.selecting_purl("tools", &seed.hammer, "1.0.0"))])
            .json(&json!({"listed": false, "deprecated": true, "deprecationReason": "use 1.1"}))
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
        let listed = json_of(&app, &format!("/api/packages/tools/versions?{hammer_1}")).await;
        assert_eq!(listed[0]["listed"], false, "{ctx}");
        assert_eq!(listed[0]["deprecationReason"], "use 1.1", "{ctx}");

        // Relist and undeprecate: the reason goes with the flag.
        let restored = app
            .admin(Method::POST, &format!("/api/packages/tools/status?{hammer_1}"))
            .json(&json!({"listed": true, "deprecated": false}))
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

        let history = json_of(&app, &format!("/api/packages/tools/history?{hammer_1}")).await;
        let actions: Vec<&str> = history
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        let published = ty.publish_actions();
        let expected: Vec<&str> = [published, &["status-changed", "status-changed"]].concat();
        assert_eq!(actions, expected, "{ctx}");
        let n = published.len();
        assert_eq!(history[n]["details"]["deprecationReason"], "use 1.1");
        assert_eq!(history[n + 1]["details"]["listed"], true);

        let hammer = seed.hammer.query();
        for (query, body, status) in [
            (hammer_1.clone(), json!({"listed": "no"}), StatusCode::BAD_REQUEST),
            (hammer_1.clone(), json!({"allowDownload": false}), StatusCode::BAD_REQUEST),
            (hammer_1.clone(), json!({"colour": "red"}), StatusCode::BAD_REQUEST),
            (hammer.clone(), json!({"listed": false}), StatusCode::BAD_REQUEST),
            (
                format!("{hammer}&version=9.0.0"),
                json!({"listed": false}),
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
