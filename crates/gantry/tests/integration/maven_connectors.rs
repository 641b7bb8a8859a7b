//! Maven feeds through connectors: a file the feed does not hold is
//! fetched from the upstream on its first request, checked against the
//! upstream's `.sha1`, kept, and served from then on even with the
//! upstream down; `maven-metadata.xml` merges the upstream's versions and
//! snapshot builds with the feed's own. Upstreams are a second Gantry and
//! a plain static maven2 layout on loopback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gantry_store::sql::Backend;
use gantry_test_support::maven::{maven_jar, maven_pom, MavenCli, MavenCredentials};
use gantry_test_support::{TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::expect_status;

async fn get(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn put(app: &TestApp, path: &str, body: Vec<u8>) {
    let response = app.admin(Method::PUT, path).body(body).send().await.expect("PUT");
    expect_status(response, StatusCode::CREATED, path).await;
}

/// Deploys `org.acme:widget:{version}` (jar and pom) to `feed` with PUTs;
/// returns the jar.
async fn deploy(app: &TestApp, feed: &str, version: &str) -> Vec<u8> {
    let jar = maven_jar("org.acme", "widget", version);
    let base = format!("/maven2/{feed}/org/acme/widget/{version}/widget-{version}");
    put(app, &format!("{base}.jar"), jar.clone()).await;
    put(
        app,
        &format!("{base}.pom"),
        maven_pom("org.acme", "widget", version, "jar").into_bytes(),
    )
    .await;
    jar
}

/// Which of the version's jar and pom a feed holds (empty when it holds
/// neither, or only knows the version from its upstream).
async fn stored_files(app: &TestApp, feed: &str, version: &str) -> Vec<String> {
    let query = format!("group=org.acme&name=widget&version={version}");
    let response = app
        .admin(Method::GET, &format!("/api/packages/{feed}/versions?{query}"))
        .send()
        .await
        .expect("versions");
    let info: Value = response.json().await.unwrap_or(Value::Null);
    if info[0]["sha256"].as_str().unwrap_or_default().is_empty() {
        return Vec::new();
    }
    let mut held = Vec::new();
    for name in [format!("widget-{version}.jar"), format!("widget-{version}.pom")] {
        let download = format!("/api/packages/{feed}/download?{query}&file={name}");
        let response = app.admin(Method::GET, &download).send().await.expect("download");
        if response.status() == StatusCode::OK {
            held.push(name);
        }
    }
    held
}

#[tokio::test]
async fn a_proxy_feed_keeps_what_it_fetched_and_serves_it_with_the_upstream_down() {
    let upstream = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    upstream.create_feed("central", "maven").await;
    let jar_1 = deploy(&upstream, "central", "1.0").await;
    let jar_2 = deploy(&upstream, "central", "2.0").await;
    let upstream_url = upstream.url("/maven2/central/");
    let mut apps = Vec::new();
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("libs", "central", "maven", &upstream_url, json!({}))
            .await;
        app.create_feed("approved", "maven").await;
        // The feed's own version sits beside the upstream's.
        deploy(&app, "libs", "1.5").await;

        // The artifact's metadata merges both, in Maven's order.
        let (status, metadata) = get(&app, "/maven2/libs/org/acme/widget/maven-metadata.xml").await;
        let metadata = text(&metadata);
        assert_eq!(status, StatusCode::OK, "{ctx}: {metadata}");
        for version in [
            "<version>1.0</version>",
            "<version>1.5</version>",
            "<version>2.0</version>",
        ] {
            assert!(metadata.contains(version), "{ctx}: {version} in {metadata}");
        }
        assert!(metadata.contains("<release>2.0</release>"), "{ctx}: {metadata}");
        let (_, sha1) = get(&app, "/maven2/libs/org/acme/widget/maven-metadata.xml.sha1").await;
        assert_eq!(
            text(&sha1),
            hex::encode(Sha1::digest(metadata.as_bytes())),
            "{ctx}"
        );

        // Not held yet; the first request fetches and keeps the jar.
        assert_eq!(
            stored_files(&app, "libs", "1.0").await,
            Vec::<String>::new(),
            "{ctx}"
        );
        let (status, bytes) = get(&app, "/maven2/libs/org/acme/widget/1.0/widget-1.0.jar").await;
        assert_eq!((status, bytes == jar_1), (StatusCode::OK, true), "{ctx}");
        let (status, sha1) = get(&app, "/maven2/libs/org/acme/widget/1.0/widget-1.0.jar.sha1").await;
        assert_eq!(
            (status, text(&sha1)),
            (StatusCode::OK, hex::encode(Sha1::digest(&jar_1))),
            "{ctx}"
        );
        // A checksum asked first fetches its file too.
        let (status, md5) = get(&app, "/maven2/libs/org/acme/widget/1.0/widget-1.0.pom.md5").await;
        assert_eq!((status, md5.len()), (StatusCode::OK, 32), "{ctx}");
        assert_eq!(
            stored_files(&app, "libs", "1.0").await,
            ["widget-1.0.jar", "widget-1.0.pom"],
            "{ctx}"
        );
        let history = app
            .admin_json("/api/packages/libs/history?group=org.acme&name=widget&version=1.0")
            .await;
        let history = history.to_string();
        assert!(
            history.contains("central"),
            "{ctx}: the connector is named: {history}"
        );

        // Something no upstream has is 404.
        let (status, _) = get(&app, "/maven2/libs/org/acme/widget/9.9/widget-9.9.jar").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");

        // Promotion of a version the feed only proxies fetches its pom and
        // jar, and carries both.
        let promoted = app
            .admin(Method::POST, "/api/promotions/promote")
            .json(
                &json!({"fromFeed": "libs", "toFeed": "approved", "group": "org.acme",
                          "name": "widget", "version": "2.0"}),
            )
            .send()
            .await
            .expect("promote");
        expect_status(promoted, StatusCode::OK, &ctx).await;
        assert_eq!(
            stored_files(&app, "approved", "2.0").await,
            ["widget-2.0.jar", "widget-2.0.pom"],
            "{ctx}"
        );
        let (status, bytes) = get(&app, "/maven2/approved/org/acme/widget/2.0/widget-2.0.jar").await;
        assert_eq!((status, bytes == jar_2), (StatusCode::OK, true), "{ctx}");
        apps.push(app);
    }

    // The upstream goes away: what was fetched is still served.
    upstream.stop().await;
    for app in &apps {
        let ctx = format!("{:?}", app.backend);
        let (status, bytes) = get(app, "/maven2/libs/org/acme/widget/1.0/widget-1.0.jar").await;
        assert_eq!((status, bytes == jar_1), (StatusCode::OK, true), "{ctx}");
        let (status, metadata) = get(app, "/maven2/libs/org/acme/widget/maven-metadata.xml").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert!(text(&metadata).contains("<version>1.0</version>"), "{ctx}");
        // A file never fetched cannot be: 404, saying why.
        let (status, body) = get(app, "/maven2/libs/org/acme/widget/2.0/widget-2.0-sources.jar").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}: {}", text(&body));
        assert!(
            text(&body).contains("central"),
            "{ctx}: names the connector: {}",
            text(&body)
        );
    }
}

