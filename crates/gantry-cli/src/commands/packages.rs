//! `gantry packages ...`: pgutil's package commands (`list`, `versions`,
//! `download`, `upload`, `delete`, `status`, `promote`) and Gantry's
//! `history`, on the generic packages API (`/api/packages/{feed}/...`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use futures::TryStreamExt as _;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, ETAG};
use reqwest::{Method, Response};
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use crate::client::{path_segment, Client};
use crate::commands::split_package;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_table, report, text, Table};
use crate::{progress, GlobalArgs};

/// The feed option every package command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct FeedArg {
    /// The feed (default: the source's default feed).
    #[arg(long)]
    pub feed: Option<String>,
}

/// Names one package version in a feed, as pgutil does.
#[derive(Args, Debug, Clone)]
pub struct PackageArgs {
    #[command(flatten)]
    pub feed: FeedArg,
    /// The package: `name`, `group/name` or `@scope/name`.
    #[arg(long)]
    pub package: String,
    /// The version (`latest` and `latest-stable` are accepted where the server allows).
    #[arg(long)]
    pub version: String,
    /// A qualifier of multi-file package types (Debian, RubyGems...); Gantry's
    /// feed types have none, so giving one is an error.
    #[arg(long, hide = true)]
    pub qualifier: Option<String>,
}

/// The `packages` commands.
#[derive(Subcommand, Debug)]
pub enum PackagesCommand {
    /// Show the latest version of each package in a feed (or of one package).
    #[command(
        after_help = "Examples:\n  gantry packages list --feed=approved\n  gantry packages list --feed=approved-npm --package=@babel/runtime --stable\n  gantry packages list --feed=approved --json"
    )]
    List {
        #[command(flatten)]
        feed: FeedArg,
        /// Only this package: `name`, `group/name` or `@scope/name`.
        #[arg(long)]
        package: Option<String>,
        /// Ignore pre-release versions.
        #[arg(long)]
        stable: bool,
    },
    /// Show the versions of packages in a feed.
    #[command(
        after_help = "Examples:\n  gantry packages versions --feed=approved --package=acme/tools/hammer\n  gantry packages versions --feed=approved --package=hammer --version=1.2.3 --json"
    )]
    Versions {
        #[command(flatten)]
        feed: FeedArg,
        /// Only this package: `name`, `group/name` or `@scope/name`.
        #[arg(long)]
        package: Option<String>,
        /// Only this version.
        #[arg(long)]
        version: Option<String>,
    },
    /// Download a package file; its SHA-256 is checked before it is kept.
    #[command(
        after_help = "Examples:\n  gantry packages download --feed=approved --package=acme/hammer --version=1.2.3\n  gantry packages download --feed=approved --package=hammer --version=latest --output-file=/tmp/hammer.upack\n  gantry packages download --feed=approved --package=hammer --version=1.2.3 --stdout > hammer.upack"
    )]
    Download {
        #[command(flatten)]
        package: PackageArgs,
        /// Where to save the file (default: the name the server gives, in the current folder).
        #[arg(long, visible_alias = "output")]
        output_file: Option<PathBuf>,
        /// Write the package to stdout instead of a file.
        #[arg(long)]
        stdout: bool,
    },
    /// Upload package files (`.upack`, or `.nupkg` to a NuGet feed).
    #[command(
        after_help = "Examples:\n  gantry packages upload --feed=dev --input-file=hammer-1.2.3.upack\n  gantry packages upload --feed=dev --input-file='build/*.upack'\n  gantry packages upload --feed=nuget-dev --input-file=Acme.Tools.1.0.0.nupkg\n  cat hammer.upack | gantry packages upload --feed=dev --stdin"
    )]
    Upload {
        #[command(flatten)]
        feed: FeedArg,
        /// The file to upload; `*` and `?` in its name upload every match.
        #[arg(long, visible_alias = "file")]
        input_file: Option<PathBuf>,
        /// Read a universal package from stdin instead of a file.
        #[arg(long, conflicts_with = "input_file")]
        stdin: bool,
    },
    /// Delete a package version from a feed.
    #[command(
        after_help = "Examples:\n  gantry packages delete --feed=dev --package=acme/hammer --version=1.2.3"
    )]
    Delete {
        #[command(flatten)]
        package: PackageArgs,
    },
    /// Change a package version's status: listed, deprecated or blocked.
    #[command(
        after_help = "Examples:\n  gantry packages status unlisted --feed=approved --package=hammer --version=1.2.3\n  gantry packages status unlisted --feed=approved --package=hammer --version=1.2.3 --state=listed\n  gantry packages status deprecated --feed=approved --package=@acme/ui --version=2.0.0 --reason='use 2.0.1'\n  gantry packages status deprecated --feed=approved --package=hammer --version=1.2.3 --state=clear"
    )]
    Status {
        #[command(subcommand)]
        command: StatusCommand,
    },
    /// Promote a package version from one feed to another.
    #[command(
        after_help = "Examples:\n  gantry packages promote --feed=dev --to-feed=prod --package=acme/hammer --version=1.2.3\n  gantry packages promote --feed=unapproved-npm --to-feed=approved-npm --package=@babel/runtime --version=7.21.0 --comment='reviewed'"
    )]
    Promote {
        #[command(flatten)]
        package: PackageArgs,
        /// The feed to promote to.
        #[arg(long)]
        to_feed: String,
        /// Why (kept with the promotion).
        #[arg(long, visible_alias = "comments")]
        comment: Option<String>,
    },
    /// Show a package version's history across feeds: published, promoted, deleted.
    #[command(
        after_help = "Examples:\n  gantry packages history --feed=prod --package=acme/hammer --version=1.2.3\n  gantry packages history --feed=prod --package=hammer --version=latest --json"
    )]
    History {
        #[command(flatten)]
        package: PackageArgs,
    },
}

