//! Connectors: proxy feeds that serve an upstream's packages and store each
//! on its first download. The upstream is a second Gantry on loopback.

use gantry_store::sql::Backend;
use gantry_test_support::{noise, upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

/// An upstream Gantry with a universal feed `origin` holding a few packages.
async fn upstream_with_packages() -> (TestApp, Vec<u8>, Vec<u8>) {
    let upstream = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    upstream.create_feed("origin", "universal").await;
    let old = upack("acme/tools", "hammer", "1.0.0", &noise(1, 50_000));
    let new = upack("acme/tools", "hammer", "1.1.0", &noise(2, 400_000));
    for package in [
        old.clone(),
        new.clone(),
        upack("acme/tools", "saw", "2.0.0", b"saw"),
    ] {
        let (status, body) = upstream.upload_upack("origin", ADMIN_KEY, package).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    (upstream, old, new)
}

/// How many times the upstream served a version.
async fn upstream_downloads(upstream: &TestApp, name: &str, version: &str) -> i64 {
    let info = upstream
        .admin_json(&format!(
            "/upack/origin/versions?group=acme/tools&name={name}&version={version}"
        ))
        .await;
    info["downloads"].as_i64().expect("downloads")
}

async fn download(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn a_proxy_feed_serves_upstream_packages_and_keeps_what_it_served() {
    let (upstream, old, new) = upstream_with_packages().await;
    let upstream_url = upstream.url("/upack/origin");
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("public", "up", "universal", &upstream_url, json!({}))
            .await;

        // The upstream's versions and packages show through the feed.
        let versions = app
            .admin_json("/upack/public/versions?group=acme/tools&name=hammer")
            .await;
        let listed: Vec<&str> = versions
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|v| v["version"].as_str())
            .collect();
        assert_eq!(listed, ["1.1.0", "1.0.0"], "{ctx}");
        assert_eq!(versions[0]["sha256"], "", "{ctx}: not stored yet");
        let packages = app.admin_json("/upack/public/packages").await;
        let names: Vec<&str> = packages
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["hammer", "saw"], "{ctx}");

        // The first download streams the upstream's bytes and stores them.
        let before = upstream_downloads(&upstream, "hammer", "1.1.0").await;
        let (status, bytes) = download(&app, "/upack/public/download/acme/tools/hammer/1.1.0").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert_eq!(bytes, new, "{ctx}");
        let stored = app
            .admin_json("/upack/public/versions?group=acme/tools&name=hammer&version=1.1.0")
            .await;
        assert_eq!(stored["publishedBy"], "SYSTEM", "{ctx}");
        assert_eq!(stored["downloads"], 1, "{ctx}");
        let history = app
            .admin_json("/api/packages/public/history?group=acme/tools&name=hammer&version=1.1.0")
            .await;
        assert_eq!(history[0]["action"], "added", "{ctx}");
        assert_eq!(history[0]["user"], "SYSTEM", "{ctx}");
        assert_eq!(history[0]["details"]["connector"], "up", "{ctx}");

        // The second download is local: the upstream is not asked again.
        let (status, bytes) = download(&app, "/upack/public/download/acme/tools/hammer/1.1.0").await;
        assert_eq!((status, bytes == new), (StatusCode::OK, true), "{ctx}");
        assert_eq!(
            upstream_downloads(&upstream, "hammer", "1.1.0").await,
            before + 1,
            "{ctx}"
        );

        // ?latest sees the upstream's versions too.
        let (status, bytes) = download(&app, "/upack/public/download/acme/tools/hammer?latest").await;
        assert_eq!((status, bytes == new), (StatusCode::OK, true), "{ctx}");

        // A version neither has is a clean 404.
        let (status, _) = download(&app, "/upack/public/download/acme/tools/hammer/9.9.9").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");

        // Filters hide what they block, through every read.
        let response = app
            .admin(Method::POST, "/api/management/connectors/update/up")
            .json(&json!({"filters": ["!acme/tools/saw"]}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let packages = app.admin_json("/upack/public/packages").await;
        assert_eq!(packages.as_array().map(Vec::len), Some(1), "{ctx}: {packages}");
        let (status, _) = download(&app, "/upack/public/download/acme/tools/saw/2.0.0").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
        let _ = &old;
    }
}

#[tokio::test]
async fn with_the_upstream_down_cached_packages_still_install_and_the_connector_shows_unhealthy() {
    let (upstream, _old, new) = upstream_with_packages().await;
    let upstream_url = upstream.url("/upack/origin");
    let apps = TestApp::each_backend().await;
    for app in &apps {
        // Without a metadata cache, listings show what the upstream has now.
        let settings = json!({"timeout": 2, "metadataCacheEnabled": false});
        app.create_proxy_feed("public", "up", "universal", &upstream_url, settings)
            .await;
        let (status, _) = download(app, "/upack/public/download/acme/tools/hammer/1.1.0").await;
        assert_eq!(status, StatusCode::OK);
        let connector = app.admin_json("/api/management/connectors/get/up").await;
        assert_eq!(connector["status"], "healthy");
        assert!(connector["lastSuccessDate"].is_string(), "{connector}");
        assert_eq!(connector["hasPassword"], false);
    }
    upstream.stop().await;
    for app in &apps {
        let ctx = format!("{:?}", app.backend);
        // Cached: served as before.
        let (status, bytes) = download(app, "/upack/public/download/acme/tools/hammer/1.1.0").await;
        assert_eq!((status, bytes == new), (StatusCode::OK, true), "{ctx}");
        // Not cached: a clean not-found, never a 500.
        let (status, body) = download(app, "/upack/public/download/acme/tools/hammer/1.0.0").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{ctx}: {}",
            String::from_utf8_lossy(&body)
        );
        let versions = app
            .admin_json("/upack/public/versions?group=acme/tools&name=hammer")
            .await;
        assert_eq!(
            versions.as_array().map(Vec::len),
            Some(1),
            "{ctx}: only the cached version"
        );
        let connector = app.admin_json("/api/management/connectors/get/up").await;
        assert_eq!(connector["status"], "unhealthy", "{ctx}");
        assert!(
            connector["lastError"].as_str().is_some_and(|e| !e.is_empty()),
            "{ctx}: {connector}"
        );
    }
}

#[tokio::test]
async fn a_hundred_concurrent_first_downloads_fetch_from_the_upstream_once() {
    let (upstream, _old, new) = upstream_with_packages().await;
    let upstream_url = upstream.url("/upack/origin");
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("public", "up", "universal", &upstream_url, json!({}))
            .await;
        let before = upstream_downloads(&upstream, "hammer", "1.1.0").await;
        let requests = (0..100).map(|_| download(&app, "/upack/public/download/acme/tools/hammer/1.1.0"));
        for (status, bytes) in futures::future::join_all(requests).await {
            assert_eq!(status, StatusCode::OK, "{ctx}");
            assert!(bytes == new, "{ctx}: every client gets the whole file");
        }
        assert_eq!(
            upstream_downloads(&upstream, "hammer", "1.1.0").await,
            before + 1,
            "{ctx}"
        );
        let stored = app
            .admin_json("/upack/public/versions?group=acme/tools&name=hammer&version=1.1.0")
            .await;
        assert_eq!(stored["downloads"], 100, "{ctx}");
    }
}

