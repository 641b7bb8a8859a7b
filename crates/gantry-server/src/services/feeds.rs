//! Feed look-ups and the rules for feed settings.

use std::collections::HashSet;

use gantry_core::{Attribute, FeedName, FeedType};
use gantry_formats::PackageFormat;
use gantry_store::{FeedRecord, FeedSettings, FeedVisibility};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::package_types::{self, PackageType};
use crate::state::AppState;

/// The feed named `name`, or 404.
pub async fn find(state: &AppState, name: &str) -> ApiResult<FeedRecord> {
    let name = FeedName::parse(name).map_err(|e| ApiError::bad_request(e.0))?;
    state
        .meta()
        .get_feed(&name.key())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Feed '{name}' was not found.")))
}

/// The feed named `name`, which must be active: an inactive feed serves
/// nothing and takes nothing.
pub async fn find_active(state: &AppState, name: &str) -> ApiResult<FeedRecord> {
    let feed = find(state, name).await?;
    if !feed.settings.active {
        return Err(ApiError::not_found(format!("Feed '{name}' is inactive.")));
    }
    Ok(feed)
}

/// The feed named `name` for a protocol endpoint: it must exist, be active,
/// and be of one of the `expected` types.
pub async fn find_for_protocol(state: &AppState, name: &str, expected: &[FeedType]) -> ApiResult<FeedRecord> {
    let feed = find_active(state, name).await?;
    if !expected.contains(&feed.settings.feed_type) {
        return Err(ApiError::not_found(format!(
            "Feed '{}' is a {} feed; this endpoint serves {} feeds.",
            feed.settings.name,
            feed.settings.feed_type,
            expected.iter().map(|t| t.id()).collect::<Vec<_>>().join(" or ")
        )));
    }
    Ok(feed)
}

/// Which feeds' records (promotions, deployments, history events) `caller`
/// may see, decided feed by feed: a per-feed deny hides that feed's records
/// even from a caller who may view every other feed. An anonymous caller
/// who may see no feed at all is challenged (401).
pub async fn visibility(state: &AppState, caller: &Caller) -> ApiResult<FeedVisibility> {
    let feeds = state.meta().list_feeds().await?;
    let (visible, hidden): (Vec<&FeedRecord>, Vec<&FeedRecord>) = feeds
        .iter()
        .partition(|f| state.may(caller, Attribute::ViewPackages, Some(f)));
    let keys = |feeds: Vec<&FeedRecord>| -> Vec<String> {
        feeds
            .iter()
            .map(|f| f.settings.name.to_ascii_lowercase())
            .collect()
    };
    if state.may(caller, Attribute::ViewPackages, None) {
        // Records of deleted feeds stay visible to those who may view all
        // feeds: no rule of theirs is left to deny them.
        return Ok(FeedVisibility::AllBut(keys(hidden)));
    }
    if visible.is_empty() && caller.principal == gantry_core::Principal::Anonymous {
        return Err(ApiError::challenge());
    }
    Ok(FeedVisibility::Only(keys(visible)))
}

/// The feed named `name` with its format, once `caller` is allowed `attribute` on it.
pub async fn find_authorized(
    state: &AppState,
    caller: &Caller,
    name: &str,
    attribute: Attribute,
) -> ApiResult<(FeedRecord, &'static dyn PackageFormat)> {
    let feed = find(state, name).await?;
    state.authorize(caller, attribute, Some(&feed))?;
    let format = format_of(&feed)?;
    Ok((feed, format))
}

/// The package type a feed holds.
pub fn package_type_of(feed: &FeedRecord) -> ApiResult<&'static dyn PackageType> {
    package_types::for_feed_type(feed.settings.feed_type).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Feed type '{}' is not supported yet.",
            feed.settings.feed_type
        ))
    })
}

/// The format of a feed's packages.
pub fn format_of(feed: &FeedRecord) -> ApiResult<&'static dyn PackageFormat> {
    package_type_of(feed).map(PackageType::format)
}

/// The `feedType` of a create request: required, and one Gantry knows.
pub fn required_feed_type(raw: Option<&str>) -> ApiResult<FeedType> {
    raw.ok_or_else(|| ApiError::bad_request("feedType is required."))?
        .parse()
        .map_err(|e: gantry_core::feed::UnknownFeedType| ApiError::bad_request(e.to_string()))
}

