//! Docker feeds through connectors, a pull-through cache: an image the
//! feed does not hold is fetched whole from the upstream (manifest, child
//! manifests, every blob, each checked against its digest) on its first
//! pull, and served from the feed from then on, upstream up or down; a tag
//! the feed only proxies can be promoted; without caching, images are
//! relayed and nothing is stored; an upstream whose bytes do not match
//! their digest is refused. Upstreams: Debian's docker-registry (open, and
//! behind htpasswd basic authentication), another Gantry (the bearer token
//! flow) and a tampering server on loopback.

use base64::Engine;
use gantry_store::sql::Backend;
use gantry_test_support::oci::{
    big_layer, docker_ref, oci_image, oci_index, oci_layout_ref, read_oci_layout, skopeo_creds,
    write_oci_index_layout, BuiltImage, DockerRegistry, OciLayer, Skopeo,
};
use gantry_test_support::{TestApp, ADMIN_KEY};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Docker's registry, or `None` (the test then returns, saying so) where
/// it is not installed outside CI.
fn registry(basic_auth: Option<(&str, &str)>) -> Option<DockerRegistry> {
    let Some(builder) = DockerRegistry::from_env() else {
        eprintln!("skipped: GANTRY_TEST_DOCKER_REGISTRY is not set (run scripts/test-setup)");
        return None;
    };
    Some(match basic_auth {
        Some((user, password)) => builder.with_basic_auth(user, password).start(),
        None => builder.start(),
    })
}

/// Pushes to a registry (`base` = `http://host:port`) as a client does:
/// each blob by `POST` then `PUT ?digest=`, then the manifest.
struct Pusher {
    client: reqwest::Client,
    base: String,
    authorization: Option<String>,
}

impl Pusher {
    fn new(base: &str, authorization: Option<String>) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            authorization,
        }
    }

    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, url);
        match &self.authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
    }

    async fn blob(&self, repo: &str, bytes: &[u8]) {
        let digest = gantry_test_support::oci::sha256_digest(bytes);
        let started = self
            .request(Method::POST, &format!("{}/v2/{repo}/blobs/uploads/", self.base))
            .send()
            .await
            .expect("start upload");
        let location = started
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        expect_status(started, StatusCode::ACCEPTED, "start upload").await;
        let location = location.expect("an upload location");
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let finished = self
            .request(Method::PUT, &format!("{location}{separator}digest={digest}"))
            .header("Content-Type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("finish upload");
        expect_status(finished, StatusCode::CREATED, &format!("blob {digest}")).await;
    }

    async fn manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        let response = self
            .request(
                Method::PUT,
                &format!("{}/v2/{repo}/manifests/{reference}", self.base),
            )
            .header("Content-Type", media_type)
            .body(bytes.to_vec())
            .send()
            .await
            .expect("push manifest");
        expect_status(response, StatusCode::CREATED, &format!("{repo}:{reference}")).await;
    }

    /// An image's blobs, then its manifest under `reference` (a tag or
    /// its digest).
    async fn image(&self, repo: &str, reference: &str, image: &BuiltImage) {
        for (_, bytes) in image.blobs() {
            self.blob(repo, &bytes).await;
        }
        self.manifest(repo, reference, OCI_MANIFEST, &image.manifest)
            .await;
    }

    /// Each image by digest, then their index under `tag`; the index.
    async fn index(&self, repo: &str, tag: &str, images: &[&BuiltImage]) -> (Vec<u8>, String) {
        for image in images {
            self.image(repo, &image.manifest_digest, image).await;
        }
        let (index, digest) = oci_index(images);
        self.manifest(repo, tag, OCI_INDEX, &index).await;
        (index, digest)
    }
}

fn web_image(arch: &str, seed: u64) -> BuiltImage {
    oci_image(
        arch,
        "linux",
        &[
            OciLayer::new(&[("etc/motd", format!("web for {arch}\n").as_bytes())]),
            big_layer(256 * 1024, seed),
        ],
    )
}

