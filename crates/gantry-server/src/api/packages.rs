//! The generic packages API, for every feed type: `/api/packages/{feed}/...`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use gantry_core::{Attribute, VersionSpec};
use gantry_formats::{PackageFormat, PackageId, Purl};
use gantry_store::time::format_millis;
use gantry_store::{PackageKey, PackageQuery, PackageRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::package_types::PackageType;
use crate::protocols::upload::{check_may_upload, stage_body};
use crate::services::download::Download;
use crate::services::publish::publish;
use crate::services::{download, feeds, packages};
use crate::state::AppState;

/// A package version, with ProGet's `PackageVersionInfo` field names.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageVersionInfo {
    /// Package URL.
    pub purl: String,
    /// Group, scope or namespace (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Downloads of every version of this package in the feed.
    pub total_downloads: i64,
    /// Downloads of this version in the feed.
    pub downloads: i64,
    /// Publication date, ISO 8601 UTC.
    pub published: String,
    /// Who published it.
    pub published_by: String,
    /// Size in bytes of the version's files.
    pub size: u64,
    /// Whether it is listed.
    pub listed: bool,
    /// Whether it may be downloaded.
    pub allow_download: bool,
    /// Whether it is deprecated.
    pub deprecated: bool,
    /// Why (absent when not deprecated or no reason was given).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deprecation_reason: String,
    /// MD5 of the main file, hex.
    pub md5: String,
    /// SHA-1 of the main file, hex.
    pub sha1: String,
    /// SHA-256 of the main file, hex.
    pub sha256: String,
    /// SHA-512 of the main file, hex.
    pub sha512: String,
}

impl PackageVersionInfo {
    fn new(package_type: &dyn PackageType, record: &PackageRecord, total_downloads: i64) -> Self {
        let format = package_type.format();
        let file = package_type.main_file(record);
        Self {
            purl: format.purl(&record.group, &record.name, &record.version),
            group: (!record.group.is_empty()).then(|| record.group.clone()),
            name: record.name.clone(),
            version: record.version.clone(),
            total_downloads,
            downloads: record.downloads,
            published: format_millis(record.published_at),
            published_by: record.published_by.clone(),
            size: record.size(),
            listed: record.listed,
            allow_download: true,
            deprecated: record.deprecated,
            deprecation_reason: record.deprecation_reason.clone(),
            md5: file.map(|f| f.md5.clone()).unwrap_or_default(),
            sha1: file.map(|f| f.sha1.clone()).unwrap_or_default(),
            sha256: file.map(|f| f.sha256.to_string()).unwrap_or_default(),
            sha512: file.map(|f| f.sha512.clone()).unwrap_or_default(),
        }
    }
}

/// Converts records, computing each package's total downloads.
fn infos(package_type: &dyn PackageType, records: &[PackageRecord]) -> Vec<PackageVersionInfo> {
    let mut totals: HashMap<(&str, &str), i64> = HashMap::new();
    for r in records {
        *totals.entry((&r.key.group_key, &r.key.name_key)).or_default() += r.downloads;
    }
    records
        .iter()
        .map(|r| {
            let total = totals
                .get(&(r.key.group_key.as_str(), r.key.name_key.as_str()))
                .copied()
                .unwrap_or_default();
            PackageVersionInfo::new(package_type, r, total)
        })
        .collect()
}

/// Identifies packages by `name`/`group`/`version`, or by `purl`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageSelector {
    /// Package name.
    pub name: Option<String>,
    /// Group, scope or namespace.
    pub group: Option<String>,
    /// Version; `latest` and `latest-stable` are accepted where one version is meant.
    pub version: Option<String>,
    /// A package URL instead of name, group and version.
    pub purl: Option<String>,
    /// `latest` only: ignore pre-release versions.
    #[serde(rename = "stableOnly")]
    pub stable_only: Option<bool>,
    /// Download only: which file of the version, by its file name or
    /// qualifier (a version may hold several); the main file when absent.
    pub file: Option<String>,
}

