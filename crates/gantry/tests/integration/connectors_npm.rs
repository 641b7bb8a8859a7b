//! npm through connectors: a proxy feed whose connector points at a real
//! Verdaccio (installed by `scripts/test-setup`, `GANTRY_TEST_VERDACCIO`),
//! driven by the real npm client; and, at the HTTP level on every backend,
//! a second Gantry as the upstream (packument merge, dist-tags, tarball URL
//! rewriting, search, filters).

use std::path::Path;
use std::time::Duration;

use gantry_test_support::npm::{npm_tarball, publish_document, write_package, NpmCli, Verdaccio};
use gantry_test_support::{Backend, TestApp, ADMIN_KEY};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

const CORGI: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/// `.npmrc` lines pointing npm at a Gantry feed with the admin key.
fn npmrc(app: &TestApp, feed: &str) -> Vec<String> {
    let registry = app.url(&format!("/npm/{feed}/"));
    let host_path = registry.trim_start_matches("http:").to_owned();
    vec![
        format!("registry={registry}"),
        format!("{host_path}:_authToken={ADMIN_KEY}"),
    ]
}

/// Writes a project folder depending on `dependencies`.
fn write_project(dir: &Path, dependencies: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("project dir");
    let deps: serde_json::Map<String, Value> = dependencies
        .iter()
        .map(|(name, range)| ((*name).to_owned(), json!(range)))
        .collect();
    std::fs::write(
        dir.join("package.json"),
        json!({"name": "app", "version": "1.0.0", "private": true, "dependencies": deps}).to_string(),
    )
    .expect("package.json");
}

/// A fresh npm (fresh cache) installing `@acme/widget` from `feed`.
async fn install_widget(app: &TestApp, feed: &str) -> (NpmCli, gantry_test_support::CliOutput) {
    let npm = NpmCli::new();
    npm.write_npmrc(&npmrc(app, feed));
    let project = npm.work_dir().join("app");
    write_project(&project, &[("@acme/widget", "^1.0.0")]);
    let output = npm.run_in(&project, &["install"]).await;
    (npm, output)
}

fn installed_version(npm: &NpmCli, package: &str) -> Option<String> {
    let path = npm
        .work_dir()
        .join("app/node_modules")
        .join(package)
        .join("package.json");
    let text = std::fs::read_to_string(path).ok()?;
    let manifest: Value = serde_json::from_str(&text).ok()?;
    manifest["version"].as_str().map(str::to_owned)
}

async fn status_of(app: &TestApp, path: &str) -> StatusCode {
    app.admin(Method::GET, path)
        .send()
        .await
        .expect("request")
        .status()
}

