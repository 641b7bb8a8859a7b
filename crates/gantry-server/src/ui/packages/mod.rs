//! A package's page (its versions) and a version's page with its tabs:
//! Overview, History and Deployments, and the actions the viewer may take.

mod history;
mod package_page;
mod presentation;
mod version_page;

pub use package_page::package;
pub use presentation::describe;
pub use version_page::{promotion_targets, version, TargetFeed};

use gantry_core::Attribute;
use gantry_formats::PackageFormat;
use gantry_store::FeedRecord;
use serde::Deserialize;

use super::page::UiError;
use super::session::Viewer;
use crate::services::feeds;
use crate::state::AppState;

/// Which package: the group comes in the query string (it may hold `/`).
#[derive(Debug, Default, Deserialize)]
pub struct PackageQuery {
    /// Group, scope or namespace.
    #[serde(default)]
    pub group: String,
    /// The version page's tab: `overview`, `history` or `deployments`.
    pub tab: Option<String>,
    /// History filter: one action.
    pub action: Option<String>,
    /// A change that just succeeded (fixed texts only).
    pub done: Option<String>,
    /// An action's dialog to show open: how the Actions menu works
    /// without script.
    pub dialog: Option<String>,
}

async fn find_feed(
    state: &AppState,
    viewer: &Viewer,
    feed: &str,
) -> Result<(FeedRecord, &'static dyn PackageFormat), UiError> {
    Ok(feeds::find_authorized(state, &viewer.caller, feed, Attribute::ViewPackages).await?)
}
