//! `gantry packages ...` and `gantry promotions list` against a test server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gantry_store::sql::Backend;
use gantry_test_support::{noise, upack, TestApp};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::cli_support::GantryCli;

/// Writes a `.upack` into `dir`, returning its path and bytes.
fn write_upack(dir: &Path, group: &str, name: &str, version: &str, content: &[u8]) -> (PathBuf, Vec<u8>) {
    let bytes = upack(group, name, version, content);
    let path = dir.join(format!("{name}-{version}.upack"));
    std::fs::write(&path, &bytes).expect("write package");
    (path, bytes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn arg(name: &str, value: impl AsRef<Path>) -> String {
    format!("--{name}={}", value.as_ref().display())
}

/// Files in `dir`, by name.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn packages_upload_list_download_status_promote_delete() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("dev", "universal").await;
    app.create_feed("prod", "universal").await;
    let cli = GantryCli::for_app(&app).await;
    let work = tempfile::tempdir().expect("temp dir");
    let packages = work.path().join("packages");
    std::fs::create_dir(&packages).expect("dir");
    let (_, stable) = write_upack(&packages, "acme", "hammer", "1.0.0", &noise(1, 100_000));
    let (_, beta) = write_upack(&packages, "acme", "hammer", "1.1.0-beta", &noise(2, 1000));

    // Upload: a pattern uploads every match, in order.
    let pattern = packages.join("hammer-*.upack");
    let uploaded = cli
        .run(&[
            "packages",
            "upload",
            "--feed=dev",
            &arg("input-file", &pattern),
            "--json",
        ])
        .await;
    let uploaded = uploaded.json();
    let versions: Vec<&str> = uploaded
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v["version"].as_str().expect("version"))
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0-beta"], "{uploaded}");
    assert!(!uploaded.to_string().contains('%'));
    // One file: its answer alone, and a line for people.
    let (gadget, _) = write_upack(work.path(), "", "gadget", "2.0.0", b"gadget");
    let one = cli
        .run(&[
            "packages",
            "upload",
            "--feed=dev",
            &arg("file", &gadget),
            "--json",
        ])
        .await
        .json();
    assert_eq!(one["name"], "gadget");
    let (gadget2, _) = write_upack(work.path(), "", "gadget", "2.0.1", b"gadget 2");
    let said = cli
        .run(&["packages", "upload", "--feed=dev", &arg("input-file", &gadget2)])
        .await;
    assert!(
        said.ok().contains("Uploaded") && said.stdout.contains("gadget 2.0.1"),
        "{said:?}"
    );
    assert!(said.stderr.is_empty(), "no progress bar off a terminal: {said:?}");

    // Versions, with the server's JSON and the file's SHA-256.
    let listed = cli
        .run(&[
            "packages",
            "versions",
            "--feed=dev",
            "--package=acme/hammer",
            "--json",
        ])
        .await
        .json();
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let v100 = listed.iter().find(|v| v["version"] == "1.0.0").expect("1.0.0");
    assert_eq!(v100["group"], "acme");
    assert_eq!(v100["sha256"], sha256_hex(&stable));
    assert_eq!(v100["listed"], true);
    let one_version = cli
        .run(&[
            "packages",
            "versions",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=1.1.0-beta",
            "--json",
        ])
        .await
        .json();
    assert_eq!(one_version[0]["sha256"], sha256_hex(&beta));
    let table = cli.run(&["packages", "versions", "--feed=dev"]).await;
    let lines: Vec<&str> = table.ok().lines().collect();
    assert!(
        lines[0].starts_with("PACKAGE") && lines[0].contains("DOWNLOADS"),
        "{table:?}"
    );
    assert_eq!(lines.len(), 5, "{table:?}");
    assert!(table.stdout.contains("acme/hammer"), "{table:?}");

    // List: the latest of each package; --stable skips pre-releases.
    let latest = cli
        .run(&["packages", "list", "--feed=dev", "--json"])
        .await
        .json();
    let mut latest: Vec<String> = latest
        .as_array()
        .expect("array")
        .iter()
        .map(|v| {
            format!(
                "{} {}",
                v["name"].as_str().unwrap_or(""),
                v["version"].as_str().unwrap_or("")
            )
        })
        .collect();
    latest.sort();
    assert_eq!(latest, ["gadget 2.0.1", "hammer 1.1.0-beta"]);
    let stable_only = cli
        .run(&[
            "packages",
            "list",
            "--feed=dev",
            "--package=acme/hammer",
            "--stable",
            "--json",
        ])
        .await
        .json();
    assert_eq!(stable_only[0]["version"], "1.0.0");

    // Download: byte-identical, verified, no temporary file left.
    let out_dir = work.path().join("out");
    std::fs::create_dir(&out_dir).expect("dir");
    let target = out_dir.join("hammer.upack");
    let downloaded = cli
        .run(&[
            "packages",
            "download",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=1.0.0",
            &arg("output-file", &target),
            "--json",
        ])
        .await;
    assert!(
        downloaded.stderr.is_empty(),
        "no progress bar off a terminal: {downloaded:?}"
    );
    let downloaded = downloaded.json();
    assert_eq!(downloaded["sha256"], sha256_hex(&stable));
    assert_eq!(downloaded["verified"], true);
    assert_eq!(downloaded["size"], stable.len());
    assert_eq!(std::fs::read(&target).expect("downloaded"), stable);
    assert_eq!(names_in(&out_dir), ["hammer.upack"]);
    // `latest`, to the server's file name in the current folder.
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args([
            "packages",
            "download",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=latest",
        ])
        .current_dir(&out_dir)
        .env("XDG_CONFIG_HOME", cli.config_home())
        .env_remove("GANTRY_SOURCE")
        .env_remove("GANTRY_API_KEY")
        .output()
        .await
        .expect("gantry runs");
    assert!(run.status.success(), "{run:?}");
    let names = names_in(&out_dir);
    assert_eq!(names.len(), 2, "{names:?}");
    let saved = names
        .iter()
        .find(|n| n.as_str() != "hammer.upack")
        .expect("saved");
    assert_eq!(std::fs::read(out_dir.join(saved)).expect("saved"), beta);
    // --stdout: the bytes, exactly.
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args([
            "packages",
            "download",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=1.0.0",
            "--stdout",
        ])
        .env("XDG_CONFIG_HOME", cli.config_home())
        .env_remove("GANTRY_SOURCE")
        .env_remove("GANTRY_API_KEY")
        .output()
        .await
        .expect("gantry runs");
    assert!(run.status.success(), "{run:?}");
    assert_eq!(run.stdout, stable);
    let both = cli
        .run(&[
            "packages",
            "download",
            "--feed=dev",
            "--package=hammer",
            "--version=1.0.0",
            "--stdout",
            &arg("output-file", &target),
        ])
        .await;
    assert_eq!(both.code, 2, "{both:?}");

    // Status: unlisted, listed again, deprecated with a reason, cleared.
    let base = ["--feed=dev", "--package=acme/hammer", "--version=1.0.0", "--json"];
    let status = |sub: &'static str, extra: &'static [&'static str]| {
        let mut args = vec!["packages", "status", sub];
        args.extend(base);
        args.extend(extra);
        args
    };
    let unlisted = cli.run(&status("unlisted", &[])).await.json();
    assert_eq!(unlisted["listed"], false);
    let relisted = cli.run(&status("unlisted", &["--state=listed"])).await.json();
    assert_eq!(relisted["listed"], true);
    let deprecated = cli.run(&status("deprecated", &["--reason=use 1.1"])).await.json();
    assert_eq!(deprecated["deprecated"], true);
    assert_eq!(deprecated["deprecationReason"], "use 1.1");
    let cleared = cli.run(&status("deprecated", &["--state=clear"])).await.json();
    assert_eq!(cleared["deprecated"], false);
    let allowed = cli.run(&status("blocked", &["--state=allowed"])).await.json();
    assert_eq!(allowed["allowDownload"], true);
    // Gantry never blocks downloads: the server's refusal, exit code 6.
    let blocked = cli.run(&status("blocked", &[])).await;
    assert_eq!(blocked.code, 6, "{blocked:?}");
    assert!(blocked.stderr.contains("allowDownload"), "{blocked:?}");
    let said = cli
        .run(&[
            "packages",
            "status",
            "unlisted",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=1.0.0",
        ])
        .await;
    assert!(said.ok().contains("unlisted"), "{said:?}");
    cli.run(&status("unlisted", &["--state=listed"])).await.ok();

    // Promote, then see it in the promotion list and the history.
    let promoted = cli
        .run(&[
            "packages",
            "promote",
            "--feed=dev",
            "--to-feed=prod",
            "--package=acme/hammer",
            "--version=1.0.0",
            "--comment=reviewed",
            "--json",
        ])
        .await
        .json();
    assert_eq!(promoted["copied"], true, "{promoted}");
    assert_eq!(promoted["packageName"], "hammer");
    assert_eq!(promoted["groupName"], "acme");
    assert_eq!(promoted["promotions"][0]["fromFeed"], "dev");
    assert_eq!(promoted["promotions"][0]["toFeed"], "prod");
    assert_eq!(promoted["promotions"][0]["comments"], "reviewed");
    let said = cli
        .run(&[
            "packages",
            "promote",
            "--feed=dev",
            "--to-feed=prod",
            "--package=gadget",
            "--version=2.0.0",
        ])
        .await;
    assert!(
        said.ok().contains("Promoted gadget 2.0.0 from 'dev' to 'prod'"),
        "{said:?}"
    );

    let all = cli.run(&["promotions", "list", "--json"]).await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let hammer = cli
        .run(&[
            "promotions",
            "list",
            "--package=acme/hammer",
            "--version=1.0.0",
            "--to-feed=prod",
            "--json",
        ])
        .await
        .json();
    assert_eq!(hammer.as_array().map(Vec::len), Some(1), "{hammer}");
    assert_eq!(hammer[0]["packageName"], "hammer");
    assert_eq!(hammer[0]["groupName"], "acme");
    assert_eq!(hammer[0]["version"], "1.0.0");
    assert_eq!(hammer[0]["packageType"], "upack");
    assert_eq!(hammer[0]["promotions"][0]["comments"], "reviewed");
    let by_group = cli
        .run(&[
            "promotions",
            "list",
            "--package=hammer",
            "--group=acme",
            "--from-feed=dev",
            "--json",
        ])
        .await
        .json();
    assert_eq!(by_group, hammer);
    for empty in [
        vec!["promotions", "list", "--from-feed=prod", "--json"],
        vec!["promotions", "list", "--until=2000-01-01T00:00:00Z", "--json"],
        vec!["promotions", "list", "--package=nothing", "--json"],
    ] {
        assert_eq!(
            cli.run(&empty).await.json(),
            Value::Array(Vec::new()),
            "{empty:?}"
        );
    }
    let since = cli
        .run(&["promotions", "list", "--since=2000-01-01T00:00:00Z", "--json"])
        .await
        .json();
    assert_eq!(since, all);
    // Pages: --limit, then the printed cursor.
    let first = cli.run(&["promotions", "list", "--limit=1", "--json"]).await;
    assert_eq!(first.json().as_array().map(Vec::len), Some(1));
    let cursor = first
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("next page: --cursor="))
        .unwrap_or_else(|| panic!("a cursor: {first:?}"))
        .to_owned();
    let second = cli
        .run(&[
            "promotions",
            "list",
            "--limit=1",
            &format!("--cursor={cursor}"),
            "--json",
        ])
        .await
        .json();
    assert_eq!(second.as_array().map(Vec::len), Some(1));
    assert_ne!(second, first.json());
    let table = cli.run(&["promotions", "list"]).await;
    assert!(table.ok().starts_with("PACKAGE"), "{table:?}");
    assert!(
        table.stdout.contains("acme/hammer") && table.stdout.contains("reviewed"),
        "{table:?}"
    );

    let history = cli
        .run(&[
            "packages",
            "history",
            "--feed=prod",
            "--package=acme/hammer",
            "--version=1.0.0",
            "--json",
        ])
        .await
        .json();
    let actions: Vec<&str> = history
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"added") && actions.contains(&"promoted"),
        "{history}"
    );
    let table = cli
        .run(&[
            "packages",
            "history",
            "--feed=prod",
            "--package=acme/hammer",
            "--version=1.0.0",
        ])
        .await;
    assert!(
        table.ok().contains("promoted") && table.stdout.contains("toFeed=prod"),
        "{table:?}"
    );

    // Delete: gone, and a second delete is "not found".
    let deleted = cli
        .run(&[
            "packages",
            "delete",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=1.0.0",
            "--json",
        ])
        .await
        .json();
    assert_eq!(deleted["deleted"], true);
    let left = cli
        .run(&[
            "packages",
            "versions",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=1.0.0",
            "--json",
        ])
        .await
        .json();
    assert_eq!(left, Value::Array(Vec::new()));
    let again = cli
        .run(&[
            "packages",
            "delete",
            "--feed=dev",
            "--package=acme/hammer",
            "--version=1.0.0",
        ])
        .await;
    assert_eq!(again.code, 4, "{again:?}");
    // Still in prod.
    let prod = cli
        .run(&["packages", "versions", "--feed=prod", "--json"])
        .await
        .json();
    assert_eq!(prod.as_array().map(Vec::len), Some(2), "{prod}");
}

