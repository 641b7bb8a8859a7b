//! `gantry migrate`: SQLite + files → PostgreSQL + S3 → SQLite + files, with
//! identical API answers, byte-identical downloads, and every file row of a
//! version with several files (names, times, who added them) carried over.
//!
//! Needs PostgreSQL by design (it is one end of the move); skipped with a
//! message when the suite runs without it.

use std::path::Path;
use std::process::Command;

use gantry_store::sql::{Backend, PoolSettings, SqlStore};
use gantry_store::{
    AddFileOutcome, BlobStore, MetadataOnAdd, MetadataStore, NewFileUpload, NewPackage, NewPackageFile,
    PackageQuery, PackageRecord,
};
use gantry_test_support::{
    noise, upack, S3Server, TestProcess, ADMIN_KEY, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

const FEEDS: [&str; 3] = ["dev", "rc", "prod"];

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_gantry"))
}

async fn call(node: &TestProcess, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, node.url(path))
        .header("X-ApiKey", ADMIN_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Every answer that must survive a move, without touching download counts.
async fn snapshot(node: &TestProcess) -> Value {
    let mut answers = serde_json::Map::new();
    for path in [
        "/api/management/feeds/list".to_owned(),
        "/api/promotions/list".to_owned(),
        "/api/api-keys/list".to_owned(),
        "/api/packages/prod/history?name=app&version=1.0.0".to_owned(),
        "/api/packages/dev/history?name=lib&group=acme&version=2.0.0".to_owned(),
    ]
    .into_iter()
    .chain(FEEDS.iter().map(|f| format!("/api/packages/{f}/versions")))
    {
        answers.insert(path.clone(), call(node, reqwest::Method::GET, &path, None).await);
    }
    Value::Object(answers)
}

async fn download(node: &TestProcess, path: &str) -> Vec<u8> {
    let response = reqwest::Client::new()
        .get(node.url(path))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.expect("bytes").to_vec()
}

/// `acme/lib 2.0.0` as the feed named `feed` stores it, read straight from
/// the database at `url` (no server may be running on it but a SQLite one).
async fn stored_lib(url: &str, feed: &str) -> PackageRecord {
    let store = SqlStore::connect_existing(url, &PoolSettings::default())
        .await
        .expect("store opens");
    let record = lib_in(&store, feed).await;
    store.close().await;
    record
}

async fn lib_in(store: &SqlStore, feed: &str) -> PackageRecord {
    let feed_id = store
        .get_feed(feed)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("feed {feed}"))
        .id;
    let query = PackageQuery {
        name_key: Some("lib".into()),
        ..PackageQuery::default()
    };
    let mut found: Vec<PackageRecord> = store
        .find_packages(feed_id, &query)
        .await
        .expect("find")
        .into_iter()
        .filter(|r| r.group == "acme" && r.version == "2.0.0")
        .collect();
    assert_eq!(found.len(), 1, "{feed} holds acme/lib 2.0.0 once");
    found.remove(0)
}

/// The files of a version as a move must keep them.
fn file_rows(record: &PackageRecord) -> Vec<(String, String, String, i64, String, u64)> {
    record
        .files
        .iter()
        .map(|f| {
            (
                f.qualifier.clone(),
                f.file_name.clone(),
                f.sha256.to_string(),
                f.added_at,
                f.added_by.clone(),
                f.size,
            )
        })
        .collect()
}