/// A pull from a Docker feed of the administrator's server, with the key
/// as basic credentials, accepting every manifest type.
async fn pull(app: &TestApp, method: Method, path: &str) -> Response {
    app.anonymous(method, path)
        .header("Authorization", basic("api", ADMIN_KEY))
        .header("Accept", MANIFEST_TYPES)
        .send()
        .await
        .expect("pull")
}

/// Pulls a manifest, asserting 200, its bytes and its digest.
async fn expect_manifest(app: &TestApp, path: &str, bytes: &[u8], digest: &str, ctx: &str) {
    let response = pull(app, Method::GET, path).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body");
    assert_eq!(
        status,
        StatusCode::OK,
        "{ctx}: GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(headers["docker-content-digest"], digest, "{ctx}: {path}");
    assert_eq!(body.as_ref(), bytes, "{ctx}: {path}: the upstream's bytes");
}

/// Pulls every blob of an image from `feed`, asserting their bytes.
async fn expect_blobs(app: &TestApp, feed: &str, repo: &str, image: &BuiltImage, ctx: &str) {
    for (digest, bytes) in image.blobs() {
        let path = format!("/v2/{feed}/{repo}/blobs/{digest}");
        let response = pull(app, Method::GET, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{ctx}: GET {path}");
        let body = response.bytes().await.expect("blob");
        assert!(
            body.as_ref() == bytes.as_slice(),
            "{ctx}: {path}: the upstream's bytes"
        );
    }
}

/// A failed pull's status, error code and message.
async fn failure(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let response = pull(app, Method::GET, path).await;
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON error body");
    (
        status,
        body["errors"][0]["code"].as_str().unwrap_or_default().to_owned(),
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn tags(app: &TestApp, feed: &str, repo: &str) -> Value {
    let response = pull(app, Method::GET, &format!("/v2/{feed}/{repo}/tags/list")).await;
    let body = expect_status(response, StatusCode::OK, "tags").await;
    serde_json::from_str::<Value>(&body).expect("tags JSON")["tags"].clone()
}

async fn promote(app: &TestApp, from: &str, to: &str, repo: &str, tag: &str) -> (StatusCode, String) {
    let response = app
        .admin(Method::POST, "/api/promotions/promote")
        .json(&json!({"name": repo, "version": tag, "fromFeed": from, "toFeed": to}))
        .send()
        .await
        .expect("promote");
    (response.status(), response.text().await.expect("body"))
}

#[tokio::test]
async fn a_proxy_feed_caches_whole_images_and_serves_them_with_the_upstream_down() {
    let Some(upstream) = registry(None) else {
        return;
    };
    let pusher = Pusher::new(&upstream.url(), None);
    let web = web_image("amd64", 1);
    let web_2 = web_image("amd64", 2);
    pusher.image("acme/web", "1.0", &web).await;
    pusher.image("acme/web", "2.0", &web_2).await;
    let amd = web_image("amd64", 3);
    let arm = web_image("arm64", 4);
    let (index, index_digest) = pusher.index("acme/multi", "1.0", &[&amd, &arm]).await;

    let mut apps = Vec::new();
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("hub", "registry", "docker", &upstream.url(), json!({}))
            .await;
        app.create_feed("approved", "docker").await;
        app.update_feed("approved", json!({"usage": "validated"})).await;

        // By tag: the image is stored whole, then served from the feed.
        expect_manifest(
            &app,
            "/v2/hub/acme/web/manifests/1.0",
            &web.manifest,
            &web.manifest_digest,
            &ctx,
        )
        .await;
        let versions = app
            .admin_json("/api/packages/hub/versions?name=acme/web&version=1.0")
            .await;
        let size = web.manifest.len() + web.blob_bytes();
        assert_eq!(
            versions[0]["size"], size as u64,
            "{ctx}: the whole image: {versions}"
        );
        upstream.clear_log();
        expect_blobs(&app, "hub", "acme/web", &web, &ctx).await;
        expect_manifest(
            &app,
            &format!("/v2/hub/acme/web/manifests/{}", web.manifest_digest),
            &web.manifest,
            &web.manifest_digest,
            &ctx,
        )
        .await;
        let asked: Vec<String> = upstream.requests().iter().map(ToString::to_string).collect();
        assert!(asked.is_empty(), "{ctx}: served from the feed: {asked:?}");
        let history = app
            .admin_json("/api/packages/hub/history?name=acme/web&version=1.0")
            .await
            .to_string();
        assert!(
            history.contains("registry"),
            "{ctx}: names the connector: {history}"
        );
        assert!(history.contains("SYSTEM"), "{ctx}: added by SYSTEM: {history}");

        // An index: both images, their blobs, the index, by tag and digest.
        expect_manifest(
            &app,
            "/v2/hub/acme/multi/manifests/1.0",
            &index,
            &index_digest,
            &ctx,
        )
        .await;
        for image in [&amd, &arm] {
            let path = format!("/v2/hub/acme/multi/manifests/{}", image.manifest_digest);
            expect_manifest(&app, &path, &image.manifest, &image.manifest_digest, &ctx).await;
            expect_blobs(&app, "hub", "acme/multi", image, &ctx).await;
        }
        let by_digest = format!("/v2/hub/acme/multi/manifests/{index_digest}");
        expect_manifest(&app, &by_digest, &index, &index_digest, &ctx).await;
        let multi = app
            .admin_json("/api/packages/hub/versions?name=acme/multi&version=1.0")
            .await;
        assert_eq!(
            multi[0]["size"],
            (index.len()
                + [&amd, &arm]
                    .iter()
                    .map(|i| i.manifest.len() + i.blob_bytes())
                    .sum::<usize>()) as u64,
            "{ctx}: {multi}"
        );

        // The tag list merges the upstream's with the feed's.
        assert_eq!(
            tags(&app, "hub", "acme/web").await,
            json!(["1.0", "2.0"]),
            "{ctx}"
        );

        // What the upstream does not have: 404 naming the connector.
        let (status, code, message) = failure(&app, "/v2/hub/acme/web/manifests/9.9").await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN"),
            "{ctx}"
        );
        assert!(message.contains("'registry'"), "{ctx}: {message}");

        // Promotion of a cached tag, and of one never pulled (fetched whole
        // into the proxy feed first).
        let (status, body) = promote(&app, "hub", "approved", "acme/web", "1.0").await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
        let (status, body) = promote(&app, "hub", "approved", "acme/web", "2.0").await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
        for (tag, image) in [("1.0", &web), ("2.0", &web_2)] {
            let path = format!("/v2/approved/acme/web/manifests/{tag}");
            expect_manifest(&app, &path, &image.manifest, &image.manifest_digest, &ctx).await;
            expect_blobs(&app, "approved", "acme/web", image, &ctx).await;
        }
        let history = app
            .admin_json("/api/packages/hub/history?name=acme/web&version=2.0")
            .await
            .to_string();
        assert!(
            history.contains("registry"),
            "{ctx}: cached before promotion: {history}"
        );
        apps.push(app);
    }

    // The upstream goes away: what was cached is still served.
    drop(upstream);
    for app in &apps {
        let ctx = format!("{:?}", app.backend);
        expect_manifest(
            app,
            "/v2/hub/acme/web/manifests/1.0",
            &web.manifest,
            &web.manifest_digest,
            &ctx,
        )
        .await;
        expect_blobs(app, "hub", "acme/web", &web, &ctx).await;
        expect_manifest(
            app,
            "/v2/hub/acme/multi/manifests/1.0",
            &index,
            &index_digest,
            &ctx,
        )
        .await;
        for image in [&amd, &arm] {
            let path = format!("/v2/hub/acme/multi/manifests/{}", image.manifest_digest);
            expect_manifest(app, &path, &image.manifest, &image.manifest_digest, &ctx).await;
            expect_blobs(app, "hub", "acme/multi", image, &ctx).await;
        }
        assert_eq!(tags(app, "hub", "acme/web").await, json!(["1.0", "2.0"]), "{ctx}");
        // Something never cached cannot be: 404 saying why.
        let (status, code, message) = failure(app, "/v2/hub/acme/web/manifests/3.0").await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN"),
            "{ctx}"
        );
        assert!(message.contains("'registry'"), "{ctx}: {message}");
        let connector = app.admin_json("/api/management/connectors/get/registry").await;
        assert_eq!(connector["status"], "unhealthy", "{ctx}: {connector}");
    }
}

#[tokio::test]
async fn skopeo_copies_an_index_through_a_proxy_feed_byte_for_byte() {
    let (Some(upstream), Some(skopeo)) = (registry(None), Skopeo::from_env()) else {
        eprintln!("skipped: docker-registry or skopeo is not installed (run scripts/test-setup)");
        return;
    };
    let amd = web_image("amd64", 12);
    let arm = web_image("arm64", 13);
    let source = skopeo.layout_dir();
    let (index, index_digest) = write_oci_index_layout(&source, "1.0", &[&amd, &arm]);
    skopeo
        .copy(
            &oci_layout_ref(&source, "1.0"),
            &docker_ref(upstream.host(), "acme/multi:1.0"),
            &["--all", "--preserve-digests"],
        )
        .await
        .expect_ok();
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("hub", "registry", "docker", &upstream.url(), json!({}))
            .await;
        let target = skopeo.layout_dir();
        let creds = skopeo_creds("api", ADMIN_KEY);
        skopeo
            .copy(
                &docker_ref(app.addr, "hub/acme/multi:1.0"),
                &oci_layout_ref(&target, "1.0"),
                &["--all", "--preserve-digests", "--src-creds", &creds],
            )
            .await
            .expect_ok();
        let layout = read_oci_layout(&target);
        let tagged = layout.tagged("1.0").expect("the tag in the layout");
        assert_eq!(tagged["digest"], index_digest.as_str(), "{ctx}");
        assert_eq!(layout.blob(&index_digest), index.as_slice(), "{ctx}");
        for image in [&amd, &arm] {
            assert_eq!(
                layout.blob(&image.manifest_digest),
                image.manifest.as_slice(),
                "{ctx}"
            );
            for (digest, bytes) in image.blobs() {
                assert!(layout.blob(&digest) == bytes.as_slice(), "{ctx}: {digest}");
            }
        }
        // Cached whole: the feed holds the tag with both images.
        let versions = app
            .admin_json("/api/packages/hub/versions?name=acme/multi&version=1.0")
            .await;
        let size = index.len()
            + [&amd, &arm]
                .iter()
                .map(|i| i.manifest.len() + i.blob_bytes())
                .sum::<usize>();
        assert_eq!(versions[0]["size"], size as u64, "{ctx}: {versions}");
    }
}

