//! The real npm client (the machine's npm 11 on node 20) against a running
//! Gantry: publish (with a token, and refused without), install of a
//! dependency tree, `npm ci` from the lockfile, `npm view`, dist-tags,
//! deprecation and its warning, unpublish, `npm login` and `whoami`, and an
//! install from an approved feed that works only after promotion.
//!
//! npm is slow to start, so these run on one backend; the protocol itself is
//! checked on every backend in `npm_registry.rs`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use gantry_test_support::npm::{write_package, NpmCli};
use gantry_test_support::{Backend, CliOutput, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::expect_status;

fn registry(app: &TestApp, feed: &str) -> String {
    app.url(&format!("/npm/{feed}/"))
}

/// `.npmrc` lines pointing npm at `feed`, with `token` (none when empty).
fn npmrc(app: &TestApp, feed: &str, token: &str) -> Vec<String> {
    let registry = registry(app, feed);
    let mut lines = vec![format!("registry={registry}")];
    if !token.is_empty() {
        let host_path = registry.trim_start_matches("http:");
        lines.push(format!("{host_path}:_authToken={token}"));
    }
    lines
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

/// Writes a project folder depending on `dependencies`.
fn write_project(dir: &Path, dependencies: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("project dir");
    let deps: serde_json::Map<String, Value> = dependencies
        .iter()
        .map(|(name, range)| ((*name).to_owned(), json!(range)))
        .collect();
    std::fs::write(
        dir.join("package.json"),
        json!({"name": "app", "version": "1.0.0", "private": true, "dependencies": deps}).to_string(),
    )
    .expect("package.json");
}

#[tokio::test]
async fn npm_publishes_installs_tags_deprecates_and_unpublishes() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("npm-dev", "npm").await;
    let npm = NpmCli::new();
    npm.write_npmrc(&npmrc(&app, "npm-dev", ADMIN_KEY));
    let work = npm.work_dir().to_path_buf();

    // Without a token the publish is refused and nothing is stored.
    let anonymous = NpmCli::new();
    anonymous.write_npmrc(&npmrc(&app, "npm-dev", ""));
    let base = write_package(&anonymous.work_dir().join("base"), "@acme/base", "1.0.0", &[]);
    anonymous.run_in(&base, &["publish"]).await.assert_failure();
    app.assert_nothing_stored("npm-dev").await;

    let base = write_package(&work.join("base"), "@acme/base", "1.0.0", &[]);
    npm.run_in(&base, &["publish"]).await.assert_success();
    let util = write_package(&work.join("util"), "gantry-util", "1.0.0", &[]);
    npm.run_in(&util, &["publish"]).await.assert_success();
    for version in ["1.0.0", "1.1.0"] {
        let widget = write_package(
            &work.join(format!("widget-{version}")),
            "@acme/widget",
            version,
            &[("@acme/base", "^1.0.0"), ("gantry-util", "1.0.0")],
        );
        npm.run_in(&widget, &["publish"]).await.assert_success();
    }
    let beta = write_package(
        &work.join("widget-beta"),
        "@acme/widget",
        "2.0.0-beta.1",
        &[("@acme/base", "^1.0.0")],
    );
    npm.run_in(&beta, &["publish", "--tag", "next"])
        .await
        .assert_success();
    // A version that exists cannot be published again.
    npm.run_in(&base, &["publish"]).await.assert_failure();

    // Install the tree into a fresh project; the lockfile points at this feed.
    let project = work.join("project");
    write_project(&project, &[("@acme/widget", "^1.0.0")]);
    npm.run_in(&project, &["install"]).await.assert_success();
    let installed = read_json(&project.join("node_modules/@acme/widget/package.json"));
    assert_eq!(installed["version"], "1.1.0");
    assert!(project.join("node_modules/@acme/base/index.js").is_file());
    assert!(project.join("node_modules/gantry-util/index.js").is_file());
    let lock = read_json(&project.join("package-lock.json"));
    let resolved = lock["packages"]["node_modules/@acme/widget"]["resolved"]
        .as_str()
        .expect("resolved");
    assert_eq!(
        resolved,
        format!("{}@acme/widget/-/widget-1.1.0.tgz", registry(&app, "npm-dev"))
    );

    // `npm ci` from the lockfile, with an empty cache.
    std::fs::remove_dir_all(project.join("node_modules")).expect("clean");
    npm.run_in(
        &project,
        &["ci", "--cache", &work.join("fresh-cache").display().to_string()],
    )
    .await
    .assert_success();
    assert!(project.join("node_modules/@acme/widget/index.js").is_file());

    let view = npm.run(&["view", "@acme/widget", "dist-tags", "--json"]).await;
    let tags: Value = serde_json::from_str(&view.assert_success().stdout).expect("JSON");
    assert_eq!(tags, json!({"latest": "1.1.0", "next": "2.0.0-beta.1"}));

    npm.run(&["dist-tag", "add", "@acme/widget@1.0.0", "stable"])
        .await
        .assert_success();
    let ls = npm.run(&["dist-tag", "ls", "@acme/widget"]).await;
    assert!(ls.assert_success().stdout.contains("stable: 1.0.0"), "{ls}");
    npm.run(&["dist-tag", "rm", "@acme/widget", "stable"])
        .await
        .assert_success();
    let ls = npm.run(&["dist-tag", "ls", "@acme/widget"]).await;
    assert!(!ls.assert_success().stdout.contains("stable"), "{ls}");

    npm.run(&["deprecate", "@acme/widget@1.0.0", "use 1.1 instead"])
        .await
        .assert_success();
    let old = work.join("old");
    write_project(&old, &[("@acme/widget", "1.0.0")]);
    let warned = npm.run_in(&old, &["install", "--loglevel", "warn"]).await;
    assert!(
        warned.assert_success().stderr.contains("deprecated") && warned.stderr.contains("use 1.1 instead"),
        "{warned}"
    );

    npm.run(&["unpublish", "@acme/widget@1.1.0"])
        .await
        .assert_success();
    let versions = npm.run(&["view", "@acme/widget", "versions", "--json"]).await;
    let versions: Value = serde_json::from_str(&versions.assert_success().stdout).expect("JSON");
    assert_eq!(versions, json!(["1.0.0", "2.0.0-beta.1"]));

    let whoami = npm.run(&["whoami"]).await;
    assert_eq!(whoami.assert_success().stdout.trim(), "SYSTEM");
}

/// Creates a user holding `task` on `feed`.
async fn add_user_with_task(app: &TestApp, user: &str, password: &str, task: &str, feed: &str) {
    let response = app
        .admin(Method::POST, "/api/security/users/add")
        .json(&json!({"name": user, "password": password}))
        .send()
        .await
        .expect("request");
    expect_status(response, StatusCode::OK, "user").await;
    let response = app
        .admin(Method::POST, "/api/security/permissions/add")
        .json(&json!({"user": user, "task": task, "feed": feed}))
        .send()
        .await
        .expect("request");
    expect_status(response, StatusCode::OK, "permission").await;
}

/// Runs `npm login` in a pseudo-terminal (npm reads the password from a
/// TTY only), answering each prompt once it appears.
async fn npm_login(npm: &NpmCli, registry: &str, user: &str, password: &str) -> (i32, String) {
    let command = format!("npm login --auth-type=legacy --registry {registry}");
    let mut child = npm
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("script (util-linux) runs npm in a pseudo-terminal");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    let mut buffer = [0_u8; 4096];
    for (prompt, answer) in [("Username:", user), ("Password:", password)] {
        while !seen.contains(prompt) {
            let read = tokio::time::timeout(Duration::from_mins(1), stdout.read(&mut buffer))
                .await
                .unwrap_or_else(|_| panic!("npm login never asked for {prompt}: {seen}"))
                .expect("read");
            assert!(read > 0, "npm login ended before asking for {prompt}: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
        stdin
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .expect("answer");
        seen.clear();
    }
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_mins(1), stdout.read_to_end(&mut rest))
        .await
        .expect("npm login finishes")
        .expect("read");
    let status = child.wait().await.expect("wait");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&rest).into_owned(),
    )
}