/// Refuses an update whose `feedType` differs from `current`: the type of a
/// feed or connector is fixed at creation. `what` names the object (`feed`,
/// `connector`) in the message.
pub fn check_type_unchanged(
    requested: Option<&str>,
    current: FeedType,
    name: &str,
    what: &str,
) -> ApiResult<()> {
    let Some(requested) = requested else {
        return Ok(());
    };
    if required_feed_type(Some(requested))? != current {
        return Err(ApiError::bad_request(format!(
            "feedType cannot change: '{name}' is a {current} {what}."
        )));
    }
    Ok(())
}

/// Checks a feed type can be created on this server.
pub fn check_type_supported(feed_type: FeedType) -> ApiResult<()> {
    if package_types::for_feed_type(feed_type).is_some() {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Feed type '{feed_type}' is not supported yet by this server; supported types: {}.",
            package_types::served_feed_types()
                .map(FeedType::id)
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

/// Resolves a `promoteToFeed` name for a feed being created (`own_id`
/// `None`) or updated, refusing a target that does not exist, has another
/// package type, is the feed itself, or would close a loop.
pub async fn resolve_pipeline_target(
    state: &AppState,
    settings: &FeedSettings,
    own_id: Option<i64>,
    target: Option<&str>,
) -> ApiResult<Option<i64>> {
    let Some(target) = target.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if target.eq_ignore_ascii_case(&settings.name) {
        return Err(ApiError::bad_request(
            "promoteToFeed: a feed cannot promote to itself.",
        ));
    }
    let target_feed = find(state, target)
        .await
        .map_err(|_| ApiError::bad_request(format!("promoteToFeed: feed '{target}' does not exist.")))?;
    if Some(target_feed.id) == own_id {
        return Err(ApiError::bad_request(
            "promoteToFeed: a feed cannot promote to itself.",
        ));
    }
    if target_feed.settings.feed_type.promotion_family() != settings.feed_type.promotion_family() {
        return Err(ApiError::bad_request(format!(
            "promoteToFeed: feed '{}' is a {} feed and cannot receive {} packages.",
            target_feed.settings.name, target_feed.settings.feed_type, settings.feed_type
        )));
    }
    // Follow the chain from the target: it must never come back to this feed.
    if let Some(own_id) = own_id {
        let feeds = state.meta().list_feeds().await?;
        let mut seen = HashSet::new();
        let mut next = Some(target_feed.id);
        while let Some(id) = next {
            if id == own_id {
                return Err(ApiError::bad_request(format!(
                    "promoteToFeed: promoting to '{}' would form a loop in the promotion pipeline.",
                    target_feed.settings.name
                )));
            }
            if !seen.insert(id) {
                break;
            }
            next = feeds
                .iter()
                .find(|f| f.id == id)
                .and_then(|f| f.settings.promote_to_feed_id);
        }
    }
    Ok(Some(target_feed.id))
}

/// Checks the connectors a feed lists: each must exist, serve the feed's
/// package type, and be listed once.
///
/// Adding a connector that the feed did not list (`previous`) also needs
/// the right to manage connectors: a connector may carry an upstream's
/// credentials, and whoever attaches it reads that upstream through them.
pub async fn check_connectors(
    state: &AppState,
    caller: &Caller,
    settings: &FeedSettings,
    previous: &[String],
) -> ApiResult<()> {
    let mut seen = HashSet::new();
    for name in &settings.connectors {
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "connectors: '{name}' is listed twice."
            )));
        }
        if !previous.iter().any(|p| p.eq_ignore_ascii_case(name)) {
            state.authorize(caller, Attribute::ManageConnectors, None)?;
        }
        let connector = state
            .meta()
            .get_connector(&name.to_ascii_lowercase())
            .await?
            .ok_or_else(|| {
                ApiError::bad_request(format!("connectors: there is no connector named '{name}'."))
            })?;
        if connector.settings.feed_type.promotion_family() != settings.feed_type.promotion_family() {
            return Err(ApiError::bad_request(format!(
                "connectors: '{}' is a {} connector and cannot serve a {} feed.",
                connector.settings.name, connector.settings.feed_type, settings.feed_type
            )));
        }
    }
    Ok(())
}
