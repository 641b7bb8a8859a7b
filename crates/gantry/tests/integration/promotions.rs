//! Promotion: `POST /api/promotions/promote`, `GET /api/promotions/list`,
//! package history, pipelines and validated feeds — for every package type
//! (`type_test!`: one test per type and backend), and a promoted version
//! fetched from its target with each type's real client.

use std::collections::HashSet;

use gantry_server::events::Event;
use gantry_test_support::ui::{create_user, grant};
use gantry_test_support::{noise, type_test, Built, PackageRef, TestApp, TypeFixture, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

/// What [`seeded`] published.
struct Seed {
    /// acme/hammer as the type writes it.
    hammer: PackageRef,
    /// hammer 1.0.0, 1.1.0 and 2.0.0-rc.1 (the type's prerelease), in that order.
    published: Vec<Built>,
}

/// Feeds `unapproved` and `approved` of the type, and hammer 1.0.0, 1.1.0
/// and 2.0.0-rc.1 ([`TypeFixture::prerelease`]) in `unapproved`.
async fn seeded(app: &TestApp, ty: impl TypeFixture) -> Seed {
    ty.create_feed(app, "unapproved").await;
    ty.create_feed(app, "approved").await;
    let hammer = ty.package("acme", "hammer");
    let mut published = Vec::new();
    for version in ["1.0.0", "1.1.0", ty.prerelease()] {
        published.push(
            ty.publish_new(app, "unapproved", &hammer, version, &noise(7, 4096))
                .await,
        );
    }
    Seed { hammer, published }
}

/// A promotion request: `fields` with the package's `name` and `group`.
fn promotion(package: &PackageRef, fields: Value) -> Value {
    package.add_fields(fields, "name", "group")
}

/// A promotion request of `package` `version` from one feed to another.
fn hop(package: &PackageRef, from: &str, to: &str, version: &str) -> Value {
    promotion(
        package,
        json!({"fromFeed": from, "toFeed": to, "version": version}),
    )
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

/// `[Backend type]`, for assertion messages.
fn context(app: &TestApp, ty: impl TypeFixture) -> String {
    format!("[{:?} {}]", app.backend, ty.label())
}

type_test! {
    async fn promotion_copies_without_new_bytes_and_leaves_the_source(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let blobs_before = app.blob_files();
        let (status, body) = promote_json(
            &app,
            ADMIN_KEY,
            promotion(
                &seed.hammer,
                json!({"fromFeed": "unapproved", "toFeed": "approved", "version": "1.1.0",
                       "comments": "license checked"}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
        let answer: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(answer["packageName"], seed.hammer.name.as_str(), "{ctx}");
        assert_eq!(answer["groupName"], ty.group_name(&seed.hammer), "{ctx}");
        assert_eq!(answer["packageType"], ty.package_type(), "{ctx}");
        assert_eq!(answer["version"], "1.1.0");
        assert_eq!(answer["copied"], true);
        assert_eq!(answer["promotions"][0]["user"], "SYSTEM");
        assert_eq!(answer["promotions"][0]["comments"], "license checked");

        assert_eq!(versions(&app, "approved").await, ["1.1.0"]);
        assert_eq!(
            versions(&app, "unapproved").await,
            ["1.0.0", "1.1.0", ty.prerelease()],
            "{ctx}: source untouched"
        );
        assert_eq!(
            app.blob_files(),
            blobs_before,
            "{ctx}: promotion writes no new bytes"
        );
        let source = ty.download(&app, "unapproved", &seed.hammer, "1.1.0").await;
        let target = ty.download(&app, "approved", &seed.hammer, "1.1.0").await;
        assert_eq!(source, target, "{ctx}: byte-identical");
        assert_eq!(target, seed.published[1].bytes, "{ctx}: the bytes published");

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
            hop(&seed.hammer, "unapproved", "approved", "1.1.0"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("json")["copied"],
            false
        );
        let list = app
            .admin_json(&format!("/api/promotions/list?packageName={}", seed.hammer.name))
            .await;
        assert_eq!(list[0]["promotions"].as_array().expect("array").len(), 2, "{ctx}");
    }

    /// The real client of each type fetches the promoted version from the
    /// target feed and gets what was published. The clients are slow, so
    /// this runs once per type (on SQLite; the protocol reads it makes run
    /// on every backend above).
    #[backends(sqlite)]
    async fn a_promoted_version_is_fetched_from_the_target_by_the_real_client(
        app: TestApp,
        ty: impl TypeFixture,
    ) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let (status, body) = promote_json(
            &app,
            ADMIN_KEY,
            hop(&seed.hammer, "unapproved", "approved", "1.1.0"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
        let fetched = ty.fetch_with_client(&app, "approved", &seed.hammer, "1.1.0").await;
        assert_eq!(
            fetched,
            ty.expected_fetch(&seed.published[1]),
            "{ctx}: the client holds what was published"
        );
    }

    async fn form_multipart_legacy_names_and_body_keys_are_accepted(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        ty.create_feed(&app, "third").await;
        ty.create_feed(&app, "fourth").await;
        let mut fields = vec![
            ("fromFeed", "unapproved"),
            ("toFeed", "approved"),
            ("name", seed.hammer.name.as_str()),
        ];
        if !seed.hammer.group.is_empty() {
            fields.push(("group", seed.hammer.group.as_str()));
        }
        fields.extend([("version", "1.0.0"), ("comments", "via form"), ("key", ADMIN_KEY)]);
        let form = app
            .anonymous(Method::POST, "/api/promotions/promote")
            .form(&fields)
            .send()
            .await
            .expect("request");
        expect_status(form, StatusCode::OK, &format!("{ctx} form")).await;
        let mut multipart = reqwest::multipart::Form::new()
            .text("fromFeed", "unapproved")
            .text("toFeed", "third")
            .text("packageName", seed.hammer.name.clone())
            .text("version", "1.0.0");
        if !seed.hammer.group.is_empty() {
            multipart = multipart.text("groupName", seed.hammer.group.clone());
        }
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
            seed.hammer.add_fields(
                json!({"fromFeed": "unapproved", "toFeed": "fourth", "version": "1.0.0",
                       "API_Key": ADMIN_KEY}),
                "packageName",
                "groupName",
            ),
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
        assert_eq!(comments, ["via form", "", ""], "{ctx}");
    }

    async fn latest_and_latest_stable_resolve_with_prereleases_present(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        ty.create_feed(&app, "edge").await;
        for (feed, version) in [("edge", "latest"), ("approved", "latest-stable")] {
            let (status, body) = promote_json(
                &app,
                ADMIN_KEY,
                hop(&seed.hammer, "unapproved", feed, version),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{ctx} {version}: {body}");
        }
        assert_eq!(versions(&app, "edge").await, [ty.prerelease()], "{ctx}");
        assert_eq!(versions(&app, "approved").await, ["1.1.0"], "{ctx}");
    }

    async fn every_rule_is_refused_with_its_reason_and_changes_nothing(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        ty.create_feed(&app, "closed").await;
        app.update_feed("closed", json!({"active": false})).await;
        ty.create_feed(&app, "other").await;
        let different = ty
            .publish_new(&app, "other", &seed.hammer, "1.0.0", b"different")
            .await;
        let base = promotion(
            &seed.hammer,
            json!({"fromFeed": "unapproved", "toFeed": "approved", "version": "1.0.0"}),
        );
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
            (
                with(json!({"version": ty.invalid_version("one")})),
                StatusCode::BAD_REQUEST,
                ty.invalid_version_message(),
            ),
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
        let kept = ty.download(&app, "approved", &seed.hammer, "1.0.0").await;
        assert_eq!(kept, different.bytes, "{ctx}: the conflict changed nothing");
    }

    #[tweak(|c| c.anonymous_read = false)]
    async fn promotion_needs_promote_on_the_target_and_view_on_the_source(
        app: TestApp,
        ty: impl TypeFixture,
    ) {
        let ctx = context(&app, ty);
        ty.create_feed(&app, "unapproved").await;
        ty.create_feed(&app, "approved").await;
        let p = ty.package("", "p");
        ty.publish_new(&app, "unapproved", &p, "1.0.0", b"x").await;
        let body = hop(&p, "unapproved", "approved", "1.0.0");
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

    /// With anonymous reads on, a feed key that may promote into the target
    /// may view the open source feed, and the record names its user.
    async fn a_promote_key_for_the_target_may_read_an_open_source(app: TestApp, ty: impl TypeFixture) {
        let seed = seeded(&app, ty).await;
        let key = app
            .create_key(json!({"type": "feed", "feed": "approved", "packagePermissions": ["promote"]}))
            .await;
        let (status, text) = promote_json(
            &app,
            &key,
            hop(&seed.hammer, "unapproved", "approved", "1.0.0"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {text}", context(&app, ty));
    }

    async fn concurrent_identical_promotions_leave_one_copy_and_answer_each(
        app: TestApp,
        ty: impl TypeFixture,
    ) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let body = hop(&seed.hammer, "unapproved", "approved", "1.0.0");
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

    async fn a_three_feed_pipeline_is_enforced_and_listed_hop_by_hop(app: TestApp, ty: impl TypeFixture) {
        let ctx = context(&app, ty);
        for feed in ["dev", "rc", "prod"] {
            ty.create_feed(&app, feed).await;
        }
        app.update_feed("dev", json!({"promoteToFeed": "rc"})).await;
        app.update_feed("rc", json!({"promoteToFeed": "prod"})).await;
        let package = ty.package("", "app");
        ty.publish_new(&app, "dev", &package, "3.0.0", b"build").await;
        let qa = app
            .create_key(
                json!({"type": "feed", "feed": "rc", "packagePermissions": ["promote"], "displayName": "qa"}),
            )
            .await;
        let release = app
            .create_key(json!({"type": "feed", "feed": "prod", "packagePermissions": ["promote"]}))
            .await;
        let step = |from: &str, to: &str, comments: &str| {
            let mut body = hop(&package, from, to, "3.0.0");
            body["comments"] = json!(comments);
            body
        };
        let (status, text) = promote_json(&app, ADMIN_KEY, step("dev", "prod", "skip")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ctx}: {text}");
        assert!(text.contains("promotes only to feed 'rc'"), "{text}");
        assert!(versions(&app, "prod").await.is_empty());
        let (status, text) = promote_json(&app, &qa, step("dev", "rc", "ready for testing")).await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
        let (status, text) = promote_json(&app, &release, step("rc", "prod", "release 3.0")).await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {text}");

        let list = app
            .admin_json(&format!("/api/promotions/list?packageName={}", package.name.to_uppercase()))
            .await;
        assert_eq!(list.as_array().expect("array").len(), 1, "{ctx}");
        let entry = &list[0];
        assert_eq!(entry["packageType"], ty.package_type(), "{ctx}");
        assert_eq!(
            entry["groupName"],
            ty.group_name(&package),
            "{ctx}: grouped types (upack, npm) show an empty group, NuGet none"
        );
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
            ],
            "{ctx}"
        );
        assert!(entry["promotions"][0]["date"]
            .as_str()
            .expect("date")
            .ends_with('Z'));
        assert!(entry["promotions"][0]["id"].as_i64() < entry["promotions"][1]["id"].as_i64());

        // The history of the version in prod goes back to its publication in dev.
        let history = app
            .admin_json(&format!("/api/packages/prod/history?{}&version=3.0.0", package.query()))
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
        let published = ty.publish_actions();
        let expected: Vec<(String, String)> = published
            .iter()
            .map(|action| ("dev".into(), (*action).into()))
            .chain([("rc".into(), "promoted".into()), ("prod".into(), "promoted".into())])
            .collect();
        assert_eq!(actions, expected, "{ctx}");
        let prod = published.len() + 1;
        assert_eq!(history[prod]["details"]["fromFeed"], "rc");
        assert_eq!(history[prod]["details"]["comments"], "release 3.0");
    }

    async fn the_list_filters_by_date_pages_with_a_cursor_and_knows_no_unknown_package(
        app: TestApp,
        ty: impl TypeFixture,
    ) {
        let seed = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        for version in ["1.0.0", "1.1.0", ty.prerelease()] {
            let (status, text) = promote_json(
                &app,
                ADMIN_KEY,
                hop(&seed.hammer, "unapproved", "approved", version),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
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
        // The short parameter names, the group in another case.
        let mut filter = format!("package={}&version=1.1.0", seed.hammer.name);
        if !seed.hammer.group.is_empty() {
            filter = format!("group={}&{filter}", seed.hammer.group.to_uppercase());
        }
        assert_eq!(
            app.admin_json(&format!("/api/promotions/list?{filter}"))
                .await
                .as_array()
                .expect("array")
                .len(),
            1,
            "{ctx}: {filter}"
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
        assert_eq!(page[0]["version"], ty.prerelease());
        for bad in ["since=yesterday", "limit=0", "limit=x", "cursor=abc"] {
            let response = app
                .admin(Method::GET, &format!("/api/promotions/list?{bad}"))
                .send()
                .await
                .expect("request");
            expect_status(response, StatusCode::BAD_REQUEST, &format!("{ctx} {bad}")).await;
        }
    }

    #[tweak(|c| c.anonymous_read = false)]
    async fn the_list_shows_only_feeds_the_caller_may_view(app: TestApp, ty: impl TypeFixture) {
        let ctx = context(&app, ty);
        for feed in ["a", "b", "c"] {
            ty.create_feed(&app, feed).await;
        }
        let (p, q) = (ty.package("", "p"), ty.package("", "q"));
        ty.publish_new(&app, "a", &p, "1.0.0", b"x").await;
        ty.publish_new(&app, "c", &q, "1.0.0", b"y").await;
        for (from, to, package) in [("a", "b", &p), ("c", "a", &q)] {
            let (status, text) = promote_json(
                &app,
                ADMIN_KEY,
                promotion(package, json!({"fromFeed": from, "toFeed": to, "version": "1.0.0"})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
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
        assert_eq!(seen[0]["packageName"], p.name.as_str(), "a to b, not c to a");
        assert_eq!(
            app.admin_json("/api/promotions/list")
                .await
                .as_array()
                .expect("array")
                .len(),
            2
        );
    }

    async fn validated_feeds_take_packages_only_by_promotion(app: TestApp, ty: impl TypeFixture) {
        let ctx = context(&app, ty);
        ty.create_feed(&app, "builds").await;
        let created = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "approved", "feedType": ty.feed_type(), "usage": "validated"}))
            .send()
            .await
            .expect("request");
        expect_status(created, StatusCode::CREATED, &ctx).await;
        let lib = ty.package("", "lib");
        let package = ty.build(&lib, "1.0.0", b"vetted");
        let (status, text) = ty.publish(&app, "approved", ADMIN_KEY, &package).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {text}");
        assert!(text.contains("promot"), "{ctx}: the refusal says to promote: {text}");
        assert!(versions(&app, "approved").await.is_empty());
        let (status, text) = ty.publish(&app, "builds", ADMIN_KEY, &package).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {text}");
        let (status, text) = promote_json(
            &app,
            ADMIN_KEY,
            hop(&lib, "builds", "approved", "1.0.0"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
        // An administrator may allow direct uploads on a validated feed.
        app.update_feed("approved", json!({"allowDirectUploads": true}))
            .await;
        let hotfix = ty.build(&lib, "1.0.1", b"hotfix");
        let (status, text) = ty.publish(&app, "approved", ADMIN_KEY, &hotfix).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {text}");
    }
}
