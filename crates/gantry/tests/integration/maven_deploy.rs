//! Maven feeds under the ways artifacts really arrive (issue #20): plain
//! `PUT`s without checksums or metadata, concurrent and out-of-order
//! deploys, downloads carrying deployment headers, validated feeds, the
//! `gantry` command line, and `mvn deploy` of a real project.

use gantry_test_support::maven::{
    send_in_order, without_last_updated, write_jar_project, ArtifactMetadata, MavenArtifact, MavenCli,
    MavenCredentials,
};
use gantry_test_support::{backend_test, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha1::{Digest as _, Sha1};
use sha2::{Sha256, Sha512};

use crate::cli_support::GantryCli;
use crate::expect_status;

fn mvn() -> Option<MavenCli> {
    let cli = MavenCli::from_env();
    if cli.is_none() {
        eprintln!("skipped: GANTRY_TEST_MVN is not set (scripts/test-setup installs mvn)");
    }
    cli
}

/// The body of a `GET` as the admin, asserting a 200.
async fn get_bytes(app: &TestApp, path: &str) -> Vec<u8> {
    let response = app.admin(Method::GET, path).send().await.expect("request");
    let status = response.status();
    let body = response.bytes().await.expect("body").to_vec();
    assert_eq!(
        status,
        StatusCode::OK,
        "[{:?}] GET {path}: {}",
        app.backend,
        String::from_utf8_lossy(&body)
    );
    body
}

async fn get_text(app: &TestApp, path: &str) -> String {
    String::from_utf8(get_bytes(app, path).await).expect("UTF-8")
}

/// The artifact's `maven-metadata.xml`, read.
async fn metadata(app: &TestApp, feed: &str, artifact: &MavenArtifact) -> ArtifactMetadata {
    ArtifactMetadata::parse(&get_text(app, &artifact.metadata_path(feed)).await)
}

/// The SHA-1, SHA-256 and SHA-512 of `bytes` in hex, by checksum extension.
fn digests(bytes: &[u8]) -> [(&'static str, String); 3] {
    [
        ("sha1", hex::encode(Sha1::digest(bytes))),
        ("sha256", hex::encode(Sha256::digest(bytes))),
        ("sha512", hex::encode(Sha512::digest(bytes))),
    ]
}

/// `<latest>` and `<release>`.
fn latest_and_release(read: &ArtifactMetadata) -> [Option<&str>; 2] {
    [read.latest.as_deref(), read.release.as_deref()]
}

async fn promote(app: &TestApp, from: &str, to: &str, artifact: &MavenArtifact) -> Value {
    let response = app
        .admin(Method::POST, "/api/promotions/promote")
        .json(&json!({"fromFeed": from, "toFeed": to, "group": artifact.group,
                      "name": artifact.artifact, "version": artifact.version}))
        .send()
        .await
        .expect("promote");
    let body = expect_status(response, StatusCode::OK, &format!("{:?} promote", app.backend)).await;
    serde_json::from_str(&body).expect("JSON")
}

backend_test! {
    /// `mvn -C` (strict checksums) resolves a version uploaded with plain
    /// `PUT`s of its jar and pom only — no checksum files, no
    /// maven-metadata.xml — so the server answers the checksums itself; and
    /// what it serves for that version (files, their four checksums, the
    /// metadata and its checksums) is what it serves after `mvn
    /// deploy-file` of the same files into another feed.
    async fn plain_puts_serve_what_mvn_deploy_file_serves(app: TestApp) {
        let Some(mvn) = mvn() else { return };
        let mvn = mvn.with_strict_checksums(true);
        let ctx = format!("{:?}", app.backend);
        app.create_feed("plain", "maven").await;
        app.create_feed("deployed", "maven").await;
        let widget = MavenArtifact::new("org.acme.tools", "widget", "1.0");
        let (status, body) = widget.put(&app, "plain").await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");

        let resolved = mvn
            .dependency_get(&app.url("/maven2/plain/"), "plain", None, &widget.coordinates())
            .await;
        assert_eq!(resolved.expect_ok().artifact_bytes(), widget.jar.as_slice(), "{ctx}");

        let jar = mvn.write_file("widget-1.0.jar", &widget.jar);
        let pom = mvn.write_file("widget-1.0.pom", &widget.pom);
        let key = MavenCredentials::api_key(ADMIN_KEY);
        mvn.deploy_file(&app.url("/maven2/deployed/"), "deployed", Some(&key), &jar, Some(&pom),
            &widget.group, &widget.artifact, &widget.version, &[])
            .await
            .expect_ok();

        for (extension, bytes) in [("jar", widget.jar.clone()), ("pom", widget.pom.clone().into_bytes())] {
            assert_eq!(get_bytes(&app, &widget.path("plain", extension)).await, bytes, "{ctx}");
            for (algorithm, digest) in digests(&bytes) {
                let file = format!("{extension}.{algorithm}");
                let served = get_text(&app, &widget.path("plain", &file)).await;
                assert_eq!(served, digest, "{ctx}: {file} is the bare hex digest");
            }
            for suffix in ["", ".md5", ".sha1", ".sha256", ".sha512"] {
                let file = format!("{extension}{suffix}");
                assert_eq!(
                    get_bytes(&app, &widget.path("plain", &file)).await,
                    get_bytes(&app, &widget.path("deployed", &file)).await,
                    "{ctx}: {file} is the same in both feeds"
                );
            }
        }

        let plain = get_text(&app, &widget.metadata_path("plain")).await;
        let deployed = get_text(&app, &widget.metadata_path("deployed")).await;
        assert_eq!(without_last_updated(&plain), without_last_updated(&deployed), "{ctx}");
        let read = ArtifactMetadata::parse(&plain);
        assert_eq!(latest_and_release(&read), [Some("1.0"); 2], "{ctx}: {plain}");
        assert_eq!(read.versions, ["1.0"], "{ctx}");
        for (feed, body) in [("plain", &plain), ("deployed", &deployed)] {
            for (algorithm, digest) in digests(body.as_bytes()) {
                let path = format!("{}.{algorithm}", widget.metadata_path(feed));
                assert_eq!(get_text(&app, &path).await, digest, "{ctx}: {path} is the served body's");
            }
            let md5 = get_text(&app, &format!("{}.md5", widget.metadata_path(feed))).await;
            assert!(md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit()), "{ctx}: {md5}");
        }
    }
}

/// Twenty versions of one artifact, in Maven's order (not the lexical one:
/// `1.9` < `1.10`, `2.0-alpha-1` < `2.0-rc-1` < `2.0`).
const VERSIONS: [&str; 20] = [
    "1.0",
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "1.6",
    "1.7",
    "1.8",
    "1.9",
    "1.10",
    "1.11",
    "1.12",
    "2.0-alpha-1",
    "2.0-beta-2",
    "2.0-rc-1",
    "2.0",
    "2.0.1",
    "2.1",
    "10.0",
];

backend_test! {
    /// Twenty versions deployed at once (each its jar then its pom, from
    /// tokio tasks of their own) all reach `maven-metadata.xml`, in Maven's
    /// order, `latest` and `release` the highest; a version deleted through
    /// the packages API leaves it, and the metadata's `.sha1` follows the
    /// served body.
    async fn concurrent_deploys_all_reach_the_metadata(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        let artifacts: Vec<MavenArtifact> =
            VERSIONS.iter().map(|v| MavenArtifact::new("org.acme", "engine", v)).collect();
        let mut tasks = tokio::task::JoinSet::new();
        // Highest first, so that deploy order is not version order.
        for artifact in artifacts.iter().rev() {
            tasks.spawn(send_in_order(artifact.put_requests(&app, "libs")));
        }
        while let Some(done) = tasks.join_next().await {
            let (status, body) = done.expect("the task ran");
            assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        }

        let engine = &artifacts[0];
        let read = metadata(&app, "libs", engine).await;
        assert_eq!(read.versions, VERSIONS, "{ctx}");
        assert_eq!(latest_and_release(&read), [Some("10.0"); 2], "{ctx}");

        let deleted = app
            .admin(Method::POST, "/api/packages/libs/delete?group=org.acme&name=engine&version=10.0")
            .send()
            .await
            .expect("delete");
        expect_status(deleted, StatusCode::OK, &ctx).await;
        let body = get_text(&app, &engine.metadata_path("libs")).await;
        let read = ArtifactMetadata::parse(&body);
        assert_eq!(read.versions, VERSIONS[..19], "{ctx}: 10.0 left the metadata");
        assert_eq!(latest_and_release(&read), [Some("2.1"); 2], "{ctx}");
        let sha1 = get_text(&app, &format!("{}.sha1", engine.metadata_path("libs"))).await;
        assert_eq!(sha1, hex::encode(Sha1::digest(body.as_bytes())), "{ctx}");
    }
}

backend_test! {
    /// `mvn deploy-file` of 2.0 and then of 1.5: mvn uploads its own merged
    /// metadata naming the last deployed version (1.5) as the release, but
    /// the server serves its own, in which the release stays 2.0.
    async fn an_older_version_deployed_last_is_not_the_release(app: TestApp) {
        let Some(mvn) = mvn() else { return };
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        let key = MavenCredentials::api_key(ADMIN_KEY);
        let url = app.url("/maven2/libs/");
        for version in ["2.0", "1.5"] {
            let artifact = MavenArtifact::new("org.acme", "widget", version);
            let jar = mvn.write_file(&format!("widget-{version}.jar"), &artifact.jar);
            let pom = mvn.write_file(&format!("widget-{version}.pom"), &artifact.pom);
            mvn.deploy_file(&url, "libs", Some(&key), &jar, Some(&pom), "org.acme", "widget", version, &[])
                .await
                .expect_ok();
        }
        let read = metadata(&app, "libs", &MavenArtifact::new("org.acme", "widget", "2.0")).await;
        assert_eq!(read.versions, ["1.5", "2.0"], "{ctx}");
        assert_eq!(latest_and_release(&read), [Some("2.0"); 2], "{ctx}");
    }
}

backend_test! {
    /// A download of a Maven file with ProGet's deployment headers records
    /// one deployment of its version (group, name, version); the same
    /// headers on a checksum or on `maven-metadata.xml` record nothing.
    async fn deployment_headers_record_file_downloads_only(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        let widget = MavenArtifact::new("org.acme", "widget", "1.0");
        let (status, body) = widget.put(&app, "libs").await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        let get_deploying = |path: String| {
            app.anonymous(Method::GET, &path)
                .header("X-ProGet-Deployment-Application", "Octopus")
                .header("X-ProGet-Deployment-Description", "release 7")
                .header("X-ProGet-Deployment-Target", "web01")
                .send()
        };
        let records = || app.admin_json("/api/package-deployment/list?feed=libs");

        let jar = get_deploying(widget.path("libs", "jar")).await.expect("request");
        assert_eq!(jar.status(), StatusCode::OK, "{ctx}");
        let note = jar.headers()["x-gantry-deployment"].to_str().expect("text").to_owned();
        assert!(note.starts_with("recorded (id "), "{ctx}: {note}");
        assert_eq!(jar.bytes().await.expect("body").to_vec(), widget.jar, "{ctx}");
        let list = records().await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{ctx}: {list}");
        let record = &list[0];
        assert_eq!(
            (&record["group"], &record["name"], &record["version"]),
            (&json!("org.acme"), &json!("widget"), &json!("1.0")),
            "{ctx}: {record}"
        );
        assert_eq!((&record["packageType"], &record["target"]), (&json!("maven"), &json!("web01")), "{ctx}");

        for path in [
            widget.path("libs", "jar.sha1"),
            widget.metadata_path("libs"),
            format!("{}.sha1", widget.metadata_path("libs")),
        ] {
            let response = get_deploying(path.clone()).await.expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{ctx}: {path}");
            assert!(response.headers().get("x-gantry-deployment").is_none(), "{ctx}: {path}");
        }
        assert_eq!(records().await.as_array().map(Vec::len), Some(1), "{ctx}: nothing more recorded");
    }
}

backend_test! {
    /// A validated feed refuses a release jar `PUT` to it with a 403 that
    /// says to promote, stores nothing, and takes the version by promotion
    /// (its files and metadata served from then on).
    async fn a_validated_feed_takes_maven_versions_only_by_promotion(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        let created = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "approved", "feedType": "maven", "usage": "validated"}))
            .send()
            .await
            .expect("request");
        expect_status(created, StatusCode::CREATED, &ctx).await;
        app.create_feed("builds", "maven").await;
        let widget = MavenArtifact::new("org.acme", "widget", "1.0");

        let (status, text) = widget.put(&app, "approved").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {text}");
        assert!(text.contains("promot"), "{ctx}: the refusal says to promote: {text}");
        app.assert_nothing_stored("approved").await;

        let (status, text) = widget.put(&app, "builds").await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {text}");
        assert_eq!(promote(&app, "builds", "approved", &widget).await["packageType"], "maven", "{ctx}");
        assert_eq!(get_bytes(&app, &widget.path("approved", "jar")).await, widget.jar, "{ctx}");
        assert_eq!(get_bytes(&app, &widget.path("approved", "pom")).await, widget.pom.as_bytes(), "{ctx}");
        let read = metadata(&app, "approved", &widget).await;
        assert_eq!(read.release.as_deref(), Some("1.0"), "{ctx}");
    }
}