/// Adds a `sources` file to acme/lib 2.0.0 in dev, by its own request as the
/// formats whose versions hold many files do (no HTTP API adds one yet):
/// straight into the store and blob store of the running server A.
async fn add_sources_file(data_dir: &Path, database_url: &str, bytes: &[u8]) -> PackageRecord {
    let staging = tempfile::tempdir().expect("dir");
    let blobs = BlobStore::local(data_dir, staging.path()).expect("blob store");
    let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(bytes))]);
    let staged = blobs.stage(body, 1 << 20).await.expect("staged");
    let store = SqlStore::connect_existing(database_url, &PoolSettings::default())
        .await
        .expect("store opens");
    store.lease_blob(staged.info()).await.expect("lease");
    let digest = blobs.commit(staged).await.expect("commit").sha256;
    let lib = lib_in(&store, "dev").await;
    let outcome = store
        .add_package_file(&NewFileUpload {
            package: NewPackage {
                feed_id: lib.feed_id,
                feed_name: "dev".into(),
                package_type: "upack".into(),
                group: lib.group.clone(),
                name: lib.name.clone(),
                version: lib.version.clone(),
                key: lib.key.clone(),
                published_by: "builder".into(),
                metadata: lib.metadata.clone(),
                files: vec![NewPackageFile {
                    qualifier: "sources".into(),
                    file_name: "lib-2.0.0-sources.zip".into(),
                    sha256: digest,
                }],
                dist_tags: vec![],
                connector: None,
            },
            replace: false,
            metadata: MetadataOnAdd::KeepExisting,
        })
        .await
        .expect("add file");
    store.close().await;
    match outcome {
        AddFileOutcome::FileAdded(record) => record,
        other => panic!("expected FileAdded, got {other:?}"),
    }
}