#[tokio::test]
async fn npm_login_stores_a_token_that_whoami_and_publish_use() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("npm-dev", "npm").await;
    add_user_with_task(&app, "alice", "alice-password-1", "Publish Packages", "npm-dev").await;

    let npm = NpmCli::new();
    npm.write_npmrc(&npmrc(&app, "npm-dev", ""));
    let registry = registry(&app, "npm-dev");
    let (status, output) = npm_login(&npm, &registry, "alice", "wrong-password").await;
    assert_ne!(status, 0, "a wrong password is refused: {output}");
    let (status, output) = npm_login(&npm, &registry, "alice", "alice-password-1").await;
    assert_eq!(status, 0, "npm login: {output}");
    let whoami = npm.run(&["whoami"]).await;
    assert_eq!(whoami.assert_success().stdout.trim(), "alice");

    let package = write_package(&npm.work_dir().join("tool"), "@alice/tool", "0.1.0", &[]);
    npm.run_in(&package, &["publish"]).await.assert_success();
    let versions = app
        .admin_json("/api/packages/npm-dev/versions?group=@alice&name=tool")
        .await;
    assert_eq!(versions[0]["publishedBy"], "alice");
    // The token is one of alice's personal keys.
    let keys = app.admin_json("/api/api-keys/list").await;
    assert!(
        keys.as_array()
            .expect("keys")
            .iter()
            .any(|k| k["type"] == "personal" && k["user"] == "alice"),
        "{keys}"
    );
}

