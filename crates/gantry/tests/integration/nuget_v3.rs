//! The NuGet v3 API and pushing, checked against the protocol's required
//! fields: `/nuget/{feed}/v3/...` and `PUT /nuget/{feed}/`.

use base64::Engine as _;
use gantry_test_support::nuget::{nupkg, nupkg_with_nuspec, nuspec_xml};
use gantry_test_support::{zip_with, TestApp, ADMIN_KEY};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha512};

use crate::expect_status;

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    let body = expect_status(response, StatusCode::OK, &format!("{:?} GET {path}", app.backend)).await;
    serde_json::from_str(&body).expect("JSON")
}

async fn push(app: &TestApp, feed: &str, bytes: Vec<u8>) {
    let (status, body) = app.push_nupkg(feed, ADMIN_KEY, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "[{:?}] push: {body}", app.backend);
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect()
}

#[tokio::test]
async fn service_index_names_every_resource_by_absolute_url() {
    for app in TestApp::each_backend().await {
        app.create_feed("nuget-dev", "nuget").await;
        let index = get_json(&app, "/nuget/nuget-dev/v3/index.json").await;
        assert_eq!(index["version"], "3.0.0");
        let resources = index["resources"].as_array().expect("resources");
        let url_of = |kind: &str| -> String {
            resources
                .iter()
                .find(|r| r["@type"] == kind)
                .and_then(|r| r["@id"].as_str())
                .unwrap_or_else(|| panic!("no {kind} resource in {index}"))
                .to_owned()
        };
        let root = app.url("/nuget/nuget-dev");
        assert_eq!(url_of("PackagePublish/2.0.0"), format!("{root}/"));
        assert_eq!(
            url_of("PackageBaseAddress/3.0.0"),
            format!("{root}/v3/flatcontainer/")
        );
        assert_eq!(url_of("SearchQueryService/3.5.0"), format!("{root}/v3/search"));
        assert_eq!(
            url_of("SearchAutocompleteService"),
            format!("{root}/v3/autocomplete")
        );
        assert_eq!(url_of("LegacyGallery/2.0.0"), format!("{root}/"));
        for variant in ["", "/3.0.0-beta", "/3.0.0-rc", "/3.4.0", "/3.6.0", "/Versioned"] {
            assert_eq!(
                url_of(&format!("RegistrationsBaseUrl{variant}")),
                format!("{root}/v3/registrations/"),
                "every registration variant the public gallery lists"
            );
        }

        // Not a NuGet feed, or no feed at all: 404.
        app.create_feed("tools", "universal").await;
        for path in ["/nuget/tools/v3/index.json", "/nuget/nope/v3/index.json"] {
            let response = app.anonymous(Method::GET, path).send().await.expect("request");
            expect_status(response, StatusCode::NOT_FOUND, path).await;
        }
        // Chocolatey and PowerShell feeds are NuGet feeds too.
        app.create_feed("choco", "chocolatey").await;
        app.create_feed("psgallery", "powershell").await;
        get_json(&app, "/nuget/choco/v3/index.json").await;
        get_json(&app, "/nuget/psgallery/v3/index.json").await;
    }
}

