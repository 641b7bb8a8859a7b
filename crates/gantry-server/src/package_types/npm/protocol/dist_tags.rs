//! `npm dist-tag ls/add/rm`: `GET /npm/{feed}/-/package/{name}/dist-tags`,
//! `PUT` and `DELETE .../dist-tags/{tag}`.

use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::Attribute;
use gantry_formats::npm::{self, Npm};
use gantry_formats::PackageFormat;
use gantry_store::{NewDistTag, PackageKey, StoreError};
use serde_json::Value;

use super::packument::effective_tags;
use super::{ok_json, package_not_found, visible_versions, PackagePath, FEED_TYPES};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::package_types::npm::LATEST;
use crate::services::feeds;
use crate::state::AppState;

/// A tag is a name npm accepts, and not something it would take for a version.
fn check_tag(tag: &str) -> ApiResult<()> {
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && npm::version_key(tag).is_err();
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "'{tag}' is not a valid dist-tag: use letters, digits, '-', '_' and '.', and not a version."
        )))
    }
}

/// Dispatches `/npm/{feed}/-/package/{name}/dist-tags[/{tag}]` by method.
pub async fn dist_tags(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, path)): Path<(String, String)>,
    request: Request,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    let package = PackagePath::parse(&path)?;
    let full_name = package.full_name();
    let method = request.method().clone();
    match (method, package.rest.as_slice()) {
        (Method::GET, [dist_tags]) if dist_tags == "dist-tags" => {
            state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
            let records = visible_versions(&state, &feed, &package.id).await?;
            if records.is_empty() {
                return Err(package_not_found(&full_name, &feed));
            }
            Ok(Json(effective_tags(&state, &feed, &package.id, &records).await?).into_response())
        }
        (Method::PUT, [dist_tags, tag]) if dist_tags == "dist-tags" => {
            state.authorize(&caller, Attribute::AddPackage, Some(&feed))?;
            check_tag(tag)?;
            let body = axum::body::to_bytes(request.into_body(), 4096)
                .await
                .map_err(|_| ApiError::bad_request("The body must be a JSON string naming a version."))?;
            let version: Value = serde_json::from_slice(&body)
                .map_err(|_| ApiError::bad_request("The body must be a JSON string naming a version."))?;
            let version = version
                .as_str()
                .ok_or_else(|| ApiError::bad_request("The body must be a JSON string naming a version."))?;
            let key = PackageKey {
                group_key: Npm.group_key(&package.id.group),
                name_key: Npm.name_key(&package.id.name),
                version_key: npm::version_key(version).map_err(|e| ApiError::bad_request(e.0))?,
            };
            let set = state
                .meta()
                .set_dist_tag(&NewDistTag {
                    feed_id: feed.id,
                    feed_name: feed.settings.name.clone(),
                    package_type: feed.settings.feed_type.package_type().to_owned(),
                    key,
                    tag: tag.clone(),
                    user: caller.user_name().to_owned(),
                })
                .await
                .map_err(|e| match e {
                    StoreError::NotFound(_) => ApiError::not_found(format!(
                        "Not found: {full_name}@{version} is not in feed '{}'.",
                        feed.settings.name
                    )),
                    other => other.into(),
                })?;
            tracing::info!(feed = %feed.settings.name, package = %full_name, tag = %tag, version = %set.version, "dist-tag set");
            Ok(ok_json(StatusCode::OK, serde_json::json!({})))
        }
        (Method::DELETE, [dist_tags, tag]) if dist_tags == "dist-tags" => {
            state.authorize(&caller, Attribute::AddPackage, Some(&feed))?;
            if tag == LATEST {
                return Err(ApiError::bad_request(
                    "The latest tag cannot be removed; point it at another version instead.",
                ));
            }
            let removed = state
                .meta()
                .delete_dist_tag(
                    feed.id,
                    &feed.settings.name,
                    &Npm.group_key(&package.id.group),
                    &Npm.name_key(&package.id.name),
                    tag,
                    caller.user_name(),
                )
                .await?;
            if !removed {
                return Err(ApiError::not_found(format!(
                    "Not found: {full_name} has no tag '{tag}'."
                )));
            }
            Ok(ok_json(StatusCode::OK, serde_json::json!({})))
        }
        _ => Err(ApiError::not_found("No such npm resource.")),
    }
}
