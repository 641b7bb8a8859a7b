//! Maven feeds with the real client: mvn 3.8 deploys to and resolves from
//! `/maven2/{feed}/`, promotion carries every file of a version, and the
//! repository answers checksums and `maven-metadata.xml` itself.

use gantry_test_support::maven::{maven_jar, maven_pom, MavenCli, MavenCredentials};
use gantry_test_support::{backend_test, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

fn mvn() -> Option<MavenCli> {
    let cli = MavenCli::from_env();
    if cli.is_none() {
        eprintln!("skipped: GANTRY_TEST_MVN is not set (scripts/test-setup installs mvn)");
    }
    cli
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.admin(Method::GET, path).send().await.expect("request");
    (response.status(), response.text().await.expect("body"))
}

backend_test! {
    async fn mvn_deploys_and_resolves_only_after_promotion(app: TestApp) {
        let Some(mvn) = mvn() else { return };
        let ctx = format!("{:?}", app.backend);
        app.create_feed("unapproved", "maven").await;
        app.create_feed("approved", "maven").await;
        let key = MavenCredentials::api_key(ADMIN_KEY);
        let jar = mvn.write_file("widget-1.0.jar", maven_jar("org.acme", "widget", "1.0"));
        let pom = mvn.write_file("widget-1.0.pom", maven_pom("org.acme", "widget", "1.0", "jar"));
        let sources = mvn.write_file("widget-1.0-sources.jar", maven_jar("org.acme", "widget-sources", "1.0"));
        let unapproved = app.url("/maven2/unapproved/");
        let approved = app.url("/maven2/approved/");
        mvn.deploy_file(&unapproved, "unapproved", Some(&key), &jar, Some(&pom), "org.acme", "widget", "1.0",
            &[("sources", &sources)])
            .await
            .expect_ok();

        // One version holding three files; checksums and metadata answered.
        let versions = app.admin_json("/api/packages/unapproved/versions?group=org.acme&name=widget").await;
        assert_eq!(versions.as_array().map(Vec::len), Some(1), "{ctx}: {versions}");
        assert_eq!(versions[0]["purl"], "pkg:maven/org.acme/widget@1.0", "{ctx}");
        let jar_bytes = std::fs::read(&jar).expect("jar");
        let jar_sha1 = hex::encode(Sha1::digest(&jar_bytes));
        let (status, sha1) = get(&app, "/maven2/unapproved/org/acme/widget/1.0/widget-1.0.jar.sha1").await;
        assert_eq!((status, sha1.trim()), (StatusCode::OK, jar_sha1.as_str()), "{ctx}");
        let (status, metadata) = get(&app, "/maven2/unapproved/org/acme/widget/maven-metadata.xml").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert!(metadata.contains("<release>1.0</release>"), "{ctx}: {metadata}");
        let (status, _) = get(&app, "/maven2/unapproved/org/acme/widget/1.0/widget-1.0-sources.jar").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");

        // Not in approved yet: mvn fails to resolve it there.
        mvn.dependency_get(&approved, "approved", Some(&key), "org.acme:widget:1.0")
            .await
            .expect_failure();

        let promoted = app
            .admin(Method::POST, "/api/promotions/promote")
            .json(&json!({"fromFeed": "unapproved", "toFeed": "approved", "group": "org.acme",
                          "name": "widget", "version": "1.0", "comments": "reviewed"}))
            .send()
            .await
            .expect("promote");
        assert_eq!(promoted.status(), StatusCode::OK, "{ctx}");
        let answer: Value = promoted.json().await.expect("JSON");
        assert_eq!(answer["packageType"], "maven", "{ctx}: {answer}");

        let resolved = mvn.dependency_get(&approved, "approved", Some(&key), "org.acme:widget:1.0").await;
        resolved.expect_ok();
        assert_eq!(
            hex::encode(Sha1::digest(resolved.artifact_bytes())),
            jar_sha1,
            "{ctx}: the resolved jar is the deployed one"
        );
        let (status, _) = get(&app, "/maven2/approved/org/acme/widget/1.0/widget-1.0-sources.jar").await;
        assert_eq!(status, StatusCode::OK, "{ctx}: every file of the version was promoted");
    }
}

backend_test! {
    async fn release_files_never_change_and_checksums_are_checked(app: TestApp) {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        let path = "/maven2/libs/org/acme/tool/2.0/tool-2.0.jar";
        let put = |path: &str, body: Vec<u8>| {
            app.admin(Method::PUT, path).body(body).send()
        };
        let jar = maven_jar("org.acme", "tool", "2.0");
        assert_eq!(put(path, jar.clone()).await.expect("PUT").status(), StatusCode::CREATED, "{ctx}");
        // The same bytes again: accepted; other bytes: refused, the stored ones stay.
        assert_eq!(put(path, jar.clone()).await.expect("PUT").status(), StatusCode::CREATED, "{ctx}");
        assert_eq!(put(path, b"other".to_vec()).await.expect("PUT").status(), StatusCode::CONFLICT, "{ctx}");
        let stored = app.admin(Method::GET, path).send().await.expect("GET").bytes().await.expect("body");
        assert_eq!(stored.to_vec(), jar, "{ctx}");
        // An uploaded checksum must match the file.
        let right = hex::encode(Sha1::digest(&jar));
        let sha1_path = format!("{path}.sha1");
        assert_eq!(put(&sha1_path, right.into_bytes()).await.expect("PUT").status(), StatusCode::CREATED, "{ctx}");
        let wrong = "0".repeat(40);
        assert_eq!(put(&sha1_path, wrong.into_bytes()).await.expect("PUT").status(), StatusCode::BAD_REQUEST, "{ctx}");
        // Every algorithm is answered, whether uploaded or not.
        for (ext, len) in [("md5", 32), ("sha1", 40), ("sha256", 64), ("sha512", 128)] {
            let (status, body) = get(&app, &format!("{path}.{ext}")).await;
            assert_eq!((status, body.len()), (StatusCode::OK, len), "{ctx}: {ext}");
        }
        // Without credentials, a PUT is challenged.
        let anonymous = app.anonymous(Method::PUT, path).body(jar).send().await.expect("PUT");
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        assert!(anonymous.headers().get("www-authenticate").is_some(), "{ctx}");
    }
}

backend_test! {
    async fn a_snapshot_deployed_twice_resolves_to_its_second_build(app: TestApp) {
        let Some(mvn) = mvn() else { return };
        let ctx = format!("{:?}", app.backend);
        app.create_feed("snapshots", "maven").await;
        let key = MavenCredentials::api_key(ADMIN_KEY);
        let url = app.url("/maven2/snapshots/");
        let pom = mvn.write_file("lib.pom", maven_pom("org.acme", "lib", "1.0-SNAPSHOT", "jar"));
        let first = mvn.write_file("lib-1.jar", maven_jar("org.acme", "lib", "first build"));
        mvn.deploy_file(&url, "snapshots", Some(&key), &first, Some(&pom), "org.acme", "lib", "1.0-SNAPSHOT", &[])
            .await
            .expect_ok();
        // mvn numbers the next build from the server's version metadata,
        // so a second deploy within the same second is still build 2.
        let second = mvn.write_file("lib-2.jar", maven_jar("org.acme", "lib", "second build"));
        mvn.deploy_file(&url, "snapshots", Some(&key), &second, Some(&pom), "org.acme", "lib", "1.0-SNAPSHOT", &[])
            .await
            .expect_ok();
        let (status, metadata) = get(&app, "/maven2/snapshots/org/acme/lib/1.0-SNAPSHOT/maven-metadata.xml").await;
        assert_eq!(status, StatusCode::OK, "{ctx}");
        assert!(metadata.contains("<buildNumber>2</buildNumber>"), "{ctx}: {metadata}");
        let resolved = mvn.dependency_get(&url, "snapshots", Some(&key), "org.acme:lib:1.0-SNAPSHOT").await;
        resolved.expect_ok();
        assert_eq!(
            resolved.artifact_bytes(),
            std::fs::read(&second).expect("jar").as_slice(),
            "{ctx}: the newest build"
        );
    }
}
