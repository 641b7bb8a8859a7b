//! The web UI in a real browser: `tests/browser/ui_flow.mjs` drives Debian's
//! Chromium through playwright-core against this server — sign in, feeds
//! and a pipeline made in the admin pages, promotion through the dialog,
//! the History tab, a refusal in the dialog, an API key used with curl, a
//! user without the promote right, labels, keyboard focus, 360 px widths.
//! Screenshots go to `target/ui-screenshots/` for reviewers.

use std::path::PathBuf;
use std::process::Stdio;

use gantry_test_support::ui::create_user;
use gantry_test_support::{upack, upack_with_manifest, Backend, TestApp};
use reqwest::Method;
use serde_json::json;

fn required_env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run scripts/test-setup (scripts/test does)"))
}

#[tokio::test]
async fn the_promotion_flow_works_in_a_real_browser() {
    let chromium = required_env("GANTRY_TEST_CHROMIUM");
    let playwright = required_env("GANTRY_TEST_PLAYWRIGHT");
    // One backend is enough here: the pages' queries run on both in `ui.rs`.
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let admin_password = "browser admin password";
    let viewer_password = "browser viewer password";
    create_user(&app, "admin", admin_password, &["Administrators"]).await;
    create_user(&app, "viewer", viewer_password, &[]).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let package = dir.path().join("hammer-1.0.0.upack");
    std::fs::write(&package, upack("acme", "hammer", "1.0.0", b"the hammer")).expect("write");
    let other = dir.path().join("hammer-1.0.0-other.upack");
    let manifest =
        json!({"group": "acme", "name": "hammer", "version": "1.0.0", "description": "another build"});
    std::fs::write(&other, upack_with_manifest(&manifest, b"another hammer")).expect("write");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let screenshots = root.join("../../target/ui-screenshots");

    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/ui_flow.mjs"))
        .env("GANTRY_URL", app.url(""))
        .env("GANTRY_ADMIN_PASSWORD", admin_password)
        .env("GANTRY_VIEWER_PASSWORD", viewer_password)
        .env("GANTRY_PACKAGE", &package)
        .env("GANTRY_OTHER_PACKAGE", &other)
        .env("GANTRY_TEST_CHROMIUM", chromium)
        .env("GANTRY_TEST_PLAYWRIGHT", playwright)
        .env("GANTRY_SCREENSHOTS", &screenshots)
        .env("GANTRY_KEY_FILE", dir.path().join("api-key.txt"))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser flow failed\n{stdout}\n{stderr}");

    // What the browser did is in the database: the promotion with its user
    // and comment, and no promotion from the forged post.
    let promotions = app.admin_json("/api/promotions/list").await;
    let records = promotions[0]["promotions"].as_array().expect("promotions");
    assert_eq!(records.len(), 1, "{promotions}");
    assert_eq!(records[0]["user"], "admin");
    assert_eq!(records[0]["comments"], "Ready for testing");
    assert_eq!(records[0]["fromFeed"], "unapproved");
    let feed = app.admin_json("/api/management/feeds/get/unapproved").await;
    assert_eq!(feed["promoteToFeed"], "approved");
    let key = std::fs::read_to_string(dir.path().join("api-key.txt")).expect("key written");
    let listing = app
        .with_key(Method::GET, "/api/packages/approved/versions", key.trim())
        .send()
        .await
        .expect("GET");
    assert_eq!(
        listing.status(),
        reqwest::StatusCode::OK,
        "the key made in the UI works"
    );
    for shot in [
        "05-version-overview",
        "06-promote-dialog",
        "07-history",
        "16-narrow-version",
    ] {
        assert!(
            screenshots.join(format!("{shot}.png")).is_file(),
            "{shot} screenshot"
        );
    }
}