/// The `packages status` commands (pgutil's).
#[derive(Subcommand, Debug)]
pub enum StatusCommand {
    /// Set a version as unlisted (the default) or listed.
    #[command(
        after_help = "Examples:\n  gantry packages status unlisted --feed=approved --package=hammer --version=1.2.3\n  gantry packages status unlisted --feed=approved --package=hammer --version=1.2.3 --state=listed"
    )]
    Unlisted {
        #[command(flatten)]
        package: PackageArgs,
        /// The listed state to set.
        #[arg(long, value_enum, default_value = "unlisted")]
        state: ListedState,
    },
    /// Mark a version as deprecated (the default) or clear it.
    #[command(
        after_help = "Examples:\n  gantry packages status deprecated --feed=approved --package=@acme/ui --version=2.0.0 --reason='use 2.0.1'\n  gantry packages status deprecated --feed=approved --package=@acme/ui --version=2.0.0 --state=clear"
    )]
    Deprecated {
        #[command(flatten)]
        package: PackageArgs,
        /// The deprecation state to set.
        #[arg(long, value_enum, default_value = "deprecated")]
        state: DeprecatedState,
        /// Why it is deprecated.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Block (the default) or allow downloads of a version. Gantry always
    /// allows downloads: blocking is refused; unlist or delete instead.
    #[command(
        after_help = "Example:\n  gantry packages status blocked --feed=approved --package=hammer --version=1.2.3 --state=allowed"
    )]
    Blocked {
        #[command(flatten)]
        package: PackageArgs,
        /// The download state to set.
        #[arg(long, value_enum, default_value = "blocked")]
        state: BlockedState,
    },
}

/// `packages status unlisted --state`.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ListedState {
    Listed,
    Unlisted,
}

/// `packages status deprecated --state`.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum DeprecatedState {
    Deprecated,
    Clear,
}

/// `packages status blocked --state`.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum BlockedState {
    Blocked,
    Allowed,
    Notset,
}

