//! Docker/OCI feeds with the real clients against a running Gantry:
//! skopeo 1.9 pushes an image and a multi-platform index and pulls them
//! back with the digests and every blob unchanged, pulls from a validated
//! feed only once the tag is promoted, and follows the token flow with
//! good, wrong and no credentials; oras-py pushes an artifact of its own
//! type and an SBOM referring to an image, and the referrer travels with
//! the image's promotion. The same clients against the reference registry
//! are in `gantry-test-support/tests/oci_clients.rs`; the registry over
//! plain HTTP in `docker_registry`.
//!
//! Each test skips (printing why) when a client variable is unset, unless
//! clients are required (`CI`, `GANTRY_REQUIRE_CLIENTS`).

use gantry_test_support::oci::{OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, TITLE_ANNOTATION};
use gantry_test_support::{
    docker_ref, oci_image, oci_layout_ref, read_oci_layout, sha256_digest, skopeo_creds,
    write_oci_index_layout, write_oci_layout, BuiltImage, OciLayer, OrasAuth, OrasPush, OrasPy, Skopeo,
    SkopeoResult, TestApp, ADMIN_KEY,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

/// The artifact type of the report oras-py pushes.
const REPORT_TYPE: &str = "application/vnd.acme.report.v1+json";
/// The media type of the report's one file.
const REPORT_FILE_TYPE: &str = "application/vnd.acme.report.layer.v1+json";
/// The artifact type (and file type) of the SBOM attached to the image.
const SBOM_TYPE: &str = "application/spdx+json";

fn skopeo() -> Option<Skopeo> {
    let skopeo = Skopeo::from_env();
    if skopeo.is_none() {
        eprintln!("skipped: GANTRY_TEST_SKOPEO is not set (scripts/test-setup installs skopeo)");
    }
    skopeo
}

fn oras() -> Option<OrasPy> {
    let oras = OrasPy::from_env();
    if oras.is_none() {
        eprintln!("skipped: GANTRY_TEST_ORAS_PYTHON is not set (scripts/test-setup installs oras-py)");
    }
    oras
}

/// `api:ADMIN_KEY`, the administrator's credentials as registry clients
/// send them.
fn admin_creds() -> String {
    skopeo_creds("api", ADMIN_KEY)
}

const ADMIN: Option<(&str, &str)> = Some(("api", ADMIN_KEY));

fn base_layer() -> OciLayer {
    OciLayer::new(&[
        ("etc/motd", b"welcome to acme/web\n"),
        ("etc/web/web.toml", b"port = 8080\n"),
    ])
}

/// `acme/web` for amd64: two layers.
fn web_image() -> BuiltImage {
    oci_image(
        "amd64",
        "linux",
        &[
            base_layer(),
            OciLayer::new(&[("app/web.sh", b"#!/bin/sh\nexec httpd -f\n")]),
        ],
    )
}

/// The blobs a layout holding `images` (and their index, if any) must
/// hold, by digest, in order.
fn expected_blobs(images: &[&BuiltImage], index: Option<(&[u8], &str)>) -> Vec<(String, Vec<u8>)> {
    let mut expected = Vec::new();
    for image in images {
        expected.extend(image.blobs());
        expected.push((image.manifest_digest.clone(), image.manifest.clone()));
    }
    if let Some((bytes, digest)) = index {
        expected.push((digest.to_owned(), bytes.to_vec()));
    }
    expected.sort();
    expected.dedup();
    expected
}

/// Pushes `image` as `name` (`feed/repo:tag`) with skopeo from a layout,
/// as the administrator.
async fn skopeo_push(skopeo: &Skopeo, app: &TestApp, image: &BuiltImage, name: &str) {
    let src = skopeo.layout_dir();
    write_oci_layout(&src, "src", image);
    skopeo
        .copy(
            &oci_layout_ref(&src, "src"),
            &docker_ref(app.addr, name),
            &["--dest-creds", &admin_creds()],
        )
        .await
        .expect_ok();
}

/// Promotes `name` `version` from `unapproved` to `approved`.
async fn promote(app: &TestApp, name: &str, version: &str) {
    let promote = app
        .admin(Method::POST, "/api/promotions/promote")
        .json(&json!({
            "packageType": "docker", "name": name, "version": version,
            "fromFeed": "unapproved", "toFeed": "approved", "comments": "passed staging"
        }))
        .send()
        .await
        .expect("promote");
    expect_status(promote, StatusCode::OK, "promote").await;
}

/// Whether a failed skopeo call says it was refused for its credentials.
fn says_unauthorized(result: &SkopeoResult) -> bool {
    let output = result.output().to_ascii_lowercase();
    output.contains("unauthorized") || output.contains("401") || output.contains("authentication required")
}

/// A GET of the registry API as the administrator: status and body.
async fn registry_get(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app
        .anonymous(Method::GET, path)
        .basic_auth("api", Some(ADMIN_KEY))
        .header("Accept", format!("{OCI_MANIFEST}, {OCI_INDEX}"))
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn skopeo_copies_an_image_and_an_index_in_and_out_byte_for_byte() {
    let Some(skopeo) = skopeo() else { return };
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("unapproved", "docker").await;
        let creds = admin_creds();
        let image = web_image();
        let src = skopeo.layout_dir();
        write_oci_layout(&src, "1.0", &image);
        let remote = docker_ref(app.addr, "unapproved/acme/web:1.0");
        skopeo
            .copy(&oci_layout_ref(&src, "1.0"), &remote, &["--dest-creds", &creds])
            .await
            .expect_ok();

        // The manifest comes back as pushed, byte for byte.
        let raw = skopeo.inspect(&remote, true, ADMIN).await;
        raw.expect_ok();
        assert_eq!(raw.stdout.as_bytes(), image.manifest.as_slice(), "{ctx}");
        assert_eq!(sha256_digest(raw.stdout.as_bytes()), image.manifest_digest);
        let summary = skopeo.inspect(&remote, false, ADMIN).await.expect_ok().json();
        assert_eq!(
            summary["Digest"],
            image.manifest_digest.as_str(),
            "{ctx}: {summary}"
        );
        assert_eq!(summary["Architecture"], "amd64", "{ctx}");
        assert_eq!(summary["Os"], "linux", "{ctx}");
        assert_eq!(
            summary["Layers"],
            json!(image.layers.iter().map(|(d, _)| d).collect::<Vec<_>>()),
            "{ctx}"
        );
        assert_eq!(summary["RepoTags"], json!(["1.0"]), "{ctx}");

        // A multi-platform index with --all: the children by digest, the
        // index by tag. The amd64 image shares its base layer with 1.0.
        let amd = oci_image(
            "amd64",
            "linux",
            &[base_layer(), OciLayer::new(&[("bin/tool", b"amd64 build\n")])],
        );
        let arm = oci_image(
            "arm64",
            "linux",
            &[
                OciLayer::new(&[("bin/tool", b"arm64 build\n")]),
                gantry_test_support::big_layer(256 * 1024, 3),
            ],
        );
        let multi_src = skopeo.layout_dir();
        let (index, index_digest) = write_oci_index_layout(&multi_src, "multi", &[&amd, &arm]);
        let multi = docker_ref(app.addr, "unapproved/acme/web:multi");
        skopeo
            .copy(
                &oci_layout_ref(&multi_src, "multi"),
                &multi,
                &["--all", "--dest-creds", &creds],
            )
            .await
            .expect_ok();
        let raw = skopeo.inspect(&multi, true, ADMIN).await;
        assert_eq!(raw.expect_ok().stdout.as_bytes(), index.as_slice(), "{ctx}");
        for child in [&amd, &arm] {
            let by_digest = docker_ref(
                app.addr,
                &format!("unapproved/acme/web@{}", child.manifest_digest),
            );
            let raw = skopeo.inspect(&by_digest, true, ADMIN).await;
            assert_eq!(
                raw.expect_ok().stdout.as_bytes(),
                child.manifest.as_slice(),
                "{ctx}"
            );
        }
        // Without --raw skopeo reads the machine's platform from the index.
        let summary = skopeo.inspect(&multi, false, ADMIN).await.expect_ok().json();
        assert_eq!(summary["Digest"], index_digest.as_str(), "{ctx}: {summary}");
        let tags = skopeo
            .list_tags(&docker_ref(app.addr, "unapproved/acme/web"), ADMIN)
            .await;
        assert_eq!(tags.expect_ok().json()["Tags"], json!(["1.0", "multi"]), "{ctx}");

        // Both back into layouts with the digests kept: the same files.
        let back = skopeo.layout_dir();
        skopeo
            .copy(
                &remote,
                &oci_layout_ref(&back, "1.0"),
                &["--src-creds", &creds, "--preserve-digests"],
            )
            .await
            .expect_ok();
        let layout = read_oci_layout(&back);
        let tagged = layout.tagged("1.0").expect("the tag");
        assert_eq!(tagged["digest"], image.manifest_digest.as_str(), "{ctx}");
        assert_eq!(tagged["mediaType"], OCI_MANIFEST, "{ctx}");
        let got: Vec<(String, Vec<u8>)> = layout.blobs.into_iter().collect();
        assert!(
            got == expected_blobs(&[&image], None),
            "{ctx}: other blobs came back"
        );

        let back = skopeo.layout_dir();
        skopeo
            .copy(
                &multi,
                &oci_layout_ref(&back, "multi"),
                &["--all", "--src-creds", &creds, "--preserve-digests"],
            )
            .await
            .expect_ok();
        let layout = read_oci_layout(&back);
        let tagged = layout.tagged("multi").expect("the tag");
        assert_eq!(tagged["digest"], index_digest.as_str(), "{ctx}");
        assert_eq!(tagged["mediaType"], OCI_INDEX, "{ctx}");
        let got: Vec<(String, Vec<u8>)> = layout.blobs.into_iter().collect();
        assert!(
            got == expected_blobs(&[&amd, &arm], Some((&index, &index_digest))),
            "{ctx}: other blobs came back"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn skopeo_pulls_from_a_validated_feed_only_after_promotion() {
    let Some(skopeo) = skopeo() else { return };
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let creds = admin_creds();
        app.create_feed("unapproved", "docker").await;
        app.create_feed("approved", "docker").await;
        app.update_feed("approved", json!({"usage": "validated"})).await;
        let image = web_image();
        skopeo_push(&skopeo, &app, &image, "unapproved/acme/web:1.0").await;
        let approved = docker_ref(app.addr, "approved/acme/web:1.0");

        // Not there yet: a clean "manifest unknown", not a parse error.
        let dir = skopeo.layout_dir();
        let before = skopeo
            .copy(&approved, &oci_layout_ref(&dir, "1.0"), &["--src-creds", &creds])
            .await;
        before.expect_failure();
        assert!(before.stderr.contains("manifest unknown"), "{ctx}: {before}");
        for parse_error in ["invalid character", "unexpected end of JSON", "unmarshal"] {
            assert!(!before.stderr.contains(parse_error), "{ctx}: {before}");
        }
        skopeo.inspect(&approved, false, ADMIN).await.expect_failure();
        // A validated feed takes images by promotion only.
        let direct_src = skopeo.layout_dir();
        write_oci_layout(&direct_src, "1.0", &image);
        let direct = skopeo
            .copy(
                &oci_layout_ref(&direct_src, "1.0"),
                &docker_ref(app.addr, "approved/acme/other:1.0"),
                &["--dest-creds", &creds],
            )
            .await;
        direct.expect_failure();
        assert!(direct.stderr.contains("denied"), "{ctx}: {direct}");

        let blob_files = app.blob_files().len();
        promote(&app, "acme/web", "1.0").await;
        assert_eq!(app.blob_files().len(), blob_files, "{ctx}: no byte copied");

        let dir = skopeo.layout_dir();
        skopeo
            .copy(
                &approved,
                &oci_layout_ref(&dir, "1.0"),
                &["--src-creds", &creds, "--preserve-digests"],
            )
            .await
            .expect_ok();
        let layout = read_oci_layout(&dir);
        assert_eq!(
            layout.tagged("1.0").expect("the tag")["digest"],
            image.manifest_digest.as_str(),
            "{ctx}"
        );
        let got: Vec<(String, Vec<u8>)> = layout.blobs.into_iter().collect();
        assert!(
            got == expected_blobs(&[&image], None),
            "{ctx}: other blobs came back"
        );
        let source = skopeo
            .inspect(&docker_ref(app.addr, "unapproved/acme/web:1.0"), false, ADMIN)
            .await
            .expect_ok()
            .json();
        let promoted = skopeo.inspect(&approved, false, ADMIN).await.expect_ok().json();
        assert_eq!(promoted["Digest"], source["Digest"], "{ctx}");
        assert_eq!(promoted["Digest"], image.manifest_digest.as_str(), "{ctx}");
        assert_eq!(promoted["Layers"], source["Layers"], "{ctx}");
        assert_eq!(app.blob_files().len(), blob_files, "{ctx}: pulls store nothing");
        app.stop().await;
    }
}

#[tokio::test]
async fn skopeo_is_refused_with_wrong_credentials_and_pulls_but_cannot_push_without() {
    let Some(skopeo) = skopeo() else { return };
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dock", "docker").await;
        let image = web_image();
        skopeo_push(&skopeo, &app, &image, "dock/acme/web:1.0").await;
        let remote = docker_ref(app.addr, "dock/acme/web:1.0");
        let src = skopeo.layout_dir();
        write_oci_layout(&src, "1.0", &image);

        // Wrong credentials: refused at the token endpoint, for a pull and
        // for a push alike.
        let wrong = skopeo
            .inspect(&remote, true, Some(("api", "not-a-key-0123456789")))
            .await;
        wrong.expect_failure();
        assert!(says_unauthorized(&wrong), "{ctx}: {wrong}");
        let wrong = skopeo
            .copy(
                &oci_layout_ref(&src, "1.0"),
                &docker_ref(app.addr, "dock/acme/wrong:1.0"),
                &["--dest-creds", &skopeo_creds("admin", "wrong-password")],
            )
            .await;
        wrong.expect_failure();
        assert!(says_unauthorized(&wrong), "{ctx}: {wrong}");

        // No credentials: Anonymous may read this server's feeds.
        let raw = skopeo.inspect(&remote, true, None).await;
        assert_eq!(
            raw.expect_ok().stdout.as_bytes(),
            image.manifest.as_slice(),
            "{ctx}"
        );
        let back = skopeo.layout_dir();
        skopeo
            .copy(&remote, &oci_layout_ref(&back, "1.0"), &["--preserve-digests"])
            .await
            .expect_ok();
        let got: Vec<(String, Vec<u8>)> = read_oci_layout(&back).blobs.into_iter().collect();
        assert!(
            got == expected_blobs(&[&image], None),
            "{ctx}: other blobs came back"
        );
        // ...but not write.
        let anonymous = skopeo
            .copy(
                &oci_layout_ref(&src, "1.0"),
                &docker_ref(app.addr, "dock/acme/anonymous:1.0"),
                &[],
            )
            .await;
        anonymous.expect_failure();
        assert!(says_unauthorized(&anonymous), "{ctx}: {anonymous}");
        let (status, _) = registry_get(&app, "/v2/dock/acme/anonymous/tags/list").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}: nothing was tagged");

        // A key that may only view: denied, not sent round for a token.
        let reader = app
            .create_key(json!({"type": "feed", "feed": "dock", "packagePermissions": ["view"]}))
            .await;
        let denied = skopeo
            .copy(
                &oci_layout_ref(&src, "1.0"),
                &docker_ref(app.addr, "dock/acme/reader:1.0"),
                &["--dest-creds", &skopeo_creds("api", &reader)],
            )
            .await;
        denied.expect_failure();
        assert!(denied.stderr.contains("denied"), "{ctx}: {denied}");
        app.stop().await;
    }
}

#[tokio::test]
async fn oras_py_pushes_artifacts_and_referrers_that_follow_the_image_on_promotion() {
    let Some(skopeo) = skopeo() else { return };
    let Some(oras) = oras() else { return };
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("unapproved", "docker").await;
        app.create_feed("approved", "docker").await;
        app.update_feed("approved", json!({"usage": "validated"})).await;
        let host = app.addr;
        let token = OrasAuth::token("api", ADMIN_KEY);

        // An artifact of its own type, through the token flow.
        let report = br#"{"findings":[],"tool":"acme-scan 2.1"}"#.to_vec();
        let push = OrasPush::new("unapproved/acme/report:1.0")
            .file("report.json", report.clone(), REPORT_FILE_TYPE)
            .artifact_type(REPORT_TYPE);
        let pushed = oras.push(host, &push, &token).await;
        pushed.expect_ok();
        assert_eq!(
            pushed.value["docker_content_digest"].as_str(),
            Some(pushed.digest()),
            "{ctx}: {pushed}"
        );
        let requests = pushed.requests();
        assert!(
            requests
                .iter()
                .any(|r| r.url.contains("/v2/token?") && r.status == 200),
            "{ctx}: a token was asked for: {requests:?}"
        );
        let manifest_put = requests
            .iter()
            .rfind(|r| r.method == "PUT" && r.url.ends_with("/v2/unapproved/acme/report/manifests/1.0"))
            .expect("the manifest PUT");
        assert_eq!(
            (manifest_put.status, manifest_put.auth.as_str()),
            (201, "Bearer"),
            "{ctx}"
        );
        let pulled = oras.pull(host, "unapproved/acme/report:1.0", &token).await;
        pulled.expect_ok();
        assert_eq!(pulled.files.get("report.json"), Some(&report), "{ctx}");
        assert_eq!(pulled.files.len(), 1, "{ctx}");
        assert_eq!(pulled.value["manifest"]["artifactType"], REPORT_TYPE, "{ctx}");
        let (status, stored) = registry_get(&app, "/v2/unapproved/acme/report/manifests/1.0").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert_eq!(sha256_digest(&stored), pushed.digest(), "{ctx}: stored as sent");
        let stored: Value = serde_json::from_slice(&stored).expect("JSON");
        assert_eq!(stored["layers"][0]["mediaType"], REPORT_FILE_TYPE, "{ctx}");
        assert_eq!(
            stored["layers"][0]["annotations"][TITLE_ANNOTATION],
            "report.json"
        );
        assert_eq!(stored["config"]["mediaType"], OCI_EMPTY, "{ctx}");

        // The basic backend (credentials sent again after each 401).
        let basic = OrasAuth::basic("api", ADMIN_KEY);
        let again = br#"{"findings":["CVE-0000-0001"]}"#.to_vec();
        let push = OrasPush::new("unapproved/acme/report:1.1")
            .file("report.json", again.clone(), REPORT_FILE_TYPE)
            .artifact_type(REPORT_TYPE)
            .chunked(true);
        let pushed_basic = oras.push(host, &push, &basic).await;
        pushed_basic.expect_ok();
        // Each request goes without credentials first, then again on the
        // same connection with them: the chunk (PATCH) and the manifest
        // (PUT) too, whose bodies the 401 did not read.
        let requests = pushed_basic.requests();
        assert!(
            requests.iter().all(|r| r.auth != "Bearer"),
            "{ctx}: {pushed_basic}"
        );
        for pair in requests.windows(2).filter(|pair| pair[0].status == 401) {
            assert_eq!(
                (&pair[1].method, &pair[1].url, pair[1].auth.as_str()),
                (&pair[0].method, &pair[0].url, "Basic"),
                "{ctx}: {pushed_basic}"
            );
            assert!(pair[1].status < 300, "{ctx}: {pushed_basic}");
        }
        for method in ["PATCH", "PUT"] {
            assert!(
                requests.iter().any(|r| r.method == method && r.status == 401),
                "{ctx}: a {method} was refused for want of credentials first: {pushed_basic}"
            );
        }
        let pulled = oras.pull(host, "unapproved/acme/report:1.1", &basic).await;
        assert_eq!(pulled.expect_ok().files.get("report.json"), Some(&again), "{ctx}");

        // An SBOM attached to the image.
        let image = web_image();
        skopeo_push(&skopeo, &app, &image, "unapproved/acme/web:1.0").await;
        let sbom = br#"{"spdxVersion":"SPDX-2.3","name":"acme/web"}"#.to_vec();
        let push = OrasPush::new("unapproved/acme/web:sbom")
            .file("sbom.spdx.json", sbom.clone(), SBOM_TYPE)
            .artifact_type(SBOM_TYPE)
            .subject(&image.manifest_digest)
            .annotation("org.opencontainers.image.created", "2026-01-01T00:00:00Z");
        let attached = oras.push(host, &push, &token).await;
        attached.expect_ok();
        let referrer = attached.digest().to_owned();
        let sent: Value =
            serde_json::from_str(attached.value["manifest"].as_str().expect("manifest")).expect("JSON");
        assert_eq!(sent["subject"]["digest"], image.manifest_digest.as_str(), "{ctx}");

        let listed = referrers(&app, "unapproved", &image.manifest_digest).await;
        assert_eq!(
            listed["manifests"][0]["digest"],
            referrer.as_str(),
            "{ctx}: {listed}"
        );
        assert_eq!(listed["manifests"][0]["artifactType"], SBOM_TYPE, "{ctx}");
        assert_eq!(listed["manifests"][0]["mediaType"], OCI_MANIFEST, "{ctx}");
        assert_eq!(
            listed["manifests"][0]["annotations"]["org.opencontainers.image.created"],
            "2026-01-01T00:00:00Z"
        );
        let through_oras = oras
            .referrers(
                host,
                &format!("unapproved/acme/web@{}", image.manifest_digest),
                Some(SBOM_TYPE),
                &token,
            )
            .await;
        through_oras.expect_ok();
        assert_eq!(
            through_oras.value["index"]["manifests"][0]["digest"],
            referrer.as_str(),
            "{ctx}: {through_oras}"
        );
        assert_eq!(through_oras.value["filters_applied"], "artifactType");

        // Promoting the image takes its referrer along, bytes shared.
        let blob_files = app.blob_files().len();
        promote(&app, "acme/web", "1.0").await;
        assert_eq!(app.blob_files().len(), blob_files, "{ctx}: no byte copied");
        let listed = referrers(&app, "approved", &image.manifest_digest).await;
        assert_eq!(
            listed["manifests"],
            json!([{
                "mediaType": OCI_MANIFEST, "digest": referrer, "size": sent_len(&attached),
                "artifactType": SBOM_TYPE,
                "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}
            }]),
            "{ctx}"
        );
        let (status, bytes) =
            registry_get(&app, &format!("/v2/approved/acme/web/manifests/{referrer}")).await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert_eq!(
            bytes,
            attached.value["manifest"].as_str().expect("manifest").as_bytes(),
            "{ctx}"
        );
        let pulled = oras
            .pull(host, &format!("approved/acme/web@{referrer}"), &token)
            .await;
        assert_eq!(
            pulled.expect_ok().files.get("sbom.spdx.json"),
            Some(&sbom),
            "{ctx}"
        );
        // The tag `sbom` itself stays in unapproved.
        let (status, _) = registry_get(&app, "/v2/approved/acme/web/manifests/sbom").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
        app.stop().await;
    }
}

/// The size of the manifest an oras push sent.
fn sent_len(pushed: &gantry_test_support::OrasResult) -> usize {
    pushed.value["manifest"].as_str().expect("manifest").len()
}

/// `GET /v2/{feed}/acme/web/referrers/{digest}` as the administrator.
async fn referrers(app: &TestApp, feed: &str, digest: &str) -> Value {
    let path = format!("/v2/{feed}/acme/web/referrers/{digest}");
    let response = app
        .anonymous(Method::GET, &path)
        .basic_auth("api", Some(ADMIN_KEY))
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["content-type"], OCI_INDEX, "{path}");
    serde_json::from_str(&expect_status(response, StatusCode::OK, &path).await).expect("JSON")
}
