//! Docker feeds through connectors: a pull-through cache of upstream
//! registries (another Gantry, Docker Hub, a docker-registry).
//!
//! A manifest (by tag or digest) or a blob that a proxy feed does not hold
//! is asked of its connectors in order ([`super::upstream`] says how an
//! upstream is addressed and signed in to). With `cacheConnectors` on, a
//! manifest is stored with its whole image before it is answered — every
//! blob it names (for an index, every child manifest and its blobs), each
//! checked against its digest, then the manifests, children first, the
//! one asked for last with its tag when asked by tag — so the tag is a
//! version of the feed like a pushed one, served with the upstream down
//! and promotable. With it off, manifests and blobs are relayed and
//! nothing is stored. A stored tag is served without asking the upstream
//! (it is not refreshed when the upstream moves it). A feed's tag list
//! merges the upstreams' tags. Promotion of a tag the feed only proxies
//! stores it first ([`RemoteFormat::store_version`]).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, Stream, StreamExt};
use gantry_formats::oci::{accepts, Descriptor, Digest, DigestAlgorithm, Reference};
use gantry_formats::PackageId;
use gantry_store::{
    FeedRecord, NewRegistryManifest, NewRegistryTag, PackageRecord, PutManifestOutcome, StagedBlob,
};
use serde_json::json;
use sha2::{Digest as _, Sha256, Sha512};

use super::blobs;
use super::errors::{Code, RegistryError};
use super::manifests::{find_tag, image_metadata};
use super::protocol::RepositoryRequest;
use super::upstream::{address, FetchedManifest, UpstreamRepository};
use crate::auth::credentials::Presented;
use crate::auth::keys::SYSTEM_USER;
use crate::auth::Caller;
use crate::connectors::remote::{RemoteFormat, RemoteVersion};
use crate::connectors::upstream::{Connector, UpstreamError};
use crate::connectors::view::{connectors_of, is_proxied};
use crate::error::{ApiError, ApiResult};
use crate::protocols::base_url::BaseUrl;
use crate::protocols::upload::stage_stream;
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// How deep indexes of indexes are followed.
const MAX_INDEX_DEPTH: usize = 4;

/// The Docker side of connectors.
pub struct DockerRemote;

#[async_trait]
impl RemoteFormat for DockerRemote {
    /// The upstream's tags of the repository, each a version whose
    /// download is its manifest.
    async fn versions(
        &self,
        upstream: &Connector,
        id: &PackageId,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let repository = UpstreamRepository::new(upstream, &id.name)?;
        Ok(repository
            .tags()
            .await?
            .into_iter()
            .map(|tag| RemoteVersion {
                group: String::new(),
                name: id.name.clone(),
                download_url: repository.manifest_url(&tag),
                version: tag,
                metadata: json!({}),
                published_at: 0,
                listed: true,
                deprecation: None,
                size: None,
                dist_tags: Vec::new(),
            })
            .collect())
    }

    /// Never called: images are stored by [`Self::store_version`].
    async fn parse(
        &self,
        _state: &AppState,
        _staged: &StagedBlob,
        _remote: &PackageRecord,
    ) -> ApiResult<ParsedPackage> {
        Err(ApiError::bad_request(
            "a Docker image is fetched whole through the registry protocol, not as one file",
        ))
    }

    fn check_url(&self, url: &str) -> Result<(), String> {
        address(url).map(|_| ())
    }

    /// The tag's whole image, stored as a pull would (promotion of a tag
    /// the feed only proxies).
    async fn store_version(
        &self,
        state: &AppState,
        feed: &FeedRecord,
        upstream: &Connector,
        remote: &PackageRecord,
    ) -> Option<ApiResult<PackageRecord>> {
        Some(store_for_promotion(state, feed, upstream, remote).await)
    }
}

