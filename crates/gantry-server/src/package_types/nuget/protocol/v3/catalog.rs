//! Catalog entries: the full metadata of one version, as registration pages
//! inline it and as `GET .../v3/catalog/{id}/{version}.json` serves it.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gantry_core::Attribute;
use gantry_store::time::format_millis;
use serde_json::{json, Map, Value};

use super::strip_json;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::package_types::nuget::protocol::{find_entry, json_document, FeedUrls, NuGetEntry, FEED_TYPES};
use crate::protocols::base_url::BaseUrl;
use crate::services::feeds;
use crate::state::AppState;

/// The catalog entry URL of a version.
pub fn url(urls: &FeedUrls, entry: &NuGetEntry) -> String {
    urls.v3(&format!(
        "catalog/{}/{}.json",
        entry.lower_id(),
        entry.lower_version()
    ))
}

/// The catalog entry of a version (`PackageDetails`).
pub fn render(urls: &FeedUrls, entry: &NuGetEntry) -> Value {
    let nuspec = &entry.nuspec;
    let own_url = url(urls, entry);
    let dependency_groups: Vec<Value> = nuspec
        .dependency_groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let group_url = format!("{own_url}#dependencygroup/{i}");
            let dependencies: Vec<Value> = group
                .dependencies
                .iter()
                .map(|d| {
                    let mut dependency = json!({
                        "@id": format!("{group_url}/{}", d.id.to_ascii_lowercase()),
                        "@type": "PackageDependency",
                        "id": d.id,
                        "registration": urls.registration_index(&d.id.to_ascii_lowercase()),
                    });
                    // An absent range means any version.
                    if !d.range.is_empty() {
                        dependency["range"] = json!(d.range);
                    }
                    dependency
                })
                .collect();
            let mut value = json!({
                "@id": group_url,
                "@type": "PackageDependencyGroup",
                "dependencies": dependencies,
            });
            if !group.target_framework.is_empty() {
                value["targetFramework"] = json!(group.target_framework);
            }
            value
        })
        .collect();
    let mut out = Map::new();
    out.insert("@id".into(), json!(own_url));
    out.insert("@type".into(), json!("PackageDetails"));
    out.insert("id".into(), json!(entry.id()));
    out.insert("version".into(), json!(entry.version.to_full_string()));
    out.insert("authors".into(), json!(nuspec.authors));
    out.insert("description".into(), json!(nuspec.description));
    out.insert("dependencyGroups".into(), json!(dependency_groups));
    out.insert("listed".into(), json!(entry.record.listed));
    out.insert(
        "published".into(),
        json!(format_millis(entry.record.published_at)),
    );
    out.insert(
        "packageContent".into(),
        json!(urls.package_content(&entry.lower_id(), &entry.lower_version())),
    );
    out.insert(
        "requireLicenseAcceptance".into(),
        json!(nuspec.require_license_acceptance),
    );
    out.insert("tags".into(), json!(nuspec.tags));
    out.insert("packageSize".into(), json!(entry.package_size()));
    if let Some(sha512) = entry.record.primary_file().map(|f| f.sha512.as_str()) {
        if let Some(hash) = base64_of_hex(sha512) {
            out.insert("packageHash".into(), json!(hash));
            out.insert("packageHashAlgorithm".into(), json!("SHA512"));
        }
    }
    for (key, value) in [
        ("title", &nuspec.title),
        ("summary", &nuspec.summary),
        ("iconUrl", &nuspec.icon_url),
        ("projectUrl", &nuspec.project_url),
        ("language", &nuspec.language),
        ("minClientVersion", &nuspec.min_client_version),
        ("releaseNotes", &nuspec.release_notes),
        ("copyright", &nuspec.copyright),
    ] {
        if !value.is_empty() {
            out.insert(key.into(), json!(value));
        }
    }
    match &nuspec.license {
        Some(license) if license.kind == "expression" => {
            out.insert("licenseExpression".into(), json!(license.value));
            out.insert(
                "licenseUrl".into(),
                json!(format!("https://licenses.nuget.org/{}", license.value)),
            );
        }
        _ if !nuspec.license_url.is_empty() => {
            out.insert("licenseUrl".into(), json!(nuspec.license_url));
        }
        _ => {}
    }
    if let Some(deprecation) = deprecation(entry) {
        out.insert("deprecation".into(), deprecation);
    }
    Value::Object(out)
}

/// The deprecation object of a deprecated version. Gantry keeps a reason as
/// free text, so the reason code is `Other` with the text as the message
/// (`Legacy` when there is no text, since `Other` needs a message).
pub fn deprecation(entry: &NuGetEntry) -> Option<Value> {
    if !entry.record.deprecated {
        return None;
    }
    let reason = entry.record.deprecation_reason.trim();
    Some(if reason.is_empty() {
        json!({"reasons": ["Legacy"]})
    } else {
        json!({"reasons": ["Other"], "message": reason})
    })
}

/// NuGet writes package hashes in base64; Gantry keeps hex.
fn base64_of_hex(hex_digest: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = hex::decode(hex_digest).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// `GET /nuget/{feed}/v3/catalog/{id}/{version}.json`.
pub async fn entry(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path((feed, id, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let version = strip_json(&file).ok_or_else(|| ApiError::not_found("Catalog entries end in .json."))?;
    let entry = find_entry(&state, &feed, &id, version).await?;
    let urls = FeedUrls::new(&base, &feed);
    json_document(&headers, &render(&urls, &entry))
}
