//! The security and connector administration pages: who may open them, that
//! every change goes through the API's rules (and shows its refusals), and
//! what the changes do, checked through the JSON API.

use gantry_test_support::ui::{create_user, csrf_of, grant, location, Browser};
use gantry_test_support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::expect_status;

const ADMIN: &str = "root-admin";
const ADMIN_PW: &str = "root-admin-password";

/// A signed-in administrator's browser.
async fn admin_browser(app: &TestApp) -> Browser {
    create_user(app, ADMIN, ADMIN_PW, &["Administrators"]).await;
    Browser::signed_in(app, ADMIN, ADMIN_PW).await
}

/// Asserts a `303` to `to`.
fn assert_redirect(response: &reqwest::Response, to: &str, context: &str) {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{context}");
    assert_eq!(location(response), to, "{context}");
}

/// Whether `html` holds `text` escaped (askama writes `&#60;`, others
/// `&lt;`), and never raw.
fn shows_escaped(html: &str, text: &str) -> bool {
    let named = text.replace('<', "&lt;").replace('>', "&gt;");
    let numeric = text.replace('<', "&#60;").replace('>', "&#62;");
    !html.contains(text) && (html.contains(&named) || html.contains(&numeric))
}

/// The API's user named `name`, if any.
async fn api_user(app: &TestApp, name: &str) -> Option<Value> {
    let users = app.admin_json("/api/security/users/list").await;
    users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .cloned()
}

#[tokio::test]
async fn pages_refuse_anonymous_viewers_non_administrators_and_forged_forms() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let anonymous = Browser::new(&app);
        for path in [
            "/admin/security/users",
            "/admin/security/users/new",
            "/admin/security/groups",
            "/admin/security/tasks",
            "/admin/security/permissions",
            "/admin/connectors",
            "/admin/connectors/new",
        ] {
            let response = anonymous.request(Method::GET, path).send().await.expect("GET");
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{ctx} {path}");
            let to = location(&response);
            assert!(to.starts_with("/signin?next="), "{ctx} {path}: {to}");
            assert!(to.contains("%2Fadmin%2F"), "{ctx} {path}: {to}");
        }

        create_user(&app, "plain", "plain-password", &[]).await;
        let plain = Browser::signed_in(&app, "plain", "plain-password").await;
        for path in [
            "/admin/security/users",
            "/admin/security/permissions",
            "/admin/connectors",
        ] {
            let (status, _) = plain.get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{ctx} {path}");
        }
        // A non-administrator's own valid token does not let a change through.
        let response = plain
            .submit(
                "/feeds",
                "/admin/security/users/new",
                &[("name", "sneaky"), ("password", "sneaky-password")],
            )
            .await;
        expect_status(response, StatusCode::FORBIDDEN, &ctx).await;
        assert!(api_user(&app, "sneaky").await.is_none(), "{ctx}");

        let admin = admin_browser(&app).await;
        for fields in [vec![], vec![("csrf", "forged")]] {
            let mut all = fields.clone();
            all.extend([("name", "forged"), ("password", "forged-password")]);
            let response = admin.post_form("/admin/security/users/new", &all).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{ctx}: {fields:?}");
        }
        let response = admin
            .post_form(
                "/admin/connectors/new",
                &[("name", "c"), ("feedType", "npm"), ("url", "http://x")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{ctx}");
        assert!(api_user(&app, "forged").await.is_none(), "{ctx}");
    }
}

