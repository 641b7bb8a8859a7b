//! The maven2 repository layout: `/maven2/{feed}/{groupId as path}/{artifactId}/{version}/{file}`.
//!
//! Files arrive by separate `PUT`s (mvn deploy: the jar, its checksums, the
//! pom, its checksums, then its own `maven-metadata.xml`). Each file is a
//! file of the version in the store; checksums and `maven-metadata.xml`
//! are never stored: the server answers them from the stored files'
//! digests and from the versions it holds, so they are right after
//! out-of-order deploys, deletes and promotions. A file the feed does not
//! hold is asked of its connectors ([`super::connector`]); a folder is
//! answered with a listing ([`super::listing`]).

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_core::{Attribute, FeedType};
use gantry_formats::maven::{
    self, artifact_metadata_xml, parse_path, read_checksum_file, read_pom, snapshot_metadata_xml,
    ArtifactFile, ChecksumAlgorithm, Directory, Maven, MavenPathKind, SnapshotFile,
};
use gantry_formats::{FormatError, PackageId};
use gantry_store::{FeedRecord, MetadataOnAdd, PackageFileRecord, PackageRecord, StagedBlob};
use serde_json::json;

use super::connector::{self, Proxied};
use super::listing;
use crate::api::routes::Routes;
use crate::auth::Caller;
use crate::connectors::view;
use crate::error::{ApiError, ApiResult};
use crate::protocols::documents::{package_document_key, respond};
use crate::protocols::upload::{check_may_upload, stage_body};
use crate::services::documents::Document;
use crate::services::download::{self, Download};
use crate::services::publish::{add_file, NewFile, ParsedPackage};
use crate::services::{feeds, packages};
use crate::state::AppState;

/// The feed types this protocol serves.
pub(crate) const FEED_TYPES: &[FeedType] = &[FeedType::Maven];

/// The repository's routes.
pub fn routes() -> Routes {
    Routes::default()
        .add("/maven2/{feed}", &[Method::GET], root)
        .add("/maven2/{feed}/", &[Method::GET], root)
        .add("/maven2/{feed}/{*path}", &[Method::GET], read)
        .add_with("/maven2/{feed}/{*path}", &[Method::PUT], write, |r| {
            r.layer(DefaultBodyLimit::disable())
        })
}

/// The media type a file is served with, by its extension (or its whole
/// name: only what follows the last dot counts).
pub(super) fn content_type(extension: &str) -> &'static str {
    match extension.rsplit('.').next().unwrap_or_default() {
        "jar" | "war" | "ear" => "application/java-archive",
        "pom" | "xml" => "text/xml",
        "asc" => "text/plain",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn bad_path(e: gantry_formats::FormatError) -> ApiError {
    ApiError::bad_request(e.0)
}

/// `GET`/`HEAD` of the feed's root: its listing.
async fn root(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    listing::page(&state, &feed, &Directory::default())
        .await?
        .ok_or_else(|| not_found(&feed, "root"))
}

/// `GET`/`HEAD`: a file, a checksum, a `maven-metadata.xml`, a folder.
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, raw_path)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let answer = read_path(&state, &caller, &feed, &raw_path, &headers).await;
    match answer {
        // `org/acme` names a folder without its `/`: send the client there,
        // as a static server does.
        Err(e)
            if !raw_path.ends_with('/')
                && matches!(e.status, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST) =>
        {
            let folder = format!("{raw_path}/");
            let Ok(maven::MavenPath {
                kind: MavenPathKind::Directory(directory),
                ..
            }) = parse_path(&folder)
            else {
                return Err(e);
            };
            if listing::children(&state, &feed, &directory).await?.is_empty() {
                // Neither a file nor a folder of the feed: not there (with
                // the reason a file's look-up gave, when it gave one).
                return Err(if e.status == StatusCode::NOT_FOUND {
                    e
                } else {
                    not_found(&feed, &format!("/{raw_path}"))
                });
            }
            let location = format!("/maven2/{}/{folder}", feed.settings.name);
            let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Ok(response)
        }
        other => other,
    }
}

