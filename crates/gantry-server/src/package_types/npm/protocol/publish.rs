//! Writing: `npm publish`, `npm deprecate` and `npm unpublish`.
//!
//! All three `PUT` a packument-shaped document to `/npm/{feed}/{name}`:
//! a publish carries the new version with its tarball in `_attachments`;
//! `deprecate` sends the versions with their `deprecated` messages changed;
//! unpublishing one version sends the packument without that version (then
//! deletes the tarball). Unpublishing a whole package is a `DELETE`.

use std::collections::HashMap;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use gantry_core::Attribute;
use gantry_formats::npm::{self, Npm};
use gantry_formats::PackageFormat;
use gantry_store::{FeedRecord, PackageRecord, PackageStatusChange, StagedBlob};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{ok_json, package_not_found, versions_of, PackagePath, FEED_TYPES};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::protocols::upload::{check_direct_upload, stage_stream};
use crate::services::publish::{publish, ParsedPackage};
use crate::services::{feeds, packages};
use crate::state::AppState;

/// The largest publish document read. npm sends the tarball base64-encoded
/// inside a JSON document, which is read whole: this bounds the memory one
/// publish may take (a 100 MiB tarball is a 134 MiB document).
pub const MAX_PUBLISH_DOCUMENT: usize = 256 * 1024 * 1024;

/// The document npm sends.
#[derive(Debug, Default, Deserialize)]
struct Document {
    name: Option<String>,
    #[serde(default)]
    versions: Map<String, Value>,
    #[serde(default, rename = "dist-tags")]
    dist_tags: HashMap<String, Value>,
    #[serde(default, rename = "_attachments")]
    attachments: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct Attachment {
    data: String,
    length: Option<u64>,
}

/// `PUT /npm/{feed}/{name}` (also `.../{name}/-rev/{rev}`).
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, path)): Path<(String, String)>,
    request: Request,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    let package = PackagePath::parse(&path)?;
    if !(package.rest.is_empty() || matches!(package.rest.as_slice(), [rev, _] if rev == "-rev")) {
        return Err(ApiError::not_found("No such npm resource."));
    }
    // Refuse callers who may change nothing here before reading the body.
    let writes = [
        Attribute::AddPackage,
        Attribute::UnlistPackage,
        Attribute::DeletePackage,
    ];
    if !writes.iter().any(|a| state.may(&caller, *a, Some(&feed))) {
        state.authorize(&caller, Attribute::AddPackage, Some(&feed))?;
    }
    let limit =
        MAX_PUBLISH_DOCUMENT.min(usize::try_from(state.config().max_upload_bytes).unwrap_or(usize::MAX));
    let body = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The publish document is larger than this server's limit of {limit} bytes."),
            )
        })?;
    let document: Document = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("The body is not a valid npm document: {e}")))?;
    drop(body);
    if document.attachments.is_empty() {
        update(&state, &caller, &feed, &package, &document).await
    } else {
        publish_version(&state, &caller, &feed, &package, document).await
    }
}

