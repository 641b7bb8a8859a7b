//! Blobs (layers, configs): reads with `Range`, deletes, and uploads —
//! monolithic (`POST ?digest=`), chunked (`POST`, `PATCH`..., `PUT ?digest=`),
//! resumable (`GET` of the session tells where it stands) and mounted from
//! another repository (`POST ?mount=&from=`).
//!
//! Every `PATCH` (and the body of the closing `PUT`) is stored as a
//! content-addressed part and recorded in the session row, so an upload
//! survives a change of node. The closing `PUT` turns a one-part upload
//! into its blob without a copy (the part *is* the blob when the digests
//! agree) and joins several parts by streaming them into one staged blob.

use std::ops::Range;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};
use gantry_core::Attribute;
use gantry_formats::oci::{Digest, DigestAlgorithm};
use gantry_store::time::now_millis;
use gantry_store::{AddPartOutcome, BlobInfo, RegistryBlob, RegistryRepository, RegistryUpload, StagedBlob};
use serde::Deserialize;

use super::access::Action;
use super::errors::{Code, RegistryError, RegistryResult};
use super::protocol::RepositoryRequest;
use crate::auth::keys;
use crate::error::ApiError;
use crate::error::ApiResult;
use crate::protocols::upload::{check_direct_upload, commit_staged, stage_body, stage_stream};
use crate::services::feeds;
use crate::state::AppState;

/// The answer headers of a blob: its length, digest, type and ranges.
fn blob_headers(headers: &mut HeaderMap, digest: &Digest, length: u64) {
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(&digest.to_string()) {
        headers.insert("docker-content-digest", value.clone());
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{digest}\"")) {
            headers.insert(header::ETAG, etag);
        }
    }
}

/// Reads a `Range: bytes=a-b` (or `a-`, or `-n`) header against a size;
/// `Err` for a range outside the blob (416), `Ok(None)` when there is none
/// or it is not one byte range (the whole blob is sent then, as RFC 9110
/// allows).
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let Ok(suffix) = end.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 {
            return Err(());
        }
        size.saturating_sub(suffix)..size
    } else {
        let Ok(start) = start.parse::<u64>() else {
            return Ok(None);
        };
        let end = if end.is_empty() {
            size
        } else {
            match end.parse::<u64>() {
                Ok(last) => last.saturating_add(1).min(size),
                Err(_) => return Ok(None),
            }
        };
        start..end
    };
    if range.start >= size || range.start >= range.end {
        return Err(());
    }
    Ok(Some(range))
}

/// `GET`/`HEAD /blobs/{digest}`.
pub async fn get(state: &AppState, request: &RepositoryRequest, digest: &Digest) -> RegistryResult<Response> {
    request.require(state, Attribute::DownloadPackages, Action::Pull)?;
    if let Some(relayed) = super::connector::fill_blob(state, request, digest).await? {
        return Ok(relayed);
    }
    let Some(blob) = state
        .meta()
        .registry_blob(request.feed.id, &request.repository, &digest.to_string())
        .await?
    else {
        return Err(RegistryError::unknown(
            Code::BlobUnknown,
            format!("Blob {digest} is not in repository {}.", request.full_name()),
        ));
    };
    let size = u64::try_from(blob.size).unwrap_or_default();
    let Ok(range) = requested_range(&request.parts.headers, size) else {
        return Err(RegistryError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            Code::BlobUnknown,
            format!("The requested range is outside blob {digest} of {size} bytes."),
        )
        .with_header(header::CONTENT_RANGE, format!("bytes */{size}")));
    };
    let head = request.parts.method == axum::http::Method::HEAD;
    let (status, length) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, size),
    };
    let mut response = if head {
        status.into_response()
    } else {
        let read = state
            .blobs()
            .open(&blob.sha256, range.clone())
            .await
            .map_err(ApiError::from)?;
        (status, Body::from_stream(read.stream)).into_response()
    };
    let headers = response.headers_mut();
    blob_headers(headers, digest, length);
    if let Some(r) = range {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start, r.end - 1)) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    Ok(response)
}