#[tokio::test]
async fn failures_have_their_exit_codes() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("dev", "universal").await;
    app.create_feed("prod", "universal").await;
    let cli = GantryCli::for_app(&app).await;
    let work = tempfile::tempdir().expect("temp dir");
    let (first, _) = write_upack(work.path(), "", "tool", "1.0.0", b"one");
    cli.run(&["packages", "upload", "--feed=dev", &arg("input-file", &first)])
        .await
        .ok();

    // Usage (2): no --feed, and the source has no default feed.
    let no_feed = cli.run(&["packages", "list"]).await;
    assert_eq!(no_feed.code, 2, "{no_feed:?}");
    assert!(no_feed.stderr.contains("--feed"), "{no_feed:?}");
    assert_eq!(cli.run(&["packages", "upload", "--feed=dev"]).await.code, 2);
    let missing_version = cli
        .run(&["packages", "download", "--feed=dev", "--package=tool"])
        .await;
    assert_eq!(missing_version.code, 2, "{missing_version:?}");
    // ... but a source's default feed is used when --feed is omitted.
    cli.run(&[
        "sources",
        "add",
        "--name=Default",
        &format!("--url={}", app.url("")),
        &format!("--api-key={}", gantry_test_support::ADMIN_KEY),
        "--feed=dev",
    ])
    .await
    .ok();
    let defaulted = cli.run(&["packages", "list", "--json"]).await.json();
    assert_eq!(defaulted[0]["name"], "tool");

    // Auth (3): a wrong key.
    let refused = cli
        .run(&["packages", "list", "--feed=dev", "--api-key=wrong"])
        .await;
    assert_eq!(refused.code, 3, "{refused:?}");

    // Not found (4): a feed, a version.
    let no_feed = cli.run(&["packages", "list", "--feed=nope"]).await;
    assert_eq!(no_feed.code, 4, "{no_feed:?}");
    let target = work.path().join("x.upack");
    let no_version = cli
        .run(&[
            "packages",
            "download",
            "--package=tool",
            "--version=9.9.9",
            &arg("output-file", &target),
        ])
        .await;
    assert_eq!(no_version.code, 4, "{no_version:?}");
    assert!(!target.exists());
    // Io (1): no such file to upload.
    let missing = cli
        .run(&[
            "packages",
            "upload",
            &arg("input-file", work.path().join("none.upack")),
        ])
        .await;
    assert_eq!(missing.code, 1, "{missing:?}");

    // Conflict (5): prod holds 1.0.0 with other content.
    let other = work.path().join("other");
    std::fs::create_dir(&other).expect("dir");
    let (second, _) = write_upack(&other, "", "tool", "1.0.0", b"two");
    cli.run(&["packages", "upload", "--feed=prod", &arg("input-file", &second)])
        .await
        .ok();
    let clash = cli
        .run(&[
            "packages",
            "promote",
            "--to-feed=prod",
            "--package=tool",
            "--version=1.0.0",
        ])
        .await;
    assert_eq!(clash.code, 5, "{clash:?}");
    // Conflict (5): an existing version, with a key that may not overwrite.
    let add_only = app
        .create_key(serde_json::json!({"type": "feed", "feed": "dev", "packagePermissions": ["view", "add"]}))
        .await;
    let again = cli
        .run(&[
            "packages",
            "upload",
            "--feed=dev",
            &arg("input-file", &first),
            &format!("--api-key={add_only}"),
        ])
        .await;
    assert_eq!(again.code, 5, "{again:?}");
    // A qualifier is refused (Gantry's feed types have none).
    let qualified = cli
        .run(&[
            "packages",
            "delete",
            "--package=tool",
            "--version=1.0.0",
            "--qualifier=arch=x",
        ])
        .await;
    assert_eq!(qualified.code, 2, "{qualified:?}");
}