/// Runs a `packages` command.
pub async fn run(global: &GlobalArgs, command: PackagesCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    match command {
        PackagesCommand::List {
            feed,
            package,
            stable,
        } => {
            let feed = client.feed(feed.feed.as_deref())?;
            let mut query = package_query(package.as_deref(), None);
            if stable {
                query.push(("stableOnly", "true".into()));
            }
            let path = format!("/api/packages/{}/latest", path_segment(&feed));
            let found: Vec<Value> = client
                .json(client.request(Method::GET, &path).query(&query))
                .await?;
            print_versions(global, &found);
            Ok(())
        }
        PackagesCommand::Versions {
            feed,
            package,
            version,
        } => {
            let feed = client.feed(feed.feed.as_deref())?;
            let query = package_query(package.as_deref(), version.as_deref());
            let path = format!("/api/packages/{}/versions", path_segment(&feed));
            let found: Vec<Value> = client
                .json(client.request(Method::GET, &path).query(&query))
                .await?;
            print_versions(global, &found);
            Ok(())
        }
        PackagesCommand::Download {
            package,
            output_file,
            stdout,
        } => download(global, &client, &package, output_file, stdout).await,
        PackagesCommand::Upload {
            feed,
            input_file,
            stdin,
        } => upload(global, &client, feed.feed.as_deref(), input_file, stdin).await,
        PackagesCommand::Delete { package } => {
            let (feed, query) = one_version(&client, &package)?;
            let path = format!("/api/packages/{}/delete", path_segment(&feed));
            client
                .send(client.request(Method::POST, &path).query(&query))
                .await?;
            if global.json {
                let (group, name) = split_package(&package.package);
                print_json(&json!({
                    "feed": feed,
                    "group": group,
                    "name": name,
                    "version": package.version,
                    "deleted": true,
                }));
            } else {
                println!(
                    "Deleted {} {} from feed '{feed}'.",
                    package.package, package.version
                );
            }
            Ok(())
        }
        PackagesCommand::Status { command } => status(global, &client, command).await,
        PackagesCommand::Promote {
            package,
            to_feed,
            comment,
        } => promote(global, &client, &package, &to_feed, comment).await,
        PackagesCommand::History { package } => {
            let (feed, query) = one_version(&client, &package)?;
            let path = format!("/api/packages/{}/history", path_segment(&feed));
            let entries: Vec<Value> = client
                .json(client.request(Method::GET, &path).query(&query))
                .await?;
            if global.json {
                print_json(&Value::Array(entries));
                return Ok(());
            }
            let mut table = Table::new(&["ID", "DATE", "ACTION", "FEED", "USER", "DETAILS"]);
            for entry in &entries {
                table.row(vec![
                    text(entry, "id"),
                    text(entry, "date"),
                    text(entry, "action"),
                    text(entry, "feed"),
                    text(entry, "user"),
                    details(entry.get("details")),
                ]);
            }
            print_table(&table);
            Ok(())
        }
    }
}

/// `name`/`group`/`version` query pairs for an optional `--package`.
fn package_query(package: Option<&str>, version: Option<&str>) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(package) = package {
        let (group, name) = split_package(package);
        query.push(("name", name));
        if let Some(group) = group {
            query.push(("group", group));
        }
    }
    if let Some(version) = version {
        query.push(("version", version.to_owned()));
    }
    query
}

