//! The OCI test helpers against the reference registry (Debian's
//! docker-registry 2.8), not Gantry: images built by `oci_image` and pushed
//! by the real skopeo come back byte for byte, a multi-platform index is
//! copied whole, and oras-py pushes and pulls an artifact. What these tests
//! see the reference registry accept is what Gantry's OCI feeds must accept
//! from the same helpers.
//!
//! Each test skips (printing why) when a client variable is unset, unless
//! clients are required (`CI`, `GANTRY_REQUIRE_CLIENTS`).

use gantry_test_support::oci::{OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, TITLE_ANNOTATION};
use gantry_test_support::{
    docker_ref, oci_image, oci_layout_ref, read_oci_layout, sha256_digest, skopeo_creds,
    write_oci_index_layout, write_oci_layout, DockerRegistry, DockerRegistryBuilder, OciLayer, OrasAuth,
    OrasPush, OrasPy, Skopeo,
};
use serde_json::Value;

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pass";

/// skopeo and the registry, or `None` (after saying why) to skip.
fn skopeo_and_registry() -> Option<(Skopeo, DockerRegistryBuilder)> {
    let Some(skopeo) = Skopeo::from_env() else {
        eprintln!("skipped: GANTRY_TEST_SKOPEO is not set (scripts/test-setup installs skopeo)");
        return None;
    };
    let Some(registry) = DockerRegistry::from_env() else {
        eprintln!("skipped: GANTRY_TEST_DOCKER_REGISTRY is not set (scripts/test-setup installs it)");
        return None;
    };
    Some((skopeo, registry))
}

fn two_layer_image() -> gantry_test_support::BuiltImage {
    oci_image(
        "amd64",
        "linux",
        &[
            OciLayer::new(&[
                ("etc/motd", b"welcome to acme/web\n"),
                ("etc/web/web.toml", b"port = 8080\n"),
            ]),
            OciLayer::new(&[("app/web.sh", b"#!/bin/sh\nexec httpd -f\n")]),
        ],
    )
}

