//! Promotion: `POST /api/promotions/promote`, `GET /api/promotions/list`,
//! package history, pipelines and validated feeds.

use std::collections::HashSet;

use gantry_server::events::Event;
use gantry_test_support::ui::{create_user, grant};
use gantry_test_support::{noise, upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

/// Apps with feeds `unapproved` and `approved` and hammer 1.0.0, 1.1.0 and
/// 2.0.0-rc.1 in `unapproved`.
async fn seeded() -> Vec<TestApp> {
    let apps = TestApp::each_backend().await;
    for app in &apps {
        app.create_feed("unapproved", "universal").await;
        app.create_feed("approved", "universal").await;
        for version in ["1.0.0", "1.1.0", "2.0.0-rc.1"] {
            let (status, body) = app
                .upload_upack(
                    "unapproved",
                    ADMIN_KEY,
                    upack("acme", "hammer", version, &noise(7, 4096)),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    apps
}

async fn promote_json(app: &TestApp, key: &str, body: Value) -> (StatusCode, String) {
    let response = app
        .with_key(Method::POST, "/api/promotions/promote", key)
        .json(&body)
        .send()
        .await
        .expect("request");
    (response.status(), response.text().await.expect("body"))
}

async fn versions(app: &TestApp, feed: &str) -> Vec<String> {
    let list = app.admin_json(&format!("/api/packages/{feed}/versions")).await;
    let mut v: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["version"].as_str().unwrap_or_default().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn promotion_copies_without_new_bytes_and_leaves_the_source() {
    for mut app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        let blobs_before = app.blob_files();
        let (status, body) = promote_json(
            &app,
            ADMIN_KEY,
            json!({"fromFeed": "unapproved", "toFeed": "approved", "name": "hammer", "group": "acme",
                   "version": "1.1.0", "comments": "license checked"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
        let answer: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(answer["packageName"], "hammer");
        assert_eq!(answer["groupName"], "acme");
        assert_eq!(answer["packageType"], "upack");
        assert_eq!(answer["version"], "1.1.0");
        assert_eq!(answer["copied"], true);
        assert_eq!(answer["promotions"][0]["user"], "SYSTEM");
        assert_eq!(answer["promotions"][0]["comments"], "license checked");

        assert_eq!(versions(&app, "approved").await, ["1.1.0"]);
        assert_eq!(
            versions(&app, "unapproved").await,
            ["1.0.0", "1.1.0", "2.0.0-rc.1"],
            "{ctx}: source untouched"
        );
        assert_eq!(
            app.blob_files(),
            blobs_before,
            "{ctx}: promotion writes no new bytes"
        );
        let source = app
            .anonymous(Method::GET, "/upack/unapproved/download/acme/hammer/1.1.0")
            .send()
            .await
            .expect("request");
        let target = app
            .anonymous(Method::GET, "/upack/approved/download/acme/hammer/1.1.0")
            .send()
            .await
            .expect("request");
        assert_eq!(
            source.bytes().await.expect("bytes"),
            target.bytes().await.expect("bytes"),
            "{ctx}: byte-identical"
        );

        match app.events.try_recv() {
            Ok(Event::Promoted { promotion, copied }) => {
                assert!(copied);
                assert_eq!(
                    (promotion.from_feed.as_str(), promotion.to_feed.as_str()),
                    ("unapproved", "approved")
                );
            }
            other => panic!("{ctx}: expected a Promoted event, got {other:?}"),
        }

        // Promoting it again succeeds, copies nothing, and is still recorded.
        let (status, body) = promote_json(
            &app,
            ADMIN_KEY,
            json!({"fromFeed": "unapproved", "toFeed": "approved", "name": "hammer", "group": "acme", "version": "1.1.0"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("json")["copied"],
            false
        );
        let list = app.admin_json("/api/promotions/list?packageName=hammer").await;
        assert_eq!(list[0]["promotions"].as_array().expect("array").len(), 2, "{ctx}");
    }
}

#[tokio::test]
async fn form_multipart_legacy_names_and_body_keys_are_accepted() {
    for app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("third", "universal").await;
        app.create_feed("fourth", "universal").await;
        let form = app
            .anonymous(Method::POST, "/api/promotions/promote")
            .form(&[
                ("fromFeed", "unapproved"),
                ("toFeed", "approved"),
                ("name", "hammer"),
                ("group", "acme"),
                ("version", "1.0.0"),
                ("comments", "via form"),
                ("key", ADMIN_KEY),
            ])
            .send()
            .await
            .expect("request");
        expect_status(form, StatusCode::OK, &format!("{ctx} form")).await;
        let multipart = reqwest::multipart::Form::new()
            .text("fromFeed", "unapproved")
            .text("toFeed", "third")
            .text("packageName", "hammer")
            .text("groupName", "acme")
            .text("version", "1.0.0");
        let multipart = app
            .admin(Method::POST, "/api/promotions/promote")
            .multipart(multipart)
            .send()
            .await
            .expect("request");
        expect_status(multipart, StatusCode::OK, &format!("{ctx} multipart")).await;
        let (status, body) = promote_json(
            &app,
            "",
            json!({"fromFeed": "unapproved", "toFeed": "fourth", "packageName": "hammer", "groupName": "acme",
                   "version": "1.0.0", "API_Key": ADMIN_KEY}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx} legacy JSON: {body}");
        for feed in ["approved", "third", "fourth"] {
            assert_eq!(versions(&app, feed).await, ["1.0.0"], "{ctx} {feed}");
        }
        let list = app
            .admin_json("/api/promotions/list?fromFeed=unapproved&version=1.0.0")
            .await;
        let comments: Vec<&str> = list[0]["promotions"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|p| p["comments"].as_str())
            .collect();
        assert_eq!(comments, ["via form", "", ""]);
    }
}

#[tokio::test]
async fn latest_and_latest_stable_resolve_with_prereleases_present() {
    for app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("edge", "universal").await;
        for (feed, version) in [("edge", "latest"), ("approved", "latest-stable")] {
            let (status, body) = promote_json(
                &app,
                ADMIN_KEY,
                json!({"fromFeed": "unapproved", "toFeed": feed, "name": "hammer", "group": "acme", "version": version}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{ctx} {version}: {body}");
        }
        assert_eq!(versions(&app, "edge").await, ["2.0.0-rc.1"]);
        assert_eq!(versions(&app, "approved").await, ["1.1.0"]);
    }
}

#[tokio::test]
async fn every_rule_is_refused_with_its_reason_and_changes_nothing() {
    for app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("closed", "universal").await;
        app.update_feed("closed", json!({"active": false})).await;
        app.create_feed("other", "universal").await;
        let (status, _) = app
            .upload_upack("other", ADMIN_KEY, upack("acme", "hammer", "1.0.0", b"different"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let base = json!({"fromFeed": "unapproved", "toFeed": "approved", "name": "hammer", "group": "acme", "version": "1.0.0"});
        let with = |changes: Value| {
            let mut body = base.clone();
            for (k, v) in changes.as_object().expect("object") {
                if v.is_null() {
                    body.as_object_mut().expect("object").remove(k);
                } else {
                    body[k] = v.clone();
                }
            }
            body
        };
        let cases = [
            (
                with(json!({"fromFeed": null})),
                StatusCode::BAD_REQUEST,
                "fromFeed is required",
            ),
            (
                with(json!({"toFeed": null})),
                StatusCode::BAD_REQUEST,
                "toFeed is required",
            ),
            (
                with(json!({"name": null})),
                StatusCode::BAD_REQUEST,
                "name (or packageName) is required",
            ),
            (
                with(json!({"version": null})),
                StatusCode::BAD_REQUEST,
                "version is required",
            ),
            (
                with(json!({"version": "  "})),
                StatusCode::BAD_REQUEST,
                "version is required",
            ),
            (
                with(json!({"fromFeed": "nowhere"})),
                StatusCode::NOT_FOUND,
                "was not found",
            ),
            (
                with(json!({"toFeed": "nowhere"})),
                StatusCode::NOT_FOUND,
                "was not found",
            ),
            (
                with(json!({"toFeed": "unapproved"})),
                StatusCode::BAD_REQUEST,
                "same feed",
            ),
            (
                with(json!({"toFeed": "closed"})),
                StatusCode::BAD_REQUEST,
                "inactive",
            ),
            (
                with(json!({"name": "saw"})),
                StatusCode::NOT_FOUND,
                "has no version 1.0.0",
            ),
            (
                with(json!({"version": "9.9.9"})),
                StatusCode::NOT_FOUND,
                "has no version 9.9.9",
            ),
            (with(json!({"version": "one"})), StatusCode::BAD_REQUEST, "SemVer"),
            (
                with(json!({"name": "bad name"})),
                StatusCode::BAD_REQUEST,
                "contains the character",
            ),
            (with(json!({"fromFeed": "other"})), StatusCode::OK, ""),
            (with(json!({})), StatusCode::CONFLICT, "different content"),
        ];
        for (body, status, reason) in cases {
            let (got, text) = promote_json(&app, ADMIN_KEY, body.clone()).await;
            assert_eq!(got, status, "{ctx} {body}: {text}");
            assert!(
                text.contains(reason),
                "{ctx} {body}: '{text}' should mention '{reason}'"
            );
        }
        let malformed = app
            .admin(Method::POST, "/api/promotions/promote")
            .header("content-type", "application/json")
            .body("{broken")
            .send()
            .await
            .expect("request");
        expect_status(malformed, StatusCode::BAD_REQUEST, &ctx).await;
        // Only the one valid promotion (other → approved) happened.
        let list = app.admin_json("/api/promotions/list").await;
        assert_eq!(list.as_array().expect("array").len(), 1, "{ctx}: {list}");
        assert_eq!(list[0]["promotions"][0]["fromFeed"], "other");
        assert_eq!(versions(&app, "approved").await, ["1.0.0"]);
        let kept = app
            .anonymous(Method::GET, "/upack/approved/download/acme/hammer/1.0.0")
            .send()
            .await
            .expect("request");
        let bytes = kept.bytes().await.expect("bytes");
        assert_eq!(
            bytes.as_ref(),
            upack("acme", "hammer", "1.0.0", b"different").as_slice(),
            "{ctx}: the conflict changed nothing"
        );
    }
}

#[tokio::test]
async fn promotion_needs_promote_on_the_target_and_view_on_the_source() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("unapproved", "universal").await;
        app.create_feed("approved", "universal").await;
        assert_eq!(
            app.upload_upack("unapproved", ADMIN_KEY, upack("", "p", "1.0.0", b"x"))
                .await
                .0,
            StatusCode::CREATED
        );
        let body = json!({"fromFeed": "unapproved", "toFeed": "approved", "name": "p", "version": "1.0.0"});
        let anonymous = app
            .anonymous(Method::POST, "/api/promotions/promote")
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(anonymous.headers()["www-authenticate"], "Basic realm=\"Gantry\"");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;
        let viewer = app
            .create_key(json!({"type": "feed", "feed": "approved", "packagePermissions": ["view"]}))
            .await;
        let promoter = app
            .create_key(json!({"type": "feed", "feed": "approved", "packagePermissions": ["promote"]}))
            .await;
        for key in [&viewer, &promoter, &"no-such-key-no-such-key".to_owned()] {
            let (status, text) = promote_json(&app, key, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {text}");
            assert!(
                text.contains("does not have the proper permissions") || text.contains("API key"),
                "{text}"
            );
        }
        assert_eq!(
            app.admin_json("/api/promotions/list").await,
            json!([]),
            "{ctx}: nothing recorded"
        );
        assert!(versions(&app, "approved").await.is_empty());
        let feeds_key = app
            .create_key(json!({"type": "system", "systemApis": ["feeds"]}))
            .await;
        let (status, text) = promote_json(&app, &feeds_key, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
    }
    // With anonymous reads on, a feed key that may promote into the target
    // may view the open source feed, and the record names its user.
    for app in seeded().await {
        let key = app
            .create_key(json!({"type": "feed", "feed": "approved", "packagePermissions": ["promote"]}))
            .await;
        let (status, text) = promote_json(
            &app,
            &key,
            json!({"fromFeed": "unapproved", "toFeed": "approved", "name": "hammer", "group": "acme", "version": "1.0.0"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{:?}: {text}", app.backend);
    }
}

#[tokio::test]
async fn concurrent_identical_promotions_leave_one_copy_and_answer_each() {
    for app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        let body = json!({"fromFeed": "unapproved", "toFeed": "approved", "name": "hammer", "group": "acme", "version": "1.0.0"});
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let request = app.admin(Method::POST, "/api/promotions/promote").json(&body);
            tasks.push(tokio::spawn(async move {
                let response = request.send().await.expect("request");
                let status = response.status();
                let answer: Value = response.json().await.expect("json");
                (
                    status,
                    answer["copied"].as_bool().unwrap_or_default(),
                    answer["promotions"][0]["id"].as_i64(),
                )
            }));
        }
        let mut copying_requests = 0;
        let mut ids = HashSet::new();
        for task in tasks {
            let (status, copied, id) = task.await.expect("task");
            assert_eq!(status, StatusCode::OK, "{ctx}");
            copying_requests += usize::from(copied);
            assert!(
                ids.insert(id.expect("id")),
                "{ctx}: each answer has its own record"
            );
        }
        assert_eq!(copying_requests, 1, "{ctx}: exactly one request copied");
        assert_eq!(versions(&app, "approved").await, ["1.0.0"]);
        let list = app.admin_json("/api/promotions/list?toFeed=approved").await;
        assert_eq!(
            list[0]["promotions"].as_array().expect("array").len(),
            50,
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn a_three_feed_pipeline_is_enforced_and_listed_hop_by_hop() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        for feed in ["dev", "rc", "prod"] {
            app.create_feed(feed, "universal").await;
        }
        app.update_feed("dev", json!({"promoteToFeed": "rc"})).await;
        app.update_feed("rc", json!({"promoteToFeed": "prod"})).await;
        assert_eq!(
            app.upload_upack("dev", ADMIN_KEY, upack("", "app", "3.0.0", b"build"))
                .await
                .0,
            StatusCode::CREATED
        );
        let qa = app
            .create_key(
                json!({"type": "feed", "feed": "rc", "packagePermissions": ["promote"], "displayName": "qa"}),
            )
            .await;
        let release = app
            .create_key(json!({"type": "feed", "feed": "prod", "packagePermissions": ["promote"]}))
            .await;
        let hop = |from: &str, to: &str, comments: &str| json!({"fromFeed": from, "toFeed": to, "name": "app", "version": "3.0.0", "comments": comments});
        let (status, text) = promote_json(&app, ADMIN_KEY, hop("dev", "prod", "skip")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ctx}: {text}");
        assert!(text.contains("promotes only to feed 'rc'"), "{text}");
        assert!(versions(&app, "prod").await.is_empty());
        let (status, text) = promote_json(&app, &qa, hop("dev", "rc", "ready for testing")).await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
        let (status, text) = promote_json(&app, &release, hop("rc", "prod", "release 3.0")).await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {text}");

        let list = app.admin_json("/api/promotions/list?packageName=APP").await;
        assert_eq!(list.as_array().expect("array").len(), 1);
        let entry = &list[0];
        assert_eq!(entry["packageType"], "upack");
        assert_eq!(entry["groupName"], "", "upack is a grouped type");
        let hops: Vec<(String, String, String)> = entry["promotions"]
            .as_array()
            .expect("array")
            .iter()
            .map(|p| {
                (
                    p["fromFeed"].as_str().unwrap_or_default().into(),
                    p["toFeed"].as_str().unwrap_or_default().into(),
                    p["comments"].as_str().unwrap_or_default().into(),
                )
            })
            .collect();
        assert_eq!(
            hops,
            [
                ("dev".into(), "rc".into(), "ready for testing".into()),
                ("rc".into(), "prod".into(), "release 3.0".into())
            ]
        );
        assert!(entry["promotions"][0]["date"]
            .as_str()
            .expect("date")
            .ends_with('Z'));
        assert!(entry["promotions"][0]["id"].as_i64() < entry["promotions"][1]["id"].as_i64());

        // The history of the version in prod goes back to its publication in dev.
        let history = app
            .admin_json("/api/packages/prod/history?name=app&version=3.0.0")
            .await;
        let actions: Vec<(String, String)> = history
            .as_array()
            .expect("array")
            .iter()
            .map(|e| {
                (
                    e["feed"].as_str().unwrap_or_default().into(),
                    e["action"].as_str().unwrap_or_default().into(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            [
                ("dev".into(), "added".into()),
                ("rc".into(), "promoted".into()),
                ("prod".into(), "promoted".into())
            ]
        );
        assert_eq!(history[2]["details"]["fromFeed"], "rc");
        assert_eq!(history[2]["details"]["comments"], "release 3.0");
    }
}

#[tokio::test]
async fn the_list_filters_by_date_pages_with_a_cursor_and_knows_no_unknown_package() {
    for app in seeded().await {
        let ctx = format!("{:?}", app.backend);
        for version in ["1.0.0", "1.1.0", "2.0.0-rc.1"] {
            let (status, _) = promote_json(
                &app,
                ADMIN_KEY,
                json!({"fromFeed": "unapproved", "toFeed": "approved", "name": "hammer", "group": "acme", "version": version}),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
        }
        assert_eq!(
            app.admin_json("/api/promotions/list?packageName=unknown").await,
            json!([])
        );
        assert_eq!(
            app.admin_json("/api/promotions/list?since=2999-01-01T00:00:00Z")
                .await,
            json!([])
        );
        assert_eq!(
            app.admin_json("/api/promotions/list?until=2000-01-01T00:00:00Z")
                .await,
            json!([])
        );
        assert_eq!(
            app.admin_json("/api/promotions/list?since=2000-01-01T00:00:00Z")
                .await
                .as_array()
                .expect("array")
                .len(),
            3
        );
        assert_eq!(
            app.admin_json("/api/promotions/list?group=ACME&package=hammer&version=1.1.0")
                .await
                .as_array()
                .expect("array")
                .len(),
            1
        );
        let first = app
            .admin(Method::GET, "/api/promotions/list?limit=2")
            .send()
            .await
            .expect("request");
        let cursor = first.headers()["x-gantry-next-cursor"]
            .to_str()
            .expect("text")
            .to_owned();
        let page: Value = first.json().await.expect("json");
        assert_eq!(page.as_array().expect("array").len(), 2);
        let second = app
            .admin(
                Method::GET,
                &format!("/api/promotions/list?limit=2&cursor={cursor}"),
            )
            .send()
            .await
            .expect("request");
        assert!(
            second.headers().get("x-gantry-next-cursor").is_none(),
            "{ctx}: last page"
        );
        let page: Value = second.json().await.expect("json");
        assert_eq!(page[0]["version"], "2.0.0-rc.1");
        for bad in ["since=yesterday", "limit=0", "limit=x", "cursor=abc"] {
            let response = app
                .admin(Method::GET, &format!("/api/promotions/list?{bad}"))
                .send()
                .await
                .expect("request");
            expect_status(response, StatusCode::BAD_REQUEST, &format!("{ctx} {bad}")).await;
        }
    }
}

#[tokio::test]
async fn the_list_shows_only_feeds_the_caller_may_view() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        for feed in ["a", "b", "c"] {
            app.create_feed(feed, "universal").await;
        }
        assert_eq!(
            app.upload_upack("a", ADMIN_KEY, upack("", "p", "1.0.0", b"x"))
                .await
                .0,
            StatusCode::CREATED
        );
        assert_eq!(
            app.upload_upack("c", ADMIN_KEY, upack("", "q", "1.0.0", b"y"))
                .await
                .0,
            StatusCode::CREATED
        );
        for (from, to, name) in [("a", "b", "p"), ("c", "a", "q")] {
            let (status, text) = promote_json(
                &app,
                ADMIN_KEY,
                json!({"fromFeed": from, "toFeed": to, "name": name, "version": "1.0.0"}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{text}");
        }
        let anonymous = app
            .anonymous(Method::GET, "/api/promotions/list")
            .send()
            .await
            .expect("request");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;
        // A promotion names two feeds, and is listed only to callers who may
        // view both: its source may be a feed they must not know about.
        let b_viewer = app
            .create_key(json!({"type": "feed", "feed": "b", "packagePermissions": ["view"]}))
            .await;
        let seen = app
            .with_key(Method::GET, "/api/promotions/list", &b_viewer)
            .send()
            .await
            .expect("request");
        let seen: Value =
            serde_json::from_str(&expect_status(seen, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(seen, json!([]), "{ctx}: b alone shows no promotion out of a");
        create_user(&app, "ab", "correct-horse-battery", &[]).await;
        grant(&app, "ab", "View & Download Packages", Some("a")).await;
        grant(&app, "ab", "View & Download Packages", Some("b")).await;
        let seen = app
            .anonymous(Method::GET, "/api/promotions/list")
            .basic_auth("ab", Some("correct-horse-battery"))
            .send()
            .await
            .expect("request");
        let seen: Value =
            serde_json::from_str(&expect_status(seen, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(seen.as_array().expect("array").len(), 1, "{ctx}: {seen}");
        assert_eq!(seen[0]["packageName"], "p", "a to b, not c to a");
        assert_eq!(
            app.admin_json("/api/promotions/list")
                .await
                .as_array()
                .expect("array")
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn validated_feeds_take_packages_only_by_promotion() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("builds", "universal").await;
        let created = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "approved", "feedType": "universal", "usage": "validated"}))
            .send()
            .await
            .expect("request");
        expect_status(created, StatusCode::CREATED, &ctx).await;
        let package = upack("", "lib", "1.0.0", b"vetted");
        let (status, text) = app.upload_upack("approved", ADMIN_KEY, package.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {text}");
        assert!(text.contains("promot"), "the refusal says to promote: {text}");
        assert!(versions(&app, "approved").await.is_empty());
        assert_eq!(
            app.upload_upack("builds", ADMIN_KEY, package.clone()).await.0,
            StatusCode::CREATED
        );
        let (status, text) = promote_json(
            &app,
            ADMIN_KEY,
            json!({"fromFeed": "builds", "toFeed": "approved", "name": "lib", "version": "1.0.0"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
        // An administrator may allow direct uploads on a validated feed.
        app.update_feed("approved", json!({"allowDirectUploads": true}))
            .await;
        let (status, text) = app
            .upload_upack("approved", ADMIN_KEY, upack("", "lib", "1.0.1", b"hotfix"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {text}");
    }
}
