//! NuGet through connectors: a proxy feed serves the packages of an
//! upstream NuGet v3 source (here a second Gantry on loopback), stores each
//! on its first download, and keeps serving what it stored with the
//! upstream down.

use gantry_store::sql::Backend;
use gantry_test_support::nuget::nupkg;
use gantry_test_support::{NuGetCli, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

struct Packages {
    base: Vec<u8>,
    tool: Vec<u8>,
}

/// An upstream Gantry with a NuGet feed `origin`: `Acme.Base` 1.0.0,
/// `Acme.Tool` 2.1.0 (depending on `Acme.Base`) and 3.0.0-beta,
/// `Acme.Other` 1.0.0, `Acme.Hidden.Beta` 1.0.0 and `Acme.Gone` 1.0.0
/// (unlisted).
async fn upstream_with_packages() -> (TestApp, Packages) {
    let upstream = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    upstream.create_feed("origin", "nuget").await;
    let base = nupkg("Acme.Base", "1.0.0", &[]);
    let tool = nupkg("Acme.Tool", "2.1.0", &[("Acme.Base", "[1.0.0, )")]);
    for package in [
        base.clone(),
        tool.clone(),
        nupkg("Acme.Tool", "3.0.0-beta", &[("Acme.Base", "[1.0.0, )")]),
        nupkg("Acme.Other", "1.0.0", &[]),
        nupkg("Acme.Hidden.Beta", "1.0.0", &[]),
        nupkg("Acme.Gone", "1.0.0", &[]),
    ] {
        let (status, body) = upstream.push_nupkg("origin", ADMIN_KEY, package).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let response = upstream
        .anonymous(Method::DELETE, "/nuget/origin/Acme.Gone/1.0.0")
        .header("X-NuGet-ApiKey", ADMIN_KEY)
        .send()
        .await
        .expect("request");
    expect_status(response, StatusCode::OK, "unlist upstream").await;
    (upstream, Packages { base, tool })
}

fn upstream_index(upstream: &TestApp) -> String {
    upstream.url("/nuget/origin/v3/index.json")
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let (status, body) = get(app, path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).expect("JSON")
}

/// `nuget install {id} -Version {version}` from `source` into `out`.
async fn install(
    cli: &NuGetCli,
    source: &str,
    id: &str,
    version: &str,
    out: &str,
) -> gantry_test_support::nuget::CliOutput {
    cli.run(&[
        "install",
        id,
        "-Version",
        version,
        "-Source",
        source,
        "-OutputDirectory",
        out,
        "-NonInteractive",
    ])
    .await
}

/// The feed `public`'s history of a version, once it has any (a first
/// download streams to the client while the version is being stored).
async fn stored_history(app: &TestApp, id: &str, version: &str) -> Value {
    let path = format!("/api/packages/public/history?name={id}&version={version}");
    for _ in 0..100 {
        let response = app.admin(Method::GET, &path).send().await.expect("request");
        if response.status() == StatusCode::OK {
            let history: Value = response.json().await.expect("JSON");
            if history.as_array().is_some_and(|h| !h.is_empty()) {
                return history;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} {version} was never stored");
}

fn strings<'a>(value: &'a Value, pointer: &str) -> Vec<&'a str> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.pointer(pointer).and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_proxy_nuget_feed_shows_the_upstream_and_keeps_what_it_served() {
    let (upstream, packages) = upstream_with_packages().await;
    let url = upstream_index(&upstream);
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_proxy_feed("public", "up", "nuget", &url, json!({}))
            .await;

        // Flat container, registration, search and v2 see the upstream.
        let flat = get_json(&app, "/nuget/public/v3/flatcontainer/acme.tool/index.json").await;
        assert_eq!(flat["versions"], json!(["2.1.0", "3.0.0-beta"]), "{ctx}");
        let registration = get_json(&app, "/nuget/public/v3/registrations/acme.tool/index.json").await;
        let leaves = &registration["items"][0]["items"];
        assert_eq!(
            strings(leaves, "/catalogEntry/version"),
            ["2.1.0", "3.0.0-beta"],
            "{ctx}"
        );
        assert_eq!(
            leaves[0]["catalogEntry"]["dependencyGroups"][0]["dependencies"][0]["id"], "Acme.Base",
            "{ctx}: {registration}"
        );
        assert!(
            leaves[0]["packageContent"]
                .as_str()
                .is_some_and(|u| u.contains("/nuget/public/")),
            "{ctx}: downloads go through the proxy feed"
        );
        let search = get_json(
            &app,
            "/nuget/public/v3/search?q=Acme&prerelease=true&semVerLevel=2.0.0",
        )
        .await;
        let mut ids = strings(&search["data"], "/id");
        ids.sort_unstable();
        assert_eq!(
            ids,
            ["Acme.Base", "Acme.Hidden.Beta", "Acme.Other", "Acme.Tool"],
            "{ctx}: {search}"
        );
        // An unlisted upstream version stays unlisted: restorable, not searchable.
        let gone = get_json(&app, "/nuget/public/v3/registrations/acme.gone/index.json").await;
        assert_eq!(
            gone["items"][0]["items"][0]["catalogEntry"]["listed"], false,
            "{ctx}: {gone}"
        );
        let flat = get_json(&app, "/nuget/public/v3/flatcontainer/acme.gone/index.json").await;
        assert_eq!(flat["versions"], json!(["1.0.0"]), "{ctx}");

        let (status, body) = get(&app, "/nuget/public/FindPackagesById()?id='Acme.Tool'").await;
        let atom = String::from_utf8_lossy(&body);
        assert_eq!(status, StatusCode::OK, "{ctx}: {atom}");
        assert!(atom.contains("2.1.0"), "{ctx}: {atom}");
        let (status, body) = get(
            &app,
            "/nuget/public/Packages()?$filter=(tolower(Id)%20eq%20'acme.other')%20and%20IsLatestVersion",
        )
        .await;
        let atom = String::from_utf8_lossy(&body);
        assert_eq!(status, StatusCode::OK, "{ctx}: {atom}");
        assert!(
            atom.contains("Acme.Other"),
            "{ctx}: Chocolatey's lookup by id: {atom}"
        );
        let (status, body) = get(&app, "/nuget/public/Packages(Id='Acme.Tool',Version='2.1.0')").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{ctx}: {}",
            String::from_utf8_lossy(&body)
        );

        // The first download streams the upstream's bytes and stores them.
        let (status, bytes) = get(
            &app,
            "/nuget/public/v3/flatcontainer/acme.tool/2.1.0/acme.tool.2.1.0.nupkg",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert!(bytes == packages.tool, "{ctx}: the upstream's bytes");
        // The client may have every byte before the version is recorded.
        let history = stored_history(&app, "Acme.Tool", "2.1.0").await;
        assert_eq!(history[0]["action"], "added", "{ctx}: {history}");
        assert_eq!(history[0]["user"], "SYSTEM", "{ctx}");
        assert_eq!(history[0]["details"]["connector"], "up", "{ctx}");
        // Stored now: the registration carries its hash.
        let registration = get_json(&app, "/nuget/public/v3/registrations/acme.tool/index.json").await;
        assert!(
            registration["items"][0]["items"][0]["catalogEntry"]["packageHash"].is_string(),
            "{ctx}: {registration}"
        );

        // The .nuspec of a version only proxied so far is fetched and served.
        let (status, body) = get(
            &app,
            "/nuget/public/v3/flatcontainer/acme.base/1.0.0/acme.base.nuspec",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert!(String::from_utf8_lossy(&body).contains("Acme.Base"), "{ctx}");

        // A version neither has is a clean 404.
        let (status, _) = get(
            &app,
            "/nuget/public/v3/flatcontainer/acme.tool/9.9.9/acme.tool.9.9.9.nupkg",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");

        // Filters hide what they block.
        let response = app
            .admin(Method::POST, "/api/management/connectors/update/up")
            .json(&json!({"filters": ["!*.Beta"]}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let (status, _) = get(&app, "/nuget/public/v3/flatcontainer/acme.hidden.beta/index.json").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
        let (status, _) = get(
            &app,
            "/nuget/public/v3/flatcontainer/acme.hidden.beta/1.0.0/acme.hidden.beta.1.0.0.nupkg",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
        let search = get_json(&app, "/nuget/public/v3/search?q=Acme&prerelease=true").await;
        assert!(
            !strings(&search["data"], "/id").contains(&"Acme.Hidden.Beta"),
            "{ctx}: {search}"
        );
        let flat = get_json(&app, "/nuget/public/v3/flatcontainer/acme.tool/index.json").await;
        assert_eq!(flat["versions"], json!(["2.1.0", "3.0.0-beta"]), "{ctx}");
    }
    let _ = packages.base;
}

#[tokio::test]
async fn nuget_exe_installs_through_a_proxy_feed_and_from_its_cache_with_the_upstream_down() {
    let (upstream, packages) = upstream_with_packages().await;
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let settings = json!({"timeout": 2, "metadataCacheEnabled": false});
    app.create_proxy_feed("public", "up", "nuget", &upstream_index(&upstream), settings)
        .await;
    app.create_feed("approved", "nuget").await;
    let source = app.url("/nuget/public/v3/index.json");
    // With the upstream up: the package and its dependency install.
    let cli = NuGetCli::required();
    install(&cli, &source, "Acme.Tool", "2.1.0", "out")
        .await
        .assert_success();
    let out = cli.work_dir().join("out");
    assert_eq!(
        std::fs::read(out.join("Acme.Tool.2.1.0/Acme.Tool.2.1.0.nupkg")).expect("installed"),
        packages.tool
    );
    assert_eq!(
        std::fs::read(out.join("Acme.Base.1.0.0/Acme.Base.1.0.0.nupkg")).expect("dependency"),
        packages.base
    );

    // Both are stored (the client may finish before the feed records them).
    stored_history(&app, "Acme.Tool", "2.1.0").await;
    stored_history(&app, "Acme.Base", "1.0.0").await;
    upstream.stop().await;

    // A fresh client (no HTTP cache, no global packages) installs the same
    // from what the feed stored.
    let fresh = NuGetCli::required();
    install(&fresh, &source, "Acme.Tool", "2.1.0", "again")
        .await
        .assert_success();
    assert_eq!(
        std::fs::read(
            fresh
                .work_dir()
                .join("again/Acme.Tool.2.1.0/Acme.Tool.2.1.0.nupkg")
        )
        .expect("installed from the cache"),
        packages.tool
    );

    // What the feed never stored fails cleanly.
    install(&fresh, &source, "Acme.Other", "1.0.0", "other")
        .await
        .assert_failure();
    let (status, body) = get(
        &app,
        "/nuget/public/v3/flatcontainer/acme.other/1.0.0/acme.other.1.0.0.nupkg",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let connector = app.admin_json("/api/management/connectors/get/up").await;
    assert_eq!(connector["status"], "unhealthy", "{connector}");

    // Promoted into an approved feed, the cached versions install from there.
    for id in ["Acme.Base", "Acme.Tool"] {
        let version = if id == "Acme.Tool" { "2.1.0" } else { "1.0.0" };
        let response = app
            .admin(Method::POST, "/api/promotions/promote")
            .json(&json!({"packageName": id, "version": version, "fromFeed": "public", "toFeed": "approved"}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, id).await;
    }
    let approved = NuGetCli::required();
    install(
        &approved,
        &app.url("/nuget/approved/v3/index.json"),
        "Acme.Tool",
        "2.1.0",
        "approved",
    )
    .await
    .assert_success();
    assert!(approved
        .work_dir()
        .join("approved/Acme.Base.1.0.0/Acme.Base.1.0.0.nupkg")
        .exists());
}