async fn store_for_promotion(
    state: &AppState,
    feed: &FeedRecord,
    upstream: &Connector,
    remote: &PackageRecord,
) -> ApiResult<PackageRecord> {
    let caller = Caller::authenticate(state, Presented::default()).await?;
    let base = BaseUrl(state.config().public_url.clone().unwrap_or_default());
    let request = detached(feed.clone(), remote.name.clone(), caller, base);
    let connector = state.connectors().get(upstream.record.clone());
    let reference = Reference::Tag(remote.version.clone());
    let not_stored = |reason: String| {
        ApiError::not_found(format!(
            "{}:{} could not be fetched through connector '{}': {reason}",
            remote.name,
            remote.version,
            connector.name()
        ))
    };
    match fetch_once(state, &request, &connector, Job::Image(reference)).await {
        Ok(true) => connector.succeeded(&state.meta_handle()),
        Ok(false) => {
            connector.succeeded(&state.meta_handle());
            return Err(not_stored("the upstream does not have it".into()));
        }
        Err(Failure::Upstream(e)) => {
            connector.failed(&state.meta_handle(), &e);
            return Err(not_stored(e.to_string()));
        }
        Err(Failure::Local(e)) => return Err(ApiError::new(e.status, e.message)),
    }
    find_tag(state, &request, &remote.version)
        .await
        .map_err(|e| ApiError::new(e.status, e.message))?
        .ok_or_else(|| not_stored("it was deleted meanwhile".into()))
}

/// A request of the feed's repository made by this server (a fetch that
/// outlives the client's request, a promotion).
fn detached(feed: FeedRecord, repository: String, caller: Caller, base: BaseUrl) -> RepositoryRequest {
    let (parts, ()) = axum::http::Request::new(()).into_parts();
    RepositoryRequest {
        feed,
        repository,
        caller,
        base,
        parts,
    }
}

/// Why asking one connector failed: its upstream (try the next), or this
/// server (stop).
#[derive(Clone, Debug)]
enum Failure {
    Upstream(UpstreamError),
    Local(RegistryError),
}

impl From<UpstreamError> for Failure {
    fn from(e: UpstreamError) -> Self {
        Self::Upstream(e)
    }
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        Self::Local(e)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Self::Local(e.into())
    }
}

impl From<gantry_store::StoreError> for Failure {
    fn from(e: gantry_store::StoreError) -> Self {
        Self::Local(e.into())
    }
}

/// What a connector is asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Job {
    /// A manifest and its whole image.
    Image(Reference),
    /// One blob.
    Blob(Digest),
}

impl Job {
    fn what(&self) -> (&'static str, Code) {
        match self {
            Self::Image(_) => ("Manifest", Code::ManifestUnknown),
            Self::Blob(_) => ("Blob", Code::BlobUnknown),
        }
    }

    fn reference(&self) -> String {
        match self {
            Self::Image(reference) => reference.to_string(),
            Self::Blob(digest) => digest.to_string(),
        }
    }
}

/// A fetch into a feed under way, joined by concurrent requests for it.
type InFlight = Shared<BoxFuture<'static, Result<bool, Failure>>>;

/// The fetches under way on this node: (feed, repository, connector, job).
#[derive(Default)]
struct Fetches(Mutex<HashMap<(i64, String, i64, Job), InFlight>>);

/// Before a manifest `GET`/`HEAD` of a proxy feed that lacks it: with
/// `cacheConnectors` on, stores it (and its image) from the first
/// connector that has it, and the feed then answers (`None`); otherwise
/// relays the upstream's answer (`Some`). 404 naming each connector asked
/// and why, when none provided it.
pub(super) async fn fill_manifest(
    state: &AppState,
    request: &RepositoryRequest,
    reference: &Reference,
) -> Result<Option<Response>, RegistryError> {
    if !is_proxied(&request.feed) || holds_manifest(state, request, reference).await? {
        return Ok(None);
    }
    fill(state, request, Job::Image(reference.clone())).await
}

/// Before a blob `GET`/`HEAD` of a proxy feed that lacks it: as
/// [`fill_manifest`], for one blob.
pub(super) async fn fill_blob(
    state: &AppState,
    request: &RepositoryRequest,
    digest: &Digest,
) -> Result<Option<Response>, RegistryError> {
    if !is_proxied(&request.feed)
        || state
            .meta()
            .registry_blob(request.feed.id, &request.repository, &digest.to_string())
            .await?
            .is_some()
    {
        return Ok(None);
    }
    fill(state, request, Job::Blob(digest.clone())).await
}