#[tokio::test]
async fn push_stores_once_and_refuses_duplicates_and_unauthorised_callers() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("nuget-dev", "nuget").await;
        let (status, _) = app
            .push_nupkg("nuget-dev", "", nupkg("Acme.Push", "1.0.0", &[]))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{ctx}: no key");
        let (status, _) = app
            .push_nupkg(
                "nuget-dev",
                "wrong-key-0123456789",
                nupkg("Acme.Push", "1.0.0", &[]),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: unknown key");
        app.assert_nothing_stored("nuget-dev").await;

        push(&app, "nuget-dev", nupkg("Acme.Push", "1.0.0", &[])).await;
        // Versions never change, even for an administrator; `1.0` is `1.0.0`.
        let (status, body) = app
            .push_nupkg("nuget-dev", ADMIN_KEY, nupkg("acme.push", "1.0", &[]))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{ctx}: {body}");
        assert!(body.contains("already exists"), "{ctx}: {body}");

        // The other push URLs: v2 clients append api/v2/package/.
        let part =
            reqwest::multipart::Part::bytes(nupkg("Acme.Push", "2.0.0", &[])).file_name("package.nupkg");
        let response = app
            .anonymous(Method::PUT, "/nuget/nuget-dev/api/v2/package/")
            .header("X-NuGet-ApiKey", ADMIN_KEY)
            .multipart(reqwest::multipart::Form::new().part("package", part))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::CREATED, &ctx).await;
        let versions = get_json(&app, "/nuget/nuget-dev/v3/flatcontainer/acme.push/index.json").await;
        assert_eq!(versions, json!({"versions": ["1.0.0", "2.0.0"]}), "{ctx}");

        // Wrong feed type; validated feeds take packages by promotion only.
        app.create_feed("tools", "universal").await;
        let (status, _) = app
            .push_nupkg("tools", ADMIN_KEY, nupkg("Acme.Push", "3.0.0", &[]))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
        let response = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "approved", "feedType": "nuget", "usage": "validated"}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::CREATED, &ctx).await;
        let (status, body) = app
            .push_nupkg("approved", ADMIN_KEY, nupkg("Acme.Push", "3.0.0", &[]))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {body}");
    }
}

#[tokio::test]
async fn malformed_packages_are_refused_with_the_reason_and_store_nothing() {
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE package [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
               <package><metadata><id>Evil</id><version>1.0.0</version><authors>x</authors>\
               <description>&xxe;</description></metadata></package>";
    let no_id = "<package><metadata><version>1.0.0</version><authors>x</authors><description>d</description></metadata></package>";
    let no_version = "<package><metadata><id>NoVersion</id><authors>x</authors><description>d</description></metadata></package>";
    let bad_version = nuspec_xml("BadVersion", "1.0.x", &[]);
    let bad_id = nuspec_xml("Bad Id", "1.0.0", &[]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not a zip", b"this is not a zip".to_vec(), "zip"),
        ("no nuspec", zip_with(&[("lib/a.dll", b"x")]), "no .nuspec"),
        (
            "invalid XML",
            nupkg_with_nuspec("Broken.nuspec", "<package><metadata>"),
            "nuspec",
        ),
        ("XXE", nupkg_with_nuspec("Evil.nuspec", xxe), "DTD"),
        ("missing id", nupkg_with_nuspec("x.nuspec", no_id), "<id>"),
        (
            "missing version",
            nupkg_with_nuspec("NoVersion.nuspec", no_version),
            "<version>",
        ),
        (
            "bad version",
            nupkg_with_nuspec("BadVersion.nuspec", &bad_version),
            "1.0.x",
        ),
        ("bad id", nupkg_with_nuspec("Bad Id.nuspec", &bad_id), "Bad Id"),
        (
            "manifest named for another id",
            nupkg_with_nuspec("Other.nuspec", &nuspec_xml("Acme.Real", "1.0.0", &[])),
            "Acme.Real",
        ),
        (
            "entry escaping the archive",
            zip_with(&[
                ("Acme.Esc.nuspec", nuspec_xml("Acme.Esc", "1.0.0", &[]).as_bytes()),
                ("../../evil.txt", b"x"),
            ]),
            "escapes",
        ),
    ];
    for app in TestApp::each_backend().await {
        app.create_feed("nuget-dev", "nuget").await;
        for (what, bytes, reason) in &cases {
            let (status, body) = app.push_nupkg("nuget-dev", ADMIN_KEY, bytes.clone()).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "[{:?}] {what}: {body}",
                app.backend
            );
            assert!(
                body.to_lowercase().contains(&reason.to_lowercase()),
                "[{:?}] {what}: the reason should mention {reason:?}: {body}",
                app.backend
            );
        }
        app.assert_nothing_stored("nuget-dev").await;
    }
}

