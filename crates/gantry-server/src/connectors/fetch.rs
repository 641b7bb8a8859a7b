//! Fetching a remote version into a feed: on its first download the file
//! is streamed to the client and into the blob store at once, checked by
//! its format, and stored as a version added by `SYSTEM` through the
//! connector. Concurrent requests for the same version on this node share
//! one upstream fetch; the version's unique key keeps nodes from storing it
//! twice.

use std::io;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use gantry_formats::PackageFormat;
use gantry_store::{FeedRecord, PackageQuery, PackageRecord, RemoteOrigin};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::upstream::Connector;
use super::FetchOutcome;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::download::{self, Download};
use crate::services::publish::store_fetched;
use crate::state::AppState;

/// Serves a version the feed does not store but a connector offers. With
/// `cacheConnectors` on, the file is stored into the feed while it streams
/// (a later download is local); otherwise it is only relayed.
pub async fn serve(
    state: &AppState,
    download: Download<'_>,
    format: &'static dyn PackageFormat,
    content_type: &'static str,
    file_name: &str,
) -> ApiResult<Response> {
    let record = download.record;
    let feed = download.feed;
    let origin = origin_of(record)?;
    let connector = connector_for(state, feed, origin).await?;
    if !feed.settings.cache_connectors {
        return relay(state, &connector, record, content_type, file_name).await;
    }
    let after = AfterDownload {
        headers: download.headers.clone(),
        caller: download.caller.clone(),
    };
    let (shared, leader) = join_or_start(state, feed, format, &connector, record, Some(after));
    if let Some(Leader { head, body }) = leader {
        // This request started the fetch: it gets the bytes as they come.
        if let Ok(Ok(length)) = head.await {
            return Ok(streaming_response(body, length, content_type, file_name));
        }
    }
    let stored = shared.await?;
    download::serve(
        state,
        Download {
            record: &stored,
            ..download
        },
        content_type,
        file_name,
    )
    .await
}

/// Stores a remote version into the feed (or waits for a fetch of it under
/// way) and returns the stored version: promotion of a version the source
/// feed only proxies.
pub async fn cache(
    state: &AppState,
    feed: &FeedRecord,
    format: &'static dyn PackageFormat,
    record: &PackageRecord,
) -> ApiResult<PackageRecord> {
    let origin = origin_of(record)?;
    let connector = connector_for(state, feed, origin).await?;
    if let Some(remote) = crate::package_types::connector_for(feed.settings.feed_type) {
        if let Some(stored) = remote.store_version(state, feed, &connector, record).await {
            return stored;
        }
    }
    let (shared, _) = join_or_start(state, feed, format, &connector, record, None);
    shared.await
}

fn origin_of(record: &PackageRecord) -> ApiResult<&RemoteOrigin> {
    record
        .remote
        .as_ref()
        .ok_or_else(|| ApiError::internal("fetch of a stored version", &"the version is not remote"))
}

async fn connector_for(
    state: &AppState,
    feed: &FeedRecord,
    origin: &RemoteOrigin,
) -> ApiResult<Arc<Connector>> {
    let record = state
        .meta()
        .get_connector(&origin.connector.to_ascii_lowercase())
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Connector '{}' of feed '{}' was removed.",
                origin.connector, feed.settings.name
            ))
        })?;
    Ok(state.connectors().get(record))
}

/// What to do once a download that stored a version has finished: count
/// it and record a deployment, as a local download would.
struct AfterDownload {
    headers: HeaderMap,
    caller: Caller,
}

/// The receiving end for the request that started a fetch.
struct Leader {
    /// The upstream file's length (if known) once the upstream answered, or
    /// why the fetch failed before a byte came.
    head: oneshot::Receiver<ApiResult<Option<u64>>>,
    /// The file's bytes as they arrive.
    body: mpsc::Receiver<Result<Bytes, io::Error>>,
}

type Shared = futures::future::Shared<futures::future::BoxFuture<'static, FetchOutcome>>;

