//! Publishing: from a staged, format-validated upload to a stored package.

use gantry_core::Attribute;
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::{
    AddFileOutcome, AddOutcome, FeedRecord, MetadataOnAdd, NewFileUpload, NewPackage, NewPackageFile,
    PackageKey, PackageRecord, StagedBlob,
};

use crate::auth::keys::SYSTEM_USER;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::protocols::upload::commit_staged;
use crate::state::AppState;

/// A package as its type read it from an upload.
pub struct ParsedPackage {
    /// Group and name.
    pub id: PackageId,
    /// Version as written.
    pub version: String,
    /// The manifest, kept as JSON.
    pub metadata: serde_json::Value,
    /// Files stored beside the package file (a NuGet version's `.nuspec`,
    /// say); usually none.
    pub extra_files: Vec<ExtraFile>,
    /// Dist-tags to point at the new version (npm's `latest`).
    pub dist_tags: Vec<String>,
    /// The package file's qualifier and name, when the format's default
    /// (no qualifier, [`PackageFormat::file_name`]) does not fit: a Maven
    /// version fetched through a connector starts with its pom.
    pub main_file: Option<(String, String)>,
}

/// A file stored beside a version's main file.
pub struct ExtraFile {
    /// Which file of the version it is (unique within the version).
    pub qualifier: String,
    /// The name it is downloaded under.
    pub file_name: String,
    /// Its bytes, staged.
    pub staged: StagedBlob,
}

impl ParsedPackage {
    /// A package with no extra files and no dist-tags.
    pub fn new(id: PackageId, version: String, metadata: serde_json::Value) -> Self {
        Self {
            id,
            version,
            metadata,
            extra_files: Vec::new(),
            dist_tags: Vec::new(),
            main_file: None,
        }
    }

    /// Names the package file (its qualifier and file name).
    #[must_use]
    pub fn with_main_file(mut self, qualifier: &str, file_name: &str) -> Self {
        self.main_file = Some((qualifier.to_owned(), file_name.to_owned()));
        self
    }

    /// Adds a file stored beside the package file.
    #[must_use]
    pub fn with_extra_file(mut self, qualifier: &str, file_name: String, staged: StagedBlob) -> Self {
        self.extra_files.push(ExtraFile {
            qualifier: qualifier.to_owned(),
            file_name,
            staged,
        });
        self
    }

    /// Sets the dist-tags to point at the new version.
    #[must_use]
    pub fn with_dist_tags(mut self, tags: Vec<String>) -> Self {
        self.dist_tags = tags;
        self
    }
}

/// Stores a staged upload as a version of `parsed` in `feed`.
///
/// The caller must already hold the add permission (checked before the body
/// was read). Re-publishing an existing version needs the overwrite
/// permission and a format whose versions are not immutable; it is 409
/// otherwise. The blob is leased before it is committed so the sweep
/// cannot collect it in between, and the package
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
    let immutable = format.versions_are_immutable();
    let overwrite = !immutable && state.may(caller, Attribute::OverwritePackage, Some(feed));
    let display = display_name(&parsed);
    let version = parsed.version.clone();
    match store(
        state,
        feed,
        format,
        staged,
        parsed,
        caller.user_name(),
        overwrite,
        None,
    )
    .await?
    {
        AddOutcome::Added(record) | AddOutcome::Replaced(record) => {
            tracing::info!(feed = %feed.settings.name, package = %record.name, version = %record.version, "package published");
            Ok(record)
        }
        AddOutcome::Exists => {
            let why = if immutable {
                "published versions of this package type never change: publish a new version"
            } else {
                "this key may not overwrite it"
            };
            Err(ApiError::conflict(format!(
                "Package {display} version {version} already exists in feed '{}'; {why}.",
                feed.settings.name
            )))
        }
    }
}

/// Stores a package fetched through `connector` into `feed`, published by
/// `SYSTEM` with an `added` event naming the connector. When the version
/// is there already (another node fetched it first), that one is returned.
pub async fn store_fetched(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    staged: StagedBlob,
    parsed: ParsedPackage,
    connector: &str,
) -> ApiResult<PackageRecord> {
    let id = parsed.id.clone();
    let version = parsed.version.clone();
    match store(
        state,
        feed,
        format,
        staged,
        parsed,
        SYSTEM_USER,
        false,
        Some(connector),
    )
    .await?
    {
        AddOutcome::Added(record) | AddOutcome::Replaced(record) => {
            tracing::info!(feed = %feed.settings.name, package = %record.name, version = %record.version,
                connector, "package cached from connector");
            Ok(record)
        }
        AddOutcome::Exists => {
            let spec = gantry_core::VersionSpec::Exact(version);
            crate::services::packages::find_version(state, feed, format, &id, &spec).await
        }
    }
}

/// One file of a version arriving by its own request (Maven's jar, pom and
/// sources; a PyPI wheel).
pub struct NewFile {
    /// Which file of the version it is (unique within the version).
    pub qualifier: String,
    /// The name it is downloaded under.
    pub file_name: String,
    /// Whether a file of that qualifier holding other bytes may be
    /// replaced (otherwise that is 409).
    pub replace: bool,
    /// Whether `parsed.metadata` replaces an existing version's (a pom read
    /// after the jar) or only serves when the file creates the version.
    pub metadata: MetadataOnAdd,
}

