//! Directory listings of a Maven feed's layout, as HTML pages like Maven
//! Central's: one `<a href>` per child (folders end with `/`), with the
//! time and size of files, for people browsing and for tools that crawl a
//! repository (mirror scripts, `wget -r`, IDE indexers).
//!
//! A directory is what the feed's versions make of the layout: groupId
//! segments, then the artifactId, then its versions and
//! `maven-metadata.xml`, then a version's files, each with its four
//! checksums. A proxy feed lists what it holds (what was deployed to it or
//! fetched through it), not its upstreams' trees.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_formats::maven::{is_snapshot, ChecksumAlgorithm, Directory, Maven, MAVEN_METADATA_FILE};
use gantry_formats::PackageFormat;
use gantry_store::{FeedRecord, PackageQuery, PackageRecord, SummaryQuery};
use time::OffsetDateTime;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How many package summaries are read per store call while listing.
const PAGE: i64 = 1000;

/// One line of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    /// When it last changed, Unix milliseconds (`None` for folders).
    modified: Option<i64>,
    /// Its size in bytes (`None` for folders and generated documents).
    size: Option<u64>,
}

impl Entry {
    const FOLDER: Self = Self {
        modified: None,
        size: None,
    };
}

/// The children of a directory, by name (folders end with `/`); empty when
/// the feed has nothing there.
pub(super) async fn children(
    state: &AppState,
    feed: &FeedRecord,
    directory: &Directory,
) -> ApiResult<BTreeMap<String, Entry>> {
    let mut children = BTreeMap::new();
    let prefix = directory.segments.join(".");
    // Groups at or below this directory: their next segment, or (for the
    // group itself) its artifacts.
    let mut offset = 0;
    loop {
        let page = state
            .meta()
            .package_summaries(
                feed.id,
                &SummaryQuery {
                    search: (!prefix.is_empty()).then(|| prefix.clone()),
                    offset,
                    limit: PAGE,
                },
            )
            .await?;
        for package in &page.items {
            if let Some(child) = child_of(&prefix, &package.group, &package.name) {
                children.insert(format!("{child}/"), Entry::FOLDER);
            }
        }
        offset += PAGE;
        if page.items.len() < usize::try_from(PAGE).unwrap_or(usize::MAX) || offset >= page.total {
            break;
        }
    }
    if let Some((group_id, artifact_id)) = directory.as_artifact() {
        let versions = versions(state, feed, &group_id, artifact_id, None).await?;
        for version in &versions {
            children.insert(format!("{}/", version.version), Entry::FOLDER);
        }
        if !versions.is_empty() {
            add_document(&mut children, MAVEN_METADATA_FILE);
        }
    }
    if let Some((group_id, artifact_id, version)) = directory.as_version() {
        for record in versions(state, feed, &group_id, artifact_id, Some(version)).await? {
            for file in &record.files {
                let entry = Entry {
                    modified: Some(file.added_at),
                    size: Some(file.size),
                };
                for algorithm in ChecksumAlgorithm::ALL {
                    let checksum = Entry {
                        size: Some(algorithm.hex_len() as u64),
                        ..entry.clone()
                    };
                    children.insert(format!("{}.{}", file.file_name, algorithm.extension()), checksum);
                }
                children.insert(file.file_name.clone(), entry);
            }
            if is_snapshot(&record.version) && !record.files.is_empty() {
                add_document(&mut children, MAVEN_METADATA_FILE);
            }
        }
    }
    Ok(children)
}

/// A generated document and its checksums (sizes unknown until asked).
fn add_document(children: &mut BTreeMap<String, Entry>, name: &str) {
    children.insert(name.to_owned(), Entry::FOLDER);
    for algorithm in ChecksumAlgorithm::ALL {
        children.insert(format!("{name}.{}", algorithm.extension()), Entry::FOLDER);
    }
}

/// The child of the directory `prefix` (a groupId prefix, `""` at the
/// root) that leads to the artifact `group:name`: the group's next
/// segment, or the artifactId when the group is the directory itself.
fn child_of<'a>(prefix: &str, group: &'a str, name: &'a str) -> Option<&'a str> {
    if prefix.is_empty() {
        return group.split('.').next().filter(|s| !s.is_empty());
    }
    if group == prefix {
        return Some(name);
    }
    group.strip_prefix(prefix)?.strip_prefix('.')?.split('.').next()
}

/// The feed's versions of one artifact (one version, when named).
async fn versions(
    state: &AppState,
    feed: &FeedRecord,
    group_id: &str,
    artifact_id: &str,
    version: Option<&str>,
) -> ApiResult<Vec<PackageRecord>> {
    let version_key = match version {
        Some(v) => Some(Maven.version_key(v).map_err(|e| ApiError::bad_request(e.0))?),
        None => None,
    };
    Ok(state
        .meta()
        .find_packages(
            feed.id,
            &PackageQuery {
                group_key: Some(Maven.group_key(group_id)),
                name_key: Some(Maven.name_key(artifact_id)),
                version_key,
            },
        )
        .await?)
}

/// The HTML page of a directory; `None` when the feed has nothing there
/// (the root is always listed, empty or not).
pub(super) async fn page(
    state: &AppState,
    feed: &FeedRecord,
    directory: &Directory,
) -> ApiResult<Option<Response>> {
    let children = children(state, feed, directory).await?;
    if children.is_empty() && !directory.segments.is_empty() {
        return Ok(None);
    }
    let title = format!("{}: /{}", feed.settings.name, directory.path());
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{0}</title>\n</head>\n<body>\n<h1>{0}</h1>\n<hr>\n<pre id=\"contents\">\n",
        escape(&title)
    );
    if !directory.segments.is_empty() {
        html.push_str("<a href=\"../\">../</a>\n");
    }
    for (name, entry) in &children {
        let name = escape(name);
        let modified = entry.modified.map_or_else(|| "-".into(), format_time);
        let size = entry.size.map_or_else(|| "-".into(), |s| s.to_string());
        // Columns as Maven Central aligns them: name, then time, then size.
        let padding = 60usize.saturating_sub(name.len()).max(1);
        let _ = writeln!(
            html,
            "<a href=\"{name}\" title=\"{name}\">{name}</a>{:padding$}{modified:>16}{size:>12}",
            ""
        );
    }
    html.push_str("</pre>\n<hr>\n</body>\n</html>\n");
    let mut response = (StatusCode::OK, html).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(Some(response))
}

/// Text for HTML. Layout names are plain ASCII already; this keeps a page
/// sound whatever a name holds.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `2026-12-03 10:15` in UTC.
fn format_time(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp(millis / 1000).map_or_else(
        |_| "-".into(),
        |t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_follow_the_group_segments() {
        assert_eq!(child_of("", "org.acme", "widget"), Some("org"));
        assert_eq!(child_of("org", "org.acme", "widget"), Some("acme"));
        assert_eq!(child_of("org.acme", "org.acme", "widget"), Some("widget"));
        assert_eq!(child_of("org.acme", "org.acme.tools", "saw"), Some("tools"));
        assert_eq!(
            child_of("org.acme", "org.acmeco", "saw"),
            None,
            "a prefix of a segment is not a parent"
        );
        assert_eq!(child_of("com", "org.acme", "widget"), None);
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(format_time(1_764_756_900_000), "2025-12-03 10:15");
    }
}
