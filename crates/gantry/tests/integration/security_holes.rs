//! The nine holes found by the security review, each reproduced as its
//! reviewer did against a running server, and shown closed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gantry_test_support::ui::{create_user, csrf_of, grant, location, Browser};
use gantry_test_support::{nupkg_with_nuspec, upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::expect_status;

const PASSWORD: &str = "correct-horse-battery";

// 1. Bytes a publisher chose are inert in a browser.

#[tokio::test]
async fn publisher_content_is_never_rendered_as_a_page_of_the_server() {
    for app in TestApp::each_backend().await {
        app.create_feed("nu", "nuget").await;
        let nuspec = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Evil</id>
    <version>1.0.0</version>
    <authors>x</authors>
    <description>d</description>
    <script xmlns="http://www.w3.org/1999/xhtml">fetch('/api/api-keys/create')</script>
  </metadata>
</package>"#;
        let (status, body) = app
            .push_nupkg("nu", ADMIN_KEY, nupkg_with_nuspec("Evil.nuspec", nuspec))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        for path in [
            "/nuget/nu/v3/flatcontainer/evil/1.0.0/evil.nuspec",
            "/nuget/nu/v3/flatcontainer/evil/1.0.0/evil.1.0.0.nupkg",
            "/api/packages/nu/download?name=Evil&version=1.0.0",
            "/api/management/feeds/list",
            "/no/such/page",
        ] {
            let response = app.anonymous(Method::GET, path).send().await.expect("GET");
            let headers = response.headers();
            assert_eq!(
                headers
                    .get("x-content-type-options")
                    .and_then(|v| v.to_str().ok()),
                Some("nosniff"),
                "[{:?}] {path}",
                app.backend
            );
            let policy = headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(
                policy.contains("sandbox") && policy.contains("default-src 'none'"),
                "[{:?}] {path}: {policy}",
                app.backend
            );
        }
        // The protocol still answers as NuGet clients expect.
        let nuspec_answer = app
            .anonymous(Method::GET, "/nuget/nu/v3/flatcontainer/evil/1.0.0/evil.nuspec")
            .send()
            .await
            .expect("GET");
        assert_eq!(nuspec_answer.status(), StatusCode::OK);
        assert_eq!(
            nuspec_answer
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/xml")
        );
        // Pages keep their own policy, which runs the UI's script.
        let page = app.anonymous(Method::GET, "/").send().await.expect("GET");
        let policy = page
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            policy.contains("script-src 'self'") && !policy.contains("sandbox"),
            "{policy}"
        );
    }
}

// 2. The UI's upload form reads nothing from someone who may not publish.