async fn read_path(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    path: &str,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let path = parse_path(path).map_err(bad_path)?;
    match (path.kind, path.checksum) {
        (MavenPathKind::Artifact(file), None) => {
            state.authorize(caller, Attribute::DownloadPackages, Some(feed))?;
            let (record, stored) = match held_or_proxied(state, feed, &file, None).await? {
                Held::File(found) => *found,
                Held::Relayed(response) => return Ok(response),
            };
            let download = Download {
                headers,
                caller,
                feed,
                record: &record,
            };
            download::serve_file(
                state,
                download,
                &stored,
                content_type(&file.extension),
                &file.file_name,
            )
            .await
        }
        (MavenPathKind::Artifact(file), Some(algorithm)) => {
            let stored = match held_or_proxied(state, feed, &file, Some(algorithm)).await? {
                Held::File(found) => found.1,
                Held::Relayed(response) => return Ok(response),
            };
            let digest = algorithm.select(&stored.md5, &stored.sha1, stored.sha256.as_str(), &stored.sha512);
            Ok(text(StatusCode::OK, "text/plain", digest.to_owned()))
        }
        (
            MavenPathKind::ArtifactMetadata {
                group_id,
                artifact_id,
            },
            checksum,
        ) => {
            let document = artifact_metadata(state, feed, &group_id, &artifact_id).await?;
            Ok(match checksum {
                None => respond(headers, "text/xml", &document),
                Some(algorithm) => checksum_of(algorithm, &document.body),
            })
        }
        (
            MavenPathKind::VersionMetadata {
                group_id,
                artifact_id,
                version,
            },
            checksum,
        ) => {
            let record = find_version(state, feed, &group_id, &artifact_id, &version)
                .await
                .ok();
            let mut builds: Vec<SnapshotFile> = record
                .iter()
                .flat_map(|r| r.files.iter())
                .filter_map(|f| {
                    maven::parse_path(&format!(
                        "{}/{artifact_id}/{version}/{}",
                        group_id.replace('.', "/"),
                        f.file_name
                    ))
                    .ok()
                })
                .filter_map(|p| match p.kind {
                    MavenPathKind::Artifact(file) if p.checksum.is_none() => file.snapshot_file(),
                    _ => None,
                })
                .collect();
            let mut updated = record.as_ref().map(last_change);
            if view::is_proxied(feed) {
                let (upstream, upstream_updated) =
                    connector::upstream_snapshot_files(state, feed, &group_id, &artifact_id, &version)
                        .await?;
                builds.extend(upstream);
                updated = updated.max(upstream_updated);
            }
            if builds.is_empty() {
                return Err(not_found(
                    feed,
                    &format!("{group_id}:{artifact_id}:{version} builds"),
                ));
            }
            let xml = snapshot_metadata_xml(
                &group_id,
                &artifact_id,
                &version,
                &builds,
                updated.unwrap_or_default(),
            );
            Ok(document(xml, checksum))
        }
        (MavenPathKind::Directory(directory), _) => listing::page(state, feed, &directory)
            .await?
            .ok_or_else(|| not_found(feed, &format!("folder /{}", directory.path()))),
    }
}

/// A file the feed holds, or fetched (or relayed) through its connectors.
enum Held {
    File(Box<(PackageRecord, PackageFileRecord)>),
    Relayed(Response),
}

async fn held_or_proxied(
    state: &AppState,
    feed: &FeedRecord,
    file: &ArtifactFile,
    checksum: Option<ChecksumAlgorithm>,
) -> ApiResult<Held> {
    match stored_file(state, feed, file).await {
        Ok(found) => Ok(Held::File(Box::new(found))),
        Err(missing) if missing.status == StatusCode::NOT_FOUND && view::is_proxied(feed) => {
            match connector::fetch_file(state, feed, file, checksum).await? {
                Proxied::Stored => Ok(Held::File(Box::new(stored_file(state, feed, file).await?))),
                Proxied::Relayed(response) => Ok(Held::Relayed(response)),
                Proxied::Missing => Err(missing),
            }
        }
        Err(e) => Err(e),
    }
}