#[tokio::test]
async fn an_upstream_behind_basic_authentication_takes_the_connector_credentials() {
    let Some(upstream) = registry(Some(("robot", "s3cret-pass"))) else {
        return;
    };
    let pusher = Pusher::new(&upstream.url(), Some(basic("robot", "s3cret-pass")));
    let web = web_image("amd64", 5);
    pusher.image("acme/web", "1.0", &web).await;
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed(
            "hub",
            "registry",
            "docker",
            &upstream.url(),
            json!({"username": "robot", "password": "s3cret-pass"}),
        )
        .await;
        app.create_proxy_feed("nocreds", "anonymous", "docker", &upstream.url(), json!({}))
            .await;
        // Concurrent first pulls share one fetch.
        upstream.clear_log();
        let pulls = (0..8).map(|_| {
            expect_manifest(
                &app,
                "/v2/hub/acme/web/manifests/1.0",
                &web.manifest,
                &web.manifest_digest,
                &ctx,
            )
        });
        futures::future::join_all(pulls).await;
        let fetched: Vec<String> = upstream
            .requests()
            .iter()
            .filter(|r| r.status == 200 && r.path.starts_with("/v2/acme/web/"))
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            fetched.len(),
            1 + web.blobs().len(),
            "{ctx}: once each: {fetched:?}"
        );
        expect_blobs(&app, "hub", "acme/web", &web, &ctx).await;
        assert_eq!(tags(&app, "hub", "acme/web").await, json!(["1.0"]), "{ctx}");

        let (status, code, message) = failure(&app, "/v2/nocreds/acme/web/manifests/1.0").await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN"),
            "{ctx}"
        );
        assert!(
            message.contains("'anonymous'") && message.contains("401"),
            "{ctx}: {message}"
        );
    }
}