async fn holds_manifest(
    state: &AppState,
    request: &RepositoryRequest,
    reference: &Reference,
) -> Result<bool, RegistryError> {
    Ok(match reference {
        Reference::Tag(tag) => find_tag(state, request, tag).await?.is_some(),
        Reference::Digest(digest) => state
            .meta()
            .registry_manifest(request.feed.id, &request.repository, &digest.to_string())
            .await?
            .is_some(),
    })
}

async fn fill(
    state: &AppState,
    request: &RepositoryRequest,
    job: Job,
) -> Result<Option<Response>, RegistryError> {
    let mut reasons = Vec::new();
    for connector in connectors_of(state, &request.feed).await? {
        if !connector.allows(&request.repository) {
            continue;
        }
        if let Some(resting) = connector.resting() {
            reasons.push(format!("connector '{}': {resting}", connector.name()));
            continue;
        }
        let outcome = if request.feed.settings.cache_connectors {
            fetch_once(state, request, &connector, job.clone())
                .await
                .map(|stored| stored.then_some(None))
        } else {
            relay(request, &connector, &job)
                .await
                .map(|relayed| relayed.map(Some))
        };
        match outcome {
            Ok(Some(relayed)) => {
                connector.succeeded(&state.meta_handle());
                return Ok(relayed);
            }
            Ok(None) => {
                connector.succeeded(&state.meta_handle());
                reasons.push(format!(
                    "connector '{}': the upstream does not have it",
                    connector.name()
                ));
            }
            Err(Failure::Upstream(e)) => {
                tracing::warn!(connector = %connector.name(), feed = %request.feed.settings.name,
                    repository = %request.repository, reference = %job.reference(), error = %e,
                    "docker upstream failed");
                connector.failed(&state.meta_handle(), &e);
                reasons.push(format!("connector '{}': {e}", connector.name()));
            }
            Err(Failure::Local(e)) => return Err(e),
        }
    }
    if reasons.is_empty() {
        // No connector may be asked (filters): the feed's own answer.
        return Ok(None);
    }
    let (what, code) = job.what();
    Err(RegistryError::unknown(
        code,
        format!(
            "{what} {} is not in repository {}, and its connectors did not provide it: {}.",
            job.reference(),
            request.full_name(),
            reasons.join("; ")
        ),
    ))
}

/// Stores what `job` asks from one connector into the feed, joining the
/// same fetch when one is under way on this node. The fetch runs on its
/// own: a client that goes away does not cut it short. False when the
/// upstream does not have it.
async fn fetch_once(
    state: &AppState,
    request: &RepositoryRequest,
    connector: &Arc<Connector>,
    job: Job,
) -> Result<bool, Failure> {
    let fetches = state.connectors().shared::<Fetches>();
    let key = (
        request.feed.id,
        request.repository.clone(),
        connector.record.id,
        job.clone(),
    );
    let shared = {
        let Ok(mut in_flight) = fetches.0.lock() else {
            return Err(Failure::Local(
                ApiError::internal("fetch", &"a fetch lock was poisoned").into(),
            ));
        };
        if let Some(existing) = in_flight.get(&key) {
            existing.clone()
        } else {
            let fetch = Fetch {
                state: state.clone(),
                request: detached(
                    request.feed.clone(),
                    request.repository.clone(),
                    request.caller.clone(),
                    request.base.clone(),
                ),
                connector: Arc::clone(connector),
            };
            let done = Arc::clone(&fetches);
            let done_key = key.clone();
            let task = tokio::spawn(async move {
                let outcome = fetch.run(job).await;
                if let Ok(mut in_flight) = done.0.lock() {
                    in_flight.remove(&done_key);
                }
                outcome
            });
            let shared = async move {
                task.await.unwrap_or_else(|e| {
                    Err(Failure::Local(
                        ApiError::internal("a connector fetch failed", &e).into(),
                    ))
                })
            }
            .boxed()
            .shared();
            in_flight.insert(key, shared.clone());
            shared
        }
    };
    shared.await
}

/// One fetch from one connector into a feed's repository.
struct Fetch {
    state: AppState,
    request: RepositoryRequest,
    connector: Arc<Connector>,
}

