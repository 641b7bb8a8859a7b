//! Docker/OCI feeds over HTTP, as the distribution spec words it: the
//! version check and token flow, blob uploads (monolithic, chunked,
//! resumed, mounted), manifests by tag and by digest with content
//! negotiation, indexes, referrers, tags and catalog pagination, deletes,
//! immutable tags, and promotion of a tag without a layer byte copied.
//! The real clients (skopeo, oras) are in `docker_clients`.

use base64::Engine;
use gantry_test_support::{noise, TestApp, ADMIN_KEY};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::expect_status;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A request with the administrator's key as basic credentials (`api:KEY`),
/// as registry clients send it.
fn admin(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    app.anonymous(method, path)
        .header("Authorization", basic("api", ADMIN_KEY))
}

async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("request")
}

/// The spec's error code of a failed answer, checking it carries one.
async fn error_code(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON error body");
    let code = body["errors"][0]["code"]
        .as_str()
        .expect("an error code")
        .to_owned();
    (status, code)
}

/// An image's parts.
struct Image {
    config: Vec<u8>,
    layers: Vec<Vec<u8>>,
    manifest: Vec<u8>,
}

impl Image {
    fn new(arch: &str, layers: Vec<Vec<u8>>) -> Self {
        let config = serde_json::to_vec(&json!({
            "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": []}
        }))
        .expect("config");
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": digest_of(&config), "size": config.len()},
            "layers": layers.iter().map(|l| json!({
                "mediaType": OCI_LAYER, "digest": digest_of(l), "size": l.len()
            })).collect::<Vec<_>>(),
            "annotations": {"org.opencontainers.image.description": format!("web for {arch}")}
        }))
        .expect("manifest");
        Self {
            config,
            layers,
            manifest,
        }
    }

    fn digest(&self) -> String {
        digest_of(&self.manifest)
    }

    fn bytes(&self) -> u64 {
        (self.config.len() + self.layers.iter().map(Vec::len).sum::<usize>()) as u64
    }
}

/// Uploads a blob in one `POST ?digest=`.
async fn push_blob(app: &TestApp, repo: &str, bytes: &[u8]) {
    let path = format!("/v2/{repo}/blobs/uploads/?digest={}", digest_of(bytes));
    let response = send(admin(app, Method::POST, &path).body(bytes.to_vec())).await;
    expect_status(response, StatusCode::CREATED, &path).await;
}

async fn push_manifest(
    app: &TestApp,
    repo: &str,
    reference: &str,
    media_type: &str,
    body: &[u8],
) -> Response {
    send(
        admin(app, Method::PUT, &format!("/v2/{repo}/manifests/{reference}"))
            .header("Content-Type", media_type)
            .body(body.to_vec()),
    )
    .await
}

async fn push_image(app: &TestApp, repo: &str, tag: &str, image: &Image) {
    push_blob(app, repo, &image.config).await;
    for layer in &image.layers {
        push_blob(app, repo, layer).await;
    }
    let response = push_manifest(app, repo, tag, OCI_MANIFEST, &image.manifest).await;
    expect_status(response, StatusCode::CREATED, &format!("{repo}:{tag}")).await;
}