/// A new version with its tarball.
async fn publish_version(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    package: &PackagePath,
    document: Document,
) -> ApiResult<Response> {
    state.authorize(caller, Attribute::AddPackage, Some(feed))?;
    check_direct_upload(feed)?;
    let full_name = package.full_name();
    if document.name.as_deref().is_some_and(|n| n != full_name) {
        return Err(ApiError::bad_request(format!(
            "The document names '{}' but was sent to '{full_name}'.",
            document.name.unwrap_or_default()
        )));
    }
    npm::validate_new_name(&full_name).map_err(|e| ApiError::bad_request(e.0))?;
    let (version, manifest) = match (document.versions.len(), document.attachments.len()) {
        (1, 1) => document
            .versions
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::bad_request("The document holds no version."))?,
        (v, a) => {
            return Err(ApiError::bad_request(format!(
            "A publish carries one version and its tarball; this one has {v} versions and {a} attachments."
        )))
        }
    };
    let version_key = npm::version_key(&version).map_err(|e| ApiError::bad_request(e.0))?;
    if manifest.get("name").and_then(Value::as_str) != Some(full_name.as_str())
        || manifest.get("version").and_then(Value::as_str) != Some(version.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "The manifest of version {version} does not name {full_name}@{version}."
        )));
    }
    let existing = versions_of(state, feed, &package.id).await?;
    if existing.iter().any(|r| r.key.version_key == version_key) {
        return Err(ApiError::forbidden(format!(
            "You cannot publish over the previously published version {full_name}@{version}: npm versions never change."
        )));
    }
    let (file_name, attachment) = document
        .attachments
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::bad_request("The document holds no tarball."))?;
    let expected_file = Npm.file_name(&package.id.group, &package.id.name, &version);
    if file_name != expected_file && !file_name.ends_with(&format!("/{expected_file}")) {
        return Err(ApiError::bad_request(format!(
            "The tarball is named '{file_name}'; expected '{expected_file}'."
        )));
    }
    let attachment: Attachment = serde_json::from_value(attachment)
        .map_err(|e| ApiError::bad_request(format!("The attachment is malformed: {e}")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(attachment.data.as_bytes())
        .map_err(|e| ApiError::bad_request(format!("The attachment is not valid base64: {e}")))?;
    if attachment.length.is_some_and(|len| len != bytes.len() as u64) {
        return Err(ApiError::bad_request(format!(
            "The attachment is {} bytes but its length says {}.",
            bytes.len(),
            attachment.length.unwrap_or_default()
        )));
    }
    let staged = stage_stream(
        state,
        futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(bytes))]),
    )
    .await?;
    check_tarball(&staged, &manifest, &full_name, &version).await?;
    let dist_tags: Vec<String> = document
        .dist_tags
        .iter()
        .filter(|(_, v)| v.as_str() == Some(version.as_str()))
        .map(|(tag, _)| tag.clone())
        .collect();
    let Value::Object(mut stored) = manifest else {
        return Err(ApiError::bad_request("The version manifest must be an object."));
    };
    // Served fresh on every read: where the tarball is, its digests and
    // its status. What npm counted when packing is kept.
    let packed: Map<String, Value> = stored
        .remove("dist")
        .and_then(|d| match d {
            Value::Object(dist) => Some(dist),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| matches!(k.as_str(), "fileCount" | "unpackedSize") && v.is_u64())
        .collect();
    if !packed.is_empty() {
        stored.insert("dist".into(), Value::Object(packed));
    }
    for key in ["deprecated", "_id"] {
        stored.remove(key);
    }
    let parsed = ParsedPackage::new(package.id.clone(), version.clone(), Value::Object(stored))
        .with_dist_tags(dist_tags);
    let record = publish(state, caller, feed, &Npm, staged, parsed).await?;
    Ok(ok_json(
        StatusCode::CREATED,
        serde_json::json!({"id": full_name, "version": record.version}),
    ))
}

/// The tarball must be a valid npm package for exactly this name and
/// version, and match the integrity the client computed.
async fn check_tarball(
    staged: &StagedBlob,
    manifest: &Value,
    full_name: &str,
    version: &str,
) -> ApiResult<()> {
    let path = staged.path().to_path_buf();
    let contents = tokio::task::spawn_blocking(move || npm::read_tarball(&path))
        .await
        .map_err(|e| ApiError::internal("tarball validation failed", &e))?
        .map_err(|e| ApiError::bad_request(e.0))?;
    if contents.name != full_name || contents.version != version {
        return Err(ApiError::bad_request(format!(
            "The tarball's package.json is {}@{}, but the document publishes {full_name}@{version}.",
            contents.name, contents.version
        )));
    }
    let dist = manifest.get("dist");
    let info = staged.info();
    if let Some(integrity) = dist.and_then(|d| d.get("integrity")).and_then(Value::as_str) {
        if npm::integrity(&info.sha512).as_deref() != Some(integrity) {
            return Err(ApiError::bad_request(format!(
                "The tarball does not match its integrity {integrity}."
            )));
        }
    }
    if let Some(shasum) = dist.and_then(|d| d.get("shasum")).and_then(Value::as_str) {
        if !shasum.eq_ignore_ascii_case(&info.sha1) {
            return Err(ApiError::bad_request(format!(
                "The tarball does not match its shasum {shasum}."
            )));
        }
    }
    Ok(())
}

