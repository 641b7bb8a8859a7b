//! The real NuGet client (NuGet.exe 5.8 on mono) against a running Gantry,
//! through the v3 service index: push, install with dependencies,
//! prereleases and SemVer 2, delete, and a `packages.config` restore that
//! works from the approved feed only once the package is promoted there.
//!
//! NuGet.exe is slow to start (about a second per command), so these run on
//! one backend; the protocol itself is checked on every backend in
//! `nuget_v3.rs`.

use gantry_test_support::nuget::nupkg;
use gantry_test_support::{Backend, NuGetCli, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::expect_status;

fn v3_source(app: &TestApp, feed: &str) -> String {
    app.url(&format!("/nuget/{feed}/v3/index.json"))
}

/// Writes `bytes` as `{id}.{version}.nupkg` in the client's work folder.
fn write_package(cli: &NuGetCli, id: &str, version: &str, bytes: &[u8]) -> String {
    let name = format!("{id}.{version}.nupkg");
    std::fs::write(cli.work_dir().join(&name), bytes).expect("write package");
    name
}

#[tokio::test]
async fn nuget_exe_pushes_installs_and_deletes_through_the_v3_index() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("nuget-dev", "nuget").await;
    let cli = NuGetCli::required();
    let source = v3_source(&app, "nuget-dev");

    let base = nupkg("Acme.Base", "1.0.0", &[]);
    let tool = nupkg("Acme.Tool", "2.1.0", &[("Acme.Base", "[1.0.0, )")]);
    let beta = nupkg("Acme.Tool", "3.0.0-beta.2", &[("Acme.Base", "[1.0.0, )")]);
    let semver2 = nupkg("Acme.Stamped", "1.0.0+sha.5114f85", &[]);
    let files = [
        write_package(&cli, "Acme.Base", "1.0.0", &base),
        write_package(&cli, "Acme.Tool", "2.1.0", &tool),
        write_package(&cli, "Acme.Tool", "3.0.0-beta.2", &beta),
        write_package(&cli, "Acme.Stamped", "1.0.0", &semver2),
    ];

    // Without a key the push is refused and nothing is stored.
    cli.run(&["push", &files[0], "-Source", &source])
        .await
        .assert_failure();
    app.assert_nothing_stored("nuget-dev").await;
    for file in &files {
        cli.run(&["push", file, "-Source", &source, "-ApiKey", ADMIN_KEY])
            .await
            .assert_success();
    }
    // A second push of the same version fails: versions are immutable.
    let again = cli
        .run(&["push", &files[0], "-Source", &source, "-ApiKey", ADMIN_KEY])
        .await;
    again.assert_failure();
    assert!(
        again.stdout.contains("409") || again.stderr.contains("409") || again.stderr.contains("Conflict"),
        "{again}"
    );

    // `nuget list` goes through the index's LegacyGallery (the v2 feed).
    let listed = cli.run(&["list", "Acme", "-Source", &source]).await;
    listed.assert_success();
    assert!(
        listed.stdout.contains("Acme.Tool 2.1.0") && listed.stdout.contains("Acme.Base 1.0.0"),
        "{listed}"
    );
    let pre = cli
        .run(&["list", "Acme.Tool", "-Source", &source, "-Prerelease"])
        .await;
    assert!(
        pre.assert_success().stdout.contains("Acme.Tool 3.0.0-beta.2"),
        "{pre}"
    );

    // Install with its dependency; the files on disk are the bytes pushed.
    cli.run(&[
        "install",
        "Acme.Tool",
        "-Version",
        "2.1.0",
        "-Source",
        &source,
        "-OutputDirectory",
        "out",
    ])
    .await
    .assert_success();
    let out = cli.work_dir().join("out");
    assert_eq!(
        std::fs::read(out.join("Acme.Tool.2.1.0/Acme.Tool.2.1.0.nupkg")).expect("installed"),
        tool
    );
    assert_eq!(
        std::fs::read(out.join("Acme.Base.1.0.0/Acme.Base.1.0.0.nupkg")).expect("dependency installed"),
        base
    );

    // Latest with -Prerelease picks the beta; a SemVer 2 version installs by its version.
    cli.run(&[
        "install",
        "Acme.Tool",
        "-Prerelease",
        "-Source",
        &source,
        "-OutputDirectory",
        "pre",
    ])
    .await
    .assert_success();
    assert_eq!(
        std::fs::read(
            cli.work_dir()
                .join("pre/Acme.Tool.3.0.0-beta.2/Acme.Tool.3.0.0-beta.2.nupkg")
        )
        .expect("beta"),
        beta
    );
    cli.run(&[
        "install",
        "Acme.Stamped",
        "-Version",
        "1.0.0",
        "-Source",
        &source,
        "-OutputDirectory",
        "sv2",
    ])
    .await
    .assert_success();
    assert_eq!(
        std::fs::read(
            cli.work_dir()
                .join("sv2/Acme.Stamped.1.0.0/Acme.Stamped.1.0.0.nupkg")
        )
        .expect("semver2"),
        semver2
    );

    // `nuget delete` unlists: gone from search, still restorable by version.
    cli.run(&[
        "delete",
        "Acme.Base",
        "1.0.0",
        "-Source",
        &source,
        "-ApiKey",
        ADMIN_KEY,
    ])
    .await
    .assert_success();
    let search: serde_json::Value = app
        .anonymous(Method::GET, "/nuget/nuget-dev/v3/search?q=acme.base")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(search["totalHits"], 0, "{search}");
    let after = cli.run(&["list", "Acme", "-Source", &source]).await;
    assert!(!after.assert_success().stdout.contains("Acme.Base"), "{after}");
    let listed: serde_json::Value = app
        .admin_json("/api/packages/nuget-dev/versions?name=Acme.Base&version=1.0.0")
        .await;
    assert_eq!(listed[0]["listed"], false);
    cli.run(&[
        "install",
        "Acme.Base",
        "-Version",
        "1.0.0",
        "-Source",
        &source,
        "-OutputDirectory",
        "again",
        "-NoCache",
    ])
    .await
    .assert_success();
}

