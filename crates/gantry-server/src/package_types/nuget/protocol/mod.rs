//! The NuGet protocols under `/nuget/{feed}/`: the v3 JSON API (service
//! index, flat container, registration, search) and the v2 OData feed that
//! Chocolatey, PowerShellGet and older clients use. NuGet, Chocolatey and
//! PowerShell feeds all serve `.nupkg` files through these endpoints.
//!
//! Both protocol versions read the same stored versions through
//! [`NuGetEntry`]; pushing, unlisting and relisting are shared too.

pub(crate) mod push;
pub mod v2;
pub mod v3;

use std::collections::HashSet;
use std::future::Future;

use axum::http::HeaderMap;
use axum::response::Response;
use gantry_core::FeedType;
use gantry_formats::nuget::{NuGet, NuGetVersion, Nuspec};
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::{FeedRecord, PackageKey, PackageQuery, PackageRecord};

use crate::api::routes::Routes;
use crate::auth::Caller;
use crate::connectors::{fetch, view};
use crate::error::{ApiError, ApiResult};
use crate::protocols::base_url::BaseUrl;
pub use crate::protocols::documents::{has_digest, immutable, not_modified};
use crate::protocols::documents::{kept_document, package_document_key, respond};
use crate::services::documents::Document;
use crate::services::download::{self, Download};
use crate::state::AppState;

/// The feed types served by the NuGet protocols.
pub const FEED_TYPES: &[FeedType] = &[FeedType::NuGet, FeedType::Chocolatey, FeedType::PowerShell];

/// How many packages a search asks each connector for.
const REMOTE_SEARCH_TAKE: usize = 100;

/// The qualifier under which a version's `.nuspec` is stored beside its `.nupkg`.
pub const NUSPEC_QUALIFIER: &str = "nuspec";

/// Every NuGet route.
pub fn routes() -> Routes {
    Routes::default()
        .merge(push::routes())
        .merge(v3::routes())
        .merge(v2::routes())
}

/// A stored NuGet package version, as both protocol versions present it.
#[derive(Clone, Debug)]
pub struct NuGetEntry {
    /// The stored row (listed, deprecated, downloads, files...).
    pub record: PackageRecord,
    /// The manifest read at push time.
    pub nuspec: Nuspec,
    /// The parsed version.
    pub version: NuGetVersion,
}

impl NuGetEntry {
    /// Reads a stored row; `None` (logged) when its manifest cannot be read,
    /// which only a corrupted database would cause.
    pub fn from_record(record: PackageRecord) -> Option<Self> {
        let nuspec: Nuspec = match serde_json::from_value(record.metadata.clone()) {
            Ok(nuspec) => nuspec,
            Err(e) => {
                tracing::warn!(package = %record.name, version = %record.version, error = %e, "unreadable NuGet manifest");
                return None;
            }
        };
        let version = NuGetVersion::parse(&record.version).ok()?;
        Some(Self {
            record,
            nuspec,
            version,
        })
    }

    /// The id as published.
    pub fn id(&self) -> &str {
        &self.record.name
    }

    /// The lower-case id used in v3 URLs.
    pub fn lower_id(&self) -> String {
        self.record.name.to_ascii_lowercase()
    }

    /// The normalised, lower-case version used in v3 URLs (no build metadata).
    pub fn lower_version(&self) -> String {
        self.version.key()
    }

    /// Size of the `.nupkg`.
    pub fn package_size(&self) -> u64 {
        self.record.primary_file().map_or_else(
            || self.record.remote.as_ref().and_then(|r| r.size).unwrap_or(0),
            |f| f.size,
        )
    }

    /// Whether it takes a SemVer 2 aware client to see this version.
    pub fn is_semver2(&self) -> bool {
        self.nuspec.is_semver2()
    }

    /// The title, falling back to the id.
    pub fn title(&self) -> &str {
        if self.nuspec.title.is_empty() {
            self.id()
        } else {
            &self.nuspec.title
        }
    }
}

/// Which versions a query lets through, from the clients' `prerelease` and
/// `semVerLevel` parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionFilter {
    /// Whether pre-release versions count.
    pub prerelease: bool,
    /// Whether SemVer 2 versions count (`semVerLevel=2.0.0` or higher).
    pub semver2: bool,
}

