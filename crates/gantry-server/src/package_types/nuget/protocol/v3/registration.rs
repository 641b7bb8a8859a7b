//! Registrations (RegistrationsBaseUrl): per id, an index of pages of
//! versions, oldest first. Small packages get their pages inlined, so one
//! request tells a client everything; a package with many versions gets
//! pages the client fetches as it needs them.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gantry_core::Attribute;
use gantry_formats::nuget::NuGetVersion;
use gantry_store::time::format_millis;
use serde_json::{json, Value};

use super::{catalog, strip_json};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::package_types::nuget::protocol::{
    find_entry, json_document, kept_json_document, versions_of, FeedUrls, NuGetEntry, FEED_TYPES,
};
use crate::protocols::base_url::BaseUrl;
use crate::services::feeds;
use crate::state::AppState;

/// Versions per registration page.
const PAGE_SIZE: usize = 64;
/// Up to this many versions, every page is inlined in the index.
const INLINE_LIMIT: usize = 128;

fn page_url(urls: &FeedUrls, lower_id: &str, first: &NuGetEntry, last: &NuGetEntry) -> String {
    urls.v3(&format!(
        "registrations/{lower_id}/page/{}/{}.json",
        first.lower_version(),
        last.lower_version()
    ))
}

/// A leaf as a page lists it: the version's catalog entry inlined.
fn page_item(urls: &FeedUrls, entry: &NuGetEntry) -> Value {
    let (lower_id, lower_version) = (entry.lower_id(), entry.lower_version());
    json!({
        "@id": urls.registration_leaf(&lower_id, &lower_version),
        "@type": "Package",
        "catalogEntry": catalog::render(urls, entry),
        "packageContent": urls.package_content(&lower_id, &lower_version),
        "registration": urls.registration_index(&lower_id),
    })
}

/// A page of `entries` (consecutive versions), with or without its items.
fn page_document(urls: &FeedUrls, lower_id: &str, entries: &[NuGetEntry], with_items: bool) -> Value {
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return json!({});
    };
    let mut page = json!({
        "@id": page_url(urls, lower_id, first, last),
        "@type": "catalog:CatalogPage",
        "count": entries.len(),
        "lower": first.version.to_normalized_string(),
        "upper": last.version.to_normalized_string(),
        "parent": urls.registration_index(lower_id),
    });
    if with_items {
        page["items"] = entries.iter().map(|e| page_item(urls, e)).collect();
    }
    page
}

async fn all_versions(
    state: &AppState,
    feed: &gantry_store::FeedRecord,
    id: &str,
) -> ApiResult<Vec<NuGetEntry>> {
    let entries = versions_of(state, feed, id).await?;
    if entries.is_empty() {
        return Err(ApiError::not_found(format!(
            "Package {id} was not found in feed '{}'.",
            feed.settings.name
        )));
    }
    Ok(entries)
}

/// `GET .../registrations/{id}/index.json`: 404 for an unknown id.
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path((feed, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let lower_id = id.to_ascii_lowercase();
    let key = format!("{}|registration|{lower_id}", base.as_str());
    kept_json_document(&state, &feed, &id, key, &headers, || async {
        let entries = all_versions(&state, &feed, &id).await?;
        let urls = FeedUrls::new(&base, &feed);
        let inline = entries.len() <= INLINE_LIMIT;
        let pages: Vec<Value> = entries
            .chunks(PAGE_SIZE)
            .map(|chunk| page_document(&urls, &lower_id, chunk, inline))
            .collect();
        Ok(json!({
            "@id": urls.registration_index(&lower_id),
            "@type": ["catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"],
            "count": pages.len(),
            "items": pages,
            "@context": {
                "@vocab": "http://schema.nuget.org/schema#",
                "catalog": "http://schema.nuget.org/catalog#",
            }
        }))
    })
    .await
}

/// `GET .../registrations/{id}/page/{lower}/{upper}.json`: the versions
/// from `lower` to `upper`, as the index's page links name them.
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path((feed, id, lower, upper)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let bad = |what: &str| ApiError::bad_request(format!("'{what}' is not a NuGet version."));
    let upper = strip_json(&upper).ok_or_else(|| ApiError::not_found("Registration pages end in .json."))?;
    let lower = NuGetVersion::parse(&lower).map_err(|_| bad(&lower))?;
    let upper = NuGetVersion::parse(upper).map_err(|_| bad(upper))?;
    let lower_id = id.to_ascii_lowercase();
    let key = format!(
        "{}|registration-page|{lower_id}|{}|{}",
        base.as_str(),
        lower.key(),
        upper.key()
    );
    kept_json_document(&state, &feed, &id, key, &headers, || async {
        let entries: Vec<NuGetEntry> = all_versions(&state, &feed, &id)
            .await?
            .into_iter()
            .filter(|e| e.version >= lower && e.version <= upper)
            .collect();
        if entries.is_empty() {
            return Err(ApiError::not_found(format!(
                "Package {id} has no versions from {lower} to {upper}."
            )));
        }
        let urls = FeedUrls::new(&base, &feed);
        Ok(page_document(&urls, &lower_id, &entries, true))
    })
    .await
}

/// `GET .../registrations/{id}/{version}.json`: one version's leaf.
pub async fn leaf(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path((feed, id, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let version =
        strip_json(&file).ok_or_else(|| ApiError::not_found("Registration leaves end in .json."))?;
    let entry = find_entry(&state, &feed, &id, version).await?;
    let urls = FeedUrls::new(&base, &feed);
    let (lower_id, lower_version) = (entry.lower_id(), entry.lower_version());
    json_document(
        &headers,
        &json!({
            "@id": urls.registration_leaf(&lower_id, &lower_version),
            "@type": ["Package", "http://schema.nuget.org/catalog#Permalink"],
            "catalogEntry": catalog::url(&urls, &entry),
            "listed": entry.record.listed,
            "packageContent": urls.package_content(&lower_id, &lower_version),
            "published": format_millis(entry.record.published_at),
            "registration": urls.registration_index(&lower_id),
        }),
    )
}
