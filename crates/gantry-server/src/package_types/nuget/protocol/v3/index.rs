//! The service index, `GET /nuget/{feed}/v3/index.json`: where a client
//! finds every other resource of the feed.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gantry_core::Attribute;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::package_types::nuget::protocol::{json_document, FeedUrls, FEED_TYPES};
use crate::protocols::base_url::BaseUrl;
use crate::services::feeds;
use crate::state::AppState;

/// Every resource type Gantry serves, with the versions clients look for.
/// NuGet.exe needs every `RegistrationsBaseUrl` variant the public gallery
/// lists (it failed with only some of them), so all point at one URL that
/// serves SemVer 1 and SemVer 2 packages alike.
const RESOURCES: &[(&str, &str)] = &[
    ("search", "SearchQueryService"),
    ("search", "SearchQueryService/3.0.0-beta"),
    ("search", "SearchQueryService/3.0.0-rc"),
    ("search", "SearchQueryService/3.5.0"),
    ("autocomplete", "SearchAutocompleteService"),
    ("autocomplete", "SearchAutocompleteService/3.0.0-beta"),
    ("autocomplete", "SearchAutocompleteService/3.0.0-rc"),
    ("autocomplete", "SearchAutocompleteService/3.5.0"),
    ("registrations/", "RegistrationsBaseUrl"),
    ("registrations/", "RegistrationsBaseUrl/3.0.0-beta"),
    ("registrations/", "RegistrationsBaseUrl/3.0.0-rc"),
    ("registrations/", "RegistrationsBaseUrl/3.4.0"),
    ("registrations/", "RegistrationsBaseUrl/3.6.0"),
    ("registrations/", "RegistrationsBaseUrl/Versioned"),
    ("flatcontainer/", "PackageBaseAddress/3.0.0"),
];

/// `GET /nuget/{feed}/v3/index.json`.
pub async fn service_index(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path(feed): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let urls = FeedUrls::new(&base, &feed);
    let mut resources: Vec<Value> = RESOURCES
        .iter()
        .map(|(path, kind)| json!({"@id": urls.v3(path), "@type": kind}))
        .collect();
    // Pushing and the v2 feed (which `nuget list` uses) share the feed root.
    for kind in ["PackagePublish/2.0.0", "LegacyGallery", "LegacyGallery/2.0.0"] {
        resources.push(json!({"@id": urls.v2_root(), "@type": kind}));
    }
    json_document(
        &headers,
        &json!({
            "version": "3.0.0",
            "resources": resources,
            "@context": {
                "@vocab": "http://schema.nuget.org/services#",
                "comment": "http://www.w3.org/2000/01/rdf-schema#comment"
            }
        }),
    )
}
