//! Publishing: from a staged, format-validated upload to a stored package.

use gantry_core::Attribute;
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::{AddOutcome, FeedRecord, NewPackage, PackageKey, PackageRecord, StagedBlob};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A package as its format read it from the upload.
pub struct ParsedPackage {
    /// Group and name.
    pub id: PackageId,
    /// Version as written.
    pub version: String,
    /// The manifest, kept as JSON.
    pub metadata: serde_json::Value,
    /// Files stored beside the package file, by qualifier (a NuGet
    /// version's `.nuspec`, say); usually none.
    pub extra_files: Vec<(String, StagedBlob)>,
    /// Dist-tags to point at the new version (npm's `latest`).
    pub dist_tags: Vec<String>,
    /// Whether the format forbids replacing a published version whatever
    /// the caller's rights (NuGet and npm clients cache versions for good).
    pub immutable: bool,
}

/// Stores a staged upload as a version of `parsed` in `feed`.
///
/// The caller must already hold the add permission (checked before the body
/// was read). Re-publishing an existing version needs the overwrite
/// permission and a format whose versions are not immutable; it is 409 otherwise. The blob is leased before it
/// is committed so the sweep cannot collect it in between, and the package
/// row, its files and its history event are written in one transaction:
/// whatever fails, no half package is left.
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    staged: StagedBlob,
    parsed: ParsedPackage,
) -> ApiResult<PackageRecord> {
    format
        .validate_id(&parsed.id)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let key = PackageKey {
        group_key: format.group_key(&parsed.id.group),
        name_key: format.name_key(&parsed.id.name),
        version_key: format
            .version_key(&parsed.version)
            .map_err(|e| ApiError::bad_request(e.0))?,
    };
    let overwrite = !parsed.immutable && state.may(caller, Attribute::OverwritePackage, Some(feed));
    state.meta().lease_blob(staged.info()).await?;
    let blob = state.blobs().commit(staged).await?;
    let mut files = vec![(String::new(), blob.sha256)];
    for (qualifier, extra) in parsed.extra_files {
        state.meta().lease_blob(extra.info()).await?;
        files.push((qualifier, state.blobs().commit(extra).await?.sha256));
    }
    let package = NewPackage {
        feed_id: feed.id,
        feed_name: feed.settings.name.clone(),
        package_type: feed.settings.feed_type.package_type().to_owned(),
        group: parsed.id.group.clone(),
        name: parsed.id.name.clone(),
        version: parsed.version.clone(),
        key,
        published_by: caller.user_name().to_owned(),
        metadata: parsed.metadata,
        files,
        dist_tags: parsed.dist_tags,
        connector: None,
    };
    match state.meta().add_package(&package, overwrite).await? {
        AddOutcome::Added(record) | AddOutcome::Replaced(record) => {
            tracing::info!(feed = %feed.settings.name, package = %record.name, version = %record.version, "package published");
            Ok(record)
        }
        AddOutcome::Exists => {
            let display = if parsed.id.group.is_empty() {
                parsed.id.name
            } else {
                format!("{}/{}", parsed.id.group, parsed.id.name)
            };
            let why = if parsed.immutable {
                "published versions of this package type never change: publish a new version"
            } else {
                "this key may not overwrite it"
            };
            Err(ApiError::conflict(format!(
                "Package {display} version {} already exists in feed '{}'; {why}.",
                parsed.version, feed.settings.name
            )))
        }
    }
}
