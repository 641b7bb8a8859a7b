//! The npm registry protocol, `/npm/{feed}/...`, on every backend: reading
//! packuments and tarballs, publishing and its refusals, dist-tags,
//! deprecation, unpublishing, sign-in, and promotion that moves `latest`
//! forward only.

use base64::Engine as _;
use gantry_test_support::npm::{npm_tarball, npm_tarball_with, publish_document};
use gantry_test_support::{TestApp, ADMIN_KEY};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::expect_status;

fn registry(app: &TestApp, feed: &str) -> String {
    app.url(&format!("/npm/{feed}"))
}

/// The path npm puts a package document at (`@scope%2fname`).
fn doc_path(feed: &str, name: &str) -> String {
    format!("/npm/{feed}/{}", name.replace('/', "%2f"))
}

async fn publish_with(
    app: &TestApp,
    feed: &str,
    key: &str,
    name: &str,
    document: &Value,
) -> (StatusCode, String) {
    let mut request = app.anonymous(Method::PUT, &doc_path(feed, name)).json(document);
    if !key.is_empty() {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("request");
    (response.status(), response.text().await.expect("body"))
}

async fn publish(app: &TestApp, feed: &str, name: &str, version: &str, tag: &str) -> Vec<u8> {
    let tarball = npm_tarball(name, version, &[]);
    let document = publish_document(&registry(app, feed), &tarball, name, version, tag);
    let (status, body) = publish_with(app, feed, ADMIN_KEY, name, &document).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "[{:?}] publish {name}@{version}: {body}",
        app.backend
    );
    tarball
}

