//! The authorization matrix: every endpoint of the route table, called by
//! every kind of caller, answers exactly the status the permission model
//! says; every refused write changes nothing. A route added without a case
//! here fails the test.

use std::collections::BTreeMap;

use gantry_core::Attribute;
use gantry_server::api::routes::RouteEntry;
use gantry_test_support::npm::{npm_tarball, publish_document};
use gantry_test_support::{backend_test, nupkg, type_test, upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The callers of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    UnknownKey,
    ExpiredKey,
    OtherFeedKey,
    ViewOnlyKey,
    PromoteKey,
    PersonalKeyWithoutRights,
    Administrator,
}

const EVERYONE: [Who; 8] = [
    Who::Anonymous,
    Who::UnknownKey,
    Who::ExpiredKey,
    Who::OtherFeedKey,
    Who::ViewOnlyKey,
    Who::PromoteKey,
    Who::PersonalKeyWithoutRights,
    Who::Administrator,
];

/// What an endpoint needs.
#[derive(Clone, Debug)]
enum Need {
    /// Nothing: open to all, credentials are not read.
    Nothing,
    /// A list that leaves out what the caller may not view: anonymous
    /// callers who may view nothing are challenged, others get what they may see.
    Listing,
    /// Every one of these attributes, on these feeds (`None`: server-wide).
    All(Vec<(Attribute, Option<&'static str>)>),
    /// Anyone, Anonymous included; credentials that are given must sign in
    /// (the registry's token endpoint).
    SignedInOrAnonymous,
}

struct Case {
    path: String,
    body: Option<Body>,
    need: Need,
    success: StatusCode,
}

enum Body {
    Json(Value),
    Bytes(Vec<u8>),
    Form(Vec<(&'static str, &'static str)>),
}

/// Whether `who` holds `attribute` on `feed`, given the set-up below:
/// Anonymous and Everyone hold nothing (reads are closed), the feed keys hold
/// their permissions on their one feed, the user holds nothing.
fn holds(who: Who, attribute: Attribute, feed: Option<&str>) -> bool {
    use Attribute::{
        DeletePackage, DownloadPackages, OverwritePackage, PromotePackage, UnlistPackage, ViewPackages,
    };
    match who {
        Who::Administrator => true,
        Who::OtherFeedKey => {
            feed == Some("other")
                && matches!(
                    attribute,
                    ViewPackages
                        | DownloadPackages
                        | Attribute::AddPackage
                        | PromotePackage
                        | DeletePackage
                        | OverwritePackage
                        | UnlistPackage
                )
        }
        Who::ViewOnlyKey => feed == Some("target") && matches!(attribute, ViewPackages | DownloadPackages),
        Who::PromoteKey => {
            feed == Some("target") && matches!(attribute, ViewPackages | DownloadPackages | PromotePackage)
        }
        _ => false,
    }
}

fn expected(who: Who, case: &Case) -> StatusCode {
    match (&case.need, who) {
        (Need::Nothing, _) => case.success,
        // Registry clients are sent for a token (401) when their
        // credentials do not sign in; everyone else is refused (403).
        (_, Who::UnknownKey | Who::ExpiredKey) if case.path.starts_with("/v2") => StatusCode::UNAUTHORIZED,
        (_, Who::UnknownKey | Who::ExpiredKey) => StatusCode::FORBIDDEN,
        (Need::Listing, Who::Anonymous) => StatusCode::UNAUTHORIZED,
        (Need::SignedInOrAnonymous | Need::Listing, _) => case.success,
        (Need::All(needs), _) => {
            if needs.iter().all(|(a, f)| holds(who, *a, *f)) {
                case.success
            } else if who == Who::Anonymous {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FORBIDDEN
            }
        }
    }
}

fn all(needs: &[(Attribute, Option<&'static str>)]) -> Need {
    Need::All(needs.to_vec())
}

fn admin_only() -> Need {
    all(&[(Attribute::Administer, None)])
}

/// The request each route gets. `target` holds acme/hammer 1.0.0 (also in
/// `source`); `doomed` and acme/doomed exist to be deleted.
fn case_for(route: &RouteEntry) -> Option<Case> {
    use Attribute::*;
    let json_case = |path: &str, body: Value, need: Need, success: StatusCode| Case {
        path: path.into(),
        body: Some(Body::Json(body)),
        need,
        success,
    };
    let get = |path: &str, need: Need| Case {
        path: path.into(),
        body: None,
        need,
        success: StatusCode::OK,
    };
    let post = |path: &str, need: Need| Case {
        path: path.into(),
        body: None,
        need,
        success: StatusCode::OK,
    };
    let target = Some("target");
    let nuget = Some(NUGET_FEED);
    let npm = Some(NPM_FEED);
    let maven = Some(MAVEN_FEED);
    let docker = Some(DOCKER_FEED);
    let hammer = "group=acme&name=hammer&version=1.0.0";
    let case = match (route.method.as_str(), route.path.as_str()) {
        ("GET", "/health" | "/api/openapi.json") => get(&route.path, Need::Nothing),
        ("POST", "/api/management/feeds/create") => json_case(
            &route.path,
            json!({"name": "brand-new", "feedType": "universal"}),
            all(&[(ManageFeeds, None)]),
            StatusCode::CREATED,
        ),
        ("GET", "/api/management/feeds/get/{name}") => {
            get("/api/management/feeds/get/target", all(&[(ViewPackages, target)]))
        }
        ("POST", "/api/management/feeds/update/{name}") => json_case(
            "/api/management/feeds/update/target",
            json!({"description": "changed"}),
            all(&[(ManageFeeds, target)]),
            StatusCode::OK,
        ),
        ("DELETE" | "POST", "/api/management/feeds/delete/{name}") => Case {
            path: format!(
                "/api/management/feeds/delete/doomed-{}",
                route.method.as_str().to_lowercase()
            ),
            body: None,
            need: all(&[(ManageFeeds, Some("nobody-holds-this"))]),
            success: StatusCode::OK,
        },
        ("POST", "/api/management/connectors/create") => json_case(
            &route.path,
            json!({"name": "brand-new", "feedType": "universal", "url": "http://127.0.0.1:9/upack/x"}),
            all(&[(ManageFeeds, None)]),
            StatusCode::CREATED,
        ),
        ("GET", "/api/management/connectors/list") => get(&route.path, all(&[(ManageFeeds, None)])),
        ("GET", "/api/management/connectors/get/{name}") => get(
            "/api/management/connectors/get/mirror",
            all(&[(ManageFeeds, None)]),
        ),
        ("POST", "/api/management/connectors/update/{name}") => json_case(
            "/api/management/connectors/update/mirror",
            json!({"timeout": 10}),
            all(&[(ManageFeeds, None)]),
            StatusCode::OK,
        ),
        ("DELETE", "/api/management/connectors/delete/{name}") => Case {
            path: "/api/management/connectors/delete/doomed-connector".into(),
            body: None,
            need: all(&[(ManageFeeds, None)]),
            success: StatusCode::OK,
        },
        ("GET", "/api/packages/{feed}/versions") => get(
            "/api/packages/target/versions?group=acme&name=hammer",
            all(&[(ViewPackages, target)]),
        ),
        ("GET", "/api/packages/{feed}/latest") => get(
            "/api/packages/target/latest?group=acme&name=hammer",
            all(&[(ViewPackages, target)]),
        ),
        ("GET", "/api/packages/{feed}/download") => get(
            &format!("/api/packages/target/download?{hammer}"),
            all(&[(DownloadPackages, target)]),
        ),
        ("POST", "/api/packages/{feed}/delete") => post(
            "/api/packages/target/delete?group=acme&name=doomed&version=1.0.0",
            all(&[(DeletePackage, target)]),
        ),
        ("POST", "/api/packages/{feed}/status") => json_case(
            &format!("/api/packages/target/status?{hammer}"),
            json!({"deprecated": true, "deprecationReason": "old"}),
            all(&[(UnlistPackage, target)]),
            StatusCode::OK,
        ),
        ("GET", "/api/packages/{feed}/history") => get(
            &format!("/api/packages/target/history?{hammer}"),
            all(&[(ViewPackages, target)]),
        ),
        ("POST", "/api/promotions/promote") => json_case(
            &route.path,
            json!({"fromFeed": "source", "toFeed": "target", "group": "acme", "name": "fresh", "version": "1.0.0"}),
            all(&[(PromotePackage, target), (ViewPackages, Some("source"))]),
            StatusCode::OK,
        ),
        ("GET", "/api/management/feeds/list" | "/api/promotions/list" | "/api/package-deployment/list") => {
            get(&route.path, Need::Listing)
        }
        ("POST", "/api/package-deployment/" | "/api/package-deployment") => json_case(
            &route.path,
            json!({"Application": "matrix", "Description": "d", "Target": "srv1", "FeedName": "target",
                   "GroupName": "acme", "PackageName": "hammer", "Version": "1.0.0"}),
            all(&[(ViewPackages, target)]),
            StatusCode::OK,
        ),
        ("GET", "/api/package-deployment/targets") => get(
            "/api/package-deployment/targets?feed=target&group=acme&package=hammer",
            all(&[(ViewPackages, target)]),
        ),
        ("POST", "/api/api-keys/create") => json_case(
            &route.path,
            json!({"type": "system", "systemApis": ["feeds"]}),
            admin_only(),
            StatusCode::OK,
        ),
        // Authorized, and then nothing to delete: 404 proves the check passed.
        ("POST", "/api/api-keys/delete") => Case {
            success: StatusCode::NOT_FOUND,
            ..post("/api/api-keys/delete?id=999999", admin_only())
        },
        (
            "GET",
            "/api/api-keys/list"
            | "/api/security/users/list"
            | "/api/security/groups/list"
            | "/api/security/tasks/list"
            | "/api/security/attributes/list"
            | "/api/security/permissions/list"
            | "/api/security/audit",
        ) => get(&route.path, admin_only()),
        ("GET", "/api/security/users/show") => get("/api/security/users/show?user=norights", admin_only()),
        ("POST", "/api/security/users/add") => json_case(
            &route.path,
            json!({"name": "newcomer", "password": "newcomer-password"}),
            admin_only(),
            StatusCode::OK,
        ),
        ("POST", "/api/security/users/update") => json_case(
            &route.path,
            json!({"name": "norights", "displayName": "Changed"}),
            admin_only(),
            StatusCode::OK,
        ),
        ("POST", "/api/security/users/delete") => {
            post("/api/security/users/delete?user=doomed-user", admin_only())
        }
        ("GET", "/api/security/groups/members") => {
            get("/api/security/groups/members?group=Developers", admin_only())
        }
        ("POST", "/api/security/groups/add") => json_case(
            &route.path,
            json!({"name": "New Group"}),
            admin_only(),
            StatusCode::OK,
        ),
        ("POST", "/api/security/groups/update") => json_case(
            &route.path,
            json!({"name": "Developers", "users": ["norights"]}),
            admin_only(),
            StatusCode::OK,
        ),
        ("POST", "/api/security/groups/add-member") => post(
            "/api/security/groups/add-member?group=Developers&user=norights",
            admin_only(),
        ),
        ("POST", "/api/security/groups/remove-member") => post(
            "/api/security/groups/remove-member?group=Developers&user=norights",
            admin_only(),
        ),
        ("POST", "/api/security/groups/delete") => {
            post("/api/security/groups/delete?group=Doomed", admin_only())
        }
        ("POST", "/api/security/tasks/add") => json_case(
            &route.path,
            json!({"name": "Matrix Task", "attributes": ["view"]}),
            admin_only(),
            StatusCode::OK,
        ),
        ("POST", "/api/security/tasks/update") => json_case(
            &route.path,
            json!({"name": "Doomed Task", "attributes": ["view", "download"]}),
            admin_only(),
            StatusCode::OK,
        ),
        ("POST", "/api/security/tasks/delete") => {
            post("/api/security/tasks/delete?task=Doomed%20Task", admin_only())
        }
        ("POST", "/api/security/permissions/add") => json_case(
            &route.path,
            json!({"group": "Developers", "task": "View & Download Packages", "feed": "other"}),
            admin_only(),
            StatusCode::OK,
        ),
        ("POST", "/api/security/permissions/delete") => Case {
            success: StatusCode::NOT_FOUND,
            ..post(
                "/api/security/permissions/delete?permissionId=999999",
                admin_only(),
            )
        },
        ("POST" | "PUT", "/upack/{feed}/upload") => Case {
            path: "/upack/target/upload".into(),
            body: Some(Body::Bytes(upack(
                "acme",
                "uploaded",
                &format!("1.0.{}", route.method.as_str().len()),
                b"u",
            ))),
            need: all(&[(AddPackage, target)]),
            success: StatusCode::CREATED,
        },
        ("POST" | "PUT", "/api/packages/{feed}/upload") => Case {
            path: "/api/packages/target/upload".into(),
            body: Some(Body::Bytes(upack(
                "acme",
                "api-uploaded",
                &format!("2.0.{}", route.method.as_str().len()),
                b"a",
            ))),
            need: all(&[(AddPackage, target)]),
            success: StatusCode::CREATED,
        },
        ("GET", "/upack/{feed}/packages") => get("/upack/target/packages", all(&[(ViewPackages, target)])),
        ("GET", "/upack/{feed}/versions") => get(
            "/upack/target/versions?group=acme&name=hammer",
            all(&[(ViewPackages, target)]),
        ),
        ("GET", "/upack/{feed}/download/{*path}") => get(
            "/upack/target/download/acme/hammer/1.0.0",
            all(&[(DownloadPackages, target)]),
        ),
        ("DELETE" | "POST", "/upack/{feed}/delete/{*path}") => Case {
            path: format!(
                "/upack/target/delete/acme/doomed-{}/1.0.0",
                route.method.as_str().to_lowercase()
            ),
            body: None,
            need: all(&[(DeletePackage, target)]),
            success: StatusCode::OK,
        },
        // NuGet: only the administrator holds rights on `nuget-target`.
        ("PUT", "/nuget/{feed}/" | "/nuget/{feed}/api/v2/package" | "/nuget/{feed}/api/v2/package/") => {
            Case {
                path: route.path.replace("{feed}", NUGET_FEED),
                body: Some(Body::Bytes(nupkg(
                    "Acme.Pushed",
                    &format!("1.0.{}", route.path.len()),
                    &[],
                ))),
                need: all(&[(AddPackage, nuget)]),
                success: StatusCode::CREATED,
            }
        }
        (
            "DELETE" | "POST",
            "/nuget/{feed}/{id}/{version}" | "/nuget/{feed}/api/v2/package/{id}/{version}",
        ) => post(
            &route
                .path
                .replace("{feed}", NUGET_FEED)
                .replace("{id}", "Acme.Nu")
                .replace("{version}", "1.0.0"),
            all(&[(UnlistPackage, nuget)]),
        ),
        ("GET", "/nuget/{feed}/v3/flatcontainer/{id}/{version}/{file}") => get(
            "/nuget/nuget-target/v3/flatcontainer/acme.nu/1.0.0/acme.nu.1.0.0.nupkg",
            all(&[(DownloadPackages, nuget)]),
        ),
        ("GET", path) if path.starts_with("/nuget/{feed}/v3/") => get(
            &path
                .replace("{feed}", NUGET_FEED)
                .replace("{id}", "acme.nu")
                .replace("{lower}", "1.0.0")
                .replace("{upper}", "1.0.0.json")
                .replace("{leaf}", "1.0.0.json")
                .replace("{entry}", "1.0.0.json"),
            all(&[(ViewPackages, nuget)]),
        ),
        // The NuGet v2 feed (OData), on the same feed.
        ("GET", "/nuget/{feed}" | "/nuget/{feed}/" | "/nuget/{feed}/$metadata") => get(
            &route.path.replace("{feed}", NUGET_FEED),
            all(&[(ViewPackages, nuget)]),
        ),
        ("GET", "/nuget/{feed}/{resource}") => get(
            &format!("/nuget/{NUGET_FEED}/Packages(Id='Acme.Nu',Version='1.0.0')"),
            all(&[(ViewPackages, nuget)]),
        ),
        ("GET", "/nuget/{feed}/{resource}/$count") => get(
            &format!("/nuget/{NUGET_FEED}/Search()/$count?searchTerm=''"),
            all(&[(ViewPackages, nuget)]),
        ),
        ("GET", "/nuget/{feed}/package/{id}/{version}") => get(
            &format!("/nuget/{NUGET_FEED}/package/Acme.Nu/1.0.0"),
            all(&[(DownloadPackages, nuget)]),
        ),
        // Maven: only the administrator holds rights on `maven-target`.
        ("GET", "/maven2/{feed}/{*path}") => get(
            "/maven2/maven-target/org/acme/widget/1.0/widget-1.0.jar",
            all(&[(ViewPackages, maven), (DownloadPackages, maven)]),
        ),
        // The root's listing, with and without its slash.
        ("GET", "/maven2/{feed}" | "/maven2/{feed}/") => get(
            &route.path.replace("{feed}", "maven-target"),
            all(&[(ViewPackages, maven)]),
        ),
        ("PUT", "/maven2/{feed}/{*path}") => Case {
            path: "/maven2/maven-target/org/acme/widget/2.0/widget-2.0.jar".into(),
            body: Some(Body::Bytes(b"widget 2 jar".to_vec())),
            need: all(&[(AddPackage, maven)]),
            success: StatusCode::CREATED,
        },
        // npm: only the administrator holds rights on `npm-target`.
        ("GET", "/npm/{feed}/-/ping") => Case {
            need: Need::Nothing,
            ..get("/npm/npm-target/-/ping", Need::Nothing)
        },
        ("GET", "/npm/{feed}/-/whoami") => get("/npm/npm-target/-/whoami", Need::Listing),
        ("PUT", "/npm/{feed}/-/user/{user}") => json_case(
            "/npm/npm-target/-/user/org.couchdb.user:norights",
            json!({"name": "norights", "password": "norights-password"}),
            Need::Nothing,
            StatusCode::CREATED,
        ),
        ("DELETE", "/npm/{feed}/-/user/token/{token}") => Case {
            success: StatusCode::NOT_FOUND,
            ..post("/npm/npm-target/-/user/token/not-a-token", Need::Listing)
        },
        ("GET", "/npm/{feed}/-/v1/search") => {
            get("/npm/npm-target/-/v1/search?text=nu", all(&[(ViewPackages, npm)]))
        }
        ("GET", "/npm/{feed}/-/package/{*path}") => get(
            "/npm/npm-target/-/package/@acme%2fnu/dist-tags",
            all(&[(ViewPackages, npm)]),
        ),
        ("PUT", "/npm/{feed}/-/package/{*path}") => json_case(
            "/npm/npm-target/-/package/@acme%2fnu/dist-tags/beta",
            json!("1.0.0"),
            all(&[(AddPackage, npm)]),
            StatusCode::OK,
        ),
        ("DELETE", "/npm/{feed}/-/package/{*path}") => post(
            "/npm/npm-target/-/package/@acme%2fnu/dist-tags/beta",
            all(&[(AddPackage, npm)]),
        ),
        ("GET", "/npm/{feed}/{*path}") => get("/npm/npm-target/@acme%2fnu", all(&[(ViewPackages, npm)])),
        ("PUT", "/npm/{feed}/{*path}") => {
            let tarball = npm_tarball("@acme/pushed", "1.0.0", &[]);
            json_case(
                "/npm/npm-target/@acme%2fpushed",
                publish_document(
                    "http://127.0.0.1/npm/npm-target",
                    &tarball,
                    "@acme/pushed",
                    "1.0.0",
                    "latest",
                ),
                all(&[(AddPackage, npm)]),
                StatusCode::CREATED,
            )
        }
        ("DELETE", "/npm/{feed}/{*path}") => post(
            "/npm/npm-target/@acme%2fdoomed/-rev/1-gantry",
            all(&[(ManageFeeds, npm)]),
        ),
        // Docker: only the administrator holds rights on `docker-target`.
        ("GET" | "HEAD", "/v2" | "/v2/") => get(&route.path, Need::Listing),
        ("GET", "/v2/token") => get("/v2/token?service=gantry", Need::SignedInOrAnonymous),
        // The password grant reads its credentials from the form: wrong
        // ones are refused whoever sends them.
        ("POST", "/v2/token") => Case {
            path: "/v2/token".into(),
            body: Some(Body::Form(vec![
                ("grant_type", "password"),
                ("username", "api"),
                ("password", "not-a-key-0123456789abcdef"),
            ])),
            need: Need::Nothing,
            success: StatusCode::UNAUTHORIZED,
        },
        ("GET", "/v2/_catalog") => get("/v2/_catalog", Need::Listing),
        ("GET", "/v2/{feed}/{*path}") => get(
            "/v2/docker-target/acme/web/manifests/1.0",
            all(&[(DownloadPackages, docker)]),
        ),
        ("HEAD", "/v2/{feed}/{*path}") => Case {
            path: format!("/v2/docker-target/acme/web/blobs/{}", docker_layer_digest()),
            ..get("", all(&[(DownloadPackages, docker)]))
        },
        ("PUT", "/v2/{feed}/{*path}") => Case {
            path: "/v2/docker-target/acme/web/manifests/2.0".into(),
            body: Some(Body::Bytes(docker_manifest())),
            need: all(&[(AddPackage, docker)]),
            success: StatusCode::CREATED,
        },
        ("POST", "/v2/{feed}/{*path}") => Case {
            success: StatusCode::ACCEPTED,
            ..post(
                "/v2/docker-target/acme/web/blobs/uploads/",
                all(&[(AddPackage, docker)]),
            )
        },
        // No such session: the rights are checked before it is looked for.
        ("PATCH", "/v2/{feed}/{*path}") => Case {
            success: StatusCode::NOT_FOUND,
            ..post(
                "/v2/docker-target/acme/web/blobs/uploads/0123456789abcdef",
                all(&[(AddPackage, docker)]),
            )
        },
        ("DELETE", "/v2/{feed}/{*path}") => Case {
            success: StatusCode::ACCEPTED,
            ..post(
                "/v2/docker-target/acme/web/manifests/doomed",
                all(&[(DeletePackage, docker)]),
            )
        },
        (_, path) if is_ui_page(path) => ui_case(route),
        _ => return None,
    };
    Some(case)
}

/// Whether a route is a web UI page rather than an API or protocol endpoint.
fn is_ui_page(path: &str) -> bool {
    ![
        "/api/", "/upack/", "/nuget/", "/npm/", "/maven2/", "/v2", "/health",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

/// Web UI pages read only their session cookie: every API credential is
/// anonymous to them. With reads closed, pages send the browser to sign in,
/// and every form (here with a forged CSRF token) is refused with nothing
/// changed.
fn ui_case(route: &RouteEntry) -> Case {
    let path = if route.path == "/ui/assets/{name}" {
        "/ui/assets/app.css".to_owned()
    } else {
        route
            .path
            .replace("{feed}", "target")
            .replace("/packages/{name}", "/packages/hammer")
            .replace("{version}", "1.0.0")
            .replace("{id}", "1")
            .replace("{name}", "mirror")
    };
    let (success, body) = match (route.method.as_str(), route.path.as_str()) {
        // Pages redirect to the sign-in page, which the client follows.
        ("GET", _) => (StatusCode::OK, None),
        // Signing out without a session only clears the cookie and goes home.
        ("POST", "/signout") => (StatusCode::OK, Some(Body::Form(vec![("csrf", "forged")]))),
        ("POST", "/signin") => (
            StatusCode::FORBIDDEN,
            Some(Body::Form(vec![
                ("csrf", "forged"),
                ("username", "Admin"),
                ("password", "guess"),
            ])),
        ),
        _ => (StatusCode::FORBIDDEN, Some(Body::Form(vec![("csrf", "forged")]))),
    };
    Case {
        path,
        body,
        need: Need::Nothing,
        success,
    }
}

struct Keys(BTreeMap<&'static str, String>);

/// An npm feed holding @acme/nu and @acme/doomed 1.0.0, for the npm routes.
const NPM_FEED: &str = "npm-target";

/// A Docker feed holding acme/web:1.0 and acme/web:doomed, for the registry routes.
const DOCKER_FEED: &str = "docker-target";

/// The one layer of the Docker feed's image.
const DOCKER_LAYER: &[u8] = b"docker layer";

fn docker_layer_digest() -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(DOCKER_LAYER)))
}

/// The Docker feed's image manifest (its config is the layer too: the
/// registry does not read layers).
fn docker_manifest() -> Vec<u8> {
    let layer = json!({
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": docker_layer_digest(),
        "size": DOCKER_LAYER.len(),
    });
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": layer,
        "layers": [layer],
    }))
    .expect("manifest")
}

/// A NuGet feed holding Acme.Nu 1.0.0, for the NuGet protocol routes.
const NUGET_FEED: &str = "nuget-target";

/// A Maven feed holding org.acme:widget:1.0 (its jar), for the maven2 routes.
const MAVEN_FEED: &str = "maven-target";

async fn set_up(app: &TestApp) -> Keys {
    for feed in ["target", "source", "other", "doomed-delete", "doomed-post"] {
        app.create_feed(feed, "universal").await;
    }
    for (feed, name) in [
        ("target", "hammer"),
        ("source", "hammer"),
        ("source", "fresh"),
        ("target", "doomed"),
        ("target", "doomed-delete"),
        ("target", "doomed-post"),
    ] {
        let (status, body) = app
            .upload_upack(feed, ADMIN_KEY, upack("acme", name, "1.0.0", name.as_bytes()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "upload {feed}/{name}: {body}");
    }
    for connector in ["mirror", "doomed-connector"] {
        let response = app
            .admin(Method::POST, "/api/management/connectors/create")
            .json(&json!({"name": connector, "feedType": "universal", "url": "http://127.0.0.1:9/upack/x"}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::CREATED, "connector {connector}");
    }
    app.create_feed(NUGET_FEED, "nuget").await;
    let (status, body) = app
        .push_nupkg(NUGET_FEED, ADMIN_KEY, nupkg("Acme.Nu", "1.0.0", &[]))
        .await;
    assert_eq!(status, StatusCode::CREATED, "push Acme.Nu: {body}");
    app.create_feed(MAVEN_FEED, "maven").await;
    let response = app
        .admin(
            Method::PUT,
            "/maven2/maven-target/org/acme/widget/1.0/widget-1.0.jar",
        )
        .body(b"widget jar".to_vec())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED, "deploy widget 1.0");
    app.create_feed(DOCKER_FEED, "docker").await;
    let layer_path = format!(
        "/v2/{DOCKER_FEED}/acme/web/blobs/uploads/?digest={}",
        docker_layer_digest()
    );
    let tag_path = |tag: &str| format!("/v2/{DOCKER_FEED}/acme/web/manifests/{tag}");
    for (path, body) in [
        (layer_path, DOCKER_LAYER.to_vec()),
        (tag_path("1.0"), docker_manifest()),
        (tag_path("doomed"), docker_manifest()),
    ] {
        let method = if path.contains("/uploads/") {
            Method::POST
        } else {
            Method::PUT
        };
        let response = app.admin(method, &path).body(body).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::CREATED, "{path}");
    }
    app.create_feed(NPM_FEED, "npm").await;
    for name in ["@acme/nu", "@acme/doomed"] {
        let tarball = npm_tarball(name, "1.0.0", &[]);
        let document = publish_document(&app.url("/npm/npm-target"), &tarball, name, "1.0.0", "latest");
        let response = app
            .admin(
                Method::PUT,
                &format!("/npm/npm-target/{}", name.replace('/', "%2f")),
            )
            .json(&document)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::CREATED, "publish {name}");
    }
    // A tag to delete (routes run in method order: DELETE before PUT).
    let response = app
        .admin(Method::PUT, "/npm/npm-target/-/package/@acme%2fnu/dist-tags/beta")
        .json(&json!("1.0.0"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "dist-tag beta");
    for (path, body) in [
        (
            "/api/security/users/add",
            json!({"name": "norights", "password": "norights-password"}),
        ),
        (
            "/api/security/users/add",
            json!({"name": "doomed-user", "password": "doomed-password"}),
        ),
        ("/api/security/groups/add", json!({"name": "Developers"})),
        ("/api/security/groups/add", json!({"name": "Doomed"})),
        (
            "/api/security/tasks/add",
            json!({"name": "Doomed Task", "attributes": ["view"]}),
        ),
    ] {
        let response = app
            .admin(Method::POST, path)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{path}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    let mut keys = BTreeMap::new();
    keys.insert(
        "other",
        app.create_key(json!({"type": "feed", "feed": "other", "packagePermissions": ["view", "add", "promote", "delete"]}))
            .await,
    );
    keys.insert(
        "view",
        app.create_key(json!({"type": "feed", "feed": "target", "packagePermissions": ["view"]}))
            .await,
    );
    keys.insert(
        "promote",
        app.create_key(json!({"type": "feed", "feed": "target", "packagePermissions": ["view", "promote"]}))
            .await,
    );
    keys.insert(
        "personal",
        app.create_key(json!({"type": "personal", "user": "norights"}))
            .await,
    );
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::milliseconds(1500))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formattable");
    let expiring = app
        .create_key(
            json!({"type": "feed", "feed": "target", "packagePermissions": ["view"], "expiration": soon}),
        )
        .await;
    // Wait until the key has expired: poll, rather than sleep a fixed time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = app
            .with_key(Method::GET, "/api/management/feeds/get/target", &expiring)
            .send()
            .await
            .expect("request")
            .status();
        if status == StatusCode::FORBIDDEN {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the key never expired");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    keys.insert("expired", expiring);
    Keys(keys)
}

fn request(app: &TestApp, keys: &Keys, who: Who, method: Method, path: &str) -> reqwest::RequestBuilder {
    match who {
        Who::Anonymous => app.anonymous(method, path),
        Who::UnknownKey => app.with_key(method, path, "not-a-key-0123456789abcdef"),
        Who::ExpiredKey => app.with_key(method, path, &keys.0["expired"]),
        Who::OtherFeedKey => app.with_key(method, path, &keys.0["other"]),
        Who::ViewOnlyKey => app.with_key(method, path, &keys.0["view"]),
        Who::PromoteKey => app.with_key(method, path, &keys.0["promote"]),
        Who::PersonalKeyWithoutRights => app.with_key(method, path, &keys.0["personal"]),
        Who::Administrator => app.with_key(method, path, ADMIN_KEY),
    }
}

/// Everything a refused write could have changed, as the administrator sees it.
async fn state_of(app: &TestApp) -> Vec<String> {
    let mut seen = Vec::new();
    for path in [
        "/api/management/feeds/list",
        "/api/packages/target/versions?group=acme",
        "/api/packages/source/versions?group=acme",
        "/api/packages/nuget-target/versions",
        "/api/packages/npm-target/versions",
        "/api/promotions/list",
        "/api/package-deployment/list",
        "/api/api-keys/list",
        "/api/security/users/list",
        "/api/security/groups/list",
        "/api/security/tasks/list",
        "/api/security/permissions/list",
        "/api/security/audit",
    ] {
        let response = app.admin(Method::GET, path).send().await.expect("request");
        seen.push(format!("{path}: {}", response.text().await.expect("body")));
    }
    seen
}

backend_test! {
    /// Every route, every caller, on one backend (the route table is checked
    /// to have a case for every route first).
    #[tweak(|c| c.anonymous_read = false)]
    async fn every_route_answers_every_caller_as_the_model_says(app: TestApp) {
        let routes = gantry_server::api::route_table();
        let missing: Vec<String> = routes
            .iter()
            .filter(|r| case_for(r).is_none())
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            missing.is_empty(),
            "routes without a case in the authorization matrix: {missing:?}"
        );

        let keys = set_up(&app).await;
        let mut checked = 0;
        for route in &routes {
            let case = case_for(route).expect("checked above");
            let is_write = route.method != Method::GET;
            // The administrator goes last: success may change what others would see.
            for who in EVERYONE {
                let want = expected(who, &case);
                let before = if is_write && want.is_client_error() {
                    Some(state_of(&app).await)
                } else {
                    None
                };
                let mut builder = request(&app, &keys, who, route.method.clone(), &case.path);
                builder = match &case.body {
                    Some(Body::Json(v)) => builder.json(v),
                    Some(Body::Bytes(b)) => builder.body(b.clone()),
                    Some(Body::Form(fields)) => builder.form(fields),
                    None => builder,
                };
                let response = builder.send().await.expect("request");
                let status = response.status();
                let landed_on = response.url().path().to_owned();
                let challenge = response.headers().get("www-authenticate").cloned();
                let body = response.text().await.expect("body");
                // A UI form refused for want of a session says so (401), or
                // for its forged token (403, where the page may be shown to
                // anonymous viewers); either way nothing changes (below).
                let ui_form = route.method == Method::POST && is_ui_page(&route.path);
                let status = if ui_form && status == StatusCode::UNAUTHORIZED {
                    StatusCode::FORBIDDEN
                } else {
                    status
                };
                assert_eq!(
                    status, want,
                    "[{:?}] {} {} as {who:?}: {body}",
                    app.backend, route.method, case.path
                );
                if route.method == Method::GET
                    && is_ui_page(&route.path)
                    && !matches!(route.path.as_str(), "/signin" | "/ui/assets/{name}")
                {
                    assert_eq!(
                        landed_on, "/signin",
                        "[{:?}] GET {} as {who:?} is a page only a session may see",
                        app.backend, case.path
                    );
                }
                // The registry sends its clients for a token; everything
                // else asks for basic credentials.
                if status == StatusCode::UNAUTHORIZED && route.path.starts_with("/v2") {
                    let challenge = challenge.as_ref().and_then(|c| c.to_str().ok()).unwrap_or_default();
                    assert!(
                        challenge.starts_with(&format!("Bearer realm=\"{}\"", app.url("/v2/token")))
                            || route.path == "/v2/token",
                        "[{:?}] {} {} as {who:?}: {challenge}",
                        app.backend,
                        route.method,
                        case.path
                    );
                    // (A HEAD answer has no body to carry the error.)
                    assert!(
                        route.method == Method::HEAD || body.contains("\"UNAUTHORIZED\""),
                        "{body}"
                    );
                } else if status == StatusCode::UNAUTHORIZED {
                    assert_eq!(
                        challenge.as_ref().map(reqwest::header::HeaderValue::as_bytes),
                        Some(&b"Basic realm=\"Gantry\""[..])
                    );
                }
                if let Some(before) = before {
                    assert_eq!(
                        state_of(&app).await,
                        before,
                        "[{:?}] {} {} as {who:?} was refused but changed something",
                        app.backend,
                        route.method,
                        case.path
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= routes.len() * EVERYONE.len());
    }
}

/// What a caller of [`each_type_reads_and_writes_only_with_the_right_key`]
/// presents, and the answers it must get: to a read of the type's protocol,
/// to a read of the generic API, and to a publish.
struct TypedCaller {
    who: &'static str,
    key: String,
    read: StatusCode,
    api_read: StatusCode,
    write: StatusCode,
}

type_test! {
    /// Each package type's own protocol, with reads closed: a representative
    /// read (every download path of the protocol, its metadata document, and
    /// the generic API's download) and write (a publish, with the key sent
    /// as the type's clients send it) answer each kind of caller as the
    /// permission model says; a refused publish stores nothing.
    #[tweak(|c| c.anonymous_read = false)]
    async fn each_type_reads_and_writes_only_with_the_right_key(app: TestApp, ty: impl TypeFixture) {
        let ctx = format!("[{:?} {}]", app.backend, ty.label());
        ty.create_feed(&app, "target").await;
        ty.create_feed(&app, "other").await;
        let hammer = ty.package("acme", "hammer");
        let published = ty.publish_new(&app, "target", &hammer, "1.0.0", b"hammer").await;
        let response = app
            .admin(Method::POST, "/api/security/users/add")
            .json(&json!({"name": "norights", "password": "norights-password"}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{ctx}: add user");
        let (ok, created) = (StatusCode::OK, StatusCode::CREATED);
        let (unauthorized, forbidden) = (StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN);
        let feed_key = |feed: &str, permissions: &[&str]| {
            json!({"type": "feed", "feed": feed, "packagePermissions": permissions})
        };
        // The generic API refuses an unknown key as the rest of Gantry does;
        // a type's protocol may answer it its own way (Docker's registry
        // challenges it, sending the client back to its token endpoint).
        let unknown = ty.unknown_key_status();
        let callers = [
            TypedCaller {
                who: "anonymous",
                key: String::new(),
                read: unauthorized,
                api_read: unauthorized,
                write: unauthorized,
            },
            TypedCaller {
                who: "unknown key",
                key: "not-a-key-0123456789abcdef".into(),
                read: unknown,
                api_read: forbidden,
                write: unknown,
            },
            TypedCaller {
                who: "key of another feed",
                key: app
                    .create_key(feed_key("other", &["view", "add", "promote", "delete"]))
                    .await,
                read: forbidden,
                api_read: forbidden,
                write: forbidden,
            },
            TypedCaller {
                who: "personal key without rights",
                key: app.create_key(json!({"type": "personal", "user": "norights"})).await,
                read: forbidden,
                api_read: forbidden,
                write: forbidden,
            },
            TypedCaller {
                who: "view-only key",
                key: app.create_key(feed_key("target", &["view"])).await,
                read: ok,
                api_read: ok,
                write: forbidden,
            },
            TypedCaller {
                who: "publishing key",
                key: app.create_key(feed_key("target", &["view", "add"])).await,
                read: ok,
                api_read: ok,
                write: created,
            },
            TypedCaller {
                who: "administrator",
                key: ADMIN_KEY.into(),
                read: ok,
                api_read: ok,
                write: created,
            },
        ];
        let mut reads = ty.download_paths("target", &hammer, "1.0.0");
        let downloads = reads.len();
        reads.push(format!("/api/packages/target/download?{}&version=1.0.0", hammer.query()));
        reads.push(ty.metadata_path("target", &hammer));
        let versions_path = format!("/api/packages/target/versions?{}", hammer.query());
        for (n, caller) in callers.iter().enumerate() {
            for (i, path) in reads.iter().enumerate() {
                let response = ty
                    .with_key(app.anonymous(Method::GET, path), &caller.key)
                    .send()
                    .await
                    .expect("request");
                let status = response.status();
                let challenge = response.headers().get("www-authenticate").cloned();
                let body = response.bytes().await.expect("body");
                let expected = if path.starts_with("/api/") {
                    caller.api_read
                } else {
                    caller.read
                };
                assert_eq!(
                    status,
                    expected,
                    "{ctx} GET {path} as {}: {}",
                    caller.who,
                    String::from_utf8_lossy(&body)
                );
                if status == StatusCode::UNAUTHORIZED {
                    assert_eq!(
                        challenge.as_ref().map(reqwest::header::HeaderValue::as_bytes),
                        Some(ty.challenge(&app, path).as_bytes()),
                        "{ctx} GET {path} as {}",
                        caller.who
                    );
                }
                if status == StatusCode::OK && (i < downloads || path.starts_with("/api/packages/")) {
                    assert_eq!(body.as_ref(), published.bytes.as_slice(), "{ctx} GET {path}");
                }
            }

            let version = format!("1.0.{}", n + 1);
            let package = ty.build(&hammer, &version, caller.who.as_bytes());
            let before = (app.admin_json(&versions_path).await, app.blob_files());
            let (status, body) = ty.publish(&app, "target", &caller.key, &package).await;
            assert_eq!(status, caller.write, "{ctx} publish {version} as {}: {body}", caller.who);
            let after = (app.admin_json(&versions_path).await, app.blob_files());
            if status.is_success() {
                assert_eq!(
                    ty.download(&app, "target", &hammer, &version).await,
                    package.bytes,
                    "{ctx} published as {}",
                    caller.who
                );
            } else {
                assert_eq!(after, before, "{ctx}: a refused publish as {} changed something", caller.who);
                assert_eq!(app.staging_files(), Vec::<std::path::PathBuf>::new(), "{ctx}: nothing staged");
            }
        }
    }
}
