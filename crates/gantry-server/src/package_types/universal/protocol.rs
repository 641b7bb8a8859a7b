//! The universal package protocol: `/upack/{feed}/...`.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::Method;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::{Attribute, FeedType, VersionSpec};
use gantry_formats::upack::{self, Upack};
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::time::format_millis;
use std::collections::HashSet;

use gantry_store::{FeedRecord, PackageKey, PackageRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::extract::QueryParams;
use crate::api::routes::Routes;
use crate::auth::Caller;
use crate::connectors::{fetch, view};
use crate::error::{ApiError, ApiResult};
use crate::protocols::upload::receive_upload;
use crate::services::download::Download;
use crate::services::publish::{publish, ParsedPackage};
use crate::services::{download, feeds, packages};
use crate::state::AppState;

/// The universal feed routes.
pub fn routes() -> Routes {
    Routes::default()
        .add_with(
            "/upack/{feed}/upload",
            &[Method::POST, Method::PUT],
            upload,
            |r| r.layer(DefaultBodyLimit::disable()),
        )
        .add("/upack/{feed}/packages", &[Method::GET], list_packages)
        .add("/upack/{feed}/versions", &[Method::GET], list_versions)
        .add("/upack/{feed}/download/{*path}", &[Method::GET], download_package)
        .add(
            "/upack/{feed}/delete/{*path}",
            &[Method::DELETE, Method::POST],
            delete_package,
        )
}

pub(crate) const FEED_TYPES: &[FeedType] = &[FeedType::Universal];

/// `POST /upack/{feed}/upload`: the `.upack` file is the request body.
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    let staged = receive_upload(&state, &caller, &feed, &headers, body).await?;
    let parsed = parse_upack(&staged).await?;
    let record = publish(&state, &caller, &feed, &Upack, staged, parsed).await?;
    Ok((StatusCode::CREATED, Json(VersionInfo::new(&record))).into_response())
}

/// Reads a staged `.upack` into what publish stores: its manifest.
pub(crate) async fn parse_upack(staged: &gantry_store::StagedBlob) -> ApiResult<ParsedPackage> {
    let path = staged.path().to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || upack::read_package(&path))
        .await
        .map_err(|e| ApiError::internal("package validation failed", &e))?
        .map_err(|e| ApiError::bad_request(e.0))?;
    let id = PackageId {
        group: manifest.group.clone(),
        name: manifest.name.clone(),
    };
    Ok(ParsedPackage::new(
        id,
        manifest.version.clone(),
        manifest.document,
    ))
}

#[derive(Debug, Deserialize)]
struct Filter {
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

/// A package with its versions, as `GET packages` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PackageSummary {
    #[serde(skip_serializing_if = "String::is_empty")]
    group: String,
    name: String,
    latest_version: String,
    versions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    downloads: i64,
}

/// One version, as `GET versions` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionInfo {
    #[serde(skip_serializing_if = "String::is_empty")]
    group: String,
    name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    dependencies: Vec<String>,
    size: u64,
    published: String,
    published_by: String,
    downloads: i64,
    sha1: String,
    sha256: String,
}

