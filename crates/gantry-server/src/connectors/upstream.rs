//! One connector at run time: its HTTP access to the upstream, its filters,
//! its metadata cache and what this node knows of its health.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gantry_core::PackageFilters;
use gantry_store::{ConnectorHealth, ConnectorRecord, ConnectorSettings, MetadataStore};
use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::StatusCode;

use super::remote::RemoteVersion;

/// Upstream documents larger than this are refused as malformed (the
/// biggest npm packuments are tens of megabytes).
const MAX_DOCUMENT_BYTES: usize = 128 * 1024 * 1024;

/// The most `Authorization` values a connector keeps (one per repository
/// it reads, for Docker registries).
const MAX_AUTHORIZATIONS: usize = 1024;

/// How often an unchanged health state is written again, so that
/// `lastSuccess` stays meaningful without a write per request.
const HEALTH_REFRESH: Duration = Duration::from_mins(1);

/// Why an upstream request failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream did not answer within the connector's timeout.
    #[error("the upstream did not answer within {0} s")]
    Timeout(u32),
    /// No connection could be made.
    #[error("the upstream could not be reached: {0}")]
    Unreachable(String),
    /// The upstream answered with an error status.
    #[error("the upstream answered {0}")]
    Status(u16),
    /// The upstream answered something that is not what the protocol says.
    #[error("the upstream sent a malformed document: {0}")]
    Malformed(String),
    /// The upstream failed moments ago and is not asked again yet.
    #[error("the upstream failed moments ago ({0}); it is tried again in a few seconds")]
    Resting(String),
}

/// The HTTP clients connectors share: one for documents, which accepts
/// compressed answers (nuget.org sends some registrations gzip-encoded
/// whatever the request asks), and one for package files, which takes the bytes as
/// sent (a `.tgz` served with `Content-Encoding: gzip` must not be inflated,
/// or its digest would not match).
#[derive(Clone)]
pub struct Clients {
    documents: reqwest::Client,
    files: reqwest::Client,
}

impl Default for Clients {
    fn default() -> Self {
        let builder = || reqwest::Client::builder().user_agent(concat!("Gantry/", env!("CARGO_PKG_VERSION")));
        Self {
            documents: builder().build().unwrap_or_default(),
            files: builder().no_gzip().build().unwrap_or_default(),
        }
    }
}

/// One upstream answer as the metadata cache keeps it. `answer` numbers it
/// uniquely on this node, so a document rendered from it can be kept for as
/// long as the cache serves the same answer.
pub struct Fetched {
    /// This node's number for the answer.
    pub answer: u64,
    /// What the upstream offered.
    pub versions: Vec<RemoteVersion>,
}

static ANSWERS: AtomicU64 = AtomicU64::new(1);

impl Fetched {
    fn new(versions: Vec<RemoteVersion>) -> Arc<Self> {
        Arc::new(Self {
            answer: ANSWERS.fetch_add(1, Ordering::Relaxed),
            versions,
        })
    }
}

/// A connector as a node uses it.
pub struct Connector {
    /// The stored connector (settings and health as last read).
    pub record: ConnectorRecord,
    /// Its parsed filters.
    pub filters: PackageFilters,
    clients: Clients,
    versions: Option<moka::future::Cache<String, Arc<Fetched>>>,
    health: Mutex<HealthMemory>,
    /// `Authorization` values by scope, each until it expires.
    authorizations: Mutex<HashMap<String, (HeaderValue, Instant)>>,
}

struct HealthMemory {
    health: ConnectorHealth,
    written: Option<Instant>,
    /// After a connection failure or timeout, the upstream is not asked
    /// again until then: reads serve what the feed has at once instead of
    /// each waiting for the timeout.
    resting_until: Option<Instant>,
}

/// How long an unreachable upstream is left alone before it is tried again.
const REST_AFTER_FAILURE: Duration = Duration::from_secs(10);

impl Connector {
    /// Builds the run-time side of a stored connector.
    pub fn new(record: ConnectorRecord, clients: Clients) -> Self {
        let settings = &record.settings;
        // Stored filters were checked when they were written.
        let filters = PackageFilters::parse(&settings.filters).unwrap_or_default();
        let versions = settings.metadata_cache_enabled.then(|| {
            moka::future::Cache::builder()
                .max_capacity(u64::from(settings.metadata_cache_count.max(1)))
                .time_to_live(Duration::from_secs(
                    u64::from(settings.metadata_cache_minutes.max(1)) * 60,
                ))
                .build()
        });
        let health = HealthMemory {
            health: record.health.clone(),
            written: None,
            resting_until: None,
        };
        Self {
            record,
            filters,
            clients,
            versions,
            health: Mutex::new(health),
            authorizations: Mutex::new(HashMap::new()),
        }
    }