/// Joins the fetch of `record` under way on this node, or starts one (the
/// caller then also gets the bytes as they stream, when it asks).
fn join_or_start(
    state: &AppState,
    feed: &FeedRecord,
    format: &'static dyn PackageFormat,
    connector: &Arc<Connector>,
    record: &PackageRecord,
    after: Option<AfterDownload>,
) -> (Shared, Option<Leader>) {
    let key = (feed.id, record.key.clone());
    let Ok(mut in_flight) = state.connectors().in_flight().lock() else {
        let failed: Shared =
            futures::future::ready(Err(ApiError::internal("fetch", &"a fetch lock was poisoned")))
                .boxed()
                .shared();
        return (failed, None);
    };
    if let Some(existing) = in_flight.get(&key) {
        return (existing.clone(), None);
    }
    let (head_tx, head) = oneshot::channel();
    let (body_tx, body) = mpsc::channel(16);
    let is_leader = after.is_some();
    let job = Fetch {
        state: state.clone(),
        feed: feed.clone(),
        format,
        connector: Arc::clone(connector),
        record: record.clone(),
        after,
        head: Some(head_tx),
        body: is_leader.then_some(body_tx),
    };
    let task = tokio::spawn(job.run());
    let shared = async move {
        task.await
            .unwrap_or_else(|e| Err(ApiError::internal("a connector fetch failed", &e)))
    }
    .boxed()
    .shared();
    in_flight.insert(key, shared.clone());
    (shared, is_leader.then_some(Leader { head, body }))
}

/// One fetch of a remote version into a feed.
struct Fetch {
    state: AppState,
    feed: FeedRecord,
    format: &'static dyn PackageFormat,
    connector: Arc<Connector>,
    record: PackageRecord,
    after: Option<AfterDownload>,
    head: Option<oneshot::Sender<ApiResult<Option<u64>>>>,
    body: Option<mpsc::Sender<Result<Bytes, io::Error>>>,
}

impl Fetch {
    async fn run(mut self) -> FetchOutcome {
        let outcome = self.fetch().await;
        if let Ok(mut in_flight) = self.state.connectors().in_flight().lock() {
            in_flight.remove(&(self.feed.id, self.record.key.clone()));
        }
        outcome
    }

    async fn fetch(&mut self) -> FetchOutcome {
        // A fetch that just finished (here or on another node) may have
        // stored it between this request's look-up and now.
        if let Some(stored) = self.stored().await? {
            return Ok(stored);
        }
        let Some(origin) = self.record.remote.clone() else {
            return Err(ApiError::internal("fetch", &"the version is not remote"));
        };
        let response = match open_file(&self.state, &self.connector, &self.record, &origin).await {
            Ok(response) => response,
            Err(e) => {
                if let Some(head) = self.head.take() {
                    let _ = head.send(Err(e.clone()));
                }
                return Err(e);
            }
        };
        if let Some(head) = self.head.take() {
            let _ = head.send(Ok(response.content_length()));
        }
        let sink = Arc::new(Mutex::new(ClientSink {
            tx: self.body.take(),
            pending: None,
        }));
        let tee = {
            let sink = Arc::clone(&sink);
            response.bytes_stream().then(move |chunk| {
                let sink = Arc::clone(&sink);
                async move {
                    if let Ok(bytes) = &chunk {
                        sink.lock().await.push(bytes.clone()).await;
                    }
                    chunk
                }
            })
        };
        let stored = self.store(Box::pin(tee)).await;
        let mut sink = sink.lock().await;
        match stored {
            Ok(record) => {
                // Counted before the last bytes go: a client that has the
                // whole file finds the download (and deployment) recorded.
                if let Some(after) = self.after.take() {
                    self.count(&after, &record).await;
                }
                sink.finish().await;
                self.connector.succeeded(&self.state.meta_handle());
                Ok(record)
            }
            Err(e) => {
                sink.fail(&e.message).await;
                Err(e)
            }
        }
    }

    /// The version, if the feed stores it now.
    async fn stored(&self) -> ApiResult<Option<PackageRecord>> {
        let query = PackageQuery {
            group_key: Some(self.record.key.group_key.clone()),
            name_key: Some(self.record.key.name_key.clone()),
            version_key: Some(self.record.key.version_key.clone()),
        };
        Ok(self.state.meta().find_packages(self.feed.id, &query).await?.pop())
    }