fn text(metadata: &Value, key: &str) -> Option<String> {
    metadata.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl VersionInfo {
    fn new(record: &PackageRecord) -> Self {
        let file = record.primary_file();
        Self {
            group: record.group.clone(),
            name: record.name.clone(),
            version: record.version.clone(),
            title: text(&record.metadata, "title"),
            description: text(&record.metadata, "description"),
            dependencies: record
                .metadata
                .get("dependencies")
                .and_then(Value::as_array)
                .map(|deps| deps.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            size: record
                .remote
                .as_ref()
                .and_then(|origin| origin.size)
                .unwrap_or_else(|| record.size()),
            published: format_millis(record.published_at),
            published_by: record.published_by.clone(),
            downloads: record.downloads,
            sha1: file.map(|f| f.sha1.clone()).unwrap_or_default(),
            sha256: file.map(|f| f.sha256.to_string()).unwrap_or_default(),
        }
    }
}

/// Newest first, by SemVer precedence.
fn newest_first(records: &mut [PackageRecord]) {
    records.sort_by(|a, b| Upack.compare_versions(&b.version, &a.version));
}

/// `GET /upack/{feed}/packages?group=&name=`: packages with their versions.
async fn list_packages(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(filter): QueryParams<Filter>,
) -> ApiResult<Json<Vec<PackageSummary>>> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let mut records = listed_records(&state, &feed, &filter).await?;
    records.sort_by(|a, b| {
        (&a.key.group_key, &a.key.name_key)
            .cmp(&(&b.key.group_key, &b.key.name_key))
            .then_with(|| Upack.compare_versions(&b.version, &a.version))
    });
    let mut summaries: Vec<PackageSummary> = Vec::new();
    let mut last_key: Option<(String, String)> = None;
    for record in &records {
        let key = (record.key.group_key.clone(), record.key.name_key.clone());
        if last_key.as_ref() != Some(&key) {
            // Newest first within a package, so the first row is the latest.
            summaries.push(PackageSummary {
                group: record.group.clone(),
                name: record.name.clone(),
                latest_version: record.version.clone(),
                versions: Vec::new(),
                title: text(&record.metadata, "title"),
                description: text(&record.metadata, "description"),
                downloads: 0,
            });
            last_key = Some(key);
        }
        if let Some(summary) = summaries.last_mut() {
            summary.versions.push(record.version.clone());
            summary.downloads += record.downloads;
        }
    }
    Ok(Json(summaries))
}

/// `GET /upack/{feed}/versions?group=&name=&version=`: versions, newest
/// first; with `version`, that one version as an object (404 if absent).
async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(filter): QueryParams<Filter>,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let mut records = listed_records(&state, &feed, &filter).await?;
    if let Some(version) = &filter.version {
        let key = Upack
            .version_key(version)
            .map_err(|e| ApiError::bad_request(e.0))?;
        records.retain(|r| r.key.version_key == key);
        let record = records.pop().ok_or_else(|| {
            ApiError::not_found(format!(
                "Version {version} was not found in feed '{}'.",
                feed.settings.name
            ))
        })?;
        return Ok(Json(VersionInfo::new(&record)).into_response());
    }
    newest_first(&mut records);
    Ok(Json(records.iter().map(VersionInfo::new).collect::<Vec<_>>()).into_response())
}

/// The versions a listing shows: the feed's own, and for a proxy feed what
/// its connectors offer (a package's versions when `name` is given, the
/// upstreams' package lists otherwise).
async fn listed_records(
    state: &AppState,
    feed: &FeedRecord,
    filter: &Filter,
) -> ApiResult<Vec<PackageRecord>> {
    if let (true, Some(name)) = (view::is_proxied(feed), &filter.name) {
        let id = PackageId {
            group: filter.group.clone().unwrap_or_default(),
            name: name.clone(),
        };
        return view::versions(state, feed, &Upack, &id).await;
    }
    let query = packages::query(
        &Upack,
        filter.group.as_deref(),
        filter.name.as_deref(),
        filter.version.as_deref(),
    )?;
    let mut records = state.meta().find_packages(feed.id, &query).await?;
    if view::is_proxied(feed) {
        let known: HashSet<PackageKey> = records.iter().map(|r| r.key.clone()).collect();
        let group_key = filter.group.as_deref().map(|g| Upack.group_key(g));
        let remote = view::search(state, feed, &Upack, "", REMOTE_LISTING).await?;
        records.extend(
            remote.into_iter().filter(|r| {
                group_key.as_ref().is_none_or(|g| &r.key.group_key == g) && !known.contains(&r.key)
            }),
        );
    }
    Ok(records)
}

/// How many upstream packages a proxy feed's package listing shows.
const REMOTE_LISTING: usize = 1000;

