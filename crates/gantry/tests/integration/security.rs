//! Users, groups, permissions and sign-in, end to end over HTTP.

use base64::Engine;
use gantry_test_support::{upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

/// POSTs JSON as the administrator and returns the answer's JSON.
async fn admin_post(app: &TestApp, path: &str, body: &Value) -> Value {
    let response = app
        .admin(Method::POST, path)
        .json(body)
        .send()
        .await
        .expect("request");
    let text = expect_status(response, StatusCode::OK, &format!("{:?} {path}", app.backend)).await;
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn as_user(app: &TestApp, method: Method, path: &str, user: &str, password: &str) -> reqwest::RequestBuilder {
    app.anonymous(method, path)
        .header("authorization", basic(user, password))
}

/// The product pages' approval workflow: Senior Developers may promote from
/// `public-nuget` into `approved-nuget`; Developers may only view and
/// download `approved-nuget`.
#[tokio::test]
async fn only_senior_developers_promote_into_the_approved_feed() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("public-nuget", "universal").await;
        app.create_feed("approved-nuget", "universal").await;
        let (status, _) = app
            .upload_upack(
                "public-nuget",
                ADMIN_KEY,
                upack("", "Newtonsoft.Json", "13.0.1", b"json"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        admin_post(
            &app,
            "/api/security/groups/add",
            &json!({"name": "Senior Developers"}),
        )
        .await;
        admin_post(&app, "/api/security/groups/add", &json!({"name": "Developers"})).await;
        admin_post(
            &app,
            "/api/security/users/add",
            &json!({"name": "sam", "password": "sam-password", "groups": ["Senior Developers"]}),
        )
        .await;
        admin_post(
            &app,
            "/api/security/users/add",
            &json!({"name": "dana", "password": "dana-password", "groups": ["Developers"]}),
        )
        .await;
        for (group, task, feed) in [
            ("Senior Developers", "Promote Packages", "approved-nuget"),
            ("Senior Developers", "View & Download Packages", "public-nuget"),
            ("Developers", "View & Download Packages", "approved-nuget"),
        ] {
            let p = admin_post(
                &app,
                "/api/security/permissions/add",
                &json!({"group": group, "task": task, "feed": feed}),
            )
            .await;
            assert_eq!(p["group"], group, "{ctx}");
            assert_eq!(p["feed"], feed, "{ctx}");
        }
        let promote = json!({"fromFeed": "public-nuget", "toFeed": "approved-nuget",
                              "name": "Newtonsoft.Json", "version": "13.0.1", "comments": "vetted"});

        // A developer may not promote: 403, and no record.
        let refused = as_user(
            &app,
            Method::POST,
            "/api/promotions/promote",
            "dana",
            "dana-password",
        )
        .json(&promote)
        .send()
        .await
        .expect("request");
        let reason = expect_status(refused, StatusCode::FORBIDDEN, &ctx).await;
        assert!(reason.contains("permission"), "{ctx}: {reason}");
        let records = app.admin_json("/api/promotions/list").await;
        assert_eq!(records, json!([]), "{ctx}: a refused promotion leaves no record");

        // A senior developer may, and the record names them.
        let done = as_user(
            &app,
            Method::POST,
            "/api/promotions/promote",
            "sam",
            "sam-password",
        )
        .json(&promote)
        .send()
        .await
        .expect("request");
        expect_status(done, StatusCode::OK, &ctx).await;
        let records = app.admin_json("/api/promotions/list").await;
        assert_eq!(records[0]["promotions"][0]["user"], "sam", "{ctx}: {records}");

        // The developer now views and downloads from the approved feed, but
        // cannot see the public one, nor publish to the approved one.
        let download = as_user(
            &app,
            Method::GET,
            "/upack/approved-nuget/download/Newtonsoft.Json/13.0.1",
            "dana",
            "dana-password",
        )
        .send()
        .await
        .expect("request");
        assert_eq!(download.status(), StatusCode::OK, "{ctx}");
        let public = as_user(
            &app,
            Method::GET,
            "/upack/public-nuget/packages",
            "dana",
            "dana-password",
        )
        .send()
        .await
        .expect("request");
        expect_status(public, StatusCode::FORBIDDEN, &ctx).await;
        let upload = as_user(
            &app,
            Method::POST,
            "/upack/approved-nuget/upload",
            "dana",
            "dana-password",
        )
        .body(upack("", "sneaky", "1.0.0", b"x"))
        .send()
        .await
        .expect("request");
        expect_status(upload, StatusCode::FORBIDDEN, &ctx).await;

        // Listing leaves out what a caller may not view.
        let feeds: Value = as_user(
            &app,
            Method::GET,
            "/api/management/feeds/list",
            "dana",
            "dana-password",
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
        let names: Vec<&str> = feeds
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert_eq!(names, ["approved-nuget"], "{ctx}");

        // The audit trail names who changed security.
        let audit = app.admin_json("/api/security/audit").await;
        let actions: Vec<&str> = audit
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(
            actions.contains(&"permission.added") && actions.contains(&"user.created"),
            "{ctx}: {actions:?}"
        );
        assert!(audit
            .as_array()
            .expect("array")
            .iter()
            .all(|e| e["actor"] == "SYSTEM" || e["actor"] == "Admin"));
    }
}

#[tokio::test]
async fn users_sign_in_every_way_clients_send_credentials() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        admin_post(
            &app,
            "/api/security/users/add",
            &json!({"name": "ci-bot", "password": "bot-password-1"}),
        )
        .await;
        admin_post(
            &app,
            "/api/security/permissions/add",
            &json!({"user": "ci-bot", "task": "Publish Packages", "feed": "tools"}),
        )
        .await;
        // Basic auth, and pgutil's user:password pseudo-key.
        let (status, body) = {
            let r = as_user(
                &app,
                Method::POST,
                "/upack/tools/upload",
                "CI-BOT",
                "bot-password-1",
            )
            .body(upack("", "tool", "1.0.0", b"t"))
            .send()
            .await
            .expect("request");
            (r.status(), r.text().await.expect("body"))
        };
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
        let pseudo = app
            .with_key(Method::GET, "/upack/tools/packages", "ci-bot:bot-password-1")
            .send()
            .await
            .expect("request");
        expect_status(pseudo, StatusCode::OK, &ctx).await;
        let published = app
            .admin_json("/api/packages/tools/history?name=tool&version=1.0.0")
            .await;
        assert!(
            published.to_string().contains("ci-bot"),
            "{ctx}: history names the user: {published}"
        );

        // Wrong password and unknown user read the same.
        let wrong = as_user(&app, Method::GET, "/upack/tools/packages", "ci-bot", "nope-nope")
            .send()
            .await
            .expect("request");
        let wrong = expect_status(wrong, StatusCode::FORBIDDEN, &ctx).await;
        let unknown = as_user(&app, Method::GET, "/upack/tools/packages", "ghost", "nope-nope")
            .send()
            .await
            .expect("request");
        assert_eq!(expect_status(unknown, StatusCode::FORBIDDEN, &ctx).await, wrong);

        // A personal key acts as its user, with the user's rights and no more.
        let personal = app
            .create_key(json!({"type": "personal", "user": "ci-bot"}))
            .await;
        let via_key = app
            .with_key(Method::GET, "/upack/tools/packages", &personal)
            .send()
            .await
            .expect("request");
        expect_status(via_key, StatusCode::OK, &ctx).await;
        let bearer = app
            .anonymous(Method::GET, "/upack/tools/packages")
            .bearer_auth(&personal)
            .send()
            .await
            .expect("request");
        expect_status(bearer, StatusCode::OK, &ctx).await;
        let admin_only = app
            .with_key(Method::GET, "/api/security/users/list", &personal)
            .send()
            .await
            .expect("request");
        expect_status(admin_only, StatusCode::FORBIDDEN, &ctx).await;

        // Disabling the user stops password and key alike, at once.
        admin_post(
            &app,
            "/api/security/users/update",
            &json!({"name": "ci-bot", "disabled": true}),
        )
        .await;
        let disabled = as_user(
            &app,
            Method::GET,
            "/upack/tools/packages",
            "ci-bot",
            "bot-password-1",
        )
        .send()
        .await
        .expect("request");
        assert_eq!(expect_status(disabled, StatusCode::FORBIDDEN, &ctx).await, wrong);
        let key_of_disabled = app
            .with_key(Method::GET, "/upack/tools/packages", &personal)
            .send()
            .await
            .expect("request");
        expect_status(key_of_disabled, StatusCode::FORBIDDEN, &ctx).await;

        // A user may make a personal key for themselves, not for others.
        admin_post(
            &app,
            "/api/security/users/add",
            &json!({"name": "erin", "password": "erin-password"}),
        )
        .await;
        let own = as_user(
            &app,
            Method::POST,
            "/api/api-keys/create",
            "erin",
            "erin-password",
        )
        .json(&json!({"type": "Personal"}))
        .send()
        .await
        .expect("request");
        let own: Value = serde_json::from_str(&expect_status(own, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(own["user"], "erin", "{ctx}");
        let other = as_user(
            &app,
            Method::POST,
            "/api/api-keys/create",
            "erin",
            "erin-password",
        )
        .json(&json!({"type": "personal", "user": "ci-bot"}))
        .send()
        .await
        .expect("request");
        expect_status(other, StatusCode::FORBIDDEN, &ctx).await;
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_with_retry_after() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        admin_post(
            &app,
            "/api/security/users/add",
            &json!({"name": "frank", "password": "frank-password"}),
        )
        .await;
        let mut statuses = Vec::new();
        for _ in 0..7 {
            let r = as_user(
                &app,
                Method::GET,
                "/api/management/feeds/list",
                "frank",
                "wrong-guess",
            )
            .send()
            .await
            .expect("request");
            if r.status() == StatusCode::TOO_MANY_REQUESTS {
                let retry: u64 = r.headers()["retry-after"]
                    .to_str()
                    .expect("text")
                    .parse()
                    .expect("seconds");
                assert!((1..=30).contains(&retry), "{ctx}: {retry}");
            }
            statuses.push(r.status().as_u16());
        }
        assert_eq!(&statuses[..5], &[403; 5], "{ctx}: five free failures");
        assert_eq!(statuses[5], 429, "{ctx}: then held back: {statuses:?}");
        // Even the right password waits while held back (at most 30 s for a user).
        let right = as_user(
            &app,
            Method::GET,
            "/api/management/feeds/list",
            "frank",
            "frank-password",
        )
        .send()
        .await
        .expect("request");
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "{ctx}");
    }
}

#[tokio::test]
async fn management_api_validates_and_keeps_groups_tasks_and_permissions() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        for (path, body, status) in [
            (
                "/api/security/users/add",
                json!({"name": "Everyone", "password": "long-enough"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/security/users/add",
                json!({"name": "gina", "password": "short"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/security/users/add",
                json!({"name": "gina"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/security/users/add",
                json!({"name": "gina", "password": "long-enough", "groups": ["nope"]}),
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/security/tasks/add",
                json!({"name": "Bad", "attributes": ["Feeds_Fly"]}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/security/permissions/add",
                json!({"user": "a", "group": "b", "task": "Administer"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/security/permissions/add",
                json!({"group": "nobody", "task": "Administer"}),
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/security/permissions/add",
                json!({"group": "Everyone", "task": "No Such Task"}),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let r = app
                .admin(Method::POST, path)
                .json(&body)
                .send()
                .await
                .expect("request");
            expect_status(r, status, &format!("{ctx} {path} {body}")).await;
        }
        assert_eq!(
            app.admin_json("/api/security/users/list").await,
            json!([]),
            "{ctx}: nothing stored"
        );

        admin_post(
            &app,
            "/api/security/users/add",
            &json!({"name": "gina", "password": "long-enough", "email": "g@example.com"}),
        )
        .await;
        admin_post(
            &app,
            "/api/security/users/add",
            &json!({"name": "hal", "password": "long-enough"}),
        )
        .await;
        admin_post(
            &app,
            "/api/security/groups/add",
            &json!({"name": "Testers", "users": ["gina"]}),
        )
        .await;
        admin_post(
            &app,
            "/api/security/groups/add-member?group=testers&user=HAL",
            &json!({}),
        )
        .await;
        let members = app.admin_json("/api/security/groups/members?group=Testers").await;
        assert_eq!(members, json!(["gina", "hal"]), "{ctx}");
        admin_post(
            &app,
            "/api/security/groups/remove-member?group=Testers&user=gina",
            &json!({}),
        )
        .await;
        let shown = app.admin_json("/api/security/users/show?user=GINA").await;
        assert_eq!(shown["groups"], json!([]), "{ctx}");
        assert_eq!(shown["email"], "g@example.com", "{ctx}");
        assert!(shown.get("password").is_none());

        let task = admin_post(
            &app,
            "/api/security/tasks/add",
            &json!({"name": "Unlist Only", "attributes": ["view", "Feeds_UnlistPackage"], "description": "d"}),
        )
        .await;
        assert_eq!(
            task["attributes"],
            json!(["Feeds_ViewFeed", "Feeds_UnlistPackage"]),
            "{ctx}"
        );
        assert_eq!(task["feedScoped"], true);
        let p = admin_post(
            &app,
            "/api/security/permissions/add",
            &json!({"group": "testers", "task": "unlist only", "deny": true}),
        )
        .await;
        assert_eq!(p["deny"], true);
        assert!(p.get("feed").is_none(), "{ctx}: all feeds");
        let in_use = app
            .admin(Method::POST, "/api/security/tasks/delete?task=Unlist%20Only")
            .send()
            .await
            .expect("request");
        expect_status(in_use, StatusCode::CONFLICT, &ctx).await;
        let id = p["id"].as_i64().expect("id");
        admin_post(
            &app,
            &format!("/api/security/permissions/delete?permissionId={id}"),
            &json!({}),
        )
        .await;
        admin_post(&app, "/api/security/tasks/delete?task=Unlist%20Only", &json!({})).await;
        let tasks = app.admin_json("/api/security/tasks/list").await;
        assert_eq!(
            tasks.as_array().expect("array").len(),
            5,
            "{ctx}: the built-in tasks remain"
        );
        let built_in = app
            .admin(Method::POST, "/api/security/tasks/delete?task=Administer")
            .send()
            .await
            .expect("request");
        expect_status(built_in, StatusCode::CONFLICT, &ctx).await;
        admin_post(&app, "/api/security/users/delete?user=hal", &json!({})).await;
        let groups = app.admin_json("/api/security/groups/list").await;
        let testers = groups
            .as_array()
            .expect("array")
            .iter()
            .find(|g| g["name"] == "Testers")
            .expect("group");
        assert_eq!(testers["users"], json!([]), "{ctx}");
    }
}

#[tokio::test]
async fn the_bootstrap_administrator_can_sign_in_and_administer() {
    for app in
        TestApp::each_backend_with(|c| c.bootstrap_admin_password = Some("first-admin-password".into())).await
    {
        let ctx = format!("{:?}", app.backend);
        let users = as_user(
            &app,
            Method::GET,
            "/api/security/users/list",
            "admin",
            "first-admin-password",
        )
        .send()
        .await
        .expect("request");
        let users: Value =
            serde_json::from_str(&expect_status(users, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(users[0]["name"], "Admin", "{ctx}");
        assert_eq!(users[0]["groups"], json!(["Administrators"]), "{ctx}");
        // The defaults were written once: Administrators administer, Everyone views.
        let permissions = app.admin_json("/api/security/permissions/list").await;
        assert_eq!(
            permissions.as_array().expect("array").len(),
            2,
            "{ctx}: {permissions}"
        );
        let created = as_user(
            &app,
            Method::POST,
            "/api/management/feeds/create",
            "Admin",
            "first-admin-password",
        )
        .json(&json!({"name": "by-admin", "feedType": "universal"}))
        .send()
        .await
        .expect("request");
        expect_status(created, StatusCode::CREATED, &ctx).await;
    }
}