async fn get_json(app: &TestApp, path: &str, accept: Option<&str>) -> Value {
    let mut request = app.anonymous(Method::GET, path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let response = request.send().await.expect("request");
    serde_json::from_str(
        &expect_status(response, StatusCode::OK, &format!("{:?} GET {path}", app.backend)).await,
    )
    .expect("JSON")
}

const CORGI: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

#[tokio::test]
async fn published_packages_read_back_as_full_and_abbreviated_packuments() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("npm-dev", "npm").await;
        let widget = publish(&app, "npm-dev", "@acme/widget", "1.0.0", "latest").await;
        publish(&app, "npm-dev", "@acme/widget", "1.1.0-beta.1", "next").await;
        let pad = publish(&app, "npm-dev", "left-pad", "1.3.0", "latest").await;

        let full = get_json(&app, "/npm/npm-dev/@acme%2fwidget", None).await;
        assert_eq!(full["name"], "@acme/widget", "{ctx}");
        assert_eq!(
            full["dist-tags"],
            json!({"latest": "1.0.0", "next": "1.1.0-beta.1"}),
            "{ctx}"
        );
        let v1 = &full["versions"]["1.0.0"];
        let tarball_url = format!("{}/@acme/widget/-/widget-1.0.0.tgz", registry(&app, "npm-dev"));
        assert_eq!(v1["dist"]["tarball"], tarball_url, "{ctx}");
        assert_eq!(
            v1["dist"]["integrity"],
            format!(
                "sha512-{}",
                base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&widget))
            )
        );
        assert_eq!(v1["dist"]["shasum"], hex::encode(Sha1::digest(&widget)));
        assert!(
            full["time"]["1.0.0"].as_str().expect("time").ends_with('Z'),
            "{ctx}"
        );
        // The unescaped form of a scoped name reads the same.
        let same = get_json(&app, "/npm/npm-dev/@acme/widget", None).await;
        assert_eq!(same["versions"], full["versions"]);

        let response = app
            .anonymous(Method::GET, "/npm/npm-dev/@acme%2fwidget")
            .header(header::ACCEPT, CORGI)
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/vnd.npm.install-v1+json",
            "{ctx}"
        );
        let etag = response.headers()[header::ETAG].clone();
        let corgi: Value = response.json().await.expect("JSON");
        assert!(
            corgi.get("time").is_none() && corgi.get("modified").is_some(),
            "{ctx}: {corgi}"
        );
        let abbreviated = &corgi["versions"]["1.0.0"];
        assert_eq!(abbreviated["dist"]["tarball"], tarball_url);
        assert!(
            abbreviated.get("description").is_none(),
            "{ctx}: abbreviated drops descriptions"
        );
        let cached = app
            .anonymous(Method::GET, "/npm/npm-dev/@acme%2fwidget")
            .header(header::ACCEPT, CORGI)
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .expect("request");
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{ctx}");
        // npm accepts gzip: a larger document comes compressed, under its own tag.
        for patch in 0..10 {
            publish(&app, "npm-dev", "gz-many", &format!("1.0.{patch}"), "latest").await;
        }
        let corgi = get_json(&app, "/npm/npm-dev/gz-many", Some(CORGI)).await;
        let gzipped = app
            .anonymous(Method::GET, "/npm/npm-dev/gz-many")
            .header(header::ACCEPT, CORGI)
            .header(header::ACCEPT_ENCODING, "gzip, deflate")
            .send()
            .await
            .expect("request");
        assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip", "{ctx}");
        let compressed = gzipped.bytes().await.expect("bytes");
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut plain)
            .expect("gunzip");
        assert_eq!(
            serde_json::from_slice::<Value>(&plain).expect("JSON"),
            corgi,
            "{ctx}"
        );

        let download = app
            .anonymous(Method::GET, "/npm/npm-dev/@acme/widget/-/widget-1.0.0.tgz")
            .send()
            .await
            .expect("request");
        assert_eq!(download.status(), StatusCode::OK, "{ctx}");
        assert_eq!(
            download.headers()[header::ETAG].to_str().expect("etag"),
            format!("\"{}\"", hex::encode(Sha256::digest(&widget)))
        );
        let tarball_tag = download.headers()[header::ETAG].clone();
        assert_eq!(download.bytes().await.expect("bytes").as_ref(), widget.as_slice());
        // A client holding the file is told so, with nothing sent.
        let again = app
            .anonymous(Method::GET, "/npm/npm-dev/@acme/widget/-/widget-1.0.0.tgz")
            .header(header::IF_NONE_MATCH, tarball_tag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{ctx}");
        assert!(again.bytes().await.expect("bytes").is_empty(), "{ctx}");
        let plain = app
            .anonymous(Method::GET, "/npm/npm-dev/left-pad/-/left-pad-1.3.0.tgz")
            .send()
            .await
            .expect("request");
        assert_eq!(
            plain.bytes().await.expect("bytes").as_ref(),
            pad.as_slice(),
            "{ctx}"
        );

        let by_tag = get_json(&app, "/npm/npm-dev/@acme%2fwidget/next", None).await;
        assert_eq!(by_tag["version"], "1.1.0-beta.1", "{ctx}");
        let search = get_json(&app, "/npm/npm-dev/-/v1/search?text=widget", None).await;
        assert_eq!(search["total"], 1, "{ctx}: {search}");
        assert_eq!(search["objects"][0]["package"]["name"], "@acme/widget");
        assert_eq!(search["objects"][0]["package"]["version"], "1.0.0");

        // The generic packages API sees the scope as the group.
        let versions = app
            .admin_json("/api/packages/npm-dev/versions?group=@acme&name=widget")
            .await;
        assert_eq!(versions.as_array().expect("array").len(), 2, "{ctx}");
        assert_eq!(versions[0]["purl"], "pkg:npm/%40acme/widget@1.0.0");

        for missing in [
            "/npm/npm-dev/nothing-here",
            "/npm/npm-dev/left-pad/-/left-pad-9.9.9.tgz",
        ] {
            let response = app.anonymous(Method::GET, missing).send().await.expect("request");
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{ctx} {missing}");
            let body: Value = response.json().await.expect("npm errors are JSON");
            assert!(body["error"].is_string(), "{ctx}: {body}");
        }
    }
}