#[tokio::test]
async fn install_from_the_approved_feed_works_only_after_promotion() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("unapproved-npm", "npm").await;
    let response = app
        .admin(Method::POST, "/api/management/feeds/create")
        .json(&json!({"name": "approved-npm", "feedType": "npm", "usage": "validated"}))
        .send()
        .await
        .expect("request");
    expect_status(response, StatusCode::CREATED, "approved feed").await;
    app.update_feed("unapproved-npm", json!({"promoteToFeed": "approved-npm"}))
        .await;

    let publisher = NpmCli::new();
    publisher.write_npmrc(&npmrc(&app, "unapproved-npm", ADMIN_KEY));
    let widget = write_package(&publisher.work_dir().join("widget"), "@acme/widget", "1.2.0", &[]);
    publisher.run_in(&widget, &["publish"]).await.assert_success();

    let consumer = NpmCli::new();
    consumer.write_npmrc(&npmrc(&app, "approved-npm", ADMIN_KEY));
    let project = consumer.work_dir().join("app");
    write_project(&project, &[("@acme/widget", "^1.0.0")]);
    consumer.run_in(&project, &["install"]).await.assert_failure();
    assert!(!project.join("node_modules/@acme/widget").exists());

    let response = app
        .admin(Method::POST, "/api/promotions/promote")
        .json(&json!({"fromFeed": "unapproved-npm", "toFeed": "approved-npm",
                      "group": "@acme", "name": "widget", "version": "1.2.0", "comments": "reviewed"}))
        .send()
        .await
        .expect("request");
    expect_status(response, StatusCode::OK, "promotion").await;
    consumer.run_in(&project, &["install"]).await.assert_success();
    let installed = read_json(&project.join("node_modules/@acme/widget/package.json"));
    assert_eq!(installed["version"], "1.2.0");
    let tags = consumer.run(&["view", "@acme/widget", "dist-tags.latest"]).await;
    assert_eq!(tags.assert_success().stdout.trim(), "1.2.0");
}

