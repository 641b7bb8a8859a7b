//! The protocol documents as clients see them, pinned with insta snapshots
//! (`snapshots/` beside this file): npm packuments (scoped and unscoped),
//! the NuGet v3 service index and a registration index of two versions,
//! the NuGet v2 OData (Atom) feed, and the universal package and version
//! lists. A change to any of them fails the test until the snapshot is
//! reviewed and accepted (`INSTA_UPDATE=always`, or `cargo insta review`).
//!
//! What varies between runs is redacted: the server's base URL becomes
//! `http://gantry.test`, and times, commit ids and the hashes and sizes of
//! NuGet packages (whose core-properties part has a random name, as
//! NuGet.exe's has) are replaced by placeholders. XML is shown one element
//! a line. On SQLite only: the documents do not depend on the backend,
//! which the protocol suites cover.

use gantry_test_support::npm::{npm_tarball, publish_document};
use gantry_test_support::{backend_test, nupkg, upack, TestApp, ADMIN_KEY};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

/// The base URL snapshots show instead of `http://127.0.0.1:<port>`.
const BASE_URL: &str = "http://gantry.test";

/// GETs `path` anonymously, asserting 200; returns the content type and
/// the body with the server's base URL replaced by [`BASE_URL`].
async fn document(app: &TestApp, path: &str, accept: Option<&str>) -> (String, String) {
    let mut request = app.anonymous(Method::GET, path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let response = request.send().await.expect("request");
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_status(response, StatusCode::OK, &format!("GET {path}")).await;
    (content_type, body.replace(&app.url(""), BASE_URL))
}

/// A JSON document with its content type, as one snapshot value.
async fn json_document(app: &TestApp, path: &str, accept: Option<&str>) -> Value {
    let (content_type, body) = document(app, path, accept).await;
    let body: Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"));
    json!({"contentType": content_type, "body": body})
}

/// `xml` with the text of every element named in `elements` (any
/// attributes) replaced by `[redacted]`.
fn redact_elements(xml: &str, elements: &[&str]) -> String {
    let mut out = xml.to_owned();
    for element in elements {
        let (open, close) = (format!("<{element}"), format!("</{element}>"));
        let mut from = 0;
        while let Some(start) = out[from..].find(&open).map(|i| i + from) {
            let after_name = start + open.len();
            let Some(tag_end) = out[after_name..].find('>').map(|i| i + after_name) else {
                break;
            };
            let next = out.as_bytes()[after_name];
            let self_closing = out.as_bytes()[tag_end - 1] == b'/';
            if !(next == b'>' || next == b' ') || self_closing {
                from = tag_end;
                continue;
            }
            let Some(end) = out[tag_end..].find(&close).map(|i| i + tag_end) else {
                break;
            };
            out.replace_range(tag_end + 1..end, "[redacted]");
            from = tag_end + 1 + "[redacted]".len() + close.len();
        }
    }
    out
}

async fn publish_npm(
    app: &TestApp,
    feed: &str,
    name: &str,
    version: &str,
    tag: &str,
    dependencies: &[(&str, &str)],
) {
    let tarball = npm_tarball(name, version, dependencies);
    let document = publish_document(&app.url(&format!("/npm/{feed}")), &tarball, name, version, tag);
    let response = app
        .admin(Method::PUT, &format!("/npm/{feed}/{}", name.replace('/', "%2f")))
        .json(&document)
        .send()
        .await
        .expect("request");
    expect_status(
        response,
        StatusCode::CREATED,
        &format!("publish {name}@{version}"),
    )
    .await;
}

/// The npm accept header of `npm install` (abbreviated metadata).
const CORGI: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

backend_test! {
    #[backends(sqlite)]
    async fn npm_packuments(app: TestApp) {
        app.create_feed("npm-snap", "npm").await;
        let pad: &[(&str, &str)] = &[("left-pad", "^1.3.0")];
        publish_npm(&app, "npm-snap", "@acme/widget", "1.0.0", "latest", pad).await;
        publish_npm(&app, "npm-snap", "@acme/widget", "1.1.0-beta.1", "next", pad).await;
        publish_npm(&app, "npm-snap", "left-pad", "1.3.0", "latest", &[]).await;
        let scoped = json_document(&app, "/npm/npm-snap/@acme%2fwidget", None).await;
        let abbreviated = json_document(&app, "/npm/npm-snap/@acme%2fwidget", Some(CORGI)).await;
        let unscoped = json_document(&app, "/npm/npm-snap/left-pad", None).await;
        let mut settings = insta::Settings::clone_current();
        // Each value of `time` (not its keys, which name the versions).
        for key in ["created", "modified", "1.0.0", "1.1.0-beta.1", "1.3.0"] {
            settings.add_redaction(&format!(".body.time[\"{key}\"]"), "[time]");
        }
        settings.add_redaction(".body.modified", "[time]");
        settings.bind(|| {
            insta::assert_json_snapshot!("npm_packument_scoped", scoped);
            insta::assert_json_snapshot!("npm_packument_scoped_abbreviated", abbreviated);
            insta::assert_json_snapshot!("npm_packument_unscoped", unscoped);
        });
    }

    #[backends(sqlite)]
    async fn nuget_v3_service_index_and_registration(app: TestApp) {
        app.create_feed("nuget-snap", "nuget").await;
        for (id, version, dependencies) in [
            ("Acme.Base", "1.0.0", vec![]),
            ("Acme.Widget", "1.0.0", vec![("Acme.Base", "[1.0.0, )")]),
            ("Acme.Widget", "1.1.0-beta.1", vec![("Acme.Base", "[1.0.0, )")]),
        ] {
            let (status, body) = app
                .push_nupkg("nuget-snap", ADMIN_KEY, nupkg(id, version, &dependencies))
                .await;
            assert_eq!(status, StatusCode::CREATED, "push {id} {version}: {body}");
        }
        insta::assert_json_snapshot!(
            "nuget_v3_service_index",
            json_document(&app, "/nuget/nuget-snap/v3/index.json", None).await
        );
        let registration =
            json_document(&app, "/nuget/nuget-snap/v3/registrations/acme.widget/index.json", None).await;
        let mut settings = insta::Settings::clone_current();
        for varying in ["commitTimeStamp", "commitId", "published", "packageHash", "packageSize"] {
            settings.add_redaction(&format!(".**.{varying}"), format!("[{varying}]"));
        }
        settings.bind(|| insta::assert_json_snapshot!("nuget_v3_registration_index", registration));
    }

    #[backends(sqlite)]
    async fn nuget_v2_odata_feed(app: TestApp) {
        app.create_feed("nuget-snap", "nuget").await;
        // 2.0.0-rc.1 is SemVer 2 (a dotted prerelease): v2 shows it only to
        // clients that ask with `semVerLevel=2.0.0`.
        for version in ["1.0.0", "1.1.0-beta", "2.0.0-rc.1"] {
            let (status, body) = app
                .push_nupkg(
                    "nuget-snap",
                    ADMIN_KEY,
                    nupkg("Acme.Widget", version, &[("Acme.Base", "[1.0.0, )")]),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "push {version}: {body}");
        }
        let varying = [
            "updated",
            "d:Created",
            "d:LastUpdated",
            "d:LastEdited",
            "d:Published",
            "d:PackageHash",
            "d:PackageSize",
        ];
        for (name, path) in [
            ("nuget_v2_find_packages_by_id", "/nuget/nuget-snap/FindPackagesById()?id='Acme.Widget'"),
            (
                "nuget_v2_find_packages_by_id_semver2",
                "/nuget/nuget-snap/FindPackagesById()?id='Acme.Widget'&semVerLevel=2.0.0",
            ),
            ("nuget_v2_packages", "/nuget/nuget-snap/Packages()"),
        ] {
            let (content_type, body) = document(&app, path, None).await;
            // One element a line, so that a change reads as a diff of lines
            // (the server writes no whitespace between elements).
            let xml = redact_elements(&body, &varying).replace("><", ">\n<");
            insta::assert_snapshot!(name, format!("Content-Type: {content_type}\n\n{xml}"));
        }
    }

    #[backends(sqlite)]
    async fn universal_package_and_version_lists(app: TestApp) {
        app.create_feed("upack-snap", "universal").await;
        for (group, name, version) in [
            ("acme", "widget", "1.0.0"),
            ("acme", "widget", "1.1.0-beta.1"),
            ("", "tool", "2.0.0"),
        ] {
            let (status, body) = app
                .upload_upack(
                    "upack-snap",
                    ADMIN_KEY,
                    upack(group, name, version, format!("{name} {version}").as_bytes()),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "upload {name} {version}: {body}");
        }
        let packages = json_document(&app, "/upack/upack-snap/packages", None).await;
        let versions = json_document(&app, "/upack/upack-snap/versions?group=acme&name=widget", None).await;
        let one = "/upack/upack-snap/versions?group=acme&name=widget&version=1.0.0";
        let version = json_document(&app, one, None).await;
        let mut settings = insta::Settings::clone_current();
        settings.add_redaction(".body[].published", "[time]");
        settings.add_redaction(".body.published", "[time]");
        settings.bind(|| {
            insta::assert_json_snapshot!("upack_packages", packages);
            insta::assert_json_snapshot!("upack_versions", versions);
            insta::assert_json_snapshot!("upack_version", version);
        });
    }
}

#[test]
fn redact_elements_replaces_only_the_named_elements_text() {
    let xml = concat!(
        r#"<entry><updated>2026-01-01</updated><d:Created m:type="Edm.DateTime">x</d:Created>"#,
        r#"<d:CreatedBy>k</d:CreatedBy><d:Published /></entry>"#
    );
    assert_eq!(
        redact_elements(xml, &["updated", "d:Created", "d:Published"]),
        concat!(
            r#"<entry><updated>[redacted]</updated><d:Created m:type="Edm.DateTime">[redacted]</d:Created>"#,
            r#"<d:CreatedBy>k</d:CreatedBy><d:Published /></entry>"#
        )
    );
}