/// An artifact's `maven-metadata.xml`: the feed's own versions and its
/// upstreams'. Kept per feed revision (and, in a proxy feed, per upstream
/// answer), so that an artifact with a thousand versions is not read from
/// the database at every build's request.
async fn artifact_metadata(
    state: &AppState,
    feed: &FeedRecord,
    group_id: &str,
    artifact_id: &str,
) -> ApiResult<Document> {
    let id = id(group_id, artifact_id);
    let key = package_document_key(
        state,
        feed,
        &Maven,
        &id,
        format!("maven-metadata:{group_id}:{artifact_id}"),
    )
    .await?;
    if let Some(kept) = key.as_ref().and_then(|key| state.documents().get(feed, key)) {
        return Ok(kept);
    }
    let versions = view::versions(state, feed, &Maven, &id).await?;
    if versions.is_empty() {
        return Err(not_found(feed, &format!("{group_id}:{artifact_id}")));
    }
    let names: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
    let updated = versions.iter().map(last_change).max().unwrap_or_default();
    let document = Document::new(artifact_metadata_xml(group_id, artifact_id, &names, updated).into_bytes());
    if let Some(key) = key {
        state.documents().put(feed, key, document.clone());
    }
    Ok(document)
}

/// A generated document, or its checksum.
fn document(xml: String, checksum: Option<ChecksumAlgorithm>) -> Response {
    match checksum {
        None => text(StatusCode::OK, "text/xml", xml),
        Some(algorithm) => checksum_of(algorithm, xml.as_bytes()),
    }
}

/// The checksum file of a generated document.
fn checksum_of(algorithm: ChecksumAlgorithm, bytes: &[u8]) -> Response {
    use md5::Digest as _;
    let digest = match algorithm {
        ChecksumAlgorithm::Md5 => hex::encode(md5::Md5::digest(bytes)),
        ChecksumAlgorithm::Sha1 => hex::encode(sha1::Sha1::digest(bytes)),
        ChecksumAlgorithm::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
        ChecksumAlgorithm::Sha512 => hex::encode(sha2::Sha512::digest(bytes)),
    };
    text(StatusCode::OK, "text/plain", digest)
}

/// The newest moment a version changed: its publication or a later file.
fn last_change(record: &PackageRecord) -> i64 {
    record
        .files
        .iter()
        .map(|f| f.added_at)
        .chain([record.published_at])
        .max()
        .unwrap_or_default()
}

fn not_found(feed: &FeedRecord, what: &str) -> ApiError {
    ApiError::not_found(format!("Feed '{}' has no {what}.", feed.settings.name))
}

fn id(group_id: &str, artifact_id: &str) -> PackageId {
    PackageId {
        group: group_id.to_owned(),
        name: artifact_id.to_owned(),
    }
}

async fn find_version(
    state: &AppState,
    feed: &FeedRecord,
    group_id: &str,
    artifact_id: &str,
    version: &str,
) -> ApiResult<PackageRecord> {
    let spec = gantry_core::VersionSpec::Exact(version.to_owned());
    packages::find_version(state, feed, &Maven, &id(group_id, artifact_id), &spec)
        .await
        .map_err(|_| not_found(feed, &format!("{group_id}:{artifact_id}:{version}")))
}

/// The version a file belongs to, and the stored file.
async fn stored_file(
    state: &AppState,
    feed: &FeedRecord,
    file: &ArtifactFile,
) -> ApiResult<(PackageRecord, PackageFileRecord)> {
    let record = find_version(state, feed, &file.group_id, &file.artifact_id, &file.version).await?;
    let stored = packages::file_of(&record, &file.file_name)
        .cloned()
        .ok_or_else(|| not_found(feed, &file.file_name))?;
    Ok((record, stored))
}

