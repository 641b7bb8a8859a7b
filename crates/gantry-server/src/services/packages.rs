//! Finding package versions in a feed by identity and version spec.

use gantry_core::VersionSpec;
use gantry_formats::{pick_latest, PackageFormat, PackageId};
use gantry_store::{FeedRecord, PackageQuery, PackageRecord, PackageStatusChange};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A query on a feed's versions from client input, normalised by the format.
pub fn query(
    format: &dyn PackageFormat,
    group: Option<&str>,
    name: Option<&str>,
    version: Option<&str>,
) -> ApiResult<PackageQuery> {
    let version_key = match version {
        Some(v) => Some(format.version_key(v).map_err(|e| ApiError::bad_request(e.0))?),
        None => None,
    };
    Ok(PackageQuery {
        group_key: group.map(|g| format.group_key(g)),
        name_key: name.map(|n| format.name_key(n)),
        version_key,
    })
}

/// One version of a package: exact, `latest` or `latest-stable`; 404 when absent.
pub async fn find_version(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    id: &PackageId,
    spec: &VersionSpec,
) -> ApiResult<PackageRecord> {
    let exact = match spec {
        VersionSpec::Exact(v) => Some(v.as_str()),
        VersionSpec::Latest | VersionSpec::LatestStable => None,
    };
    let q = query(format, Some(&id.group), Some(&id.name), exact)?;
    let versions = state.meta().find_packages(feed.id, &q).await?;
    pick(feed, format, id, spec, versions)
}

/// Picks the version `spec` names among `candidates` (for an exact spec,
/// the candidates are that version already); 404 when none fits.
pub fn pick(
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    id: &PackageId,
    spec: &VersionSpec,
    mut candidates: Vec<PackageRecord>,
) -> ApiResult<PackageRecord> {
    let wanted = match spec {
        VersionSpec::Exact(_) => candidates.pop(),
        VersionSpec::Latest | VersionSpec::LatestStable => {
            let stable_only = *spec == VersionSpec::LatestStable;
            let latest = pick_latest(format, candidates.iter().map(|v| v.version.as_str()), stable_only)
                .map(str::to_owned);
            latest.and_then(|l| candidates.into_iter().find(|v| v.version == l))
        }
    };
    wanted.ok_or_else(|| {
        let display = if id.group.is_empty() {
            id.name.clone()
        } else {
            format!("{}/{}", id.group, id.name)
        };
        let which = match spec {
            VersionSpec::Exact(v) => format!("version {v}"),
            VersionSpec::Latest => "any version".to_owned(),
            VersionSpec::LatestStable => "a stable version".to_owned(),
        };
        ApiError::not_found(format!(
            "Package {display} has no {which} in feed '{}'.",
            feed.settings.name
        ))
    })
}

/// Deletes a package version (its blob is swept later, if nothing else uses it).
pub async fn delete(
    state: &AppState,
    caller: &crate::auth::Caller,
    feed: &FeedRecord,
    record: &PackageRecord,
) -> ApiResult<()> {
    if !state
        .meta()
        .delete_package(record.id, &feed.settings.name, caller.user_name())
        .await?
    {
        return Err(ApiError::not_found(format!(
            "Package {} {} was already deleted from feed '{}'.",
            record.name, record.version, feed.settings.name
        )));
    }
    tracing::info!(feed = %feed.settings.name, package = %record.name, version = %record.version, "package deleted");
    Ok(())
}

/// Changes a version's listed/deprecated status, recording it in its history.
pub async fn set_status(
    state: &AppState,
    caller: &crate::auth::Caller,
    feed: &FeedRecord,
    record: &PackageRecord,
    change: &PackageStatusChange,
) -> ApiResult<PackageRecord> {
    let updated = state
        .meta()
        .set_package_status(record.id, change, &feed.settings.name, caller.user_name())
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Package {} {} was deleted from feed '{}'.",
                record.name, record.version, feed.settings.name
            ))
        })?;
    tracing::info!(feed = %feed.settings.name, package = %record.name, version = %record.version,
        listed = updated.listed, deprecated = updated.deprecated, "package status changed");
    Ok(updated)
}
