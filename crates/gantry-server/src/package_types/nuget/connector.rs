//! NuGet packages through a connector: the upstream is a NuGet v3 source
//! (`https://api.nuget.org/v3/index.json`, or a Gantry or ProGet feed's
//! `https://host/nuget/{feed}/v3/index.json`). A connector URL that does not
//! end in `.json` is a feed root, and `/v3/index.json` is appended.
//!
//! Versions come from the registration index (`RegistrationsBaseUrl`),
//! package files from the flat container (`PackageBaseAddress/3.0.0`) and
//! search from `SearchQueryService`. The service index is kept per
//! connector for [`INDEX_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use gantry_formats::nuget::{Dependency, DependencyGroup, License, NuGetVersion, Nuspec, PackageTypeRef};
use gantry_formats::PackageId;
use gantry_store::{PackageRecord, StagedBlob};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::connectors::remote::{RemoteFormat, RemoteVersion};
use crate::connectors::upstream::{Connector, UpstreamError};
use crate::error::ApiResult;
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// How long an upstream's service index is trusted.
const INDEX_TTL: Duration = Duration::from_mins(15);

/// The most registration pages fetched for one package (nuget.org pages
/// hold 64 versions each).
const MAX_PAGES: usize = 64;

const JSON: &str = "application/json";

/// The NuGet side of connectors (NuGet, Chocolatey and PowerShell feeds).
pub struct NuGetRemote;

/// The resources of an upstream's service index this connector uses.
#[derive(Debug)]
struct Services {
    registrations: String,
    package_base: String,
    search: Option<String>,
}

type IndexCache = Mutex<HashMap<String, (Instant, Arc<Services>)>>;

static INDEXES: LazyLock<IndexCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The service index URL of a connector.
fn index_url(upstream: &Connector) -> String {
    let base = upstream.base_url();
    if base.to_ascii_lowercase().ends_with(".json") {
        base.to_owned()
    } else {
        format!("{base}/v3/index.json")
    }
}

fn resource<'a>(resources: &'a [Value], types: &[&str]) -> Option<&'a str> {
    types.iter().find_map(|wanted| {
        resources.iter().find_map(|r| {
            let kind = r.get("@type").and_then(Value::as_str)?;
            (kind == *wanted)
                .then(|| r.get("@id").and_then(Value::as_str))
                .flatten()
        })
    })
}

fn slash(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}