#[tokio::test]
async fn users_are_created_changed_and_deleted_through_the_pages() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let admin = admin_browser(&app).await;
        let form = "/admin/security/users/new";
        let page = admin.page(form).await;
        assert!(page.contains("Administrators"), "{ctx}: groups are offered");

        let response = admin
            .submit(
                form,
                form,
                &[
                    ("name", "carol"),
                    ("displayName", "<script>x</script>"),
                    ("email", "carol@example.com"),
                    ("password", "carol-password"),
                    ("groups", "Administrators"),
                ],
            )
            .await;
        assert_redirect(&response, "/admin/security/users?done=created", &ctx);
        let carol = api_user(&app, "carol").await.expect("carol exists");
        assert_eq!(carol["displayName"], "<script>x</script>", "{ctx}");
        assert_eq!(carol["email"], "carol@example.com", "{ctx}");
        assert_eq!(carol["groups"], serde_json::json!(["Administrators"]), "{ctx}");
        assert_eq!(carol["disabled"], false, "{ctx}");

        let list = admin.page("/admin/security/users?done=created").await;
        assert!(list.contains("Created."), "{ctx}");
        assert!(shows_escaped(&list, "<script>x</script>"), "{ctx}: escaped");
        assert!(!list.contains("<script>x</script>"), "{ctx}: never raw");
        assert!(list.contains("href=\"/admin/security/users/carol\""), "{ctx}");

        // The new user can sign in.
        Browser::signed_in(&app, "carol", "carol-password").await;

        // Refusals keep what was typed, with the API's status and words.
        let response = admin
            .submit(
                form,
                form,
                &[
                    ("name", "dave"),
                    ("displayName", "Dave D."),
                    ("password", "short"),
                ],
            )
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(body.contains("password:"), "{ctx}: {body}");
        assert!(body.contains("value=\"Dave D.\""), "{ctx}: typed values stay");
        assert!(
            !body.contains("value=\"short\""),
            "{ctx}: passwords are never shown again"
        );
        assert!(api_user(&app, "dave").await.is_none(), "{ctx}");
        let response = admin
            .submit(form, form, &[("name", "CAROL"), ("password", "another-password")])
            .await;
        let body = expect_status(response, StatusCode::CONFLICT, &ctx).await;
        assert!(body.contains("role=\"alert\""), "{ctx}: {body}");
        let response = admin
            .submit(
                form,
                form,
                &[
                    ("name", "erin"),
                    ("password", "erin-password"),
                    ("email", "not an address"),
                ],
            )
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(body.contains("is not an e-mail address"), "{ctx}: {body}");

        // Edit: a blank password keeps the current one.
        let edit = "/admin/security/users/carol";
        let page = admin.page(edit).await;
        assert!(shows_escaped(&page, "<script>x</script>"), "{ctx}");
        assert!(page.contains("delete-dialog"), "{ctx}");
        let response = admin
            .submit(
                edit,
                edit,
                &[("displayName", "Carol C."), ("email", ""), ("password", "")],
            )
            .await;
        assert_redirect(&response, "/admin/security/users?done=saved", &ctx);
        let carol = api_user(&app, "carol").await.expect("carol");
        assert_eq!(carol["displayName"], "Carol C.", "{ctx}");
        assert_eq!(
            carol["groups"],
            serde_json::json!([]),
            "{ctx}: unchecked groups are left"
        );
        Browser::signed_in(&app, "carol", "carol-password").await;

        // Nobody deletes themselves; others are deleted.
        let response = admin
            .submit(
                "/admin/security/users/root-admin",
                "/admin/security/users/root-admin/delete",
                &[],
            )
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(
            body.contains("cannot delete the user you are signed in as"),
            "{ctx}: {body}"
        );
        // The dialog's script gets the refusal as plain text.
        let csrf = csrf_of(&admin.page(edit).await);
        let response = admin
            .request(Method::POST, "/admin/security/users/root-admin/delete")
            .header("X-Gantry-Fetch", "1")
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("POST");
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert_eq!(body, "You cannot delete the user you are signed in as.", "{ctx}");
        let response = admin.submit(edit, &format!("{edit}/delete"), &[]).await;
        assert_redirect(&response, "/admin/security/users?done=deleted", &ctx);
        assert!(api_user(&app, "carol").await.is_none(), "{ctx}");

        // A user named "new" is still reachable (not the creation form).
        create_user(&app, "new", "new-password", &[]).await;
        let list = admin.page("/admin/security/users").await;
        assert!(list.contains("href=\"/admin/security/users/%6Eew\""), "{ctx}");
        let page = admin.page("/admin/security/users/%6Eew").await;
        assert!(page.contains("User new"), "{ctx}");
        let response = admin
            .submit(
                "/admin/security/users/%6Eew",
                "/admin/security/users/%6Eew",
                &[("displayName", "Newt")],
            )
            .await;
        assert_redirect(&response, "/admin/security/users?done=saved", &ctx);
        assert_eq!(
            api_user(&app, "new").await.expect("new")["displayName"],
            "Newt",
            "{ctx}"
        );
        let (status, _) = admin.get(edit).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
    }
}

