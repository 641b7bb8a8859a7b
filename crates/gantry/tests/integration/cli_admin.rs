//! `gantry deployments|feeds|connectors|apikeys|security` run through the
//! binary against a test server.

use gantry_store::sql::Backend;
use gantry_test_support::{upack, TestApp, ADMIN_KEY};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::cli_support::GantryCli;

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON list")
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn feeds_are_created_listed_changed_and_deleted() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::for_app(&app).await;

    let created = cli
        .run(&["feeds", "create", "--name=approved", "--type=Universal", "--json"])
        .await
        .json();
    assert_eq!(created["name"], "approved");
    assert_eq!(created["feedType"], "universal");
    assert_eq!(created["active"], true);
    let text = cli
        .run(&["feeds", "create", "--name=dev", "--type=upack", "--usage=private"])
        .await;
    assert!(text.ok().contains("Feed 'dev' (universal) created."), "{text:?}");

    // The same name again: a conflict.
    let again = cli
        .run(&["feeds", "create", "--name=approved", "--type=universal"])
        .await;
    assert_eq!(again.code, 5, "{again:?}");
    // An unknown type: the server's reason, exit 6.
    let bad = cli.run(&["feeds", "create", "--name=x", "--type=cobol"]).await;
    assert_eq!(bad.code, 6, "{bad:?}");
    assert!(bad.stderr.contains("cobol"), "{bad:?}");

    let listed = cli.run(&["feeds", "list", "--json"]).await.json();
    assert_eq!(names(&listed), ["approved", "dev"]);
    let table = cli.run(&["feeds", "list"]).await;
    let lines: Vec<&str> = table.ok().lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("USAGE"),
        "{table:?}"
    );
    assert!(
        lines[2].starts_with("dev") && lines[2].contains("private"),
        "{table:?}"
    );

    // Properties: set each kind, read back.
    for (property, value) in [
        ("active", "false"),
        ("description", "Released builds"),
        ("promoteToFeed", "approved"),
    ] {
        cli.run(&[
            "feeds",
            "properties",
            "set",
            "--feed=dev",
            &format!("--property={property}"),
            &format!("--value={value}"),
        ])
        .await
        .ok();
    }
    let props = cli
        .run(&["feeds", "properties", "list", "--feed=dev", "--json"])
        .await
        .json();
    assert_eq!(props["active"], false);
    assert_eq!(props["description"], "Released builds");
    assert_eq!(props["promoteToFeed"], "approved");
    let shown = cli.run(&["feeds", "properties", "list", "--feed=dev"]).await;
    assert!(
        shown
            .ok()
            .lines()
            .any(|l| l.starts_with("promoteToFeed") && l.ends_with("approved")),
        "{shown:?}"
    );
    let cleared = cli
        .run(&[
            "feeds",
            "properties",
            "set",
            "--feed=dev",
            "--property=promoteToFeed",
            "--value=",
            "--json",
        ])
        .await
        .json();
    assert_eq!(cleared["promoteToFeed"], Value::Null);
    // A property Gantry does not have, or a bad boolean: usage.
    let read_only = cli
        .run(&[
            "feeds",
            "properties",
            "set",
            "--feed=dev",
            "--property=dropPath",
            "--value=/x",
        ])
        .await;
    assert_eq!(read_only.code, 2, "{read_only:?}");
    assert!(read_only.stderr.contains("settable"), "{read_only:?}");
    let not_bool = cli
        .run(&[
            "feeds",
            "properties",
            "set",
            "--feed=dev",
            "--property=offline",
            "--value=maybe",
        ])
        .await;
    assert_eq!(not_bool.code, 2, "{not_bool:?}");
    let missing = cli
        .run(&[
            "feeds",
            "properties",
            "set",
            "--feed=nope",
            "--property=active",
            "--value=true",
        ])
        .await;
    assert_eq!(missing.code, 4, "{missing:?}");

    let deleted = cli.run(&["feeds", "delete", "--name=dev", "--json"]).await.json();
    assert_eq!(deleted, json!({"deleted": "dev"}));
    assert_eq!(cli.run(&["feeds", "delete", "--feed=dev"]).await.code, 4);
    assert_eq!(
        names(&cli.run(&["feeds", "list", "--json"]).await.json()),
        ["approved"]
    );
}