/// A static maven2 layout on loopback: paths to bytes; counts requests.
struct StaticRepository {
    url: String,
    requests: Arc<Mutex<HashMap<String, usize>>>,
}

impl StaticRepository {
    async fn serve(files: HashMap<String, Vec<u8>>) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let files = Arc::new(files);
        let requests: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let counted = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (files, counted) = (Arc::clone(&files), Arc::clone(&counted));
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 16 * 1024];
                    let read = socket.read(&mut buffer).await.unwrap_or(0);
                    let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
                    let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    *counted.lock().expect("lock").entry(path.clone()).or_default() += 1;
                    let (status, body) = match files.get(&path) {
                        Some(body) => ("200 OK", body.clone()),
                        None => ("404 Not Found", Vec::new()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                });
            }
        });
        Self {
            url: format!("http://{addr}/repo"),
            requests,
        }
    }

    fn requests(&self, path: &str) -> usize {
        self.requests
            .lock()
            .expect("lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn a_static_upstream_is_checked_against_its_checksums_and_merged_into_snapshots() {
    let good = maven_jar("org.acme", "widget", "1.0");
    let tampered = maven_jar("org.acme", "widget", "1.1");
    let unsigned = maven_jar("org.acme", "widget", "1.2");
    let build = maven_jar("org.acme", "widget", "snapshot build 3");
    let snapshot_metadata = r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>org.acme</groupId>
  <artifactId>widget</artifactId>
  <version>2.0-SNAPSHOT</version>
  <versioning>
    <snapshot><timestamp>20261203.101500</timestamp><buildNumber>3</buildNumber></snapshot>
    <lastUpdated>20261203101500</lastUpdated>
    <snapshotVersions>
      <snapshotVersion><extension>jar</extension><value>2.0-20261203.101500-3</value><updated>20261203101500</updated></snapshotVersion>
    </snapshotVersions>
  </versioning>
</metadata>
"#;
    let dir = "/repo/org/acme/widget";
    let files: HashMap<String, Vec<u8>> = [
        (format!("{dir}/1.0/widget-1.0.jar"), good.clone()),
        (
            format!("{dir}/1.0/widget-1.0.jar.sha1"),
            hex::encode(Sha1::digest(&good)).into_bytes(),
        ),
        (format!("{dir}/1.1/widget-1.1.jar"), tampered),
        (
            format!("{dir}/1.1/widget-1.1.jar.sha1"),
            hex::encode(Sha1::digest(&good)).into_bytes(),
        ),
        (format!("{dir}/1.2/widget-1.2.jar"), unsigned.clone()),
        (
            format!("{dir}/2.0-SNAPSHOT/maven-metadata.xml"),
            snapshot_metadata.as_bytes().to_vec(),
        ),
        (
            format!("{dir}/2.0-SNAPSHOT/widget-2.0-20261203.101500-3.jar"),
            build.clone(),
        ),
    ]
    .into_iter()
    .collect();
    let repository = StaticRepository::serve(files).await;
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("mirror", "static", "maven", &repository.url, json!({}))
            .await;
        let before = repository.requests(&format!("{dir}/1.0/widget-1.0.jar"));
        for _ in 0..3 {
            let (status, bytes) = get(&app, "/maven2/mirror/org/acme/widget/1.0/widget-1.0.jar").await;
            assert_eq!((status, bytes == good), (StatusCode::OK, true), "{ctx}");
        }
        assert_eq!(
            repository.requests(&format!("{dir}/1.0/widget-1.0.jar")) - before,
            1,
            "{ctx}: fetched once, then served from the feed"
        );

        // A file whose .sha1 does not match is refused, and not kept.
        let (status, body) = get(&app, "/maven2/mirror/org/acme/widget/1.1/widget-1.1.jar").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}: {}", text(&body));
        assert!(text(&body).contains("SHA-1"), "{ctx}: says why: {}", text(&body));
        assert_eq!(
            stored_files(&app, "mirror", "1.1").await,
            Vec::<String>::new(),
            "{ctx}"
        );

        // Without a .sha1 upstream, the file is taken as served.
        let (status, bytes) = get(&app, "/maven2/mirror/org/acme/widget/1.2/widget-1.2.jar").await;
        assert_eq!((status, bytes == unsigned), (StatusCode::OK, true), "{ctx}");

        // The upstream's snapshot builds show in the feed's version metadata,
        // and the build they name is fetched like any file.
        let (status, metadata) = get(
            &app,
            "/maven2/mirror/org/acme/widget/2.0-SNAPSHOT/maven-metadata.xml",
        )
        .await;
        let metadata = text(&metadata);
        assert_eq!(status, StatusCode::OK, "{ctx}: {metadata}");
        assert!(
            metadata.contains("<buildNumber>3</buildNumber>"),
            "{ctx}: {metadata}"
        );
        assert!(
            metadata.contains("<value>2.0-20261203.101500-3</value>"),
            "{ctx}: {metadata}"
        );
        let (status, bytes) = get(
            &app,
            "/maven2/mirror/org/acme/widget/2.0-SNAPSHOT/widget-2.0-20261203.101500-3.jar",
        )
        .await;
        assert_eq!((status, bytes == build), (StatusCode::OK, true), "{ctx}");
    }
}

#[tokio::test]
async fn mvn_resolves_through_a_proxy_feed() {
    let mvn = MavenCli::required();
    let upstream = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    upstream.create_feed("central", "maven").await;
    let jar = deploy(&upstream, "central", "3.0").await;
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_proxy_feed(
        "libs",
        "central",
        "maven",
        &upstream.url("/maven2/central/"),
        json!({}),
    )
    .await;
    let key = MavenCredentials::api_key(ADMIN_KEY);
    let resolved = mvn
        .with_strict_checksums(true)
        .dependency_get(
            &app.url("/maven2/libs/"),
            "libs",
            Some(&key),
            "org.acme:widget:3.0",
        )
        .await;
    resolved.expect_ok();
    assert_eq!(resolved.artifact_bytes(), jar.as_slice(), "the upstream's jar");
    assert_eq!(
        stored_files(&app, "libs", "3.0").await,
        ["widget-3.0.jar", "widget-3.0.pom"],
        "what mvn fetched is kept"
    );
}
