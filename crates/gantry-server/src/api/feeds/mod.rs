//! Feed management: `/api/management/feeds/...`.

pub mod model;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use gantry_core::{Attribute, FeedName, FeedUsage, Principal};
use gantry_store::{FeedRecord, FeedSettings};

use crate::api::extract::JsonBody;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::feeds::{
    check_connectors, check_type_supported, check_type_unchanged, find, required_feed_type,
    resolve_pipeline_target,
};
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
    state.authorize(&caller, Attribute::ManageFeeds, None)?;
    let name = input
        .name
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("name is required."))?;
    let name = FeedName::parse(name).map_err(|e| ApiError::bad_request(e.0))?;
    let feed_type = required_feed_type(input.feed_type.as_deref())?;
    check_type_supported(feed_type)?;
    let mut settings = FeedSettings {
        name: name.as_str().to_owned(),
        feed_type,
        description: String::new(),
        active: true,
        usage: FeedUsage::default(),
        promote_to_feed_id: None,
        deployment_records_enabled: true,
        alternate_names: Vec::new(),
        allow_direct_uploads: false,
        connectors: Vec::new(),
        cache_connectors: true,
        offline: false,
    };
    apply(&mut settings, &input)?;
    check_connectors(&state, &caller, &settings, &[]).await?;
    let target = input.promote_to_feed.as_ref().and_then(Option::as_deref);
    settings.promote_to_feed_id = resolve_pipeline_target(&state, &settings, None, target).await?;
    let feed = state.meta().create_feed(&settings).await?;
    tracing::info!(feed = %feed.settings.name, feed_type = %feed_type, "feed created");
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
    let feed = find(&state, &name).await?;
    state.authorize(&caller, Attribute::ManageFeeds, Some(&feed))?;
    let mut settings = feed.settings.clone();
    if let Some(new_name) = &input.name {
        let parsed = FeedName::parse(new_name).map_err(|e| ApiError::bad_request(e.0))?;
        parsed.as_str().clone_into(&mut settings.name);
    }
    check_type_unchanged(
        input.feed_type.as_deref(),
        settings.feed_type,
        &feed.settings.name,
        "feed",
    )?;
    apply(&mut settings, &input)?;
    check_connectors(&state, &caller, &settings, &feed.settings.connectors).await?;
    if let Some(target) = &input.promote_to_feed {
        settings.promote_to_feed_id =
            resolve_pipeline_target(&state, &settings, Some(feed.id), target.as_deref()).await?;
    }
    let updated = state.meta().update_feed(feed.id, &settings).await?;
    tracing::info!(feed = %updated.settings.name, "feed updated");
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
    let feed = find(&state, &name).await?;
    state.authorize(&caller, Attribute::ManageFeeds, Some(&feed))?;
    if let Some(source) = state
        .meta()
        .list_feeds()
        .await?
        .iter()
        .find(|f: &&FeedRecord| f.settings.promote_to_feed_id == Some(feed.id))
    {
        return Err(ApiError::conflict(format!(
            "Feed '{}' is the promotion target of feed '{}'; change that feed's promoteToFeed first.",
            feed.settings.name, source.settings.name
        )));
    }
    state.meta().delete_feed(feed.id).await?;
    tracing::info!(feed = %feed.settings.name, "feed deleted");
    Ok(StatusCode::OK)
}

/// Copies the plain fields of `input` onto `settings`.
fn apply(settings: &mut FeedSettings, input: &FeedInput) -> ApiResult<()> {
    if let Some(description) = &input.description {
        settings.description.clone_from(description);
    }
    if let Some(active) = input.active {
        settings.active = active;
    }
    if let Some(usage) = &input.usage {
        settings.usage = usage.parse().map_err(ApiError::bad_request)?;
    }
    if let Some(enabled) = input.deployment_records_enabled {
        settings.deployment_records_enabled = enabled;
    }
    if let Some(allow) = input.allow_direct_uploads {
        settings.allow_direct_uploads = allow;
    }
    if let Some(connectors) = &input.connectors {
        settings.connectors.clone_from(connectors);
    }
    if let Some(cache) = input.cache_connectors {
        settings.cache_connectors = cache;
    }
    if let Some(offline) = input.offline {
        settings.offline = offline;
    }
    Ok(())
}