/// Sends a request head and `sent` bytes of a body declared much larger,
/// and returns the status line the server answered with meanwhile.
async fn answer_before_the_body(app: &TestApp, head: &str, sent: usize) -> String {
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    // Part of the body; the server must answer without waiting for the rest.
    let _ = stream.write_all(&vec![b'x'; sent]).await;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    if answer.windows(2).any(|w| w == b"\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server waited for a body it should have refused"
    );
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_upload_form_refuses_before_reading_a_body() {
    for app in TestApp::each_backend().await {
        app.create_feed("tools", "universal").await;
        // Anonymous may view (the default), not publish: refused at the head.
        let head = format!(
            "POST /feeds/tools/upload HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary=b\r\n\
             Content-Length: 314572800\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n",
            app.addr
        );
        let status = answer_before_the_body(&app, &head, 1024 * 1024).await;
        assert!(
            status.contains(" 401 ") || status.contains(" 403 "),
            "[{:?}] {status}",
            app.backend
        );

        // A publisher's form whose token field is huge is refused within a bound.
        create_user(&app, "pub", PASSWORD, &[]).await;
        grant(&app, "pub", "Publish Packages", Some("tools")).await;
        let browser = Browser::signed_in(&app, "pub", PASSWORD).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", "x".repeat(8 * 1024 * 1024))
            .part(
                "package",
                reqwest::multipart::Part::bytes(upack("acme", "big", "1.0.0", b"x")).file_name("p.upack"),
            );
        let response = browser
            .request(Method::POST, "/feeds/tools/upload")
            .multipart(form)
            .send()
            .await
            .expect("POST");
        let body = expect_status(response, StatusCode::BAD_REQUEST, "a huge text field").await;
        assert!(body.contains("longer than"), "{body}");
        app.assert_nothing_stored("tools").await;
        assert!(app.staging_files().is_empty());
    }
}

// 3. A per-feed deny hides that feed's records from every list.

#[tokio::test]
async fn a_feed_denied_to_everyone_shows_in_no_list() {
    for app in TestApp::each_backend().await {
        for feed in ["public", "secret"] {
            app.create_feed(feed, "universal").await;
        }
        let (status, body) = app
            .upload_upack("secret", ADMIN_KEY, upack("acme", "hidden", "1.0.0", b"x"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let promoted = app
            .admin(Method::POST, "/api/promotions/promote")
            .json(
                &json!({"fromFeed": "secret", "toFeed": "public", "group": "acme", "name": "hidden",
                          "version": "1.0.0", "comments": "secret comment"}),
            )
            .send()
            .await
            .expect("promote");
        expect_status(promoted, StatusCode::OK, "promote").await;
        let deployed = app
            .admin(Method::POST, "/api/package-deployment/")
            .json(
                &json!({"Application": "app", "Description": "d", "Target": "prod-1", "FeedName": "secret",
                          "GroupName": "acme", "PackageName": "hidden", "Version": "1.0.0"}),
            )
            .send()
            .await
            .expect("deploy");
        assert!(deployed.status().is_success());
        let denied = app
            .admin(Method::POST, "/api/security/permissions/add")
            .json(&json!({"group": "Everyone", "task": "View & Download Packages", "feed": "secret", "deny": true}))
            .send()
            .await
            .expect("deny");
        expect_status(denied, StatusCode::OK, "deny").await;

        for path in [
            "/api/package-deployment/list?feed=secret",
            "/api/package-deployment/list",
            "/api/promotions/list?fromFeed=secret",
            "/api/promotions/list",
            "/api/packages/public/history?group=acme&name=hidden&version=1.0.0",
        ] {
            let response = app.anonymous(Method::GET, path).send().await.expect("GET");
            let body = expect_status(response, StatusCode::OK, path).await;
            assert!(
                !body.contains("secret") && !body.contains("prod-1"),
                "[{:?}] {path} shows the denied feed: {body}",
                app.backend
            );
        }
        // The administrator still sees everything.
        let all: Value = app.admin_json("/api/promotions/list?fromFeed=secret").await;
        assert_eq!(all.as_array().map(Vec::len), Some(1));
        let deployments: Value = app.admin_json("/api/package-deployment/list?feed=secret").await;
        assert_eq!(deployments.as_array().map(Vec::len), Some(1));
    }
}

// 4. Feed keys belong to their feed, not to its name.

#[tokio::test]
async fn a_feed_key_ends_with_its_feed_and_follows_a_rename() {
    for app in TestApp::each_backend().await {
        app.create_feed("ci", "universal").await;
        let key = app
            .create_key(json!({"type": "feed", "feed": "ci", "packagePermissions": ["view", "add"]}))
            .await;
        let (status, _) = app.upload_upack("ci", &key, upack("", "a", "1.0.0", b"a")).await;
        assert_eq!(status, StatusCode::CREATED);

        // Renamed, the feed keeps its key.
        app.update_feed("ci", json!({"name": "builds"})).await;
        let (status, body) = app
            .upload_upack("builds", &key, upack("", "a", "2.0.0", b"b"))
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "[{:?}] after rename: {body}",
            app.backend
        );

        // Deleted, its keys go with it: a new feed of the old name is not theirs.
        let deleted = app
            .admin(Method::DELETE, "/api/management/feeds/delete/builds")
            .send()
            .await
            .expect("delete");
        expect_status(deleted, StatusCode::OK, "delete feed").await;
        app.create_feed("builds", "universal").await;
        let (status, body) = app
            .upload_upack("builds", &key, upack("", "a", "3.0.0", b"c"))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "[{:?}] old key on new feed: {body}",
            app.backend
        );
        let keys: Value = app.admin_json("/api/api-keys/list").await;
        assert!(
            keys.as_array()
                .is_some_and(|k| k.iter().all(|k| k["type"] != "feed")),
            "the feed's key is gone: {keys}"
        );
        let versions: Value = app.admin_json("/api/packages/builds/versions").await;
        assert_eq!(versions, json!([]), "nothing reached the new feed");
    }
}

// 5. Parallel password guesses are counted before they are judged.

#[tokio::test]
async fn parallel_password_guesses_are_throttled_before_they_are_judged() {
    for app in TestApp::each_backend().await {
        create_user(&app, "victim", PASSWORD, &[]).await;
        let mut tasks = Vec::new();
        for i in 0..120 {
            let request = app
                .anonymous(Method::GET, "/api/management/feeds/list")
                .basic_auth("victim", Some(format!("wrong-{i}")));
            tasks.push(tokio::spawn(async move {
                request.send().await.expect("request").status()
            }));
        }
        let mut judged = 0;
        let mut throttled = 0;
        for task in tasks {
            match task.await.expect("task") {
                StatusCode::FORBIDDEN => judged += 1,
                StatusCode::TOO_MANY_REQUESTS => throttled += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert!(
            judged <= 5,
            "[{:?}] {judged} guesses were judged, {throttled} throttled",
            app.backend
        );
        assert_eq!(judged + throttled, 120);
    }
}

#[tokio::test]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    for app in TestApp::each_backend_with(|c| c.trusted_proxies = vec!["127.0.0.1".into()]).await {
        create_user(&app, "someone", PASSWORD, &[]).await;
        // One client behind the proxy guesses many names until held back...
        let guess = |user: String, client: &'static str| {
            app.anonymous(Method::GET, "/api/management/feeds/list")
                .basic_auth(user, Some("wrong"))
                .header("x-forwarded-for", client)
        };
        let mut held_back = false;
        for i in 0..20 {
            let status = guess(format!("nobody{i}"), "203.0.113.7")
                .send()
                .await
                .expect("guess")
                .status();
            held_back |= status == StatusCode::TOO_MANY_REQUESTS;
        }
        assert!(held_back, "[{:?}] the guessing address is held back", app.backend);
        // ...while another client of the same proxy signs in.
        let ok = app
            .anonymous(Method::GET, "/api/management/feeds/list")
            .basic_auth("someone", Some(PASSWORD))
            .header("x-forwarded-for", "198.51.100.20")
            .send()
            .await
            .expect("sign in");
        assert_ne!(ok.status(), StatusCode::TOO_MANY_REQUESTS, "[{:?}]", app.backend);
        assert_ne!(ok.status(), StatusCode::FORBIDDEN, "[{:?}]", app.backend);
    }
}

