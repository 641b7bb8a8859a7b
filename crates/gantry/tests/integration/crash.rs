//! A server killed in the middle of an upload leaves nothing behind, and
//! the kill loop: killed again and again under load, it loses no
//! acknowledged write and its store stays consistent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database};
use gantry_test_support::{
    blobs_for, files_under, noise, trickle_body, upack, Blobs, S3Server, TestProcess, ADMIN_KEY,
    S3_ACCESS_KEY, S3_BUCKET, S3_PREFIX, S3_SECRET_KEY,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use tokio::sync::Mutex as AsyncMutex;

#[tokio::test]
async fn sigkill_mid_upload_leaves_no_package_and_no_blob() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("gantry.db").display());
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_gantry"));
    let server = TestProcess::start(binary, dir.path(), &database).await;
    let client = reqwest::Client::new();
    let created = client
        .post(server.url("/api/management/feeds/create"))
        .header("X-ApiKey", ADMIN_KEY)
        .json(&serde_json::json!({"name": "tools", "feedType": "universal"}))
        .send()
        .await
        .expect("request");
    assert_eq!(created.status(), StatusCode::CREATED);

    // A large package sent slowly: 4 MiB now, then the rest trickles in.
    let package = upack("", "big", "1.0.0", &noise(7, 16 * 1024 * 1024));
    let upload = tokio::spawn(
        client
            .post(server.url("/upack/tools/upload"))
            .header("X-ApiKey", ADMIN_KEY)
            .body(trickle_body(package, 4 * 1024 * 1024))
            .send(),
    );
    // Wait until the server is visibly staging the upload, then kill it.
    let staging = dir.path().join("tmp");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while files_under(&staging).is_empty() || staged_bytes(&staging) < 1024 * 1024 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upload never reached the staging folder"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().await;
    let result = upload.await.expect("task");
    assert!(
        result.is_err() || result.is_ok_and(|r| !r.status().is_success()),
        "the upload cannot have succeeded"
    );

    let restarted = TestProcess::start(binary, dir.path(), &database).await;
    let versions = client
        .get(restarted.url("/api/packages/tools/versions"))
        .send()
        .await
        .expect("request");
    assert_eq!(versions.status(), StatusCode::OK);
    assert_eq!(versions.text().await.expect("body"), "[]", "no package row");
    assert!(
        files_under(&dir.path().join("blobs")).is_empty(),
        "no blob reachable"
    );
    assert!(
        files_under(&staging).is_empty(),
        "the partial upload was cleared at start"
    );
}

