//! Several stateless nodes sharing one PostgreSQL database and one S3 bucket.
//!
//! Runs on PostgreSQL only, by design: SQLite is the single-node store and
//! cannot be shared between processes on different machines.

use std::path::Path;
use std::time::Duration;

use gantry_store::sql::Backend;
use gantry_test_support::ui::{location, session_cookie, Browser};
use gantry_test_support::{
    files_under, noise, trickle_body, upack, S3Server, TestProcess, ADMIN_KEY, S3_ACCESS_KEY, S3_BUCKET,
    S3_PREFIX, S3_SECRET_KEY,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Cluster {
    a: TestProcess,
    b: TestProcess,
    s3: S3Server,
    _dirs: (tempfile::TempDir, tempfile::TempDir, tempfile::TempDir),
}

async fn cluster() -> Option<Cluster> {
    if !gantry_store::testing::backends().contains(&Backend::Postgres) {
        eprintln!("skipped: the cluster tests need PostgreSQL (GANTRY_TEST_BACKENDS has no postgres)");
        return None;
    }
    let scratch = tempfile::tempdir().expect("temp dir");
    let database = gantry_store::testing::fresh_database(Backend::Postgres, scratch.path()).await;
    let s3 = S3Server::start();
    let blob_store = format!("s3://{S3_BUCKET}/{S3_PREFIX}");
    let env = [
        ("GANTRY_BLOB_STORE", blob_store.as_str()),
        ("GANTRY_S3_ENDPOINT", s3.endpoint.as_str()),
        ("GANTRY_S3_ACCESS_KEY_ID", S3_ACCESS_KEY),
        ("GANTRY_S3_SECRET_ACCESS_KEY", S3_SECRET_KEY),
        ("GANTRY_S3_ALLOW_HTTP", "true"),
    ];
    let binary = Path::new(env!("CARGO_BIN_EXE_gantry"));
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let a = TestProcess::start_with(binary, dir_a.path(), &database, &env).await;
    let b = TestProcess::start_with(binary, dir_b.path(), &database, &env).await;
    Some(Cluster {
        a,
        b,
        s3,
        _dirs: (scratch, dir_a, dir_b),
    })
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post_json(url: String, key: &str, body: Value) -> (StatusCode, String) {
    let response = client()
        .post(url)
        .header("X-ApiKey", key)
        .json(&body)
        .send()
        .await
        .expect("request");
    (response.status(), response.text().await.expect("body"))
}

fn stored_objects(s3: &S3Server) -> usize {
    files_under(&s3.bucket_dir().join(S3_PREFIX).join("blobs")).len()
}

#[tokio::test]
async fn nodes_share_everything_through_postgres_and_s3() {
    let Some(c) = cluster().await else { return };
    for (node, feed) in [(&c.a, "builds"), (&c.b, "released")] {
        let (status, text) = post_json(
            node.url("/api/management/feeds/create"),
            ADMIN_KEY,
            json!({"name": feed, "feedType": "universal"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }
    // Upload through A, promote through B, download through A.
    let package = upack("acme", "engine", "1.0.0", &noise(11, 3 * 1024 * 1024));
    let uploaded = client()
        .post(c.a.url("/upack/builds/upload"))
        .header("X-ApiKey", ADMIN_KEY)
        .body(package.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    assert_eq!(stored_objects(&c.s3), 1, "the blob is in the shared bucket");
    let (status, text) = post_json(
        c.b.url("/api/promotions/promote"),
        ADMIN_KEY,
        json!({"fromFeed": "builds", "toFeed": "released", "group": "acme", "name": "engine", "version": "1.0.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let downloaded = client()
        .get(c.a.url("/upack/released/download/acme/engine/1.0.0"))
        .send()
        .await
        .expect("request");
    assert_eq!(downloaded.status(), StatusCode::OK);
    assert_eq!(
        downloaded.bytes().await.expect("bytes").as_ref(),
        package.as_slice()
    );
    assert_eq!(stored_objects(&c.s3), 1, "promotion wrote no bytes");

    // 100 identical promotions split across both nodes: one copy, every answer 200.
    let (status, _) = post_json(
        c.a.url("/api/management/feeds/create"),
        ADMIN_KEY,
        json!({"name": "prod", "feedType": "universal"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({"fromFeed": "builds", "toFeed": "prod", "group": "acme", "name": "engine", "version": "1.0.0"});
    let mut tasks = Vec::new();
    for i in 0..100 {
        let url = if i % 2 == 0 {
            c.a.url("/api/promotions/promote")
        } else {
            c.b.url("/api/promotions/promote")
        };
        let body = body.clone();
        tasks.push(tokio::spawn(async move { post_json(url, ADMIN_KEY, body).await }));
    }
    let mut copying_requests = 0;
    for task in tasks {
        let (status, text) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: Value = serde_json::from_str(&text).expect("json");
        copying_requests += usize::from(answer["copied"] == true);
    }
    assert_eq!(copying_requests, 1, "exactly one promotion copied");
    let versions: Value = client()
        .get(c.b.url("/api/packages/prod/versions"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(versions.as_array().expect("array").len(), 1);
    let list: Value = client()
        .get(c.a.url("/api/promotions/list?toFeed=prod"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        list[0]["promotions"].as_array().expect("array").len(),
        100,
        "one record per success"
    );
}

#[tokio::test]
async fn a_key_deleted_on_one_node_is_refused_by_the_other_at_once() {
    let Some(c) = cluster().await else { return };
    let (status, _) = post_json(
        c.a.url("/api/management/feeds/create"),
        ADMIN_KEY,
        json!({"name": "f", "feedType": "universal"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, text) = post_json(
        c.a.url("/api/api-keys/create"),
        ADMIN_KEY,
        json!({"type": "feed", "feed": "f", "packagePermissions": ["add"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let created: Value = serde_json::from_str(&text).expect("json");
    let key = created["key"].as_str().expect("key").to_owned();
    let push = |node: &TestProcess, version: &str| {
        client()
            .post(node.url("/upack/f/upload"))
            .header("X-ApiKey", key.clone())
            .body(upack("", "p", version, b"x"))
            .send()
    };
    assert_eq!(
        push(&c.b, "1.0.0").await.expect("request").status(),
        StatusCode::CREATED
    );
    let deleted = client()
        .post(c.a.url(&format!("/api/api-keys/delete?id={}", created["id"])))
        .header("X-ApiKey", ADMIN_KEY)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), StatusCode::OK);
    // Gantry keeps no permission cache: the very next request on B sees it.
    assert_eq!(
        push(&c.b, "2.0.0").await.expect("request").status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn killing_a_node_mid_upload_leaves_nothing_and_the_other_keeps_serving() {
    let Some(c) = cluster().await else { return };
    let (status, _) = post_json(
        c.a.url("/api/management/feeds/create"),
        ADMIN_KEY,
        json!({"name": "f", "feedType": "universal"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let kept = upack("", "kept", "1.0.0", b"served by B");
    let uploaded = client()
        .post(c.b.url("/upack/f/upload"))
        .header("X-ApiKey", ADMIN_KEY)
        .body(kept.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let objects_before = stored_objects(&c.s3);

    let package = upack("", "half", "1.0.0", &noise(5, 12 * 1024 * 1024));
    let upload = tokio::spawn(
        client()
            .post(c.a.url("/upack/f/upload"))
            .header("X-ApiKey", ADMIN_KEY)
            .body(trickle_body(package, 4 * 1024 * 1024))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let Cluster { a, b, s3, _dirs } = c;
    a.kill().await;
    let result = upload.await.expect("task");
    assert!(result.is_err() || result.is_ok_and(|r| !r.status().is_success()));

    let health = client().get(b.url("/health")).send().await.expect("request");
    assert_eq!(health.status(), StatusCode::OK, "B keeps serving");
    let download = client()
        .get(b.url("/upack/f/download/kept/1.0.0"))
        .send()
        .await
        .expect("request");
    assert_eq!(download.bytes().await.expect("bytes").as_ref(), kept.as_slice());
    let versions: Value = client()
        .get(b.url("/api/packages/f/versions?name=half"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(versions, json!([]), "no package row for the half upload");
    assert_eq!(
        stored_objects(&s3),
        objects_before,
        "no object for the half upload"
    );
}

/// Permission changes made on one node reach the other's cached model
/// within its watch interval (one second); polled, never slept for.
#[tokio::test]
async fn a_permission_changed_on_one_node_applies_on_the_other_within_a_second() {
    let Some(c) = cluster().await else { return };
    let (status, _) = post_json(
        c.a.url("/api/management/feeds/create"),
        ADMIN_KEY,
        json!({"name": "f", "feedType": "universal"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for (path, body) in [
        (
            "/api/security/users/add",
            json!({"name": "pat", "password": "pat-password"}),
        ),
        (
            "/api/security/permissions/add",
            json!({"user": "pat", "task": "Publish Packages", "feed": "f"}),
        ),
    ] {
        let (status, text) = post_json(c.a.url(path), ADMIN_KEY, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {text}");
    }
    let push = |version: &'static str| {
        client()
            .post(c.b.url("/upack/f/upload"))
            .basic_auth("pat", Some("pat-password"))
            .body(upack("", "p", version, b"x"))
            .send()
    };
    // Wait for B to see the grant, then for B to see a deny made on A.
    let until = |want: StatusCode, version: &'static str| {
        let push = &push;
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            loop {
                let status = push(version).await.expect("request").status();
                if status == want {
                    return std::time::Instant::now();
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "node B never answered {want}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    until(StatusCode::CREATED, "1.0.0").await;
    let (status, text) = post_json(
        c.a.url("/api/security/permissions/add"),
        ADMIN_KEY,
        json!({"user": "pat", "task": "Publish Packages", "feed": "f", "deny": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let changed_at = std::time::Instant::now();
    let refused_at = until(StatusCode::FORBIDDEN, "2.0.0").await;
    assert!(
        refused_at - changed_at < Duration::from_millis(2500),
        "the deny took {:?} to reach node B",
        refused_at - changed_at
    );
    // Node A, which made the change, applies it at once.
    let on_a = client()
        .post(c.a.url("/upack/f/upload"))
        .basic_auth("pat", Some("pat-password"))
        .body(upack("", "p", "3.0.0", b"x"))
        .send()
        .await
        .expect("request");
    assert_eq!(on_a.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_web_ui_session_started_on_one_node_works_and_ends_on_the_other() {
    let Some(c) = cluster().await else { return };
    let password = "cluster ui password";
    let (status, body) = post_json(
        c.a.url("/api/security/users/add"),
        ADMIN_KEY,
        json!({"name": "ann", "password": password, "groups": ["Administrators"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let on_a = Browser::at(&c.a.url(""));
    let signed_in = on_a.sign_in("ann", password).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let header = session_cookie(&signed_in).expect("session cookie");
    let cookie = header.split(';').next().unwrap_or_default().to_owned();

    // The load balancer sends the next request to node B: same session.
    let on_b = on_a.same_browser_at(&c.b.url(""));
    let admin = on_b.page("/admin").await;
    assert!(admin.contains("ann"), "node B knows the session");
    let out = on_b.submit("/", "/signout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);

    // Signed out on B, the cookie signs nobody in on A either.
    let replay = Browser::at(&c.a.url(""))
        .request(reqwest::Method::GET, "/admin")
        .header("cookie", cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replay), "/signin?next=%2Fadmin");
}
