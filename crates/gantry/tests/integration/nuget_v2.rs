//! The NuGet v2 OData feed under `/nuget/{feed}/`: its documents read with
//! a real XML parser, then the real NuGet.exe pushing to, listing, installing
//! from and deleting on it.

use std::collections::BTreeMap;

use base64::Engine as _;
use gantry_test_support::{nupkg, NuGetCli, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha512};

use crate::expect_status;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const DATA: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices";
const META: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata";
const APP: &str = "http://www.w3.org/2007/app";
const EDM: &str = "http://schemas.microsoft.com/ado/2006/04/edm";

/// One `m:properties` value: its text (`None` for `m:null`) and `m:type`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Prop {
    value: Option<String>,
    edm_type: Option<String>,
}

/// An Atom entry as a client reads it.
#[derive(Clone, Debug)]
struct Entry {
    atom_id: String,
    title: String,
    content_src: String,
    edit: String,
    props: BTreeMap<String, Prop>,
}

impl Entry {
    fn text(&self, name: &str) -> &str {
        self.props
            .get(name)
            .and_then(|p| p.value.as_deref())
            .unwrap_or_else(|| panic!("property {name} missing or null in {self:?}"))
    }

    fn flag(&self, name: &str) -> bool {
        let prop = &self.props[name];
        assert_eq!(prop.edm_type.as_deref(), Some("Edm.Boolean"), "{name}");
        match prop.value.as_deref() {
            Some("true") => true,
            Some("false") => false,
            other => panic!("{name} is {other:?}"),
        }
    }

    fn id_version(&self) -> String {
        format!("{} {}", self.text("Id"), self.text("Version"))
    }
}

/// A feed document: entries, the `next` link and `m:count`.
#[derive(Debug)]
struct Feed {
    title: String,
    entries: Vec<Entry>,
    next: Option<String>,
    count: Option<usize>,
}

impl Feed {
    fn ids(&self) -> Vec<String> {
        self.entries.iter().map(Entry::id_version).collect()
    }
}

fn read_entry(node: roxmltree::Node<'_, '_>) -> Entry {
    let child = |name: &str| {
        node.children()
            .find(|c| c.has_tag_name((ATOM, name)))
            .unwrap_or_else(|| panic!("entry without <{name}>"))
    };
    let properties = node
        .children()
        .find(|c| c.has_tag_name((META, "properties")))
        .expect("m:properties");
    let props = properties
        .children()
        .filter(roxmltree::Node::is_element)
        .map(|p| {
            assert_eq!(p.tag_name().namespace(), Some(DATA), "{:?}", p.tag_name());
            let is_null = p.attribute((META, "null")) == Some("true");
            (
                p.tag_name().name().to_owned(),
                Prop {
                    value: (!is_null).then(|| p.text().unwrap_or_default().to_owned()),
                    edm_type: p.attribute((META, "type")).map(str::to_owned),
                },
            )
        })
        .collect();
    let edit = node
        .children()
        .find(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("edit"))
        .and_then(|l| l.attribute("href"))
        .expect("edit link")
        .to_owned();
    let content = child("content");
    assert_eq!(content.attribute("type"), Some("application/zip"));
    Entry {
        atom_id: child("id").text().unwrap_or_default().to_owned(),
        title: child("title").text().unwrap_or_default().to_owned(),
        content_src: content.attribute("src").expect("src").to_owned(),
        edit,
        props,
    }
}

fn parse_feed(xml: &str) -> Feed {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
    let root = doc.root_element();
    assert!(root.has_tag_name((ATOM, "feed")), "{xml}");
    let child_text = |name: &str| {
        root.children()
            .find(|c| c.has_tag_name((ATOM, name)))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_owned()
    };
    Feed {
        title: child_text("title"),
        entries: root
            .children()
            .filter(|c| c.has_tag_name((ATOM, "entry")))
            .map(read_entry)
            .collect(),
        next: root
            .children()
            .find(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("next"))
            .and_then(|l| l.attribute("href"))
            .map(str::to_owned),
        count: root
            .children()
            .find(|c| c.has_tag_name((META, "count")))
            .and_then(|c| c.text())
            .map(|t| t.parse().expect("a number")),
    }
}

fn parse_entry(xml: &str) -> Entry {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
    let root = doc.root_element();
    assert!(root.has_tag_name((ATOM, "entry")), "{xml}");
    read_entry(root)
}

