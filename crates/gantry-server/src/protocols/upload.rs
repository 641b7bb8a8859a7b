//! Receiving a package upload, the same way for every protocol: the
//! permission and feed rules are checked before a byte of the body is read,
//! then the body is staged within the size limit.

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use gantry_core::{Attribute, FeedUsage};
use gantry_store::{BlobInfo, FeedRecord, StageError, StagedBlob};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Checks that `caller` may upload to `feed` directly, then stages the body.
pub async fn receive_upload(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<StagedBlob> {
    check_may_upload(state, caller, feed)?;
    stage_body(state, headers, body).await
}

/// The checks made before an upload's body is read: the add permission and
/// the feed's direct-upload rule.
pub fn check_may_upload(state: &AppState, caller: &Caller, feed: &FeedRecord) -> ApiResult<()> {
    state.authorize(caller, Attribute::AddPackage, Some(feed))?;
    check_direct_upload(feed)
}

/// A validated feed takes packages only by promotion, unless its
/// `allowDirectUploads` setting says otherwise.
pub fn check_direct_upload(feed: &FeedRecord) -> ApiResult<()> {
    if feed.settings.usage == FeedUsage::Validated && !feed.settings.allow_direct_uploads {
        return Err(ApiError::forbidden(format!(
            "Feed '{}' holds validated packages, which arrive only by promotion: publish to another feed \
             and promote the package here (POST /api/promotions/promote).",
            feed.settings.name
        )));
    }
    Ok(())
}

/// Streams a request body into the blob store's staging area. A declared
/// length over the limit is refused before a byte is read; a body that grows
/// past it is cut off.
pub async fn stage_body(state: &AppState, headers: &HeaderMap, body: Body) -> ApiResult<StagedBlob> {
    let limit = state.config().max_upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    stage_stream(state, body.into_data_stream()).await
}

/// Streams any byte stream (a request body, one part of a multipart body)
/// into the staging area, within the upload limit.
pub async fn stage_stream<S, E>(state: &AppState, stream: S) -> ApiResult<StagedBlob>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    let limit = state.config().max_upload_bytes;
    state.blobs().stage(stream, limit).await.map_err(|e| match e {
        StageError::TooLarge { limit } => too_large(limit),
        StageError::Body(reason) => ApiError::bad_request(format!("The upload was interrupted: {reason}")),
        StageError::Io(e) => ApiError::internal("could not stage the upload", &e),
    })
}

/// Makes a staged blob a stored one: leased first, then committed, so that
/// the sweep cannot collect the bytes between their commit and the row that
/// records them.
pub async fn commit_staged(state: &AppState, staged: StagedBlob) -> ApiResult<BlobInfo> {
    state.meta().lease_blob(staged.info()).await?;
    Ok(state.blobs().commit(staged).await?)
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The package is larger than this server's limit of {limit} bytes."),
    )
}
