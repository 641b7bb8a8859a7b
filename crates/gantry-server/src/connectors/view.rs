//! A feed's packages as clients see them: its own versions merged with what
//! its connectors offer.

use std::collections::HashSet;
use std::sync::Arc;

use gantry_core::VersionSpec;
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::{FeedRecord, PackageKey, PackageRecord, RemoteOrigin};

use super::remote::RemoteVersion;
use super::upstream::{Connector, Fetched};
use crate::error::ApiResult;
use crate::services::packages;
use crate::state::AppState;

/// The connectors a feed asks, in order; none when the feed is offline or
/// its type has no connector support.
pub async fn connectors_of(state: &AppState, feed: &FeedRecord) -> ApiResult<Vec<Arc<Connector>>> {
    if feed.settings.offline || feed.settings.connectors.is_empty() {
        return Ok(Vec::new());
    }
    let mut connectors = Vec::with_capacity(feed.settings.connectors.len());
    for name in &feed.settings.connectors {
        if let Some(record) = state.meta().get_connector(&name.to_ascii_lowercase()).await? {
            connectors.push(state.connectors().get(record));
        }
    }
    Ok(connectors)
}

/// Whether a feed's documents depend on upstreams (and so cannot be kept by
/// feed revision alone).
pub fn is_proxied(feed: &FeedRecord) -> bool {
    !feed.settings.offline && !feed.settings.connectors.is_empty()
}

/// The full name a filter sees: `group/name`, or the name alone.
pub fn full_name(group: &str, name: &str) -> String {
    if group.is_empty() {
        name.to_owned()
    } else {
        format!("{group}/{name}")
    }
}

/// Every version of a package in a feed: its own, then each connector's
/// that the feed lacks (the first connector wins a tie). Unsorted. A
/// failing upstream contributes nothing and is marked unhealthy.
pub async fn versions(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    id: &PackageId,
) -> ApiResult<Vec<PackageRecord>> {
    let query = packages::query(format, Some(&id.group), Some(&id.name), None)?;
    let mut records = state.meta().find_packages(feed.id, &query).await?;
    let mut known: HashSet<String> = records.iter().map(|r| r.key.version_key.clone()).collect();
    for (connector, fetched) in remote_answers(state, feed, format, id).await? {
        let Some(fetched) = fetched else { continue };
        for version in &fetched.versions {
            if let Some(record) = to_record(feed, format, &connector, version) {
                if known.insert(record.key.version_key.clone()) {
                    records.push(record);
                }
            }
        }
    }
    Ok(records)
}

/// What a document about one package of a proxy feed depends on besides
/// the feed's revision: which upstream answer each connector gave (or that
/// it gave none). While the stamp stays the same, so does the document, so
/// it can be kept like a local feed's. `None` when a connector keeps no
/// metadata: every answer is new, and the document is not worth keeping.
pub async fn stamp(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    id: &PackageId,
) -> ApiResult<Option<String>> {
    // Checked before asking: without a metadata cache, asking here and
    // again to render would fetch twice.
    let connectors = connectors_of(state, feed).await?;
    if connectors.iter().any(|c| !c.settings().metadata_cache_enabled) {
        return Ok(None);
    }
    let answers = remote_answers(state, feed, format, id).await?;
    Ok(Some(
        answers
            .iter()
            .map(|(connector, fetched)| match fetched {
                Some(fetched) => format!("{}:{}", connector.record.id, fetched.answer),
                None => format!("{}:-", connector.record.id),
            })
            .collect::<Vec<_>>()
            .join(","),
    ))
}

/// Each connector of the feed with its (cached) answer about a package;
/// `None` for a connector whose filters block the package or whose upstream
/// failed (it is then marked unhealthy).
async fn remote_answers(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    id: &PackageId,
) -> ApiResult<Vec<(Arc<Connector>, Option<Arc<Fetched>>)>> {
    let Some(remote) = crate::package_types::connector_for(feed.settings.feed_type) else {
        return Ok(Vec::new());
    };
    let key = format!("v:{}/{}", format.group_key(&id.group), format.name_key(&id.name));
    let display = full_name(&id.group, &id.name);
    let mut answers = Vec::new();
    for connector in connectors_of(state, feed).await? {
        if !connector.allows(&display) {
            answers.push((connector, None));
            continue;
        }
        let fetched = match connector
            .cached_versions(key.clone(), remote.versions(&connector, id))
            .await
        {
            Ok(fetched) => {
                connector.succeeded(&state.meta_handle());
                Some(fetched)
            }
            Err(e) => {
                connector.failed(&state.meta_handle(), &e);
                None
            }
        };
        answers.push((connector, fetched));
    }
    Ok(answers)
}