#[tokio::test]
async fn promoting_a_version_only_the_upstream_has_caches_it_first() {
    let (upstream, old, _new) = upstream_with_packages().await;
    let upstream_url = upstream.url("/upack/origin");
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("public", "up", "universal", &upstream_url, json!({}))
            .await;
        app.create_feed("approved", "universal").await;
        let response = app
            .admin(Method::POST, "/api/promotions/promote")
            .json(
                &json!({"packageName": "hammer", "groupName": "acme/tools", "version": "1.0.0",
                "fromFeed": "public", "toFeed": "approved", "comments": "vetted"}),
            )
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let (status, bytes) = download(&app, "/upack/approved/download/acme/tools/hammer/1.0.0").await;
        assert_eq!((status, bytes == old), (StatusCode::OK, true), "{ctx}");
        let history = app
            .admin_json("/api/packages/approved/history?group=acme/tools&name=hammer&version=1.0.0")
            .await;
        let actions: Vec<(&str, &str, &str)> = history
            .as_array()
            .expect("array")
            .iter()
            .map(|e| {
                (
                    e["feed"].as_str().unwrap_or_default(),
                    e["action"].as_str().unwrap_or_default(),
                    e["user"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            [("public", "added", "SYSTEM"), ("approved", "promoted", "SYSTEM")],
            "{ctx}"
        );
        // Promotion copied rows, not bytes: the source feed holds it too.
        let source = app
            .admin_json("/upack/public/versions?group=acme/tools&name=hammer&version=1.0.0")
            .await;
        assert_eq!(source["publishedBy"], "SYSTEM", "{ctx}");
    }
}

#[tokio::test]
async fn offline_feeds_and_feeds_that_do_not_cache() {
    let (upstream, _old, new) = upstream_with_packages().await;
    let upstream_url = upstream.url("/upack/origin");
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("public", "up", "universal", &upstream_url, json!({}))
            .await;
        // Without caching, the bytes are relayed and nothing is stored.
        app.update_feed("public", json!({"cacheConnectors": false})).await;
        let (status, bytes) = download(&app, "/upack/public/download/acme/tools/hammer/1.1.0").await;
        assert_eq!((status, bytes == new), (StatusCode::OK, true), "{ctx}");
        app.assert_nothing_stored("public").await;
        // Offline, only stored packages show, and the upstream is not asked.
        app.update_feed("public", json!({"offline": true, "cacheConnectors": true}))
            .await;
        let versions = app
            .admin_json("/upack/public/versions?group=acme/tools&name=hammer")
            .await;
        assert_eq!(versions, json!([]), "{ctx}");
        let (status, _) = download(&app, "/upack/public/download/acme/tools/hammer/1.1.0").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
        let feed = app.admin_json("/api/management/feeds/get/public").await;
        assert_eq!(
            (feed["offline"].clone(), feed["connectors"].clone()),
            (json!(true), json!(["up"])),
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn the_connector_api_checks_what_it_is_given_and_never_shows_the_password() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let create = |body: Value| {
            app.admin(Method::POST, "/api/management/connectors/create")
                .json(&body)
                .send()
        };
        for (body, why) in [
            (json!({"name": "x", "feedType": "universal"}), "url is required"),
            (
                json!({"name": "x", "feedType": "universal", "url": "ftp://h/"}),
                "http or https",
            ),
            (
                json!({"name": "x", "feedType": "nope", "url": "http://h/"}),
                "nope",
            ),
            (
                json!({"name": "x", "feedType": "rpm", "url": "http://h/"}),
                "not supported",
            ),
            (
                json!({"name": "x", "feedType": "universal", "url": "http://h/", "timeout": 0}),
                "timeout",
            ),
            (
                json!({"name": "x", "feedType": "universal", "url": "http://h/", "filters": ["!"]}),
                "filters",
            ),
            (
                json!({"name": "a b", "feedType": "universal", "url": "http://h/"}),
                "name",
            ),
        ] {
            let body = expect_status(
                create(body).await.expect("request"),
                StatusCode::BAD_REQUEST,
                &ctx,
            )
            .await;
            assert!(body.contains(why), "{ctx}: {body}");
        }
        let created = create(
            json!({"name": "up", "feedType": "universal", "url": "http://127.0.0.1:9/upack/x",
            "username": "me", "password": "s3cret", "filters": ["acme/*", "!acme/secret*"]}),
        )
        .await
        .expect("request");
        let body = expect_status(created, StatusCode::CREATED, &ctx).await;
        assert!(!body.contains("s3cret"), "{ctx}: {body}");
        let info: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(info["hasPassword"], true);
        assert_eq!(info["filters"], json!(["acme/*", "!acme/secret*"]));
        assert_eq!(info["metadataCacheMinutes"], 30);
        assert_eq!(info["status"], "unknown");
        let again = create(json!({"name": "UP", "feedType": "universal", "url": "http://h/"}))
            .await
            .expect("request");
        expect_status(again, StatusCode::CONFLICT, &ctx).await;
        let listed = app.admin_json("/api/management/connectors/list").await;
        assert!(!listed.to_string().contains("s3cret"), "{ctx}");

        // Feeds may list only existing connectors of their own type.
        let response = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "n", "feedType": "npm", "connectors": ["up"]}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        let response = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "u", "feedType": "universal", "connectors": ["missing"]}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        app.create_feed("u", "universal").await;
        app.update_feed("u", json!({"connectors": ["up"]})).await;
        let response = app
            .admin(Method::DELETE, "/api/management/connectors/delete/up")
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let feed = app.admin_json("/api/management/feeds/get/u").await;
        assert_eq!(feed["connectors"], json!([]), "{ctx}");
        let response = app
            .admin(Method::GET, "/api/management/connectors/get/up")
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::NOT_FOUND, &ctx).await;
    }
}