#[tokio::test]
async fn another_gantry_is_read_through_its_token_flow() {
    // Anonymous may not read the upstream: a pull is challenged, and the
    // connector's credentials are exchanged for a token.
    let upstream = TestApp::spawn(Backend::Sqlite, |c| c.anonymous_read = false).await;
    upstream.create_feed("upstream", "docker").await;
    let pusher = Pusher::new(&upstream.url(""), Some(basic("api", ADMIN_KEY)));
    let web = web_image("amd64", 6);
    pusher.image("upstream/acme/web", "1.0", &web).await;
    let amd = web_image("amd64", 7);
    let arm = web_image("arm64", 8);
    let (index, index_digest) = pusher.index("upstream/acme/multi", "2.0", &[&amd, &arm]).await;
    let challenged = upstream
        .anonymous(Method::GET, "/v2/upstream/acme/web/manifests/1.0")
        .send()
        .await
        .expect("anonymous pull");
    assert_eq!(challenged.status(), StatusCode::UNAUTHORIZED);
    let challenge = challenged.headers()["www-authenticate"].to_str().expect("text");
    assert!(challenge.starts_with("Bearer realm="), "{challenge}");

    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        // A connector to feed `upstream` of the other Gantry, written as
        // the feed's registry path.
        app.create_proxy_feed(
            "mirror",
            "gantry",
            "docker",
            &upstream.url("/v2/upstream"),
            json!({"username": "api", "password": ADMIN_KEY}),
        )
        .await;
        app.create_proxy_feed(
            "denied",
            "wrong-key",
            "docker",
            &upstream.url("/upstream"),
            json!({"username": "api", "password": "not-the-key-0123456789"}),
        )
        .await;
        expect_manifest(
            &app,
            "/v2/mirror/acme/web/manifests/1.0",
            &web.manifest,
            &web.manifest_digest,
            &ctx,
        )
        .await;
        expect_blobs(&app, "mirror", "acme/web", &web, &ctx).await;
        let path = format!("/v2/mirror/acme/multi/manifests/{index_digest}");
        expect_manifest(&app, &path, &index, &index_digest, &ctx).await;
        for image in [&amd, &arm] {
            let path = format!("/v2/mirror/acme/multi/manifests/{}", image.manifest_digest);
            expect_manifest(&app, &path, &image.manifest, &image.manifest_digest, &ctx).await;
            expect_blobs(&app, "mirror", "acme/multi", image, &ctx).await;
        }
        assert_eq!(tags(&app, "mirror", "acme/multi").await, json!(["2.0"]), "{ctx}");

        let (status, code, message) = failure(&app, "/v2/denied/acme/web/manifests/1.0").await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN"),
            "{ctx}"
        );
        assert!(
            message.contains("'wrong-key'") && message.contains("401"),
            "{ctx}: {message}"
        );
    }
}