/// Adds one file to a version of `parsed` in `feed`, creating the version
/// with its first file (`added`) and recording each later file
/// (`file-added`, `file-replaced`) in one transaction each. The caller must
/// already hold the add permission. The same bytes again change nothing; other
/// bytes under a stored qualifier are 409 unless `file.replace`.
pub async fn add_file(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    staged: StagedBlob,
    parsed: ParsedPackage,
    file: NewFile,
) -> ApiResult<AddFileOutcome> {
    add_file_as(
        state,
        feed,
        format,
        staged,
        parsed,
        file,
        caller.user_name(),
        None,
    )
    .await
}

/// [`add_file`] for a file fetched through `connector`: added by `SYSTEM`,
/// and a version it creates names the connector in its `added` event.
pub async fn add_fetched_file(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    staged: StagedBlob,
    parsed: ParsedPackage,
    file: NewFile,
    connector: &str,
) -> ApiResult<AddFileOutcome> {
    add_file_as(
        state,
        feed,
        format,
        staged,
        parsed,
        file,
        SYSTEM_USER,
        Some(connector),
    )
    .await
}

#[allow(clippy::too_many_arguments)] // one private step shared by the two entry points above
async fn add_file_as(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    staged: StagedBlob,
    parsed: ParsedPackage,
    file: NewFile,
    published_by: &str,
    connector: Option<&str>,
) -> ApiResult<AddFileOutcome> {
    let key = identity_key(format, &parsed)?;
    let sha256 = commit_staged(state, staged).await?.sha256;
    let display = display_name(&parsed);
    let files = vec![NewPackageFile {
        qualifier: file.qualifier,
        file_name: file.file_name.clone(),
        sha256: sha256.clone(),
    }];
    let upload = NewFileUpload {
        package: package_row(feed, key, parsed, files, published_by, connector),
        replace: file.replace,
        metadata: file.metadata,
    };
    let outcome = state.meta().add_package_file(&upload).await?;
    if let AddFileOutcome::FileExists(record) = &outcome {
        let same = record
            .files
            .iter()
            .any(|f| f.file_name == file.file_name && f.sha256 == sha256);
        if !same {
            return Err(ApiError::conflict(format!(
                "{display} {} in feed '{}' already holds {} with other content; it was not replaced.",
                record.version, feed.settings.name, file.file_name
            )));
        }
    }
    Ok(outcome)
}

/// The identity as the store compares it, refusing what the format refuses.
fn identity_key(format: &dyn PackageFormat, parsed: &ParsedPackage) -> ApiResult<PackageKey> {
    format
        .validate_id(&parsed.id)
        .map_err(|e| ApiError::bad_request(e.0))?;
    Ok(PackageKey {
        group_key: format.group_key(&parsed.id.group),
        name_key: format.name_key(&parsed.id.name),
        version_key: format
            .version_key(&parsed.version)
            .map_err(|e| ApiError::bad_request(e.0))?,
    })
}

fn display_name(parsed: &ParsedPackage) -> String {
    if parsed.id.group.is_empty() {
        parsed.id.name.clone()
    } else {
        format!("{}/{}", parsed.id.group, parsed.id.name)
    }
}

/// Commits the blobs and writes the package row, files and event in one
/// transaction.
#[allow(clippy::too_many_arguments)] // one private step shared by the two entry points above
async fn store(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    staged: StagedBlob,
    mut parsed: ParsedPackage,
    published_by: &str,
    overwrite: bool,
    connector: Option<&str>,
) -> ApiResult<AddOutcome> {
    let key = identity_key(format, &parsed)?;
    let blob = commit_staged(state, staged).await?;
    let (qualifier, file_name) = parsed.main_file.take().unwrap_or_else(|| {
        (
            String::new(),
            format.file_name(&parsed.id.group, &parsed.id.name, &parsed.version),
        )
    });
    let mut files = vec![NewPackageFile {
        qualifier,
        file_name,
        sha256: blob.sha256,
    }];
    for extra in std::mem::take(&mut parsed.extra_files) {
        files.push(NewPackageFile {
            qualifier: extra.qualifier,
            file_name: extra.file_name,
            sha256: commit_staged(state, extra.staged).await?.sha256,
        });
    }
    let package = package_row(feed, key, parsed, files, published_by, connector);
    Ok(state.meta().add_package(&package, overwrite).await?)
}

/// The row a version is stored as: `parsed` (whose extra files are already
/// among `files`) in `feed`, published by `published_by`, through
/// `connector` when it was fetched.
fn package_row(
    feed: &FeedRecord,
    key: PackageKey,
    parsed: ParsedPackage,
    files: Vec<NewPackageFile>,
    published_by: &str,
    connector: Option<&str>,
) -> NewPackage {
    NewPackage {
        feed_id: feed.id,
        feed_name: feed.settings.name.clone(),
        package_type: feed.settings.feed_type.package_type().to_owned(),
        group: parsed.id.group,
        name: parsed.id.name,
        version: parsed.version,
        key,
        published_by: published_by.to_owned(),
        metadata: parsed.metadata,
        files,
        dist_tags: parsed.dist_tags,
        connector: connector.map(str::to_owned),
    }
}