#[tokio::test]
async fn disabling_a_user_or_changing_their_password_ends_their_sessions() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let admin = admin_browser(&app).await;
        create_user(&app, "frank", "frank-password", &[]).await;
        let edit = "/admin/security/users/frank";

        let frank = Browser::signed_in(&app, "frank", "frank-password").await;
        let (status, _) = frank.get("/admin").await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{ctx}: signed in, not an administrator"
        );
        let response = admin.submit(edit, edit, &[("disabled", "true")]).await;
        assert_redirect(&response, "/admin/security/users?done=saved", &ctx);
        assert_eq!(
            api_user(&app, "frank").await.expect("frank")["disabled"],
            true,
            "{ctx}"
        );
        let response = frank.request(Method::GET, "/admin").send().await.expect("GET");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{ctx}: the session ended"
        );
        assert!(location(&response).starts_with("/signin"), "{ctx}");
        let list = admin.page("/admin/security/users").await;
        assert!(list.contains("disabled"), "{ctx}");
        let response = Browser::new(&app).sign_in("frank", "frank-password").await;
        assert_ne!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{ctx}: disabled users cannot sign in"
        );

        // Enabled again (the unchecked box), then a new password.
        let response = admin.submit(edit, edit, &[]).await;
        assert_redirect(&response, "/admin/security/users?done=saved", &ctx);
        let frank = Browser::signed_in(&app, "frank", "frank-password").await;
        let response = admin
            .submit(edit, edit, &[("password", "frank-new-password")])
            .await;
        assert_redirect(&response, "/admin/security/users?done=saved", &ctx);
        let response = frank.request(Method::GET, "/admin").send().await.expect("GET");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{ctx}: the session ended"
        );
        let feeds = frank.page("/feeds").await;
        assert!(!feeds.contains(">frank<"), "{ctx}: anonymous now");
        let response = Browser::new(&app).sign_in("frank", "frank-password").await;
        assert_ne!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{ctx}: the old password is gone"
        );
        let frank = Browser::signed_in(&app, "frank", "frank-new-password").await;
        assert!(frank.page("/feeds").await.contains(">frank<"), "{ctx}");
    }
}

#[tokio::test]
async fn group_members_are_added_and_removed() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let admin = admin_browser(&app).await;
        create_user(&app, "gina", "gina-password", &[]).await;
        let form = "/admin/security/groups/new";
        let response = admin.submit(form, form, &[("name", "Release Managers")]).await;
        assert_redirect(&response, "/admin/security/groups?done=created", &ctx);
        let response = admin.submit(form, form, &[("name", "release managers")]).await;
        expect_status(response, StatusCode::CONFLICT, &ctx).await;
        let response = admin
            .submit(form, form, &[("name", "Ghosts"), ("members", "nobody-here")])
            .await;
        let body = expect_status(response, StatusCode::NOT_FOUND, &ctx).await;
        assert!(body.contains("value=\"Ghosts\""), "{ctx}: typed values stay");

        let list = admin.page("/admin/security/groups").await;
        assert!(
            list.contains("href=\"/admin/security/groups/Release%20Managers\""),
            "{ctx}: {list}"
        );
        let edit = "/admin/security/groups/Release%20Managers";
        let page = admin.page(edit).await;
        assert!(page.contains("value=\"gina\""), "{ctx}: users are offered");
        let response = admin
            .submit(edit, edit, &[("members", "gina"), ("members", ADMIN)])
            .await;
        assert_redirect(&response, "/admin/security/groups?done=saved", &ctx);
        let members = app
            .admin_json("/api/security/groups/members?group=Release%20Managers")
            .await;
        assert_eq!(members, serde_json::json!(["gina", ADMIN]), "{ctx}");
        assert!(
            admin.page("/admin/security/groups").await.contains("gina"),
            "{ctx}"
        );

        let response = admin.submit(edit, edit, &[("members", ADMIN)]).await;
        assert_redirect(&response, "/admin/security/groups?done=saved", &ctx);
        let members = app
            .admin_json("/api/security/groups/members?group=Release%20Managers")
            .await;
        assert_eq!(members, serde_json::json!([ADMIN]), "{ctx}");

        let response = admin.submit(edit, &format!("{edit}/delete"), &[]).await;
        assert_redirect(&response, "/admin/security/groups?done=deleted", &ctx);
        let groups = app.admin_json("/api/security/groups/list").await;
        assert!(
            !groups.to_string().contains("Release Managers"),
            "{ctx}: {groups}"
        );
    }
}