/// The feed and query of a command naming one version.
fn one_version(client: &Client, package: &PackageArgs) -> CliResult<(String, Vec<(&'static str, String)>)> {
    if package.qualifier.as_deref().is_some_and(|q| !q.is_empty()) {
        return Err(CliError::Usage(
            "--qualifier: Gantry's feed types have no qualifiers".into(),
        ));
    }
    let feed = client.feed(package.feed.feed.as_deref())?;
    Ok((
        feed,
        package_query(Some(&package.package), Some(&package.version)),
    ))
}

/// `group/name` of a version (just `name` without a group).
fn full_name(info: &Value) -> String {
    match info.get("group").and_then(Value::as_str) {
        Some(group) if !group.is_empty() => format!("{group}/{}", text(info, "name")),
        _ => text(info, "name"),
    }
}

fn yes_no(info: &Value, key: &str) -> String {
    match info.get(key).and_then(Value::as_bool) {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

/// Prints `PackageVersionInfo`s as a table, or as the server's JSON.
fn print_versions(global: &GlobalArgs, found: &[Value]) {
    if global.json {
        print_json(&Value::Array(found.to_vec()));
        return;
    }
    let mut table = Table::new(&[
        "PACKAGE",
        "VERSION",
        "PUBLISHED",
        "SIZE",
        "DOWNLOADS",
        "LISTED",
        "DEPRECATED",
    ]);
    for info in found {
        table.row(vec![
            full_name(info),
            text(info, "version"),
            text(info, "published"),
            text(info, "size"),
            text(info, "downloads"),
            yes_no(info, "listed"),
            yes_no(info, "deprecated"),
        ]);
    }
    print_table(&table);
}

/// A history entry's details as `key=value` pairs.
fn details(value: Option<&Value>) -> String {
    match value {
        Some(Value::Object(fields)) => fields
            .iter()
            .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

// --- download ----------------------------------------------------------------

/// A file being written, removed unless it is kept.
struct Partial {
    path: PathBuf,
    keep: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Downloads one version to a file (through a temporary file next to it,
/// renamed once the SHA-256 matches) or to stdout.
async fn download(
    global: &GlobalArgs,
    client: &Client,
    package: &PackageArgs,
    output_file: Option<PathBuf>,
    stdout: bool,
) -> CliResult<()> {
    if stdout && output_file.is_some() {
        return Err(CliError::Usage("give --stdout or --output-file, not both".into()));
    }
    let (feed, query) = one_version(client, package)?;
    let path = format!("/api/packages/{}/download", path_segment(&feed));
    let response = client
        .send(client.request(Method::GET, &path).query(&query))
        .await?;
    let expected = match etag_sha256(&response) {
        Some(sha) => Some(sha),
        None => listed_sha256(client, &feed, &query).await?,
    };
    let label = format!("{} {}", package.package, package.version);

    if stdout {
        let mut out = tokio::io::stdout();
        let (size, actual) = copy_body(client, response, &mut out, &label).await?;
        out.flush().await?;
        verify(expected.as_deref(), &actual)?;
        if !global.json {
            eprintln!("Downloaded {label} ({size} bytes, SHA-256 {actual}).");
        }
        return Ok(());
    }

    let target = match output_file {
        Some(file) => file,
        None => attachment_name(&response).map(PathBuf::from).ok_or_else(|| {
            CliError::Usage("--output-file is required: the server did not name the file".into())
        })?,
    };
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--output-file: '{}' is not a file name",
                target.display()
            ))
        })?;
    let mut partial = Partial {
        path: target.with_file_name(format!(".{file_name}.{}.partial", std::process::id())),
        keep: false,
    };
    let mut file = tokio::fs::File::create(&partial.path)
        .await
        .map_err(|e| CliError::Io(format!("{}: {e}", partial.path.display())))?;
    let (size, actual) = copy_body(client, response, &mut file, &label).await?;
    file.sync_all().await?;
    drop(file);
    verify(expected.as_deref(), &actual)?;
    tokio::fs::rename(&partial.path, &target)
        .await
        .map_err(|e| CliError::Io(format!("{}: {e}", target.display())))?;
    partial.keep = true;
    report(
        global.json,
        &json!({
            "file": target.display().to_string(),
            "size": size,
            "sha256": actual,
            "verified": expected.is_some(),
        }),
        &format!(
            "Downloaded {label} from feed '{feed}' to {} ({size} bytes, SHA-256 {}).",
            target.display(),
            if expected.is_some() {
                "verified"
            } else {
                "not reported by the server"
            }
        ),
    );
    Ok(())
}

/// The SHA-256 the download's ETag names (Gantry's ETag is the file's SHA-256).
fn etag_sha256(response: &Response) -> Option<String> {
    let tag = response.headers().get(ETAG)?.to_str().ok()?;
    let tag = tag.trim_start_matches("W/").trim_matches('"');
    (tag.len() == 64 && tag.bytes().all(|b| b.is_ascii_hexdigit())).then(|| tag.to_ascii_lowercase())
}

/// The SHA-256 the versions API reports for an exact version.
async fn listed_sha256(
    client: &Client,
    feed: &str,
    query: &[(&'static str, String)],
) -> CliResult<Option<String>> {
    let path = format!("/api/packages/{}/versions", path_segment(feed));
    let found: Vec<Value> = client
        .json(client.request(Method::GET, &path).query(query))
        .await?;
    Ok(match found.as_slice() {
        [one] => one
            .get("sha256")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase),
        _ => None,
    })
}

/// The file name of a `Content-Disposition: attachment; filename=...`, as a
/// bare name (no folders).
fn attachment_name(response: &Response) -> Option<String> {
    let value = response.headers().get(CONTENT_DISPOSITION)?.to_str().ok()?;
    let name = value.split(';').find_map(|part| {
        let (key, value) = part.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("filename")
            .then(|| value.trim().trim_matches('"').to_owned())
    })?;
    let name = name.rsplit(['/', '\\']).next()?.to_owned();
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

/// Streams a response body into `sink`, hashing it, with a progress bar.
async fn copy_body<W: AsyncWrite + Unpin>(
    client: &Client,
    mut response: Response,
    sink: &mut W,
    label: &str,
) -> CliResult<(u64, String)> {
    let bar = progress::transfer(response.content_length(), label);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = response.chunk().await.map_err(|e| client.network(&e))? {
        hasher.update(&chunk);
        sink.write_all(&chunk).await?;
        let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        size = size.saturating_add(len);
        bar.inc(len);
    }
    bar.finish();
    Ok((size, hex::encode(hasher.finalize())))
}

fn verify(expected: Option<&str>, actual: &str) -> CliResult<()> {
    match expected {
        Some(expected) if expected != actual => Err(CliError::Network(format!(
            "the download is corrupt: its SHA-256 is {actual}, the server reported {expected}; nothing was kept"
        ))),
        _ => Ok(()),
    }
}

// --- upload ------------------------------------------------------------------

/// Uploads each file `--input-file` names (or stdin).
async fn upload(
    global: &GlobalArgs,
    client: &Client,
    feed: Option<&str>,
    input_file: Option<PathBuf>,
    stdin: bool,
) -> CliResult<()> {
    let feed = client.feed(feed)?;
    if stdin {
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(tokio::io::stdin()));
        let response = client
            .send(client.request(Method::PUT, &upload_path(&feed)).body(body))
            .await?;
        let answer = answer_json(response).await;
        report_upload(global, "<stdin>", &feed, &answer);
        if global.json {
            print_json(&answer);
        }
        return Ok(());
    }
    let Some(input) = input_file else {
        return Err(CliError::Usage("--input-file (or --stdin) is required".into()));
    };
    let (files, pattern) = expand(&input)?;
    let mut answers = Vec::new();
    for file in &files {
        let answer = upload_file(client, &feed, file).await?;
        report_upload(global, &file.display().to_string(), &feed, &answer);
        answers.push(answer);
    }
    if global.json {
        if pattern {
            print_json(&Value::Array(answers));
        } else if let Some(answer) = answers.pop() {
            print_json(&answer);
        }
    }
    Ok(())
}

fn report_upload(global: &GlobalArgs, source: &str, feed: &str, answer: &Value) {
    if global.json {
        return;
    }
    let what = if answer.get("name").is_some() {
        format!(" as {} {}", full_name(answer), text(answer, "version"))
    } else {
        String::new()
    };
    println!("Uploaded {source} to feed '{feed}'{what}.");
}

/// The answer's JSON, or null when it has none.
async fn answer_json(response: Response) -> Value {
    let body = response.text().await.unwrap_or_default();
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// The files `input` names: itself, or every match of the `*`/`?` pattern
/// in its last component (sorted); the flag says it was a pattern.
fn expand(input: &Path) -> CliResult<(Vec<PathBuf>, bool)> {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        if !input.is_file() {
            return Err(CliError::Io(format!("{}: no such file", input.display())));
        }
        return Ok((vec![input.to_path_buf()], false));
    }
    let dir = match input.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let pattern: Vec<char> = name.chars().collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| CliError::Io(format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .filter(|entry| {
            let candidate: Vec<char> = entry.file_name().to_string_lossy().chars().collect();
            glob_matches(&pattern, &candidate)
        })
        .map(|entry| entry.path())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::Io(format!("{}: no files match", input.display())));
    }
    Ok((files, true))
}

/// `*` (any run) and `?` (one character) matching.
fn glob_matches(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| glob_matches(rest, &name[i..])),
        Some(('?', rest)) => name
            .split_first()
            .is_some_and(|(_, name)| glob_matches(rest, name)),
        Some((c, rest)) => name
            .split_first()
            .is_some_and(|(n, name)| n == c && glob_matches(rest, name)),
    }
}

/// Streams one file to the feed's packages API upload, which reads it as
/// the feed's package type.
async fn upload_file(client: &Client, feed: &str, file: &Path) -> CliResult<Value> {
    let opened = tokio::fs::File::open(file)
        .await
        .map_err(|e| CliError::Io(format!("{}: {e}", file.display())))?;
    let len = opened.metadata().await?.len();
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bar = progress::transfer(Some(len), &file_name);
    let counter = bar.clone();
    let stream = tokio_util::io::ReaderStream::new(opened).inspect_ok(move |chunk| {
        counter.inc(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
    });
    let request = client
        .request(Method::PUT, &upload_path(feed))
        .header(CONTENT_LENGTH, len)
        .body(reqwest::Body::wrap_stream(stream));
    let result = client.send(request).await;
    bar.finish();
    Ok(answer_json(result?).await)
}

/// The packages API upload of a feed, for every package type.
fn upload_path(feed: &str) -> String {
    format!("/api/packages/{}/upload", path_segment(feed))
}

// --- status and promote ------------------------------------------------------

async fn status(global: &GlobalArgs, client: &Client, command: StatusCommand) -> CliResult<()> {
    let mut change = Map::new();
    let (package, description) = match command {
        StatusCommand::Unlisted { package, state } => {
            let listed = matches!(state, ListedState::Listed);
            change.insert("listed".into(), Value::Bool(listed));
            (package, if listed { "listed" } else { "unlisted" }.to_owned())
        }
        StatusCommand::Deprecated {
            package,
            state,
            reason,
        } => {
            let deprecated = matches!(state, DeprecatedState::Deprecated);
            change.insert("deprecated".into(), Value::Bool(deprecated));
            let reason = if deprecated { reason } else { None };
            if let Some(reason) = &reason {
                change.insert("deprecationReason".into(), Value::String(reason.clone()));
            }
            let description = match (deprecated, reason) {
                (true, Some(reason)) => format!("deprecated: {reason}"),
                (true, None) => "deprecated".into(),
                (false, _) => "not deprecated".into(),
            };
            (package, description)
        }
        StatusCommand::Blocked { package, state } => {
            let description = match state {
                BlockedState::Blocked => {
                    change.insert("allowDownload".into(), Value::Bool(false));
                    "blocked"
                }
                BlockedState::Allowed => {
                    change.insert("allowDownload".into(), Value::Bool(true));
                    "allowed"
                }
                BlockedState::Notset => "(default)",
            };
            (package, description.to_owned())
        }
    };
    let (feed, query) = one_version(client, &package)?;
    let path = format!("/api/packages/{}/status", path_segment(&feed));
    let updated: Value = client
        .json(
            client
                .request(Method::POST, &path)
                .query(&query)
                .json(&Value::Object(change)),
        )
        .await?;
    report(
        global.json,
        &updated,
        &format!(
            "Set {} {} in feed '{feed}' to {description}.",
            package.package, package.version
        ),
    );
    Ok(())
}

async fn promote(
    global: &GlobalArgs,
    client: &Client,
    package: &PackageArgs,
    to_feed: &str,
    comment: Option<String>,
) -> CliResult<()> {
    let (from_feed, _) = one_version(client, package)?;
    let (group, name) = split_package(&package.package);
    let mut body = json!({
        "fromFeed": from_feed,
        "toFeed": to_feed,
        "name": name,
        "version": package.version,
    });
    if let Some(group) = group {
        body["group"] = Value::String(group);
    }
    if let Some(comment) = comment {
        body["comments"] = Value::String(comment);
    }
    let promoted: Value = client.post_json("/api/promotions/promote", &body).await?;
    if global.json {
        print_json(&promoted);
    } else {
        let copied = promoted.get("copied").and_then(Value::as_bool) != Some(false);
        println!(
            "Promoted {} {} from '{from_feed}' to '{to_feed}'{}.",
            package.package,
            package.version,
            if copied {
                ""
            } else {
                " (it was already there: nothing copied, the promotion is recorded)"
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names() {
        let m =
            |p: &str, n: &str| glob_matches(&p.chars().collect::<Vec<_>>(), &n.chars().collect::<Vec<_>>());
        assert!(m("*.upack", "a-1.0.upack"));
        assert!(m("a-?.upack", "a-1.upack"));
        assert!(!m("*.upack", "a.nupkg"));
        assert!(m("*", ""));
    }

    #[test]
    fn details_read_as_pairs() {
        let d = json!({"fromFeed": "dev", "comments": "", "promotionId": null});
        assert_eq!(details(Some(&d)), "fromFeed=dev");
        assert_eq!(details(Some(&json!({"copied": true}))), "copied=true");
    }
}
