//! Manifests and indexes (by tag and by digest), tags and referrers.
//!
//! A manifest is stored exactly as pushed and served byte for byte under
//! the media type it was pushed with, so its digest never changes (what
//! `skopeo copy --preserve-digests` relies on). A tag is a package version
//! whose files are the image it names ([`gantry_store::RegistryManifest`]).

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use gantry_core::Attribute;
use gantry_formats::oci::{
    self, accepts, parse_manifest, Descriptor, Digest, ManifestKind, ParsedManifest, Reference,
    MAX_MANIFEST_BYTES,
};
use gantry_store::{
    DeleteManifestOutcome, NewRegistryManifest, NewRegistryTag, PackageQuery, PackageRecord,
    PutManifestOutcome, RegistryManifest,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::access::Action;
use super::blobs::commit_bytes;
use super::connector;
use super::errors::{Code, RegistryError, RegistryResult};
use super::protocol::RepositoryRequest;
use crate::error::ApiError;
use crate::protocols::upload::check_direct_upload;
use crate::services::download::record_from_headers;
use crate::services::packages;
use crate::state::AppState;

/// The largest config blob read to learn an image's platform.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The tag's version in the repository, if the tag exists.
pub async fn find_tag(
    state: &AppState,
    request: &RepositoryRequest,
    tag: &str,
) -> RegistryResult<Option<PackageRecord>> {
    let query = PackageQuery {
        group_key: Some(String::new()),
        name_key: Some(request.repository.clone()),
        version_key: Some(tag.to_owned()),
    };
    Ok(state.meta().find_packages(request.feed.id, &query).await?.pop())
}

/// The digest a tag's version points at.
pub fn tagged_digest(record: &PackageRecord) -> Option<&str> {
    record
        .files
        .iter()
        .find(|f| f.qualifier.is_empty())
        .map(|f| f.file_name.as_str())
}

fn manifest_unknown(request: &RepositoryRequest, reference: &str) -> RegistryError {
    RegistryError::unknown(
        Code::ManifestUnknown,
        format!(
            "Manifest {reference} is not in repository {}.",
            request.full_name()
        ),
    )
}

/// Reads a small stored blob whole.
async fn read_all(
    state: &AppState,
    sha256: &gantry_core::Sha256Digest,
    limit: u64,
) -> RegistryResult<Vec<u8>> {
    let read = state.blobs().open(sha256, None).await.map_err(ApiError::from)?;
    if read.size > limit {
        return Err(RegistryError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unknown,
            format!("Stored blob {sha256} is larger than {limit} bytes."),
        ));
    }
    let chunks: Vec<bytes::Bytes> = read
        .stream
        .try_collect()
        .await
        .map_err(|e| ApiError::internal("could not read a manifest", &e))?;
    Ok(chunks.concat())
}