fn staged_bytes(dir: &std::path::Path) -> u64 {
    files_under(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

// --- The kill loop ---------------------------------------------------------
//
// On each backend (SQLite + local files; PostgreSQL + S3), again and again:
// start `gantry serve`, run concurrent uploads, promotions and deletes, kill
// the process with SIGKILL at a random moment, restart it and check that
// every acknowledged write survived whole, that nothing half-written is
// visible, and that `gantry fsck` finds the store clean before and after a
// blob sweep. Every write's outcome is modelled per package version: each
// worker owns its own versions, so the acknowledgements of one version come
// in a known order. The server sweeps every second (grace 2 s) while the
// load runs, so kills also land inside sweeps, and deleted versions are
// uploaded again with identical bytes, racing the sweep for their blob.
//
// Bounded: GANTRY_KILL_LOOP_ITERATIONS (default 12) iterations and
// GANTRY_KILL_LOOP_SECONDS (default 60) seconds per backend, whichever ends
// first. GANTRY_KILL_LOOP_SEED replays a run's choices (operations, sizes,
// kill delays; the timing of the machine is not replayed).

/// SplitMix64: a small seeded generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What is known of one version in one feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Present,
    Absent,
    /// A write was in flight when the server died: either outcome is fine.
    Either,
}

const FEEDS: [&str; 2] = ["dev", "prod"];
const WORKERS: usize = 4;

/// (feed, name, version)
type Key = (&'static str, String, String);

struct Model {
    state: HashMap<Key, Seen>,
    /// The package file of each (name, version): built once, so an upload
    /// after a delete sends identical bytes.
    bytes: HashMap<(String, String), Arc<Vec<u8>>>,
}

#[derive(Default)]
struct Figures {
    iterations: usize,
    kills: usize,
    acknowledged: usize,
    in_flight: usize,
    versions_verified: usize,
    swept: usize,
}

/// One deployment: its data folder, database, blob store and settings.
struct Deployment {
    binary: PathBuf,
    dir: tempfile::TempDir,
    database: String,
    env: Vec<(String, String)>,
    blob_url: Option<String>,
    s3: gantry_store::S3Settings,
    _s3_server: Option<S3Server>,
}

impl Deployment {
    async fn new(backend: Backend) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(backend, dir.path()).await;
        let config = dir.path().join("gantry.toml");
        // Sweep every second with a 2 s grace, so sweeps run during the load.
        std::fs::write(&config, "sweep_interval_secs = 1\nblob_grace_secs = 2\n").expect("config");
        let mut env = vec![("GANTRY_CONFIG".to_owned(), config.display().to_string())];
        let (blob_url, s3, server) = if blobs_for(backend) == Blobs::S3 {
            let server = S3Server::start();
            let url = format!("s3://{S3_BUCKET}/{S3_PREFIX}");
            for (k, v) in [
                ("GANTRY_BLOB_STORE", url.as_str()),
                ("GANTRY_S3_ENDPOINT", server.endpoint.as_str()),
                ("GANTRY_S3_REGION", "us-east-1"),
                ("GANTRY_S3_ACCESS_KEY_ID", S3_ACCESS_KEY),
                ("GANTRY_S3_SECRET_ACCESS_KEY", S3_SECRET_KEY),
                ("GANTRY_S3_ALLOW_HTTP", "true"),
            ] {
                env.push((k.to_owned(), v.to_owned()));
            }
            let settings = gantry_store::S3Settings {
                endpoint: Some(server.endpoint.clone()),
                region: Some("us-east-1".into()),
                access_key_id: Some(S3_ACCESS_KEY.into()),
                secret_access_key: Some(S3_SECRET_KEY.into()),
                allow_http: true,
                virtual_hosted_style: false,
            };
            (Some(url), settings, Some(server))
        } else {
            (None, gantry_store::S3Settings::default(), None)
        };
        Deployment {
            binary: PathBuf::from(env!("CARGO_BIN_EXE_gantry")),
            dir,
            database,
            env,
            blob_url,
            s3,
            _s3_server: server,
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    async fn start(&self) -> TestProcess {
        TestProcess::start_with(&self.binary, self.data_dir(), &self.database, &self.env()).await
    }

    /// Runs `gantry fsck --json` (and `--strict`) and returns its exit code and report.
    async fn fsck(&self, strict: bool) -> (Option<i32>, Value) {
        let mut args = vec!["fsck", "--json"];
        if strict {
            args.push("--strict");
        }
        let out =
            TestProcess::run_command(&self.binary, &args, self.data_dir(), &self.database, &self.env()).await;
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "fsck printed no report ({e}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), report)
    }

    /// The store as the server opens it, for running a sweep from the test.
    async fn stores(&self) -> (gantry_store::SqlStore, gantry_store::BlobStore) {
        let meta = gantry_store::SqlStore::connect(&self.database, &PoolSettings::default())
            .await
            .expect("store");
        let blobs = gantry_store::blob::open(
            self.blob_url.as_deref(),
            &self.s3,
            self.data_dir(),
            &self.data_dir().join("test-sweep-tmp"),
        )
        .await
        .expect("blob store");
        (meta, blobs)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// One worker: random operations on its own versions until the server dies.
async fn worker(
    client: reqwest::Client,
    base: String,
    model: Arc<AsyncMutex<Model>>,
    versions: Vec<(String, String)>,
    mut rng: Rng,
    acknowledged: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<String>>>,
) {
    enum Op {
        Upload,
        Promote,
        DeleteDev,
        DeleteProd,
    }
    loop {
        let (name, version) = versions[rng.below(versions.len() as u64) as usize].clone();
        let key = |feed: &'static str| (feed, name.clone(), version.clone());
        let (op, bytes) = {
            let model = model.lock().await;
            let dev = model.state.get(&key("dev")).copied().unwrap_or(Seen::Absent);
            let prod = model.state.get(&key("prod")).copied().unwrap_or(Seen::Absent);
            let coin = rng.below(2) == 0;
            let op = match (dev, prod) {
                (Seen::Absent, Seen::Absent) => Op::Upload,
                (Seen::Absent, _) => {
                    if coin {
                        Op::Upload
                    } else {
                        Op::DeleteProd
                    }
                }
                (_, Seen::Absent) => {
                    if coin {
                        Op::Promote
                    } else {
                        Op::DeleteDev
                    }
                }
                _ => {
                    if coin {
                        Op::DeleteDev
                    } else {
                        Op::DeleteProd
                    }
                }
            };
            (op, Arc::clone(&model.bytes[&(name.clone(), version.clone())]))
        };
        let (feed, after, request) = match op {
            Op::Upload => (
                "dev",
                Seen::Present,
                client
                    .post(format!("{base}/upack/dev/upload"))
                    .body(bytes.as_ref().clone()),
            ),
            Op::Promote => (
                "prod",
                Seen::Present,
                client
                    .post(format!("{base}/api/promotions/promote"))
                    .json(&serde_json::json!({
                        "fromFeed": "dev", "toFeed": "prod", "name": name, "version": version
                    })),
            ),
            Op::DeleteDev => (
                "dev",
                Seen::Absent,
                client.delete(format!("{base}/upack/dev/delete/{name}/{version}")),
            ),
            Op::DeleteProd => (
                "prod",
                Seen::Absent,
                client
                    .post(format!("{base}/api/packages/prod/delete"))
                    .query(&[("name", name.as_str()), ("version", version.as_str())]),
            ),
        };
        model.lock().await.state.insert(key(feed), Seen::Either);
        match request.header("X-ApiKey", ADMIN_KEY).send().await {
            Ok(response) if response.status().is_success() => {
                model.lock().await.state.insert(key(feed), after);
                acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                failures
                    .lock()
                    .expect("failures")
                    .push(format!("{feed} {name} {version}: {status} {text}"));
                return;
            }
            // The server was killed: the outcome stays unknown.
            Err(_) => return,
        }
    }
}

/// After a restart: every acknowledged write is there, every listed version
/// downloads whole with its digest, and nothing deleted came back.
async fn verify(client: &reqwest::Client, server: &TestProcess, model: &mut Model, figures: &mut Figures) {
    for feed in FEEDS {
        let listed: Vec<Value> = client
            .get(server.url(&format!("/api/packages/{feed}/versions")))
            .header("X-ApiKey", ADMIN_KEY)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("versions");
        let mut seen = Vec::new();
        for info in &listed {
            let name = info["name"].as_str().expect("name").to_owned();
            let version = info["version"].as_str().expect("version").to_owned();
            let key = (feed, name.clone(), version.clone());
            let known = model.state.get(&key).copied();
            assert!(
                matches!(known, Some(Seen::Present | Seen::Either)),
                "{feed} {name} {version} is listed but was {known:?} (deleted or never acknowledged)"
            );
            let expected = &model.bytes[&(name.clone(), version.clone())];
            let response = client
                .get(server.url(&format!("/upack/{feed}/download/{name}/{version}")))
                .header("X-ApiKey", ADMIN_KEY)
                .send()
                .await
                .expect("download");
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{feed} {name} {version} downloads"
            );
            let body = response.bytes().await.expect("body");
            assert_eq!(body.len(), expected.len(), "{feed} {name} {version}: whole");
            assert!(
                body.as_ref() == expected.as_slice(),
                "{feed} {name} {version}: the bytes uploaded"
            );
            assert_eq!(
                info["sha256"].as_str(),
                Some(sha256_hex(&body).as_str()),
                "{feed} {name} {version}"
            );
            assert_eq!(info["size"].as_u64(), Some(body.len() as u64));
            figures.versions_verified += 1;
            seen.push(key);
        }
        for (key, state) in &mut model.state {
            if key.0 != feed {
                continue;
            }
            let listed = seen.contains(key);
            match *state {
                Seen::Present => assert!(listed, "acknowledged {key:?} was lost"),
                Seen::Absent => assert!(!listed, "deleted {key:?} came back"),
                Seen::Either => {}
            }
            *state = if listed { Seen::Present } else { Seen::Absent };
        }
    }
}

async fn setup_feeds(client: &reqwest::Client, server: &TestProcess) {
    for feed in FEEDS {
        let created = client
            .post(server.url("/api/management/feeds/create"))
            .header("X-ApiKey", ADMIN_KEY)
            .json(&serde_json::json!({"name": feed, "feedType": "universal"}))
            .send()
            .await
            .expect("request");
        assert_eq!(created.status(), StatusCode::CREATED);
    }
}

async fn kill_loop(backend: Backend, seed: u64, max_iterations: u64, budget: Duration) -> Figures {
    let deployment = Deployment::new(backend).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_mins(1))
        .build()
        .expect("client");
    let mut rng = Rng(seed ^ (backend as u64).wrapping_mul(0xA076_1D64_78BD_642F));
    let mut model = Model {
        state: HashMap::new(),
        bytes: HashMap::new(),
    };
    let mut owned = Vec::new();
    for w in 0..WORKERS {
        let mut mine = Vec::new();
        for p in 0..2 {
            for v in 0..3 {
                let (name, version) = (format!("w{w}p{p}"), format!("1.0.{v}"));
                // 16 KiB to 512 KiB: some uploads are still streaming when the kill comes.
                let len = 16 * 1024 + rng.below(496 * 1024) as usize;
                let bytes = upack("", &name, &version, &noise(rng.next(), len));
                model
                    .bytes
                    .insert((name.clone(), version.clone()), Arc::new(bytes));
                mine.push((name, version));
            }
        }
        owned.push(mine);
    }
    let model = Arc::new(AsyncMutex::new(model));
    let mut figures = Figures::default();
    let started = Instant::now();
    let mut server = deployment.start().await;
    setup_feeds(&client, &server).await;
    let (meta, blobs) = deployment.stores().await;
    while (figures.iterations as u64) < max_iterations && started.elapsed() < budget {
        figures.iterations += 1;
        let acknowledged = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = owned
            .iter()
            .map(|versions| {
                tokio::spawn(worker(
                    client.clone(),
                    server.url(""),
                    Arc::clone(&model),
                    versions.clone(),
                    Rng(rng.next()),
                    Arc::clone(&acknowledged),
                    Arc::clone(&failures),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100 + rng.below(1400))).await;
        server.kill().await;
        figures.kills += 1;
        for task in tasks {
            tokio::time::timeout(Duration::from_mins(1), task)
                .await
                .expect("workers stop once the server is gone")
                .expect("worker");
        }
        let failures = failures.lock().expect("failures").clone();
        assert!(failures.is_empty(), "refused requests: {failures:#?}");
        figures.acknowledged += acknowledged.load(Ordering::Relaxed);

        server = deployment.start().await;
        {
            let mut model = model.lock().await;
            figures.in_flight += model.state.values().filter(|s| **s == Seen::Either).count();
            verify(&client, &server, &mut model, &mut figures).await;
        }
        // Clean, though blobs of deleted versions may wait for the sweep.
        let (code, report) = deployment.fsck(false).await;
        assert_eq!(
            code,
            Some(0),
            "{backend:?} iteration {}: fsck: {report:#}",
            figures.iterations
        );
        // A sweep with no grace, then nothing collectable may be older than
        // the grace period, and nothing may be missing.
        let swept = gantry_store::sweep::sweep(&meta, &blobs, 0).await.expect("sweep");
        figures.swept += swept.collected + swept.orphans;
        let (code, report) = deployment.fsck(true).await;
        assert_eq!(
            code,
            Some(0),
            "{backend:?} iteration {}: fsck --strict after a sweep: {report:#}",
            figures.iterations
        );
    }
    server.kill().await;
    meta.close().await;
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_loop_keeps_every_acknowledged_write_and_fsck_clean() {
    let seed = std::env::var("GANTRY_KILL_LOOP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let iterations = env_number("GANTRY_KILL_LOOP_ITERATIONS", 12);
    let budget = Duration::from_secs(env_number("GANTRY_KILL_LOOP_SECONDS", 60));
    eprintln!("kill loop: seed {seed} (replay with GANTRY_KILL_LOOP_SEED={seed})");
    for backend in backends() {
        let started = Instant::now();
        let f = kill_loop(backend, seed, iterations, budget).await;
        let line = format!(
            "kill loop {backend:?}: {} iterations, {} kills, {} acknowledged operations verified, \
             {} in flight at a kill, {} version downloads compared, {} blobs swept, {:.1} s (seed {seed})",
            f.iterations,
            f.kills,
            f.acknowledged,
            f.in_flight,
            f.versions_verified,
            f.swept,
            started.elapsed().as_secs_f64()
        );
        println!("{line}");
        assert!(
            f.iterations >= 2 && f.acknowledged > 0,
            "the loop did too little: {line}"
        );
    }
}