#[tokio::test]
async fn packages_config_restores_from_approved_only_after_promotion() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("unapproved-nuget", "nuget").await;
    let response = app
        .admin(Method::POST, "/api/management/feeds/create")
        .json(&json!({"name": "approved-nuget", "feedType": "nuget", "usage": "validated"}))
        .send()
        .await
        .expect("request");
    expect_status(response, StatusCode::CREATED, "approved feed").await;
    app.update_feed("unapproved-nuget", json!({"promoteToFeed": "approved-nuget"}))
        .await;

    let cli = NuGetCli::required();
    let json_pkg = nupkg("Newtonsoft.Json", "13.0.1", &[]);
    let file = write_package(&cli, "Newtonsoft.Json", "13.0.1", &json_pkg);
    cli.run(&[
        "push",
        &file,
        "-Source",
        &v3_source(&app, "unapproved-nuget"),
        "-ApiKey",
        ADMIN_KEY,
    ])
    .await
    .assert_success();
    std::fs::write(
        cli.work_dir().join("packages.config"),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n  \
         <package id=\"Newtonsoft.Json\" version=\"13.0.1\" targetFramework=\"net48\" />\n</packages>\n",
    )
    .expect("packages.config");
    let approved = v3_source(&app, "approved-nuget");
    let restore = |dir: &'static str| {
        let approved = approved.clone();
        let cli = &cli;
        async move {
            cli.run(&[
                "restore",
                "packages.config",
                "-PackagesDirectory",
                dir,
                "-Source",
                &approved,
                "-NoCache",
            ])
            .await
        }
    };

    let before = restore("before").await;
    before.assert_failure();
    assert!(
        !cli.work_dir().join("before/Newtonsoft.Json.13.0.1").exists(),
        "nothing restored before the promotion: {before}"
    );

    let promoted = app
        .admin(Method::POST, "/api/promotions/promote")
        .json(
            &json!({"fromFeed": "unapproved-nuget", "toFeed": "approved-nuget",
                      "name": "Newtonsoft.Json", "version": "13.0.1", "comments": "license reviewed"}),
        )
        .send()
        .await
        .expect("request");
    expect_status(promoted, StatusCode::OK, "promotion").await;

    restore("after").await.assert_success();
    assert_eq!(
        std::fs::read(
            cli.work_dir()
                .join("after/Newtonsoft.Json.13.0.1/Newtonsoft.Json.13.0.1.nupkg")
        )
        .expect("restored"),
        json_pkg
    );
    let promotions = app
        .admin_json("/api/promotions/list?toFeed=approved-nuget&packageName=Newtonsoft.Json")
        .await;
    assert_eq!(promotions[0]["packageType"], "nuget");
    assert_eq!(promotions[0]["promotions"][0]["comments"], "license reviewed");
}