backend_test! {
    /// The `gantry` command line on a Maven feed, the package named
    /// `groupId/artifactId` (a dotted group): `packages list` and `versions`
    /// show it, `download` saves the deployed jar, `promote` carries it to
    /// another feed.
    async fn the_command_line_lists_downloads_and_promotes_maven_versions(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("dev", "maven").await;
        app.create_feed("prod", "maven").await;
        let old = MavenArtifact::new("org.acme.tools", "widget", "1.0");
        let new = MavenArtifact::new("org.acme.tools", "widget", "1.1");
        for artifact in [&old, &new] {
            let (status, body) = artifact.put(&app, "dev").await;
            assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        }
        let cli = GantryCli::for_app(&app).await;
        let package = "--package=org.acme.tools/widget";

        let listed = cli.run(&["packages", "list", "--feed=dev", "--json"]).await.json();
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{ctx}: {listed}");
        assert_eq!(
            (&listed[0]["group"], &listed[0]["name"], &listed[0]["version"]),
            (&json!("org.acme.tools"), &json!("widget"), &json!("1.1")),
            "{ctx}: {listed}"
        );
        let versions = cli.run(&["packages", "versions", "--feed=dev", package, "--json"]).await.json();
        let names: Vec<&str> = versions
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|v| v["version"].as_str())
            .collect();
        assert_eq!(names, ["1.0", "1.1"], "{ctx}: {versions}");
        assert_eq!(versions[0]["sha256"], hex::encode(Sha256::digest(&old.jar)), "{ctx}: the jar's");

        let work = tempfile::tempdir().expect("temp dir");
        let target = work.path().join("widget.jar");
        let output = format!("--output-file={}", target.display());
        let downloaded = cli
            .run(&["packages", "download", "--feed=dev", package, "--version=1.0", &output, "--json"])
            .await
            .json();
        assert_eq!(downloaded["verified"], true, "{ctx}: {downloaded}");
        assert_eq!(std::fs::read(&target).expect("downloaded"), old.jar, "{ctx}");

        let promoted = cli
            .run(&["packages", "promote", "--feed=dev", "--to-feed=prod", package, "--version=1.0", "--json"])
            .await
            .json();
        assert_eq!(promoted["packageType"], "maven", "{ctx}: {promoted}");
        assert_eq!(get_bytes(&app, &old.path("prod", "jar")).await, old.jar, "{ctx}");
        assert_eq!(metadata(&app, "prod", &old).await.versions, ["1.0"], "{ctx}");
    }
}