impl VersionFilter {
    /// From the raw query values (`prerelease=true`, `semVerLevel=2.0.0`).
    pub fn from_params(prerelease: Option<&str>, sem_ver_level: Option<&str>) -> Self {
        Self {
            prerelease: prerelease.is_some_and(|p| p.eq_ignore_ascii_case("true")),
            semver2: sem_ver_level.is_some_and(|level| {
                level
                    .split('.')
                    .next()
                    .and_then(|major| major.trim().parse::<u32>().ok())
                    .is_some_and(|major| major >= 2)
            }),
        }
    }

    /// Whether `entry` passes (listing is checked separately).
    pub fn admits(&self, entry: &NuGetEntry) -> bool {
        (self.prerelease || !entry.version.is_prerelease()) && (self.semver2 || !entry.is_semver2())
    }
}

/// Every version of one id in a feed, oldest first by NuGet order.
pub async fn versions_of(state: &AppState, feed: &FeedRecord, id: &str) -> ApiResult<Vec<NuGetEntry>> {
    let id = PackageId {
        group: String::new(),
        name: id.to_owned(),
    };
    let records = view::versions(state, feed, &NuGet, &id).await?;
    let mut entries: Vec<NuGetEntry> = records.into_iter().filter_map(NuGetEntry::from_record).collect();
    entries.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(entries)
}

/// Every package of a feed, each with its versions oldest first, by id.
/// For a proxied feed, `remote_search` adds the connectors' results for
/// that search text (the feed's own versions win).
pub async fn all_packages(
    state: &AppState,
    feed: &FeedRecord,
    remote_search: Option<&str>,
) -> ApiResult<Vec<Vec<NuGetEntry>>> {
    let mut records = state
        .meta()
        .find_packages(feed.id, &PackageQuery::default())
        .await?;
    if let (true, Some(text)) = (view::is_proxied(feed), remote_search) {
        let known: HashSet<PackageKey> = records.iter().map(|r| r.key.clone()).collect();
        let remote = view::search(state, feed, &NuGet, text.trim(), REMOTE_SEARCH_TAKE).await?;
        records.extend(remote.into_iter().filter(|r| !known.contains(&r.key)));
    }
    let mut entries: Vec<NuGetEntry> = records.into_iter().filter_map(NuGetEntry::from_record).collect();
    entries.sort_by(|a, b| {
        a.record
            .key
            .name_key
            .cmp(&b.record.key.name_key)
            .then_with(|| a.version.cmp(&b.version))
    });
    let mut packages: Vec<Vec<NuGetEntry>> = Vec::new();
    for entry in entries {
        match packages.last_mut() {
            Some(last) if last[0].record.key.name_key == entry.record.key.name_key => last.push(entry),
            _ => packages.push(vec![entry]),
        }
    }
    Ok(packages)
}

/// One version of an id, matched by its normalised form (`1.0` finds `1.0.0`); 404 when absent.
pub async fn find_entry(
    state: &AppState,
    feed: &FeedRecord,
    id: &str,
    version: &str,
) -> ApiResult<NuGetEntry> {
    let version = NuGetVersion::parse(version).map_err(|e| ApiError::bad_request(e.0))?;
    let query = PackageQuery {
        name_key: Some(NuGet.name_key(id)),
        version_key: Some(version.key()),
        ..PackageQuery::default()
    };
    let mut found = state
        .meta()
        .find_packages(feed.id, &query)
        .await?
        .into_iter()
        .find_map(NuGetEntry::from_record);
    // A stored version is served without asking the upstream (which may be
    // slow or down); only a version the feed lacks is looked for there.
    if found.is_none() && view::is_proxied(feed) {
        let key = version.key();
        found = versions_of(state, feed, id)
            .await?
            .into_iter()
            .find(|e| e.record.key.version_key == key);
    }
    found.ok_or_else(|| {
        ApiError::not_found(format!(
            "Package {id} {} was not found in feed '{}'.",
            version.to_normalized_string(),
            feed.settings.name
        ))
    })
}

/// Answers with a version's `.nupkg` (flat container and v2 download alike):
/// 304 when `If-None-Match` holds its SHA-256, otherwise the file, counted
/// as a download (and a deployment, with the headers), cacheable for good.
pub async fn serve_nupkg(
    state: &AppState,
    caller: &Caller,
    feed: &FeedRecord,
    entry: &NuGetEntry,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let sha256 = entry
        .record
        .primary_file()
        .map(|f| f.sha256.to_string())
        .unwrap_or_default();
    if !sha256.is_empty() && has_digest(headers, &sha256) {
        return Ok(not_modified(&sha256));
    }
    let file_name = format!("{}.{}.nupkg", entry.id(), entry.version.to_normalized_string());
    let download = Download {
        headers,
        caller,
        feed,
        record: &entry.record,
    };
    let mut response = if entry.record.remote.is_some() {
        fetch::serve(state, download, &NuGet, "application/octet-stream", &file_name).await?
    } else {
        download::serve(state, download, "application/octet-stream", &file_name).await?
    };
    immutable(&mut response);
    Ok(response)
}

