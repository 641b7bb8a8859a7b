//! Serving a package file. Every protocol's download goes through here, so
//! what a download does besides sending bytes (counting it, later recording
//! deployments) happens once for all formats.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_store::PackageRecord;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Streams the primary file of `record` with the given content type and file name.
pub async fn serve(
    state: &AppState,
    record: &PackageRecord,
    content_type: &'static str,
    file_name: &str,
) -> ApiResult<Response> {
    let file = record.primary_file().ok_or_else(|| {
        ApiError::not_found(format!("Package {} {} has no file.", record.name, record.version))
    })?;
    let blob = state.blobs().open(&file.sha256, None).await?;
    state.meta().count_download(record.id).await?;
    let mut response = (StatusCode::OK, Body::from_stream(blob.stream)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", file.sha256)) {
        headers.insert(header::ETAG, etag);
    }
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
    Ok(response)
}