/// `npm deprecate` (versions with a changed `deprecated`) and the first
/// step of `npm unpublish name@version` (a version left out).
async fn update(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    package: &PackagePath,
    document: &Document,
) -> ApiResult<Response> {
    let full_name = package.full_name();
    let records = versions_of(state, feed, &package.id).await?;
    if records.is_empty() {
        return Err(package_not_found(&full_name, feed));
    }
    let mut removed: Vec<&PackageRecord> = Vec::new();
    let mut changes: Vec<(&PackageRecord, PackageStatusChange)> = Vec::new();
    for record in &records {
        let Some(sent) = document.versions.get(&record.version) else {
            removed.push(record);
            continue;
        };
        // An absent `deprecated` changes nothing; "" undeprecates.
        let Some(message) = sent.get("deprecated") else {
            continue;
        };
        let message = message.as_str().unwrap_or_default();
        let change = if message.is_empty() {
            PackageStatusChange {
                deprecated: Some(false),
                ..PackageStatusChange::default()
            }
        } else {
            PackageStatusChange {
                deprecated: Some(true),
                deprecation_reason: Some(message.to_owned()),
                ..PackageStatusChange::default()
            }
        };
        let unchanged = record.deprecated == (change.deprecated == Some(true))
            && (!record.deprecated || record.deprecation_reason == message);
        if !unchanged {
            changes.push((record, change));
        }
    }
    if !changes.is_empty() {
        state.authorize(caller, Attribute::UnlistPackage, Some(feed))?;
    }
    if !removed.is_empty() {
        if removed.len() == records.len() {
            return Err(ApiError::bad_request(
                "The document leaves out every version; unpublish the whole package with DELETE instead.",
            ));
        }
        state.authorize(caller, Attribute::DeletePackage, Some(feed))?;
    }
    for (record, change) in &changes {
        packages::set_status(state, caller, feed, record, change).await?;
    }
    for record in removed {
        packages::delete(state, caller, feed, record).await?;
    }
    Ok(ok_json(StatusCode::OK, serde_json::json!({"id": full_name})))
}

/// `DELETE /npm/{feed}/{name}/-rev/{rev}` (unpublish the package: a feed
/// manager's right) or `.../{name}/-/{file}.tgz/-rev/{rev}` (one version).
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, path)): Path<(String, String)>,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    let package = PackagePath::parse(&path)?;
    let full_name = package.full_name();
    match package.rest.as_slice() {
        [rev, _] if rev == "-rev" => {
            state.authorize(&caller, Attribute::ManageFeeds, Some(&feed))?;
            let records = versions_of(&state, &feed, &package.id).await?;
            if records.is_empty() {
                return Err(package_not_found(&full_name, &feed));
            }
            for record in &records {
                packages::delete(&state, &caller, &feed, record).await?;
            }
            tracing::info!(feed = %feed.settings.name, package = %full_name, versions = records.len(), "package unpublished");
            Ok(ok_json(StatusCode::OK, serde_json::json!({"id": full_name})))
        }
        [dash, file, rev, _] if dash == "-" && rev == "-rev" => {
            state.authorize(&caller, Attribute::DeletePackage, Some(&feed))?;
            let version = package
                .tarball_version(file)
                .ok_or_else(|| ApiError::not_found(format!("{file} is not a tarball of {full_name}.")))?;
            let key = npm::version_key(version).map_err(|e| ApiError::bad_request(e.0))?;
            // npm removes the version from the packument first; the tarball
            // then goes with it, so an absent version is already done.
            let records = versions_of(&state, &feed, &package.id).await?;
            if let Some(record) = records.iter().find(|r| r.key.version_key == key) {
                packages::delete(&state, &caller, &feed, record).await?;
            }
            Ok(ok_json(StatusCode::OK, serde_json::json!({"id": full_name})))
        }
        _ => Err(ApiError::not_found("No such npm resource.")),
    }
}