#[tokio::test]
async fn bad_publishes_are_refused_with_the_reason_and_store_nothing() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("npm-dev", "npm").await;
        let reg = registry(&app, "npm-dev");
        let good = npm_tarball("@acme/widget", "1.0.0", &[]);
        let document = publish_document(&reg, &good, "@acme/widget", "1.0.0", "latest");
        let (status, _) = publish_with(&app, "npm-dev", "", "@acme/widget", &document).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{ctx}: no credentials");

        let mut cases: Vec<(&str, &str, Value)> = Vec::new();
        let other = npm_tarball("@acme/other", "1.0.0", &[]);
        let mut mismatched = publish_document(&reg, &other, "@acme/widget", "1.0.0", "latest");
        // Keep the integrity right, so only the package.json disagrees.
        mismatched["versions"]["1.0.0"]["dist"] =
            publish_document(&reg, &other, "@acme/other", "1.0.0", "latest")["versions"]["1.0.0"]["dist"]
                .clone();
        cases.push(("tarball of another package", "@acme/widget", mismatched));
        let corrupt = b"not a tarball at all".to_vec();
        cases.push((
            "corrupt tarball",
            "@acme/widget",
            publish_document(&reg, &corrupt, "@acme/widget", "1.0.0", "latest"),
        ));
        let traversal = npm_tarball_with(&[
            (
                "package/package.json",
                br#"{"name":"@acme/widget","version":"1.0.0"}"#,
            ),
            ("package/../../evil.js", b"x"),
        ]);
        cases.push((
            "path traversal",
            "@acme/widget",
            publish_document(&reg, &traversal, "@acme/widget", "1.0.0", "latest"),
        ));
        let upper = npm_tarball("Upper", "1.0.0", &[]);
        cases.push((
            "invalid name",
            "Upper",
            publish_document(&reg, &upper, "Upper", "1.0.0", "latest"),
        ));
        let mut bad_integrity = publish_document(&reg, &good, "@acme/widget", "1.0.0", "latest");
        bad_integrity["versions"]["1.0.0"]["dist"]["integrity"] = json!("sha512-AAAA");
        cases.push(("integrity mismatch", "@acme/widget", bad_integrity));
        let mut wrong_url = publish_document(&reg, &good, "@acme/widget", "1.0.0", "latest");
        wrong_url["name"] = json!("@acme/gadget");
        cases.push(("document for another package", "@acme/widget", wrong_url));

        for (what, name, document) in &cases {
            let (status, body) = publish_with(&app, "npm-dev", ADMIN_KEY, name, document).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{ctx} {what}: {body}");
            let error: Value = serde_json::from_str(&body).expect("JSON error");
            assert!(
                !error["error"].as_str().unwrap_or_default().is_empty(),
                "{ctx} {what}"
            );
        }
        app.assert_nothing_stored("npm-dev").await;

        publish(&app, "npm-dev", "@acme/widget", "1.0.0", "latest").await;
        let again = publish_document(
            &reg,
            &npm_tarball("@acme/widget", "1.0.0", &[("x", "1")]),
            "@acme/widget",
            "1.0.0",
            "latest",
        );
        let (status, body) = publish_with(&app, "npm-dev", ADMIN_KEY, "@acme/widget", &again).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{ctx}: versions are immutable: {body}"
        );
    }
}