#[tokio::test]
async fn custom_tasks_and_permissions_are_managed_through_the_pages() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let admin = admin_browser(&app).await;
        app.create_feed("tools", "universal").await;
        create_user(&app, "hank", "hank-password", &[]).await;

        let form = "/admin/security/tasks/new";
        let response = admin
            .submit(form, form, &[("name", "Readers"), ("description", "read only")])
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(body.contains("needs at least one attribute"), "{ctx}: {body}");
        let response = admin
            .submit(
                form,
                form,
                &[
                    ("name", "Readers"),
                    ("description", "read only"),
                    ("attributes", "Feeds_ViewFeed"),
                    ("attributes", "Feeds_DownloadPackage"),
                ],
            )
            .await;
        assert_redirect(&response, "/admin/security/tasks?done=created", &ctx);
        let tasks = app.admin_json("/api/security/tasks/list").await;
        let readers = tasks
            .as_array()
            .expect("tasks")
            .iter()
            .find(|t| t["name"] == "Readers")
            .expect("task created")
            .clone();
        assert_eq!(
            readers["attributes"],
            serde_json::json!(["Feeds_ViewFeed", "Feeds_DownloadPackage"]),
            "{ctx}"
        );
        assert_eq!(readers["builtIn"], false, "{ctx}");
        let list = admin.page("/admin/security/tasks").await;
        assert!(list.contains("built-in") && list.contains("Readers"), "{ctx}");
        let built_in = admin.page("/admin/security/tasks/Administer").await;
        assert!(built_in.contains("cannot be changed"), "{ctx}");
        assert!(!built_in.contains("delete-dialog"), "{ctx}");
        let edit = "/admin/security/tasks/Readers";
        let response = admin
            .submit(
                edit,
                edit,
                &[
                    ("description", "view and download"),
                    ("attributes", "Feeds_ViewFeed"),
                ],
            )
            .await;
        assert_redirect(&response, "/admin/security/tasks?done=saved", &ctx);
        let tasks = app.admin_json("/api/security/tasks/list").await;
        let readers = tasks
            .as_array()
            .expect("tasks")
            .iter()
            .find(|t| t["name"] == "Readers")
            .cloned();
        assert_eq!(
            readers.expect("task")["description"],
            "view and download",
            "{ctx}"
        );

        // Permissions: add for a user on one feed, and a restriction for a
        // built-in principal on all feeds.
        let page = "/admin/security/permissions";
        let html = admin.page(page).await;
        for option in [
            "value=\"user:hank\"",
            "value=\"group:Administrators\"",
            "value=\"virtual:Anonymous\"",
            "value=\"tools\"",
        ] {
            assert!(html.contains(option), "{ctx}: {option}");
        }
        let add = "/admin/security/permissions/add";
        let response = admin
            .submit(
                page,
                add,
                &[("principal", "user:hank"), ("task", "Readers"), ("feed", "tools")],
            )
            .await;
        assert_redirect(&response, "/admin/security/permissions?done=added", &ctx);
        let response = admin
            .submit(
                page,
                add,
                &[
                    ("principal", "virtual:Anonymous"),
                    ("task", "Readers"),
                    ("feed", ""),
                    ("deny", "true"),
                ],
            )
            .await;
        assert_redirect(&response, "/admin/security/permissions?done=added", &ctx);
        let response = admin
            .submit(
                page,
                add,
                &[
                    ("principal", "user:hank"),
                    ("task", "Readers"),
                    ("feed", "no-such-feed"),
                ],
            )
            .await;
        let body = expect_status(response, StatusCode::NOT_FOUND, &ctx).await;
        assert!(body.contains("no-such-feed"), "{ctx}: {body}");
        let response = admin
            .submit(page, add, &[("principal", ""), ("task", "Readers")])
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(body.contains("user or group is required"), "{ctx}: {body}");

        let permissions = app.admin_json("/api/security/permissions/list").await;
        let permissions = permissions.as_array().expect("permissions").clone();
        let hank = permissions
            .iter()
            .find(|p| p["user"] == "hank")
            .expect("hank's permission");
        assert_eq!(hank["task"], "Readers", "{ctx}");
        assert_eq!(hank["feed"], "tools", "{ctx}");
        assert_eq!(hank["deny"], false, "{ctx}");
        let anonymous = permissions
            .iter()
            .find(|p| p["user"] == "Anonymous" && p["task"] == "Readers")
            .expect("the restriction");
        assert_eq!(anonymous["deny"], true, "{ctx}");
        assert!(anonymous.get("feed").is_none(), "{ctx}: all feeds");
        let html = admin.page(page).await;
        assert!(html.contains("all feeds") && html.contains("deny"), "{ctx}");

        // The task is in use: deleting it is refused with the API's words.
        let response = admin.submit(edit, &format!("{edit}/delete"), &[]).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{ctx}");

        for p in [hank, anonymous] {
            let id = p["id"].as_i64().expect("id");
            let response = admin
                .submit(page, &format!("/admin/security/permissions/{id}/delete"), &[])
                .await;
            assert_redirect(&response, "/admin/security/permissions?done=removed", &ctx);
        }
        let permissions = app.admin_json("/api/security/permissions/list").await;
        assert!(
            !permissions.to_string().contains("Readers"),
            "{ctx}: {permissions}"
        );
        let response = admin
            .submit(page, "/admin/security/permissions/999999/delete", &[])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{ctx}");

        let response = admin.submit(edit, &format!("{edit}/delete"), &[]).await;
        assert_redirect(&response, "/admin/security/tasks?done=deleted", &ctx);
        let tasks = app.admin_json("/api/security/tasks/list").await;
        assert!(!tasks.to_string().contains("Readers"), "{ctx}");
    }
}