async fn get_text(app: &TestApp, path: &str, expected: StatusCode) -> String {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    expect_status(response, expected, &format!("[{:?}] GET {path}", app.backend)).await
}

async fn get_feed(app: &TestApp, path: &str) -> Feed {
    let response = app.anonymous(Method::GET, path).send().await.expect("request");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("text")),
        Some("application/atom+xml;type=feed;charset=utf-8"),
        "{path}"
    );
    parse_feed(
        &expect_status(
            response,
            StatusCode::OK,
            &format!("[{:?}] GET {path}", app.backend),
        )
        .await,
    )
}

async fn get_entry(app: &TestApp, path: &str) -> Entry {
    parse_entry(&get_text(app, path, StatusCode::OK).await)
}

async fn push(app: &TestApp, feed: &str, bytes: Vec<u8>) {
    let (status, body) = app.push_nupkg(feed, ADMIN_KEY, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "[{:?}] push: {body}", app.backend);
}

fn sha512_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes))
}

/// Gantry.Lib 0.9.0 (unlisted), 1.0.0, 1.1.0, 1.2.0-beta and 2.0.0-beta.1
/// (SemVer 2); Gantry.App 1.0.0 depending on Gantry.Lib. Returns the bytes
/// of Gantry.Lib 1.0.0 and Gantry.App 1.0.0.
async fn publish_fixture(app: &TestApp, feed: &str) -> (Vec<u8>, Vec<u8>) {
    let lib = nupkg("Gantry.Lib", "1.0.0", &[]);
    push(app, feed, lib.clone()).await;
    for version in ["0.9.0", "1.1.0", "1.2.0-beta", "2.0.0-beta.1"] {
        push(app, feed, nupkg("Gantry.Lib", version, &[])).await;
    }
    let app_package = nupkg("Gantry.App", "1.0.0", &[("Gantry.Lib", "[1.0.0, )")]);
    push(app, feed, app_package.clone()).await;
    let response = app
        .anonymous(Method::DELETE, &format!("/nuget/{feed}/Gantry.Lib/0.9.0"))
        .header("X-NuGet-ApiKey", ADMIN_KEY)
        .send()
        .await
        .expect("request");
    expect_status(response, StatusCode::OK, "unlist").await;
    (lib, app_package)
}

#[tokio::test]
async fn service_document_and_metadata() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("packages", "nuget").await;
        for path in ["/nuget/packages/", "/nuget/packages"] {
            let response = app.anonymous(Method::GET, path).send().await.expect("request");
            assert_eq!(
                response.headers()["content-type"],
                "application/xml; charset=utf-8"
            );
            let xml = expect_status(response, StatusCode::OK, &ctx).await;
            let doc = roxmltree::Document::parse(&xml).expect("XML");
            let root = doc.root_element();
            assert!(root.has_tag_name((APP, "service")), "{ctx}: {xml}");
            assert_eq!(
                root.attribute(("http://www.w3.org/XML/1998/namespace", "base")),
                Some(app.url("/nuget/packages/").as_str())
            );
            let collections: Vec<&str> = root
                .descendants()
                .filter(|n| n.has_tag_name((APP, "collection")))
                .filter_map(|n| n.attribute("href"))
                .collect();
            assert_eq!(collections, ["Packages"], "{ctx}");
        }

        let xml = get_text(&app, "/nuget/packages/$metadata", StatusCode::OK).await;
        let doc = roxmltree::Document::parse(&xml).expect("well-formed EDMX");
        let entity = doc
            .descendants()
            .find(|n| n.has_tag_name((EDM, "EntityType")) && n.attribute("Name") == Some("V2FeedPackage"))
            .expect("V2FeedPackage");
        let keys: Vec<&str> = entity
            .descendants()
            .filter(|n| n.has_tag_name((EDM, "PropertyRef")))
            .filter_map(|n| n.attribute("Name"))
            .collect();
        assert_eq!(keys, ["Id", "Version"]);
        let functions: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name((EDM, "FunctionImport")))
            .filter_map(|n| n.attribute("Name"))
            .collect();
        for f in ["Search", "FindPackagesById", "GetUpdates"] {
            assert!(functions.contains(&f), "{ctx}: {functions:?}");
        }
        assert!(doc
            .descendants()
            .any(|n| n.has_tag_name((EDM, "EntitySet")) && n.attribute("Name") == Some("Packages")));

        // Every property an entry carries is declared, with the type it is sent with.
        push(&app, "packages", nupkg("Gantry.Lib", "1.0.0", &[])).await;
        let entry = get_entry(&app, "/nuget/packages/Packages(Id='Gantry.Lib',Version='1.0.0')").await;
        let declared: BTreeMap<&str, &str> = entity
            .children()
            .filter(|n| n.has_tag_name((EDM, "Property")))
            .map(|n| {
                (
                    n.attribute("Name").expect("name"),
                    n.attribute("Type").expect("type"),
                )
            })
            .collect();
        for (name, prop) in &entry.props {
            let declared_type = declared
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{ctx}: {name} is not declared in $metadata"));
            assert_eq!(
                prop.edm_type.as_deref().unwrap_or("Edm.String"),
                *declared_type,
                "{name}"
            );
        }
        assert_eq!(
            declared.len(),
            entry.props.len(),
            "{ctx}: declared but never sent"
        );
    }
}