#[tokio::test]
async fn a_corrupt_download_is_not_kept() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("dev", "universal").await;
    let cli = GantryCli::for_app(&app).await;
    let work = tempfile::tempdir().expect("temp dir");
    let (file, bytes) = write_upack(work.path(), "", "tool", "1.0.0", &noise(3, 50_000));
    cli.run(&["packages", "upload", "--feed=dev", &arg("input-file", &file)])
        .await
        .ok();
    // Damage the stored blob (same length, other bytes).
    let blobs = app.blob_files();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    let mut damaged = bytes.clone();
    if let Some(byte) = damaged.get_mut(1000) {
        *byte ^= 0xFF;
    }
    std::fs::write(&blobs[0], &damaged).expect("damage the blob");

    let out = work.path().join("out");
    std::fs::create_dir(&out).expect("dir");
    let target = out.join("tool.upack");
    let run = cli
        .run(&[
            "packages",
            "download",
            "--feed=dev",
            "--package=tool",
            "--version=1.0.0",
            &arg("output-file", &target),
        ])
        .await;
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("SHA-256"), "{run:?}");
    assert!(names_in(&out).is_empty(), "nothing kept: {:?}", names_in(&out));
}

/// Runs `command` in a detached tmux session on a private socket, returning
/// the pane's text once `marker` shows (or after `timeout`).
fn tmux_pane(socket: &Path, command: &str, marker: &str, timeout: Duration) -> String {
    let status = std::process::Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(["new-session", "-d", "-x", "200", "-y", "50", command])
        .status()
        .expect("tmux runs");
    assert!(status.success(), "tmux new-session");
    let deadline = std::time::Instant::now() + timeout;
    let mut pane = String::new();
    while std::time::Instant::now() < deadline {
        let output = std::process::Command::new("tmux")
            .arg("-S")
            .arg(socket)
            .args(["capture-pane", "-p", "-J"])
            .output()
            .expect("tmux capture-pane");
        pane = String::from_utf8_lossy(&output.stdout).into_owned();
        if pane.contains(marker) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::process::Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .arg("kill-server")
        .status();
    pane
}

/// Single-quotes a word for the shell.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[tokio::test]
async fn a_terminal_sees_progress_bars() {
    if std::process::Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed (scripts/test-setup installs it)");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("dev", "universal").await;
    let cli = GantryCli::for_app(&app).await;
    let work = tempfile::tempdir().expect("temp dir");
    let (file, bytes) = write_upack(work.path(), "", "big", "1.0.0", &noise(4, 60 * 1024 * 1024));

    // Upload then download 60 MiB on a terminal.
    let target = work.path().join("downloaded.upack");
    let config = format!(
        "XDG_CONFIG_HOME={}",
        quoted(&cli.config_home().display().to_string())
    );
    let gantry = quoted(env!("CARGO_BIN_EXE_gantry"));
    let command = [
        config.clone(),
        gantry.clone(),
        "packages upload --feed=dev".to_owned(),
        quoted(&arg("input-file", &file)),
        "&&".to_owned(),
        config,
        gantry,
        "packages download --feed=dev --package=big --version=1.0.0".to_owned(),
        quoted(&arg("output-file", &target)),
        "; echo EXIT=$?; sleep 60".to_owned(),
    ]
    .join(" ");
    let socket = work.path().join("tmux.sock");
    // The server runs on this test's runtime: wait for tmux off it.
    let pane =
        tokio::task::spawn_blocking(move || tmux_pane(&socket, &command, "EXIT=", Duration::from_mins(1)))
            .await
            .expect("tmux task");
    assert!(pane.contains("EXIT=0"), "{pane}");
    // One finished bar for the upload, one for the download.
    let bars: Vec<&str> = pane
        .lines()
        .filter(|l| l.contains("100%") && l.contains("MiB"))
        .collect();
    assert_eq!(bars.len(), 2, "progress bars on the terminal: {pane}");
    assert!(
        bars[0].contains("big-1.0.0.upack") && bars[1].contains("big 1.0.0"),
        "{pane}"
    );
    assert_eq!(std::fs::read(&target).expect("downloaded"), bytes);
}

#[tokio::test]
async fn nupkg_files_are_pushed_to_nuget_feeds() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("nuget-dev", "nuget").await;
    let cli = GantryCli::for_app(&app).await;
    let work = tempfile::tempdir().expect("temp dir");
    let bytes = gantry_test_support::nupkg("Acme.Tools", "1.2.3", &[]);
    let file = work.path().join("Acme.Tools.1.2.3.nupkg");
    std::fs::write(&file, &bytes).expect("write");
    cli.run(&[
        "packages",
        "upload",
        "--feed=nuget-dev",
        &arg("input-file", &file),
    ])
    .await
    .ok();
    let listed = cli
        .run(&[
            "packages",
            "versions",
            "--feed=nuget-dev",
            "--package=Acme.Tools",
            "--json",
        ])
        .await
        .json();
    assert_eq!(listed[0]["version"], "1.2.3", "{listed}");
    assert_eq!(listed[0]["sha256"], sha256_hex(&bytes));
    let target = work.path().join("out.nupkg");
    cli.run(&[
        "packages",
        "download",
        "--feed=nuget-dev",
        "--package=Acme.Tools",
        "--version=1.2.3",
        &arg("output-file", &target),
    ])
    .await
    .ok();
    assert_eq!(std::fs::read(&target).expect("downloaded"), bytes);
}

