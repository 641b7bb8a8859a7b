//! Receiving a package body: size checks and staging, shared by every protocol.

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use gantry_store::{StageError, StagedBlob};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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
    state
        .blobs()
        .stage(body.into_data_stream(), limit)
        .await
        .map_err(|e| match e {
            StageError::TooLarge { limit } => too_large(limit),
            StageError::Body(reason) => {
                ApiError::bad_request(format!("The upload was interrupted: {reason}"))
            }
            StageError::Io(e) => ApiError::internal("could not stage the upload", &e),
        })
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The package is larger than this server's limit of {limit} bytes."),
    )
}
