//! The history of a package version: one ordered list across every feed of
//! its kind, limited to the feeds the caller may view.

use gantry_core::FeedType;
use gantry_store::{FeedRecord, PackageEvent, PackageKey};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// Every event of the version `key` (published, promoted, deployed, status
/// changes, deleted) in the feeds of `feed`'s kind the caller may view
/// (NuGet, Chocolatey and PowerShell share one), oldest first.
pub async fn of_version(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    key: &PackageKey,
) -> ApiResult<Vec<PackageEvent>> {
    let family = feed.settings.feed_type.promotion_family();
    let types: Vec<String> = FeedType::ALL
        .iter()
        .filter(|t| t.promotion_family() == family)
        .map(|t| t.package_type().to_owned())
        .collect();
    let visible = crate::services::feeds::visibility(state, caller).await?;
    let mut events = state.meta().package_events(&types, key).await?;
    // An event is listed only when every feed it names is visible: a
    // promotion's event also names the feed it came from.
    events.retain(|e| {
        visible.allows(&e.feed_name)
            && e.details
                .get("fromFeed")
                .and_then(serde_json::Value::as_str)
                .is_none_or(|from| visible.allows(from))
    });
    Ok(events)
}