#[tokio::test]
async fn the_version_check_challenges_and_the_token_endpoint_hands_out_tokens() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let anonymous = send(app.anonymous(Method::GET, "/v2/")).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        let challenge = anonymous.headers()["www-authenticate"]
            .to_str()
            .expect("text")
            .to_owned();
        assert_eq!(
            challenge,
            format!(
                "Bearer realm=\"{}\",service=\"{}\"",
                app.url("/v2/token"),
                app.url("").trim_start_matches("http://")
            ),
            "{ctx}"
        );
        assert_eq!(
            anonymous.headers()["docker-distribution-api-version"],
            "registry/2.0"
        );
        assert_eq!(error_code(anonymous).await.1, "UNAUTHORIZED", "{ctx}");

        let with_key = send(admin(&app, Method::GET, "/v2/")).await;
        assert_eq!(with_key.status(), StatusCode::OK, "{ctx}");
        let wrong = send(
            app.anonymous(Method::GET, "/v2/")
                .header("Authorization", basic("api", "not-a-key-0123456789")),
        )
        .await;
        assert_eq!(
            error_code(wrong).await,
            (StatusCode::UNAUTHORIZED, "UNAUTHORIZED".into()),
            "{ctx}"
        );

        // The token flow: basic credentials for a token, the token for the API.
        let answer = send(admin(
            &app,
            Method::GET,
            "/v2/token?service=x&scope=repository:dock/acme/web:pull,push",
        ))
        .await;
        let body: Value =
            serde_json::from_str(&expect_status(answer, StatusCode::OK, "token").await).expect("json");
        let token = body["token"].as_str().expect("token").to_owned();
        assert_eq!(body["access_token"], body["token"]);
        assert!(body["expires_in"].as_i64().expect("expiry") >= 60, "{ctx}");
        let with_token = send(app.anonymous(Method::GET, "/v2/").bearer_auth(&token)).await;
        assert_eq!(with_token.status(), StatusCode::OK, "{ctx}");
        // A token is random and stored hashed: a guess is refused, with a
        // challenge that sends the client back to the token endpoint.
        let forged = send(
            app.anonymous(Method::GET, "/v2/")
                .bearer_auth("grt_00000000000000000000"),
        )
        .await;
        assert_eq!(forged.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        assert!(forged.headers().contains_key("www-authenticate"));

        // Wrong credentials at the token endpoint: 401, nothing handed out.
        let refused = send(
            app.anonymous(Method::GET, "/v2/token")
                .header("Authorization", basic("admin", "wrong")),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        // The OAuth2 password grant some clients use.
        let form = send(app.anonymous(Method::POST, "/v2/token").form(&[
            ("grant_type", "password"),
            ("username", "api"),
            ("password", ADMIN_KEY),
            ("service", "gantry"),
        ]))
        .await;
        let body: Value =
            serde_json::from_str(&expect_status(form, StatusCode::OK, "form").await).expect("json");
        assert!(
            body["access_token"].as_str().expect("token").starts_with("grt_"),
            "{ctx}"
        );

        // What a token may do is what its credentials may: push with one.
        app.create_feed("dock", "docker").await;
        let push = send(
            app.anonymous(Method::POST, "/v2/dock/acme/web/blobs/uploads/")
                .bearer_auth(&token),
        )
        .await;
        assert_eq!(push.status(), StatusCode::ACCEPTED, "{ctx}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_image_pushed_by_blob_and_manifest_is_pulled_back_byte_for_byte() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let repo = "dock/acme/web";
        let big = noise(7, 3 * 1024 * 1024 + 17);
        let image = Image::new("amd64", vec![big.clone(), b"second layer".to_vec()]);

        // The config in one POST; the big layer in three chunks, the first
        // two by PATCH with Content-Range, the last with the closing PUT.
        push_blob(&app, repo, &image.config).await;
        let start = send(admin(&app, Method::POST, &format!("/v2/{repo}/blobs/uploads/"))).await;
        assert_eq!(start.status(), StatusCode::ACCEPTED, "{ctx}");
        assert_eq!(start.headers()["range"], "0-0");
        let mut location = start.headers()["location"].to_str().expect("location").to_owned();
        assert!(
            location.starts_with(&format!("/v2/{repo}/blobs/uploads/")),
            "{location}"
        );
        let (one, rest) = big.split_at(1024 * 1024);
        let (two, three) = rest.split_at(1024 * 1024);
        let patch = send(
            admin(&app, Method::PATCH, &location)
                .header("Content-Range", format!("0-{}", one.len() - 1))
                .body(one.to_vec()),
        )
        .await;
        assert_eq!(patch.status(), StatusCode::ACCEPTED, "{ctx}");
        assert_eq!(patch.headers()["range"], format!("0-{}", one.len() - 1));
        location = patch.headers()["location"].to_str().expect("location").to_owned();
        // A chunk at the wrong offset: 416 with where the upload stands.
        let misplaced = send(
            admin(&app, Method::PATCH, &location)
                .header("Content-Range", "5-10")
                .body(vec![0u8; 6]),
        )
        .await;
        assert_eq!(misplaced.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{ctx}");
        assert_eq!(misplaced.headers()["range"], format!("0-{}", one.len() - 1));
        let patch = send(admin(&app, Method::PATCH, &location).body(two.to_vec())).await;
        assert_eq!(patch.status(), StatusCode::ACCEPTED, "{ctx}");
        // Resuming: the session says how much it holds.
        let status = send(admin(&app, Method::GET, &location)).await;
        assert_eq!(status.status(), StatusCode::NO_CONTENT, "{ctx}");
        assert_eq!(
            status.headers()["range"],
            format!("0-{}", one.len() + two.len() - 1)
        );
        // A wrong digest on close: refused, and the blob is not there.
        let wrong = send(admin(
            &app,
            Method::PUT,
            &format!("{location}?digest={}", digest_of(b"other")),
        ))
        .await;
        assert_eq!(
            error_code(wrong).await,
            (StatusCode::BAD_REQUEST, "DIGEST_INVALID".into()),
            "{ctx}"
        );
        let close = send(
            admin(
                &app,
                Method::PUT,
                &format!("{location}?digest={}", digest_of(&big)),
            )
            .body(three.to_vec()),
        )
        .await;
        assert_eq!(close.status(), StatusCode::CREATED, "{ctx}");
        assert_eq!(close.headers()["docker-content-digest"], digest_of(&big).as_str());
        assert_eq!(
            close.headers()["location"],
            format!("/v2/{repo}/blobs/{}", digest_of(&big)).as_str()
        );
        // The session is over.
        let gone = send(admin(&app, Method::GET, &location)).await;
        assert_eq!(
            error_code(gone).await,
            (StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN".into())
        );

        // A manifest naming a layer the repository lacks is refused whole.
        let refused = push_manifest(&app, repo, "1.0", OCI_MANIFEST, &image.manifest).await;
        assert_eq!(
            error_code(refused).await,
            (StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN".into()),
            "{ctx}"
        );
        let tags = send(admin(&app, Method::GET, &format!("/v2/{repo}/tags/list"))).await;
        assert_eq!(tags.status(), StatusCode::NOT_FOUND, "{ctx}: no tag was made");
        push_blob(&app, repo, &image.layers[1]).await;
        let pushed = push_manifest(&app, repo, "1.0", OCI_MANIFEST, &image.manifest).await;
        assert_eq!(pushed.status(), StatusCode::CREATED, "{ctx}");
        assert_eq!(pushed.headers()["docker-content-digest"], image.digest().as_str());
        assert_eq!(
            pushed.headers()["location"],
            format!("/v2/{repo}/manifests/{}", image.digest()).as_str()
        );

        // Pull: the manifest by tag and by digest, identical bytes.
        for reference in ["1.0".to_owned(), image.digest()] {
            let got = send(
                admin(&app, Method::GET, &format!("/v2/{repo}/manifests/{reference}"))
                    .header("Accept", format!("{DOCKER_MANIFEST}, {OCI_MANIFEST}")),
            )
            .await;
            assert_eq!(got.status(), StatusCode::OK, "{ctx}: {reference}");
            assert_eq!(got.headers()["content-type"], OCI_MANIFEST);
            assert_eq!(got.headers()["docker-content-digest"], image.digest().as_str());
            assert_eq!(
                got.bytes().await.expect("bytes").as_ref(),
                image.manifest.as_slice()
            );
        }
        let head = send(admin(&app, Method::HEAD, &format!("/v2/{repo}/manifests/1.0"))).await;
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(
            head.headers()["content-length"],
            image.manifest.len().to_string().as_str()
        );
        // A client that accepts only Docker's type is not sent an OCI one.
        let refused = send(
            admin(&app, Method::GET, &format!("/v2/{repo}/manifests/1.0")).header("Accept", DOCKER_MANIFEST),
        )
        .await;
        assert_eq!(
            error_code(refused).await,
            (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN".into())
        );

        // Blobs: HEAD has the length (skopeo's "already there?"), GET the
        // bytes, a range the part asked for.
        let blob_path = format!("/v2/{repo}/blobs/{}", digest_of(&big));
        let head = send(admin(&app, Method::HEAD, &blob_path)).await;
        assert_eq!(head.status(), StatusCode::OK, "{ctx}");
        assert_eq!(head.headers()["content-length"], big.len().to_string().as_str());
        assert_eq!(head.headers()["docker-content-digest"], digest_of(&big).as_str());
        let whole = send(admin(&app, Method::GET, &blob_path)).await;
        assert_eq!(
            whole.bytes().await.expect("bytes").as_ref(),
            big.as_slice(),
            "{ctx}"
        );
        let part = send(admin(&app, Method::GET, &blob_path).header("Range", "bytes=100-199")).await;
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT, "{ctx}");
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes 100-199/{}", big.len()).as_str()
        );
        assert_eq!(part.bytes().await.expect("bytes").as_ref(), &big[100..200]);
        let unknown = send(admin(
            &app,
            Method::GET,
            &format!("/v2/{repo}/blobs/{}", digest_of(b"nope")),
        ))
        .await;
        assert_eq!(
            error_code(unknown).await,
            (StatusCode::NOT_FOUND, "BLOB_UNKNOWN".into())
        );
        // Another repository of the feed does not see this one's blobs.
        let elsewhere = send(admin(
            &app,
            Method::HEAD,
            &format!("/v2/dock/other/blobs/{}", digest_of(&big)),
        ))
        .await;
        assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND, "{ctx}");

        // The tag is a version of the packages API; its files are the
        // image (manifest, config, layers), its main file the manifest.
        let versions = app.admin_json("/api/packages/dock/versions?name=acme/web").await;
        let version = &versions[0];
        assert_eq!(version["version"], "1.0", "{ctx}: {versions}");
        assert_eq!(
            version["size"],
            image.bytes() + image.manifest.len() as u64,
            "{ctx}"
        );
        assert_eq!(
            version["sha256"],
            image.digest().trim_start_matches("sha256:"),
            "{ctx}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn tags_and_the_catalog_page_with_n_last_and_link() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        app.create_feed("other", "docker").await;
        let image = Image::new("amd64", vec![b"layer".to_vec()]);
        for tag in ["1.0", "1.1", "2.0", "latest"] {
            push_image(&app, "dock/acme/web", tag, &image).await;
        }
        push_image(&app, "dock/acme/api", "1.0", &image).await;
        push_image(&app, "other/tools/saw", "1.0", &image).await;

        let first = send(admin(&app, Method::GET, "/v2/dock/acme/web/tags/list?n=2")).await;
        assert_eq!(
            first.headers()["link"],
            "</v2/dock/acme/web/tags/list?n=2&last=1.1>; rel=\"next\"",
            "{ctx}"
        );
        let body: Value = first.json().await.expect("json");
        assert_eq!(body, json!({"name": "dock/acme/web", "tags": ["1.0", "1.1"]}));
        let second = send(admin(
            &app,
            Method::GET,
            "/v2/dock/acme/web/tags/list?n=2&last=1.1",
        ))
        .await;
        assert!(!second.headers().contains_key("link"), "{ctx}: the last page");
        let body: Value = second.json().await.expect("json");
        assert_eq!(body["tags"], json!(["2.0", "latest"]));

        let catalog: Value = send(admin(&app, Method::GET, "/v2/_catalog"))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(
            catalog,
            json!({"repositories": ["dock/acme/api", "dock/acme/web", "other/tools/saw"]}),
            "{ctx}"
        );
        let page = send(admin(&app, Method::GET, "/v2/_catalog?n=1&last=dock/acme/api")).await;
        assert_eq!(
            page.headers()["link"],
            "</v2/_catalog?n=1&last=dock%2Facme%2Fweb>; rel=\"next\""
        );
        let body: Value = page.json().await.expect("json");
        assert_eq!(body["repositories"], json!(["dock/acme/web"]));

        // The catalog lists only what the caller may view; Anonymous, who
        // may view nothing here, is challenged for the catalog scope.
        let anonymous = send(app.anonymous(Method::GET, "/v2/_catalog")).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        assert!(anonymous.headers()["www-authenticate"]
            .to_str()
            .expect("text")
            .ends_with(",scope=\"registry:catalog:*\""));
        let pull = send(app.anonymous(Method::GET, "/v2/dock/acme/web/manifests/1.0")).await;
        assert_eq!(pull.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        let key = app
            .create_key(json!({"type": "feed", "feed": "other", "packagePermissions": ["view"]}))
            .await;
        let scoped: Value = send(
            app.anonymous(Method::GET, "/v2/_catalog")
                .header("Authorization", basic("api", &key)),
        )
        .await
        .json()
        .await
        .expect("json");
        assert_eq!(scoped, json!({"repositories": ["other/tools/saw"]}), "{ctx}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_index_keeps_its_platforms_and_referrers_travel_with_their_subject() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let repo = "dock/acme/web";
        let amd = Image::new("amd64", vec![b"amd layer".to_vec()]);
        let arm = Image::new("arm64", vec![b"arm layer".to_vec()]);
        for image in [&amd, &arm] {
            push_image(&app, repo, &image.digest(), image).await;
        }
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": amd.digest(), "size": amd.manifest.len(),
                 "platform": {"architecture": "amd64", "os": "linux"}},
                {"mediaType": OCI_MANIFEST, "digest": arm.digest(), "size": arm.manifest.len(),
                 "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
            ]
        }))
        .expect("index");
        let pushed = push_manifest(&app, repo, "1.0", OCI_INDEX, &index).await;
        assert_eq!(pushed.status(), StatusCode::CREATED, "{ctx}");

        // An SBOM attached to the index: its subject comes back as OCI-Subject.
        let empty = b"{}".to_vec();
        let sbom = b"{\"spdxVersion\":\"SPDX-2.3\"}".to_vec();
        push_blob(&app, repo, &empty).await;
        push_blob(&app, repo, &sbom).await;
        let referrer = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/spdx+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest_of(&empty), "size": 2},
            "layers": [{"mediaType": "application/spdx+json", "digest": digest_of(&sbom), "size": sbom.len()}],
            "subject": {"mediaType": OCI_INDEX, "digest": digest_of(&index), "size": index.len()},
            "annotations": {"org.opencontainers.image.created": "2026-12-03T00:00:00Z"}
        }))
        .expect("referrer");
        let attached = push_manifest(&app, repo, &digest_of(&referrer), OCI_MANIFEST, &referrer).await;
        assert_eq!(attached.status(), StatusCode::CREATED, "{ctx}");
        assert_eq!(attached.headers()["oci-subject"], digest_of(&index).as_str());

        let listed = send(admin(
            &app,
            Method::GET,
            &format!("/v2/{repo}/referrers/{}", digest_of(&index)),
        ))
        .await;
        assert_eq!(listed.headers()["content-type"], OCI_INDEX, "{ctx}");
        let listed: Value = listed.json().await.expect("json");
        assert_eq!(
            listed["manifests"][0]["digest"],
            digest_of(&referrer),
            "{ctx}: {listed}"
        );
        assert_eq!(listed["manifests"][0]["artifactType"], "application/spdx+json");
        assert_eq!(
            listed["manifests"][0]["annotations"]["org.opencontainers.image.created"],
            "2026-12-03T00:00:00Z"
        );
        let filtered = send(admin(
            &app,
            Method::GET,
            &format!(
                "/v2/{repo}/referrers/{}?artifactType=application/vnd.dev.cosign",
                digest_of(&index)
            ),
        ))
        .await;
        assert_eq!(filtered.headers()["oci-filters-applied"], "artifactType");
        let filtered: Value = filtered.json().await.expect("json");
        assert_eq!(filtered["manifests"], json!([]), "{ctx}");

        // The tag's version holds the index, both images and the SBOM.
        let versions = app
            .admin_json("/api/packages/dock/versions?name=acme/web&version=1.0")
            .await;
        let everything = index.len()
            + [&amd, &arm]
                .iter()
                .map(|i| i.manifest.len() + i.bytes() as usize)
                .sum::<usize>()
            + referrer.len()
            + empty.len()
            + sbom.len();
        assert_eq!(versions[0]["size"], everything as u64, "{ctx}: {versions}");

        // An image of the index cannot go while the index lists it; the
        // index can, and takes its tag with it.
        let refused = send(admin(
            &app,
            Method::DELETE,
            &format!("/v2/{repo}/manifests/{}", amd.digest()),
        ))
        .await;
        assert_eq!(refused.status(), StatusCode::CONFLICT, "{ctx}");
        let deleted = send(admin(
            &app,
            Method::DELETE,
            &format!("/v2/{repo}/manifests/{}", digest_of(&index)),
        ))
        .await;
        assert_eq!(deleted.status(), StatusCode::ACCEPTED, "{ctx}");
        let gone = send(admin(&app, Method::GET, &format!("/v2/{repo}/manifests/1.0"))).await;
        assert_eq!(
            error_code(gone).await,
            (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN".into())
        );
        let child = send(admin(
            &app,
            Method::GET,
            &format!("/v2/{repo}/manifests/{}", amd.digest()),
        ))
        .await;
        assert_eq!(child.status(), StatusCode::OK, "{ctx}: the image stays");
        app.stop().await;
    }
}