#[tokio::test]
async fn connectors_are_created_listed_and_deleted() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::for_app(&app).await;
    let created = cli
        .run(&[
            "connectors",
            "create",
            "--name=npmjs",
            "--type=npm",
            "--url=https://registry.npmjs.org",
            "--filter=@acme/*",
            "--filter=!*-beta",
            "--timeout=60",
            "--json",
        ])
        .await
        .json();
    assert_eq!(created["name"], "npmjs");
    assert_eq!(created["feedType"], "npm");
    assert_eq!(created["filters"], json!(["@acme/*", "!*-beta"]));
    assert_eq!(created["timeout"], 60);
    assert_eq!(created["hasPassword"], false);
    let again = cli
        .run(&[
            "connectors",
            "create",
            "--name=npmjs",
            "--type=npm",
            "--url=https://registry.npmjs.org",
        ])
        .await;
    assert_eq!(again.code, 5, "{again:?}");

    let listed = cli.run(&["connectors", "list", "--json"]).await.json();
    assert_eq!(names(&listed), ["npmjs"]);
    let table = cli.run(&["connectors", "list"]).await;
    assert!(
        table
            .ok()
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("npmjs") && l.contains("@acme/*,!*-beta")),
        "{table:?}"
    );
    // A feed can name it.
    cli.run(&["feeds", "create", "--name=npm-proxy", "--type=npm"])
        .await
        .ok();
    let feed = cli
        .run(&[
            "feeds",
            "properties",
            "set",
            "--feed=npm-proxy",
            "--property=connectors",
            "--value=npmjs",
            "--json",
        ])
        .await
        .json();
    assert_eq!(feed["connectors"], json!(["npmjs"]));
    cli.run(&[
        "feeds",
        "properties",
        "set",
        "--feed=npm-proxy",
        "--property=connectors",
        "--value=",
    ])
    .await
    .ok();

    cli.run(&["connectors", "delete", "--name=npmjs"]).await.ok();
    assert_eq!(cli.run(&["connectors", "delete", "--name=npmjs"]).await.code, 4);
    assert_eq!(cli.run(&["connectors", "list", "--json"]).await.json(), json!([]));
}