#[tokio::test]
async fn entries_carry_the_package_properties() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("packages", "nuget").await;
        let (lib, app_package) = publish_fixture(&app, "packages").await;

        // `1.0` finds `1.0.0`; ids are case-insensitive.
        let entry = get_entry(&app, "/nuget/packages/Packages(Id='gantry.lib',Version='1.0')").await;
        assert_eq!(entry.text("Id"), "Gantry.Lib", "{ctx}");
        assert_eq!(entry.title, "Gantry.Lib");
        assert_eq!(entry.text("Version"), "1.0.0");
        assert_eq!(entry.text("NormalizedVersion"), "1.0.0");
        assert_eq!(
            entry.atom_id,
            app.url("/nuget/packages/Packages(Id='Gantry.Lib',Version='1.0.0')")
        );
        assert_eq!(entry.edit, "Packages(Id='Gantry.Lib',Version='1.0.0')");
        assert_eq!(
            entry.content_src,
            app.url("/nuget/packages/package/Gantry.Lib/1.0.0")
        );
        assert_eq!(entry.text("Authors"), "Gantry Tests");
        assert_eq!(
            entry.text("Description"),
            "Gantry.Lib 1.0.0, a package of Gantry's tests."
        );
        assert_eq!(entry.text("Dependencies"), "::.NETStandard2.0");
        assert_eq!(entry.text("PackageHash"), sha512_base64(&lib), "{ctx}");
        assert_eq!(entry.text("PackageHashAlgorithm"), "SHA512");
        assert_eq!(entry.text("PackageSize"), lib.len().to_string());
        assert_eq!(entry.props["PackageSize"].edm_type.as_deref(), Some("Edm.Int64"));
        assert_eq!(entry.text("LicenseUrl"), "https://licenses.nuget.org/MIT");
        assert_eq!(entry.text("LicenseNames"), "MIT");
        assert_eq!(entry.props["Title"].value, None, "no title in the nuspec: m:null");
        assert!(!entry.flag("IsLatestVersion") && !entry.flag("IsAbsoluteLatestVersion"));
        assert!(!entry.flag("IsPrerelease") && entry.flag("Listed"));
        assert!(!entry.flag("RequireLicenseAcceptance"));
        let published = entry.text("Published");
        assert!(
            published.starts_with("20") && published.ends_with('Z'),
            "{published}"
        );
        assert_eq!(entry.props["Published"].edm_type.as_deref(), Some("Edm.DateTime"));

        let app_entry = get_entry(&app, "/nuget/packages/Packages(Id='Gantry.App',Version='1.0.0')").await;
        assert_eq!(
            app_entry.text("Dependencies"),
            "Gantry.Lib:[1.0.0, ):.NETStandard2.0"
        );
        assert_eq!(app_entry.text("PackageHash"), sha512_base64(&app_package));
        assert!(app_entry.flag("IsLatestVersion") && app_entry.flag("IsAbsoluteLatestVersion"));

        // The latest flags: stable, and with prereleases (SemVer 2 only for SemVer 2 clients).
        let latest = get_entry(&app, "/nuget/packages/Packages(Id='Gantry.Lib',Version='1.1.0')").await;
        assert!(latest.flag("IsLatestVersion") && !latest.flag("IsAbsoluteLatestVersion"));
        let beta = get_entry(
            &app,
            "/nuget/packages/Packages(Id='Gantry.Lib',Version='1.2.0-beta')",
        )
        .await;
        assert!(!beta.flag("IsLatestVersion") && beta.flag("IsAbsoluteLatestVersion"));
        assert!(beta.flag("IsPrerelease"));
        let beta = get_entry(
            &app,
            "/nuget/packages/Packages(Id='Gantry.Lib',Version='1.2.0-beta')?semVerLevel=2.0.0",
        )
        .await;
        assert!(!beta.flag("IsAbsoluteLatestVersion"));
        let semver2 = get_entry(
            &app,
            "/nuget/packages/Packages(Id='Gantry.Lib',Version='2.0.0-beta.1')?semVerLevel=2.0.0",
        )
        .await;
        assert!(semver2.flag("IsAbsoluteLatestVersion"));

        // An unlisted version still answers by its key, "published in 1900".
        let unlisted = get_entry(&app, "/nuget/packages/Packages(Id='Gantry.Lib',Version='0.9.0')").await;
        assert!(!unlisted.flag("Listed"));
        assert_eq!(unlisted.text("Published"), "1900-01-01T00:00:00");
        get_text(
            &app,
            "/nuget/packages/Packages(Id='Gantry.Lib',Version='9.9.9')",
            StatusCode::NOT_FOUND,
        )
        .await;
        get_text(
            &app,
            "/nuget/packages/Packages(Id='Nope',Version='1.0.0')",
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn find_packages_by_id_search_filter_order_and_paging() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("packages", "nuget").await;
        publish_fixture(&app, "packages").await;

        // Every version, oldest first, unlisted included; SemVer 2 only when asked.
        let feed = get_feed(&app, "/nuget/packages/FindPackagesById()?id='gantry.lib'").await;
        assert_eq!(feed.title, "FindPackagesById");
        assert_eq!(
            feed.ids(),
            [
                "Gantry.Lib 0.9.0",
                "Gantry.Lib 1.0.0",
                "Gantry.Lib 1.1.0",
                "Gantry.Lib 1.2.0-beta"
            ],
            "{ctx}"
        );
        assert_eq!(feed.entries[0].text("Published"), "1900-01-01T00:00:00");
        let feed = get_feed(
            &app,
            "/nuget/packages/FindPackagesById()?id='Gantry.Lib'&semVerLevel=2.0.0",
        )
        .await;
        assert_eq!(
            feed.ids().last().map(String::as_str),
            Some("Gantry.Lib 2.0.0-beta.1")
        );
        let feed = get_feed(
            &app,
            "/nuget/packages/FindPackagesById()?id=%27Gantry.Lib%27&$orderby=Version%20desc",
        )
        .await;
        assert_eq!(feed.ids()[0], "Gantry.Lib 1.2.0-beta");
        assert!(get_feed(&app, "/nuget/packages/FindPackagesById()?id='nothing'")
            .await
            .entries
            .is_empty());
        get_text(
            &app,
            "/nuget/packages/FindPackagesById()?id=Gantry.Lib",
            StatusCode::BAD_REQUEST,
        )
        .await;
        get_text(
            &app,
            "/nuget/packages/FindPackagesById()",
            StatusCode::BAD_REQUEST,
        )
        .await;

        // Search: listed versions only, as NuGet.exe's `list` asks.
        let search = |extra: &str| {
            format!("/nuget/packages/Search()?$orderby=Id&targetFramework=''&$skip=0&$top=30{extra}")
        };
        let feed = get_feed(
            &app,
            &search("&$filter=IsLatestVersion&searchTerm=''&includePrerelease=false"),
        )
        .await;
        assert_eq!(feed.title, "Search");
        assert_eq!(feed.ids(), ["Gantry.App 1.0.0", "Gantry.Lib 1.1.0"], "{ctx}");
        let feed = get_feed(
            &app,
            &search("&$filter=IsAbsoluteLatestVersion&searchTerm=''&includePrerelease=true"),
        )
        .await;
        assert_eq!(feed.ids(), ["Gantry.App 1.0.0", "Gantry.Lib 1.2.0-beta"], "{ctx}");
        let feed = get_feed(
            &app,
            &search(
                "&$filter=IsAbsoluteLatestVersion&searchTerm=''&includePrerelease=true&semVerLevel=2.0.0",
            ),
        )
        .await;
        assert_eq!(
            feed.ids(),
            ["Gantry.App 1.0.0", "Gantry.Lib 2.0.0-beta.1"],
            "{ctx}"
        );
        let feed = get_feed(&app, &search("&searchTerm='lib'&includePrerelease=false")).await;
        assert_eq!(feed.ids(), ["Gantry.Lib 1.0.0", "Gantry.Lib 1.1.0"], "{ctx}");
        let feed = get_feed(&app, &search("&searchTerm='app tests'")).await;
        assert_eq!(feed.ids(), ["Gantry.App 1.0.0"], "{ctx}");

        // Chocolatey's exact-id query, and PowerShellGet's.
        let feed = get_feed(
            &app,
            "/nuget/packages/Packages()?$filter=(tolower(Id)%20eq%20%27gantry.lib%27)%20and%20IsLatestVersion",
        )
        .await;
        assert_eq!(feed.ids(), ["Gantry.Lib 1.1.0"], "{ctx}");
        let feed = get_feed(
            &app,
            "/nuget/packages/Search()?$filter=IsAbsoluteLatestVersion%20and%20Id%20eq%20%27Gantry.App%27&searchTerm=''&includePrerelease=true",
        )
        .await;
        assert_eq!(feed.ids(), ["Gantry.App 1.0.0"], "{ctx}");
        let feed = get_feed(
            &app,
            "/nuget/packages/Packages()?$filter=not%20Listed%20or%20substringof('beta',%20Version)",
        )
        .await;
        assert_eq!(feed.ids(), ["Gantry.Lib 0.9.0", "Gantry.Lib 1.2.0-beta"], "{ctx}");
        for bad in ["Id%20gt%20'a'", "(IsLatestVersion", "Size%20eq%20'1'", "Id"] {
            let body = get_text(
                &app,
                &format!("/nuget/packages/Packages()?$filter={bad}"),
                StatusCode::BAD_REQUEST,
            )
            .await;
            assert!(body.contains("$filter"), "{ctx}: {body}");
        }
        get_text(
            &app,
            "/nuget/packages/Packages()?$orderby=Size",
            StatusCode::BAD_REQUEST,
        )
        .await;

        // Paging: every page links the next until all were seen.
        let mut path =
            "/nuget/packages/Packages()?$orderby=Id,Version&$top=2&$inlinecount=allpages".to_owned();
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let feed = get_feed(&app, &path).await;
            assert_eq!(feed.count, Some(5), "{ctx}");
            assert!(feed.entries.len() <= 2);
            seen.extend(feed.ids());
            pages += 1;
            let Some(next) = feed.next else { break };
            assert!(next.contains("$skip="), "{next}");
            path = next
                .strip_prefix(&app.url(""))
                .unwrap_or_else(|| panic!("absolute next link: {next}"))
                .to_owned();
        }
        assert_eq!(pages, 3, "{ctx}");
        assert_eq!(
            seen,
            [
                "Gantry.App 1.0.0",
                "Gantry.Lib 0.9.0",
                "Gantry.Lib 1.0.0",
                "Gantry.Lib 1.1.0",
                "Gantry.Lib 1.2.0-beta"
            ],
            "{ctx}"
        );
        let feed = get_feed(&app, "/nuget/packages/Packages()?$orderby=Id%20desc&$skip=4").await;
        assert_eq!(feed.ids(), ["Gantry.App 1.0.0"]);
        assert!(feed.next.is_none() && feed.count.is_none());

        // $count: the number of matches, paging aside.
        for (path, expected) in [
            ("/nuget/packages/Packages()/$count", "5"),
            ("/nuget/packages/Packages/$count?semVerLevel=2.0.0", "6"),
            (
                "/nuget/packages/Search()/$count?searchTerm=''&$filter=IsLatestVersion&$top=1",
                "2",
            ),
            ("/nuget/packages/FindPackagesById()/$count?id='Gantry.App'", "1"),
        ] {
            assert_eq!(
                get_text(&app, path, StatusCode::OK).await,
                expected,
                "{ctx} {path}"
            );
        }
        get_text(
            &app,
            "/nuget/packages/Packages(Id='Gantry.App',Version='1.0.0')/$count",
            StatusCode::NOT_FOUND,
        )
        .await;
        get_text(&app, "/nuget/packages/Nothing()", StatusCode::NOT_FOUND).await;

        // GetUpdates: the newest listed version above each one given.
        let feed = get_feed(
            &app,
            "/nuget/packages/GetUpdates()?packageIds='Gantry.Lib|Gantry.App'&versions='1.0.0|1.0.0'&includePrerelease=false&includeAllVersions=false",
        )
        .await;
        assert_eq!(feed.ids(), ["Gantry.Lib 1.1.0"], "{ctx}");
        let feed = get_feed(
            &app,
            "/nuget/packages/GetUpdates()?packageIds='Gantry.Lib'&versions='0.1'&includePrerelease=true&includeAllVersions=true",
        )
        .await;
        assert_eq!(
            feed.ids(),
            ["Gantry.Lib 1.0.0", "Gantry.Lib 1.1.0", "Gantry.Lib 1.2.0-beta"],
            "{ctx}"
        );
        get_text(
            &app,
            "/nuget/packages/GetUpdates()?packageIds='a|b'&versions='1.0'",
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

#[tokio::test]
async fn downloads_count_and_answer_304() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("packages", "nuget").await;
        let (lib, _) = publish_fixture(&app, "packages").await;
        let entry = get_entry(&app, "/nuget/packages/Packages(Id='Gantry.Lib',Version='1.0.0')").await;
        let path = entry
            .content_src
            .strip_prefix(&app.url(""))
            .expect("absolute download URL")
            .to_owned();
        let response = app.anonymous(Method::GET, &path).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{ctx}");
        assert_eq!(response.headers()["content-type"], "application/octet-stream");
        let etag = response.headers()["etag"].clone();
        assert_eq!(
            response.bytes().await.expect("bytes").as_ref(),
            lib.as_slice(),
            "{ctx}"
        );
        let response = app
            .anonymous(Method::GET, &path)
            .header("If-None-Match", etag)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{ctx}");
        // By the version as written in any equivalent form.
        let response = app
            .anonymous(Method::GET, "/nuget/packages/package/gantry.lib/1.0")
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.bytes().await.expect("bytes").as_ref(),
            lib.as_slice(),
            "{ctx}"
        );
        get_text(
            &app,
            "/nuget/packages/package/Gantry.Lib/7.0.0",
            StatusCode::NOT_FOUND,
        )
        .await;

        // Both downloads counted: for the version, and for the id on every version.
        let entry = get_entry(&app, "/nuget/packages/Packages(Id='Gantry.Lib',Version='1.0.0')").await;
        assert_eq!(entry.text("VersionDownloadCount"), "2", "{ctx}");
        assert_eq!(
            entry.props["VersionDownloadCount"].edm_type.as_deref(),
            Some("Edm.Int32")
        );
        let other = get_entry(&app, "/nuget/packages/Packages(Id='Gantry.Lib',Version='1.1.0')").await;
        assert_eq!(other.text("VersionDownloadCount"), "0");
        assert_eq!(other.text("DownloadCount"), "2", "{ctx}");
    }
}