impl Fetch {
    async fn run(&self, job: Job) -> Result<bool, Failure> {
        let upstream = UpstreamRepository::new(&self.connector, &self.request.repository)?;
        match job {
            Job::Image(reference) => {
                // Stored meanwhile (a fetch that just ended, another node).
                if holds_manifest(&self.state, &self.request, &reference).await? {
                    return Ok(true);
                }
                let Some(top) = upstream.manifest(&reference).await? else {
                    return Ok(false);
                };
                let tag = match &reference {
                    Reference::Tag(tag) => Some(tag.as_str()),
                    Reference::Digest(_) => None,
                };
                self.store_tree(&upstream, top, tag, 0).await?;
                tracing::info!(feed = %self.request.feed.settings.name, repository = %self.request.repository,
                    reference = %reference, connector = %self.connector.name(), "image cached from connector");
                Ok(true)
            }
            Job::Blob(digest) => self.store_blob(&upstream, &digest, None).await,
        }
    }

    /// Stores a manifest after everything it names that the repository
    /// lacks: child manifests (with theirs), then blobs.
    fn store_tree<'a>(
        &'a self,
        upstream: &'a UpstreamRepository<'a>,
        manifest: FetchedManifest,
        tag: Option<&'a str>,
        depth: usize,
    ) -> BoxFuture<'a, Result<(), Failure>> {
        async move {
            let (state, request) = (&self.state, &self.request);
            for child in &manifest.parsed.manifests {
                let held = state
                    .meta()
                    .registry_manifest(request.feed.id, &request.repository, &child.digest.to_string())
                    .await?;
                if held.is_some() {
                    continue;
                }
                if depth >= MAX_INDEX_DEPTH {
                    return Err(UpstreamError::Malformed(format!(
                        "index {} nests indexes more than {MAX_INDEX_DEPTH} deep",
                        manifest.digest
                    ))
                    .into());
                }
                let fetched = upstream
                    .manifest(&Reference::Digest(child.digest.clone()))
                    .await?
                    .ok_or_else(|| missing(&manifest.digest, child))?;
                self.store_tree(upstream, fetched, None, depth + 1).await?;
            }
            for blob in manifest.parsed.config.iter().chain(&manifest.parsed.layers) {
                let held = state
                    .meta()
                    .registry_blob(request.feed.id, &request.repository, &blob.digest.to_string())
                    .await?;
                if held.is_none() && !self.store_blob(upstream, &blob.digest, Some(blob.size)).await? {
                    return Err(missing(&manifest.digest, blob).into());
                }
            }
            self.store_manifest(&manifest, tag).await
        }
        .boxed()
    }

    /// Streams a blob into staging, checks it against its digest (and the
    /// size its descriptor gives) and links it into the repository.
    async fn store_blob(
        &self,
        upstream: &UpstreamRepository<'_>,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<bool, Failure> {
        let Some(response) = upstream.blob(&Method::GET, digest, size).await? else {
            return Ok(false);
        };
        let staged = stage_stream(&self.state, response.bytes_stream())
            .await
            .map_err(|e| match e.status {
                // The body broke off.
                StatusCode::BAD_REQUEST => Failure::Upstream(UpstreamError::Unreachable(e.message)),
                _ => Failure::from(e),
            })?;
        let info = staged.info();
        if !blobs::matches(info, digest) {
            return Err(UpstreamError::Malformed(format!(
                "blob {digest} came with other bytes (their sha256 is {})",
                info.sha256
            ))
            .into());
        }
        if let Some(size) = size.filter(|s| *s != info.size) {
            return Err(UpstreamError::Malformed(format!(
                "blob {digest} is {} bytes, not the {size} its manifest says",
                info.size
            ))
            .into());
        }
        blobs::link_staged(&self.state, &self.request.at(), staged, digest).await?;
        Ok(true)
    }

    /// Stores a manifest whose references the repository holds, with its
    /// tag: added by `SYSTEM` through the connector.
    async fn store_manifest(&self, manifest: &FetchedManifest, tag: Option<&str>) -> Result<(), Failure> {
        let (state, request) = (&self.state, &self.request);
        let parsed = &manifest.parsed;
        let tag = match tag {
            Some(tag) => Some(NewRegistryTag {
                tag: tag.to_owned(),
                metadata: image_metadata(state, request, parsed, &manifest.digest, manifest.bytes.len())
                    .await?,
                immutable: request.feed.settings.immutable_tags,
            }),
            None => None,
        };
        let sha256 = blobs::commit_bytes(state, manifest.bytes.clone()).await?.sha256;
        let outcome = state
            .meta()
            .registry_put_manifest(&NewRegistryManifest {
                at: request.at(),
                digest: manifest.digest.to_string(),
                media_type: parsed.media_type.clone(),
                artifact_type: parsed.artifact_type.clone().unwrap_or_default(),
                subject: parsed.subject.as_ref().map(|s| s.digest.to_string()),
                annotations: json!(parsed.annotations),
                sha256,
                size: i64::try_from(manifest.bytes.len()).unwrap_or(i64::MAX),
                references: parsed.references().iter().map(|d| d.digest.to_string()).collect(),
                tag,
                user: SYSTEM_USER.to_owned(),
                connector: Some(self.connector.name().to_owned()),
            })
            .await?;
        match outcome {
            PutManifestOutcome::Stored { .. } => Ok(()),
            PutManifestOutcome::MissingReference(missing) => Err(RegistryError::new(
                StatusCode::CONFLICT,
                Code::Unknown,
                format!(
                    "{missing} left repository {} while manifest {} was being cached; try again.",
                    request.full_name(),
                    manifest.digest
                ),
            )
            .into()),
            PutManifestOutcome::TagImmutable(current) => Err(RegistryError::new(
                StatusCode::CONFLICT,
                Code::Denied,
                format!(
                    "Tags of feed '{}' are immutable: the tag points at {current} already.",
                    request.feed.settings.name
                ),
            )
            .into()),
        }
    }
}

