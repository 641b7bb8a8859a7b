//! Feed management: `/api/management/feeds/...`.

pub mod model;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use gantry_core::{Attribute, Principal};

use crate::api::extract::JsonBody;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::feed_admin;
use crate::services::feeds::find;
use crate::state::AppState;
use model::{FeedInfo, FeedInput};

/// Creates a feed.
#[utoipa::path(post, path = "/api/management/feeds/create", tag = "feeds",
    request_body = FeedInput,
    responses((status = 201, body = FeedInfo), (status = 400, description = "invalid feed"),
        (status = 401), (status = 403), (status = 409, description = "the name is taken"), (status = 415, description = "the body is not sent as application/json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<FeedInput>,
) -> ApiResult<(StatusCode, Json<FeedInfo>)> {
    let feed = feed_admin::create(&state, &caller, &input.into()).await?;
    Ok((StatusCode::CREATED, Json(FeedInfo::from(&feed))))
}

/// Lists the feeds the caller may view.
#[utoipa::path(get, path = "/api/management/feeds/list", tag = "feeds",
    responses((status = 200, body = [FeedInfo]), (status = 401), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<FeedInfo>>> {
    let feeds = state.meta().list_feeds().await?;
    let visible: Vec<FeedInfo> = feeds
        .iter()
        .filter(|f| state.may(&caller, Attribute::ViewPackages, Some(f)))
        .map(FeedInfo::from)
        .collect();
    if visible.is_empty() && !feeds.is_empty() && caller.principal == Principal::Anonymous {
        // Anonymous may see nothing: ask for credentials rather than
        // pretend there are no feeds. Signed-in callers get what they may see.
        return Err(ApiError::challenge());
    }
    Ok(Json(visible))
}

/// One feed.
#[utoipa::path(get, path = "/api/management/feeds/get/{name}", tag = "feeds",
    params(("name" = String, Path, description = "feed name")),
    responses((status = 200, body = FeedInfo), (status = 400, description = "the name is not a valid feed name"), (status = 401), (status = 403), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<FeedInfo>> {
    let feed = find(&state, &name).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    Ok(Json(FeedInfo::from(&feed)))
}

/// Changes a feed; absent fields keep their value.
#[utoipa::path(post, path = "/api/management/feeds/update/{name}", tag = "feeds",
    params(("name" = String, Path, description = "feed name")),
    request_body = FeedInput,
    responses((status = 200, body = FeedInfo), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 415, description = "the body is not sent as application/json")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(input): JsonBody<FeedInput>,
) -> ApiResult<Json<FeedInfo>> {
    let updated = feed_admin::update(&state, &caller, &name, &input.into()).await?;
    Ok(Json(FeedInfo::from(&updated)))
}

/// Deletes a feed and its packages (their history is kept).
#[utoipa::path(delete, path = "/api/management/feeds/delete/{name}", tag = "feeds",
    params(("name" = String, Path, description = "feed name")),
    responses((status = 200), (status = 400, description = "the name is not a valid feed name"), (status = 401), (status = 403), (status = 404), (status = 409, description = "the feed is another feed's promotion target")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    feed_admin::delete(&state, &caller, &name).await?;
    Ok(StatusCode::OK)
}
