//! Answering with protocol documents: entity tags, 304, and documents kept
//! per feed revision (see [`crate::services::documents`]).

use std::future::Future;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_store::FeedRecord;

use crate::error::{ApiError, ApiResult};
use crate::services::documents::Document;
use crate::state::AppState;

/// Answers with `document`, or 304 when the client's `If-None-Match` holds
/// its entity tag. Metadata changes with every publish, so clients may keep
/// it but must ask again (`no-cache`).
pub fn respond(request: &HeaderMap, content_type: &'static str, document: &Document) -> Response {
    let accepts_gzip = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|coding| {
                coding
                    .split(';')
                    .next()
                    .is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"))
            })
        });
    let gzipped = if accepts_gzip { document.gzipped() } else { None };
    let (body, etag) = match &gzipped {
        Some((body, etag)) => (body.clone(), etag.clone()),
        None => (document.body.clone(), document.etag.clone()),
    };
    let tag = etag.to_str().unwrap_or_default();
    let not_modified = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if gzipped.is_some() && !not_modified {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON document of `feed` that depends only on its packages: served from
/// this node's document cache while the feed's package revision stands,
/// rendered by `render` (and kept) otherwise. `key` names the document,
/// including anything else it depends on (the base URL, the variant, the
/// upstream answers of a proxy feed); without a key the document cannot be
/// kept and is rendered every time.
pub async fn kept_document<F, Fut>(
    state: &AppState,
    feed: &FeedRecord,
    key: Option<String>,
    request: &HeaderMap,
    content_type: &'static str,
    render: F,
) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<serde_json::Value>>,
{
    if let Some(document) = key.as_ref().and_then(|key| state.documents().get(feed, key)) {
        return Ok(respond(request, content_type, &document));
    }
    let value = render().await?;
    let body = serde_json::to_vec(&value).map_err(|e| ApiError::internal("could not render JSON", &e))?;
    let document = Document::new(body);
    if let Some(key) = key {
        state.documents().put(feed, key, document.clone());
    }
    Ok(respond(request, content_type, &document))
}

/// The document key for a document about one package of `feed`: in a proxy
/// feed it names the upstream answers it is rendered from, and there is
/// none (the document is not kept) when a connector keeps no metadata.
pub async fn package_document_key(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn gantry_formats::PackageFormat,
    id: &gantry_formats::PackageId,
    key: String,
) -> ApiResult<Option<String>> {
    if !crate::connectors::view::is_proxied(feed) {
        return Ok(Some(key));
    }
    let stamp = crate::connectors::view::stamp(state, feed, format, id).await?;
    Ok(stamp.map(|stamp| format!("{key}#{stamp}")))
}

/// Headers for package content, which never changes under its URL: the
/// client may keep it for a year. `private`, because the feed may need
/// credentials and a shared cache must not hand it to others.
pub fn immutable(response: &mut Response) {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
}

/// Whether the request's `If-None-Match` names this content digest.
pub fn has_digest(request: &HeaderMap, sha256: &str) -> bool {
    let quoted = format!("\"{sha256}\"");
    request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == quoted)
        })
}

/// 304 for a package file the client already holds.
pub fn not_modified(sha256: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    immutable(&mut response);
    response
}