/// `GET`/`HEAD /manifests/{reference}`.
pub async fn get(
    state: &AppState,
    request: &RepositoryRequest,
    reference: &Reference,
) -> RegistryResult<Response> {
    request.require(state, Attribute::DownloadPackages, Action::Pull)?;
    if let Some(relayed) = connector::fill_manifest(state, request, reference).await? {
        return Ok(relayed);
    }
    let (digest, record) = match reference {
        Reference::Tag(tag) => {
            let record = find_tag(state, request, tag)
                .await?
                .ok_or_else(|| manifest_unknown(request, tag))?;
            let digest = tagged_digest(&record)
                .ok_or_else(|| manifest_unknown(request, tag))?
                .to_owned();
            (digest, Some(record))
        }
        Reference::Digest(digest) => (digest.to_string(), None),
    };
    let manifest = state
        .meta()
        .registry_manifest(request.feed.id, &request.repository, &digest)
        .await?
        .ok_or_else(|| manifest_unknown(request, &digest))?;
    let accept: Vec<&str> = request
        .parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !accepts(&accept, &manifest.media_type) {
        return Err(RegistryError::unknown(
            Code::ManifestUnknown,
            format!(
                "Manifest {digest} is a {}, which the request's Accept header does not allow.",
                manifest.media_type
            ),
        ));
    }
    let mut response = if request.parts.method == Method::HEAD {
        StatusCode::OK.into_response()
    } else {
        let bytes = read_all(state, &manifest.sha256, MAX_MANIFEST_BYTES as u64).await?;
        if let Some(record) = &record {
            state.meta().count_download(record.id).await?;
            let note = record_from_headers(
                state,
                &request.parts.headers,
                &request.caller,
                &request.feed,
                record,
            )
            .await
            .map_err(RegistryError::from)?;
            let mut response = (StatusCode::OK, Body::from(bytes)).into_response();
            if let Some(note) = note.and_then(|n| HeaderValue::from_str(&n).ok()) {
                response.headers_mut().insert("x-gantry-deployment", note);
            }
            response
        } else {
            (StatusCode::OK, Body::from(bytes)).into_response()
        }
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&manifest.media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(manifest.size));
    if let Ok(value) = HeaderValue::from_str(&manifest.digest) {
        headers.insert("docker-content-digest", value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", manifest.digest)) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// `PUT /manifests/{reference}`.
pub async fn put(
    state: &AppState,
    request: &RepositoryRequest,
    reference: &Reference,
    body: Body,
) -> RegistryResult<Response> {
    request.require(state, Attribute::AddPackage, Action::Push)?;
    check_direct_upload(&request.feed).map_err(|e| RegistryError::from_api(e, Code::Denied))?;
    let bytes = axum::body::to_bytes(body, MAX_MANIFEST_BYTES)
        .await
        .map_err(|_| {
            RegistryError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::SizeInvalid,
                format!("A manifest may be at most {MAX_MANIFEST_BYTES} bytes."),
            )
        })?;
    let content_type = request
        .parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let parsed = parse_manifest(&bytes, content_type)
        .map_err(|e| RegistryError::invalid(Code::ManifestInvalid, e.0))?;
    let digest = match reference {
        Reference::Digest(digest) => {
            if !digest.verify(&bytes) {
                return Err(RegistryError::invalid(
                    Code::DigestInvalid,
                    format!(
                        "The manifest's bytes do not match {digest} (their digest is {}).",
                        Digest::sha256_of(&bytes)
                    ),
                ));
            }
            digest.clone()
        }
        Reference::Tag(_) => Digest::sha256_of(&bytes),
    };
    let tag = match reference {
        Reference::Tag(tag) => {
            // Moving a tag replaces the version it is.
            if let Some(current) = find_tag(state, request, tag).await? {
                if tagged_digest(&current) != Some(digest.to_string().as_str()) {
                    request.require(state, Attribute::OverwritePackage, Action::Push)?;
                }
            }
            Some(NewRegistryTag {
                tag: tag.clone(),
                metadata: image_metadata(state, request, &parsed, &digest, bytes.len()).await?,
                immutable: request.feed.settings.immutable_tags,
            })
        }
        Reference::Digest(_) => None,
    };
    let size = bytes.len();
    let stored = commit_bytes(state, bytes).await?;
    let subject = parsed.subject.as_ref().map(|s| s.digest.to_string());
    let outcome = state
        .meta()
        .registry_put_manifest(&NewRegistryManifest {
            at: request.at(),
            digest: digest.to_string(),
            media_type: parsed.media_type.clone(),
            artifact_type: parsed.artifact_type.clone().unwrap_or_default(),
            subject: subject.clone(),
            annotations: json!(parsed.annotations),
            sha256: stored.sha256,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            references: parsed.references().iter().map(|d| d.digest.to_string()).collect(),
            tag,
            user: request.caller.user_name().to_owned(),
            connector: None,
        })
        .await?;
    match outcome {
        PutManifestOutcome::Stored { .. } => {}
        PutManifestOutcome::MissingReference(missing) => {
            return Err(RegistryError::invalid(
                Code::ManifestBlobUnknown,
                format!(
                    "The manifest references {missing}, which is not in repository {}: push it first.",
                    request.full_name()
                ),
            ))
        }
        PutManifestOutcome::TagImmutable(current) => {
            return Err(RegistryError::new(
                StatusCode::CONFLICT,
                Code::Denied,
                format!(
                    "Tags of feed '{}' are immutable: this tag points at {current} and cannot be moved.",
                    request.feed.settings.name
                ),
            ))
        }
    }
    tracing::info!(feed = %request.feed.settings.name, repository = %request.repository, %digest, "manifest pushed");
    let mut response = StatusCode::CREATED.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("{}/manifests/{digest}", request.path())) {
        headers.insert(header::LOCATION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&digest.to_string()) {
        headers.insert("docker-content-digest", value);
    }
    if let Some(value) = subject.and_then(|s| HeaderValue::from_str(&s).ok()) {
        headers.insert("oci-subject", value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    Ok(response)
}

/// What the version page, the packages API and the UI show of a tag's
/// image: its digest, type, size, layers and platforms.
pub(super) async fn image_metadata(
    state: &AppState,
    request: &RepositoryRequest,
    parsed: &ParsedManifest,
    digest: &Digest,
    manifest_size: usize,
) -> RegistryResult<Value> {
    let mut metadata = Map::new();
    metadata.insert("digest".into(), digest.to_string().into());
    metadata.insert("mediaType".into(), parsed.media_type.clone().into());
    if let Some(artifact_type) = &parsed.artifact_type {
        metadata.insert("artifactType".into(), artifact_type.clone().into());
    }
    if let Some(description) = parsed.annotations.get("org.opencontainers.image.description") {
        metadata.insert("description".into(), description.clone().into());
    }
    if !parsed.annotations.is_empty() {
        metadata.insert("annotations".into(), json!(parsed.annotations));
    }
    match parsed.kind {
        ManifestKind::Image => {
            let layers: Vec<Value> = parsed.layers.iter().map(descriptor_summary).collect();
            metadata.insert("layers".into(), layers.into());
            if let Some(config) = &parsed.config {
                metadata.insert("config".into(), config.digest.to_string().into());
                if let Some(platform) = config_platform(state, request, config).await? {
                    metadata.insert("platform".into(), platform.into());
                }
            }
            let size = manifest_size as u64 + parsed.content_size();
            metadata.insert("size".into(), size.into());
        }
        ManifestKind::Index => {
            let children: Vec<Value> = parsed
                .manifests
                .iter()
                .map(|child| {
                    let mut summary = descriptor_summary(child);
                    if let Some(platform) = &child.platform {
                        summary["platform"] = platform.label().into();
                    }
                    summary
                })
                .collect();
            let platforms: Vec<String> = parsed
                .manifests
                .iter()
                .filter_map(|child| child.platform.as_ref().map(oci::Platform::label))
                .collect();
            metadata.insert("manifests".into(), children.into());
            metadata.insert("platforms".into(), json!(platforms));
            let mut size = manifest_size as u64;
            for child in &parsed.manifests {
                size += child.size + child_content_size(state, request, child).await?;
            }
            metadata.insert("size".into(), size.into());
        }
    }
    Ok(Value::Object(metadata))
}

fn descriptor_summary(descriptor: &Descriptor) -> Value {
    json!({
        "digest": descriptor.digest.to_string(),
        "size": descriptor.size,
        "mediaType": descriptor.media_type,
    })
}

/// The platform an image's config names (`linux/amd64`), if readable.
async fn config_platform(
    state: &AppState,
    request: &RepositoryRequest,
    config: &Descriptor,
) -> RegistryResult<Option<String>> {
    #[derive(Deserialize)]
    struct Config {
        architecture: Option<String>,
        os: Option<String>,
        variant: Option<String>,
    }
    if config.size > MAX_CONFIG_BYTES {
        return Ok(None);
    }
    let Some(blob) = state
        .meta()
        .registry_blob(request.feed.id, &request.repository, &config.digest.to_string())
        .await?
    else {
        return Ok(None);
    };
    let bytes = read_all(state, &blob.sha256, MAX_CONFIG_BYTES).await?;
    let Ok(config) = serde_json::from_slice::<Config>(&bytes) else {
        return Ok(None);
    };
    let (Some(os), Some(architecture)) = (config.os, config.architecture) else {
        return Ok(None);
    };
    Ok(Some(match config.variant {
        Some(variant) => format!("{os}/{architecture}/{variant}"),
        None => format!("{os}/{architecture}"),
    }))
}

/// The config and layer bytes of a child of an index.
async fn child_content_size(
    state: &AppState,
    request: &RepositoryRequest,
    child: &Descriptor,
) -> RegistryResult<u64> {
    let Some(manifest) = state
        .meta()
        .registry_manifest(request.feed.id, &request.repository, &child.digest.to_string())
        .await?
    else {
        return Ok(0);
    };
    let bytes = read_all(state, &manifest.sha256, MAX_MANIFEST_BYTES as u64).await?;
    Ok(parse_manifest(&bytes, Some(&manifest.media_type)).map_or(0, |m| m.content_size()))
}

/// `DELETE /manifests/{reference}`: by digest, the manifest and its tags;
/// by tag, the tag alone.
pub async fn delete(
    state: &AppState,
    request: &RepositoryRequest,
    reference: &Reference,
) -> RegistryResult<Response> {
    request.require(state, Attribute::DeletePackage, Action::Delete)?;
    match reference {
        Reference::Tag(tag) => {
            let record = find_tag(state, request, tag)
                .await?
                .ok_or_else(|| manifest_unknown(request, tag))?;
            packages::delete(state, &request.caller, &request.feed, &record)
                .await
                .map_err(|e| RegistryError::from_api(e, Code::ManifestUnknown))?;
        }
        Reference::Digest(digest) => {
            let outcome = state
                .meta()
                .registry_delete_manifest(&request.at(), &digest.to_string(), request.caller.user_name())
                .await?;
            match outcome {
                DeleteManifestOutcome::Deleted(tags) => {
                    tracing::info!(feed = %request.feed.settings.name, repository = %request.repository, %digest, ?tags, "manifest deleted");
                }
                DeleteManifestOutcome::NotFound => {
                    return Err(manifest_unknown(request, &digest.to_string()))
                }
                DeleteManifestOutcome::Referenced(parent) => {
                    return Err(RegistryError::new(
                        StatusCode::CONFLICT,
                        Code::Denied,
                        format!("Manifest {digest} is part of index {parent}: delete the index first."),
                    ))
                }
            }
        }
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// The `n` and `last` of a paginated list.
#[derive(Debug, Default, Deserialize)]
pub struct Page {
    /// At most this many entries.
    pub n: Option<i64>,
    /// Entries after this one.
    pub last: Option<String>,
}

/// The most entries one page of a list holds.
pub const MAX_PAGE: i64 = 1000;

/// The `Link` header of the next page.
pub fn next_link(path: &str, n: i64, last: &str) -> String {
    let query =
        serde_urlencoded::to_string([("n", n.to_string()), ("last", last.to_owned())]).unwrap_or_default();
    format!("<{path}?{query}>; rel=\"next\"")
}

/// `GET /tags/list`.
pub async fn tags(state: &AppState, request: &RepositoryRequest) -> RegistryResult<Response> {
    request.require(state, Attribute::ViewPackages, Action::Pull)?;
    let page = request.query::<Page>()?;
    let n = page.n.unwrap_or(MAX_PAGE).clamp(0, MAX_PAGE);
    let mut tags: Vec<String> = state
        .meta()
        .registry_tags(request.feed.id, &request.repository, page.last.as_deref(), n + 1)
        .await?
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    connector::merge_upstream_tags(state, request, page.last.as_deref(), n + 1, &mut tags).await?;
    if tags.is_empty() && page.last.is_none() && n > 0 {
        return Err(RegistryError::unknown(
            Code::NameUnknown,
            format!("Repository {} has no tags.", request.full_name()),
        ));
    }
    let more = tags.len() as i64 > n;
    tags.truncate(usize::try_from(n).unwrap_or_default());
    let body = json!({ "name": request.full_name(), "tags": tags });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    if let (true, Some(last)) = (more, tags.last()) {
        if let Ok(value) =
            HeaderValue::from_str(&next_link(&format!("{}/tags/list", request.path()), n, last))
        {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The `artifactType` filter of the referrers API.
#[derive(Debug, Default, Deserialize)]
struct ReferrersQuery {
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
}

/// `GET /referrers/{digest}`: an image index of the manifests whose subject
/// it is (empty when there are none, as the spec wants).
pub async fn referrers(
    state: &AppState,
    request: &RepositoryRequest,
    subject: &Digest,
) -> RegistryResult<Response> {
    request.require(state, Attribute::DownloadPackages, Action::Pull)?;
    let query: ReferrersQuery = request.query()?;
    let found = state
        .meta()
        .registry_referrers(request.feed.id, &request.repository, &subject.to_string())
        .await?;
    let descriptors: Vec<Descriptor> = found
        .iter()
        .filter(|m| {
            query
                .artifact_type
                .as_deref()
                .is_none_or(|wanted| m.artifact_type == wanted)
        })
        .filter_map(referrer_descriptor)
        .collect();
    let body = oci::referrers_index(&descriptors);
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(oci::media_types::OCI_INDEX),
    );
    if query.artifact_type.is_some() {
        headers.insert("oci-filters-applied", HeaderValue::from_static("artifactType"));
    }
    Ok(response)
}

fn referrer_descriptor(manifest: &RegistryManifest) -> Option<Descriptor> {
    let annotations = manifest
        .annotations
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Some(Descriptor {
        media_type: manifest.media_type.clone(),
        digest: Digest::parse(&manifest.digest).ok()?,
        size: u64::try_from(manifest.size).ok()?,
        platform: None,
        annotations,
        artifact_type: Some(manifest.artifact_type.clone()).filter(|t| !t.is_empty()),
    })
}