/// `DELETE /blobs/{digest}`: takes the blob out of the repository (its
/// bytes stay while a manifest or another repository uses them).
pub async fn delete(
    state: &AppState,
    request: &RepositoryRequest,
    digest: &Digest,
) -> RegistryResult<Response> {
    request.require(state, Attribute::DeletePackage, Action::Delete)?;
    let removed = state
        .meta()
        .registry_unlink_blob(request.feed.id, &request.repository, &digest.to_string())
        .await?;
    if !removed {
        return Err(RegistryError::unknown(
            Code::BlobUnknown,
            format!("Blob {digest} is not in repository {}.", request.full_name()),
        ));
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// The query of `POST /blobs/uploads/` and `PUT /blobs/uploads/{id}`.
#[derive(Debug, Default, Deserialize)]
struct UploadQuery {
    digest: Option<String>,
    mount: Option<String>,
    from: Option<String>,
}

fn parse_digest(text: &str) -> RegistryResult<Digest> {
    Digest::parse(text).map_err(|e| RegistryError::invalid(Code::DigestInvalid, e.0))
}

/// The checks of every upload request: the push right and the feed's rule
/// on direct uploads (a validated feed takes images by promotion only).
fn check_push(state: &AppState, request: &RepositoryRequest) -> RegistryResult<()> {
    request.require(state, Attribute::AddPackage, Action::Push)?;
    check_direct_upload(&request.feed).map_err(|e| RegistryError::from_api(e, Code::Denied))
}

fn created(request: &RepositoryRequest, digest: &Digest) -> Response {
    let mut response = StatusCode::CREATED.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("{}/blobs/{digest}", request.path())) {
        headers.insert(header::LOCATION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&digest.to_string()) {
        headers.insert("docker-content-digest", value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    response
}

fn session_answer(request: &RepositoryRequest, status: StatusCode, id: &str, size: i64) -> Response {
    let mut response = status.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("{}/blobs/uploads/{id}", request.path())) {
        headers.insert(header::LOCATION, value);
    }
    // The bytes received so far, inclusive (`0-0` before the first).
    let last = (size - 1).max(0);
    if let Ok(value) = HeaderValue::from_str(&format!("0-{last}")) {
        headers.insert(header::RANGE, value);
    }
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert("docker-upload-uuid", value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    response
}

/// Whether the staged bytes are what `digest` names.
pub(super) fn matches(info: &BlobInfo, digest: &Digest) -> bool {
    match digest.algorithm() {
        DigestAlgorithm::Sha256 => info.sha256.as_str() == digest.hex(),
        DigestAlgorithm::Sha512 => info.sha512 == digest.hex(),
    }
}

/// Stores staged bytes as a blob of the repository, once they match `digest`.
async fn store_blob(
    state: &AppState,
    request: &RepositoryRequest,
    staged: StagedBlob,
    digest: &Digest,
) -> RegistryResult<()> {
    if !matches(staged.info(), digest) {
        return Err(RegistryError::invalid(
            Code::DigestInvalid,
            format!(
                "The uploaded bytes do not match digest {digest} (their sha256 is {}).",
                staged.info().sha256
            ),
        ));
    }
    link_staged(state, &request.at(), staged, digest).await?;
    Ok(())
}

/// The repository's blob `digest` for stored bytes.
fn blob_of(digest: &Digest, stored: &BlobInfo) -> RegistryBlob {
    RegistryBlob {
        digest: digest.to_string(),
        sha256: stored.sha256.clone(),
        size: i64::try_from(stored.size).unwrap_or(i64::MAX),
    }
}

/// Stores staged bytes, already checked against `digest`, as that blob of
/// the repository at `at`.
pub(super) async fn link_staged(
    state: &AppState,
    at: &RegistryRepository,
    staged: StagedBlob,
    digest: &Digest,
) -> ApiResult<RegistryBlob> {
    let blob = blob_of(digest, &commit_staged(state, staged).await?);
    state.meta().registry_link_blob(at, &blob).await?;
    Ok(blob)
}

/// Stores bytes held in memory (a manifest) as a blob.
pub(super) async fn commit_bytes(state: &AppState, bytes: bytes::Bytes) -> ApiResult<BlobInfo> {
    let staged = stage_stream(state, futures::stream::iter([Ok::<_, std::io::Error>(bytes)])).await?;
    commit_staged(state, staged).await
}

/// `POST /blobs/uploads/`: a mount, a monolithic upload, or a new session.
pub async fn start_upload(
    state: &AppState,
    request: &RepositoryRequest,
    body: Body,
) -> RegistryResult<Response> {
    check_push(state, request)?;
    let query = request.query::<UploadQuery>()?;
    if let (Some(mount), Some(from)) = (&query.mount, &query.from) {
        let digest = parse_digest(mount)?;
        if mount_blob(state, request, &digest, from).await? {
            return Ok(created(request, &digest));
        }
        // Not mountable (unknown, or not readable by the caller): the spec
        // has the client upload it instead, in the session begun below.
    } else if let Some(digest) = &query.digest {
        let digest = parse_digest(digest)?;
        let staged = stage_body(state, &request.parts.headers, body).await?;
        store_blob(state, request, staged, &digest).await?;
        return Ok(created(request, &digest));
    }
    let id = keys::generate();
    let now = now_millis();
    state
        .meta()
        .registry_start_upload(&RegistryUpload {
            id: id.clone(),
            feed_id: request.feed.id,
            repository: request.repository.clone(),
            started_by: request.caller.user_name().to_owned(),
            started_at: now,
            updated_at: now,
            size: 0,
            parts: Vec::new(),
        })
        .await?;
    Ok(session_answer(request, StatusCode::ACCEPTED, &id, 0))
}

/// Links a blob of `from` (`{feed}/{repository}`) into the request's
/// repository without a byte copied; false when it cannot be mounted.
async fn mount_blob(
    state: &AppState,
    request: &RepositoryRequest,
    digest: &Digest,
    from: &str,
) -> RegistryResult<bool> {
    let Some((feed_name, repository)) = from.split_once('/') else {
        return Ok(false);
    };
    let Ok(source) = feeds::find_for_protocol(state, feed_name, super::protocol::FEED_TYPES).await else {
        return Ok(false);
    };
    if !state.may(&request.caller, Attribute::DownloadPackages, Some(&source)) {
        return Ok(false);
    }
    let Some(blob) = state
        .meta()
        .registry_blob(source.id, repository, &digest.to_string())
        .await?
    else {
        return Ok(false);
    };
    state.meta().registry_link_blob(&request.at(), &blob).await?;
    Ok(true)
}

/// The session `id` of this repository.
async fn session(state: &AppState, request: &RepositoryRequest, id: &str) -> RegistryResult<RegistryUpload> {
    match state.meta().registry_upload(id).await? {
        Some(upload) if upload.feed_id == request.feed.id && upload.repository == request.repository => {
            Ok(upload)
        }
        _ => Err(RegistryError::unknown(
            Code::BlobUploadUnknown,
            format!(
                "Upload {id} is not in progress in repository {}.",
                request.full_name()
            ),
        )),
    }
}

/// The start offset a `Content-Range: a-b` header gives, if any.
fn content_range_start(headers: &HeaderMap) -> RegistryResult<Option<i64>> {
    let Some(value) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("bytes ").unwrap_or(text);
    let start = text
        .split_once('-')
        .and_then(|(start, _)| start.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            RegistryError::invalid(
                Code::BlobUploadInvalid,
                format!("Content-Range '{text}' is not a byte range 'start-end'."),
            )
        })?;
    Ok(Some(start))
}

/// Stores a request body as the next part of an upload; returns the size
/// of the upload after it.
async fn append_part(
    state: &AppState,
    request: &RepositoryRequest,
    upload: &RegistryUpload,
    body: Body,
) -> RegistryResult<i64> {
    let offset = content_range_start(&request.parts.headers)?.unwrap_or(upload.size);
    if offset != upload.size {
        return Err(wrong_offset(request, &upload.id, upload.size));
    }
    let staged = stage_body(state, &request.parts.headers, body).await?;
    if staged.info().size == 0 {
        return Ok(upload.size);
    }
    // The blob as a whole is held to the upload limit, not just each chunk.
    let limit = state.config().max_upload_bytes;
    if u64::try_from(upload.size).unwrap_or_default() + staged.info().size > limit {
        return Err(RegistryError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::SizeInvalid,
            format!("The blob would be larger than this server's limit of {limit} bytes."),
        ));
    }
    let info = commit_staged(state, staged).await?;
    let size = i64::try_from(info.size).unwrap_or(i64::MAX);
    match state
        .meta()
        .registry_add_upload_part(&upload.id, offset, &info.sha256, size)
        .await?
    {
        AddPartOutcome::Added(total) => Ok(total),
        AddPartOutcome::WrongOffset(current) => Err(wrong_offset(request, &upload.id, current)),
        AddPartOutcome::UnknownUpload => Err(RegistryError::unknown(
            Code::BlobUploadUnknown,
            format!("Upload {} ended meanwhile.", upload.id),
        )),
    }
}

fn wrong_offset(request: &RepositoryRequest, id: &str, size: i64) -> RegistryError {
    let last = (size - 1).max(0);
    RegistryError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        Code::BlobUploadInvalid,
        format!("Upload {id} holds {size} bytes: the next chunk must start there."),
    )
    .with_header(header::RANGE, format!("0-{last}"))
    .with_header(header::LOCATION, format!("{}/blobs/uploads/{id}", request.path()))
}

/// `PATCH /blobs/uploads/{id}`: a chunk.
pub async fn patch_upload(
    state: &AppState,
    request: &RepositoryRequest,
    id: &str,
    body: Body,
) -> RegistryResult<Response> {
    check_push(state, request)?;
    let upload = session(state, request, id).await?;
    let size = append_part(state, request, &upload, body).await?;
    Ok(session_answer(request, StatusCode::ACCEPTED, id, size))
}

/// `PUT /blobs/uploads/{id}?digest=`: the last chunk (if any), then the blob.
pub async fn finish_upload(
    state: &AppState,
    request: &RepositoryRequest,
    id: &str,
    body: Body,
) -> RegistryResult<Response> {
    check_push(state, request)?;
    let query = request.query::<UploadQuery>()?;
    let digest = parse_digest(query.digest.as_deref().ok_or_else(|| {
        RegistryError::invalid(
            Code::DigestInvalid,
            "Closing an upload needs the blob's ?digest=.",
        )
    })?)?;
    let upload = session(state, request, id).await?;
    append_part(state, request, &upload, body).await?;
    let upload = session(state, request, id).await?;
    let blob = assemble(state, &upload, &digest).await?;
    if !state.meta().registry_finish_upload(id, &blob).await? {
        return Err(RegistryError::unknown(
            Code::BlobUploadUnknown,
            format!("Upload {id} ended meanwhile."),
        ));
    }
    Ok(created(request, &digest))
}

/// The blob an upload's parts make, checked against `digest`.
async fn assemble(
    state: &AppState,
    upload: &RegistryUpload,
    digest: &Digest,
) -> RegistryResult<RegistryBlob> {
    let mismatch = |actual: &str| {
        RegistryError::invalid(
            Code::DigestInvalid,
            format!("The uploaded bytes do not match digest {digest} (their sha256 is {actual})."),
        )
    };
    // One part whose digest is the blob's: it is the blob already.
    if let [part] = upload.parts.as_slice() {
        if digest.algorithm() == DigestAlgorithm::Sha256 {
            if part.sha256.as_str() != digest.hex() {
                return Err(mismatch(part.sha256.as_str()));
            }
            return Ok(RegistryBlob {
                digest: digest.to_string(),
                sha256: part.sha256.clone(),
                size: part.size,
            });
        }
    }
    // Several parts (or another algorithm): join them into one blob.
    let blobs = state.blobs().clone();
    let parts: Vec<_> = upload.parts.iter().map(|p| p.sha256.clone()).collect();
    let joined = futures::stream::iter(parts)
        .then(move |sha256| {
            let blobs = blobs.clone();
            async move { blobs.open(&sha256, None).await.map(|read| read.stream) }
        })
        .map_err(std::io::Error::other)
        .try_flatten()
        .boxed();
    let staged = stage_stream(state, joined).await?;
    if !matches(staged.info(), digest) {
        return Err(mismatch(staged.info().sha256.as_str()));
    }
    Ok(blob_of(digest, &commit_staged(state, staged).await?))
}

/// `GET /blobs/uploads/{id}`: where a session stands (to resume it).
pub async fn upload_status(
    state: &AppState,
    request: &RepositoryRequest,
    id: &str,
) -> RegistryResult<Response> {
    check_push(state, request)?;
    let upload = session(state, request, id).await?;
    Ok(session_answer(request, StatusCode::NO_CONTENT, id, upload.size))
}

/// `DELETE /blobs/uploads/{id}`: abandons a session.
pub async fn cancel_upload(
    state: &AppState,
    request: &RepositoryRequest,
    id: &str,
) -> RegistryResult<Response> {
    check_push(state, request)?;
    session(state, request, id).await?;
    state.meta().registry_cancel_upload(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> Result<Option<Range<u64>>, ()> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).expect("header"));
        requested_range(&headers, size)
    }

    #[test]
    fn byte_ranges_are_read_as_rfc_9110_writes_them() {
        assert_eq!(range("bytes=0-9", 100), Ok(Some(0..10)));
        assert_eq!(range("bytes=90-", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=-10", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=95-200", 100), Ok(Some(95..100)));
        assert_eq!(range("bytes=100-", 100), Err(()));
        assert_eq!(range("bytes=5-2", 100), Err(()));
        assert_eq!(range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(range("items=0-1", 100), Ok(None));
        assert_eq!(requested_range(&HeaderMap::new(), 100), Ok(None));
    }
}