/// Found by the OCI conformance suite (`bench/oci-conformance`): a manifest
/// whose non-distributable layers carry `urls` was refused with
/// MANIFEST_BLOB_UNKNOWN, so Windows images (Docker foreign base layers)
/// could not be pushed. Such layers are fetched from their URLs; the
/// repository need not hold them, as with the reference registry.
#[tokio::test]
async fn foreign_layers_with_urls_need_not_be_pushed() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        app.create_feed("approved", "docker").await;
        let repo = "dock/acme/windows";
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64", "os": "windows",
            "rootfs": {"type": "layers", "diff_ids": []}
        }))
        .expect("config");
        let layer = b"our own layer".to_vec();
        push_blob(&app, repo, &config).await;
        push_blob(&app, repo, &layer).await;
        let foreign = |media_type: &str, seed: &str, urls: Value| {
            let digest = digest_of(seed.as_bytes());
            let mut descriptor = json!({"mediaType": media_type, "digest": digest, "size": 123_456});
            if !urls.is_null() {
                descriptor["urls"] = urls;
            }
            descriptor
        };
        let manifest_with = |extra: Vec<Value>| {
            let mut layers = extra;
            layers.push(json!({"mediaType": OCI_LAYER, "digest": digest_of(&layer), "size": layer.len()}));
            serde_json::to_vec(&json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": digest_of(&config), "size": config.len()},
                "layers": layers
            }))
            .expect("manifest")
        };
        let manifest = manifest_with(vec![
            foreign(
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "nondistributable",
                json!(["https://store.example.com/blobs/nondistributable"]),
            ),
            foreign(
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "windows base",
                json!(["https://mcr.example.com/windows-base"]),
            ),
        ]);
        for reference in ["ltsc2022".to_owned(), digest_of(&manifest)] {
            let pushed = push_manifest(&app, repo, &reference, OCI_MANIFEST, &manifest).await;
            assert_eq!(pushed.status(), StatusCode::CREATED, "{ctx}: {reference}");
        }
        for reference in ["ltsc2022".to_owned(), digest_of(&manifest)] {
            let pulled = send(admin(
                &app,
                Method::GET,
                &format!("/v2/{repo}/manifests/{reference}"),
            ))
            .await;
            assert_eq!(pulled.status(), StatusCode::OK, "{ctx}: {reference}");
            assert_eq!(pulled.headers()["content-type"], OCI_MANIFEST);
            assert_eq!(
                pulled.bytes().await.expect("bytes").as_ref(),
                manifest.as_slice(),
                "{ctx}"
            );
        }
        let tags: Value = send(admin(&app, Method::GET, &format!("/v2/{repo}/tags/list")))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(tags["tags"], json!(["ltsc2022"]), "{ctx}");
        // The foreign layer is not in the registry: clients fetch it elsewhere.
        let absent = send(admin(
            &app,
            Method::HEAD,
            &format!("/v2/{repo}/blobs/{}", digest_of(b"windows base")),
        ))
        .await;
        assert_eq!(absent.status(), StatusCode::NOT_FOUND, "{ctx}");

        // Without URLs, or with one a client would not fetch, it is a layer
        // like any other, which must be pushed first.
        for urls in [Value::Null, json!([]), json!(["file:///layers/base.tar"])] {
            let unfetchable = manifest_with(vec![foreign(
                "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "nowhere",
                urls.clone(),
            )]);
            let refused = push_manifest(&app, repo, "nowhere", OCI_MANIFEST, &unfetchable).await;
            assert_eq!(
                error_code(refused).await,
                (StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN".into()),
                "{ctx}: urls {urls}"
            );
        }

        // The tag promotes with the layers the registry holds.
        let promote = send(app.admin(Method::POST, "/api/promotions/promote").json(&json!({
            "packageType": "docker", "name": "acme/windows", "version": "ltsc2022",
            "fromFeed": "dock", "toFeed": "approved"
        })))
        .await;
        expect_status(promote, StatusCode::OK, "promote").await;
        let promoted = send(admin(
            &app,
            Method::GET,
            "/v2/approved/acme/windows/manifests/ltsc2022",
        ))
        .await;
        assert_eq!(promoted.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            promoted.headers()["docker-content-digest"],
            digest_of(&manifest).as_str()
        );
        let own = send(admin(
            &app,
            Method::GET,
            &format!("/v2/approved/acme/windows/blobs/{}", digest_of(&layer)),
        ))
        .await;
        assert_eq!(
            own.bytes().await.expect("bytes").as_ref(),
            layer.as_slice(),
            "{ctx}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn promotion_moves_a_tag_without_a_layer_byte_and_validated_feeds_refuse_pushes() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("unapproved", "docker").await;
        app.create_feed("approved", "docker").await;
        app.update_feed("approved", json!({"usage": "validated"})).await;
        let image = Image::new("amd64", vec![noise(3, 256 * 1024), noise(4, 128 * 1024)]);
        push_image(&app, "unapproved/acme/web", "1.0", &image).await;

        // The validated feed takes images by promotion only.
        let direct = send(admin(&app, Method::POST, "/v2/approved/acme/web/blobs/uploads/")).await;
        assert_eq!(
            error_code(direct).await,
            (StatusCode::FORBIDDEN, "DENIED".into()),
            "{ctx}"
        );
        let before = send(admin(&app, Method::GET, "/v2/approved/acme/web/manifests/1.0")).await;
        assert_eq!(before.status(), StatusCode::NOT_FOUND, "{ctx}");

        let blob_files = app.blob_files().len();
        let promote = send(app.admin(Method::POST, "/api/promotions/promote").json(&json!({
            "packageType": "docker", "name": "acme/web", "version": "1.0",
            "fromFeed": "unapproved", "toFeed": "approved", "comments": "passed staging"
        })))
        .await;
        expect_status(promote, StatusCode::OK, "promote").await;
        assert_eq!(app.blob_files().len(), blob_files, "{ctx}: no byte copied");

        let after = send(admin(&app, Method::GET, "/v2/approved/acme/web/manifests/1.0")).await;
        assert_eq!(after.status(), StatusCode::OK, "{ctx}");
        assert_eq!(after.headers()["docker-content-digest"], image.digest().as_str());
        assert_eq!(
            after.bytes().await.expect("bytes").as_ref(),
            image.manifest.as_slice()
        );
        for layer in &image.layers {
            let got = send(admin(
                &app,
                Method::GET,
                &format!("/v2/approved/acme/web/blobs/{}", digest_of(layer)),
            ))
            .await;
            assert_eq!(
                got.bytes().await.expect("bytes").as_ref(),
                layer.as_slice(),
                "{ctx}"
            );
        }
        let by_digest = send(admin(
            &app,
            Method::HEAD,
            &format!("/v2/approved/acme/web/manifests/{}", image.digest()),
        ))
        .await;
        assert_eq!(by_digest.status(), StatusCode::OK, "{ctx}");
        // The source keeps its image.
        let source = send(admin(&app, Method::HEAD, "/v2/unapproved/acme/web/manifests/1.0")).await;
        assert_eq!(source.status(), StatusCode::OK, "{ctx}");
        let history = app.admin_json("/api/promotions/list?toFeed=approved").await;
        assert_eq!(history[0]["packageName"], "acme/web", "{ctx}: {history}");
        assert_eq!(history[0]["version"], "1.0");
        app.stop().await;
    }
}

