//! Schemathesis against a real `gantry serve`: every API operation in the
//! OpenAPI document gets generated, mostly hostile input, once with a
//! full-control key and once anonymously. The run fails on any 5xx and on
//! any answer that does not match what the document says of it.
//!
//! Schemathesis (`st`) comes from `GANTRY_TEST_SCHEMATHESIS`, which
//! `scripts/test-setup` prints; without it the test fails, never skips.
//! `GANTRY_SCHEMATHESIS_MAX_TIME` (seconds per run, default 45),
//! `GANTRY_SCHEMATHESIS_MAX_EXAMPLES` (per operation, default 25) and
//! `GANTRY_SCHEMATHESIS_SEED` (default fixed) make a longer session; see
//! docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::time::Instant;

use gantry_test_support::{upack, TestProcess, ADMIN_KEY};
use reqwest::StatusCode;
use serde_json::json;

/// The checks every answer must pass:
/// - `not_a_server_error`: no 5xx, ever;
/// - `status_code_conformance`: the status is one the operation documents;
/// - `content_type_conformance`: the body's type is the documented one
///   (JSON for results, `text/plain` for errors);
/// - `response_schema_conformance`: the body matches the documented schema;
/// - `response_headers_conformance`: documented headers are well-formed.
///
/// Left out on purpose: `negative_data_rejection` and
/// `positive_data_acceptance` (Gantry accepts ProGet's loose inputs —
/// unknown query parameters, form bodies beside JSON, `upack` for
/// `universal` — and refuses valid-looking names that do not exist, so
/// these report by design), `use_after_free` and
/// `ensure_resource_availability` (they assume REST resources at the
/// `Location` of a create; ProGet's URL layout has none), `ignored_auth`
/// (the authorization matrix test covers every route, with every kind of
/// caller), `missing_required_header`, `unsupported_method` and
/// `allow_header_conformance` (405 answers come from the router, for
/// routes shared with the package protocols, and have no `Allow` header).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance";

/// Names the generated input draws from half of the time, so that the
/// operations also reach stored feeds, packages and connectors rather than
/// answering 404 to random names.
const CONFIG: &str = r#"
[dictionaries.feeds]
values = ["tools", "approved"]
[dictionaries.groups]
values = ["acme"]
[dictionaries.packages]
values = ["hammer"]
[dictionaries.versions]
values = ["1.0.0", "2.0.0-beta"]
[dictionaries.named]
values = ["tools", "approved", "upstream", "Admin", "Administrators"]

[parameters]
"path.feed" = { dictionary = "feeds", probability = 0.5 }
"path.name" = { dictionary = "named", probability = 0.5 }
"query.feed" = { dictionary = "feeds", probability = 0.5 }
"query.group" = { dictionary = "groups", probability = 0.5 }
"query.name" = { dictionary = "packages", probability = 0.5 }
"query.packageName" = { dictionary = "packages", probability = 0.5 }
"query.version" = { dictionary = "versions", probability = 0.5 }
"body.fromFeed" = { dictionary = "feeds", probability = 0.5 }
"body.toFeed" = { dictionary = "feeds", probability = 0.5 }
"body.feed" = { dictionary = "feeds", probability = 0.5 }
"body.group" = { dictionary = "groups", probability = 0.5 }
"body.name" = { dictionary = "packages", probability = 0.5 }
"body.version" = { dictionary = "versions", probability = 0.5 }
"#;

#[tokio::test]
async fn api_answers_hostile_input_as_documented() {
    let st = schemathesis();
    let binary = Path::new(env!("CARGO_BIN_EXE_gantry"));
    let started = Instant::now();
    // Anonymous first, on its own server: the full-control run changes
    // permissions, users and feeds as it goes.
    let anonymous = run_against_fresh_server(&st, binary, None).await;
    let with_key = run_against_fresh_server(&st, binary, Some(ADMIN_KEY)).await;
    println!(
        "schemathesis: anonymous: {anonymous}; full-control key: {with_key}; {:.0} s in all",
        started.elapsed().as_secs_f64()
    );
}