#[tokio::test]
async fn deployments_are_recorded_and_found_by_target() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::for_app(&app).await;
    cli.run(&["feeds", "create", "--name=approved", "--type=universal"])
        .await
        .ok();
    for version in ["1.0.0", "1.1.0"] {
        let (status, body) = app
            .upload_upack("approved", ADMIN_KEY, upack("acme", "hammer", version, b"x"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    let recorded = cli
        .run(&[
            "deployments",
            "add",
            "--feed=approved",
            "--package=acme/hammer",
            "--version=1.0.0",
            "--target=web01",
            "--json",
        ])
        .await
        .json();
    assert_eq!(recorded["feed"], "approved");
    assert_eq!(recorded["group"], "acme");
    assert_eq!(recorded["name"], "hammer");
    assert_eq!(recorded["target"], "web01");
    assert_eq!(recorded["application"], "gantry");
    assert_eq!(recorded["description"], "Deployed acme/hammer 1.0.0 to web01");
    let text = cli
        .run(&[
            "deployments",
            "add",
            "--feed=approved",
            "--package=acme/hammer",
            "--version=1.1.0",
            "--target=web02",
            "--application=Octopus",
            "--description=Release 42",
        ])
        .await;
    assert!(
        text.ok()
            .starts_with("Deployment of acme/hammer 1.1.0 to web02 recorded"),
        "{text:?}"
    );

    let targets = cli
        .run(&[
            "deployments",
            "targets",
            "--feed=approved",
            "--package=acme/hammer",
            "--json",
        ])
        .await
        .json();
    let mut found: Vec<(String, String)> = targets
        .as_array()
        .expect("list")
        .iter()
        .map(|t| {
            (
                t["target"].as_str().unwrap_or_default().to_owned(),
                t["version"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("web01".to_owned(), "1.0.0".to_owned()),
            ("web02".to_owned(), "1.1.0".to_owned())
        ]
    );
    let table = cli
        .run(&[
            "deployments",
            "targets",
            "--feed=approved",
            "--package=acme/hammer",
        ])
        .await;
    assert!(table.ok().starts_with("TARGET"), "{table:?}");
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("web02") && l.contains("Octopus")),
        "{table:?}"
    );

    let listed = cli
        .run(&[
            "deployments",
            "list",
            "--feed=approved",
            "--target=web02",
            "--json",
        ])
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["description"], "Release 42");
    let all = cli
        .run(&["deployments", "list", "--package=acme/hammer", "--limit=5"])
        .await;
    assert_eq!(all.ok().lines().count(), 3, "{all:?}");

    // An unknown version or feed: not found.
    let missing = cli
        .run(&[
            "deployments",
            "add",
            "--feed=approved",
            "--package=acme/hammer",
            "--version=9.9.9",
            "--target=web01",
        ])
        .await;
    assert_eq!(missing.code, 4, "{missing:?}");
    let no_feed = cli
        .run(&["deployments", "targets", "--feed=nope", "--package=acme/hammer"])
        .await;
    assert_eq!(no_feed.code, 4, "{no_feed:?}");
    // No --feed and no default feed: usage.
    assert_eq!(
        cli.run(&["deployments", "targets", "--package=acme/hammer"])
            .await
            .code,
        2
    );
}

#[tokio::test]
async fn api_keys_are_created_used_listed_and_deleted() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::for_app(&app).await;
    cli.run(&["feeds", "create", "--name=approved", "--type=universal"])
        .await
        .ok();
    cli.run(&["feeds", "create", "--name=other", "--type=universal"])
        .await
        .ok();

    // Without --json only the key is printed, for scripts.
    let created = cli
        .run(&[
            "apikeys",
            "create",
            "feed",
            "--feed=approved",
            "--permissions=view",
            "--name=reader",
        ])
        .await;
    let feed_key = created.ok().trim().to_owned();
    assert!(feed_key.len() >= 16 && !feed_key.contains(' '), "{created:?}");
    // The key works: it sees its feed...
    let seen = cli
        .run(&["feeds", "list", "--json", &format!("--api-key={feed_key}")])
        .await
        .json();
    assert!(names(&seen).contains(&"approved".to_owned()), "{seen}");
    // ...but may not manage feeds: exit 3.
    let refused = cli
        .run(&[
            "feeds",
            "create",
            "--name=x",
            "--type=universal",
            &format!("--api-key={feed_key}"),
        ])
        .await;
    assert_eq!(refused.code, 3, "{refused:?}");
    let wrong = cli
        .run(&["apikeys", "list", "--api-key=not-a-key-0123456789"])
        .await;
    assert_eq!(wrong.code, 3, "{wrong:?}");

    let system = cli
        .run(&[
            "apikeys",
            "create",
            "system",
            "--apis=feeds",
            "--name=ci",
            "--description=builds",
            "--json",
        ])
        .await
        .json();
    assert_eq!(system["type"], "system");
    assert_eq!(system["systemApis"], json!(["feeds"]));
    assert_eq!(system["displayName"], "ci");
    let system_key = system["key"].as_str().expect("the secret, once").to_owned();
    let by_system = cli
        .run(&[
            "feeds",
            "create",
            "--name=made-by-ci",
            "--type=npm",
            &format!("--api-key={system_key}"),
        ])
        .await;
    by_system.ok();

    let custom = "my-own-secret-key-0123456789";
    let personal = cli
        .run(&[
            "apikeys",
            "create",
            "system",
            &format!("--key={custom}"),
            "--expiration=2099-01-01",
            "--json",
        ])
        .await
        .json();
    assert_eq!(personal["key"], custom);
    assert!(
        personal["expiration"]
            .as_str()
            .is_some_and(|e| e.starts_with("2099-01-01")),
        "{personal}"
    );

    // Lists never show secrets.
    let listed = cli.run(&["apikeys", "list", "--json"]).await;
    for secret in [feed_key.as_str(), system_key.as_str(), custom, ADMIN_KEY] {
        assert!(!listed.stdout.contains(secret), "{listed:?}");
    }
    let keys = listed.json();
    let ids: Vec<i64> = keys
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|k| k["id"].as_i64())
        .collect();
    assert!(keys
        .as_array()
        .is_some_and(|k| k.iter().all(|k| k.get("key").is_none())));
    let reader = keys
        .as_array()
        .and_then(|k| k.iter().find(|k| k["displayName"] == "reader"))
        .expect("the feed key is listed");
    assert_eq!(reader["feed"], "approved");
    assert_eq!(reader["packagePermissions"], json!(["view"]));
    let table = cli.run(&["apikeys", "list"]).await;
    for secret in [feed_key.as_str(), system_key.as_str(), custom] {
        assert!(!table.stdout.contains(secret), "{table:?}");
    }
    assert!(
        table
            .ok()
            .lines()
            .any(|l| l.contains("reader") && l.contains("feed approved") && l.contains("view")),
        "{table:?}"
    );

    // Usage errors before any request.
    assert_eq!(cli.run(&["apikeys", "create", "feed"]).await.code, 2);
    assert_eq!(
        cli.run(&["apikeys", "create", "system", "--apis=,"]).await.code,
        2
    );
    // The server's reason for a bad value.
    let bad = cli
        .run(&["apikeys", "create", "system", "--apis=everything"])
        .await;
    assert_eq!(bad.code, 6, "{bad:?}");
    assert!(bad.stderr.contains("everything"), "{bad:?}");

    // Delete the feed key: it stops working.
    let reader_id = reader["id"].as_i64().expect("id");
    assert!(ids.contains(&reader_id));
    let deleted = cli
        .run(&["apikeys", "delete", &format!("--id={reader_id}"), "--json"])
        .await
        .json();
    assert_eq!(deleted, json!({"deleted": reader_id}));
    assert_eq!(
        cli.run(&["apikeys", "delete", &format!("--id={reader_id}")])
            .await
            .code,
        4
    );
    let gone = cli
        .run(&["feeds", "list", &format!("--api-key={feed_key}")])
        .await;
    assert_eq!(gone.code, 3, "{gone:?}");
}

