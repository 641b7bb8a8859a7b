//! Serving a package file. Every protocol's download goes through here, so
//! what a download does besides sending bytes — counting it, recording a
//! deployment from `X-ProGet-Deployment-*` headers — happens once for all
//! formats.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_store::{FeedRecord, PackageFileRecord, PackageRecord};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::deploy;
use crate::state::AppState;

/// A download to serve: the request's headers and caller, and the version.
pub struct Download<'a> {
    /// The request's headers (for `X-ProGet-Deployment-*`).
    pub headers: &'a HeaderMap,
    /// Who downloads.
    pub caller: &'a Caller,
    /// The feed served from.
    pub feed: &'a FeedRecord,
    /// The version served.
    pub record: &'a PackageRecord,
}

/// Streams the primary file of the version with the given content type and
/// file name (see [`serve_file`]).
pub async fn serve(
    state: &AppState,
    download: Download<'_>,
    content_type: &'static str,
    file_name: &str,
) -> ApiResult<Response> {
    let record = download.record;
    let file = record.primary_file().ok_or_else(|| {
        ApiError::not_found(format!("Package {} {} has no file.", record.name, record.version))
    })?;
    serve_file(state, download, file, content_type, file_name).await
}

/// Streams one file of the version with the given content type and file
/// name. When the request carries the three required
/// `X-ProGet-Deployment-*` headers, a deployment of exactly this version is
/// recorded once its file is found (a failed download records nothing); the
/// answer's `X-Gantry-Deployment` header says what happened to them.
pub async fn serve_file(
    state: &AppState,
    download: Download<'_>,
    file: &PackageFileRecord,
    content_type: &'static str,
    file_name: &str,
) -> ApiResult<Response> {
    let Download {
        headers: request_headers,
        caller,
        feed,
        record,
    } = download;
    let blob = state.blobs().open(&file.sha256, None).await?;
    state.meta().count_download(record.id).await?;
    let deployment_note = record_from_headers(state, request_headers, caller, feed, record).await?;

    let mut response = (StatusCode::OK, Body::from_stream(blob.stream)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", file.sha256)) {
        headers.insert(header::ETAG, etag);
    }
    insert_disposition(headers, file_name);
    if let Some(note) = deployment_note.and_then(|n| HeaderValue::from_str(&n).ok()) {
        headers.insert("x-gantry-deployment", note);
    }
    Ok(response)
}

/// Offers the download under `file_name` (made safe for the header).
pub fn insert_disposition(headers: &mut HeaderMap, file_name: &str) {
    let safe_name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
}

/// Records a deployment when the headers ask for one; returns what to tell
/// the client, or `None` when no deployment header was sent.
pub async fn record_from_headers(
    state: &AppState,
    headers: &HeaderMap,
    caller: &Caller,
    feed: &FeedRecord,
    record: &PackageRecord,
) -> ApiResult<Option<String>> {
    let Some(input) = deploy::from_headers(headers) else {
        return Ok(None);
    };
    if !feed.settings.deployment_records_enabled {
        return Ok(Some(
            "ignored (deployment records are disabled for this feed)".into(),
        ));
    }
    let missing = input.missing(deploy::HEADER_NAMES);
    if !missing.is_empty() {
        return Ok(Some(format!("ignored (missing {})", missing.join(", "))));
    }
    Ok(Some(match input.validate(deploy::HEADER_NAMES) {
        Ok(valid) => format!(
            "recorded (id {})",
            deploy::record(state, caller, feed, record, valid).await?.id
        ),
        // The reason may quote the client's value: keep the header printable.
        Err(reason) => format!(
            "ignored ({})",
            reason.replace(|c: char| !c.is_ascii() || c.is_control(), "?")
        ),
    }))
}
