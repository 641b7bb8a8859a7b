//! Reading: the packument (full, or abbreviated when the client's `Accept`
//! asks for `application/vnd.npm.install-v1+json`), one version's manifest,
//! and tarballs.
//!
//! Packuments depend only on the feed's packages and tags, so they are kept
//! rendered per feed revision (see [`crate::services::documents`]); in a
//! proxy feed, also per upstream answer (see
//! [`crate::connectors::view::stamp`]). A proxy feed's reads merge its own versions with the upstreams'
//! (see [`crate::connectors::view`]); a remote tarball is fetched and stored
//! on its first download.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::{Attribute, VersionSpec};
use gantry_formats::npm::{self, Npm};
use gantry_formats::{pick_latest, PackageFormat, PackageId};
use gantry_store::time::format_millis;
use gantry_store::{FeedRecord, PackageRecord};
use serde_json::{json, Map, Value};

use super::{package_not_found, tarball_url, visible_versions, PackagePath, FEED_TYPES};
use crate::auth::Caller;
use crate::connectors::{fetch, view};
use crate::error::{ApiError, ApiResult};
use crate::package_types::npm::LATEST;
use crate::protocols::base_url::BaseUrl;
use crate::protocols::documents::{kept_document, package_document_key};
use crate::services::download::{self, Download};
use crate::services::feeds;
use crate::state::AppState;

/// The media type of abbreviated metadata.
pub const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
const JSON: &str = "application/json";

/// `GET /npm/{feed}/{name}`, `.../{name}/{version-or-tag}` and
/// `.../{name}/-/{file}.tgz`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path((feed, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    let package = PackagePath::parse(&path)?;
    match package.rest.as_slice() {
        [] => {
            state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
            let abbreviated = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains(ABBREVIATED));
            let key = format!(
                "{}|{}|{}",
                base.as_str(),
                if abbreviated { "corgi" } else { "full" },
                package.full_name()
            );
            let content_type = if abbreviated { ABBREVIATED } else { JSON };
            let key = package_document_key(&state, &feed, &Npm, &package.id, key).await?;
            kept_document(&state, &feed, key, &headers, content_type, || {
                packument(&state, &base, &feed, &package.id, abbreviated)
            })
            .await
        }
        [dash, file] if dash == "-" => {
            state.authorize(&caller, Attribute::DownloadPackages, Some(&feed))?;
            tarball(&state, &caller, &feed, &package, file, &headers).await
        }
        [wanted] => {
            state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
            version_manifest(&state, &base, &feed, &package, wanted).await
        }
        _ => Err(ApiError::not_found("No such npm resource.")),
    }
}

/// The feed's dist-tags for a package, then (in a proxy feed) the
/// upstreams' for tags the feed lacks, carried by the remote versions of
/// `records` (so they point only at versions the feed shows), with `latest`
/// filled in (the highest stable version, else the highest) when no tag
/// names it.
pub async fn effective_tags(
    state: &AppState,
    feed: &FeedRecord,
    id: &PackageId,
    records: &[PackageRecord],
) -> ApiResult<BTreeMap<String, String>> {
    let mut tags: BTreeMap<String, String> = state
        .meta()
        .dist_tags(feed.id, &Npm.group_key(&id.group), &Npm.name_key(&id.name))
        .await?
        .into_iter()
        .map(|t| (t.tag, t.version))
        .collect();
    for record in records {
        for tag in record.remote.iter().flat_map(|r| &r.dist_tags) {
            tags.entry(tag.clone()).or_insert_with(|| record.version.clone());
        }
    }
    if !tags.contains_key(LATEST) {
        let versions = || records.iter().map(|r| r.version.as_str());
        if let Some(latest) =
            pick_latest(&Npm, versions(), true).or_else(|| pick_latest(&Npm, versions(), false))
        {
            tags.insert(LATEST.to_owned(), latest.to_owned());
        }
    }
    Ok(tags)
}