#[tokio::test]
async fn users_groups_and_permissions_are_managed() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::for_app(&app).await;
    cli.run(&["feeds", "create", "--name=approved", "--type=universal"])
        .await
        .ok();
    let password = "S3cret-password";

    // Users: --username/--password name the managed user (as in pgutil);
    // the command signs in with the source's key.
    let user = cli
        .run(&[
            "security",
            "users",
            "create",
            "--username=jsmith",
            "--displayname=John Smith",
            "--email=jsmith@example.com",
            &format!("--password={password}"),
            "--json",
        ])
        .await
        .json();
    assert_eq!(
        user,
        json!({"name": "jsmith", "displayName": "John Smith", "email": "jsmith@example.com", "groups": [], "disabled": false})
    );
    let again = cli
        .run(&[
            "security",
            "users",
            "create",
            "--username=jsmith",
            &format!("--password={password}"),
        ])
        .await;
    assert_eq!(again.code, 5, "{again:?}");
    assert_eq!(
        cli.run(&["security", "users", "create", "--username=nopw"])
            .await
            .code,
        2
    );
    let listed = cli.run(&["security", "users", "list", "--json"]).await;
    assert!(!listed.stdout.contains(password), "{listed:?}");
    assert!(names(&listed.json()).contains(&"jsmith".to_owned()));
    let table = cli.run(&["security", "users", "list"]).await;
    assert!(
        table
            .ok()
            .lines()
            .any(|l| l.starts_with("jsmith") && l.contains("John Smith")),
        "{table:?}"
    );
    let shown = cli
        .run(&["security", "users", "show", "--name=jsmith", "--json"])
        .await
        .json();
    assert_eq!(shown["email"], "jsmith@example.com");
    assert_eq!(
        cli.run(&["security", "users", "show", "--username=nobody"])
            .await
            .code,
        4
    );

    // The user signs in with the password; a new password replaces it.
    cli.run(&[
        "feeds",
        "list",
        "--username=jsmith",
        &format!("--password={password}"),
    ])
    .await
    .ok();
    let new_password = "N3w-password-123";
    cli.run(&[
        "security",
        "users",
        "edit",
        "--username=jsmith",
        &format!("--password={new_password}"),
    ])
    .await
    .ok();
    let old = cli
        .run(&[
            "feeds",
            "list",
            "--username=jsmith",
            &format!("--password={password}"),
        ])
        .await;
    assert_eq!(old.code, 3, "{old:?}");
    cli.run(&[
        "feeds",
        "list",
        "--username=jsmith",
        &format!("--password={new_password}"),
    ])
    .await
    .ok();
    assert_eq!(
        cli.run(&["security", "users", "edit", "--username=jsmith"])
            .await
            .code,
        2,
        "nothing to change"
    );

    // Groups and members.
    let group = cli
        .run(&["security", "groups", "create", "--name=Developers", "--json"])
        .await
        .json();
    assert_eq!(group, json!({"name": "Developers", "users": []}));
    assert_eq!(
        cli.run(&["security", "groups", "create", "--name=Developers"])
            .await
            .code,
        5
    );
    let added = cli
        .run(&[
            "security",
            "groups",
            "members",
            "add",
            "--name=Developers",
            "--member=jsmith",
            "--json",
        ])
        .await
        .json();
    assert_eq!(added["users"], json!(["jsmith"]));
    let members = cli
        .run(&[
            "security",
            "groups",
            "members",
            "list",
            "--name=Developers",
            "--json",
        ])
        .await
        .json();
    assert_eq!(members, json!(["jsmith"]));
    let groups = cli.run(&["security", "groups", "list"]).await;
    assert!(
        groups
            .ok()
            .lines()
            .any(|l| l.starts_with("Developers") && l.ends_with("jsmith")),
        "{groups:?}"
    );
    assert_eq!(
        cli.run(&[
            "security",
            "groups",
            "members",
            "add",
            "--name=Nope",
            "--member=jsmith"
        ])
        .await
        .code,
        4
    );

    // Permissions: the group may view the feed, so jsmith sees it.
    let granted = cli
        .run(&[
            "security",
            "permissions",
            "add",
            "--task=View & Download Packages",
            "--group=Developers",
            "--feed=approved",
            "--json",
        ])
        .await
        .json();
    assert_eq!(granted["group"], "Developers");
    assert_eq!(granted["feed"], "approved");
    assert_eq!(granted["deny"], false);
    let id = granted["id"].as_i64().expect("id");
    let seen = cli
        .run(&[
            "feeds",
            "list",
            "--json",
            "--username=jsmith",
            &format!("--password={new_password}"),
        ])
        .await
        .json();
    assert!(names(&seen).contains(&"approved".to_owned()), "{seen}");
    let permissions = cli
        .run(&["security", "permissions", "list", "--json"])
        .await
        .json();
    assert!(
        permissions.as_array().is_some_and(|p| p
            .iter()
            .any(|p| p["id"] == id && p["task"] == "View & Download Packages")),
        "{permissions}"
    );
    let table = cli.run(&["security", "permissions", "list"]).await;
    assert!(
        table
            .ok()
            .lines()
            .any(|l| l.starts_with(&id.to_string()) && l.contains("group Developers") && l.contains("grant")),
        "{table:?}"
    );
    assert_eq!(
        cli.run(&[
            "security",
            "permissions",
            "add",
            "--task=View & Download Packages"
        ])
        .await
        .code,
        2,
        "a user or a group is required"
    );
    let denied = cli
        .run(&[
            "security",
            "permissions",
            "add",
            "--task=View & Download Packages",
            "--user=jsmith",
            "--feed=approved",
            "--deny",
            "--json",
        ])
        .await
        .json();
    assert_eq!(denied["user"], "jsmith");
    assert_eq!(denied["deny"], true);
    // The denial takes effect: jsmith no longer sees the feed.
    let hidden = cli
        .run(&[
            "feeds",
            "list",
            "--json",
            "--username=jsmith",
            &format!("--password={new_password}"),
        ])
        .await;
    assert!(
        hidden.code == 3 || !hidden.stdout.contains("approved"),
        "{hidden:?}"
    );
    cli.run(&[
        "security",
        "permissions",
        "remove",
        &format!("--id={}", denied["id"]),
    ])
    .await
    .ok();
    cli.run(&["security", "permissions", "remove", &format!("--id={id}")])
        .await
        .ok();
    assert_eq!(
        cli.run(&["security", "permissions", "delete", &format!("--id={id}")])
            .await
            .code,
        4
    );

    // A personal key for the user acts as them.
    let key = cli
        .run(&["apikeys", "create", "personal", "--user=jsmith", "--name=laptop"])
        .await;
    let key = key.ok().trim().to_owned();
    cli.run(&["feeds", "list", &format!("--api-key={key}")])
        .await
        .ok();
    // Not an administrator: security is refused.
    let refused = cli
        .run(&["security", "users", "list", &format!("--api-key={key}")])
        .await;
    assert_eq!(refused.code, 3, "{refused:?}");

    // Removing members, groups and users.
    let removed = cli
        .run(&[
            "security",
            "groups",
            "members",
            "remove",
            "--name=Developers",
            "--member=jsmith",
            "--json",
        ])
        .await
        .json();
    assert_eq!(removed["users"], json!([]));
    cli.run(&["security", "groups", "delete", "--name=Developers"])
        .await
        .ok();
    assert_eq!(
        cli.run(&["security", "groups", "delete", "--name=Developers"])
            .await
            .code,
        4
    );
    cli.run(&["security", "users", "delete", "--username=jsmith"])
        .await
        .ok();
    assert_eq!(
        cli.run(&["security", "users", "delete", "--username=jsmith"])
            .await
            .code,
        4
    );
    // Their personal key went with them.
    assert_eq!(
        cli.run(&["feeds", "list", &format!("--api-key={key}")])
            .await
            .code,
        3
    );
}