/// Splits `group.../name/version` (or `group.../name` with `?latest`).
fn parse_path(path: &str, has_version: bool) -> ApiResult<(PackageId, Option<String>)> {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let version = if has_version {
        Some(
            segments
                .pop()
                .ok_or_else(|| ApiError::bad_request("The URL must end with /{name}/{version}."))?
                .to_owned(),
        )
    } else {
        None
    };
    let name = segments
        .pop()
        .ok_or_else(|| ApiError::bad_request("The URL must name a package."))?
        .to_owned();
    let id = PackageId {
        group: segments.join("/"),
        name,
    };
    Upack.validate_id(&id).map_err(|e| ApiError::bad_request(e.0))?;
    Ok((id, version))
}

/// Reads `?latest` / `?latest-stable` (also `?latest=stable`).
fn latest_flag(query: Option<&str>) -> Option<VersionSpec> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    pairs.iter().find_map(|(k, v)| match (k.as_str(), v.as_str()) {
        ("latest-stable", _) | ("latest", "stable") => Some(VersionSpec::LatestStable),
        ("latest", _) => Some(VersionSpec::Latest),
        _ => None,
    })
}

/// `GET /upack/{feed}/download/{group}/{name}/{version}` or `.../{group}/{name}?latest`.
async fn download_package(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, path)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::DownloadPackages, Some(&feed))?;
    let latest = latest_flag(query.as_deref());
    let (id, version) = parse_path(&path, latest.is_none())?;
    let spec = match (latest, version) {
        (Some(spec), _) => spec,
        (None, Some(v)) => VersionSpec::Exact(v),
        (None, None) => return Err(ApiError::bad_request("A version or ?latest is required.")),
    };
    let record = view::find_version(&state, &feed, &Upack, &id, &spec).await?;
    let file_name = Upack.file_name(&record.group, &record.name, &record.version);
    let download = Download {
        headers: &headers,
        caller: &caller,
        feed: &feed,
        record: &record,
    };
    if record.remote.is_some() {
        return fetch::serve(&state, download, &Upack, Upack.content_type(), &file_name).await;
    }
    download::serve(&state, download, Upack.content_type(), &file_name).await
}

/// `DELETE /upack/{feed}/delete/{group}/{name}/{version}`.
async fn delete_package(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, path)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::DeletePackage, Some(&feed))?;
    let (id, version) = parse_path(&path, true)?;
    let version = version.ok_or_else(|| ApiError::bad_request("A version is required."))?;
    let record = packages::find_version(&state, &feed, &Upack, &id, &VersionSpec::Exact(version)).await?;
    packages::delete(&state, &caller, &feed, &record).await?;
    Ok(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_paths_split_group_name_version() {
        let (id, v) = parse_path("acme/tools/hammer/1.0.0", true).expect("valid");
        assert_eq!(
            (id.group.as_str(), id.name.as_str(), v.as_deref()),
            ("acme/tools", "hammer", Some("1.0.0"))
        );
        let (id, v) = parse_path("/hammer/1.0.0", true).expect("valid");
        assert_eq!(
            (id.group.as_str(), id.name.as_str(), v.as_deref()),
            ("", "hammer", Some("1.0.0"))
        );
        let (id, v) = parse_path("acme/hammer", false).expect("valid");
        assert_eq!((id.group.as_str(), id.name.as_str(), v), ("acme", "hammer", None));
        assert!(parse_path("1.0.0", true).is_err());
        assert!(parse_path("a/../b/1.0.0", true).is_err());
    }

    #[test]
    fn latest_flags() {
        assert_eq!(latest_flag(Some("latest")), Some(VersionSpec::Latest));
        assert_eq!(
            latest_flag(Some("latest-stable")),
            Some(VersionSpec::LatestStable)
        );
        assert_eq!(
            latest_flag(Some("latest=stable")),
            Some(VersionSpec::LatestStable)
        );
        assert_eq!(latest_flag(None), None);
    }
}