impl PackageSelector {
    /// Group, name and version from the purl when one was given (read the
    /// format's way, for `feed`: [`PackageFormat::read_purl`]).
    fn resolved(
        &self,
        format: &dyn PackageFormat,
        feed: &str,
    ) -> ApiResult<(Option<String>, Option<String>, Option<String>)> {
        let Some(purl) = &self.purl else {
            return Ok((self.group.clone(), self.name.clone(), self.version.clone()));
        };
        let purl = Purl::parse(purl).map_err(|e| ApiError::bad_request(e.0))?;
        if purl.purl_type != format.purl_type() {
            return Err(ApiError::bad_request(format!(
                "purl type '{}' does not match this feed's package type '{}'.",
                purl.purl_type,
                format.purl_type()
            )));
        }
        let (id, version) = format
            .read_purl(&purl, feed)
            .map_err(|e| ApiError::bad_request(e.0))?;
        let version = (!version.is_empty()).then_some(version);
        Ok((Some(id.group), Some(id.name), version))
    }

    /// The one version this selector names; `version` is required (it may be `latest`).
    fn one(&self, format: &dyn PackageFormat, feed: &str) -> ApiResult<(PackageId, VersionSpec)> {
        let (group, name, version) = self.resolved(format, feed)?;
        let name = name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::bad_request("name (or purl) is required."))?;
        let version = version.ok_or_else(|| ApiError::bad_request("version is required."))?;
        Ok((
            format.identity(&group.unwrap_or_default(), &name),
            VersionSpec::parse(&version),
        ))
    }
}

/// Versions in a feed, filtered by name, group and version.
#[utoipa::path(get, path = "/api/packages/{feed}/versions", tag = "packages",
    params(("feed" = String, Path, description = "feed name"), PackageSelector),
    responses((status = 200, body = [PackageVersionInfo]), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(selector): QueryParams<PackageSelector>,
) -> ApiResult<Json<Vec<PackageVersionInfo>>> {
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed, Attribute::ViewPackages).await?;
    let (group, name, version) = selector.resolved(format, &feed.settings.name)?;
    let wanted = packages::query(format, group.as_deref(), name.as_deref(), version.as_deref())?;
    // Fetch every version of the named package(s), since totals count them
    // all; the group and version filters apply after.
    let by_name = PackageQuery {
        name_key: wanted.name_key.clone(),
        ..PackageQuery::default()
    };
    let records = state.meta().find_packages(feed.id, &by_name).await?;
    let selected = records
        .iter()
        .zip(infos(feeds::package_type_of(&feed)?, &records))
        .filter(|(r, _)| {
            wanted.group_key.as_ref().is_none_or(|g| &r.key.group_key == g)
                && wanted
                    .version_key
                    .as_ref()
                    .is_none_or(|v| &r.key.version_key == v)
        })
        .map(|(_, info)| info)
        .collect();
    Ok(Json(selected))
}

/// The latest version of each package in a feed (optionally one package).
#[utoipa::path(get, path = "/api/packages/{feed}/latest", tag = "packages",
    params(("feed" = String, Path, description = "feed name"), PackageSelector),
    responses((status = 200, body = [PackageVersionInfo]), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn latest(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(selector): QueryParams<PackageSelector>,
) -> ApiResult<Json<Vec<PackageVersionInfo>>> {
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed, Attribute::ViewPackages).await?;
    let (group, name, _) = selector.resolved(format, &feed.settings.name)?;
    let records = state
        .meta()
        .find_packages(
            feed.id,
            &packages::query(format, group.as_deref(), name.as_deref(), None)?,
        )
        .await?;
    let stable_only = selector.stable_only.unwrap_or(false);
    let all = infos(feeds::package_type_of(&feed)?, &records);
    let mut best: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if stable_only && !format.is_stable(&r.version) {
            continue;
        }
        let slot = best.entry((&r.key.group_key, &r.key.name_key)).or_insert(i);
        if format
            .compare_versions(&r.version, &records[*slot].version)
            .is_gt()
        {
            *slot = i;
        }
    }
    let mut chosen: Vec<usize> = best.into_values().collect();
    chosen.sort_unstable();
    let mut all: Vec<Option<PackageVersionInfo>> = all.into_iter().map(Some).collect();
    Ok(Json(chosen.into_iter().filter_map(|i| all[i].take()).collect()))
}