#[tokio::test]
async fn flat_container_serves_lowercase_normalised_versions_and_immutable_files() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("nuget-dev", "nuget").await;
        let mut pushed = Vec::new();
        for version in ["1.0", "1.0.0.1", "2.0.0-Beta", "10.0.0"] {
            let bytes = nupkg("Acme.Flat", version, &[]);
            push(&app, "nuget-dev", bytes.clone()).await;
            pushed.push(bytes);
        }
        let index = get_json(&app, "/nuget/nuget-dev/v3/flatcontainer/Acme.Flat/index.json").await;
        assert_eq!(
            index,
            json!({"versions": ["1.0.0", "1.0.0.1", "2.0.0-beta", "10.0.0"]}),
            "{ctx}: lower-case, normalised, in version order"
        );

        let path = "/nuget/nuget-dev/v3/flatcontainer/acme.flat/1.0.0/acme.flat.1.0.0.nupkg";
        let response = app.anonymous(Method::GET, path).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{ctx}");
        let etag = response.headers()[header::ETAG]
            .to_str()
            .expect("etag")
            .to_owned();
        assert_eq!(
            etag,
            format!("\"{}\"", hex::encode(Sha256::digest(&pushed[0]))),
            "{ctx}"
        );
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "private, max-age=31536000, immutable"
        );
        assert_eq!(
            response.bytes().await.expect("bytes").as_ref(),
            pushed[0].as_slice(),
            "{ctx}"
        );
        let cached = app
            .anonymous(Method::GET, path)
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{ctx}");

        // A prerelease by its lower-case URL; the .nuspec as pushed.
        let beta = app
            .anonymous(
                Method::GET,
                "/nuget/nuget-dev/v3/flatcontainer/acme.flat/2.0.0-beta/acme.flat.2.0.0-beta.nupkg",
            )
            .send()
            .await
            .expect("request");
        assert_eq!(
            beta.bytes().await.expect("bytes").as_ref(),
            pushed[2].as_slice(),
            "{ctx}"
        );
        let nuspec = app
            .anonymous(
                Method::GET,
                "/nuget/nuget-dev/v3/flatcontainer/acme.flat/1.0.0.1/acme.flat.nuspec",
            )
            .send()
            .await
            .expect("request");
        assert_eq!(nuspec.headers()[header::CONTENT_TYPE], "application/xml", "{ctx}");
        let text = nuspec.text().await.expect("text");
        assert!(
            text.contains("<id>Acme.Flat</id>") && text.contains("<version>1.0.0.1</version>"),
            "{ctx}: {text}"
        );

        for missing in [
            "/nuget/nuget-dev/v3/flatcontainer/acme.none/index.json",
            "/nuget/nuget-dev/v3/flatcontainer/acme.flat/9.9.9/acme.flat.9.9.9.nupkg",
            "/nuget/nuget-dev/v3/flatcontainer/acme.flat/1.0.0/other.1.0.0.nupkg",
        ] {
            let response = app.anonymous(Method::GET, missing).send().await.expect("request");
            expect_status(response, StatusCode::NOT_FOUND, &format!("{ctx} {missing}")).await;
        }
        // Metadata documents carry an ETag and answer 304 to it.
        let first = app
            .anonymous(
                Method::GET,
                "/nuget/nuget-dev/v3/flatcontainer/acme.flat/index.json",
            )
            .send()
            .await
            .expect("request");
        let etag = first.headers()[header::ETAG].clone();
        let again = app
            .anonymous(
                Method::GET,
                "/nuget/nuget-dev/v3/flatcontainer/acme.flat/index.json",
            )
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{ctx}");
    }
}

