//! The packages API upload, `PUT|POST /api/packages/{feed}/upload`: one
//! endpoint for every package type, read by the feed's type; and downloads
//! of one file of a version by `file=`.

use gantry_test_support::{backend_test, noise, npm_tarball, nupkg, upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn upload(app: &TestApp, method: Method, feed: &str, key: &str, body: Vec<u8>) -> (StatusCode, String) {
    let response = app
        .with_key(method, &format!("/api/packages/{feed}/upload"), key)
        .body(body)
        .send()
        .await
        .expect("request");
    (response.status(), response.text().await.expect("body"))
}

async fn download(app: &TestApp, query: &str) -> (StatusCode, Vec<u8>) {
    let response = app
        .admin(Method::GET, &format!("/api/packages/{query}"))
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

backend_test! {
    async fn a_universal_package_is_uploaded_with_put_or_post_and_served_byte_for_byte(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dev", "universal").await;
        let first = upack("acme", "hammer", "1.0.0", &noise(3, 50_000));
        let (status, body) = upload(&app, Method::PUT, "dev", ADMIN_KEY, first.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        let answer: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(answer["group"], "acme", "{ctx}");
        assert_eq!(answer["name"], "hammer");
        assert_eq!(answer["version"], "1.0.0");
        assert_eq!(answer["purl"], "pkg:upack/acme/hammer@1.0.0");
        assert_eq!(answer["sha256"], hex::encode(Sha256::digest(&first)));
        assert_eq!(answer["size"], first.len());

        let second = upack("acme", "hammer", "1.1.0", b"second");
        let (status, body) = upload(&app, Method::POST, "dev", ADMIN_KEY, second.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");

        let (status, bytes) = download(&app, "dev/download?group=acme&name=hammer&version=1.0.0").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert_eq!(bytes, first, "{ctx}: the bytes uploaded");
        let history = app
            .admin_json("/api/packages/dev/history?group=acme&name=hammer&version=1.1.0")
            .await;
        assert_eq!(history[0]["action"], "added", "{ctx}: {history}");
        assert_eq!(history[0]["feed"], "dev");
    }
}

backend_test! {
    async fn a_nupkg_is_uploaded_and_its_nuspec_is_a_second_file_of_the_version(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("nugets", "nuget").await;
        let package = nupkg("Acme.Widget", "2.0.0", &[("Newtonsoft.Json", "13.0.1")]);
        let (status, body) = upload(&app, Method::PUT, "nugets", ADMIN_KEY, package.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        let answer: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(answer["name"], "Acme.Widget", "{ctx}");
        assert_eq!(answer["purl"], "pkg:nuget/Acme.Widget@2.0.0");
        assert!(answer.get("group").is_none(), "{ctx}: {answer}");

        // NuGet clients see it like a pushed package.
        let flat = app
            .anonymous(
                Method::GET,
                "/nuget/nugets/v3/flatcontainer/acme.widget/index.json",
            )
            .send()
            .await
            .expect("flat container");
        assert_eq!(flat.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            flat.json::<Value>().await.expect("JSON"),
            json!({"versions": ["2.0.0"]})
        );

        let (status, main) = download(&app, "nugets/download?name=Acme.Widget&version=2.0.0").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert_eq!(main, package, "{ctx}: the main file is the package");
        let (status, nuspec) =
            download(&app, "nugets/download?name=Acme.Widget&version=2.0.0&file=nuspec").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        let nuspec = String::from_utf8(nuspec).expect("UTF-8");
        assert!(nuspec.contains("<id>Acme.Widget</id>"), "{ctx}: {nuspec}");
        let (status, _) = download(
            &app,
            "nugets/download?name=Acme.Widget&version=2.0.0&file=missing.txt",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");

        // NuGet versions never change: the same version again is 409.
        let (status, body) = upload(&app, Method::PUT, "nugets", ADMIN_KEY, package).await;
        assert_eq!(status, StatusCode::CONFLICT, "{ctx}: {body}");
    }
}

backend_test! {
    async fn bad_uploads_are_refused_and_leave_nothing(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dev", "universal").await;
        app.create_feed("npms", "npm").await;
        app.create_feed("approved", "universal").await;
        app.update_feed("approved", json!({"usage": "validated"})).await;
        let reader = app
            .create_key(json!({"type": "feed", "feed": "dev", "packagePermissions": ["view"]}))
            .await;
        let package = upack("acme", "hammer", "1.0.0", b"bytes");

        for (feed, key, body, expected, says) in [
            ("dev", "", package.clone(), StatusCode::UNAUTHORIZED, ""),
            ("dev", reader.as_str(), package.clone(), StatusCode::FORBIDDEN, ""),
            (
                "approved",
                ADMIN_KEY,
                package.clone(),
                StatusCode::FORBIDDEN,
                "promotion",
            ),
            (
                "no-such-feed",
                ADMIN_KEY,
                package.clone(),
                StatusCode::NOT_FOUND,
                "no-such-feed",
            ),
            ("dev", ADMIN_KEY, Vec::new(), StatusCode::BAD_REQUEST, "empty"),
            (
                "dev",
                ADMIN_KEY,
                b"not a zip".to_vec(),
                StatusCode::BAD_REQUEST,
                "",
            ),
            (
                "dev",
                ADMIN_KEY,
                nupkg("Acme.Widget", "1.0.0", &[]),
                StatusCode::BAD_REQUEST,
                "",
            ),
            (
                "npms",
                ADMIN_KEY,
                npm_tarball("left-pad", "1.0.0", &[]),
                StatusCode::BAD_REQUEST,
                "npm",
            ),
        ] {
            let (status, text) = upload(&app, Method::PUT, feed, key, body).await;
            assert_eq!(status, expected, "{ctx}: {feed} {text}");
            assert!(text.contains(says), "{ctx}: {feed}: '{says}' in {text}");
        }
        for feed in ["dev", "npms", "approved"] {
            app.assert_nothing_stored(feed).await;
        }
        assert!(app.staging_files().is_empty(), "{ctx}: staging is cleaned");
    }
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_before_its_body() {
    let app = TestApp::spawn(gantry_test_support::Backend::Sqlite, |c| {
        c.max_upload_bytes = 1024;
    })
    .await;
    app.create_feed("dev", "universal").await;
    let (status, body) = upload(
        &app,
        Method::PUT,
        "dev",
        ADMIN_KEY,
        upack("acme", "big", "1.0.0", &noise(1, 4096)),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    app.assert_nothing_stored("dev").await;
}
