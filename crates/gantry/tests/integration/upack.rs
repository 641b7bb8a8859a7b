//! Universal packages over `/upack/{feed}/...`.

use gantry_test_support::{upack, upack_with_manifest, zip_with, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::expect_status;

fn content(seed: u64, len: usize) -> Vec<u8> {
    gantry_test_support::noise(seed, len)
}

#[tokio::test]
async fn upload_list_download_delete_round_trip() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        let package = upack("acme/tools", "Hammer", "1.2.0", &content(1, 300_000));
        let (status, body) = app.upload_upack("tools", ADMIN_KEY, package.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        let stored: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(stored["version"], "1.2.0");
        assert_eq!(stored["sha256"], hex::encode(Sha256::digest(&package)));
        for version in ["1.10.0", "2.0.0-beta.1"] {
            let (status, body) = app
                .upload_upack("tools", ADMIN_KEY, upack("acme/tools", "Hammer", version, b"x"))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        }
        let (status, body) = app
            .upload_upack("tools", ADMIN_KEY, upack("", "loose", "0.1.0", b"y"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");

        // Download by exact version, case-insensitively: the same bytes come back.
        let download = app
            .anonymous(Method::GET, "/upack/tools/download/ACME/Tools/hammer/1.2.0")
            .send()
            .await
            .expect("request");
        assert_eq!(download.status(), StatusCode::OK, "{ctx}");
        assert_eq!(download.headers()["content-type"], "application/zip");
        assert_eq!(
            download.headers()["content-length"],
            package.len().to_string().as_str()
        );
        assert!(download.headers()["content-disposition"]
            .to_str()
            .expect("text")
            .contains("Hammer-1.2.0.upack"));
        assert_eq!(
            download.bytes().await.expect("bytes").as_ref(),
            package.as_slice(),
            "{ctx}"
        );

        // ?latest takes pre-releases, ?latest-stable does not.
        for (query, expected) in [("latest", "2.0.0-beta.1"), ("latest-stable", "1.10.0")] {
            let response = app
                .anonymous(
                    Method::GET,
                    &format!("/upack/tools/download/acme/tools/hammer?{query}"),
                )
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{ctx} {query}");
            let bytes = response.bytes().await.expect("bytes");
            let manifest = read_manifest(&bytes);
            assert_eq!(manifest["version"], expected, "{ctx} {query}");
        }
        // A package without a group downloads with an empty group segment or none.
        for path in [
            "/upack/tools/download//loose/0.1.0",
            "/upack/tools/download/loose/0.1.0",
        ] {
            let response = app.anonymous(Method::GET, path).send().await.expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{ctx} {path}");
        }

        let packages = app
            .anonymous(Method::GET, "/upack/tools/packages")
            .send()
            .await
            .expect("request");
        let packages: Value =
            serde_json::from_str(&expect_status(packages, StatusCode::OK, &ctx).await).expect("json");
        let hammer = packages
            .as_array()
            .expect("array")
            .iter()
            .find(|p| p["name"] == "Hammer")
            .expect("hammer listed");
        assert_eq!(hammer["group"], "acme/tools");
        assert_eq!(hammer["latestVersion"], "2.0.0-beta.1");
        assert_eq!(hammer["versions"], json!(["2.0.0-beta.1", "1.10.0", "1.2.0"]));
        assert_eq!(hammer["downloads"], 3, "{ctx}: three downloads were counted");

        let versions = app
            .anonymous(Method::GET, "/upack/tools/versions?group=acme/tools&name=hammer")
            .send()
            .await
            .expect("request");
        let versions: Value =
            serde_json::from_str(&expect_status(versions, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(versions.as_array().expect("array").len(), 3);
        assert_eq!(versions[0]["version"], "2.0.0-beta.1");
        let one = app
            .anonymous(
                Method::GET,
                "/upack/tools/versions?group=acme/tools&name=hammer&version=1.2.0",
            )
            .send()
            .await
            .expect("request");
        let one: Value = serde_json::from_str(&expect_status(one, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(one["title"], "Hammer title");
        assert_eq!(one["size"], package.len());

        let deleted = app
            .admin(Method::DELETE, "/upack/tools/delete/acme/tools/Hammer/1.2.0")
            .send()
            .await
            .expect("request");
        expect_status(deleted, StatusCode::OK, &ctx).await;
        let gone = app
            .anonymous(Method::GET, "/upack/tools/download/acme/tools/hammer/1.2.0")
            .send()
            .await
            .expect("request");
        expect_status(gone, StatusCode::NOT_FOUND, &ctx).await;
        let again = app
            .admin(Method::DELETE, "/upack/tools/delete/acme/tools/Hammer/1.2.0")
            .send()
            .await
            .expect("request");
        expect_status(again, StatusCode::NOT_FOUND, &ctx).await;
    }
}

fn read_manifest(package: &[u8]) -> Value {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(package)).expect("zip");
    let entry = archive.by_name("upack.json").expect("manifest");
    serde_json::from_reader(entry).expect("manifest JSON")
}

#[tokio::test]
async fn bad_packages_are_refused_and_leave_nothing() {
    for app in TestApp::each_backend().await {
        app.create_feed("tools", "universal").await;
        let good_manifest = br#"{"name":"hammer","version":"1.0.0"}"#;
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("not a zip", b"this is not a zip file".to_vec(), "not a valid zip"),
            ("empty body", Vec::new(), "not a valid zip"),
            (
                "no manifest",
                zip_with(&[("package/a.txt", b"a")]),
                "no upack.json",
            ),
            (
                "manifest not JSON",
                zip_with(&[("upack.json", b"{nope")]),
                "not valid JSON",
            ),
            (
                "no name",
                upack_with_manifest(&json!({"version": "1.0.0"}), b""),
                "\"name\"",
            ),
            (
                "no version",
                upack_with_manifest(&json!({"name": "x"}), b""),
                "\"version\"",
            ),
            (
                "bad version",
                upack_with_manifest(&json!({"name": "x", "version": "1.0"}), b""),
                "SemVer",
            ),
            (
                "bad name",
                upack_with_manifest(&json!({"name": "a b", "version": "1.0.0"}), b""),
                "contains the character",
            ),
            (
                "bad group",
                upack_with_manifest(&json!({"name": "a", "group": "x//y", "version": "1.0.0"}), b""),
                "empty segment",
            ),
            (
                "entry escapes",
                zip_with(&[("upack.json", good_manifest), ("package/../../../etc/x", b"!")]),
                "escapes",
            ),
            (
                "absolute entry",
                zip_with(&[("upack.json", good_manifest), ("/abs", b"!")]),
                "escapes",
            ),
        ];
        for (label, body, reason) in cases {
            let (status, text) = app.upload_upack("tools", ADMIN_KEY, body).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{:?} {label}: {text}",
                app.backend
            );
            assert!(
                text.contains(reason),
                "{:?} {label}: '{text}' should mention '{reason}'",
                app.backend
            );
            app.assert_nothing_stored("tools").await;
        }
    }
}

#[tokio::test]
async fn oversized_uploads_are_refused_and_leave_nothing() {
    for app in TestApp::each_backend_with(|c| c.max_upload_bytes = 64 * 1024).await {
        app.create_feed("tools", "universal").await;
        let big = upack("", "big", "1.0.0", &content(7, 200_000));
        let (status, text) = app.upload_upack("tools", ADMIN_KEY, big.clone()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}: {text}", app.backend);
        app.assert_nothing_stored("tools").await;
        // Without a declared length the limit still cuts the stream off.
        let stream = futures::stream::iter(
            big.chunks(8192)
                .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                .collect::<Vec<_>>(),
        );
        let response = app
            .admin(Method::POST, "/upack/tools/upload")
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await;
        // The server may answer 413 or close the connection mid-body; either way nothing is stored.
        if let Ok(response) = response {
            assert_eq!(
                response.status(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "{:?}",
                app.backend
            );
        }
        app.assert_nothing_stored("tools").await;
    }
}

#[tokio::test]
async fn republishing_needs_the_overwrite_right() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        let adder = app
            .create_key(json!({"type": "feed", "feed": "tools", "packagePermissions": ["view", "add"]}))
            .await;
        let (status, _) = app
            .upload_upack("tools", &adder, upack("", "hammer", "1.0.0", b"first"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}");
        let (status, text) = app
            .upload_upack("tools", &adder, upack("", "HAMMER", "1.0.0", b"second"))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{ctx}: {text}");
        assert!(text.contains("already exists"), "{text}");
        let first = app
            .anonymous(Method::GET, "/upack/tools/download/hammer/1.0.0")
            .send()
            .await
            .expect("request");
        let first = first.bytes().await.expect("bytes");
        assert_eq!(
            read_manifest(&first)["name"],
            "hammer",
            "{ctx}: the refused upload changed nothing"
        );

        // A key with delete (overwrite) may replace the version.
        let replacement = upack("", "hammer", "1.0.0", b"third");
        let (status, text) = app.upload_upack("tools", ADMIN_KEY, replacement.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {text}");
        let now = app
            .anonymous(Method::GET, "/upack/tools/download/hammer/1.0.0")
            .send()
            .await
            .expect("request");
        assert_eq!(
            now.bytes().await.expect("bytes").as_ref(),
            replacement.as_slice(),
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn uploads_need_add_permission_on_that_feed() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        app.create_feed("other", "universal").await;
        let viewer = app
            .create_key(json!({"type": "feed", "feed": "tools", "packagePermissions": ["view"]}))
            .await;
        let elsewhere = app
            .create_key(json!({"type": "feed", "feed": "other", "packagePermissions": ["add"]}))
            .await;
        let package = upack("", "hammer", "1.0.0", b"x");
        let anonymous = app
            .anonymous(Method::POST, "/upack/tools/upload")
            .body(package.clone())
            .send()
            .await
            .expect("request");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;
        for key in [&viewer, &elsewhere, &"unknown-key-unknown-key".to_owned()] {
            let (status, text) = app.upload_upack("tools", key, package.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {text}");
        }
        app.assert_nothing_stored("tools").await;
        let missing = app.upload_upack("nowhere", ADMIN_KEY, package.clone()).await;
        assert_eq!(missing.0, StatusCode::NOT_FOUND, "{ctx}");
        let deleting = app
            .with_key(Method::DELETE, "/upack/tools/delete/hammer/1.0.0", &viewer)
            .send()
            .await
            .expect("request");
        expect_status(deleting, StatusCode::FORBIDDEN, &ctx).await;
    }
}

#[tokio::test]
async fn identical_content_is_stored_once() {
    for app in TestApp::each_backend().await {
        app.create_feed("a", "universal").await;
        app.create_feed("b", "universal").await;
        let package = upack("", "same", "1.0.0", &content(3, 50_000));
        assert_eq!(
            app.upload_upack("a", ADMIN_KEY, package.clone()).await.0,
            StatusCode::CREATED
        );
        assert_eq!(
            app.upload_upack("b", ADMIN_KEY, package).await.0,
            StatusCode::CREATED
        );
        assert_eq!(
            app.blob_files().len(),
            1,
            "{:?}: one blob for identical bytes",
            app.backend
        );
    }
}