#[tokio::test]
async fn registration_inlines_small_packages_and_pages_large_ones() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("nuget-dev", "nuget").await;
        let base_bytes = nupkg("Acme.Base", "1.2.0", &[]);
        push(&app, "nuget-dev", base_bytes.clone()).await;
        push(
            &app,
            "nuget-dev",
            nupkg("Acme.App", "1.0.0", &[("Acme.Base", "[1.2.0, )")]),
        )
        .await;

        let index = get_json(&app, "/nuget/nuget-dev/v3/registrations/acme.base/index.json").await;
        let root = app.url("/nuget/nuget-dev/v3");
        assert_eq!(index["@id"], format!("{root}/registrations/acme.base/index.json"));
        assert_eq!(index["count"], 1, "{ctx}");
        let page = &index["items"][0];
        assert_eq!(
            (&page["count"], &page["lower"], &page["upper"]),
            (&json!(1), &json!("1.2.0"), &json!("1.2.0"))
        );
        let leaf = &page["items"][0];
        assert_eq!(leaf["@id"], format!("{root}/registrations/acme.base/1.2.0.json"));
        assert_eq!(
            leaf["packageContent"],
            format!("{root}/flatcontainer/acme.base/1.2.0/acme.base.1.2.0.nupkg")
        );
        let entry = &leaf["catalogEntry"];
        assert_eq!(
            (&entry["id"], &entry["version"], &entry["listed"]),
            (&json!("Acme.Base"), &json!("1.2.0"), &json!(true))
        );
        assert_eq!(entry["licenseExpression"], "MIT", "{ctx}");
        assert_eq!(entry["authors"], "Gantry Tests");
        assert!(entry["published"].as_str().expect("published").ends_with('Z'));
        assert_eq!(
            entry["packageHash"],
            base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&base_bytes)),
            "{ctx}"
        );

        let app_index = get_json(&app, "/nuget/nuget-dev/v3/registrations/acme.app/index.json").await;
        let groups = &app_index["items"][0]["items"][0]["catalogEntry"]["dependencyGroups"];
        assert_eq!(groups[0]["targetFramework"], ".NETStandard2.0", "{ctx}");
        let dependency = &groups[0]["dependencies"][0];
        assert_eq!(
            (&dependency["id"], &dependency["range"]),
            (&json!("Acme.Base"), &json!("[1.2.0, )"))
        );
        assert_eq!(
            dependency["registration"],
            format!("{root}/registrations/acme.base/index.json")
        );

        // The leaf document, and the catalog entry it points at.
        let leaf_doc = get_json(&app, "/nuget/nuget-dev/v3/registrations/acme.base/1.2.0.json").await;
        for field in [
            "@id",
            "catalogEntry",
            "listed",
            "packageContent",
            "published",
            "registration",
        ] {
            assert!(
                leaf_doc.get(field).is_some(),
                "{ctx}: leaf lacks {field}: {leaf_doc}"
            );
        }
        let catalog_url = leaf_doc["catalogEntry"].as_str().expect("url");
        let catalog = get_json(&app, catalog_url.trim_start_matches(&app.url(""))).await;
        assert_eq!(catalog["id"], "Acme.Base");

        // 130 versions: three pages of at most 64, not inlined.
        for minor in 0..130 {
            push(
                &app,
                "nuget-dev",
                nupkg("Acme.Many", &format!("1.{minor}.0"), &[]),
            )
            .await;
        }
        let many = get_json(&app, "/nuget/nuget-dev/v3/registrations/acme.many/index.json").await;
        assert_eq!(many["count"], 3, "{ctx}");
        let pages = many["items"].as_array().expect("pages");
        assert!(
            pages.iter().all(|p| p.get("items").is_none()),
            "{ctx}: large packages are paged"
        );
        assert_eq!(
            (&pages[0]["lower"], &pages[0]["upper"]),
            (&json!("1.0.0"), &json!("1.63.0"))
        );
        assert_eq!(pages[2]["count"], 2);
        let page_url = pages[1]["@id"].as_str().expect("page url");
        let fetched = get_json(&app, page_url.trim_start_matches(&app.url(""))).await;
        let items = fetched["items"].as_array().expect("items");
        assert_eq!(items.len(), 64, "{ctx}");
        assert_eq!(items[0]["catalogEntry"]["version"], "1.64.0");
        assert_eq!(items[63]["catalogEntry"]["version"], "1.127.0");
    }
}

