//! The test harness every integration test uses.
//!
//! [`TestApp`] starts the real server in-process on `127.0.0.1:0` with a
//! temporary data directory and a fresh database, on each backend the suite
//! runs on (`GANTRY_TEST_BACKENDS`, default SQLite and PostgreSQL; see
//! `gantry_store::testing`). [`TestProcess`] runs the `gantry` binary
//! instead, for tests that must kill or restart it. [`NuGetCli`],
//! [`NpmCli`] and [`MavenCli`] run the real NuGet, npm and Maven clients
//! against it; [`Skopeo`] and [`OrasPy`] the real OCI clients, with images
//! built by [`oci_image`], and [`DockerRegistry`] the reference OCI registry
//! as a peer.
//!
//! [`backend_test!`] turns one test body into one test per backend, and
//! [`type_test!`] into one per package type and backend, the types being the
//! [`package_types::TypeFixture`]s.

#![allow(clippy::missing_panics_doc)] // test helpers panic by design

mod cli;
mod macros;
pub mod maven;
pub mod npm;
pub mod nuget;
pub mod oci;
pub mod package_types;
mod process;
mod s3;
pub mod ui;
mod upack;

pub use gantry_store::sql::Backend;

pub use cli::CliOutput;
pub use maven::{maven_jar, maven_pom, MavenCli, MavenCredentials, MvnResult};
pub use npm::{
    npm_integrity, npm_shasum, npm_tarball, npm_tarball_with, npmrc_lines, publish_document, tarball_entries,
    write_package, NpmCli,
};
pub use nuget::{nupkg, nupkg_with_files, nupkg_with_nuspec, nuspec_xml, NuGetCli};
pub use oci::{
    big_layer, docker_ref, oci_image, oci_index, oci_layout_ref, read_oci_layout, sha256_digest,
    skopeo_creds, write_oci_index_layout, write_oci_layout, BuiltImage, DockerRegistry,
    DockerRegistryBuilder, OciLayer, OciLayout, OrasAuth, OrasPush, OrasPy, OrasResult, Skopeo, SkopeoResult,
};
pub use package_types::{Built, Fetched, PackageRef, TypeFixture};
pub use process::TestProcess;
pub use s3::{S3Server, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY};
pub use upack::{noise, trickle_body, upack, upack_with_manifest, zip_with};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use gantry_server::{Config, Server};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The system key every test server is bootstrapped with.
pub const ADMIN_KEY: &str = "test-admin-key-0123456789";

/// Adjusts the configuration of a test server.
pub type Tweak = fn(&mut Config);

/// Where a test server keeps its blobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blobs {
    /// Local files in the data directory.
    Local,
    /// An S3-compatible server process.
    S3,
}

/// The prefix test servers keep their blobs under in the bucket.
pub const S3_PREFIX: &str = "blob-prefix";

/// Which blob store goes with a database in the suites: the embedded stack
/// (SQLite + local files) and the scale-out stack (PostgreSQL + S3), unless
/// `GANTRY_TEST_S3=0` keeps PostgreSQL on local files.
pub fn blobs_for(backend: Backend) -> Blobs {
    match backend {
        Backend::Sqlite => Blobs::Local,
        Backend::Postgres if std::env::var("GANTRY_TEST_S3").as_deref() == Ok("0") => Blobs::Local,
        Backend::Postgres => Blobs::S3,
    }
}

/// A running server for one test, stopped when dropped.
pub struct TestApp {
    /// Which database it runs on.
    pub backend: Backend,
    /// Where it keeps blobs.
    pub blobs: Blobs,
    s3: Option<S3Server>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// A plain HTTP client.
    pub client: reqwest::Client,
    /// The server's internal events, from its start.
    pub events: tokio::sync::broadcast::Receiver<gantry_server::events::Event>,
    data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// One server per backend the suite runs on, with default settings.
    pub async fn each_backend() -> Vec<TestApp> {
        Self::each_backend_with(|_| {}).await
    }

    /// One server per backend, each configuration adjusted by `tweak`.
    pub async fn each_backend_with(tweak: Tweak) -> Vec<TestApp> {
        let mut apps = Vec::new();
        for backend in gantry_store::testing::backends() {
            apps.push(Self::spawn(backend, tweak).await);
        }
        assert!(!apps.is_empty(), "GANTRY_TEST_BACKENDS names no backend");
        apps
    }