// 6. A connector's credentials stay with the upstream they were given for.

/// A plain HTTP server on loopback that answers 404 and keeps each
/// request's head.
async fn recording_upstream() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/upack/mirror", listener.local_addr().expect("address"));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                let n = stream.read(&mut buffer).await.unwrap_or(0);
                seen.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&buffer[..n]).into_owned());
                let _ = stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, heads)
}

#[tokio::test]
async fn a_connector_moved_to_another_host_forgets_its_credentials() {
    for app in TestApp::each_backend().await {
        let created = app
            .admin(Method::POST, "/api/management/connectors/create")
            .json(
                &json!({"name": "up", "feedType": "universal", "url": "http://127.0.0.1:9/upack/x",
                          "username": "ci", "password": "upstream-secret"}),
            )
            .send()
            .await
            .expect("create");
        expect_status(created, StatusCode::CREATED, "create connector").await;
        let (elsewhere, heads) = recording_upstream().await;
        let moved = app
            .admin(Method::POST, "/api/management/connectors/update/up")
            .json(&json!({"url": elsewhere}))
            .send()
            .await
            .expect("update");
        let body = expect_status(moved, StatusCode::OK, "move connector").await;
        let info: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(info["username"], Value::Null, "{info}");
        assert_eq!(info["hasPassword"], false, "{info}");
        let feed = app
            .admin(Method::POST, "/api/management/feeds/create")
            .json(&json!({"name": "proxy", "feedType": "universal", "connectors": ["up"]}))
            .send()
            .await
            .expect("feed");
        expect_status(feed, StatusCode::CREATED, "proxy feed").await;
        let _ = app
            .anonymous(Method::GET, "/upack/proxy/packages")
            .send()
            .await
            .expect("list");
        let heads = heads.lock().expect("lock").clone();
        assert!(!heads.is_empty(), "[{:?}] the new host was asked", app.backend);
        assert!(
            heads
                .iter()
                .all(|h| !h.to_ascii_lowercase().contains("authorization")),
            "[{:?}] credentials went to the new host: {heads:?}",
            app.backend
        );

        // Credentials written in a URL are taken out of it, never shown.
        let with_userinfo = app
            .admin(Method::POST, "/api/management/connectors/create")
            .json(&json!({"name": "inline", "feedType": "universal",
                          "url": "http://me:hunter2@127.0.0.1:9/upack/x"}))
            .send()
            .await
            .expect("create");
        let body = expect_status(with_userinfo, StatusCode::CREATED, "userinfo").await;
        assert!(!body.contains("hunter2"), "{body}");
        let info: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(info["username"], "me");
        assert_eq!(info["hasPassword"], true);
        let listed = app
            .admin(Method::GET, "/api/management/connectors/list")
            .send()
            .await
            .expect("list");
        assert!(!listed.text().await.expect("body").contains("hunter2"));
    }
}