#[tokio::test]
async fn search_and_autocomplete_follow_prerelease_semver_level_and_listing() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("nuget-dev", "nuget").await;
        push(&app, "nuget-dev", nupkg("Acme.Alpha", "1.0.0", &[])).await;
        push(&app, "nuget-dev", nupkg("Acme.Alpha", "2.0.0-beta", &[])).await;
        push(&app, "nuget-dev", nupkg("Acme.Semver", "1.0.0+build.7", &[])).await;
        push(&app, "nuget-dev", nupkg("Acme.Gone", "1.0.0", &[])).await;
        push(&app, "nuget-dev", nupkg("Other.Thing", "3.0.0", &[])).await;
        let response = app
            .admin(Method::DELETE, "/nuget/nuget-dev/Acme.Gone/1.0.0")
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;

        let ids = |result: &Value| -> Vec<String> {
            result["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|d| d["id"].as_str().expect("id").to_owned())
                .collect()
        };
        let plain = get_json(&app, "/nuget/nuget-dev/v3/search?q=acme").await;
        assert_eq!(ids(&plain), ["Acme.Alpha"], "{ctx}: no SemVer 2, no unlisted");
        assert_eq!(plain["totalHits"], 1);
        let alpha = &plain["data"][0];
        assert_eq!(alpha["version"], "1.0.0");
        assert_eq!(
            alpha["registration"],
            app.url("/nuget/nuget-dev/v3/registrations/acme.alpha/index.json")
        );
        assert_eq!(alpha["versions"].as_array().expect("versions").len(), 1);
        for field in [
            "@id",
            "id",
            "version",
            "versions",
            "description",
            "authors",
            "totalDownloads",
            "packageTypes",
        ] {
            assert!(alpha.get(field).is_some(), "{ctx}: search result lacks {field}");
        }

        let pre = get_json(&app, "/nuget/nuget-dev/v3/search?q=acme&prerelease=true").await;
        assert_eq!(pre["data"][0]["version"], "2.0.0-beta", "{ctx}");
        let semver2 = get_json(
            &app,
            "/nuget/nuget-dev/v3/search?q=acme&prerelease=true&semVerLevel=2.0.0",
        )
        .await;
        assert_eq!(ids(&semver2), ["Acme.Alpha", "Acme.Semver"], "{ctx}");
        assert_eq!(semver2["data"][1]["version"], "1.0.0+build.7");

        let everything = get_json(&app, "/nuget/nuget-dev/v3/search?semVerLevel=2.0.0&take=2").await;
        assert_eq!(everything["totalHits"], 3, "{ctx}");
        assert_eq!(everything["data"].as_array().expect("data").len(), 2);
        let second_page = get_json(&app, "/nuget/nuget-dev/v3/search?semVerLevel=2.0.0&skip=2&take=2").await;
        assert_eq!(ids(&second_page), ["Other.Thing"], "{ctx}");
        let exact = get_json(&app, "/nuget/nuget-dev/v3/search?q=packageid:acme.alpha").await;
        assert_eq!(ids(&exact), ["Acme.Alpha"]);
        let bad = app
            .anonymous(Method::GET, "/nuget/nuget-dev/v3/search?take=lots")
            .send()
            .await
            .expect("request");
        expect_status(bad, StatusCode::BAD_REQUEST, &ctx).await;

        let complete = get_json(&app, "/nuget/nuget-dev/v3/autocomplete?q=acme&semVerLevel=2.0.0").await;
        assert_eq!(strings(&complete["data"]), ["Acme.Alpha", "Acme.Semver"], "{ctx}");
        let versions = get_json(
            &app,
            "/nuget/nuget-dev/v3/autocomplete?id=acme.alpha&prerelease=true",
        )
        .await;
        assert_eq!(strings(&versions["data"]), ["1.0.0", "2.0.0-beta"], "{ctx}");

        // Relisting brings a version back.
        let response = app
            .admin(Method::POST, "/nuget/nuget-dev/Acme.Gone/1.0.0")
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let back = get_json(&app, "/nuget/nuget-dev/v3/search?q=gone").await;
        assert_eq!(ids(&back), ["Acme.Gone"], "{ctx}");
    }
}