/// One version of a package through the feed's view: exact, `latest` or
/// `latest-stable`; 404 when neither the feed nor a connector has it.
pub async fn find_version(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    id: &PackageId,
    spec: &VersionSpec,
) -> ApiResult<PackageRecord> {
    if !is_proxied(feed) {
        return packages::find_version(state, feed, format, id, spec).await;
    }
    if let VersionSpec::Exact(_) = spec {
        // A stored version is served without asking the upstreams, which
        // may be slow or down.
        if let Ok(stored) = packages::find_version(state, feed, format, id, spec).await {
            return Ok(stored);
        }
    }
    let mut candidates = versions(state, feed, format, id).await?;
    if let VersionSpec::Exact(v) = spec {
        let key = format
            .version_key(v)
            .map_err(|e| crate::error::ApiError::bad_request(e.0))?;
        candidates.retain(|r| r.key.version_key == key);
    }
    packages::pick(feed, format, id, spec, candidates)
}

/// Search results from the feed's connectors (not its own packages), one
/// record per package version the upstreams returned, skipping packages
/// the filters block. Failing upstreams contribute nothing.
pub async fn search(
    state: &AppState,
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    text: &str,
    take: usize,
) -> ApiResult<Vec<PackageRecord>> {
    let Some(remote) = crate::package_types::connector_for(feed.settings.feed_type) else {
        return Ok(Vec::new());
    };
    let mut results = Vec::new();
    let mut seen: HashSet<PackageKey> = HashSet::new();
    for connector in connectors_of(state, feed).await? {
        let key = format!("s:{take}:{text}");
        match connector
            .cached_versions(key, remote.search(&connector, text, take))
            .await
        {
            Ok(found) => {
                connector.succeeded(&state.meta_handle());
                for version in &found.versions {
                    if !connector.allows(&full_name(&version.group, &version.name)) {
                        continue;
                    }
                    if let Some(record) = to_record(feed, format, &connector, version) {
                        if seen.insert(record.key.clone()) {
                            results.push(record);
                        }
                    }
                }
            }
            Err(e) => connector.failed(&state.meta_handle(), &e),
        }
    }
    Ok(results)
}

/// A remote version as a record of `feed`; `None` when the upstream's
/// name or version is not valid for the format (it is then not offered).
fn to_record(
    feed: &FeedRecord,
    format: &dyn PackageFormat,
    connector: &Connector,
    remote: &RemoteVersion,
) -> Option<PackageRecord> {
    let id = PackageId {
        group: remote.group.clone(),
        name: remote.name.clone(),
    };
    format.validate_id(&id).ok()?;
    let key = PackageKey {
        group_key: format.group_key(&remote.group),
        name_key: format.name_key(&remote.name),
        version_key: format.version_key(&remote.version).ok()?,
    };
    Some(PackageRecord {
        id: 0,
        feed_id: feed.id,
        group: remote.group.clone(),
        name: remote.name.clone(),
        version: remote.version.clone(),
        key,
        published_at: remote.published_at,
        published_by: format!("connector:{}", connector.name()),
        listed: remote.listed,
        deprecated: remote.deprecation.is_some(),
        deprecation_reason: remote.deprecation.clone().unwrap_or_default(),
        downloads: 0,
        metadata: remote.metadata.clone(),
        files: Vec::new(),
        remote: Some(RemoteOrigin {
            connector: connector.name().to_owned(),
            connector_id: connector.record.id,
            download_url: remote.download_url.clone(),
            size: remote.size,
            dist_tags: remote.dist_tags.clone(),
        }),
    })
}