#[tokio::test]
async fn without_caching_images_are_relayed_and_nothing_is_stored() {
    let Some(upstream) = registry(None) else {
        return;
    };
    let pusher = Pusher::new(&upstream.url(), None);
    let web = web_image("amd64", 9);
    pusher.image("acme/web", "1.0", &web).await;
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("relay", "registry", "docker", &upstream.url(), json!({}))
            .await;
        app.update_feed("relay", json!({"cacheConnectors": false})).await;
        let blob_files = app.blob_files().len();

        expect_manifest(
            &app,
            "/v2/relay/acme/web/manifests/1.0",
            &web.manifest,
            &web.manifest_digest,
            &ctx,
        )
        .await;
        let path = format!("/v2/relay/acme/web/manifests/{}", web.manifest_digest);
        expect_manifest(&app, &path, &web.manifest, &web.manifest_digest, &ctx).await;
        let head = pull(&app, Method::HEAD, &path).await;
        assert_eq!(head.status(), StatusCode::OK, "{ctx}");
        assert_eq!(head.headers()["content-type"], OCI_MANIFEST, "{ctx}");
        expect_blobs(&app, "relay", "acme/web", &web, &ctx).await;
        let (layer, bytes) = &web.layers[1];
        let head = pull(&app, Method::HEAD, &format!("/v2/relay/acme/web/blobs/{layer}")).await;
        assert_eq!(head.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            head.headers()["content-length"],
            bytes.len().to_string().as_str(),
            "{ctx}"
        );
        assert_eq!(tags(&app, "relay", "acme/web").await, json!(["1.0"]), "{ctx}");

        assert_eq!(app.blob_files().len(), blob_files, "{ctx}: nothing stored");
        let versions = app.admin_json("/api/packages/relay/versions").await;
        assert_eq!(versions, json!([]), "{ctx}: no version stored");
    }
}