#[tokio::test]
async fn blobs_mount_across_feeds_the_caller_may_read_and_tags_can_be_made_immutable() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        app.create_feed("team", "docker").await;
        app.update_feed("team", json!({"immutableTags": true})).await;
        let layer = noise(9, 64 * 1024);
        push_blob(&app, "dock/base", &layer).await;
        let mount = send(admin(
            &app,
            Method::POST,
            &format!(
                "/v2/team/app/blobs/uploads/?mount={}&from=dock/base",
                digest_of(&layer)
            ),
        ))
        .await;
        assert_eq!(mount.status(), StatusCode::CREATED, "{ctx}");
        assert_eq!(
            mount.headers()["docker-content-digest"],
            digest_of(&layer).as_str()
        );
        let head = send(admin(
            &app,
            Method::HEAD,
            &format!("/v2/team/app/blobs/{}", digest_of(&layer)),
        ))
        .await;
        assert_eq!(head.status(), StatusCode::OK, "{ctx}");
        // A blob the source does not hold: an upload session instead.
        let fallback = send(admin(
            &app,
            Method::POST,
            &format!(
                "/v2/team/app/blobs/uploads/?mount={}&from=dock/base",
                digest_of(b"absent")
            ),
        ))
        .await;
        assert_eq!(fallback.status(), StatusCode::ACCEPTED, "{ctx}");

        // A key of `team` alone cannot mount from `dock`.
        let key = app
            .create_key(json!({"type": "feed", "feed": "team", "packagePermissions": ["view", "add"]}))
            .await;
        let denied = send(
            app.anonymous(
                Method::POST,
                &format!(
                    "/v2/team/other/blobs/uploads/?mount={}&from=dock/base",
                    digest_of(&layer)
                ),
            )
            .header("Authorization", basic("api", &key)),
        )
        .await;
        assert_eq!(denied.status(), StatusCode::ACCEPTED, "{ctx}: not mounted");
        let head = send(admin(
            &app,
            Method::HEAD,
            &format!("/v2/team/other/blobs/{}", digest_of(&layer)),
        ))
        .await;
        assert_eq!(head.status(), StatusCode::NOT_FOUND, "{ctx}");

        // Immutable tags: a pushed tag stays where it is.
        let one = Image::new("amd64", vec![b"one".to_vec()]);
        let two = Image::new("amd64", vec![b"two".to_vec()]);
        push_image(&app, "team/app", "1.0", &one).await;
        push_blob(&app, "team/app", &two.layers[0]).await;
        let moved = push_manifest(&app, "team/app", "1.0", OCI_MANIFEST, &two.manifest).await;
        assert_eq!(
            error_code(moved).await,
            (StatusCode::CONFLICT, "DENIED".into()),
            "{ctx}"
        );
        let same = push_manifest(&app, "team/app", "1.0", OCI_MANIFEST, &one.manifest).await;
        assert_eq!(
            same.status(),
            StatusCode::CREATED,
            "{ctx}: the same image again is fine"
        );
        let kept = send(admin(&app, Method::HEAD, "/v2/team/app/manifests/1.0")).await;
        assert_eq!(kept.headers()["docker-content-digest"], one.digest().as_str());
        // In a feed with mutable tags the tag moves, and history says so.
        push_image(&app, "dock/app", "1.0", &one).await;
        push_image(&app, "dock/app", "1.0", &two).await;
        let moved = send(admin(&app, Method::HEAD, "/v2/dock/app/manifests/1.0")).await;
        assert_eq!(
            moved.headers()["docker-content-digest"],
            two.digest().as_str(),
            "{ctx}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn anonymous_pulls_follow_the_feed_permissions_and_refusals_carry_error_bodies() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let image = Image::new("amd64", vec![b"layer".to_vec()]);
        push_image(&app, "dock/acme/web", "1.0", &image).await;

        // Anonymous may read this server's feeds: a pull needs no sign-in.
        let pulled = send(app.anonymous(Method::GET, "/v2/dock/acme/web/manifests/1.0")).await;
        assert_eq!(pulled.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            pulled.bytes().await.expect("bytes").as_ref(),
            image.manifest.as_slice()
        );

        // Anonymous push: a 401 challenge naming the push scope.
        let push = send(app.anonymous(Method::POST, "/v2/dock/acme/web/blobs/uploads/")).await;
        assert_eq!(push.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        let challenge = push.headers()["www-authenticate"]
            .to_str()
            .expect("text")
            .to_owned();
        assert!(
            challenge.ends_with(",scope=\"repository:dock/acme/web:pull,push\""),
            "{ctx}: {challenge}"
        );
        assert_eq!(error_code(push).await.1, "UNAUTHORIZED");

        // A key that may only view and download: a push is 403 DENIED (a
        // token would not help), a pull works.
        let reader = app
            .create_key(json!({"type": "feed", "feed": "dock", "packagePermissions": ["view"]}))
            .await;
        let denied = send(
            app.anonymous(Method::POST, "/v2/dock/acme/web/blobs/uploads/")
                .header("Authorization", basic("api", &reader)),
        )
        .await;
        assert_eq!(
            error_code(denied).await,
            (StatusCode::FORBIDDEN, "DENIED".into()),
            "{ctx}"
        );
        let pulled = send(
            app.anonymous(Method::GET, "/v2/dock/acme/web/manifests/1.0")
                .header("Authorization", basic("api", &reader)),
        )
        .await;
        assert_eq!(pulled.status(), StatusCode::OK, "{ctx}");

        // Unknown feed, repository, bad names: the spec's codes.
        let unknown = send(admin(&app, Method::GET, "/v2/nofeed/acme/web/manifests/1.0")).await;
        assert_eq!(
            error_code(unknown).await,
            (StatusCode::NOT_FOUND, "NAME_UNKNOWN".into())
        );
        let bad = send(admin(&app, Method::GET, "/v2/dock/Acme/web/manifests/1.0")).await;
        assert_eq!(
            error_code(bad).await,
            (StatusCode::BAD_REQUEST, "NAME_INVALID".into())
        );
        let bad = send(admin(&app, Method::GET, "/v2/dock/acme/web/blobs/sha256:xyz")).await;
        assert_eq!(
            error_code(bad).await,
            (StatusCode::BAD_REQUEST, "DIGEST_INVALID".into())
        );
        let junk = push_manifest(
            &app,
            "dock/acme/web",
            "2.0",
            OCI_MANIFEST,
            b"{\"schemaVersion\":1}",
        )
        .await;
        assert_eq!(
            error_code(junk).await,
            (StatusCode::BAD_REQUEST, "MANIFEST_INVALID".into())
        );
        let wrong = push_manifest(
            &app,
            "dock/acme/web",
            &digest_of(b"x"),
            OCI_MANIFEST,
            &image.manifest,
        )
        .await;
        assert_eq!(
            error_code(wrong).await,
            (StatusCode::BAD_REQUEST, "DIGEST_INVALID".into())
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_web_ui_shows_a_tag_with_its_layers_platforms_and_pull_commands() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let image = Image::new("arm64", vec![noise(5, 3000), b"small".to_vec()]);
        push_image(&app, "dock/acme/web", "1.0", &image).await;
        let page = send(app.anonymous(Method::GET, "/feeds/dock/packages/acme%2Fweb/1.0")).await;
        let html = expect_status(page, StatusCode::OK, "version page").await;
        let host = app.url("").trim_start_matches("http://").to_owned();
        for wanted in [
            format!("docker pull {host}/dock/acme/web:1.0"),
            format!("skopeo copy --all docker://{host}/dock/acme/web:1.0 oci:web:1.0"),
            "<h3 id=\"detail-1\">Layers</h3>".to_owned(),
            digest_of(&image.layers[0]),
            "2.9 KB".to_owned(),
            "linux/arm64".to_owned(),
            image.digest(),
            "web for arm64".to_owned(),
        ] {
            assert!(html.contains(&wanted), "{ctx}: {wanted} in the version page");
        }
        // The repository's page lists the tag.
        let package = send(app.anonymous(Method::GET, "/feeds/dock/packages/acme%2Fweb")).await;
        let html = expect_status(package, StatusCode::OK, "package page").await;
        assert!(
            html.contains("/feeds/dock/packages/acme%2Fweb/1.0"),
            "{ctx}: {html}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_manifest_pull_with_deployment_headers_records_a_deployment_of_the_tag() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let image = Image::new("amd64", vec![b"layer".to_vec()]);
        push_image(&app, "dock/acme/web", "1.0", &image).await;
        let pulled = send(
            admin(&app, Method::GET, "/v2/dock/acme/web/manifests/1.0")
                .header("X-ProGet-Deployment-Application", "argo")
                .header("X-ProGet-Deployment-Description", "rollout 42")
                .header("X-ProGet-Deployment-Target", "prod-cluster")
                .header("X-ProGet-Deployment-UserName", "release-bot"),
        )
        .await;
        assert_eq!(pulled.status(), StatusCode::OK, "{ctx}");
        assert!(pulled.headers().contains_key("x-gantry-deployment"), "{ctx}");
        let deployments = app
            .admin_json("/api/package-deployment/list?feed=dock&package=acme/web")
            .await;
        let text = deployments.to_string();
        assert!(
            text.contains("prod-cluster") && text.contains("\"1.0\""),
            "{ctx}: {text}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_command_line_lists_promotes_and_deletes_tags_of_nested_repositories() {
    let app = TestApp::spawn(gantry_store::sql::Backend::Sqlite, |_| {}).await;
    app.create_feed("dock", "docker").await;
    app.create_feed("prod", "docker").await;
    let image = Image::new("amd64", vec![b"layer".to_vec()]);
    push_image(&app, "dock/acme/web", "1.0", &image).await;
    push_image(&app, "dock/acme/web", "1.1", &image).await;
    let cli = crate::cli_support::GantryCli::for_app(&app).await;

    // pgutil's `--package=acme/web` arrives as group `acme`, name `web`:
    // a repository of a Docker feed takes both as its name.
    let versions = cli
        .run(&[
            "packages",
            "versions",
            "--feed=dock",
            "--package=acme/web",
            "--json",
        ])
        .await
        .json();
    let tags: Vec<&str> = versions
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert_eq!(tags.len(), 2, "{versions}");
    assert!(tags.contains(&"1.0") && tags.contains(&"1.1"), "{versions}");
    assert_eq!(versions[0]["name"], "acme/web");

    let promoted = cli
        .run(&[
            "packages",
            "promote",
            "--feed=dock",
            "--to-feed=prod",
            "--package=acme/web",
            "--version=1.0",
            "--comment=passed staging",
            "--json",
        ])
        .await
        .json();
    assert_eq!(promoted["packageName"], "acme/web", "{promoted}");
    let pulled = send(admin(&app, Method::GET, "/v2/prod/acme/web/manifests/1.0")).await;
    assert_eq!(pulled.headers()["docker-content-digest"], image.digest().as_str());
    let history = cli
        // (Named with a feed, whose type says how to read the name.)
        .run(&[
            "promotions",
            "list",
            "--to-feed=prod",
            "--package=acme/web",
            "--json",
        ])
        .await
        .json();
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");

    let deleted = cli
        .run(&[
            "packages",
            "delete",
            "--feed=dock",
            "--package=acme/web",
            "--version=1.1",
            "--json",
        ])
        .await
        .json();
    assert_eq!(deleted["deleted"], true, "{deleted}");
    let gone = send(admin(&app, Method::GET, "/v2/dock/acme/web/manifests/1.1")).await;
    assert_eq!(
        error_code(gone).await,
        (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN".into())
    );
    // The image itself stays, by digest and under its other tag.
    let kept = send(admin(
        &app,
        Method::GET,
        &format!("/v2/dock/acme/web/manifests/{}", image.digest()),
    ))
    .await;
    assert_eq!(kept.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_blob_is_held_to_the_upload_limit_across_its_chunks() {
    for app in TestApp::each_backend_with(|c| c.max_upload_bytes = 64 * 1024).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let start = send(admin(&app, Method::POST, "/v2/dock/acme/web/blobs/uploads/")).await;
        let location = start.headers()["location"].to_str().expect("location").to_owned();
        let first = send(admin(&app, Method::PATCH, &location).body(noise(1, 40 * 1024))).await;
        assert_eq!(first.status(), StatusCode::ACCEPTED, "{ctx}");
        // The second chunk would take the blob past the limit.
        let second = send(admin(&app, Method::PATCH, &location).body(noise(2, 40 * 1024))).await;
        assert_eq!(
            error_code(second).await,
            (StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID".into()),
            "{ctx}"
        );
        let status = send(admin(&app, Method::GET, &location)).await;
        assert_eq!(
            status.headers()["range"],
            format!("0-{}", 40 * 1024 - 1).as_str(),
            "{ctx}"
        );
        // A monolithic upload over the limit is refused before it is stored.
        let big = noise(3, 80 * 1024);
        let refused = send(
            admin(
                &app,
                Method::POST,
                &format!("/v2/dock/acme/web/blobs/uploads/?digest={}", digest_of(&big)),
            )
            .body(big.clone()),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE, "{ctx}");
        let head = send(admin(
            &app,
            Method::HEAD,
            &format!("/v2/dock/acme/web/blobs/{}", digest_of(&big)),
        ))
        .await;
        assert_eq!(head.status(), StatusCode::NOT_FOUND, "{ctx}");
        // Cancelled: the session is gone.
        let cancelled = send(admin(&app, Method::DELETE, &location)).await;
        assert_eq!(cancelled.status(), StatusCode::NO_CONTENT, "{ctx}");
        let gone = send(admin(&app, Method::GET, &location)).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND, "{ctx}");
        app.stop().await;
    }
}

/// Writes `request` (one or more requests) on a fresh connection and reads
/// until the server closes it; returns the status line and the headers of
/// each answer, in order.
async fn raw_exchange(app: &TestApp, request: &[u8]) -> Vec<String> {
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    // A server that closed early shows in the answers, not here.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let _ = stream.read_to_end(&mut answer).await;
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    let text = String::from_utf8_lossy(&answer);
    text.split("HTTP/1.1 ")
        .skip(1)
        .map(|answer| {
            let head = answer.split("\r\n\r\n").next().unwrap_or_default();
            format!("HTTP/1.1 {}", head.to_ascii_lowercase())
        })
        .collect()
}

/// oras-py's basic backend sends each request without credentials first
/// and again, on the same connection, after the 401. A refusal made before
/// the body is read must not leave the connection half-read: the server
/// reads what is left of a small body (and keeps the connection), and
/// answers a large one with `Connection: close` (without reading it).
#[tokio::test]
async fn a_refused_upload_leaves_the_connection_usable_or_says_it_closes() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let start = send(admin(&app, Method::POST, "/v2/dock/acme/web/blobs/uploads/")).await;
        let location = start.headers()["location"].to_str().expect("location").to_owned();
        let chunk = noise(11, 200 * 1024);
        let patch = |authorization: &str, close: &str| {
            let mut request = format!(
                "PATCH {location} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/octet-stream\r\n\
                 Content-Length: {}\r\n{authorization}{close}\r\n",
                app.addr,
                chunk.len()
            )
            .into_bytes();
            request.extend_from_slice(&chunk);
            request
        };
        // Anonymous first, then with credentials, one after the other.
        let mut requests = patch("", "");
        requests.extend(patch(
            &format!("Authorization: {}\r\n", basic("api", ADMIN_KEY)),
            "Connection: close\r\n",
        ));
        let answers = raw_exchange(&app, &requests).await;
        assert_eq!(answers.len(), 2, "{ctx}: both were answered: {answers:?}");
        assert!(answers[0].starts_with("HTTP/1.1 401"), "{ctx}: {answers:?}");
        assert!(!answers[0].contains("connection: close"), "{ctx}: {answers:?}");
        assert!(answers[1].starts_with("HTTP/1.1 202"), "{ctx}: {answers:?}");
        let status = send(admin(&app, Method::GET, &location)).await;
        assert_eq!(
            status.headers()["range"],
            format!("0-{}", chunk.len() - 1).as_str(),
            "{ctx}: the chunk was stored once"
        );

        // Too much to read for nothing: the refusal closes the connection,
        // and says so.
        let head = format!(
            "PATCH {location} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
            app.addr,
            64 * 1024 * 1024
        );
        let answers = raw_exchange(&app, head.as_bytes()).await;
        assert_eq!(answers.len(), 1, "{ctx}: {answers:?}");
        assert!(answers[0].starts_with("HTTP/1.1 401"), "{ctx}: {answers:?}");
        assert!(answers[0].contains("connection: close"), "{ctx}: {answers:?}");
        app.stop().await;
    }
}