#[tokio::test]
async fn dist_tags_deprecation_and_unpublish_are_recorded() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("npm-dev", "npm").await;
        for version in ["1.0.0", "1.1.0", "2.0.0-rc.1"] {
            publish(
                &app,
                "npm-dev",
                "@acme/widget",
                version,
                if version.contains("rc") { "next" } else { "latest" },
            )
            .await;
        }
        let tags_path = "/npm/npm-dev/-/package/@acme%2fwidget/dist-tags";
        let tags = get_json(&app, tags_path, None).await;
        assert_eq!(tags, json!({"latest": "1.1.0", "next": "2.0.0-rc.1"}), "{ctx}");
        let set = app
            .admin(Method::PUT, &format!("{tags_path}/stable"))
            .json(&json!("1.0.0"))
            .send()
            .await
            .expect("request");
        expect_status(set, StatusCode::OK, &ctx).await;
        let missing = app
            .admin(Method::PUT, &format!("{tags_path}/stable"))
            .json(&json!("9.0.0"))
            .send()
            .await
            .expect("request");
        expect_status(missing, StatusCode::NOT_FOUND, &ctx).await;
        let latest = app
            .admin(Method::DELETE, &format!("{tags_path}/latest"))
            .send()
            .await
            .expect("request");
        expect_status(latest, StatusCode::BAD_REQUEST, &ctx).await;
        let removed = app
            .admin(Method::DELETE, &format!("{tags_path}/next"))
            .send()
            .await
            .expect("request");
        expect_status(removed, StatusCode::OK, &ctx).await;
        let tags = get_json(&app, tags_path, None).await;
        assert_eq!(tags, json!({"latest": "1.1.0", "stable": "1.0.0"}), "{ctx}");
        // The web UI's History tab shows the tag changes; the install command is npm's.
        let page = |version: &str| {
            app.anonymous(
                Method::GET,
                &format!("/feeds/npm-dev/packages/widget/{version}?group=%40acme&tab=history&action="),
            )
            .send()
        };
        let rc = page("2.0.0-rc.1").await.expect("GET").text().await.expect("body");
        assert!(
            rc.contains("Tag removed") && rc.contains("&#39;next&#39; in npm-dev"),
            "{ctx}: {rc}"
        );
        let stable = page("1.0.0").await.expect("GET").text().await.expect("body");
        assert!(
            stable.contains("Tagged") && stable.contains("&#39;stable&#39; in npm-dev"),
            "{ctx}"
        );
        let overview = app
            .anonymous(Method::GET, "/feeds/npm-dev/packages/widget/1.0.0?group=%40acme")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(
            overview.contains("npm install @acme/widget@1.0.0 --registry"),
            "{ctx}"
        );

        // npm deprecate: the packument comes back with a message on a version.
        let mut full = get_json(&app, "/npm/npm-dev/@acme%2fwidget", None).await;
        full["versions"]["1.0.0"]["deprecated"] = json!("use 1.1");
        let response = app
            .admin(Method::PUT, "/npm/npm-dev/@acme%2fwidget")
            .json(&full)
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let after = get_json(&app, "/npm/npm-dev/@acme%2fwidget", Some(CORGI)).await;
        assert_eq!(after["versions"]["1.0.0"]["deprecated"], "use 1.1", "{ctx}");
        assert!(after["versions"]["1.1.0"].get("deprecated").is_none());

        // npm unpublish of one version: the packument without it.
        let mut full = get_json(&app, "/npm/npm-dev/@acme%2fwidget", None).await;
        full["versions"]
            .as_object_mut()
            .expect("versions")
            .remove("1.0.0");
        let rev = full["_rev"].as_str().expect("rev").to_owned();
        let response = app
            .admin(Method::PUT, &format!("/npm/npm-dev/@acme%2fwidget/-rev/{rev}"))
            .json(&full)
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let response = app
            .admin(
                Method::DELETE,
                &format!("/npm/npm-dev/@acme%2fwidget/-/widget-1.0.0.tgz/-rev/{rev}"),
            )
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let left = get_json(&app, "/npm/npm-dev/@acme%2fwidget", None).await;
        let versions: Vec<&String> = left["versions"].as_object().expect("versions").keys().collect();
        assert_eq!(versions, ["1.1.0", "2.0.0-rc.1"], "{ctx}");
        assert_eq!(
            left["dist-tags"],
            json!({"latest": "1.1.0"}),
            "{ctx}: the stable tag went with 1.0.0"
        );

        let history = app
            .admin_json("/api/packages/npm-dev/history?group=@acme&name=widget&version=1.0.0")
            .await;
        let actions: Vec<&str> = history
            .as_array()
            .expect("history")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            ["added", "dist-tag-set", "status-changed", "deleted"],
            "{ctx}"
        );

        // The whole package: a feed manager's right.
        let response = app
            .admin(Method::DELETE, &format!("/npm/npm-dev/@acme%2fwidget/-rev/{rev}"))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let gone = app
            .anonymous(Method::GET, "/npm/npm-dev/@acme%2fwidget")
            .send()
            .await
            .expect("request");
        assert_eq!(gone.status(), StatusCode::NOT_FOUND, "{ctx}");
    }
}