fn missing(parent: &Digest, child: &Descriptor) -> UpstreamError {
    UpstreamError::Malformed(format!(
        "{parent} names {}, which the upstream does not have",
        child.digest
    ))
}

/// Relays what `job` asks from one connector, storing nothing; `None` when
/// the upstream does not have it.
async fn relay(
    request: &RepositoryRequest,
    connector: &Connector,
    job: &Job,
) -> Result<Option<Response>, Failure> {
    let upstream = UpstreamRepository::new(connector, &request.repository)?;
    let head = request.parts.method == Method::HEAD;
    match job {
        Job::Image(reference) => {
            let Some(manifest) = upstream.manifest(reference).await? else {
                return Ok(None);
            };
            let accept: Vec<&str> = request
                .parts
                .headers
                .get_all(header::ACCEPT)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let media_type = &manifest.parsed.media_type;
            if !accepts(&accept, media_type) {
                return Err(RegistryError::unknown(
                    Code::ManifestUnknown,
                    format!(
                        "Manifest {} is a {media_type}, which the request's Accept header does not allow.",
                        manifest.digest
                    ),
                )
                .into());
            }
            let length = manifest.bytes.len();
            let mut response = if head {
                StatusCode::OK.into_response()
            } else {
                (StatusCode::OK, Body::from(manifest.bytes)).into_response()
            };
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(media_type) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            digest_headers(headers, &manifest.digest);
            Ok(Some(response))
        }
        Job::Blob(digest) => {
            let method = if head { Method::HEAD } else { Method::GET };
            let Some(upstream) = upstream.blob(&method, digest, None).await? else {
                return Ok(None);
            };
            let length = upstream
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let mut response = if head {
                StatusCode::OK.into_response()
            } else {
                Body::from_stream(verified(upstream.bytes_stream(), digest.clone())).into_response()
            };
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Some(length) = length {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            }
            digest_headers(headers, digest);
            Ok(Some(response))
        }
    }
}

fn digest_headers(headers: &mut axum::http::HeaderMap, digest: &Digest) {
    if let Ok(value) = HeaderValue::from_str(&digest.to_string()) {
        headers.insert("docker-content-digest", value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{digest}\"")) {
        headers.insert(header::ETAG, value);
    }
}