    /// A server on `backend`, configured by `tweak`, when the suite runs on
    /// that backend (`GANTRY_TEST_BACKENDS`, see
    /// `gantry_store::testing::backends`); otherwise `None`, after printing
    /// why on stderr, so that the test returns visibly skipped. A backend
    /// that is configured but unreachable fails (panics), never skips. What
    /// [`backend_test!`] and [`type_test!`] call.
    pub async fn for_backend(backend: Backend, tweak: Tweak) -> Option<TestApp> {
        let configured = gantry_store::testing::backends();
        assert!(
            !configured.is_empty(),
            "GANTRY_TEST_BACKENDS names no backend (sqlite, postgres): {:?}",
            std::env::var("GANTRY_TEST_BACKENDS").unwrap_or_default()
        );
        if !configured.contains(&backend) {
            eprintln!(
                "skipped: the {backend:?} backend is not configured for this run \
                 (GANTRY_TEST_BACKENDS={:?})",
                std::env::var("GANTRY_TEST_BACKENDS").unwrap_or_default()
            );
            return None;
        }
        Some(Self::spawn(backend, tweak).await)
    }

    /// Starts a server on `backend`.
    pub async fn spawn(backend: Backend, tweak: Tweak) -> TestApp {
        Self::spawn_with_gates(backend, tweak, std::sync::Arc::new([])).await
    }