/// The `st` executable from `GANTRY_TEST_SCHEMATHESIS`.
fn schemathesis() -> PathBuf {
    let Some(path) = std::env::var_os("GANTRY_TEST_SCHEMATHESIS") else {
        panic!("GANTRY_TEST_SCHEMATHESIS is not set: run scripts/test-setup and export what it prints");
    };
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "GANTRY_TEST_SCHEMATHESIS={} is not a file",
        path.display()
    );
    path
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Starts a fresh server, stores a little to find, runs schemathesis with
/// `key` (or none) and returns its counts; panics with its report when it fails.
async fn run_against_fresh_server(st: &Path, binary: &Path, key: Option<&str>) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("gantry.db").display());
    let server = TestProcess::start(binary, dir.path(), &database).await;
    seed(&server).await;

    let work = dir.path().join("schemathesis");
    std::fs::create_dir_all(&work).expect("work dir");
    let config = work.join("schemathesis.toml");
    std::fs::write(&config, CONFIG).expect("config");
    let mut command = tokio::process::Command::new(st);
    command
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .arg("run")
        .arg(server.url("/api/openapi.json"))
        .args(["--checks", CHECKS])
        .args([
            "--max-examples",
            &env_or("GANTRY_SCHEMATHESIS_MAX_EXAMPLES", "25"),
        ])
        .args(["--max-time", &env_or("GANTRY_SCHEMATHESIS_MAX_TIME", "45")])
        .args(["--seed", &env_or("GANTRY_SCHEMATHESIS_SEED", "20261203")])
        // One worker: Python 3.11.7's `ast` is not thread-safe, and hypothesis parses
        // lambdas with it (a "recursion depth mismatch" runtime error with two).
        .args(["--workers", "1", "--request-timeout", "20"])
        // Nothing may pass a test by waiting out a shrink: report the first example.
        .arg("--no-shrink")
        // Hypothesis keeps its example database in the working directory.
        .current_dir(&work)
        .kill_on_drop(true);
    if let Some(key) = key {
        // The bootstrap key could delete itself, leaving the rest of the run
        // to 403s; the anonymous run covers this operation's refusals.
        command
            .args(["--header", &format!("X-ApiKey: {key}")])
            .args(["--exclude-path", "/api/api-keys/delete"]);
    }
    let output = command.output().await.expect("schemathesis starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let who = if key.is_some() {
        "full-control key"
    } else {
        "anonymous"
    };
    assert!(
        output.status.success(),
        "schemathesis ({who}) failed: {}\n{stdout}\n{stderr}",
        output.status
    );
    // The server must still be up and sound after all of it.
    let health = reqwest::get(server.url("/health")).await.expect("health");
    assert_eq!(health.status(), StatusCode::OK, "health after the {who} run");
    summary(&stdout)
}

/// Two feeds, a package in one of them and a connector, named as the
/// dictionaries of [`CONFIG`] name them.
async fn seed(server: &TestProcess) {
    let client = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(server.url(path))
            .header("X-ApiKey", ADMIN_KEY)
            .json(&body)
            .send()
    };
    for (feed, usage) in [("tools", "mixed"), ("approved", "validated")] {
        let created = post(
            "/api/management/feeds/create",
            json!({"name": feed, "feedType": "universal", "usage": usage}),
        )
        .await
        .expect("create feed");
        assert_eq!(created.status(), StatusCode::CREATED, "create {feed}");
    }
    for version in ["1.0.0", "2.0.0-beta"] {
        let pushed = client
            .post(server.url("/upack/tools/upload"))
            .header("X-ApiKey", ADMIN_KEY)
            .body(upack("acme", "hammer", version, b"hello"))
            .send()
            .await
            .expect("upload");
        assert!(pushed.status().is_success(), "upload: {}", pushed.status());
    }
    let connector = post(
        "/api/management/connectors/create",
        // A closed port on loopback: connector calls fail at once.
        json!({"name": "upstream", "url": "http://127.0.0.1:9/", "feedType": "universal"}),
    )
    .await
    .expect("create connector");
    assert_eq!(connector.status(), StatusCode::CREATED, "create connector");
}

/// "N operations, M cases" from schemathesis's summary.
fn summary(stdout: &str) -> String {
    let after = |label: &str| {
        stdout
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(label))
            .find_map(|l| {
                let l = l.trim();
                l.strip_prefix("Tested:")
                    .or_else(|| l.split_once(" generated").map(|(n, _)| n))
                    .map(|n| n.trim().to_owned())
            })
            .unwrap_or_else(|| "?".to_owned())
    };
    format!(
        "{} operations tested, {} cases generated",
        after("API Operations:"),
        after("Test cases:")
    )
}