#[tokio::test]
async fn skopeo_pushes_a_layout_and_gets_the_same_bytes_back() {
    let Some((skopeo, registry)) = skopeo_and_registry() else {
        return;
    };
    let registry = registry.with_basic_auth(USER, PASSWORD).start();
    let image = two_layer_image();
    let src = skopeo.layout_dir();
    write_oci_layout(&src, "1.0", &image);
    let remote = docker_ref(registry.host(), "feed/acme/web:1.0");
    let creds = skopeo_creds(USER, PASSWORD);

    // Without credentials the push fails on the registry's 401.
    let refused = skopeo.copy(&oci_layout_ref(&src, "1.0"), &remote, &[]).await;
    refused.expect_failure();
    assert!(
        refused.output().contains("authentication required") || refused.output().contains("401"),
        "{refused}"
    );
    registry.clear_log();

    skopeo
        .copy(&oci_layout_ref(&src, "1.0"), &remote, &["--dest-creds", &creds])
        .await
        .expect_ok();
    let pushed = registry.requests();
    eprintln!("skopeo push, as the registry saw it:");
    for request in &pushed {
        eprintln!("  {request}");
    }
    // Every blob is checked with a HEAD before it is uploaded, and the
    // manifest goes last, by tag.
    for (digest, _) in image.blobs() {
        let head = format!("/v2/feed/acme/web/blobs/{digest}");
        let first = pushed.iter().position(|r| r.method == "HEAD" && r.path == head);
        let put = pushed
            .iter()
            .position(|r| r.method == "PUT" && r.path.contains(&digest.replace(':', "%3A")));
        assert!(
            first.is_some() && put.is_some() && first < put,
            "HEAD then PUT of {digest}"
        );
    }
    let last = pushed.last().expect("requests");
    assert_eq!(
        (last.method.as_str(), last.path.as_str(), last.status),
        ("PUT", "/v2/feed/acme/web/manifests/1.0", 201)
    );
    assert!(pushed.iter().all(|r| r.user_agent.starts_with("skopeo/")));

    // The manifest comes back byte for byte.
    let raw = skopeo.inspect(&remote, true, Some((USER, PASSWORD))).await;
    raw.expect_ok();
    assert_eq!(raw.stdout.as_bytes(), image.manifest.as_slice());
    assert_eq!(sha256_digest(raw.stdout.as_bytes()), image.manifest_digest);
    let summary = skopeo.inspect(&remote, false, Some((USER, PASSWORD))).await;
    let summary = summary.expect_ok().json();
    assert_eq!(summary["Digest"], image.manifest_digest.as_str());
    assert_eq!(summary["Architecture"], "amd64");
    assert_eq!(summary["Os"], "linux");
    let tags = skopeo
        .list_tags(
            &docker_ref(registry.host(), "feed/acme/web"),
            Some((USER, PASSWORD)),
        )
        .await;
    assert_eq!(tags.expect_ok().json()["Tags"], serde_json::json!(["1.0"]));

    // Copied back into a layout with the digests kept: the same blobs.
    let back = skopeo.layout_dir();
    skopeo
        .copy(
            &remote,
            &oci_layout_ref(&back, "copy"),
            &["--src-creds", &creds, "--preserve-digests"],
        )
        .await
        .expect_ok();
    let layout = read_oci_layout(&back);
    let tagged = layout.tagged("copy").expect("the tag");
    assert_eq!(tagged["digest"], image.manifest_digest.as_str());
    assert_eq!(tagged["mediaType"], OCI_MANIFEST);
    let mut expected: Vec<(String, Vec<u8>)> = image.blobs();
    expected.push((image.manifest_digest.clone(), image.manifest.clone()));
    expected.sort();
    let got: Vec<(String, Vec<u8>)> = layout.blobs.into_iter().collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn skopeo_copies_a_multi_platform_index_with_all() {
    let Some((skopeo, registry)) = skopeo_and_registry() else {
        return;
    };
    let registry = registry.start();
    let amd = oci_image(
        "amd64",
        "linux",
        &[OciLayer::new(&[("bin/tool", b"amd64 build\n")])],
    );
    let arm = oci_image(
        "arm64",
        "linux",
        &[
            OciLayer::new(&[("bin/tool", b"arm64 build\n")]),
            gantry_test_support::big_layer(256 * 1024, 3),
        ],
    );
    let src = skopeo.layout_dir();
    let (index, index_digest) = write_oci_index_layout(&src, "2.0", &[&amd, &arm]);
    let remote = docker_ref(registry.host(), "feed/acme/tool:2.0");

    skopeo
        .copy(
            &oci_layout_ref(&src, "2.0"),
            &remote,
            &["--all", "--preserve-digests"],
        )
        .await
        .expect_ok();
    let pushed = registry.requests();
    eprintln!("skopeo copy --all, as the registry saw it:");
    for request in &pushed {
        eprintln!("  {request}");
    }
    // The children go by digest before the index, which goes by tag.
    let manifest_puts: Vec<&str> = pushed
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/manifests/"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(manifest_puts.len(), 3, "{manifest_puts:?}");
    assert_eq!(manifest_puts[2], "/v2/feed/acme/tool/manifests/2.0");
    for image in [&amd, &arm] {
        assert!(manifest_puts
            .contains(&format!("/v2/feed/acme/tool/manifests/{}", image.manifest_digest).as_str()));
    }

    let raw = skopeo.inspect(&remote, true, None).await;
    assert_eq!(raw.expect_ok().stdout.as_bytes(), index.as_slice());
    for image in [&amd, &arm] {
        let child = docker_ref(
            registry.host(),
            &format!("feed/acme/tool@{}", image.manifest_digest),
        );
        let raw = skopeo.inspect(&child, true, None).await;
        assert_eq!(raw.expect_ok().stdout.as_bytes(), image.manifest.as_slice());
    }
    // Without --raw skopeo picks the machine's platform (amd64 here).
    let summary = skopeo.inspect(&remote, false, None).await.expect_ok().json();
    assert_eq!(summary["Digest"], index_digest.as_str());

    let back = skopeo.layout_dir();
    skopeo
        .copy(
            &remote,
            &oci_layout_ref(&back, "2.0"),
            &["--all", "--preserve-digests"],
        )
        .await
        .expect_ok();
    let layout = read_oci_layout(&back);
    let tagged = layout.tagged("2.0").expect("the tag");
    assert_eq!(tagged["digest"], index_digest.as_str());
    assert_eq!(tagged["mediaType"], OCI_INDEX);
    assert_eq!(layout.blob(&index_digest), index.as_slice());
    let mut expected = vec![(index_digest.clone(), index.clone())];
    for image in [&amd, &arm] {
        expected.extend(image.blobs());
        expected.push((image.manifest_digest.clone(), image.manifest.clone()));
    }
    expected.sort();
    let got: Vec<(String, Vec<u8>)> = layout.blobs.into_iter().collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn oras_py_pushes_and_pulls_an_artifact_with_a_subject() {
    let Some((skopeo, registry)) = skopeo_and_registry() else {
        return;
    };
    let Some(oras) = OrasPy::from_env() else {
        eprintln!("skipped: GANTRY_TEST_ORAS_PYTHON is not set (scripts/test-setup installs oras-py)");
        return;
    };
    let registry = registry.with_basic_auth(USER, PASSWORD).start();
    let auth = OrasAuth::basic(USER, PASSWORD);

    // An image for the SBOM to refer to.
    let image = two_layer_image();
    let src = skopeo.layout_dir();
    write_oci_layout(&src, "1.0", &image);
    skopeo
        .copy(
            &oci_layout_ref(&src, "1.0"),
            &docker_ref(registry.host(), "feed/acme/web:1.0"),
            &["--dest-creds", &skopeo_creds(USER, PASSWORD)],
        )
        .await
        .expect_ok();
    registry.clear_log();

    let sbom = br#"{"spdxVersion":"SPDX-2.3","name":"acme/web"}"#.to_vec();
    let push = OrasPush::new("feed/acme/web:sbom")
        .file("sbom.spdx.json", sbom.clone(), "application/spdx+json")
        .artifact_type("application/vnd.acme.sbom+json")
        .subject(&image.manifest_digest)
        .annotation("org.opencontainers.image.created", "2026-01-01T00:00:00Z");
    let pushed = oras.push(registry.host(), &push, &auth).await;
    pushed.expect_ok();
    eprintln!("oras-py push, as oras-py saw it:");
    for request in pushed.requests() {
        eprintln!(
            "  {} {} -> {} [{}]",
            request.method, request.url, request.status, request.auth
        );
    }
    // The basic backend asks anonymously first and repeats a request with
    // credentials after its 401.
    let requests = pushed.requests();
    assert_eq!((requests[0].status, requests[0].auth.as_str()), (401, ""));
    assert_eq!(requests[1].auth, "Basic");
    assert_eq!(
        Some(pushed.digest()),
        pushed.value["docker_content_digest"].as_str()
    );
    let sent: Value =
        serde_json::from_str(pushed.value["manifest"].as_str().expect("manifest")).expect("JSON");
    assert_eq!(sent["artifactType"], "application/vnd.acme.sbom+json");
    assert_eq!(sent["config"]["mediaType"], OCI_EMPTY);
    assert_eq!(sent["config"]["digest"], sha256_digest(b"{}").as_str());
    assert_eq!(sent["subject"]["digest"], image.manifest_digest.as_str());
    assert_eq!(sent["subject"]["size"], image.manifest.len());
    assert_eq!(sent["subject"]["mediaType"], OCI_MANIFEST);
    assert_eq!(
        sent["layers"][0]["annotations"][TITLE_ANNOTATION],
        "sbom.spdx.json"
    );
    assert_eq!(sent["layers"][0]["digest"], sha256_digest(&sbom).as_str());

    // The registry keeps the manifest as sent.
    let fetched = oras.manifest(registry.host(), "feed/acme/web:sbom", &auth).await;
    assert_eq!(fetched.expect_ok().digest(), pushed.digest());
    assert_eq!(fetched.value["manifest"], pushed.value["manifest"]);

    let pulled = oras.pull(registry.host(), "feed/acme/web:sbom", &auth).await;
    pulled.expect_ok();
    assert_eq!(pulled.files.get("sbom.spdx.json"), Some(&sbom));
    assert_eq!(pulled.files.len(), 1);
    assert_eq!(
        pulled.value["manifest"]["artifactType"],
        "application/vnd.acme.sbom+json"
    );

    // docker-registry 2.8 predates the referrers API (OCI 1.1): the
    // request fails there; Gantry's feeds answer it.
    let referrers = oras
        .referrers(
            registry.host(),
            &format!("feed/acme/web@{}", image.manifest_digest),
            None,
            &auth,
        )
        .await;
    eprintln!("referrers on docker-registry 2.8: {}", referrers.value);

    // Wrong credentials: a failure, without retries.
    let refused = oras
        .pull(
            registry.host(),
            "feed/acme/web:sbom",
            &OrasAuth::basic(USER, "wrong"),
        )
        .await;
    refused.expect_failure();
    assert!(refused.requests().len() <= 2, "{refused}");
}