    /// Starts a server on `backend` that runs `gates` on every promotion.
    pub async fn spawn_with_gates(
        backend: Backend,
        tweak: Tweak,
        gates: gantry_server::services::gates::PromotionGates,
    ) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let database_url = gantry_store::testing::fresh_database(backend, data_dir.path()).await;
        let mut config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.path().to_path_buf(),
            database_url: Some(database_url),
            bootstrap_api_key: Some(ADMIN_KEY.into()),
            ..Config::default()
        };
        let blobs = blobs_for(backend);
        let s3 = (blobs == Blobs::S3).then(S3Server::start);
        if let Some(s3) = &s3 {
            s3_config(&mut config, &s3.endpoint);
        }
        tweak(&mut config);
        let server = Server::bind(config)
            .await
            .expect("server starts")
            .with_promotion_gates(gates);
        let addr = server.local_addr().expect("bound address");
        let events = server.subscribe();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async {
            let _ = rx.await;
        }));
        TestApp {
            backend,
            blobs,
            s3,
            addr,
            // Bodies as the server sent them: tests check its compression.
            client: reqwest::Client::builder().no_gzip().build().expect("HTTP client"),
            events,
            data_dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A request without credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with the administrator's key.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.with_key(method, path, ADMIN_KEY)
    }

    /// A request with the given key in `X-ApiKey`.
    pub fn with_key(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.anonymous(method, path).header("X-ApiKey", key)
    }

    /// POSTs `body` as JSON to `path` as the administrator, asserting the
    /// `expected` status (naming `what` otherwise); returns the answer's body.
    async fn admin_post(&self, path: &str, body: &Value, expected: StatusCode, what: &str) -> String {
        let response = self
            .admin(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert_eq!(status, expected, "[{:?}] {what}: {text}", self.backend);
        text
    }

    /// Creates a feed as the administrator, asserting success.
    pub async fn create_feed(&self, name: &str, feed_type: &str) -> Value {
        let body = self
            .admin_post(
                "/api/management/feeds/create",
                &json!({"name": name, "feedType": feed_type}),
                StatusCode::CREATED,
                &format!("create feed {name}"),
            )
            .await;
        serde_json::from_str(&body).expect("feed JSON")
    }

    /// Creates a connector to `url` as the administrator (`extra` adds or
    /// overrides fields) and a feed of the same type that proxies it.
    pub async fn create_proxy_feed(
        &self,
        feed: &str,
        connector: &str,
        feed_type: &str,
        url: &str,
        extra: Value,
    ) {
        let mut spec = json!({"name": connector, "feedType": feed_type, "url": url});
        if let (Some(spec), Value::Object(extra)) = (spec.as_object_mut(), extra) {
            spec.extend(extra);
        }
        self.admin_post(
            "/api/management/connectors/create",
            &spec,
            StatusCode::CREATED,
            "create connector",
        )
        .await;
        self.admin_post(
            "/api/management/feeds/create",
            &json!({"name": feed, "feedType": feed_type, "usage": "proxy", "connectors": [connector]}),
            StatusCode::CREATED,
            "create proxy feed",
        )
        .await;
    }

    /// Creates an API key as the administrator and returns its secret.
    pub async fn create_key(&self, spec: Value) -> String {
        let body = self
            .admin_post("/api/api-keys/create", &spec, StatusCode::OK, "create key")
            .await;
        let body: Value = serde_json::from_str(&body).expect("key JSON");
        body["key"].as_str().expect("secret in answer").to_owned()
    }

    /// Updates a feed as the administrator, asserting success.
    pub async fn update_feed(&self, name: &str, changes: Value) {
        self.admin_post(
            &format!("/api/management/feeds/update/{name}"),
            &changes,
            StatusCode::OK,
            &format!("update feed {name}"),
        )
        .await;
    }

    /// GETs JSON as the administrator, asserting 200.
    pub async fn admin_json(&self, path: &str) -> Value {
        let response = self.admin(Method::GET, path).send().await.expect("request");
        let status = response.status();
        let body = response.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "[{:?}] GET {path}: {body}", self.backend);
        serde_json::from_str(&body).expect("JSON")
    }

    /// Uploads a `.upack` with a key, returning status and body text.
    pub async fn upload_upack(&self, feed: &str, key: &str, bytes: Vec<u8>) -> (StatusCode, String) {
        let response = self
            .with_key(Method::POST, &format!("/upack/{feed}/upload"), key)
            .body(bytes)
            .send()
            .await
            .expect("request");
        (response.status(), response.text().await.expect("body"))
    }

    /// Pushes a `.nupkg` as NuGet clients do (`PUT /nuget/{feed}/`, one
    /// multipart part named `package`, the key in `X-NuGet-ApiKey`; no key
    /// when `key` is empty), returning status and body text.
    pub async fn push_nupkg(&self, feed: &str, key: &str, bytes: Vec<u8>) -> (StatusCode, String) {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("package.nupkg")
            .mime_str("application/octet-stream")
            .expect("mime");
        let mut request = self
            .anonymous(Method::PUT, &format!("/nuget/{feed}/"))
            .multipart(reqwest::multipart::Form::new().part("package", part));
        if !key.is_empty() {
            request = request.header("X-NuGet-ApiKey", key);
        }
        let response = request.send().await.expect("request");
        (response.status(), response.text().await.expect("body"))
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Every committed blob, as the file that holds it (in the data
    /// directory, or in the S3 server's folder).
    pub fn blob_files(&self) -> Vec<PathBuf> {
        match &self.s3 {
            Some(s3) => files_under(&s3.bucket_dir().join(S3_PREFIX).join("blobs")),
            None => files_under(&self.data_dir().join("blobs")),
        }
    }

    /// Every file left in the upload staging folder.
    pub fn staging_files(&self) -> Vec<PathBuf> {
        files_under(&self.data_dir().join("tmp"))
    }

    /// Asserts that a feed holds no package version, no blob is stored, and
    /// no staged upload lingers: what a refused upload must leave.
    pub async fn assert_nothing_stored(&self, feed: &str) {
        let response = self
            .admin(Method::GET, &format!("/api/packages/{feed}/versions"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "[{:?}]", self.backend);
        let versions: Value = response.json().await.expect("JSON");
        assert_eq!(
            versions,
            json!([]),
            "[{:?}] no version should be stored in {feed}",
            self.backend
        );
        assert_eq!(
            self.blob_files(),
            Vec::<PathBuf>::new(),
            "[{:?}] no blob should be stored",
            self.backend
        );
        assert_eq!(
            self.staging_files(),
            Vec::<PathBuf>::new(),
            "[{:?}] no staged upload should remain",
            self.backend
        );
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Points a configuration at an S3 test server.
pub fn s3_config(config: &mut Config, endpoint: &str) {
    config.blob_store = Some(format!("s3://{S3_BUCKET}/{S3_PREFIX}"));
    config.s3 = gantry_store::S3Settings {
        endpoint: Some(endpoint.to_owned()),
        region: Some("us-east-1".into()),
        access_key_id: Some(S3_ACCESS_KEY.into()),
        secret_access_key: Some(S3_SECRET_KEY.into()),
        allow_http: true,
        virtual_hosted_style: false,
    };
}

/// Every file below `dir` (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