/// Uploads a package file of the feed's type (ProGet's packages API upload,
/// as pgutil sends it): the request body is the file. The feed's package
/// type reads it; the same permission, feed rules, size limit and single
/// transaction as the type's own protocol apply.
#[utoipa::path(method(put, post), path = "/api/packages/{feed}/upload", tag = "packages",
    params(("feed" = String, Path, description = "feed name")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the package file"),
    responses((status = 201, description = "the stored version", body = PackageVersionInfo),
        (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 413)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<PackageVersionInfo>)> {
    let feed = feeds::find_active(&state, &feed).await?;
    check_may_upload(&state, &caller, &feed)?;
    let package_type = feeds::package_type_of(&feed)?;
    if package_type.upload_extensions().is_empty() {
        return Err(ApiError::bad_request(format!(
            "{} packages are not uploaded as a file: publish them to feed '{}' with their client.",
            feed.settings.feed_type.label(),
            feed.settings.name
        )));
    }
    let staged = stage_body(&state, &headers, body).await?;
    if staged.info().size == 0 {
        return Err(ApiError::bad_request(
            "The request body is empty: send the package file.",
        ));
    }
    let parsed = package_type.parse_upload(&state, &staged).await?;
    let format = package_type.format();
    let record = publish(&state, &caller, &feed, format, staged, parsed).await?;
    let total = packages::total_downloads(&state, &feed, &record).await?;
    Ok((
        StatusCode::CREATED,
        Json(PackageVersionInfo::new(package_type, &record, total)),
    ))
}

/// Downloads one version's file (its main file unless `file` names another).
#[utoipa::path(get, path = "/api/packages/{feed}/download", tag = "packages",
    params(("feed" = String, Path, description = "feed name"), PackageSelector),
    responses((status = 200, description = "the package file",
            content(("application/zip"), ("application/octet-stream"))),
        (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(selector): QueryParams<PackageSelector>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed, Attribute::DownloadPackages).await?;
    let (id, spec) = selector.one(format, &feed.settings.name)?;
    let record = packages::find_version(&state, &feed, format, &id, &spec).await?;
    let download = Download {
        headers: &headers,
        caller: &caller,
        feed: &feed,
        record: &record,
    };
    let main = || format.file_name(&record.group, &record.name, &record.version);
    let (file, file_name) = match selector.file.as_deref().filter(|f| !f.is_empty()) {
        // The type's main file (a Maven version's jar, not its sources),
        // under its stored name when it has one.
        None => {
            let file = feeds::package_type_of(&feed)?.main_file(&record).ok_or_else(|| {
                ApiError::not_found(format!("Package {} {} has no file.", record.name, record.version))
            })?;
            let file_name = match file.file_name.as_str() {
                "" => main(),
                name => name.to_owned(),
            };
            (file, file_name)
        }
        Some(wanted) => {
            let file = packages::file_of(&record, wanted).ok_or_else(|| {
                ApiError::not_found(format!(
                    "Package {} {} in feed '{}' has no file '{wanted}'.",
                    record.name, record.version, feed.settings.name
                ))
            })?;
            let file_name = match (file.file_name.as_str(), file.qualifier.as_str()) {
                ("", "") => main(),
                ("", qualifier) => qualifier.to_owned(),
                (name, _) => name.to_owned(),
            };
            (file, file_name)
        }
    };
    let content_type = feeds::package_type_of(&feed)?.content_type_of(&file_name);
    download::serve_file(&state, download, file, content_type, &file_name).await
}

/// Deletes one version.
#[utoipa::path(post, path = "/api/packages/{feed}/delete", tag = "packages",
    params(("feed" = String, Path, description = "feed name"), PackageSelector),
    responses((status = 200), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(selector): QueryParams<PackageSelector>,
) -> ApiResult<StatusCode> {
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed, Attribute::DeletePackage).await?;
    let (id, spec) = selector.one(format, &feed.settings.name)?;
    let record = packages::find_version(&state, &feed, format, &id, &spec).await?;
    packages::delete(&state, &caller, &feed, &record).await?;
    Ok(StatusCode::OK)
}