#[tokio::test]
async fn connectors_are_managed_without_ever_showing_their_password() {
    const SECRET: &str = "upstream-secret-7f3a";
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let admin = admin_browser(&app).await;
        let form = "/admin/connectors/new";
        let page = admin.page(form).await;
        assert!(
            page.contains("value=\"npm\"") && page.contains("value=\"nuget\""),
            "{ctx}: {page}"
        );
        assert!(page.contains("value=\"maven\""), "{ctx}: Maven feeds proxy too");
        assert!(page.contains("value=\"docker\""), "{ctx}: Docker feeds proxy too");
        assert!(
            !page.contains("value=\"pypi\""),
            "{ctx}: only types with a connector"
        );

        let fields = [
            ("name", "npmjs"),
            ("feedType", "npm"),
            ("url", "http://127.0.0.1:9/registry"),
            ("timeout", "15"),
            ("metadataCacheEnabled", "true"),
            ("metadataCacheMinutes", "10"),
            ("metadataCacheCount", "50"),
            ("username", "robot"),
            ("password", SECRET),
            ("filters", "left-pad\r\n!*-beta\r\n"),
        ];
        let response = admin.submit(form, form, &fields).await;
        assert_redirect(&response, "/admin/connectors?done=created", &ctx);
        let info = app.admin_json("/api/management/connectors/get/npmjs").await;
        assert_eq!(info["feedType"], "npm", "{ctx}");
        assert_eq!(info["timeout"], 15, "{ctx}");
        assert_eq!(info["metadataCacheMinutes"], 10, "{ctx}");
        assert_eq!(info["metadataCacheCount"], 50, "{ctx}");
        assert_eq!(info["username"], "robot", "{ctx}");
        assert_eq!(info["hasPassword"], true, "{ctx}");
        assert_eq!(
            info["filters"],
            serde_json::json!(["left-pad", "!*-beta"]),
            "{ctx}"
        );

        // Refusals: the API's words and status, what was typed kept.
        let response = admin.submit(form, form, &fields).await;
        let body = expect_status(response, StatusCode::CONFLICT, &ctx).await;
        assert!(body.contains("value=\"http://127.0.0.1:9/registry\""), "{ctx}");
        assert!(!body.contains(SECRET), "{ctx}: the password is never shown again");
        let response = admin
            .submit(
                form,
                form,
                &[
                    ("name", "bad"),
                    ("feedType", "npm"),
                    ("url", "ftp://example.com/"),
                ],
            )
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(body.contains("must be an http or https address"), "{ctx}: {body}");
        let response = admin
            .submit(
                form,
                form,
                &[
                    ("name", "bad"),
                    ("feedType", "npm"),
                    ("url", "http://x/"),
                    ("timeout", "soon"),
                ],
            )
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(body.contains("not a whole number"), "{ctx}: {body}");

        let response = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&serde_json::json!({
                "name": "web-proxy", "feedType": "npm", "usage": "proxy", "connectors": ["npmjs"]
            }))
            .send()
            .await
            .expect("create feed");
        expect_status(response, StatusCode::CREATED, &ctx).await;
        let list = admin.page("/admin/connectors?done=created").await;
        assert!(list.contains("href=\"/admin/connectors/npmjs\""), "{ctx}");
        assert!(list.contains("badge health-unknown"), "{ctx}: {list}");
        assert!(list.contains("web-proxy"), "{ctx}: the feeds using it");
        assert!(!list.contains(SECRET), "{ctx}");

        let edit = "/admin/connectors/npmjs";
        let page = admin.page(edit).await;
        assert!(page.contains("A password is stored"), "{ctx}");
        assert!(page.contains("value=\"robot\""), "{ctx}");
        assert!(!page.contains(SECRET), "{ctx}");
        let response = admin
            .submit(
                edit,
                edit,
                &[
                    ("name", "npmjs"),
                    ("url", "http://127.0.0.1:9/other"),
                    ("timeout", "20"),
                    ("username", "robot"),
                    ("password", ""),
                    ("filters", ""),
                ],
            )
            .await;
        assert_redirect(&response, "/admin/connectors?done=saved", &ctx);
        let info = app.admin_json("/api/management/connectors/get/npmjs").await;
        assert_eq!(info["url"], "http://127.0.0.1:9/other", "{ctx}");
        assert_eq!(info["timeout"], 20, "{ctx}");
        assert_eq!(info["metadataCacheEnabled"], false, "{ctx}: the unchecked box");
        assert_eq!(info["hasPassword"], true, "{ctx}: a blank password keeps it");
        assert_eq!(info["filters"], serde_json::json!([]), "{ctx}");
        let response = admin
            .submit(edit, edit, &[("name", "npmjs"), ("url", "not a url")])
            .await;
        let body = expect_status(response, StatusCode::BAD_REQUEST, &ctx).await;
        assert!(body.contains("is not a URL"), "{ctx}: {body}");
        assert!(!body.contains(SECRET), "{ctx}");

        let response = admin
            .submit(
                edit,
                edit,
                &[
                    ("name", "npmjs"),
                    ("url", "http://127.0.0.1:9/other"),
                    ("clearPassword", "true"),
                ],
            )
            .await;
        assert_redirect(&response, "/admin/connectors?done=saved", &ctx);
        let info = app.admin_json("/api/management/connectors/get/npmjs").await;
        assert_eq!(info["hasPassword"], false, "{ctx}");

        let response = admin.submit(edit, &format!("{edit}/delete"), &[]).await;
        assert_redirect(&response, "/admin/connectors?done=deleted", &ctx);
        let list = app.admin_json("/api/management/connectors/list").await;
        assert_eq!(list, serde_json::json!([]), "{ctx}");
        let (status, _) = admin.get(edit).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
    }
}

#[tokio::test]
async fn connector_pages_need_manage_feeds_like_the_connector_api() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        create_user(&app, "ivy", "ivy-password", &[]).await;
        grant(&app, "ivy", "Manage Feed", None).await;
        let ivy = Browser::signed_in(&app, "ivy", "ivy-password").await;
        ivy.page("/admin/connectors").await;
        let (status, _) = ivy.get("/admin/security/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: not an administrator");
        let form = "/admin/connectors/new";
        let response = ivy
            .submit(
                form,
                form,
                &[
                    ("name", "nuget-org"),
                    ("feedType", "nuget"),
                    ("url", "https://api.nuget.org/v3/index.json"),
                ],
            )
            .await;
        assert_redirect(&response, "/admin/connectors?done=created", &ctx);
        let list = ivy.page("/admin/connectors").await;
        assert!(list.contains("nuget-org") && list.contains("NuGet"), "{ctx}");
    }
}