/// A small staged file (a pom, a checksum), read whole.
pub(super) async fn staged_bytes(staged: &StagedBlob) -> ApiResult<Vec<u8>> {
    tokio::fs::read(staged.path())
        .await
        .map_err(|e| ApiError::internal("could not read a staged file", &e))
}

/// What storing one file of a version takes: the version its path names
/// and the file, stored under its own name. When the file is the version's
/// pom (`pom` holds its bytes), the pom must describe the path's groupId
/// and artifactId, and its description, licences and dependencies become
/// the version's metadata; any other file leaves the metadata as it is.
pub(super) fn version_file(
    file: &ArtifactFile,
    pom: Option<&[u8]>,
    replace: bool,
) -> Result<(ParsedPackage, NewFile), FormatError> {
    let metadata = match pom {
        Some(bytes) => {
            let pom = read_pom(bytes)?;
            if pom.artifact_id != file.artifact_id || pom.group_id != file.group_id {
                return Err(FormatError(format!(
                    "The pom describes {}:{}, not {}:{}.",
                    pom.group_id, pom.artifact_id, file.group_id, file.artifact_id
                )));
            }
            Some(pom.metadata())
        }
        None => None,
    };
    let new_file = NewFile {
        qualifier: file.file_name.clone(),
        file_name: file.file_name.clone(),
        replace,
        metadata: if metadata.is_some() {
            MetadataOnAdd::Replace
        } else {
            MetadataOnAdd::KeepExisting
        },
    };
    let parsed = ParsedPackage::new(
        id(&file.group_id, &file.artifact_id),
        file.version.clone(),
        metadata.unwrap_or_else(|| json!({})),
    );
    Ok((parsed, new_file))
}

/// `PUT`: a file of a version (stored), a checksum (checked against the
/// stored file, never stored), or a `maven-metadata.xml` (the server writes
/// its own: accepted and dropped).
async fn write(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, path)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    check_may_upload(&state, &caller, &feed)?;
    let path = parse_path(&path).map_err(bad_path)?;
    match (path.kind, path.checksum) {
        (MavenPathKind::Artifact(file), None) => {
            let staged = stage_body(&state, &headers, body).await?;
            let pom = if file.is_version_pom() {
                Some(staged_bytes(&staged).await?)
            } else {
                None
            };
            // A release's files never change; a snapshot's builds have their
            // own names, and its metadata-less files may be redeployed.
            let replace = maven::is_snapshot(&file.version)
                && state.may(&caller, Attribute::OverwritePackage, Some(&feed));
            let (parsed, new_file) =
                version_file(&file, pom.as_deref(), replace).map_err(|e| ApiError::bad_request(e.0))?;
            add_file(&state, &caller, &feed, &Maven, staged, parsed, new_file).await?;
            Ok(StatusCode::CREATED.into_response())
        }
        (MavenPathKind::Artifact(file), Some(algorithm)) => {
            let staged = stage_body(&state, &headers, body).await?;
            let bytes = staged_bytes(&staged).await?;
            let claimed = read_checksum_file(algorithm, &bytes).map_err(|e| ApiError::bad_request(e.0))?;
            let (_, stored) = stored_file(&state, &feed, &file).await?;
            let actual = algorithm.select(&stored.md5, &stored.sha1, stored.sha256.as_str(), &stored.sha512);
            if claimed != actual {
                return Err(ApiError::bad_request(format!(
                    "The {} checksum of {} is {actual}, not {claimed}.",
                    algorithm.extension(),
                    file.file_name
                )));
            }
            Ok(StatusCode::CREATED.into_response())
        }
        (MavenPathKind::ArtifactMetadata { .. } | MavenPathKind::VersionMetadata { .. }, _) => {
            // Read within the limit and dropped: the server's own answer wins.
            let _ = stage_body(&state, &headers, body).await?;
            Ok(StatusCode::CREATED.into_response())
        }
        (MavenPathKind::Directory(_), _) => Err(ApiError::bad_request(
            "A directory cannot be uploaded: PUT a file of a version.",
        )),
    }
}