    /// The connector's settings.
    pub fn settings(&self) -> &ConnectorSettings {
        &self.record.settings
    }

    /// The connector's name.
    pub fn name(&self) -> &str {
        &self.record.settings.name
    }

    /// The upstream's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.record.settings.url.trim_end_matches('/')
    }

    /// Whether the filters let a package (by its full name) through.
    pub fn allows(&self, full_name: &str) -> bool {
        self.filters.allows(full_name)
    }

    /// Whether the upstream was just found unreachable, and is left alone
    /// for a few seconds.
    pub fn resting(&self) -> Option<UpstreamError> {
        let memory = self.health.lock().ok()?;
        let until = memory.resting_until?;
        (Instant::now() < until).then(|| {
            UpstreamError::Resting(
                memory
                    .health
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "it failed a moment ago".into()),
            )
        })
    }

    /// Runs `fetch` through the metadata cache under `key`: concurrent
    /// callers for the same key share one upstream request, and a success
    /// is kept for the connector's cache time. Without a cache, fetches.
    pub async fn cached_versions<F>(&self, key: String, fetch: F) -> Result<Arc<Fetched>, UpstreamError>
    where
        F: Future<Output = Result<Vec<RemoteVersion>, UpstreamError>>,
    {
        match &self.versions {
            Some(cache) => cache
                .try_get_with(key, async move { fetch.await.map(Fetched::new) })
                .await
                .map_err(|e| (*e).clone()),
            None => fetch.await.map(Fetched::new),
        }
    }

    /// A GET request for a document (compressed answers are inflated),
    /// with the connector's timeout and credentials (see [`Self::request`]).
    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.request(&self.clients.documents, url)
    }

    /// A GET request for a package file, whose bytes are taken as sent.
    pub fn get_file(&self, url: &str) -> reqwest::RequestBuilder {
        self.request(&self.clients.files, url)
    }

    /// A request with the connector's timeout and no credentials, for a
    /// type that authenticates by its protocol's own flow (Docker
    /// registries' challenges and bearer tokens); the bytes are taken as
    /// sent.
    pub fn request_without_credentials(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let timeout = Duration::from_secs(u64::from(self.record.settings.timeout_secs.max(1)));
        self.clients.files.request(method, url).timeout(timeout)
    }

    /// The `Authorization` value kept for `scope` (a token the upstream's
    /// token service issued), while it is valid.
    pub fn authorization(&self, scope: &str) -> Option<HeaderValue> {
        let mut kept = self.authorizations.lock().ok()?;
        match kept.get(scope) {
            Some((value, until)) if Instant::now() < *until => Some(value.clone()),
            Some(_) => {
                kept.remove(scope);
                None
            }
            None => None,
        }
    }

    /// Keeps an `Authorization` value for `scope` for `ttl`. They live with
    /// the connector: a change of its settings drops them.
    pub fn keep_authorization(&self, scope: &str, value: HeaderValue, ttl: Duration) {
        if let Ok(mut kept) = self.authorizations.lock() {
            // Bounded: expired values go as new ones come.
            if kept.len() >= MAX_AUTHORIZATIONS {
                let now = Instant::now();
                kept.retain(|_, (_, until)| *until > now);
                if kept.len() >= MAX_AUTHORIZATIONS {
                    kept.clear();
                }
            }
            kept.insert(scope.to_owned(), (value, Instant::now() + ttl));
        }
    }

    /// Forgets the `Authorization` value of `scope` (the upstream refused it).
    pub fn forget_authorization(&self, scope: &str) {
        if let Ok(mut kept) = self.authorizations.lock() {
            kept.remove(scope);
        }
    }

    /// A GET request with the connector's timeout, and its credentials when
    /// `url` is on the connector's own origin: an upstream document may point
    /// downloads at another host (a CDN), which must not get them.
    fn request(&self, client: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
        let settings = &self.record.settings;
        let request = client
            .get(url)
            .timeout(Duration::from_secs(u64::from(settings.timeout_secs.max(1))));
        if !same_origin(&settings.url, url) {
            return request;
        }
        match (&settings.username, &settings.password) {
            (Some(user), password) if !user.is_empty() => request.basic_auth(user, password.as_ref()),
            // A password alone is a token, as npm and ProGet API keys are.
            (_, Some(token)) if !token.is_empty() => request.bearer_auth(token),
            _ => request,
        }
    }

    /// Sends a request; `Ok(None)` for 404 and 410 (the upstream does not
    /// have it, which is an answer, not a failure).
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<reqwest::Response>, UpstreamError> {
        let response = request.send().await.map_err(|e| self.classify(&e))?;
        match response.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
            status if status.is_success() => Ok(Some(response)),
            status => Err(UpstreamError::Status(status.as_u16())),
        }
    }

    /// Fetches a JSON document; `Ok(None)` when the upstream does not have it.
    pub async fn get_json(
        &self,
        url: &str,
        accept: &'static str,
    ) -> Result<Option<serde_json::Value>, UpstreamError> {
        let Some(body) = self.get_document(url, accept).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| UpstreamError::Malformed(format!("{url}: {e}")))
    }

    /// Fetches a document's bytes (at most 128 MiB); `Ok(None)` when the
    /// upstream does not have it.
    pub async fn get_document(
        &self,
        url: &str,
        accept: &'static str,
    ) -> Result<Option<Vec<u8>>, UpstreamError> {
        let request = self.get(url).header(ACCEPT, HeaderValue::from_static(accept));
        let Some(mut response) = self.send(request).await? else {
            return Ok(None);
        };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(UpstreamError::Malformed(format!(
                    "{url} is larger than {MAX_DOCUMENT_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

    /// Turns a transport error into an [`UpstreamError`].
    pub fn classify(&self, e: &reqwest::Error) -> UpstreamError {
        if e.is_timeout() {
            UpstreamError::Timeout(self.record.settings.timeout_secs)
        } else if e.is_decode() || e.is_body() {
            UpstreamError::Malformed(e.to_string())
        } else {
            // reqwest's top-level message hides the cause ("error sending request").
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                reason = format!("{reason}: {cause}");
                source = cause.source();
            }
            UpstreamError::Unreachable(reason)
        }
    }

    /// Notes a good answer from the upstream.
    pub fn succeeded(&self, meta: &Arc<dyn MetadataStore>) {
        self.note(meta, None);
    }

    /// Notes a failure of the upstream.
    pub fn failed(&self, meta: &Arc<dyn MetadataStore>, error: &UpstreamError) {
        self.note(meta, Some(error));
    }

    /// Updates the health this node knows; a change of state is logged once
    /// and written to the store (as is an unchanged state, once a minute).
    fn note(&self, meta: &Arc<dyn MetadataStore>, error: Option<&UpstreamError>) {
        if let Some(UpstreamError::Resting(_)) = error {
            // Nothing new was learnt: the rest must not extend itself.
            return;
        }
        let now = gantry_store::time::now_millis();
        let snapshot = {
            let Ok(mut memory) = self.health.lock() else {
                return;
            };
            let status = if error.is_some() { "unhealthy" } else { "healthy" };
            let changed = memory.health.status != status;
            if changed {
                if let Some(e) = error {
                    tracing::warn!(connector = %self.name(), error = %e, "connector is unhealthy");
                } else {
                    tracing::info!(connector = %self.name(), "connector is healthy");
                }
            }
            status.clone_into(&mut memory.health.status);
            memory.resting_until = match error {
                Some(UpstreamError::Unreachable(_) | UpstreamError::Timeout(_)) => {
                    Some(Instant::now() + REST_AFTER_FAILURE)
                }
                _ => None,
            };
            match error {
                Some(e) => {
                    memory.health.last_error = Some(e.to_string());
                    memory.health.last_error_at = Some(now);
                }
                None => memory.health.last_success_at = Some(now),
            }
            let due = memory.written.is_none_or(|at| at.elapsed() >= HEALTH_REFRESH);
            if !changed && !due {
                return;
            }
            memory.written = Some(Instant::now());
            memory.health.clone()
        };
        let meta = Arc::clone(meta);
        let id = self.record.id;
        tokio::spawn(async move {
            if let Err(e) = meta.record_connector_health(id, &snapshot).await {
                tracing::warn!(error = %e, "could not record a connector's health");
            }
        });
    }

    /// The health this node knows (fresher than the stored one for this node's requests).
    pub fn health(&self) -> ConnectorHealth {
        self.health
            .lock()
            .map_or_else(|_| self.record.health.clone(), |m| m.health.clone())
    }
}

/// Whether two URLs share scheme, host and port.
fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// `url` without any `user:password@`, for showing and logging: new
/// connectors never store credentials in their URL, but ones made before
/// that rule may.
pub fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{same_origin, without_credentials};

    #[test]
    fn credentials_go_only_to_the_connector_origin() {
        assert!(same_origin(
            "https://registry.example/npm/",
            "https://registry.example/a/-/a-1.0.0.tgz"
        ));
        assert!(same_origin("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/y"));
        assert!(!same_origin("http://127.0.0.1:8080/x", "http://127.0.0.1:8081/x"));
        assert!(!same_origin(
            "https://registry.example/",
            "http://registry.example/"
        ));
        assert!(!same_origin(
            "https://registry.example/",
            "https://cdn.example/a.tgz"
        ));
        assert!(!same_origin("https://registry.example/", "not a url"));
        assert_eq!(
            without_credentials("https://me:secret@registry.example/npm/"),
            "https://registry.example/npm/"
        );
        assert_eq!(
            without_credentials("https://registry.example/"),
            "https://registry.example/"
        );
    }
}