/// One version's manifest as served: the published manifest with `dist`
/// pointing at this feed and the current deprecation.
pub fn served_manifest(base: &BaseUrl, feed: &FeedRecord, record: &PackageRecord) -> Value {
    let mut manifest = match &record.metadata {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let full_name = npm::full_name(&record.group, &record.name);
    manifest.insert("name".into(), json!(full_name));
    manifest.insert("version".into(), json!(record.version));
    manifest.insert("_id".into(), json!(format!("{full_name}@{}", record.version)));
    // What npm counted when packing (fileCount, unpackedSize), then where
    // and what the tarball is.
    let mut dist = match manifest.remove("dist") {
        Some(Value::Object(packed)) => packed,
        _ => Map::new(),
    };
    dist.insert(
        "tarball".into(),
        json!(tarball_url(
            base,
            feed,
            &record.group,
            &record.name,
            &record.version
        )),
    );
    // A remote version (no file yet) keeps the upstream's digests from its
    // metadata; a stored one is described by its file.
    if let Some(file) = record.primary_file() {
        dist.insert("shasum".into(), json!(file.sha1));
        if let Some(integrity) = npm::integrity(&file.sha512) {
            dist.insert("integrity".into(), json!(integrity));
        }
    }
    manifest.insert("dist".into(), Value::Object(dist));
    if record.deprecated {
        let reason = if record.deprecation_reason.is_empty() {
            "This version is deprecated."
        } else {
            record.deprecation_reason.as_str()
        };
        manifest.insert("deprecated".into(), json!(reason));
    } else {
        manifest.remove("deprecated");
    }
    Value::Object(manifest)
}

async fn packument(
    state: &AppState,
    base: &BaseUrl,
    feed: &FeedRecord,
    id: &PackageId,
    abbreviated: bool,
) -> ApiResult<Value> {
    let full_name = npm::full_name(&id.group, &id.name);
    let records = visible_versions(state, feed, id).await?;
    if records.is_empty() {
        return Err(package_not_found(&full_name, feed));
    }
    let tags = effective_tags(state, feed, id, &records).await?;
    let modified = records.iter().map(|r| r.published_at).max().unwrap_or_default();
    let created = records.iter().map(|r| r.published_at).min().unwrap_or_default();
    let mut versions = Map::new();
    let mut time = Map::new();
    time.insert("created".into(), json!(format_millis(created)));
    time.insert("modified".into(), json!(format_millis(modified)));
    for record in &records {
        let manifest = served_manifest(base, feed, record);
        let manifest = if abbreviated {
            npm::abbreviate(&manifest)
        } else {
            manifest
        };
        versions.insert(record.version.clone(), manifest);
        time.insert(record.version.clone(), json!(format_millis(record.published_at)));
    }
    if abbreviated {
        return Ok(json!({
            "name": full_name,
            "modified": format_millis(modified),
            "dist-tags": tags,
            "versions": versions,
        }));
    }
    let latest = tags
        .get(LATEST)
        .and_then(|v| records.iter().find(|r| &r.version == v))
        .or_else(|| records.last());
    let field = |key: &str| {
        latest
            .and_then(|r| r.metadata.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mut doc = json!({
        "_id": full_name,
        "_rev": format!("{}-gantry", feed.package_revision),
        "name": full_name,
        "dist-tags": tags,
        "versions": versions,
        "time": time,
    });
    for key in [
        "description",
        "license",
        "homepage",
        "repository",
        "keywords",
        "author",
        "readme",
        "bugs",
    ] {
        let value = field(key);
        if !value.is_null() {
            doc[key] = value;
        }
    }
    Ok(doc)
}

/// `GET /npm/{feed}/{name}/{version-or-tag}`.
async fn version_manifest(
    state: &AppState,
    base: &BaseUrl,
    feed: &FeedRecord,
    package: &PackagePath,
    wanted: &str,
) -> ApiResult<Response> {
    let full_name = package.full_name();
    let records = visible_versions(state, feed, &package.id).await?;
    if records.is_empty() {
        return Err(package_not_found(&full_name, feed));
    }
    let tags = effective_tags(state, feed, &package.id, &records).await?;
    let version = tags.get(wanted).map_or(wanted, String::as_str);
    let key = npm::version_key(version).map_err(|_| {
        ApiError::not_found(format!(
            "Not found: {full_name} has no version or tag '{wanted}'."
        ))
    })?;
    let record = records.iter().find(|r| r.key.version_key == key).ok_or_else(|| {
        ApiError::not_found(format!("Not found: {full_name}@{wanted} is not in this feed."))
    })?;
    Ok(Json(served_manifest(base, feed, record)).into_response())
}

/// `GET /npm/{feed}/{name}/-/{name}-{version}.tgz`: the version is read
/// from the file name, which must be the one npm gives it.
async fn tarball(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    package: &PackagePath,
    file: &str,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let not_found = || {
        ApiError::not_found(format!(
            "Not found: {file} is not a tarball of {}.",
            package.full_name()
        ))
    };
    let version = package.tarball_version(file).ok_or_else(not_found)?;
    npm::version_key(version).map_err(|_| not_found())?;
    let record = view::find_version(
        state,
        feed,
        &Npm,
        &package.id,
        &VersionSpec::Exact(version.to_owned()),
    )
    .await
    .map_err(|_| not_found())?;
    // A client holding this very file (its ETag is the SHA-256) gets 304.
    if let Some(file) = record.primary_file() {
        let sha256 = file.sha256.to_string();
        if crate::protocols::documents::has_digest(headers, &sha256) {
            return Ok(crate::protocols::documents::not_modified(&sha256));
        }
    }
    let download = Download {
        headers,
        caller,
        feed,
        record: &record,
    };
    let mut response = if record.remote.is_some() {
        fetch::serve(state, download, &Npm, "application/octet-stream", file).await?
    } else {
        download::serve(state, download, "application/octet-stream", file).await?
    };
    crate::protocols::documents::immutable(&mut response);
    Ok(response)
}