fn run_migrate(args: &[&str], env: &[(&str, &str)]) {
    let output = Command::new(binary())
        .arg("migrate")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "gantry migrate failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn round_trip_through_postgres_and_s3_keeps_every_answer() {
    if !gantry_store::testing::backends().contains(&Backend::Postgres) {
        eprintln!("skipped: migrating to PostgreSQL needs PostgreSQL (GANTRY_TEST_BACKENDS has no postgres)");
        return;
    }
    let (dir_a, dir_b, dir_c) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let sqlite = |dir: &Path| format!("sqlite://{}?mode=rwc", dir.join("gantry.db").display());

    // A: the embedded default, with feeds, a pipeline, packages, promotions,
    // a deletion and a key.
    let a = TestProcess::start(binary(), dir_a.path(), &sqlite(dir_a.path())).await;
    for feed in FEEDS {
        call(
            &a,
            reqwest::Method::POST,
            "/api/management/feeds/create",
            Some(json!({"name": feed, "feedType": "universal"})),
        )
        .await;
    }
    call(
        &a,
        reqwest::Method::POST,
        "/api/management/feeds/update/dev",
        Some(json!({"promoteToFeed": "rc"})),
    )
    .await;
    let packages = [
        ("", "app", "1.0.0", noise(1, 200_000)),
        ("acme", "lib", "2.0.0", noise(2, 50_000)),
        ("acme", "lib", "2.1.0", noise(3, 10)),
    ];
    for (group, name, version, content) in &packages {
        let response = reqwest::Client::new()
            .post(a.url("/upack/dev/upload"))
            .header("X-ApiKey", ADMIN_KEY)
            .body(upack(group, name, version, content))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    for (from, to) in [("dev", "rc"), ("rc", "prod")] {
        call(&a, reqwest::Method::POST, "/api/promotions/promote", Some(json!({"fromFeed": from, "toFeed": to, "name": "app", "version": "1.0.0", "comments": format!("{from} ok")}))).await;
    }
    call(
        &a,
        reqwest::Method::POST,
        "/api/packages/dev/delete?group=acme&name=lib&version=2.1.0",
        None,
    )
    .await;
    call(
        &a,
        reqwest::Method::POST,
        "/api/api-keys/create",
        Some(json!({"type": "feed", "feed": "prod", "packagePermissions": ["view"]})),
    )
    .await;
    // A version with two files: the upload's and one added later.
    let with_sources = add_sources_file(dir_a.path(), &sqlite(dir_a.path()), &noise(4, 30_000)).await;
    let rows_with_sources = file_rows(&with_sources);
    assert_eq!(rows_with_sources.len(), 2);
    assert_eq!(
        (
            rows_with_sources[1].0.as_str(),
            rows_with_sources[1].1.as_str(),
            rows_with_sources[1].4.as_str()
        ),
        ("sources", "lib-2.0.0-sources.zip", "builder")
    );
    let files = [
        "/upack/prod/download/app/1.0.0",
        "/upack/dev/download/acme/lib/2.0.0",
    ];
    let mut bytes = Vec::new();
    for file in files {
        bytes.push(download(&a, file).await);
    }
    // Taken after the downloads, since download counts move too.
    let before = snapshot(&a).await;
    assert!(a.signal_and_wait("TERM").await.success());
    let lib_in_a = stored_lib(&sqlite(dir_a.path()), "dev").await;
    assert_eq!(file_rows(&lib_in_a), rows_with_sources);

    // To PostgreSQL + S3, twice: the second run finds everything there.
    let s3 = S3Server::start();
    let scratch = tempfile::tempdir().expect("dir");
    let postgres = gantry_store::testing::fresh_database(Backend::Postgres, scratch.path()).await;
    let blob_store = format!("s3://{S3_BUCKET}/moved");
    let s3_env = [
        ("GANTRY_S3_ENDPOINT", s3.endpoint.as_str()),
        ("GANTRY_S3_ACCESS_KEY_ID", S3_ACCESS_KEY),
        ("GANTRY_S3_SECRET_ACCESS_KEY", S3_SECRET_KEY),
        ("GANTRY_S3_ALLOW_HTTP", "true"),
    ];
    let data_a = dir_a.path().display().to_string();
    for _ in 0..2 {
        run_migrate(
            &[
                "--data-dir",
                &data_a,
                "--to",
                &postgres,
                "--to-blobs",
                &blob_store,
            ],
            &s3_env,
        );
    }

    // Every file row came along, with its name, time and publisher.
    assert_eq!(
        stored_lib(&postgres, "dev").await,
        lib_in_a,
        "the two-file version reads the same from PostgreSQL"
    );

    let mut b_env = s3_env.to_vec();
    b_env.push(("GANTRY_BLOB_STORE", blob_store.as_str()));
    let b = TestProcess::start_with(binary(), dir_b.path(), &postgres, &b_env).await;
    assert_eq!(
        snapshot(&b).await,
        before,
        "PostgreSQL + S3 answers as SQLite + files did"
    );
    for (file, expected) in files.iter().zip(&bytes) {
        assert_eq!(&download(&b, file).await, expected, "{file}");
    }
    // New records continue the ids.
    let promoted = call(
        &b,
        reqwest::Method::POST,
        "/api/promotions/promote",
        Some(json!({"fromFeed": "dev", "toFeed": "rc", "group": "acme", "name": "lib", "version": "2.0.0"})),
    )
    .await;
    let last_id = before["/api/promotions/list"][0]["promotions"][1]["id"]
        .as_i64()
        .expect("id");
    assert!(promoted["promotions"][0]["id"].as_i64().expect("id") > last_id);
    let after_b = snapshot(&b).await;
    assert!(b.signal_and_wait("TERM").await.success());

    // And back to SQLite + files.
    let mut back_env = b_env.clone();
    back_env.push(("GANTRY_DATABASE_URL", postgres.as_str()));
    let to_sqlite = sqlite(dir_c.path());
    let to_files = format!("file://{}", dir_c.path().display());
    let data_b = dir_b.path().display().to_string();
    run_migrate(
        &["--data-dir", &data_b, "--to", &to_sqlite, "--to-blobs", &to_files],
        &back_env,
    );
    // Back on SQLite: the two-file version (downloaded on B meanwhile), and
    // its copy promoted on B.
    assert_eq!(file_rows(&stored_lib(&to_sqlite, "dev").await), rows_with_sources);
    assert_eq!(
        file_rows(&stored_lib(&to_sqlite, "rc").await),
        rows_with_sources,
        "promotion on PostgreSQL copied both files, and the move back kept them"
    );
    let c = TestProcess::start(binary(), dir_c.path(), &to_sqlite).await;
    assert_eq!(
        snapshot(&c).await,
        after_b,
        "SQLite + files answers as PostgreSQL + S3 did"
    );
    for (file, expected) in files.iter().zip(&bytes) {
        assert_eq!(&download(&c, file).await, expected, "{file}");
    }
}

#[test]
fn migrating_onto_itself_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("gantry.db").display());
    let output = Command::new(binary())
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .args(["--to", &url, "--to-blobs", "file:///tmp/x"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("same database"));
}