#[tokio::test]
async fn only_nuget_family_feeds_answer() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        for path in [
            "/nuget/tools/",
            "/nuget/tools/$metadata",
            "/nuget/tools/Packages()",
            "/nuget/tools/Search()/$count",
            "/nuget/tools/package/a/1.0.0",
            "/nuget/missing/",
            "/nuget/missing/FindPackagesById()?id='a'",
            "/nuget/missing/package/a/1.0.0",
        ] {
            get_text(&app, path, StatusCode::NOT_FOUND).await;
        }

        for (feed, feed_type) in [("choco", "chocolatey"), ("psgallery", "powershell")] {
            app.create_feed(feed, feed_type).await;
            let bytes = nupkg("Gantry.Tool", "3.1.0", &[]);
            push(&app, feed, bytes.clone()).await;
            let found = get_feed(
                &app,
                &format!("/nuget/{feed}/FindPackagesById()?id='Gantry.Tool'"),
            )
            .await;
            assert_eq!(found.ids(), ["Gantry.Tool 3.1.0"], "{ctx} {feed_type}");
            assert_eq!(
                found.entries[0].content_src,
                app.url(&format!("/nuget/{feed}/package/Gantry.Tool/3.1.0"))
            );
            let response = app
                .anonymous(Method::GET, &format!("/nuget/{feed}/package/Gantry.Tool/3.1.0"))
                .send()
                .await
                .expect("request");
            assert_eq!(response.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
        }
    }
}