#[tokio::test]
async fn attaching_a_connector_needs_the_right_to_manage_connectors() {
    for app in TestApp::each_backend().await {
        app.create_feed("team", "universal").await;
        let created = app
            .admin(Method::POST, "/api/management/connectors/create")
            .json(
                &json!({"name": "private", "feedType": "universal", "url": "http://127.0.0.1:9/upack/x",
                          "password": "token"}),
            )
            .send()
            .await
            .expect("create");
        expect_status(created, StatusCode::CREATED, "connector").await;
        create_user(&app, "lead", PASSWORD, &[]).await;
        grant(&app, "lead", "Manage Feed", Some("team")).await;
        let attach = app
            .anonymous(Method::POST, "/api/management/feeds/update/team")
            .basic_auth("lead", Some(PASSWORD))
            .json(&json!({"connectors": ["private"]}))
            .send()
            .await
            .expect("update");
        expect_status(attach, StatusCode::FORBIDDEN, "attach without the right").await;
        let feed: Value = app.admin_json("/api/management/feeds/get/team").await;
        assert_eq!(
            feed["connectors"],
            json!([]),
            "[{:?}] nothing changed",
            app.backend
        );
        // The same user may still change what the feed's own rights cover.
        let describe = app
            .anonymous(Method::POST, "/api/management/feeds/update/team")
            .basic_auth("lead", Some(PASSWORD))
            .json(&json!({"description": "ours"}))
            .send()
            .await
            .expect("update");
        expect_status(describe, StatusCode::OK, "describe").await;
    }
}

// 7. No open redirect after signing in.

#[tokio::test]
async fn sign_in_never_redirects_off_the_site() {
    for app in TestApp::each_backend().await {
        create_user(&app, "walker", PASSWORD, &[]).await;
        for (next, expected) in [
            ("/\t/evil.example", "/"),
            ("/\n/evil.example", "/"),
            ("/\\evil.example", "/"),
            ("\\\\evil.example", "/"),
            ("//evil.example", "/"),
            ("https://evil.example/", "/"),
            ("/feeds/a\\b", "/feeds/a/b"),
            ("/feeds?x=1", "/feeds?x=1"),
        ] {
            let browser = Browser::new(&app);
            let csrf = csrf_of(&browser.page("/signin").await);
            let answer = browser
                .post_form(
                    "/signin",
                    &[
                        ("csrf", &csrf),
                        ("username", "walker"),
                        ("password", PASSWORD),
                        ("next", next),
                    ],
                )
                .await;
            assert_eq!(answer.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&answer), expected, "next = {next:?}");
        }
        // The form page itself carries only a safe value.
        let page = Browser::new(&app).page("/signin?next=/%09/evil.example").await;
        assert!(!page.contains("evil.example"), "{page}");
    }
}

// 8. Slow clients are cut off.