/// An upstream on loopback that answers every manifest request with
/// `manifest` (claiming `claimed` as its digest) and anything else 404.
async fn tampering_upstream(manifest: Vec<u8>, claimed: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let manifest = manifest.clone();
            let claimed = claimed.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or_default();
                let answer = if path.contains("/manifests/") {
                    let mut answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {OCI_MANIFEST}\r\nDocker-Content-Digest: {claimed}\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        manifest.len()
                    )
                    .into_bytes();
                    answer.extend_from_slice(&manifest);
                    answer
                } else {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
                };
                let _ = stream.write_all(&answer).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_upstream_whose_bytes_do_not_match_their_digest_is_refused() {
    let web = web_image("amd64", 10);
    let other = web_image("arm64", 11);
    // Serves `web`'s manifest while claiming it is `other`'s.
    let url = tampering_upstream(web.manifest.clone(), other.manifest_digest.clone()).await;
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("bad", "tampered", "docker", &url, json!({}))
            .await;
        for reference in [other.manifest_digest.as_str(), "1.0"] {
            let path = format!("/v2/bad/acme/web/manifests/{reference}");
            let (status, code, message) = failure(&app, &path).await;
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN"),
                "{ctx}: {reference}"
            );
            assert!(
                message.contains("'tampered'") && message.contains(&web.manifest_digest),
                "{ctx}: names the connector and the bytes' digest: {message}"
            );
        }
        let connector = app.admin_json("/api/management/connectors/get/tampered").await;
        assert_eq!(connector["status"], "unhealthy", "{ctx}: {connector}");
        app.assert_nothing_stored("bad").await;

        // A connector's path must be able to be a namespace.
        let refused = app
            .admin(Method::POST, "/api/management/connectors/create")
            .json(
                &json!({"name": "odd", "feedType": "docker", "url": "http://127.0.0.1:9/Not%20A/Namespace"}),
            )
            .send()
            .await
            .expect("create");
        let body = expect_status(refused, StatusCode::BAD_REQUEST, "odd connector").await;
        assert!(body.contains("namespace"), "{ctx}: {body}");
    }
}