#[tokio::test]
async fn promotion_moves_latest_forward_and_never_back() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("unapproved-npm", "npm").await;
        app.create_feed("approved-npm", "npm").await;
        for version in ["1.0.0", "2.0.0", "3.0.0-beta.1", "1.5.0"] {
            publish(&app, "unapproved-npm", "@acme/widget", version, "latest").await;
        }
        let missing = app
            .anonymous(Method::GET, "/npm/approved-npm/@acme%2fwidget")
            .send()
            .await
            .expect("request");
        assert_eq!(
            missing.status(),
            StatusCode::NOT_FOUND,
            "{ctx}: nothing before the promotion"
        );
        for (version, latest) in [
            ("1.0.0", "1.0.0"),
            ("2.0.0", "2.0.0"),
            ("3.0.0-beta.1", "2.0.0"),
            ("1.5.0", "2.0.0"),
        ] {
            let response = app
                .admin(Method::POST, "/api/promotions/promote")
                .json(&json!({"fromFeed": "unapproved-npm", "toFeed": "approved-npm",
                              "group": "@acme", "name": "widget", "version": version}))
                .send()
                .await
                .expect("request");
            expect_status(response, StatusCode::OK, &format!("{ctx} promote {version}")).await;
            let packument = get_json(&app, "/npm/approved-npm/@acme%2fwidget", Some(CORGI)).await;
            assert_eq!(
                packument["dist-tags"]["latest"], latest,
                "{ctx}: after promoting {version}"
            );
        }
        let download = app
            .anonymous(Method::GET, "/npm/approved-npm/@acme/widget/-/widget-2.0.0.tgz")
            .header("X-ProGet-Deployment-Application", "Storefront")
            .header("X-ProGet-Deployment-Description", "release 7")
            .header("X-ProGet-Deployment-Target", "web-02")
            .send()
            .await
            .expect("request");
        assert_eq!(download.status(), StatusCode::OK, "{ctx}");
        let deployments = app.admin_json("/api/package-deployment/list?target=web-02").await;
        assert_eq!(
            (
                &deployments[0]["group"],
                &deployments[0]["name"],
                &deployments[0]["version"]
            ),
            (&json!("@acme"), &json!("widget"), &json!("2.0.0")),
            "{ctx}: {deployments}"
        );
    }
}

#[tokio::test]
async fn npm_login_returns_a_personal_token_and_whoami_names_its_user() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("npm-dev", "npm").await;
        let response = app
            .admin(Method::POST, "/api/security/users/add")
            .json(&json!({"name": "alice", "password": "alice-password-1"}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;

        let login = |password: &str| {
            app.anonymous(Method::PUT, "/npm/npm-dev/-/user/org.couchdb.user:alice")
                .json(
                    &json!({"_id": "org.couchdb.user:alice", "name": "alice", "password": password,
                              "type": "user", "roles": [], "date": "2026-11-23T00:00:00.000Z"}),
                )
                .send()
        };
        let wrong = login("nope").await.expect("request");
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        let right = login("alice-password-1").await.expect("request");
        let body: Value =
            serde_json::from_str(&expect_status(right, StatusCode::CREATED, &ctx).await).expect("JSON");
        let token = body["token"].as_str().expect("token").to_owned();

        let whoami = app
            .anonymous(Method::GET, "/npm/npm-dev/-/whoami")
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        let me: Value =
            serde_json::from_str(&expect_status(whoami, StatusCode::OK, &ctx).await).expect("JSON");
        assert_eq!(me, json!({"username": "alice"}), "{ctx}");
        let anonymous = app
            .anonymous(Method::GET, "/npm/npm-dev/-/whoami")
            .send()
            .await
            .expect("request");
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{ctx}");
        assert!(anonymous.headers().contains_key(header::WWW_AUTHENTICATE));

        let logout = app
            .anonymous(Method::DELETE, &format!("/npm/npm-dev/-/user/token/{token}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        expect_status(logout, StatusCode::OK, &ctx).await;
        let after = app
            .anonymous(Method::GET, "/npm/npm-dev/-/whoami")
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(
            after.status(),
            StatusCode::FORBIDDEN,
            "{ctx}: the token is revoked"
        );
    }
}