    /// Stages the streamed file, checks it with its format and stores it.
    async fn store<S>(&self, stream: S) -> ApiResult<PackageRecord>
    where
        S: futures::Stream<Item = Result<Bytes, reqwest::Error>> + Send + Unpin,
    {
        let staged = crate::protocols::upload::stage_stream(&self.state, stream)
            .await
            .map_err(|e| {
                if e.status == StatusCode::BAD_REQUEST {
                    let failure = super::upstream::UpstreamError::Unreachable(e.message.clone());
                    self.connector.failed(&self.state.meta_handle(), &failure);
                    unfetchable(&self.record, self.connector.name(), &e.message)
                } else {
                    e
                }
            })?;
        let remote = crate::package_types::connector_for(self.feed.settings.feed_type)
            .ok_or_else(|| ApiError::internal("fetch", &"the feed type has no connector support"))?;
        let parsed = remote
            .parse(&self.state, &staged, &self.record)
            .await
            .map_err(|e| {
                tracing::warn!(connector = %self.connector.name(), package = %self.record.name,
                version = %self.record.version, reason = %e.message, "upstream served an invalid package");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    format!(
                        "Connector '{}' served an invalid package for {} {}: {}",
                        self.connector.name(),
                        self.record.name,
                        self.record.version,
                        e.message
                    ),
                )
            })?;
        let same = self.format.version_key(&parsed.version).ok().as_deref()
            == Some(&self.record.key.version_key)
            && self.format.name_key(&parsed.id.name) == self.record.key.name_key
            && self.format.group_key(&parsed.id.group) == self.record.key.group_key;
        if !same {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!(
                    "Connector '{}' served {} {} when asked for {} {}.",
                    self.connector.name(),
                    parsed.id.name,
                    parsed.version,
                    self.record.name,
                    self.record.version
                ),
            ));
        }
        store_fetched(
            &self.state,
            &self.feed,
            self.format,
            staged,
            parsed,
            self.connector.name(),
        )
        .await
    }

    /// Counts the download that stored the version, and records the
    /// deployment its headers ask for.
    async fn count(&self, after: &AfterDownload, record: &PackageRecord) {
        if let Err(e) = self.state.meta().count_download(record.id).await {
            tracing::warn!(error = %e, "could not count a download");
        }
        if let Err(e) =
            download::record_from_headers(&self.state, &after.headers, &after.caller, &self.feed, record)
                .await
        {
            tracing::warn!(error = %e.message, "could not record a deployment");
        }
    }
}

/// Forwards the bytes to the client that started a fetch, holding the last
/// chunk back until the package is checked and stored: a client never
/// receives a whole file that was then refused.
struct ClientSink {
    tx: Option<mpsc::Sender<Result<Bytes, io::Error>>>,
    pending: Option<Bytes>,
}

impl ClientSink {
    async fn push(&mut self, chunk: Bytes) {
        if let Some(previous) = self.pending.replace(chunk) {
            self.send(Ok(previous)).await;
        }
    }

    async fn finish(&mut self) {
        if let Some(last) = self.pending.take() {
            self.send(Ok(last)).await;
        }
        self.tx = None;
    }

    async fn fail(&mut self, reason: &str) {
        self.pending = None;
        self.send(Err(io::Error::other(reason.to_owned()))).await;
        self.tx = None;
    }

    async fn send(&mut self, item: Result<Bytes, io::Error>) {
        // A client that went away stops getting bytes; the fetch goes on so
        // the version is stored for the next one.
        if let Some(tx) = &self.tx {
            if tx.send(item).await.is_err() {
                self.tx = None;
            }
        }
    }
}

fn streaming_response(
    body: mpsc::Receiver<Result<Bytes, io::Error>>,
    length: Option<u64>,
    content_type: &'static str,
    file_name: &str,
) -> Response {
    let stream = futures::stream::unfold(
        body,
        |mut rx| async move { rx.recv().await.map(|item| (item, rx)) },
    );
    file_response(Body::from_stream(stream), length, content_type, file_name)
}

/// Relays a remote file without storing it (`cacheConnectors` off).
async fn relay(
    state: &AppState,
    connector: &Connector,
    record: &PackageRecord,
    content_type: &'static str,
    file_name: &str,
) -> ApiResult<Response> {
    let response = open_file(state, connector, record, origin_of(record)?).await?;
    connector.succeeded(&state.meta_handle());
    let length = response.content_length();
    Ok(file_response(
        Body::from_stream(response.bytes_stream()),
        length,
        content_type,
        file_name,
    ))
}

/// Asks the upstream for a remote version's file. A refusal or failure is
/// a clean 404 naming the connector, never a 500.
async fn open_file(
    state: &AppState,
    connector: &Connector,
    record: &PackageRecord,
    origin: &RemoteOrigin,
) -> ApiResult<reqwest::Response> {
    match connector.send(connector.get_file(&origin.download_url)).await {
        Ok(Some(response)) => Ok(response),
        Ok(None) => Err(unfetchable(
            record,
            &origin.connector,
            "the upstream no longer has it",
        )),
        Err(e) => {
            connector.failed(&state.meta_handle(), &e);
            Err(unfetchable(record, &origin.connector, &e.to_string()))
        }
    }
}

/// The 404 for a remote version whose file did not arrive.
fn unfetchable(record: &PackageRecord, connector: &str, why: &str) -> ApiError {
    ApiError::not_found(format!(
        "Package {} {} could not be fetched through connector '{connector}': {}.",
        record.name,
        record.version,
        why.trim_end_matches('.')
    ))
}

/// A 200 answer carrying a package file as its bytes come.
fn file_response(body: Body, length: Option<u64>, content_type: &'static str, file_name: &str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    download::insert_disposition(headers, file_name);
    response
}