backend_test! {
    /// `mvn deploy` of a one-class jar project — built with Debian's
    /// plugins (pinned in its pom), the feed in its `distributionManagement`
    /// and the key in settings.xml — stores one version holding the pom and
    /// the jar; `dependency:get` from a fresh local repository then
    /// resolves the very jar mvn built.
    async fn mvn_deploy_of_a_project_resolves_with_dependency_get(app: TestApp) {
        let Some(mvn) = mvn() else { return };
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        let url = app.url("/maven2/libs/");
        let project = mvn.work_dir().join("greeter");
        let pom = write_jar_project(&project, "org.acme.app", "greeter", "1.0", "libs", &url);
        mvn.deploy_project(&pom, "libs", Some(&MavenCredentials::api_key(ADMIN_KEY)))
            .await
            .expect_ok();
        let built = std::fs::read(project.join("target/greeter-1.0.jar")).expect("the jar mvn built");
        let built_sha1 = hex::encode(Sha1::digest(&built));

        let versions = app.admin_json("/api/packages/libs/versions?group=org.acme.app&name=greeter").await;
        assert_eq!(versions.as_array().map(Vec::len), Some(1), "{ctx}: {versions}");
        assert_eq!(versions[0]["sha1"], built_sha1, "{ctx}: the version's main file is the jar");
        let greeter = MavenArtifact::new("org.acme.app", "greeter", "1.0");
        let pom_bytes = std::fs::read(&pom).expect("pom");
        assert_eq!(get_bytes(&app, &greeter.path("libs", "pom")).await, pom_bytes, "{ctx}");
        assert_eq!(metadata(&app, "libs", &greeter).await.release.as_deref(), Some("1.0"), "{ctx}");

        let resolved = mvn.dependency_get(&url, "libs", None, &greeter.coordinates()).await;
        assert_eq!(hex::encode(Sha1::digest(resolved.expect_ok().artifact_bytes())), built_sha1, "{ctx}");
    }
}