#[tokio::test]
async fn a_feed_can_proxy_another_feed_of_the_same_server() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("inner", "universal").await;
        let package = upack("acme", "loop", "1.0.0", &noise(7, 10_000));
        let (status, body) = app.upload_upack("inner", ADMIN_KEY, package.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        // The inner feed is open to the connector with a key, as a remote one would be.
        let key = app
            .create_key(json!({"type": "feed", "feed": "inner", "packagePermissions": ["view"]}))
            .await;
        app.create_proxy_feed(
            "outer",
            "self",
            "universal",
            &app.url("/upack/inner"),
            json!({"password": key}),
        )
        .await;
        let (status, bytes) = download(&app, "/upack/outer/download/acme/loop/1.0.0").await;
        assert_eq!((status, bytes == package), (StatusCode::OK, true), "{ctx}");
        let stored = app
            .admin_json("/upack/outer/versions?group=acme&name=loop&version=1.0.0")
            .await;
        assert_eq!(stored["publishedBy"], "SYSTEM", "{ctx}");
    }
}

/// A loopback server that answers every request with `answer` (raw HTTP),
/// or never answers when `answer` is `None`.
async fn misbehaving_upstream(answer: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            match answer {
                Some(answer) => {
                    tokio::spawn(async move {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut buffer = [0u8; 4096];
                        let _ = socket.read(&mut buffer).await;
                        let _ = socket.write_all(answer.as_bytes()).await;
                    });
                }
                // Keep the connection open and silent.
                None => held.push(socket),
            }
        }
    });
    format!("http://{addr}/upack/origin")
}

