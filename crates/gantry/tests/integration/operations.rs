//! Operational basics: health, version header, OpenAPI, configuration, shutdown.

use gantry_test_support::{upack, Backend, Blobs, TestApp, TestProcess, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::expect_status;

#[tokio::test]
async fn health_reports_version_and_database() {
    for app in TestApp::each_backend().await {
        let response = app
            .anonymous(Method::GET, "/health")
            .send()
            .await
            .expect("request");
        assert_eq!(response.headers()["x-gantry-version"], env!("CARGO_PKG_VERSION"));
        let body: Value =
            serde_json::from_str(&expect_status(response, StatusCode::OK, "health").await).expect("json");
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        let backend = match app.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        assert_eq!(body["database"]["backend"], backend);
        assert_eq!(body["database"]["status"], "ok");
        let blobs = match app.blobs {
            Blobs::Local => "local",
            Blobs::S3 => "s3",
        };
        assert_eq!(body["blobs"]["backend"], blobs);
        assert_eq!(body["blobs"]["status"], "ok");
    }
}

#[tokio::test]
async fn every_response_carries_the_version_header_even_errors() {
    for app in TestApp::each_backend().await {
        let missing = app
            .anonymous(Method::GET, "/no/such/thing")
            .send()
            .await
            .expect("request");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.headers()["x-gantry-version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(missing.headers()["content-type"], "text/plain; charset=utf-8");
    }
}

#[tokio::test]
async fn openapi_document_lists_the_api() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let response = app
        .anonymous(Method::GET, "/api/openapi.json")
        .send()
        .await
        .expect("request");
    let doc: Value =
        serde_json::from_str(&expect_status(response, StatusCode::OK, "openapi").await).expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with('3'));
    for path in [
        "/api/management/feeds/create",
        "/api/management/feeds/list",
        "/api/management/feeds/get/{name}",
        "/api/management/feeds/update/{name}",
        "/api/management/feeds/delete/{name}",
        "/api/packages/{feed}/versions",
        "/api/packages/{feed}/latest",
        "/api/packages/{feed}/download",
        "/api/packages/{feed}/delete",
        "/api/packages/{feed}/history",
        "/api/promotions/promote",
        "/api/promotions/list",
        "/api/package-deployment/",
        "/api/package-deployment/list",
        "/api/package-deployment/targets",
        "/api/api-keys/create",
        "/api/api-keys/list",
        "/api/api-keys/delete",
        "/health",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"].get("PackageVersionInfo").is_some());
}

#[tokio::test]
async fn config_show_layers_file_env_and_flags_and_hides_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("gantry.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:7000\"\ndata_dir = \"/from/file\"\nanonymous_read = false\nbootstrap_api_key = \"file-secret-0123456789\"\n",
    )
    .expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["config", "show", "--listen", "127.0.0.1:9000"])
        .arg("--config")
        .arg(&file)
        .env("GANTRY_DATA_DIR", "/from/env")
        .env("GANTRY_LISTEN", "127.0.0.1:8000")
        .env(
            "GANTRY_DATABASE_URL",
            "postgres://gantry:db-password@db:5432/gantry",
        )
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        shown.contains("listen = \"127.0.0.1:9000\""),
        "flag wins over env and file:\n{shown}"
    );
    assert!(
        shown.contains("data_dir = \"/from/env\""),
        "env wins over file:\n{shown}"
    );
    assert!(
        shown.contains("anonymous_read = false"),
        "file wins over default:\n{shown}"
    );
    assert!(
        !shown.contains("db-password") && !shown.contains("file-secret"),
        "secrets hidden:\n{shown}"
    );
    assert!(
        shown.contains("postgres://gantry:********@db:5432/gantry"),
        "{shown}"
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_data_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("gantry.db").display());
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_gantry"));
    let first = TestProcess::start(binary, dir.path(), &database).await;
    let client = reqwest::Client::new();
    let created = client
        .post(first.url("/api/management/feeds/create"))
        .header("X-ApiKey", ADMIN_KEY)
        .json(&serde_json::json!({"name": "tools", "feedType": "universal"}))
        .send()
        .await
        .expect("request");
    assert_eq!(created.status(), StatusCode::CREATED);
    let package = upack("", "kept", "1.0.0", b"survives restarts");
    let uploaded = client
        .post(first.url("/upack/tools/upload"))
        .header("X-ApiKey", ADMIN_KEY)
        .body(package.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let status = first.signal_and_wait("TERM").await;
    assert!(status.success(), "graceful exit, got {status:?}");

    let second = TestProcess::start(binary, dir.path(), &database).await;
    let download = client
        .get(second.url("/upack/tools/download/kept/1.0.0"))
        .send()
        .await
        .expect("request");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.bytes().await.expect("bytes").as_ref(),
        package.as_slice()
    );
}
