//! Finding package versions in a feed by identity and version spec.

use gantry_core::VersionSpec;
use gantry_formats::{pick_latest, PackageFormat, PackageId};
use gantry_store::{FeedRecord, PackageFileRecord, PackageQuery, PackageRecord, PackageStatusChange};

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
    // A group folded into the name (an OCI repository) is no group.
    let (group, name) = match (group, name) {
        (Some(group), Some(name)) if !group.is_empty() => {
            let id = format.identity(group, name);
            let group = (format.has_groups() || !id.group.is_empty()).then_some(id.group);
            (group, Some(id.name))
        }
        (group, name) => (group.map(str::to_owned), name.map(str::to_owned)),
    };
    Ok(PackageQuery {
        group_key: group.map(|g| format.group_key(&g)),
        name_key: name.map(|n| format.name_key(&n)),
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

/// Downloads of every version of `record`'s package in `feed`.
pub async fn total_downloads(state: &AppState, feed: &FeedRecord, record: &PackageRecord) -> ApiResult<i64> {
    Ok(state
        .meta()
        .find_packages(
            feed.id,
            &PackageQuery {
                group_key: Some(record.key.group_key.clone()),
                name_key: Some(record.key.name_key.clone()),
                version_key: None,
            },
        )
        .await?
        .iter()
        .map(|r| r.downloads)
        .sum())
}

/// The file of a version a client names, by file name or qualifier.
pub fn file_of<'a>(record: &'a PackageRecord, wanted: &str) -> Option<&'a PackageFileRecord> {
    record
        .files
        .iter()
        .find(|f| f.file_name == wanted)
        .or_else(|| record.files.iter().find(|f| f.qualifier == wanted))
}

/// The longest deprecation reason kept, in characters.
pub const MAX_DEPRECATION_REASON: usize = 4000;

/// A change of a version's status as a client asks it; absent (`None`)
/// fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusRequest {
    /// Listed versions show in searches and "latest" listings of clients.
    pub listed: Option<bool>,
    /// Deprecated versions still install, with a warning.
    pub deprecated: Option<bool>,
    /// Why it is deprecated (setting it alone does not deprecate).
    pub deprecation_reason: Option<String>,
    /// Gantry always allows downloads; only `true` is accepted.
    pub allow_download: Option<bool>,
}

/// Checks a requested status change against the rules every client meets
/// (downloads cannot be turned off; a deprecation reason is at most
/// [`MAX_DEPRECATION_REASON`] characters) and gives the change for
/// [`set_status`]. Callers check it once the caller is authorized on the
/// feed and before they look the version up, so that a refused change is
/// answered the same whether or not the version exists.
pub fn check_status(request: StatusRequest) -> ApiResult<PackageStatusChange> {
    if request.allow_download == Some(false) {
        return Err(ApiError::bad_request(
            "allowDownload=false is not supported: unlist or delete the version instead.",
        ));
    }
    if request
        .deprecation_reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_DEPRECATION_REASON)
    {
        return Err(ApiError::bad_request(format!(
            "deprecationReason must be at most {MAX_DEPRECATION_REASON} characters."
        )));
    }
    Ok(PackageStatusChange {
        listed: request.listed,
        deprecated: request.deprecated,
        deprecation_reason: request.deprecation_reason,
    })
}