#[tokio::test]
async fn a_half_sent_request_head_is_closed() {
    let app = TestApp::spawn(gantry_test_support::Backend::Sqlite, |c| {
        c.header_read_timeout_secs = 1;
        c.idle_timeout_secs = 1;
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("half a head");
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a connection with half a head stayed open");

    // A body that stops coming is given up, and nothing is left of it.
    app.create_feed("tools", "universal").await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let head = format!(
        "POST /upack/tools/upload HTTP/1.1\r\nHost: x\r\nX-ApiKey: {ADMIN_KEY}\r\nContent-Length: 100000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&[0u8; 1000]).await.expect("some body");
    let mut answer = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "a stalled body held its connection");
    app.assert_nothing_stored("tools").await;
    assert!(app.staging_files().is_empty());
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let app = TestApp::spawn(gantry_test_support::Backend::Sqlite, |c| c.max_connections = 2).await;
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(app.addr).await.expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("half");
        idle.push(stream);
    }
    // Let the server take both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/health");
        async move { client.get(url).send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served beyond the limit of two"
    );
    drop(idle.pop());
    let status = tokio::time::timeout(Duration::from_secs(10), third)
        .await
        .expect("served once a connection closed")
        .expect("task")
        .expect("request");
    assert_eq!(status, StatusCode::OK);
}

// 9. Bounded work, keys and sessions.

#[tokio::test]
async fn a_key_made_with_an_expiring_key_expires_no_later() {
    for app in TestApp::each_backend().await {
        create_user(&app, "dev", PASSWORD, &[]).await;
        let expiring = app
            .create_key(json!({"type": "personal", "user": "dev", "expiration": "2099-01-01T00:00:00Z"}))
            .await;
        let minted = app
            .with_key(Method::POST, "/api/api-keys/create", &expiring)
            .json(&json!({"type": "personal"}))
            .send()
            .await
            .expect("mint");
        let body = expect_status(minted, StatusCode::OK, "mint without expiry").await;
        let info: Value = serde_json::from_str(&body).expect("JSON");
        assert!(
            info["expiration"]
                .as_str()
                .is_some_and(|e| e.starts_with("2099-01-01")),
            "[{:?}] {info}",
            app.backend
        );
        let longer = app
            .with_key(Method::POST, "/api/api-keys/create", &expiring)
            .json(&json!({"type": "personal", "expiration": "2100-01-01T00:00:00Z"}))
            .send()
            .await
            .expect("mint");
        let body = expect_status(longer, StatusCode::BAD_REQUEST, "mint a longer-lived key").await;
        assert!(body.contains("outlive"), "{body}");
    }
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_much_it_is_used() {
    let app = TestApp::spawn(gantry_test_support::Backend::Sqlite, |c| {
        c.session_max_secs = 2;
    })
    .await;
    create_user(&app, "busy", PASSWORD, &[]).await;
    let browser = Browser::signed_in(&app, "busy", PASSWORD).await;
    let started = std::time::Instant::now();
    let signed_in = |page: &str| page.contains("Sign out");
    assert!(signed_in(&browser.page("/").await));
    // Used all the time, it still ends.
    while started.elapsed() < Duration::from_secs(6) {
        if !signed_in(&browser.page("/").await) {
            assert!(started.elapsed() >= Duration::from_millis(1500));
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the session outlived its absolute lifetime");
}

#[tokio::test]
async fn lists_answer_a_bounded_page_when_no_limit_is_given() {
    for app in TestApp::each_backend().await {
        app.create_feed("tools", "universal").await;
        let (status, _) = app
            .upload_upack("tools", ADMIN_KEY, upack("", "a", "1.0.0", b"a"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let response = app
            .anonymous(Method::GET, "/api/promotions/list?limit=10001")
            .send()
            .await
            .expect("GET");
        expect_status(response, StatusCode::BAD_REQUEST, "limit over the cap").await;
        let response = app
            .anonymous(Method::GET, "/api/package-deployment/list")
            .send()
            .await
            .expect("GET");
        expect_status(response, StatusCode::OK, "no limit").await;
    }
}

#[tokio::test]
async fn every_ui_route_is_in_the_route_table() {
    let table = gantry_server::api::route_table();
    for (method, path) in [
        (Method::GET, "/"),
        (Method::POST, "/feeds/{feed}/upload"),
        (Method::POST, "/signin"),
        (Method::POST, "/admin/api-keys"),
        (Method::POST, "/admin/security/permissions/add"),
    ] {
        assert!(
            table.iter().any(|r| r.method == method && r.path == path),
            "{method} {path} is missing from the route table"
        );
    }
}
