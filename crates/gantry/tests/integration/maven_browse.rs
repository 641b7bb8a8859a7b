//! Browsing a Maven feed: HTML listings of the maven2 layout that a crawler
//! can follow from the root to every file, and the web UI's Maven pages
//! (settings.xml, the `distributionManagement` block, the mvn command).

use std::collections::{BTreeSet, VecDeque};

use gantry_test_support::maven::{maven_jar, maven_pom};
use gantry_test_support::ui::Browser;
use gantry_test_support::{TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};

use crate::expect_status;

/// PUTs one file below `/maven2/{feed}/`.
async fn put(app: &TestApp, feed: &str, path: &str, body: Vec<u8>) {
    let url = format!("/maven2/{feed}/{path}");
    let response = app.admin(Method::PUT, &url).body(body).send().await.expect("PUT");
    expect_status(response, StatusCode::CREATED, &url).await;
}

/// Deploys a jar and its pom; returns their paths below the feed.
async fn deploy(
    app: &TestApp,
    feed: &str,
    group: &str,
    artifact: &str,
    version: &str,
    build: &str,
) -> [String; 2] {
    let folder = format!("{}/{artifact}/{version}", group.replace('.', "/"));
    let jar = format!("{folder}/{artifact}-{build}.jar");
    let pom = format!("{folder}/{artifact}-{build}.pom");
    put(app, feed, &jar, maven_jar(group, artifact, build)).await;
    put(
        app,
        feed,
        &pom,
        maven_pom(group, artifact, version, "jar").into_bytes(),
    )
    .await;
    [jar, pom]
}

/// The `href`s of a listing, but `../`.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| *href != "../")
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_crawler_finds_every_file_from_the_root_and_every_link_answers() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        let mut deployed = BTreeSet::new();
        deployed.extend(deploy(&app, "libs", "org.acme", "widget", "1.0", "1.0").await);
        deployed.extend(deploy(&app, "libs", "org.acme.tools", "saw", "2.0", "2.0").await);
        deployed.extend(
            deploy(
                &app,
                "libs",
                "com.example",
                "lib",
                "1.0-SNAPSHOT",
                "1.0-20261203.101500-1",
            )
            .await,
        );

        // Walk the listings breadth first, following every link.
        let mut files = BTreeSet::new();
        let mut folders = VecDeque::from([String::new()]);
        let mut visited = 0;
        while let Some(folder) = folders.pop_front() {
            visited += 1;
            assert!(visited < 100, "{ctx}: the walk ends");
            let response = app
                .anonymous(Method::GET, &format!("/maven2/libs/{folder}"))
                .send()
                .await
                .expect("listing");
            assert_eq!(response.status(), StatusCode::OK, "{ctx}: /{folder}");
            let content_type = response.headers()["content-type"]
                .to_str()
                .expect("type")
                .to_owned();
            assert!(content_type.starts_with("text/html"), "{ctx}: {content_type}");
            let html = response.text().await.expect("body");
            for link in links(&html) {
                let path = format!("{folder}{link}");
                if link.ends_with('/') {
                    folders.push_back(path);
                } else {
                    let answer = app
                        .anonymous(Method::GET, &format!("/maven2/libs/{path}"))
                        .send()
                        .await
                        .expect("file");
                    assert_eq!(
                        answer.status(),
                        StatusCode::OK,
                        "{ctx}: {path} is listed, so it is served"
                    );
                    files.insert(path);
                }
            }
        }
        let artifacts: BTreeSet<String> = files
            .iter()
            .filter(|f| matches!(f.rsplit_once('.'), Some((_, "jar" | "pom"))))
            .cloned()
            .collect();
        assert_eq!(
            artifacts, deployed,
            "{ctx}: every deployed file is found, nothing else"
        );
        for expected in [
            "org/acme/widget/maven-metadata.xml",
            "org/acme/widget/maven-metadata.xml.sha1",
            "org/acme/widget/1.0/widget-1.0.jar.sha1",
            "org/acme/widget/1.0/widget-1.0.jar.sha512",
            "com/example/lib/1.0-SNAPSHOT/maven-metadata.xml",
        ] {
            assert!(files.contains(expected), "{ctx}: {expected} is listed");
        }

        // A version's folder shows sizes; a folder without its slash is
        // redirected; a folder with nothing under it is 404.
        let version = app
            .admin(Method::GET, "/maven2/libs/org/acme/widget/1.0/")
            .send()
            .await
            .expect("GET");
        let html = version.text().await.expect("body");
        let jar_size = maven_jar("org.acme", "widget", "1.0").len().to_string();
        let jar_line = html
            .lines()
            .find(|l| l.contains(">widget-1.0.jar<"))
            .expect("jar line");
        assert!(jar_line.trim_end().ends_with(&jar_size), "{ctx}: {jar_line}");
        let redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(app.url("/maven2/libs/org/acme"))
            .header("X-ApiKey", ADMIN_KEY)
            .send()
            .await
            .expect("GET");
        assert_eq!(redirect.status(), StatusCode::MOVED_PERMANENTLY, "{ctx}");
        assert_eq!(redirect.headers()["location"], "/maven2/libs/org/acme/", "{ctx}");
        for missing in [
            "/maven2/libs/net/",
            "/maven2/libs/org/acme/widget/9.9/",
            "/maven2/libs/net",
        ] {
            let response = app.admin(Method::GET, missing).send().await.expect("GET");
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{ctx}: {missing}");
        }
    }
}

#[tokio::test]
async fn the_web_ui_shows_maven_settings_and_commands() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        deploy(&app, "libs", "org.acme", "widget", "1.0", "1.0").await;
        let browser = Browser::new(&app);
        let feed = browser.page("/feeds/libs").await;
        let endpoint = app.url("/maven2/libs/");
        for expected in [
            "distributionManagement",
            "&#60;server&#62;",
            "&#60;mirror&#62;",
            endpoint.as_str(),
        ] {
            assert!(feed.contains(expected), "{ctx}: the feed page shows {expected}");
        }
        assert!(feed.contains("org.acme/widget"), "{ctx}: the artifact is listed");
        let version = browser
            .page("/feeds/libs/packages/widget/1.0?group=org.acme")
            .await;
        assert!(
            version.contains("mvn dependency:get -Dartifact=org.acme:widget:1.0"),
            "{ctx}: the install command"
        );
        assert!(
            version.contains("widget 1.0, an artifact of Gantry"),
            "{ctx}: the pom's description"
        );
    }
}

#[tokio::test]
async fn the_packages_api_serves_each_maven_file_with_its_media_type() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("libs", "maven").await;
        deploy(&app, "libs", "org.acme", "widget", "1.0", "1.0").await;
        let query = "/api/packages/libs/download?group=org.acme&name=widget&version=1.0";
        for (file, media_type) in [
            ("", "application/java-archive"),
            ("&file=widget-1.0.jar", "application/java-archive"),
            ("&file=widget-1.0.pom", "text/xml"),
        ] {
            let response = app
                .admin(Method::GET, &format!("{query}{file}"))
                .send()
                .await
                .expect("GET");
            assert_eq!(response.status(), StatusCode::OK, "{ctx}: {file}");
            assert_eq!(response.headers()["content-type"], media_type, "{ctx}: {file}");
        }
    }
}