/// A running digest of relayed bytes.
enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    fn new(algorithm: DigestAlgorithm) -> Self {
        match algorithm {
            DigestAlgorithm::Sha256 => Self::Sha256(Sha256::new()),
            DigestAlgorithm::Sha512 => Self::Sha512(Sha512::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    fn hex(self) -> String {
        match self {
            Self::Sha256(h) => hex::encode(h.finalize()),
            Self::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

/// Relayed bytes checked against `digest` as they pass: the last chunk is
/// held back until the whole blob is checked, and the stream fails instead
/// when it does not match, so a client never gets a complete wrong blob.
fn verified<S>(upstream: S, digest: Digest) -> impl Stream<Item = Result<Bytes, io::Error>> + Send
where
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Send + 'static,
{
    struct Relay {
        upstream: Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>,
        hasher: Option<Hasher>,
        pending: Option<Bytes>,
        digest: Digest,
    }
    let relay = Relay {
        upstream: Box::pin(upstream),
        hasher: Some(Hasher::new(digest.algorithm())),
        pending: None,
        digest,
    };
    futures::stream::unfold(relay, |mut relay| async move {
        let hasher = relay.hasher.as_mut()?;
        loop {
            match relay.upstream.next().await {
                Some(Ok(chunk)) => {
                    hasher.update(&chunk);
                    if let Some(previous) = relay.pending.replace(chunk) {
                        return Some((Ok(previous), relay));
                    }
                }
                Some(Err(e)) => {
                    relay.hasher = None;
                    return Some((Err(io::Error::other(e)), relay));
                }
                None => {
                    let hex = relay.hasher.take()?.hex();
                    if hex != relay.digest.hex() {
                        let wrong = format!("the upstream's bytes are not blob {}", relay.digest);
                        return Some((Err(io::Error::other(wrong)), relay));
                    }
                    let last = relay.pending.take()?;
                    return Some((Ok(last), relay));
                }
            }
        }
    })
}

/// Adds the upstreams' tags to a page of the feed's own (`tags`, at most
/// `limit` after `last`), keeping the page sorted and at most `limit`
/// long. Upstream tag lists are read through the connectors' metadata
/// cache; a failing upstream adds nothing and is marked unhealthy.
pub(super) async fn merge_upstream_tags(
    state: &AppState,
    request: &RepositoryRequest,
    last: Option<&str>,
    limit: i64,
    tags: &mut Vec<String>,
) -> Result<(), RegistryError> {
    if !is_proxied(&request.feed) {
        return Ok(());
    }
    let id = PackageId {
        group: String::new(),
        name: request.repository.clone(),
    };
    // The key connectors::view uses for a package's versions: one cache.
    let key = format!("v:/{}", request.repository);
    for connector in connectors_of(state, &request.feed).await? {
        if !connector.allows(&request.repository) || connector.resting().is_some() {
            continue;
        }
        match connector
            .cached_versions(key.clone(), DockerRemote.versions(&connector, &id))
            .await
        {
            Ok(fetched) => {
                connector.succeeded(&state.meta_handle());
                tags.extend(
                    fetched
                        .versions
                        .iter()
                        .map(|v| v.version.clone())
                        .filter(|tag| last.is_none_or(|last| tag.as_str() > last)),
                );
            }
            Err(e) => connector.failed(&state.meta_handle(), &e),
        }
    }
    tags.sort();
    tags.dedup();
    tags.truncate(usize::try_from(limit).unwrap_or_default());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn relayed(chunks: &[&'static [u8]], digest: &Digest) -> (Vec<u8>, bool) {
        let upstream = futures::stream::iter(
            chunks
                .iter()
                .map(|c| Ok::<_, reqwest::Error>(Bytes::from_static(c)))
                .collect::<Vec<_>>(),
        );
        let mut stream = Box::pin(verified(upstream, digest.clone()));
        let mut body = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(bytes) => body.extend_from_slice(&bytes),
                Err(_) => return (body, false),
            }
        }
        (body, true)
    }

    #[tokio::test]
    async fn relayed_blobs_are_checked_before_their_last_bytes() {
        let digest = Digest::sha256_of(b"hello world");
        assert_eq!(
            relayed(&[b"hello", b" ", b"world"], &digest).await,
            (b"hello world".to_vec(), true)
        );
        // Other bytes: the last chunk never goes out.
        assert_eq!(
            relayed(&[b"hello", b" ", b"there"], &digest).await,
            (b"hello ".to_vec(), false)
        );
        assert_eq!(relayed(&[], &Digest::sha256_of(b"")).await, (Vec::new(), true));
    }
}
