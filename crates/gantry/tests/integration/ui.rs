//! The web UI over HTTP, as a browser uses it (cookies, forms, redirects):
//! sign-in sessions and their cookie flags, CSRF refusals, anonymous
//! browsing, feed pages with search and pages, promotion through the
//! version page's form with its history, status changes and delete, and
//! escaping. The same flows in a real browser are in `ui_browser.rs`.

use gantry_test_support::ui::{create_user, csrf_of, grant, location, session_cookie, Browser};
use gantry_test_support::{upack, upack_with_manifest, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// Apps with an administrator `boss`, feeds `unapproved` → `approved`
/// (a pipeline) and `other`, and acme/hammer 1.0.0 in `unapproved`.
async fn seeded() -> Vec<TestApp> {
    let apps = TestApp::each_backend().await;
    for app in &apps {
        create_user(app, "boss", PASSWORD, &["Administrators"]).await;
        app.create_feed("approved", "universal").await;
        app.create_feed("other", "universal").await;
        app.create_feed("unapproved", "universal").await;
        app.update_feed("unapproved", json!({"promoteToFeed": "approved"}))
            .await;
        let (status, body) = app
            .upload_upack(
                "unapproved",
                ADMIN_KEY,
                upack("acme", "hammer", "1.0.0", b"hammer bytes"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    apps
}

const VERSION_PAGE: &str = "/feeds/unapproved/packages/hammer/1.0.0?group=acme";

#[tokio::test]
async fn sign_in_sets_a_strict_session_cookie_and_sign_out_ends_the_session() {
    for app in seeded().await {
        let browser = Browser::new(&app);
        let wrong = browser.sign_in("boss", "not it").await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        assert!(wrong
            .text()
            .await
            .expect("body")
            .contains("Invalid user name or password."));

        let response = browser.sign_in("boss", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/");
        let cookie = session_cookie(&response).expect("session cookie");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{cookie} lacks {flag}");
        }
        assert!(
            !cookie.contains("Secure"),
            "plain HTTP gets no Secure flag: {cookie}"
        );
        let home = browser.page("/").await;
        assert!(home.contains("boss"), "the header names the user");
        assert!(
            home.contains("href=\"/admin\""),
            "administrators see Administration"
        );

        // Sign out: the same cookie signs nobody in any more.
        let stolen = cookie.split(';').next().expect("pair").to_owned();
        let out = browser.submit("/", "/signout", &[]).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let replay = Browser::new(&app)
            .request(Method::GET, "/admin")
            .header("cookie", &stolen)
            .send()
            .await
            .expect("GET");
        assert_eq!(replay.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&replay), "/signin?next=%2Fadmin");
    }
}

#[tokio::test]
async fn behind_https_the_cookie_is_secure_and_sign_in_needs_the_forms_own_token() {
    for app in seeded().await {
        let browser = Browser::new(&app);
        let page = browser
            .request(Method::GET, "/signin")
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .expect("GET");
        let token_cookie = page
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(token_cookie.contains("Secure"), "{token_cookie}");
        let csrf = csrf_of(&page.text().await.expect("body"));
        let signed_in = browser
            .request(Method::POST, "/signin")
            .header("x-forwarded-proto", "https")
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "boss"),
                ("password", PASSWORD),
                ("next", "/feeds"),
            ])
            .send()
            .await
            .expect("POST");
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&signed_in), "/feeds");
        let cookie = session_cookie(&signed_in).unwrap_or_default();
        assert!(cookie.contains("Secure"), "{cookie}");

        // A sign-in form posted from elsewhere has no matching token cookie.
        let forged = Browser::new(&app)
            .post_form(
                "/signin",
                &[("csrf", "guessed"), ("username", "boss"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        // An open redirect is not offered: `next` stays on this site.
        let elsewhere = Browser::new(&app);
        let csrf = csrf_of(&elsewhere.page("/signin").await);
        let answer = elsewhere
            .post_form(
                "/signin",
                &[
                    ("csrf", &csrf),
                    ("username", "boss"),
                    ("password", PASSWORD),
                    ("next", "//evil.example/"),
                ],
            )
            .await;
        assert_eq!(location(&answer), "/");
    }
}

#[tokio::test]
async fn anonymous_viewers_browse_feeds_packages_and_versions_without_actions() {
    for app in seeded().await {
        let anonymous = Browser::new(&app);
        let home = anonymous.page("/").await;
        for feed in ["approved", "unapproved", "other"] {
            assert!(home.contains(&format!("href=\"/feeds/{feed}\"")), "{feed} listed");
        }
        assert!(!home.contains("href=\"/admin\""));
        let feed = anonymous.page("/feeds/unapproved").await;
        assert!(feed.contains("acme/hammer"));
        assert!(
            feed.contains("/upack/unapproved/"),
            "the usage snippet names the feed's endpoint"
        );
        assert!(feed.contains("approved"), "the pipeline target is shown");
        let package = anonymous
            .page("/feeds/unapproved/packages/hammer?group=acme")
            .await;
        assert!(package.contains("1.0.0"));
        let version = anonymous.page(VERSION_PAGE).await;
        assert!(version.contains("hammer title"), "metadata is shown");
        assert!(
            version.contains("gantry packages download"),
            "the install command is shown"
        );
        assert!(version
            .contains("/api/packages/unapproved/download?name=hammer&#38;version=1.0.0&#38;group=acme"));
        assert!(!version.contains("Promote Package"), "anonymous may not promote");
        assert!(!version.contains("delete-dialog"));

        let (status, body) = anonymous.get("/feeds/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("nope"), "{body}");
        let (status, _) = anonymous
            .get("/feeds/unapproved/packages/hammer/9.9.9?group=acme")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = anonymous.get(&format!("{VERSION_PAGE}&tab=nonsense")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn feeds_nobody_may_view_anonymously_send_visitors_to_sign_in() {
    let apps = TestApp::each_backend_with(|c| c.anonymous_read = false).await;
    for app in apps {
        app.create_feed("private", "universal").await;
        let anonymous = Browser::new(&app);
        let (status, _) = anonymous.get("/").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let answer = anonymous
            .request(Method::GET, "/feeds/private?q=a%20b")
            .send()
            .await
            .expect("GET");
        assert_eq!(location(&answer), "/signin?next=%2Ffeeds%2Fprivate%3Fq%3Da%2520b");
    }
}

#[tokio::test]
async fn the_feed_page_pages_and_searches_packages() {
    for app in TestApp::each_backend().await {
        app.create_feed("big", "universal").await;
        for i in 0..60 {
            let (status, body) = app
                .upload_upack("big", ADMIN_KEY, upack("", &format!("pkg-{i:02}"), "1.0.0", b"x"))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (status, body) = app
            .upload_upack("big", ADMIN_KEY, upack("", "pkg-00", "2.0.0", b"y"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let anonymous = Browser::new(&app);
        let first = anonymous.page("/feeds/big").await;
        assert!(first.contains("Page 1 of 2"));
        assert!(first.contains("pkg-00") && first.contains("pkg-49") && !first.contains("pkg-50"));
        assert!(
            first.contains("/feeds/big/packages/pkg-00/2.0.0"),
            "the latest version is linked"
        );
        assert!(first.contains("href=\"/feeds/big?page=2\""));
        let second = anonymous.page("/feeds/big?page=2").await;
        assert!(second.contains("pkg-50") && second.contains("pkg-59") && !second.contains("pkg-49\""));
        let found = anonymous.page("/feeds/big?q=PKG-5").await;
        assert!(found.contains("pkg-55") && !found.contains("pkg-45"));
        assert!(found.contains("Page 1 of 1"));
        let none = anonymous.page("/feeds/big?q=%25").await;
        assert!(none.contains("No package matches"));
        let (status, _) = anonymous.get("/feeds/big?page=0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn promoting_through_the_version_page_records_who_and_why() {
    for app in seeded().await {
        let boss = Browser::signed_in(&app, "boss", PASSWORD).await;
        let page = boss.page(VERSION_PAGE).await;
        assert!(page.contains("Promote Package"));
        // Without script, the menu's links ask for the page with the dialog open.
        assert!(page.contains(
            "href=\"/feeds/unapproved/packages/hammer/1.0.0?group=acme&#38;dialog=promote#promote-dialog\""
        ));
        assert!(!page.contains("aria-labelledby=\"promote-title\" open"));
        let open = boss.page(&format!("{VERSION_PAGE}&dialog=promote")).await;
        assert!(open.contains("<dialog id=\"promote-dialog\" aria-labelledby=\"promote-title\" open>"));
        // The pipeline allows only its target.
        assert!(page.contains("<option value=\"approved\">approved</option>"));
        assert!(
            !page.contains("<option value=\"other\">"),
            "other feeds are not offered with a pipeline"
        );

        let refused = boss
            .submit(
                VERSION_PAGE,
                "/feeds/unapproved/packages/hammer/1.0.0/promote",
                &[("group", "acme"), ("toFeed", "other")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        // The page's script asks for the reason as text, to show it in the dialog.
        let csrf = csrf_of(&boss.page(VERSION_PAGE).await);
        let by_script = boss
            .request(Method::POST, "/feeds/unapproved/packages/hammer/1.0.0/promote")
            .header("x-gantry-fetch", "1")
            .form(&[("csrf", csrf.as_str()), ("group", "acme"), ("toFeed", "other")])
            .send()
            .await
            .expect("POST");
        assert_eq!(by_script.status(), StatusCode::BAD_REQUEST);
        let reason = by_script.text().await.expect("body");
        assert!(
            reason.contains("approved") && !reason.contains("<html"),
            "{reason}"
        );

        let promoted = boss
            .submit(
                VERSION_PAGE,
                "/feeds/unapproved/packages/hammer/1.0.0/promote",
                &[
                    ("group", "acme"),
                    ("toFeed", "approved"),
                    ("comments", "Ready for testing"),
                ],
            )
            .await;
        assert_eq!(promoted.status(), StatusCode::SEE_OTHER);
        let target = location(&promoted);
        assert_eq!(
            target,
            "/feeds/approved/packages/hammer/1.0.0?group=acme&tab=history&done=promoted"
        );
        let history = boss.page(&target).await;
        assert!(history.contains("The package was promoted."));
        assert!(history.contains("Promoted") && history.contains("from unapproved to approved"));
        assert!(history.contains("Ready for testing") && history.contains(">boss<"));
        let promotions = app.admin_json("/api/promotions/list?toFeed=approved").await;
        assert_eq!(promotions[0]["promotions"][0]["user"], "boss");
        assert_eq!(promotions[0]["promotions"][0]["comments"], "Ready for testing");

        // History newest first, filterable.
        let all = boss.page(&format!("{VERSION_PAGE}&tab=history")).await;
        let (promoted_at, added_at) = (
            all.find("data-action=\"promoted\""),
            all.find("data-action=\"added\""),
        );
        assert!(
            promoted_at.expect("promoted row") < added_at.expect("added row"),
            "newest first"
        );
        let only_added = boss
            .page(&format!("{VERSION_PAGE}&tab=history&action=added"))
            .await;
        assert!(
            only_added.contains("data-action=\"added\"") && !only_added.contains("data-action=\"promoted\"")
        );
    }
}

#[tokio::test]
async fn without_the_promote_right_there_is_no_promote_action_and_a_forged_post_is_refused() {
    for app in seeded().await {
        create_user(&app, "viewer", PASSWORD, &[]).await;
        create_user(&app, "promoter", PASSWORD, &[]).await;
        grant(&app, "promoter", "Promote Packages", Some("approved")).await;
        let viewer = Browser::signed_in(&app, "viewer", PASSWORD).await;
        let page = viewer.page(VERSION_PAGE).await;
        assert!(!page.contains("Promote Package"));
        assert!(!page.contains("href=\"/admin\""));
        let forged = viewer
            .submit(
                VERSION_PAGE,
                "/feeds/unapproved/packages/hammer/1.0.0/promote",
                &[("group", "acme"), ("toFeed", "approved")],
            )
            .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let forged = viewer
            .submit(
                VERSION_PAGE,
                "/feeds/unapproved/packages/hammer/1.0.0/delete",
                &[("group", "acme")],
            )
            .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        // A form without this session's token is refused before anything else.
        let promoter = Browser::signed_in(&app, "promoter", PASSWORD).await;
        assert!(promoter.page(VERSION_PAGE).await.contains("Promote Package"));
        let no_token = promoter
            .post_form(
                "/feeds/unapproved/packages/hammer/1.0.0/promote",
                &[("group", "acme"), ("toFeed", "approved"), ("csrf", "x")],
            )
            .await;
        assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
        let list = app.admin_json("/api/promotions/list").await;
        assert_eq!(list, json!([]), "nothing was promoted");
        assert_eq!(
            app.admin_json("/api/packages/unapproved/versions")
                .await
                .as_array()
                .map(Vec::len),
            Some(1),
            "nothing was deleted"
        );
    }
}

#[tokio::test]
async fn status_changes_and_delete_go_through_their_forms_and_show_in_history() {
    for app in seeded().await {
        let boss = Browser::signed_in(&app, "boss", PASSWORD).await;
        let action = "/feeds/unapproved/packages/hammer/1.0.0/status";
        let unlisted = boss
            .submit(VERSION_PAGE, action, &[("group", "acme"), ("listed", "false")])
            .await;
        assert_eq!(unlisted.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&unlisted), format!("{VERSION_PAGE}&done=unlisted"));
        let deprecated = boss
            .submit(
                VERSION_PAGE,
                action,
                &[
                    ("group", "acme"),
                    ("deprecated", "true"),
                    ("deprecationReason", "Use 2.0"),
                ],
            )
            .await;
        assert_eq!(deprecated.status(), StatusCode::SEE_OTHER);
        let page = boss.page(VERSION_PAGE).await;
        assert!(page.contains("unlisted") && page.contains("Deprecated: Use 2.0"));
        let history = boss
            .page(&format!("{VERSION_PAGE}&tab=history&action=status-changed"))
            .await;
        assert!(history.contains("unlisted") && history.contains("Use 2.0"));
        let versions = app.admin_json("/api/packages/unapproved/versions").await;
        assert_eq!(
            (versions[0]["listed"].clone(), versions[0]["deprecated"].clone()),
            (json!(false), json!(true))
        );

        let deleted = boss
            .submit(
                VERSION_PAGE,
                "/feeds/unapproved/packages/hammer/1.0.0/delete",
                &[("group", "acme")],
            )
            .await;
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&deleted), "/feeds/unapproved?done=deleted");
        assert_eq!(
            app.admin_json("/api/packages/unapproved/versions").await,
            json!([])
        );
        let (status, _) = boss.get(VERSION_PAGE).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn package_text_is_escaped_and_pages_carry_a_strict_content_security_policy() {
    for app in TestApp::each_backend().await {
        app.create_feed("f", "universal").await;
        let manifest = json!({
            "name": "evil", "version": "1.0.0",
            "description": "<script>alert('x')</script>",
            "title": "\"><img src=x onerror=alert(1)>",
        });
        let (status, body) = app
            .upload_upack("f", ADMIN_KEY, upack_with_manifest(&manifest, b"x"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        for path in [
            "/feeds/f",
            "/feeds/f/packages/evil",
            "/feeds/f/packages/evil/1.0.0",
        ] {
            let response = app.anonymous(Method::GET, path).send().await.expect("GET");
            let csp = response
                .headers()
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                "{csp}"
            );
            assert_eq!(
                response
                    .headers()
                    .get("x-frame-options")
                    .and_then(|v| v.to_str().ok()),
                Some("DENY")
            );
            let html = response.text().await.expect("body");
            assert!(
                html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;") || path.ends_with("/f"),
                "{path}"
            );
            assert!(!html.contains("<script>alert"), "{path}: raw script in page");
            assert!(!html.contains("<img src=x"), "{path}: raw markup in page");
            // Every script is a file of ours: nothing inline for the CSP to refuse.
            assert_eq!(html.matches("<script").count(), 1, "{path}");
            assert!(html.contains("<script src=\"/ui/assets/app.js\" defer></script>"));
            assert!(!html.contains(" style="), "{path}: inline style");
        }
        let asset = app
            .anonymous(Method::GET, "/ui/assets/app.js")
            .send()
            .await
            .expect("GET");
        assert_eq!(asset.status(), StatusCode::OK);
        let etag = asset.headers().get("etag").cloned().expect("etag");
        let again = app
            .anonymous(Method::GET, "/ui/assets/app.js")
            .header("if-none-match", etag)
            .send()
            .await
            .expect("GET");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
}

#[tokio::test]
async fn feeds_are_created_and_changed_through_the_admin_forms() {
    for app in seeded().await {
        let boss = Browser::signed_in(&app, "boss", PASSWORD).await;
        let created = boss
            .submit(
                "/admin/feeds/new",
                "/admin/feeds/new",
                &[
                    ("name", "npm-approved"),
                    ("feedType", "npm"),
                    ("usage", "validated"),
                    ("description", "Vetted"),
                    ("active", "on"),
                    ("deployments", "on"),
                ],
            )
            .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&created), "/feeds/npm-approved?done=created");
        let feed = app.admin_json("/api/management/feeds/get/npm-approved").await;
        assert_eq!(
            (feed["feedType"].as_str(), feed["usage"].as_str()),
            (Some("npm"), Some("validated"))
        );
        assert_eq!(feed["deploymentRecordsEnabled"], true);

        let taken = boss
            .submit(
                "/admin/feeds/new",
                "/admin/feeds/new",
                &[
                    ("name", "NPM-APPROVED"),
                    ("feedType", "npm"),
                    ("usage", "private"),
                ],
            )
            .await;
        assert_eq!(taken.status(), StatusCode::CONFLICT);
        assert!(
            taken
                .text()
                .await
                .expect("body")
                .contains("value=\"NPM-APPROVED\""),
            "the form keeps what was typed"
        );

        let saved = boss
            .submit(
                "/admin/feeds/npm-approved",
                "/admin/feeds/npm-approved",
                &[
                    ("name", "npm-approved"),
                    ("usage", "validated"),
                    ("description", "Vetted by security"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let feed = app.admin_json("/api/management/feeds/get/npm-approved").await;
        assert_eq!(feed["description"], "Vetted by security");
        assert_eq!(
            feed["deploymentRecordsEnabled"], false,
            "an unticked box turns the switch off"
        );

        let wrong_pipeline = boss
            .submit(
                "/admin/feeds/npm-approved",
                "/admin/feeds/npm-approved",
                &[
                    ("name", "npm-approved"),
                    ("usage", "validated"),
                    ("promoteTo", "approved"),
                ],
            )
            .await;
        assert_eq!(
            wrong_pipeline.status(),
            StatusCode::BAD_REQUEST,
            "a universal feed is no target for npm"
        );
        let deleted = boss
            .submit(
                "/admin/feeds/npm-approved",
                "/admin/feeds/npm-approved/delete",
                &[],
            )
            .await;
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
        let (status, _) = boss.get("/admin/feeds/npm-approved").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        create_user(&app, "viewer", PASSWORD, &[]).await;
        let viewer = Browser::signed_in(&app, "viewer", PASSWORD).await;
        let (status, _) = viewer.get("/admin/feeds/new").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn api_keys_made_in_the_ui_are_shown_once_and_work() {
    for app in seeded().await {
        let boss = Browser::signed_in(&app, "boss", PASSWORD).await;
        let created = boss
            .submit(
                "/admin/api-keys",
                "/admin/api-keys",
                &[
                    ("type", "feed"),
                    ("displayName", "CI"),
                    ("feed", "approved"),
                    ("packagePermissions", "view"),
                    ("packagePermissions", "promote"),
                ],
            )
            .await;
        assert_eq!(created.status(), StatusCode::OK);
        let html = created.text().await.expect("body");
        let start = html.find("<code id=\"new-key\">").expect("secret shown") + "<code id=\"new-key\">".len();
        let secret = html[start..start + html[start..].find('<').expect("end")].to_owned();
        let listing = app
            .with_key(Method::GET, "/api/packages/approved/versions", &secret)
            .send()
            .await
            .expect("GET");
        assert_eq!(listing.status(), StatusCode::OK);
        let again = boss.page("/admin/api-keys").await;
        assert!(
            again.contains("CI") && !again.contains(&secret),
            "the secret is shown only once"
        );

        // Users make and revoke their own personal keys.
        create_user(&app, "dev", PASSWORD, &[]).await;
        let dev = Browser::signed_in(&app, "dev", PASSWORD).await;
        let made = dev
            .submit(
                "/account/api-keys",
                "/account/api-keys",
                &[("displayName", "laptop")],
            )
            .await;
        assert_eq!(made.status(), StatusCode::OK);
        let keys = app.admin_json("/api/api-keys/list").await;
        let mine = keys
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["displayName"] == "laptop")
            .expect("made");
        assert_eq!(
            (mine["type"].as_str(), mine["user"].as_str()),
            (Some("personal"), Some("dev"))
        );
        let ci = keys
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["displayName"] == "CI")
            .expect("CI key");
        let (status, _) = dev.get("/admin/api-keys").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let not_mine = dev
            .submit(
                "/account/api-keys",
                &format!("/account/api-keys/{}/delete", ci["id"]),
                &[],
            )
            .await;
        assert_eq!(not_mine.status(), StatusCode::FORBIDDEN);
        let revoked = dev
            .submit(
                "/account/api-keys",
                &format!("/account/api-keys/{}/delete", mine["id"]),
                &[],
            )
            .await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            app.admin_json("/api/api-keys/list")
                .await
                .as_array()
                .map(Vec::len),
            Some(keys.as_array().map_or(0, Vec::len) - 1)
        );
    }
}

#[tokio::test]
async fn a_proxy_feeds_upstream_versions_can_be_viewed_and_promoted_before_anyone_downloads_them() {
    let upstream = TestApp::spawn(gantry_test_support::Backend::Sqlite, |_| {}).await;
    upstream.create_feed("origin", "universal").await;
    let (status, body) = upstream
        .upload_upack("origin", ADMIN_KEY, upack("acme", "saw", "2.0.0", b"the saw"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for app in TestApp::each_backend().await {
        create_user(&app, "boss", PASSWORD, &["Administrators"]).await;
        app.create_proxy_feed(
            "public",
            "up",
            "universal",
            &upstream.url("/upack/origin"),
            json!({}),
        )
        .await;
        app.create_feed("approved", "universal").await;
        let boss = Browser::signed_in(&app, "boss", PASSWORD).await;
        let package = boss.page("/feeds/public/packages/saw?group=acme").await;
        assert!(
            package.contains("2.0.0") && package.contains("from up"),
            "the connector's version is listed"
        );
        let page = "/feeds/public/packages/saw/2.0.0?group=acme";
        let version = boss.page(page).await;
        assert!(version.contains("not cached yet") && version.contains("Promote Package"));
        assert!(
            !version.contains("delete-dialog"),
            "nothing stored, nothing to delete"
        );
        let promoted = boss
            .submit(
                page,
                "/feeds/public/packages/saw/2.0.0/promote",
                &[("group", "acme"), ("toFeed", "approved"), ("comments", "vetted")],
            )
            .await;
        assert_eq!(promoted.status(), StatusCode::SEE_OTHER);
        let history = boss.page(&location(&promoted)).await;
        assert!(
            history.contains("from public to approved") && history.contains("from connector up"),
            "cached, then promoted"
        );
        let bytes = app
            .anonymous(Method::GET, "/upack/approved/download/acme/saw/2.0.0")
            .send()
            .await
            .expect("GET")
            .bytes()
            .await
            .expect("body");
        assert_eq!(
            bytes.as_ref(),
            upack("acme", "saw", "2.0.0", b"the saw").as_slice()
        );
    }
}

/// Posts the feed page's upload form: the CSRF token first, then the file.
async fn upload_form(
    browser: &Browser,
    feed: &str,
    csrf: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .part(
            "package",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
    browser
        .request(Method::POST, &format!("/feeds/{feed}/upload"))
        .multipart(form)
        .send()
        .await
        .expect("POST")
}

#[tokio::test]
async fn packages_are_uploaded_from_the_feed_page_with_the_protocols_rules() {
    for app in seeded().await {
        app.create_feed("npm-feed", "npm").await;
        app.update_feed("approved", json!({"usage": "validated"})).await;
        let boss = Browser::signed_in(&app, "boss", PASSWORD).await;
        let page = boss.page("/feeds/unapproved").await;
        assert!(page.contains("Upload a package"));
        assert!(
            !boss.page("/feeds/approved").await.contains("Upload a package"),
            "validated: promotion only"
        );
        assert!(
            !boss.page("/feeds/npm-feed").await.contains("Upload a package"),
            "npm publishes with npm"
        );
        assert!(!Browser::new(&app)
            .page("/feeds/unapproved")
            .await
            .contains("Upload a package"));
        let csrf = csrf_of(&page);

        let uploaded = upload_form(
            &boss,
            "unapproved",
            &csrf,
            "saw-2.0.0.upack",
            upack("acme", "saw", "2.0.0", b"saw"),
        )
        .await;
        assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&uploaded),
            "/feeds/unapproved/packages/saw/2.0.0?group=acme&done=uploaded"
        );
        let version = boss.page(&location(&uploaded)).await;
        assert!(version.contains("The package was uploaded.") && version.contains("by boss"));
        let bytes = app
            .anonymous(Method::GET, "/upack/unapproved/download/acme/saw/2.0.0")
            .send()
            .await
            .expect("GET")
            .bytes()
            .await
            .expect("body");
        assert_eq!(
            bytes.as_ref(),
            upack("acme", "saw", "2.0.0", b"saw").as_slice(),
            "the bytes uploaded"
        );

        // An administrator may replace a version; a publisher may not.
        let replaced = upload_form(
            &boss,
            "unapproved",
            &csrf,
            "saw.upack",
            upack("acme", "saw", "2.0.0", b"new"),
        )
        .await;
        assert_eq!(replaced.status(), StatusCode::SEE_OTHER);
        create_user(&app, "publisher", PASSWORD, &[]).await;
        grant(&app, "publisher", "Publish Packages", Some("unapproved")).await;
        let publisher = Browser::signed_in(&app, "publisher", PASSWORD).await;
        let publisher_csrf = csrf_of(&publisher.page("/feeds/unapproved").await);
        let again = upload_form(
            &publisher,
            "unapproved",
            &publisher_csrf,
            "saw.upack",
            upack("acme", "saw", "2.0.0", b"other"),
        )
        .await;
        assert_eq!(
            again.status(),
            StatusCode::CONFLICT,
            "without the overwrite right"
        );
        assert!(again.text().await.expect("body").contains("already exists"));
        let junk = upload_form(&boss, "unapproved", &csrf, "junk.upack", b"not a zip".to_vec()).await;
        assert_eq!(junk.status(), StatusCode::BAD_REQUEST);
        let validated = upload_form(
            &boss,
            "approved",
            &csrf,
            "saw.upack",
            upack("acme", "saw", "3.0.0", b"x"),
        )
        .await;
        assert_eq!(validated.status(), StatusCode::FORBIDDEN);
        assert!(validated.text().await.expect("body").contains("promotion"));
        let forged = upload_form(
            &boss,
            "unapproved",
            "forged",
            "saw.upack",
            upack("acme", "saw", "4.0.0", b"x"),
        )
        .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let npm = upload_form(&boss, "npm-feed", &csrf, "x.tgz", b"x".to_vec()).await;
        assert_eq!(npm.status(), StatusCode::BAD_REQUEST);

        create_user(&app, "viewer", PASSWORD, &[]).await;
        let viewer = Browser::signed_in(&app, "viewer", PASSWORD).await;
        let csrf = csrf_of(&viewer.page("/feeds/unapproved").await);
        let refused = upload_form(
            &viewer,
            "unapproved",
            &csrf,
            "saw.upack",
            upack("acme", "saw", "5.0.0", b"x"),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let versions = app
            .admin_json("/api/packages/unapproved/versions?name=saw&group=acme")
            .await;
        assert_eq!(
            versions.as_array().map(Vec::len),
            Some(1),
            "only the one good upload is stored: {versions}"
        );
        assert!(
            app.staging_files().is_empty(),
            "refused uploads leave nothing in staging"
        );
    }
}