/// The history of a version, polled until it has an entry (a fetched
/// tarball is stored while it streams, and may land just after the client
/// has read it).
async fn history(app: &TestApp, feed: &str, group: &str, name: &str, version: &str) -> Value {
    let path = format!("/api/packages/{feed}/history");
    let query = [("group", group), ("name", name), ("version", version)];
    for _ in 0..50 {
        let response = app
            .admin(Method::GET, &path)
            .query(&query)
            .send()
            .await
            .expect("request");
        if response.status() == StatusCode::OK {
            let body: Value = response.json().await.expect("JSON");
            if body.as_array().is_some_and(|a| !a.is_empty()) {
                return body;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{feed}: no history for {group}/{name}@{version}");
}

#[tokio::test]
async fn npm_installs_through_a_proxy_of_verdaccio_and_keeps_working_without_it() {
    let Some(mut verdaccio) = Verdaccio::from_env().await else {
        eprintln!("skipped: GANTRY_TEST_VERDACCIO is not set (scripts/test-setup prints it)");
        return;
    };
    // Publish to Verdaccio with the real npm client.
    let publisher = NpmCli::new();
    publisher.write_npmrc(&verdaccio.npmrc());
    let work = publisher.work_dir().to_path_buf();
    for (name, version, deps) in [
        ("left-pad-like", "1.0.0", vec![]),
        ("@acme/widget", "1.0.0", vec![("left-pad-like", "^1.0.0")]),
        ("uncached-pkg", "1.0.0", vec![]),
        ("blocked-pkg", "1.0.0", vec![]),
    ] {
        let dir = write_package(&work.join(name.replace('/', "_")), name, version, &deps);
        publisher.run_in(&dir, &["publish"]).await.assert_success();
    }

    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_proxy_feed(
        "npm-proxy",
        "verdaccio",
        "npm",
        &verdaccio.url("/"),
        json!({"filters": ["!blocked-pkg"]}),
    )
    .await;
    app.create_feed("approved-npm", "npm").await;

    // The packument shows Verdaccio's versions with Gantry's tarball URLs.
    let response = app
        .admin(Method::GET, "/npm/npm-proxy/@acme%2fwidget")
        .send()
        .await
        .expect("request");
    let packument: Value =
        serde_json::from_str(&expect_status(response, StatusCode::OK, "packument").await).expect("JSON");
    assert_eq!(packument["dist-tags"]["latest"], "1.0.0", "{packument}");
    let dist = &packument["versions"]["1.0.0"]["dist"];
    assert_eq!(
        dist["tarball"],
        app.url("/npm/npm-proxy/@acme/widget/-/widget-1.0.0.tgz"),
        "{packument}"
    );
    assert!(
        dist["integrity"]
            .as_str()
            .is_some_and(|i| i.starts_with("sha512-")),
        "{dist}"
    );
    assert_eq!(
        packument["versions"]["1.0.0"]["dependencies"],
        json!({"left-pad-like": "^1.0.0"})
    );

    // A filtered package is a 404, to HTTP and to npm.
    assert_eq!(
        status_of(&app, "/npm/npm-proxy/blocked-pkg").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status_of(&app, "/npm/npm-proxy/blocked-pkg/-/blocked-pkg-1.0.0.tgz").await,
        StatusCode::NOT_FOUND
    );
    let viewer = NpmCli::new();
    viewer.write_npmrc(&npmrc(&app, "npm-proxy"));
    let view = viewer.run(&["view", "blocked-pkg"]).await;
    view.assert_failure();
    assert!(view.stderr.contains("404"), "{view}");

    // Before promotion the approved feed has nothing to install.
    let (_, before) = install_widget(&app, "approved-npm").await;
    before.assert_failure();

    // The first install goes through to Verdaccio and stores the tarballs.
    let (npm, output) = install_widget(&app, "npm-proxy").await;
    output.assert_success();
    assert_eq!(installed_version(&npm, "@acme/widget").as_deref(), Some("1.0.0"));
    assert_eq!(installed_version(&npm, "left-pad-like").as_deref(), Some("1.0.0"));
    for (group, name) in [("@acme", "widget"), ("", "left-pad-like")] {
        let history = history(&app, "npm-proxy", group, name, "1.0.0").await;
        assert_eq!(history[0]["action"], "added", "{name}: {history}");
        assert_eq!(history[0]["user"], "SYSTEM", "{name}: {history}");
        assert_eq!(
            history[0]["details"]["connector"], "verdaccio",
            "{name}: {history}"
        );
    }

    // Without Verdaccio, a fresh npm with a fresh cache installs from
    // Gantry's copies.
    verdaccio.stop().await;
    let (npm, output) = install_widget(&app, "npm-proxy").await;
    output.assert_success();
    assert_eq!(installed_version(&npm, "@acme/widget").as_deref(), Some("1.0.0"));
    assert_eq!(installed_version(&npm, "left-pad-like").as_deref(), Some("1.0.0"));

    // What was never fetched is a clean 404 with the upstream down.
    for path in [
        "/npm/npm-proxy/uncached-pkg",
        "/npm/npm-proxy/uncached-pkg/1.0.0",
        "/npm/npm-proxy/uncached-pkg/-/uncached-pkg-1.0.0.tgz",
    ] {
        assert_eq!(status_of(&app, path).await, StatusCode::NOT_FOUND, "{path}");
    }

    // Promoted into the approved feed, the package installs from there.
    for (group, name) in [("@acme", "widget"), ("", "left-pad-like")] {
        let response = app
            .admin(Method::POST, "/api/promotions/promote")
            .json(
                &json!({"packageName": name, "groupName": group, "version": "1.0.0",
                "fromFeed": "npm-proxy", "toFeed": "approved-npm", "comments": "vetted"}),
            )
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &format!("promote {name}")).await;
    }
    let (npm, output) = install_widget(&app, "approved-npm").await;
    output.assert_success();
    assert_eq!(installed_version(&npm, "@acme/widget").as_deref(), Some("1.0.0"));
}

async fn publish(
    app: &TestApp,
    feed: &str,
    name: &str,
    version: &str,
    tag: &str,
    deps: &[(&str, &str)],
) -> Vec<u8> {
    let tarball = npm_tarball(name, version, deps);
    let document = publish_document(&app.url(&format!("/npm/{feed}")), &tarball, name, version, tag);
    let response = app
        .admin(Method::PUT, &format!("/npm/{feed}/{}", name.replace('/', "%2f")))
        .json(&document)
        .send()
        .await
        .expect("request");
    expect_status(
        response,
        StatusCode::CREATED,
        &format!("publish {name}@{version}"),
    )
    .await;
    tarball
}

async fn get_json(app: &TestApp, path: &str, accept: Option<&str>) -> Value {
    let mut request = app.anonymous(Method::GET, path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let response = request.send().await.expect("request");
    let context = format!("{:?} GET {path}", app.backend);
    serde_json::from_str(&expect_status(response, StatusCode::OK, &context).await).expect("JSON")
}

#[tokio::test]
async fn a_proxy_feed_merges_an_upstream_gantrys_packuments() {
    let upstream = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    upstream.create_feed("origin", "npm").await;
    publish(
        &upstream,
        "origin",
        "@acme/shared",
        "1.0.0",
        "latest",
        &[("upstream-dep", "1.0.0")],
    )
    .await;
    let remote_only = publish(&upstream, "origin", "@acme/shared", "2.0.0", "next", &[]).await;
    publish(&upstream, "origin", "only-upstream", "3.0.0", "latest", &[]).await;
    publish(&upstream, "origin", "secret-pkg", "1.0.0", "latest", &[]).await;
    let upstream_url = upstream.url("/npm/origin");

    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed(
            "proxy",
            "up",
            "npm",
            &upstream_url,
            json!({"filters": ["!secret-pkg"]}),
        )
        .await;
        let local = publish(&app, "proxy", "@acme/shared", "1.0.0", "latest", &[]).await;

        for accept in [None, Some(CORGI)] {
            let doc = get_json(&app, "/npm/proxy/@acme%2fshared", accept).await;
            let versions: Vec<&String> = doc["versions"].as_object().expect("versions").keys().collect();
            assert_eq!(versions, ["1.0.0", "2.0.0"], "{ctx}: {doc}");
            // The feed's own 1.0.0 wins over the upstream's.
            let own = &doc["versions"]["1.0.0"];
            assert!(
                own.get("dependencies").is_none_or(|d| d == &json!({})),
                "{ctx}: {own}"
            );
            assert_eq!(
                own["dist"]["integrity"],
                gantry_test_support::npm::npm_integrity(&local),
                "{ctx}"
            );
            // Tags: the feed's own latest, the upstream's next.
            assert_eq!(
                doc["dist-tags"],
                json!({"latest": "1.0.0", "next": "2.0.0"}),
                "{ctx}"
            );
            // Tarballs point at this feed.
            let remote = &doc["versions"]["2.0.0"]["dist"];
            assert_eq!(
                remote["tarball"],
                app.url("/npm/proxy/@acme/shared/-/shared-2.0.0.tgz"),
                "{ctx}"
            );
            assert_eq!(
                remote["integrity"],
                gantry_test_support::npm::npm_integrity(&remote_only),
                "{ctx}"
            );
            if accept.is_none() {
                assert!(doc["time"]["2.0.0"].is_string(), "{ctx}: {doc}");
            }
        }

        // A version by tag, then its tarball through the feed.
        let manifest = get_json(&app, "/npm/proxy/@acme%2fshared/next", None).await;
        assert_eq!(manifest["version"], "2.0.0", "{ctx}");
        let response = app
            .anonymous(Method::GET, "/npm/proxy/@acme/shared/-/shared-2.0.0.tgz")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            response.bytes().await.expect("body").as_ref(),
            remote_only.as_slice(),
            "{ctx}"
        );
        let history = history(&app, "proxy", "@acme", "shared", "2.0.0").await;
        assert_eq!(history[0]["details"]["connector"], "up", "{ctx}: {history}");
        // Once stored, the version is served from the feed's own copy.
        let doc = get_json(&app, "/npm/proxy/@acme%2fshared", None).await;
        assert_eq!(
            doc["versions"]["2.0.0"]["dist"]["integrity"],
            gantry_test_support::npm::npm_integrity(&remote_only),
            "{ctx}"
        );

        // Search finds the upstream's packages, not the filtered one.
        let found = get_json(&app, "/npm/proxy/-/v1/search?text=only", None).await;
        let names: Vec<&str> = found["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .filter_map(|o| o["package"]["name"].as_str())
            .collect();
        assert_eq!(names, ["only-upstream"], "{ctx}: {found}");
        let found = get_json(&app, "/npm/proxy/-/v1/search?text=", None).await;
        let names: Vec<&str> = found["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .filter_map(|o| o["package"]["name"].as_str())
            .collect();
        assert!(!names.contains(&"secret-pkg"), "{ctx}: {found}");
        assert_eq!(
            names.iter().filter(|n| **n == "@acme/shared").count(),
            1,
            "{ctx}: {found}"
        );

        // Filtered and unknown packages are 404s.
        for path in [
            "/npm/proxy/secret-pkg",
            "/npm/proxy/secret-pkg/-/secret-pkg-1.0.0.tgz",
            "/npm/proxy/no-such-pkg",
            "/npm/proxy/@acme%2fshared/9.9.9",
        ] {
            assert_eq!(
                status_of(&app, path).await,
                StatusCode::NOT_FOUND,
                "{ctx}: {path}"
            );
        }
    }
}

#[tokio::test]
async fn kept_packuments_follow_the_connectors_answers() {
    let upstream = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    upstream.create_feed("origin", "npm").await;
    publish(&upstream, "origin", "moving", "1.0.0", "latest", &[]).await;
    let upstream_url = upstream.url("/npm/origin");
    let versions_of = |doc: &Value| -> Vec<String> {
        doc["versions"]
            .as_object()
            .map(|v| v.keys().cloned().collect())
            .unwrap_or_default()
    };
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("cached", "up-cached", "npm", &upstream_url, json!({}))
            .await;
        app.create_proxy_feed(
            "live",
            "up-live",
            "npm",
            &upstream_url,
            json!({"metadataCacheEnabled": false}),
        )
        .await;
        for feed in ["cached", "live"] {
            let doc = get_json(&app, &format!("/npm/{feed}/moving"), Some(CORGI)).await;
            assert!(
                versions_of(&doc).iter().any(|v| v == "1.0.0"),
                "{ctx} {feed}: {doc}"
            );
        }
        let next = format!("1.0.{}", 1 + app.backend as u8);
        publish(&upstream, "origin", "moving", &next, "latest", &[]).await;
        // With a metadata cache, the kept packument stands while the cached answer does.
        let cached = get_json(&app, "/npm/cached/moving", Some(CORGI)).await;
        assert!(!versions_of(&cached).contains(&next), "{ctx}: {cached}");
        // Without one, every read asks the upstream, and nothing stale is kept.
        let live = get_json(&app, "/npm/live/moving", Some(CORGI)).await;
        assert!(versions_of(&live).contains(&next), "{ctx}: {live}");
        // A connector change starts its cache afresh: the new version shows.
        let response = app
            .admin(Method::POST, "/api/management/connectors/update/up-cached")
            .json(&json!({"metadataCacheMinutes": 5}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{ctx}");
        let refreshed = get_json(&app, "/npm/cached/moving", Some(CORGI)).await;
        assert!(versions_of(&refreshed).contains(&next), "{ctx}: {refreshed}");
    }
}

/// An npm upstream whose packument claims another integrity than its
/// tarball has.
async fn lying_upstream(tarball: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let packument = json!({
        "name": "liar",
        "dist-tags": {"latest": "1.0.0"},
        "time": {"1.0.0": "2026-01-01T00:00:00.000Z"},
        "versions": {"1.0.0": {
            "name": "liar",
            "version": "1.0.0",
            "dist": {
                "tarball": format!("{base}/liar/-/liar-1.0.0.tgz"),
                "integrity": gantry_test_support::npm::npm_integrity(b"other bytes"),
            },
        }},
    })
    .to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (packument, tarball) = (packument.clone(), tarball.clone());
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let read = socket.read(&mut request).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&request[..read]).into_owned();
                let (content_type, body) = if head.lines().next().is_some_and(|l| l.contains(".tgz")) {
                    ("application/octet-stream", tarball)
                } else {
                    ("application/json", packument.into_bytes())
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    base
}

#[tokio::test]
async fn a_tarball_that_does_not_match_the_upstreams_integrity_is_never_stored_or_handed_out_whole() {
    let tarball = npm_tarball("liar", "1.0.0", &[]);
    let upstream = lying_upstream(tarball.clone()).await;
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("proxy", "liar", "npm", &upstream, json!({}))
            .await;
        let packument = get_json(&app, "/npm/proxy/liar", None).await;
        assert_eq!(packument["dist-tags"]["latest"], "1.0.0", "{ctx}: {packument}");
        for _ in 0..2 {
            let response = app
                .anonymous(Method::GET, "/npm/proxy/liar/-/liar-1.0.0.tgz")
                .send()
                .await
                .expect("request");
            // The answer started before the check; it is cut off, never completed.
            let body = response.bytes().await;
            assert!(
                body.as_ref().map_or(true, |b| b.as_ref() != tarball.as_slice()),
                "{ctx}: the refused tarball was handed out whole"
            );
        }
        app.assert_nothing_stored("proxy").await;
    }
}
