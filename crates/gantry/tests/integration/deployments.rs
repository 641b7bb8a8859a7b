//! Deployment tracking: download headers on every download path, the
//! ProGet-compatible record API, and the list and targets queries — for
//! every package type (`type_test!`: one test per type and backend).

use gantry_server::events::Event;
use gantry_test_support::{type_test, PackageRef, TestApp, TypeFixture};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

/// A feed `approved` of the type holding acme/engine 1.0.0 and 1.1.0 (as
/// the type writes it), which this returns.
async fn seeded(app: &TestApp, ty: impl TypeFixture) -> PackageRef {
    ty.create_feed(app, "approved").await;
    let engine = ty.package("acme", "engine");
    for version in ["1.0.0", "1.1.0"] {
        ty.publish_new(app, "approved", &engine, version, version.as_bytes())
            .await;
    }
    engine
}

async fn deployments(app: &TestApp, query: &str) -> Vec<Value> {
    app.admin_json(&format!("/api/package-deployment/list?{query}"))
        .await
        .as_array()
        .expect("array")
        .clone()
}

/// `[Backend type]`, for assertion messages.
fn context(app: &TestApp, ty: impl TypeFixture) -> String {
    format!("[{:?} {}]", app.backend, ty.label())
}

/// A record request: `fields` with the package's `PackageName` and `GroupName`.
fn record(package: &PackageRef, fields: Value) -> Value {
    package.add_fields(fields, "PackageName", "GroupName")
}

