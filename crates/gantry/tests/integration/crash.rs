//! A server killed in the middle of an upload leaves nothing behind.

use std::time::Duration;

use gantry_test_support::{files_under, noise, trickle_body, upack, TestProcess, ADMIN_KEY};
use reqwest::StatusCode;

#[tokio::test]
async fn sigkill_mid_upload_leaves_no_package_and_no_blob() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("gantry.db").display());
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_gantry"));
    let server = TestProcess::start(binary, dir.path(), &database).await;
    let client = reqwest::Client::new();
    let created = client
        .post(server.url("/api/management/feeds/create"))
        .header("X-ApiKey", ADMIN_KEY)
        .json(&serde_json::json!({"name": "tools", "feedType": "universal"}))
        .send()
        .await
        .expect("request");
    assert_eq!(created.status(), StatusCode::CREATED);

    // A large package sent slowly: 4 MiB now, then the rest trickles in.
    let package = upack("", "big", "1.0.0", &noise(7, 16 * 1024 * 1024));
    let upload = tokio::spawn(
        client
            .post(server.url("/upack/tools/upload"))
            .header("X-ApiKey", ADMIN_KEY)
            .body(trickle_body(package, 4 * 1024 * 1024))
            .send(),
    );
    // Wait until the server is visibly staging the upload, then kill it.
    let staging = dir.path().join("tmp");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while files_under(&staging).is_empty() || staged_bytes(&staging) < 1024 * 1024 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upload never reached the staging folder"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().await;
    let result = upload.await.expect("task");
    assert!(
        result.is_err() || result.is_ok_and(|r| !r.status().is_success()),
        "the upload cannot have succeeded"
    );

    let restarted = TestProcess::start(binary, dir.path(), &database).await;
    let versions = client
        .get(restarted.url("/api/packages/tools/versions"))
        .send()
        .await
        .expect("request");
    assert_eq!(versions.status(), StatusCode::OK);
    assert_eq!(versions.text().await.expect("body"), "[]", "no package row");
    assert!(
        files_under(&dir.path().join("blobs")).is_empty(),
        "no blob reachable"
    );
    assert!(
        files_under(&staging).is_empty(),
        "the partial upload was cleared at start"
    );
}

fn staged_bytes(dir: &std::path::Path) -> u64 {
    files_under(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}
