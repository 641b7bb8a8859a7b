//! The flat container (PackageBaseAddress/3.0.0): a version list per id and
//! the `.nupkg` and `.nuspec` of each version, at lower-case URLs.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_core::Attribute;
use gantry_formats::nuget::NuGet;
use serde_json::json;

use crate::auth::Caller;
use crate::connectors::fetch;
use crate::error::{ApiError, ApiResult};
use crate::package_types::nuget::protocol::{
    find_entry, has_digest, immutable, kept_json_document, not_modified, serve_nupkg, versions_of,
    NuGetEntry, FEED_TYPES, NUSPEC_QUALIFIER,
};
use crate::services::feeds;
use crate::state::AppState;

/// `GET .../flatcontainer/{id}/index.json`: every version, listed or not,
/// lower-case and normalised, oldest first; 404 for an unknown id.
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let key = format!("flat|{}", id.to_ascii_lowercase());
    kept_json_document(&state, &feed, &id, key, &headers, || async {
        let entries = versions_of(&state, &feed, &id).await?;
        if entries.is_empty() {
            return Err(ApiError::not_found(format!(
                "Package {id} was not found in feed '{}'.",
                feed.settings.name
            )));
        }
        let versions: Vec<String> = entries.iter().map(NuGetEntry::lower_version).collect();
        Ok(json!({ "versions": versions }))
    })
    .await
}

/// `GET .../flatcontainer/{id}/{version}/{id}.{version}.nupkg` or
/// `.../{id}.nuspec`. The package download counts and may record a
/// deployment; both carry the content digest as `ETag` and may be cached for good.
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, id, version, file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::DownloadPackages, Some(&feed))?;
    let entry = find_entry(&state, &feed, &id, &version).await?;
    let (lower_id, lower_version) = (entry.lower_id(), entry.lower_version());
    let file = file.to_ascii_lowercase();
    if file == format!("{lower_id}.{lower_version}.nupkg") {
        return serve_nupkg(&state, &caller, &feed, &entry, &headers).await;
    }
    if file == format!("{lower_id}.nuspec") {
        // A version the feed only proxies is stored first: its .nuspec is
        // read from the package file.
        let record = if entry.record.remote.is_some() {
            fetch::cache(&state, &feed, &NuGet, &entry.record).await?
        } else {
            entry.record
        };
        let nuspec = record
            .files
            .iter()
            .find(|f| f.qualifier == NUSPEC_QUALIFIER)
            .ok_or_else(|| ApiError::not_found(format!("Package {id} {version} has no stored .nuspec.")))?;
        let sha256 = nuspec.sha256.to_string();
        if has_digest(&headers, &sha256) {
            return Ok(not_modified(&sha256));
        }
        let blob = state.blobs().open(&nuspec.sha256, None).await?;
        let mut response = (StatusCode::OK, Body::from_stream(blob.stream)).into_response();
        let out = response.headers_mut();
        out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
            out.insert(header::ETAG, etag);
        }
        immutable(&mut response);
        return Ok(response);
    }
    Err(ApiError::not_found(format!(
        "'{file}' is not a file of {id} {version}: expected {lower_id}.{lower_version}.nupkg or {lower_id}.nuspec."
    )))
}
