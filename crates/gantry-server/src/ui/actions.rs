//! The version page's actions: promote, change status, delete. Each checks
//! the form's CSRF token, then goes through the same services (and so the
//! same authorization) as the API.

use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::{Attribute, VersionSpec};
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::{FeedRecord, PackageRecord};
use serde::Deserialize;

use super::page::{see_other, UiError};
use super::session::Viewer;
use super::view;
use crate::error::{ApiError, ApiResult};
use crate::services::feeds;
use crate::services::packages::{self, StatusRequest};
use crate::services::promote::{promote as promote_version, PromoteRequest};
use crate::state::AppState;

/// The Promote Package dialog's form.
#[derive(Debug, Deserialize)]
pub struct PromoteForm {
    csrf: String,
    #[serde(default)]
    group: String,
    #[serde(rename = "toFeed", default)]
    to_feed: String,
    #[serde(default)]
    comments: String,
}

/// Promotes the version, then shows the target feed's copy with its history.
pub async fn promote(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((feed, name, version)): Path<(String, String, String)>,
    Form(form): Form<PromoteForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    let promoted = promote_version(
        &state,
        &viewer.caller,
        &PromoteRequest {
            from_feed: Some(feed),
            to_feed: Some(form.to_feed),
            name: Some(name),
            group: Some(form.group),
            version: Some(version),
            comments: Some(form.comments),
        },
    )
    .await?;
    let p = &promoted.package;
    let history = view::version_link(
        &promoted.promotion.to_feed,
        &p.group,
        &p.name,
        &p.version,
        Some("history"),
    );
    Ok(see_other(&view::with_param(&history, "done", "promoted")))
}

/// The status dialogs' form: each sends only what it changes.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    csrf: String,
    #[serde(default)]
    group: String,
    listed: Option<bool>,
    deprecated: Option<bool>,
    #[serde(rename = "deprecationReason")]
    deprecation_reason: Option<String>,
}

/// The version a page's address names in `feed`, found the way the
/// packages API finds it (`version` may be `latest`); 404 when absent.
async fn named_version(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    group: &str,
    name: &str,
    version: &str,
) -> ApiResult<PackageRecord> {
    if name.is_empty() {
        return Err(ApiError::bad_request("name (or purl) is required."));
    }
    let id = PackageId {
        group: group.to_owned(),
        name: name.to_owned(),
    };
    packages::find_version(state, feed, format, &id, &VersionSpec::parse(version)).await
}

/// Unlists, lists again, deprecates or removes a deprecation, through the
/// same services as the packages API, which hold the rules (reason length,
/// allowDownload).
pub async fn status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((feed, name, version)): Path<(String, String, String)>,
    Form(form): Form<StatusForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    let done = match (form.listed, form.deprecated) {
        (Some(false), _) => "unlisted",
        (Some(true), _) => "listed",
        (None, Some(true)) => "deprecated",
        (None, Some(false)) => "undeprecated",
        (None, None) => {
            return Err(UiError::bad_request(
                "Nothing to change: send listed or deprecated.",
            ))
        }
    };
    let request = StatusRequest {
        listed: form.listed,
        deprecated: form.deprecated,
        deprecation_reason: if form.deprecated == Some(false) {
            Some(String::new())
        } else {
            form.deprecation_reason
        },
        allow_download: None,
    };
    let (found, format) =
        feeds::find_authorized(&state, &viewer.caller, &feed, Attribute::UnlistPackage).await?;
    let change = packages::check_status(request)?;
    let record = named_version(&state, &found, format, &form.group, &name, &version).await?;
    let v = packages::set_status(&state, &viewer.caller, &found, &record, &change).await?;
    let page = view::version_link(&feed, &form.group, &v.name, &v.version, None);
    Ok(see_other(&view::with_param(&page, "done", done)))
}

/// The delete dialog's form.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    csrf: String,
    #[serde(default)]
    group: String,
}

/// Deletes the version from this feed, then shows the feed.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((feed, name, version)): Path<(String, String, String)>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    let (found, format) =
        feeds::find_authorized(&state, &viewer.caller, &feed, Attribute::DeletePackage).await?;
    let record = named_version(&state, &found, format, &form.group, &name, &version).await?;
    packages::delete(&state, &viewer.caller, &found, &record).await?;
    Ok(see_other(&view::with_param(
        &view::feed_link(&feed),
        "done",
        "deleted",
    )))
}