/// The absolute URLs of one feed's NuGet endpoints.
#[derive(Clone, Debug)]
pub struct FeedUrls {
    /// `{base}/nuget/{feed}`, no trailing slash.
    root: String,
}

impl FeedUrls {
    /// The URLs of `feed` as reached at `base`.
    pub fn new(base: &BaseUrl, feed: &FeedRecord) -> Self {
        Self {
            root: format!("{}/nuget/{}", base.as_str(), feed.settings.name),
        }
    }

    /// The v2 feed root and push URL, with its trailing slash.
    pub fn v2_root(&self) -> String {
        format!("{}/", self.root)
    }

    /// A v3 resource under `/v3/`.
    pub fn v3(&self, path: &str) -> String {
        format!("{}/v3/{path}", self.root)
    }

    /// The registration index of an id.
    pub fn registration_index(&self, lower_id: &str) -> String {
        self.v3(&format!("registrations/{lower_id}/index.json"))
    }

    /// The registration leaf of a version.
    pub fn registration_leaf(&self, lower_id: &str, lower_version: &str) -> String {
        self.v3(&format!("registrations/{lower_id}/{lower_version}.json"))
    }

    /// The flat-container `.nupkg` of a version.
    pub fn package_content(&self, lower_id: &str, lower_version: &str) -> String {
        self.v3(&format!(
            "flatcontainer/{lower_id}/{lower_version}/{lower_id}.{lower_version}.nupkg"
        ))
    }

    /// The v2 download URL of a version.
    pub fn v2_download(&self, id: &str, version: &str) -> String {
        format!("{}/package/{id}/{version}", self.root)
    }
}

/// A protocol document (JSON or XML) with a weak `ETag` of its bytes; 304
/// when the client's `If-None-Match` already has it.
pub fn cached_document(request: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    respond(request, content_type, &Document::new(body))
}

const JSON: &str = "application/json; charset=utf-8";

/// A JSON protocol document, see [`cached_document`].
pub fn json_document(request: &HeaderMap, value: &serde_json::Value) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::internal("could not render JSON", &e))?;
    Ok(cached_document(request, JSON, body))
}

/// A JSON document about package `id` of `feed` that depends only on its
/// versions: served from this node's document cache while the feed's
/// package revision (and, in a proxy feed, its upstreams' answers about the
/// package) stand, rendered by `render` (and kept) otherwise. `key` names
/// the document, including anything else it depends on (the base URL).
pub async fn kept_json_document<F, Fut>(
    state: &AppState,
    feed: &FeedRecord,
    id: &str,
    key: String,
    request: &HeaderMap,
    render: F,
) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<serde_json::Value>>,
{
    let package = PackageId {
        group: String::new(),
        name: id.to_owned(),
    };
    let key = package_document_key(state, feed, &NuGet, &package, key).await?;
    kept_document(state, feed, key, request, JSON, render).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, StatusCode};

    #[test]
    fn version_filter_reads_client_parameters() {
        let f = VersionFilter::from_params(Some("True"), Some("2.0.0"));
        assert!(f.prerelease && f.semver2);
        let f = VersionFilter::from_params(None, Some("1.0.0"));
        assert!(!f.prerelease && !f.semver2);
        let f = VersionFilter::from_params(Some("false"), Some("junk"));
        assert!(!f.prerelease && !f.semver2);
    }

    #[test]
    fn documents_answer_304_to_their_etag() {
        let first = cached_document(&HeaderMap::new(), "application/json", b"{}".to_vec());
        let etag = first.headers()[header::ETAG].clone();
        let mut request = HeaderMap::new();
        request.insert(header::IF_NONE_MATCH, etag);
        let second = cached_document(&request, "application/json", b"{}".to_vec());
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
        let changed = cached_document(&request, "application/json", b"{\"a\":1}".to_vec());
        assert_eq!(changed.status(), StatusCode::OK);
    }
}