/// A change of status; omitted fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackageStatus {
    /// Listed versions show in searches and "latest" listings of clients.
    pub listed: Option<bool>,
    /// Deprecated versions still install, with a warning.
    pub deprecated: Option<bool>,
    /// Why it is deprecated (setting it alone does not deprecate).
    pub deprecation_reason: Option<String>,
    /// Gantry always allows downloads; only `true` is accepted.
    pub allow_download: Option<bool>,
}

impl From<PackageStatus> for packages::StatusRequest {
    fn from(status: PackageStatus) -> Self {
        Self {
            listed: status.listed,
            deprecated: status.deprecated,
            deprecation_reason: status.deprecation_reason,
            allow_download: status.allow_download,
        }
    }
}

/// Sets one version's listed and deprecated status (ProGet's "set package
/// status"); the change is recorded in the version's history.
#[utoipa::path(post, path = "/api/packages/{feed}/status", tag = "packages",
    params(("feed" = String, Path, description = "feed name"), PackageSelector),
    request_body = PackageStatus,
    responses((status = 200, body = PackageVersionInfo), (status = 400), (status = 401), (status = 403), (status = 404), (status = 415, description = "the body is not sent as application/json")))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(selector): QueryParams<PackageSelector>,
    JsonBody(change): JsonBody<PackageStatus>,
) -> ApiResult<Json<PackageVersionInfo>> {
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed, Attribute::UnlistPackage).await?;
    let change = packages::check_status(change.into())?;
    let (id, spec) = selector.one(format, &feed.settings.name)?;
    let record = packages::find_version(&state, &feed, format, &id, &spec).await?;
    let updated = packages::set_status(&state, &caller, &feed, &record, &change).await?;
    let total = packages::total_downloads(&state, &feed, &updated).await?;
    Ok(Json(PackageVersionInfo::new(
        feeds::package_type_of(&feed)?,
        &updated,
        total,
    )))
}

/// One entry of a package version's history.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Increasing id.
    pub id: i64,
    /// `added`, `overwritten`, `promoted`, `status-changed`, `deployed`, `deleted`.
    pub action: String,
    /// The feed it happened in (for `promoted`, the target).
    pub feed: String,
    /// ISO 8601 UTC.
    pub date: String,
    /// Who.
    pub user: String,
    /// Per action: for `promoted`, `fromFeed`, `toFeed`, `comments`, `promotionId` and `copied`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Which version's history.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistorySelector {
    /// Package name.
    pub name: Option<String>,
    /// Group, scope or namespace.
    pub group: Option<String>,
    /// Exact version, `latest` or `latest-stable`.
    pub version: Option<String>,
}

/// Gantry: the history of a package version across every feed the caller
/// may view — published, promoted from feed to feed, deleted — oldest first.
#[utoipa::path(get, path = "/api/packages/{feed}/history", tag = "packages",
    params(("feed" = String, Path, description = "a feed holding (or having held) the version"), HistorySelector),
    responses((status = 200, body = [HistoryEntry]), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(selector): QueryParams<HistorySelector>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed, Attribute::ViewPackages).await?;
    let name = selector
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required."))?;
    let version = selector
        .version
        .ok_or_else(|| ApiError::bad_request("version is required."))?;
    let PackageId { group, name } = format.identity(&selector.group.unwrap_or_default(), &name);
    let key = match VersionSpec::parse(&version) {
        VersionSpec::Exact(v) => PackageKey {
            group_key: format.group_key(&group),
            name_key: format.name_key(&name),
            version_key: format.version_key(&v).map_err(|e| ApiError::bad_request(e.0))?,
        },
        spec => {
            packages::find_version(&state, &feed, format, &PackageId { group, name }, &spec)
                .await?
                .key
        }
    };
    let events = crate::services::history::of_version(&state, &caller, &feed, &key).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| HistoryEntry {
                id: e.id,
                action: e.kind.as_str().to_owned(),
                feed: e.feed_name,
                date: format_millis(e.at),
                user: e.user_name,
                details: e.details,
            })
            .collect(),
    ))
}