#[tokio::test]
async fn errors_timeouts_and_nonsense_from_upstream_never_become_a_500() {
    let cases = [
        ("error", Some("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"), "503"),
        (
            "nonsense",
            Some("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\nconnection: close\r\n\r\n{\"not\": \"a list"),
            "malformed",
        ),
        ("silent", None, "did not answer within 1 s"),
    ];
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        for (name, answer, reason) in cases {
            let url = misbehaving_upstream(answer).await;
            let feed = format!("proxy-{name}");
            app.create_proxy_feed(&feed, name, "universal", &url, json!({"timeout": 1}))
                .await;
            // The feed's own packages are still served.
            let package = upack("acme", "own", "1.0.0", b"own");
            let (status, body) = app.upload_upack(&feed, ADMIN_KEY, package.clone()).await;
            assert_eq!(status, StatusCode::CREATED, "{ctx} {name}: {body}");
            let versions = app
                .admin_json(&format!("/upack/{feed}/versions?group=acme&name=own"))
                .await;
            assert_eq!(
                versions.as_array().map(Vec::len),
                Some(1),
                "{ctx} {name}: {versions}"
            );
            let (status, bytes) = download(&app, &format!("/upack/{feed}/download/acme/own/1.0.0")).await;
            assert_eq!((status, bytes == package), (StatusCode::OK, true), "{ctx} {name}");
            // What only the upstream could have is a clean 404.
            let (status, _) = download(&app, &format!("/upack/{feed}/download/acme/other/1.0.0")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{ctx} {name}");
            let connector = app
                .admin_json(&format!("/api/management/connectors/get/{name}"))
                .await;
            assert_eq!(connector["status"], "unhealthy", "{ctx} {name}");
            let error = connector["lastError"].as_str().unwrap_or_default();
            assert!(error.contains(reason), "{ctx} {name}: {error}");
        }
    }
}

/// A loopback upstream that lists acme/hammer 1.0.0 but serves `served`
/// (another package) as its file.
async fn lying_upstream(served: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let served = std::sync::Arc::new(served);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let served = std::sync::Arc::clone(&served);
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buffer = [0u8; 8192];
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (content_type, body): (&str, Vec<u8>) = if path.contains("/versions") {
                    let listing = json!([{"group": "acme", "name": "hammer", "version": "1.0.0"}]);
                    ("application/json", listing.to_string().into_bytes())
                } else if path.contains("/download/acme/hammer/1.0.0") {
                    ("application/zip", served.to_vec())
                } else {
                    ("application/json", b"[]".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    format!("http://{addr}/upack/origin")
}

#[tokio::test]
async fn an_upstream_file_that_is_another_package_is_refused_and_not_stored() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let url = lying_upstream(upack("acme", "saw", "1.0.0", b"not the hammer")).await;
        app.create_proxy_feed("proxy", "liar", "universal", &url, json!({}))
            .await;
        // The first client's bytes stream as they arrive, the last chunk
        // held back until the file is checked: the refusal cuts the body.
        let response = app
            .anonymous(Method::GET, "/upack/proxy/download/acme/hammer/1.0.0")
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.bytes().await;
        assert!(
            !status.is_success() || body.is_err(),
            "{ctx}: a file holding another package is not served whole: {status}"
        );
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{ctx}");
        let stored = app.admin_json("/api/packages/proxy/versions").await;
        assert_eq!(stored, json!([]), "{ctx}: nothing stored");
    }
}