#[tokio::test]
async fn a_package_is_uploaded_from_stdin() {
    use tokio::io::AsyncWriteExt as _;
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    app.create_feed("dev", "universal").await;
    let cli = GantryCli::for_app(&app).await;
    let bytes = upack("acme", "piped", "3.0.0", &noise(5, 200_000));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["packages", "upload", "--feed=dev", "--stdin", "--json"])
        .env("XDG_CONFIG_HOME", cli.config_home())
        .env_remove("GANTRY_SOURCE")
        .env_remove("GANTRY_API_KEY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gantry runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&bytes).await.expect("write stdin");
    drop(stdin);
    let output = child.wait_with_output().await.expect("gantry exits");
    assert!(output.status.success(), "{output:?}");
    let answer: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(answer["name"], "piped");
    let listed = cli
        .run(&[
            "packages",
            "versions",
            "--feed=dev",
            "--package=acme/piped",
            "--json",
        ])
        .await
        .json();
    assert_eq!(listed[0]["sha256"], sha256_hex(&bytes));
    // --stdin and --input-file together: usage.
    let both = cli
        .run(&[
            "packages",
            "upload",
            "--feed=dev",
            "--stdin",
            "--input-file=x.upack",
        ])
        .await;
    assert_eq!(both.code, 2, "{both:?}");
}