type_test! {
    async fn download_headers_record_a_deployment_on_every_download_path(app: TestApp, ty: impl TypeFixture) {
        let engine = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        // Every path of the protocol, its "latest" (or the generic API's),
        // and the generic API.
        let mut paths = ty.download_paths("approved", &engine, "1.0.0");
        let latest = paths.len();
        let generic = format!("/api/packages/approved/download?{}", engine.query());
        paths.push(
            ty.latest_download_path("approved", &engine)
                .unwrap_or_else(|| format!("{generic}&version=latest")),
        );
        paths.push(format!("{generic}&version=1.0.0"));
        for (i, path) in paths.iter().enumerate() {
            let response = app
                .anonymous(Method::GET, path)
                .header("X-ProGet-Deployment-Application", "Octopus")
                .header("X-ProGet-Deployment-Description", format!("deploy {i}"))
                .header("X-ProGet-Deployment-Target", format!("web0{i}"))
                .header("X-ProGet-Deployment-Url", "https://octopus.example/deploy/7")
                .header("X-ProGet-Deployment-UserName", "carol")
                .header("X-ProGet-Deployment-Date", "2026-03-01T10:00:00Z")
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{ctx} {path}");
            let note = response.headers()["x-gantry-deployment"]
                .to_str()
                .expect("text")
                .to_owned();
            assert!(note.starts_with("recorded (id "), "{ctx} {path}: {note}");
            assert!(!response.bytes().await.expect("bytes").is_empty());
        }
        let records = deployments(&app, "feed=approved").await;
        assert_eq!(records.len(), paths.len(), "{ctx}");
        // Newest first; "latest" recorded exactly the version served.
        let of_path = |i: usize| &records[paths.len() - 1 - i];
        assert_eq!(of_path(latest)["version"], "1.1.0", "{ctx}");
        assert_eq!(of_path(latest)["target"], format!("web0{latest}"));
        let first = of_path(0);
        assert_eq!(first["application"], "Octopus");
        assert_eq!(first["description"], "deploy 0");
        assert_eq!(first["user"], "carol");
        assert_eq!(first["url"], "https://octopus.example/deploy/7");
        assert_eq!(first["date"], "2026-03-01T10:00:00Z");
        assert_eq!(first["group"], ty.group_name(&engine), "{ctx}: NuGet packages have none");
        assert_eq!(first["packageType"], ty.package_type(), "{ctx}");
        let mut deployed_events = 0;
        while let Ok(event) = app.events.try_recv() {
            deployed_events += usize::from(matches!(event, Event::Deployed { .. }));
        }
        assert_eq!(deployed_events, paths.len(), "{ctx}");

        // Without UserName the caller is recorded; anonymous here.
        let response = app
            .anonymous(Method::GET, &paths[0])
            .header("X-ProGet-Deployment-Application", "script")
            .header("X-ProGet-Deployment-Description", "d")
            .header("X-ProGet-Deployment-Target", "db01")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(deployments(&app, "target=DB01").await[0]["user"], "Anonymous");
    }

    async fn partial_or_bad_headers_and_failed_downloads_record_nothing(app: TestApp, ty: impl TypeFixture) {
        let engine = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let path = &ty.download_paths("approved", &engine, "1.0.0")[0];
        let partial = app
            .anonymous(Method::GET, path)
            .header("X-ProGet-Deployment-Application", "Octopus")
            .header("X-ProGet-Deployment-Description", "d")
            .send()
            .await
            .expect("request");
        assert_eq!(partial.status(), StatusCode::OK, "{ctx}: served normally");
        assert_eq!(
            partial.headers()["x-gantry-deployment"],
            "ignored (missing X-ProGet-Deployment-Target)"
        );
        let bad_date = app
            .anonymous(Method::GET, path)
            .header("X-ProGet-Deployment-Application", "a")
            .header("X-ProGet-Deployment-Description", "d")
            .header("X-ProGet-Deployment-Target", "t")
            .header("X-ProGet-Deployment-Date", "last tuesday")
            .send()
            .await
            .expect("request");
        assert_eq!(bad_date.status(), StatusCode::OK);
        assert!(bad_date.headers()["x-gantry-deployment"]
            .to_str()
            .expect("text")
            .starts_with("ignored (Date"));
        for missing in ty.download_paths("approved", &engine, "9.9.9") {
            let failed = app
                .anonymous(Method::GET, &missing)
                .header("X-ProGet-Deployment-Application", "a")
                .header("X-ProGet-Deployment-Description", "d")
                .header("X-ProGet-Deployment-Target", "t")
                .send()
                .await
                .expect("request");
            expect_status(failed, StatusCode::NOT_FOUND, &format!("{ctx} {missing}")).await;
        }
        let plain = app
            .anonymous(Method::GET, path)
            .send()
            .await
            .expect("request");
        assert!(
            plain.headers().get("x-gantry-deployment").is_none(),
            "no header without deployment headers"
        );
        assert!(deployments(&app, "").await.is_empty(), "{ctx}: nothing recorded");
    }

    async fn the_api_records_from_json_or_form_and_refuses_bad_input(app: TestApp, ty: impl TypeFixture) {
        let engine = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        let full = record(
            &engine,
            json!({"Application": "BuildMaster", "Description": "release 4", "Target": "web01",
                   "FeedName": "approved", "Version": "1.0.0",
                   "UserName": "dave", "Url": "https://bm.example/4", "Date": "2026-04-01T08:00:00Z"}),
        );
        let response = app
            .admin(Method::POST, "/api/package-deployment/")
            .json(&full)
            .send()
            .await
            .expect("request");
        let body: Value =
            serde_json::from_str(&expect_status(response, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(body["target"], "web01");
        assert_eq!(body["user"], "dave");
        let mut fields = vec![
            ("feedname", "approved"),
            ("application", "script"),
            ("description", "hotfix"),
            ("target", "web02"),
            ("packagename", engine.name.as_str()),
            ("version", "latest"),
        ];
        if !engine.group.is_empty() {
            fields.push(("groupname", engine.group.as_str()));
        }
        let form = app
            .admin(Method::POST, "/api/package-deployment")
            .form(&fields)
            .send()
            .await
            .expect("request");
        let body: Value =
            serde_json::from_str(&expect_status(form, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(body["version"], "1.1.0", "{ctx}");
        assert_eq!(body["user"], "SYSTEM", "defaults to the caller");

        let without = |field: &str| {
            let mut body = full.clone();
            body.as_object_mut().expect("object").remove(field);
            body
        };
        let with = |field: &str, value: &str| {
            let mut body = full.clone();
            body[field] = json!(value);
            body
        };
        let mut cases: Vec<(Value, StatusCode, String)> = [
            "Application",
            "Description",
            "Target",
            "FeedName",
            "PackageName",
            "Version",
        ]
        .iter()
        .map(|f| (without(f), StatusCode::BAD_REQUEST, format!("{f} is required")))
        .collect();
        cases.extend([
            (
                with("Date", "01/04/2026"),
                StatusCode::BAD_REQUEST,
                "Date '01/04/2026'".to_owned(),
            ),
            (
                with("Url", "javascript:alert(1)"),
                StatusCode::BAD_REQUEST,
                "Url must be".to_owned(),
            ),
            (
                with("Target", &"x".repeat(201)),
                StatusCode::BAD_REQUEST,
                "Target must be at most".to_owned(),
            ),
            (
                with("Version", ty.invalid_version("one")),
                StatusCode::BAD_REQUEST,
                "Version".to_owned(),
            ),
            (
                with("FeedName", "nowhere"),
                StatusCode::NOT_FOUND,
                "was not found".to_owned(),
            ),
            (
                with("Version", "9.9.9"),
                StatusCode::NOT_FOUND,
                "has no version 9.9.9".to_owned(),
            ),
            (
                with("PackageName", "other"),
                StatusCode::NOT_FOUND,
                "has no version".to_owned(),
            ),
        ]);
        for (body, status, reason) in cases {
            let response = app
                .admin(Method::POST, "/api/package-deployment/")
                .json(&body)
                .send()
                .await
                .expect("request");
            let text = expect_status(response, status, &format!("{ctx} {body}")).await;
            assert!(
                text.contains(&reason),
                "{ctx}: '{text}' should mention '{reason}'"
            );
        }
        let wrong_key = app
            .with_key(
                Method::POST,
                "/api/package-deployment/",
                "no-such-key-no-such-key",
            )
            .json(&full)
            .send()
            .await
            .expect("request");
        expect_status(wrong_key, StatusCode::FORBIDDEN, &ctx).await;
        assert_eq!(
            deployments(&app, "").await.len(),
            2,
            "{ctx}: only the two valid records"
        );

        app.update_feed("approved", json!({"deploymentRecordsEnabled": false}))
            .await;
        let disabled = app
            .admin(Method::POST, "/api/package-deployment/")
            .json(&full)
            .send()
            .await
            .expect("request");
        let text = expect_status(disabled, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(text.contains("deploymentRecordsEnabled"), "{text}");
        let ignored = app
            .anonymous(Method::GET, &ty.download_paths("approved", &engine, "1.0.0")[0])
            .header("X-ProGet-Deployment-Application", "a")
            .header("X-ProGet-Deployment-Description", "d")
            .header("X-ProGet-Deployment-Target", "t")
            .send()
            .await
            .expect("request");
        assert_eq!(ignored.status(), StatusCode::OK);
        assert!(ignored.headers()["x-gantry-deployment"]
            .to_str()
            .expect("text")
            .contains("disabled"));
        assert_eq!(deployments(&app, "").await.len(), 2);
    }

    #[tweak(|c| c.anonymous_read = false)]
    async fn recording_needs_view_on_the_feed(app: TestApp, ty: impl TypeFixture) {
        let ctx = context(&app, ty);
        ty.create_feed(&app, "approved").await;
        ty.create_feed(&app, "other").await;
        let engine = ty.package("", "engine");
        ty.publish_new(&app, "approved", &engine, "1.0.0", b"x").await;
        let body = record(
            &engine,
            json!({"Application": "a", "Description": "d", "Target": "t", "FeedName": "approved",
                   "Version": "1.0.0"}),
        );
        let anonymous = app
            .anonymous(Method::POST, "/api/package-deployment/")
            .json(&body)
            .send()
            .await
            .expect("request");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;
        let elsewhere = app
            .create_key(json!({"type": "feed", "feed": "other", "packagePermissions": ["view"]}))
            .await;
        let refused = app
            .with_key(Method::POST, "/api/package-deployment/", &elsewhere)
            .json(&body)
            .send()
            .await
            .expect("request");
        expect_status(refused, StatusCode::FORBIDDEN, &ctx).await;
        let viewer = app
            .create_key(json!({"type": "feed", "feed": "approved", "packagePermissions": ["view"]}))
            .await;
        let allowed = app
            .with_key(Method::POST, "/api/package-deployment/", &viewer)
            .json(&body)
            .send()
            .await
            .expect("request");
        expect_status(allowed, StatusCode::OK, &ctx).await;
        let hidden = app
            .with_key(Method::GET, "/api/package-deployment/list", &elsewhere)
            .send()
            .await
            .expect("request");
        assert_eq!(
            expect_status(hidden, StatusCode::OK, &ctx).await,
            "[]",
            "{ctx}: a key for another feed sees nothing"
        );
    }

    async fn targets_answer_where_each_version_runs(app: TestApp, ty: impl TypeFixture) {
        let engine = seeded(&app, ty).await;
        let ctx = context(&app, ty);
        for (version, target, date) in [
            ("1.0.0", "web01", "2026-05-01T00:00:00Z"),
            ("1.0.0", "web02", "2026-05-02T00:00:00Z"),
            ("1.1.0", "web02", "2026-05-03T00:00:00Z"),
        ] {
            let body = record(
                &engine,
                json!({"Application": "BuildMaster", "Description": "d", "Target": target,
                       "FeedName": "approved", "Version": version, "Date": date}),
            );
            let response = app
                .admin(Method::POST, "/api/package-deployment/")
                .json(&body)
                .send()
                .await
                .expect("request");
            expect_status(response, StatusCode::OK, &ctx).await;
        }
        // `group` only for grouped packages; the name in another case where
        // the type ignores case (Maven's coordinates are case-sensitive).
        let group = if engine.group.is_empty() {
            String::new()
        } else {
            format!("group={}&", engine.group)
        };
        let name = if ty.names_ignore_case() {
            engine.name.to_uppercase()
        } else {
            engine.name.clone()
        };
        let targets = app
            .admin_json(&format!(
                "/api/package-deployment/targets?feed=approved&{group}package={name}"
            ))
            .await;
        let pairs: Vec<(String, String)> = targets
            .as_array()
            .expect("array")
            .iter()
            .map(|d| {
                (
                    d["target"].as_str().unwrap_or_default().into(),
                    d["version"].as_str().unwrap_or_default().into(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [("web01".into(), "1.0.0".into()), ("web02".into(), "1.1.0".into())],
            "{ctx}"
        );
        assert_eq!(deployments(&app, "target=web02").await.len(), 2);
        assert_eq!(
            deployments(&app, "since=2026-05-02T00:00:00Z&until=2026-05-03T00:00:00Z")
                .await
                .len(),
            1
        );
        assert_eq!(
            deployments(
                &app,
                &format!("feed=approved&{group}package={}&version=1.0.0", engine.name)
            )
            .await
            .len(),
            2,
            "{ctx}"
        );
        let first = app
            .admin(Method::GET, "/api/package-deployment/list?limit=2")
            .send()
            .await
            .expect("request");
        let cursor = first.headers()["x-gantry-next-cursor"]
            .to_str()
            .expect("text")
            .to_owned();
        let rest = deployments(&app, &format!("limit=2&cursor={cursor}")).await;
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0]["target"], "web01");
        for bad in [
            "/api/package-deployment/targets?package=engine",
            "/api/package-deployment/list?since=soon",
        ] {
            let response = app.admin(Method::GET, bad).send().await.expect("request");
            expect_status(response, StatusCode::BAD_REQUEST, &format!("{ctx} {bad}")).await;
        }
        let unknown = app
            .admin(
                Method::GET,
                "/api/package-deployment/targets?feed=nowhere&package=engine",
            )
            .send()
            .await
            .expect("request");
        expect_status(unknown, StatusCode::NOT_FOUND, &ctx).await;
        // Deployments appear in the version's history.
        let history = app
            .admin_json(&format!("/api/packages/approved/history?{}&version=1.1.0", engine.query()))
            .await;
        let last = history
            .as_array()
            .expect("array")
            .last()
            .expect("entries")
            .clone();
        assert_eq!(last["action"], "deployed", "{ctx}");
        assert_eq!(last["details"]["target"], "web02");
    }
}