#[tokio::test]
async fn closed_feeds_challenge_anonymous_callers() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("private", "nuget").await;
        app.create_feed("elsewhere", "nuget").await;
        push(&app, "private", nupkg("Gantry.Lib", "1.0.0", &[])).await;
        let viewer = app
            .create_key(
                serde_json::json!({"type": "feed", "feed": "private", "packagePermissions": ["view"]}),
            )
            .await;
        let stranger = app
            .create_key(
                serde_json::json!({"type": "feed", "feed": "elsewhere", "packagePermissions": ["view"]}),
            )
            .await;
        for path in [
            "/nuget/private/",
            "/nuget/private/$metadata",
            "/nuget/private/Packages()",
            "/nuget/private/Packages()/$count",
            "/nuget/private/FindPackagesById()?id='Gantry.Lib'",
            "/nuget/private/package/Gantry.Lib/1.0.0",
        ] {
            let response = app.anonymous(Method::GET, path).send().await.expect("request");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{ctx} {path}");
            assert!(response.headers().contains_key("www-authenticate"));
            let response = app
                .with_key(Method::GET, path, &stranger)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{ctx} {path}");
            let response = app
                .anonymous(Method::GET, path)
                .basic_auth("api", Some(&viewer))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{ctx} {path}");
        }
    }
}