async fn services(upstream: &Connector) -> Result<Arc<Services>, UpstreamError> {
    let url = index_url(upstream);
    let key = format!("{}|{url}", upstream.record.id);
    if let Ok(cache) = INDEXES.lock() {
        if let Some((at, found)) = cache.get(&key) {
            if at.elapsed() < INDEX_TTL {
                return Ok(Arc::clone(found));
            }
        }
    }
    let document = upstream
        .get_json(&url, JSON)
        .await?
        .ok_or_else(|| UpstreamError::Malformed(format!("{url}: no NuGet service index there")))?;
    let resources = document
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| UpstreamError::Malformed(format!("{url}: no resources")))?;
    let registrations = resource(
        resources,
        &[
            "RegistrationsBaseUrl/3.6.0",
            "RegistrationsBaseUrl/Versioned",
            "RegistrationsBaseUrl",
            "RegistrationsBaseUrl/3.4.0",
            "RegistrationsBaseUrl/3.0.0-rc",
        ],
    )
    .ok_or_else(|| UpstreamError::Malformed(format!("{url}: no RegistrationsBaseUrl")))?;
    let package_base = resource(resources, &["PackageBaseAddress/3.0.0"])
        .ok_or_else(|| UpstreamError::Malformed(format!("{url}: no PackageBaseAddress/3.0.0")))?;
    let search = resource(
        resources,
        &[
            "SearchQueryService/3.5.0",
            "SearchQueryService",
            "SearchQueryService/3.0.0-rc",
            "SearchQueryService/3.0.0-beta",
        ],
    );
    let found = Arc::new(Services {
        registrations: slash(registrations),
        package_base: slash(package_base),
        search: search.map(str::to_owned),
    });
    if let Ok(mut cache) = INDEXES.lock() {
        cache.insert(key, (Instant::now(), Arc::clone(&found)));
    }
    Ok(found)
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A string or an array of strings, as one comma-separated string.
fn joined(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// A string (split on whitespace and commas) or an array of strings.
fn list(value: &Value, key: &str) -> Vec<String> {
    match value.get(key) {
        Some(Value::String(s)) => s
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn dependency_groups(entry: &Value) -> Vec<DependencyGroup> {
    let Some(groups) = entry.get("dependencyGroups").and_then(Value::as_array) else {
        return Vec::new();
    };
    groups
        .iter()
        .map(|group| DependencyGroup {
            target_framework: text(group, "targetFramework"),
            dependencies: group
                .get("dependencies")
                .and_then(Value::as_array)
                .map(|deps| {
                    deps.iter()
                        .filter_map(|d| {
                            let id = text(d, "id");
                            (!id.is_empty()).then(|| Dependency {
                                id,
                                // nuget.org writes "(, )" for any version.
                                range: text(d, "range").replace("(, )", ""),
                                ..Dependency::default()
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The manifest a push of this version would have stored, from a catalog
/// entry or a search result (which lacks dependencies).
fn nuspec(entry: &Value, id: &str, version: &NuGetVersion) -> Nuspec {
    let license_expression = text(entry, "licenseExpression");
    let package_types = entry
        .get("packageTypes")
        .and_then(Value::as_array)
        .map(|types| {
            types
                .iter()
                .filter_map(|t| {
                    let name = text(t, "name");
                    (!name.is_empty()).then(|| PackageTypeRef {
                        name,
                        ..PackageTypeRef::default()
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Nuspec {
        id: id.to_owned(),
        version: version.to_full_string(),
        original_version: version.original().to_owned(),
        title: text(entry, "title"),
        authors: joined(entry, "authors"),
        owners: joined(entry, "owners"),
        description: text(entry, "description"),
        summary: text(entry, "summary"),
        release_notes: text(entry, "releaseNotes"),
        copyright: text(entry, "copyright"),
        language: text(entry, "language"),
        project_url: text(entry, "projectUrl"),
        icon_url: text(entry, "iconUrl"),
        license_url: if license_expression.is_empty() {
            text(entry, "licenseUrl")
        } else {
            String::new()
        },
        min_client_version: text(entry, "minClientVersion"),
        tags: list(entry, "tags"),
        require_license_acceptance: entry
            .get("requireLicenseAcceptance")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        license: (!license_expression.is_empty()).then(|| License {
            kind: "expression".to_owned(),
            value: license_expression,
            ..License::default()
        }),
        dependency_groups: dependency_groups(entry),
        package_types,
        ..Nuspec::default()
    }
}

/// A deprecation object's reason as one line of text.
fn deprecation(entry: &Value) -> Option<String> {
    let deprecation = entry.get("deprecation").filter(|d| d.is_object())?;
    let message = text(deprecation, "message");
    if !message.is_empty() {
        return Some(message);
    }
    Some(list(deprecation, "reasons").join(", "))
}

/// Publication time in Unix milliseconds, and whether it marks the version
/// unlisted (nuget.org publishes unlisted versions as of 1900).
fn published(entry: &Value) -> (i64, bool) {
    let Some(at) = entry
        .get("published")
        .and_then(Value::as_str)
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
    else {
        return (0, false);
    };
    if at.year() <= 1900 {
        (0, true)
    } else {
        (gantry_store::time::to_millis(at), false)
    }
}

fn content_url(services: &Services, id: &str, version: &NuGetVersion) -> String {
    let lower_id = id.to_ascii_lowercase();
    let lower_version = version.key();
    format!(
        "{}{lower_id}/{lower_version}/{lower_id}.{lower_version}.nupkg",
        services.package_base
    )
}

/// A registration leaf's catalog entry as a remote version.
fn from_catalog_entry(services: &Services, entry: &Value) -> Option<RemoteVersion> {
    let id = text(entry, "id");
    let version = NuGetVersion::parse(&text(entry, "version")).ok()?;
    if id.is_empty() {
        return None;
    }
    let (published_at, unlisted_by_date) = published(entry);
    let listed = entry
        .get("listed")
        .and_then(Value::as_bool)
        .unwrap_or(!unlisted_by_date);
    let metadata = serde_json::to_value(nuspec(entry, &id, &version)).ok()?;
    Some(RemoteVersion {
        group: String::new(),
        download_url: content_url(services, &id, &version),
        version: version.to_full_string(),
        name: id,
        metadata,
        published_at,
        listed,
        deprecation: deprecation(entry),
        size: entry.get("packageSize").and_then(Value::as_u64),
        dist_tags: Vec::new(),
    })
}

fn leaves(page: &Value) -> impl Iterator<Item = &Value> {
    page.get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|leaf| leaf.get("catalogEntry").filter(|e| e.is_object()))
}

#[async_trait]
impl RemoteFormat for NuGetRemote {
    async fn versions(
        &self,
        upstream: &Connector,
        id: &PackageId,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let services = services(upstream).await?;
        let url = format!(
            "{}{}/index.json",
            services.registrations,
            id.name.to_ascii_lowercase()
        );
        let Some(index) = upstream.get_json(&url, JSON).await? else {
            return Ok(Vec::new());
        };
        let pages = index
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| UpstreamError::Malformed(format!("{url}: no items")))?;
        let mut found = Vec::new();
        for page in pages.iter().take(MAX_PAGES) {
            if page.get("items").is_some() {
                found.extend(leaves(page).filter_map(|e| from_catalog_entry(&services, e)));
                continue;
            }
            let Some(page_url) = page.get("@id").and_then(Value::as_str) else {
                continue;
            };
            if let Some(fetched) = upstream.get_json(page_url, JSON).await? {
                found.extend(leaves(&fetched).filter_map(|e| from_catalog_entry(&services, e)));
            }
        }
        Ok(found)
    }

    async fn search(
        &self,
        upstream: &Connector,
        text_query: &str,
        take: usize,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let services = services(upstream).await?;
        let Some(search) = services.search.as_deref() else {
            return Ok(Vec::new());
        };
        let take = take.to_string();
        let query = serde_urlencoded::to_string([
            ("q", text_query),
            ("take", take.as_str()),
            ("prerelease", "true"),
            ("semVerLevel", "2.0.0"),
        ])
        .unwrap_or_default();
        let url = format!("{search}?{query}");
        let Some(document) = upstream.get_json(&url, JSON).await? else {
            return Ok(Vec::new());
        };
        let data = document
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| UpstreamError::Malformed(format!("{url}: no data")))?;
        let mut found = Vec::new();
        for item in data {
            let id = text(item, "id");
            if id.is_empty() {
                continue;
            }
            let mut versions: Vec<String> = item
                .get("versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| text(v, "version"))
                .filter(|v| !v.is_empty())
                .collect();
            if versions.is_empty() {
                versions.push(text(item, "version"));
            }
            for raw in versions {
                let Ok(version) = NuGetVersion::parse(&raw) else {
                    continue;
                };
                let Ok(metadata) = serde_json::to_value(nuspec(item, &id, &version)) else {
                    continue;
                };
                found.push(RemoteVersion {
                    group: String::new(),
                    name: id.clone(),
                    version: version.to_full_string(),
                    metadata,
                    published_at: 0,
                    listed: true,
                    deprecation: deprecation(item),
                    download_url: content_url(&services, &id, &version),
                    size: None,
                    dist_tags: Vec::new(),
                });
            }
        }
        Ok(found)
    }

    async fn parse(
        &self,
        state: &AppState,
        staged: &StagedBlob,
        _remote: &PackageRecord,
    ) -> ApiResult<ParsedPackage> {
        crate::package_types::nuget::protocol::push::parse_nupkg(state, staged).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn catalog_entries_map_to_the_pushed_manifest() {
        let services = Services {
            registrations: "https://x/reg/".into(),
            package_base: "https://x/flat/".into(),
            search: None,
        };
        let entry = json!({
            "id": "Newtonsoft.Json",
            "version": "13.0.1-Beta+abc",
            "authors": ["James", "Other"],
            "tags": ["json", "xml"],
            "licenseExpression": "MIT",
            "listed": false,
            "published": "1900-01-01T00:00:00+00:00",
            "packageSize": 42,
            "dependencyGroups": [{"targetFramework": "net8.0", "dependencies": [{"id": "A", "range": "[1.0.0, )"}]}],
            "deprecation": {"reasons": ["Legacy"]},
        });
        let remote = from_catalog_entry(&services, &entry).expect("entry");
        assert_eq!(remote.name, "Newtonsoft.Json");
        assert!(!remote.listed);
        assert_eq!(remote.size, Some(42));
        assert_eq!(remote.deprecation.as_deref(), Some("Legacy"));
        assert_eq!(
            remote.download_url,
            "https://x/flat/newtonsoft.json/13.0.1-beta/newtonsoft.json.13.0.1-beta.nupkg"
        );
        let nuspec: Nuspec = serde_json::from_value(remote.metadata).expect("nuspec");
        assert_eq!(nuspec.authors, "James, Other");
        assert_eq!(nuspec.dependency_groups[0].dependencies[0].id, "A");
        assert_eq!(nuspec.license.map(|l| l.value), Some("MIT".to_owned()));
    }
}
