//! Feed administration: creating, changing and deleting feeds, with the
//! rules for their settings (see [`crate::services::feeds`]). The feed API
//! and the administration pages both call these.

use gantry_core::{Attribute, FeedName, FeedUsage};
use gantry_store::{FeedRecord, FeedSettings};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::feeds::{
    check_connectors, check_type_supported, check_type_unchanged, find, required_feed_type,
    resolve_pipeline_target,
};
use crate::state::AppState;

/// A feed as a client asks to create or change it. On update, absent
/// (`None`) fields keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedRequest {
    /// Required on create; on update, renames the feed.
    pub name: Option<String>,
    /// Required on create; cannot change on update.
    pub feed_type: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Default true.
    pub active: Option<bool>,
    /// Default `mixed`.
    pub usage: Option<String>,
    /// The promotion pipeline target: `Some(None)` (or an empty name)
    /// clears it, `None` keeps it.
    pub promote_to_feed: Option<Option<String>>,
    /// Default true.
    pub deployment_records_enabled: Option<bool>,
    /// Default false; lets a validated feed take direct uploads.
    pub allow_direct_uploads: Option<bool>,
    /// Connector names, in the order they are asked; replaces the list.
    pub connectors: Option<Vec<String>>,
    /// Default true: store what a connector serves on its first download.
    pub cache_connectors: Option<bool>,
    /// Default false: serve only stored packages, never asking a connector.
    pub offline: Option<bool>,
    /// Whether a pushed registry tag can never be moved.
    pub immutable_tags: Option<bool>,
}

/// Creates a feed once `caller` may manage feeds (and, for the connectors
/// it lists, connectors).
pub async fn create(state: &AppState, caller: &Caller, request: &FeedRequest) -> ApiResult<FeedRecord> {
    state.authorize(caller, Attribute::ManageFeeds, None)?;
    let name = request
        .name
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("name is required."))?;
    let name = FeedName::parse(name).map_err(|e| ApiError::bad_request(e.0))?;
    let feed_type = required_feed_type(request.feed_type.as_deref())?;
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
        immutable_tags: false,
    };
    apply(&mut settings, request)?;
    check_connectors(state, caller, &settings, &[]).await?;
    let target = request.promote_to_feed.as_ref().and_then(Option::as_deref);
    settings.promote_to_feed_id = resolve_pipeline_target(state, &settings, None, target).await?;
    let feed = state.meta().create_feed(&settings).await?;
    tracing::info!(feed = %feed.settings.name, feed_type = %feed_type, "feed created");
    Ok(feed)
}

/// Changes the feed named `name` (and may rename it) once `caller` may
/// manage it; absent fields keep their value.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    name: &str,
    request: &FeedRequest,
) -> ApiResult<FeedRecord> {
    let feed = find(state, name).await?;
    state.authorize(caller, Attribute::ManageFeeds, Some(&feed))?;
    let mut settings = feed.settings.clone();
    if let Some(new_name) = &request.name {
        let parsed = FeedName::parse(new_name).map_err(|e| ApiError::bad_request(e.0))?;
        parsed.as_str().clone_into(&mut settings.name);
    }
    check_type_unchanged(
        request.feed_type.as_deref(),
        settings.feed_type,
        &feed.settings.name,
        "feed",
    )?;
    apply(&mut settings, request)?;
    check_connectors(state, caller, &settings, &feed.settings.connectors).await?;
    if let Some(target) = &request.promote_to_feed {
        settings.promote_to_feed_id =
            resolve_pipeline_target(state, &settings, Some(feed.id), target.as_deref()).await?;
    }
    let updated = state.meta().update_feed(feed.id, &settings).await?;
    tracing::info!(feed = %updated.settings.name, "feed updated");
    Ok(updated)
}

/// Deletes the feed named `name` and its packages (their history is kept),
/// once `caller` may manage it; refused (409) while another feed promotes
/// to it.
pub async fn delete(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    let feed = find(state, name).await?;
    state.authorize(caller, Attribute::ManageFeeds, Some(&feed))?;
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
    Ok(())
}

/// Copies the plain fields of `request` onto `settings`.
fn apply(settings: &mut FeedSettings, request: &FeedRequest) -> ApiResult<()> {
    if let Some(description) = &request.description {
        settings.description.clone_from(description);
    }
    if let Some(active) = request.active {
        settings.active = active;
    }
    if let Some(usage) = &request.usage {
        settings.usage = usage.parse().map_err(ApiError::bad_request)?;
    }
    if let Some(enabled) = request.deployment_records_enabled {
        settings.deployment_records_enabled = enabled;
    }
    if let Some(allow) = request.allow_direct_uploads {
        settings.allow_direct_uploads = allow;
    }
    if let Some(connectors) = &request.connectors {
        settings.connectors.clone_from(connectors);
    }
    if let Some(cache) = request.cache_connectors {
        settings.cache_connectors = cache;
    }
    if let Some(offline) = request.offline {
        settings.offline = offline;
    }
    if let Some(immutable) = request.immutable_tags {
        settings.immutable_tags = immutable;
    }
    Ok(())
}