/// The real NuGet.exe against a v2 source: push (refused without a key),
/// list, install with a dependency, delete (unlist).
#[tokio::test]
async fn nuget_exe_uses_the_v2_feed() {
    let cli = NuGetCli::required();
    // One backend is enough: the protocol is the same on both, and mono is slow.
    let backend = gantry_store::testing::backends()[0];
    let app = TestApp::spawn(backend, |_| {}).await;
    app.create_feed("packages", "nuget").await;
    let source = app.url("/nuget/packages/");
    let work = cli.work_dir().to_path_buf();
    let a = nupkg("Gantry.A", "1.0.0", &[]);
    let a_beta = nupkg("Gantry.A", "2.0.0-beta", &[]);
    let b = nupkg("Gantry.B", "1.0.0", &[("Gantry.A", "[1.0.0, )")]);
    for (name, bytes) in [
        ("Gantry.A.1.0.0.nupkg", &a),
        ("Gantry.A.2.0.0-beta.nupkg", &a_beta),
        ("Gantry.B.1.0.0.nupkg", &b),
    ] {
        std::fs::write(work.join(name), bytes).expect("write package");
    }

    cli.run(&["push", "Gantry.A.1.0.0.nupkg", "-Source", &source])
        .await
        .assert_failure();
    app.assert_nothing_stored("packages").await;
    for name in [
        "Gantry.A.1.0.0.nupkg",
        "Gantry.A.2.0.0-beta.nupkg",
        "Gantry.B.1.0.0.nupkg",
    ] {
        cli.run(&["push", name, "-Source", &source, "-ApiKey", ADMIN_KEY])
            .await
            .assert_success();
    }

    let listed = cli.run(&["list", "-Source", &source]).await;
    listed.assert_success();
    let lines: Vec<&str> = listed.stdout.lines().map(str::trim).collect();
    assert!(lines.contains(&"Gantry.A 1.0.0"), "{listed}");
    assert!(lines.contains(&"Gantry.B 1.0.0"), "{listed}");
    assert!(!listed.stdout.contains("2.0.0-beta"), "{listed}");
    let listed = cli.run(&["list", "-Source", &source, "-Prerelease"]).await;
    listed.assert_success();
    assert!(
        listed.stdout.lines().any(|l| l.trim() == "Gantry.A 2.0.0-beta"),
        "{listed}"
    );

    let installed = cli
        .run(&[
            "install",
            "Gantry.B",
            "-Version",
            "1.0.0",
            "-Source",
            &source,
            "-OutputDirectory",
            "out",
        ])
        .await;
    installed.assert_success();
    for (package, bytes) in [("Gantry.B.1.0.0", &b), ("Gantry.A.1.0.0", &a)] {
        let path = work.join("out").join(package).join(format!("{package}.nupkg"));
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}\n{installed}", path.display()));
        assert_eq!(&on_disk, bytes, "{package} as installed");
    }

    cli.run(&[
        "delete", "Gantry.A", "1.0.0", "-Source", &source, "-ApiKey", ADMIN_KEY,
    ])
    .await
    .assert_success();
    let listed = cli.run(&["list", "-Source", &source]).await;
    listed.assert_success();
    assert!(!listed.stdout.contains("Gantry.A"), "{listed}");
    assert!(listed.stdout.contains("Gantry.B 1.0.0"), "{listed}");
}