#[tokio::test]
async fn a_closed_feed_challenges_npm_which_then_sends_basic_credentials() {
    let app = TestApp::spawn(Backend::Sqlite, |config| config.anonymous_read = false).await;
    app.create_feed("npm-private", "npm").await;
    let publisher = NpmCli::new();
    publisher.write_npmrc(&npmrc(&app, "npm-private", ADMIN_KEY));
    let widget = write_package(&publisher.work_dir().join("widget"), "@acme/widget", "1.0.0", &[]);
    publisher.run_in(&widget, &["publish"]).await.assert_success();
    add_user_with_task(
        &app,
        "bob",
        "bob-password-1",
        "View & Download Packages",
        "npm-private",
    )
    .await;

    // Anonymous: npm is told to authenticate (401), and fails without credentials.
    let anonymous = NpmCli::new();
    anonymous.write_npmrc(&npmrc(&app, "npm-private", ""));
    let refused = anonymous.run(&["view", "@acme/widget", "version"]).await;
    assert!(
        refused.assert_failure().stderr.contains("401") || refused.stderr.contains("E401"),
        "{refused}"
    );

    // `_auth` (basic user:password) for that registry.
    let bob = NpmCli::new();
    let registry = registry(&app, "npm-private");
    let mut lines = npmrc(&app, "npm-private", "");
    lines.push(format!(
        "{}:_auth={}",
        registry.trim_start_matches("http:"),
        base64::engine::general_purpose::STANDARD.encode("bob:bob-password-1")
    ));
    bob.write_npmrc(&lines);
    let version = bob.run(&["view", "@acme/widget", "version"]).await;
    assert_eq!(version.assert_success().stdout.trim(), "1.0.0");
    let project = bob.work_dir().join("app");
    write_project(&project, &[("@acme/widget", "1.0.0")]);
    bob.run_in(&project, &["install"]).await.assert_success();
    assert!(project.join("node_modules/@acme/widget/index.js").is_file());
    let whoami = bob.run(&["whoami"]).await;
    assert_eq!(whoami.assert_success().stdout.trim(), "bob");
}

/// pnpm, which `scripts/test-setup` installs and names in `GANTRY_TEST_PNPM`.
fn pnpm_path() -> String {
    std::env::var("GANTRY_TEST_PNPM").unwrap_or_else(|_| {
        panic!("GANTRY_TEST_PNPM is not set: run scripts/test-setup (it installs pnpm) and export what it prints, or run scripts/test")
    })
}

/// Runs pnpm with `npm`'s home and configuration in `dir`.
async fn pnpm(npm: &NpmCli, dir: &Path, args: &[&str]) -> CliOutput {
    let mut command = npm.command(&pnpm_path());
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_mins(3), command.output())
        .await
        .unwrap_or_else(|_| panic!("pnpm {args:?} did not finish within 3 minutes"))
        .expect("pnpm runs");
    CliOutput::from_output(&output)
}

#[tokio::test]
async fn pnpm_installs_and_publishes_through_the_same_registry() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("npm-dev", "npm").await;
    let npm = NpmCli::new();
    npm.write_npmrc(&npmrc(&app, "npm-dev", ADMIN_KEY));
    let work = npm.work_dir().to_path_buf();
    let base = write_package(&work.join("base"), "@acme/base", "1.0.0", &[]);
    npm.run_in(&base, &["publish"]).await.assert_success();
    // pnpm publishes too (without the git checks it makes by default).
    let widget = write_package(
        &work.join("widget"),
        "@acme/widget",
        "1.0.0",
        &[("@acme/base", "^1.0.0")],
    );
    pnpm(&npm, &widget, &["publish", "--no-git-checks"])
        .await
        .assert_success();

    let project = work.join("app");
    write_project(&project, &[("@acme/widget", "^1.0.0")]);
    pnpm(&npm, &project, &["install"]).await.assert_success();
    let installed = read_json(&project.join("node_modules/@acme/widget/package.json"));
    assert_eq!(installed["version"], "1.0.0");
    let lock = std::fs::read_to_string(project.join("pnpm-lock.yaml")).expect("lockfile");
    assert!(
        lock.contains("'@acme/base@1.0.0'") || lock.contains("/@acme/base@1.0.0"),
        "{lock}"
    );
}