#[tokio::test]
async fn status_changes_show_in_registration_and_search() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("nuget-dev", "nuget").await;
        push(&app, "nuget-dev", nupkg("Acme.Old", "1.0.0", &[])).await;
        push(&app, "nuget-dev", nupkg("Acme.Old", "1.1.0", &[])).await;
        let response = app
            .admin(
                Method::POST,
                "/api/packages/nuget-dev/status?name=acme.old&version=1.0",
            )
            .json(&json!({"deprecated": true, "deprecationReason": "Use Acme.New"}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;
        let response = app
            .admin(
                Method::POST,
                "/api/packages/nuget-dev/status?purl=pkg:nuget/Acme.Old@1.1.0",
            )
            .json(&json!({"listed": false}))
            .send()
            .await
            .expect("request");
        expect_status(response, StatusCode::OK, &ctx).await;

        let index = get_json(&app, "/nuget/nuget-dev/v3/registrations/acme.old/index.json").await;
        let items = index["items"][0]["items"].as_array().expect("items");
        assert_eq!(
            items[0]["catalogEntry"]["deprecation"],
            json!({"reasons": ["Other"], "message": "Use Acme.New"}),
            "{ctx}"
        );
        assert_eq!(items[1]["catalogEntry"]["listed"], false, "{ctx}");
        let search = get_json(&app, "/nuget/nuget-dev/v3/search?q=acme.old").await;
        assert_eq!(
            search["data"][0]["version"], "1.0.0",
            "{ctx}: the unlisted 1.1.0 is hidden"
        );
        assert_eq!(search["data"][0]["deprecation"]["message"], "Use Acme.New");

        let history = get_json(
            &app,
            "/api/packages/nuget-dev/history?name=Acme.Old&version=1.1.0",
        )
        .await;
        let actions: Vec<&str> = history
            .as_array()
            .expect("history")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["added", "status-changed"], "{ctx}");
    }
}

#[tokio::test]
async fn promotion_updates_the_target_at_once_and_downloads_record_deployments() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("unapproved-nuget", "nuget").await;
        app.create_feed("approved-choco", "chocolatey").await;
        let bytes = nupkg("Newtonsoft.Json", "13.0.1", &[]);
        push(&app, "unapproved-nuget", bytes.clone()).await;
        let before = app
            .anonymous(
                Method::GET,
                "/nuget/approved-choco/v3/registrations/newtonsoft.json/index.json",
            )
            .send()
            .await
            .expect("request");
        expect_status(before, StatusCode::NOT_FOUND, &ctx).await;

        let promoted = app
            .admin(Method::POST, "/api/promotions/promote")
            .json(
                &json!({"fromFeed": "unapproved-nuget", "toFeed": "approved-choco",
                          "name": "Newtonsoft.Json", "version": "13.0.1", "comments": "vetted"}),
            )
            .send()
            .await
            .expect("request");
        expect_status(promoted, StatusCode::OK, &ctx).await;
        let search = get_json(&app, "/nuget/approved-choco/v3/search?q=newtonsoft").await;
        assert_eq!(search["data"][0]["version"], "13.0.1", "{ctx}");
        get_json(
            &app,
            "/nuget/approved-choco/v3/registrations/newtonsoft.json/index.json",
        )
        .await;
        // The .nuspec came along with the package.
        let nuspec = app
            .anonymous(
                Method::GET,
                "/nuget/approved-choco/v3/flatcontainer/newtonsoft.json/13.0.1/newtonsoft.json.nuspec",
            )
            .send()
            .await
            .expect("request");
        expect_status(nuspec, StatusCode::OK, &ctx).await;

        let download = app
            .anonymous(
                Method::GET,
                "/nuget/approved-choco/v3/flatcontainer/newtonsoft.json/13.0.1/newtonsoft.json.13.0.1.nupkg",
            )
            .header("X-ProGet-Deployment-Application", "Accounting")
            .header("X-ProGet-Deployment-Description", "release 42")
            .header("X-ProGet-Deployment-Target", "web-01")
            .send()
            .await
            .expect("request");
        assert_eq!(download.status(), StatusCode::OK, "{ctx}");
        assert!(
            download.headers()["x-gantry-deployment"]
                .to_str()
                .expect("note")
                .starts_with("recorded"),
            "{ctx}"
        );
        assert_eq!(download.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
        let deployments = app.admin_json("/api/package-deployment/list?target=web-01").await;
        assert_eq!(deployments[0]["name"], "Newtonsoft.Json", "{ctx}: {deployments}");
        assert_eq!(deployments[0]["feed"], "approved-choco");
    }
}
