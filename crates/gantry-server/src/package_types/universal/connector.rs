//! Universal packages through a connector: the upstream is a universal feed
//! of Gantry or ProGet (`https://host/upack/{feed}`).

use async_trait::async_trait;
use gantry_formats::PackageId;
use gantry_store::{PackageRecord, StagedBlob};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::connectors::remote::{RemoteFormat, RemoteVersion};
use crate::connectors::upstream::{Connector, UpstreamError};
use crate::error::ApiResult;
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// The universal package side of connectors.
pub struct UpackRemote;

/// A version as the upstream's `versions` endpoint lists it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamVersion {
    #[serde(default)]
    group: String,
    name: String,
    version: String,
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    size: Option<u64>,
    published: Option<String>,
}

/// A package as the upstream's `packages` endpoint lists it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamPackage {
    #[serde(default)]
    group: String,
    name: String,
    #[serde(default)]
    versions: Vec<String>,
    latest_version: Option<String>,
    title: Option<String>,
    description: Option<String>,
}

fn query_url(base: &str, endpoint: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if query.is_empty() {
        format!("{base}/{endpoint}")
    } else {
        format!("{base}/{endpoint}?{query}")
    }
}

fn download_url(base: &str, group: &str, name: &str, version: &str) -> String {
    let path: Vec<String> = group
        .split('/')
        .filter(|s| !s.is_empty())
        .chain([name, version])
        .map(|segment| segment.replace('%', "%25").replace('+', "%2B"))
        .collect();
    format!("{base}/download/{}", path.join("/"))
}

/// The manifest a publish of this version would have stored.
fn manifest(
    group: &str,
    name: &str,
    version: &str,
    title: Option<&str>,
    description: Option<&str>,
    dependencies: &[String],
) -> Value {
    let mut doc = Map::new();
    if !group.is_empty() {
        doc.insert("group".into(), json!(group));
    }
    doc.insert("name".into(), json!(name));
    doc.insert("version".into(), json!(version));
    if let Some(title) = title {
        doc.insert("title".into(), json!(title));
    }
    if let Some(description) = description {
        doc.insert("description".into(), json!(description));
    }
    if !dependencies.is_empty() {
        doc.insert("dependencies".into(), json!(dependencies));
    }
    Value::Object(doc)
}

fn parse_time(text: Option<&str>) -> i64 {
    text.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .map_or(0, gantry_store::time::to_millis)
}

#[async_trait]
impl RemoteFormat for UpackRemote {
    async fn versions(
        &self,
        upstream: &Connector,
        id: &PackageId,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let base = upstream.base_url();
        let url = query_url(base, "versions", &[("group", &id.group), ("name", &id.name)]);
        let Some(document) = upstream.get_json(&url, "application/json").await? else {
            return Ok(Vec::new());
        };
        let listed: Vec<UpstreamVersion> =
            serde_json::from_value(document).map_err(|e| UpstreamError::Malformed(format!("{url}: {e}")))?;
        Ok(listed
            .into_iter()
            .map(|v| RemoteVersion {
                metadata: manifest(
                    &v.group,
                    &v.name,
                    &v.version,
                    v.title.as_deref(),
                    v.description.as_deref(),
                    &v.dependencies,
                ),
                published_at: parse_time(v.published.as_deref()),
                listed: true,
                deprecation: None,
                download_url: download_url(base, &v.group, &v.name, &v.version),
                size: v.size,
                dist_tags: Vec::new(),
                group: v.group,
                name: v.name,
                version: v.version,
            })
            .collect())
    }

    async fn search(
        &self,
        upstream: &Connector,
        text: &str,
        take: usize,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let base = upstream.base_url();
        let url = query_url(base, "packages", &[]);
        let Some(document) = upstream.get_json(&url, "application/json").await? else {
            return Ok(Vec::new());
        };
        let packages: Vec<UpstreamPackage> =
            serde_json::from_value(document).map_err(|e| UpstreamError::Malformed(format!("{url}: {e}")))?;
        let needle = text.to_ascii_lowercase();
        Ok(packages
            .into_iter()
            .filter(|p| {
                needle.is_empty()
                    || crate::connectors::view::full_name(&p.group, &p.name)
                        .to_ascii_lowercase()
                        .contains(&needle)
            })
            .take(take)
            .flat_map(|p| {
                let mut versions = p.versions.clone();
                if versions.is_empty() {
                    versions.extend(p.latest_version.clone());
                }
                versions.into_iter().map(move |version| RemoteVersion {
                    metadata: manifest(
                        &p.group,
                        &p.name,
                        &version,
                        p.title.as_deref(),
                        p.description.as_deref(),
                        &[],
                    ),
                    published_at: 0,
                    listed: true,
                    deprecation: None,
                    download_url: download_url(base, &p.group, &p.name, &version),
                    size: None,
                    dist_tags: Vec::new(),
                    group: p.group.clone(),
                    name: p.name.clone(),
                    version,
                })
            })
            .collect())
    }

    async fn parse(
        &self,
        _state: &AppState,
        staged: &StagedBlob,
        _remote: &PackageRecord,
    ) -> ApiResult<ParsedPackage> {
        // The fetch checks the identity against `remote` for every type.
        super::protocol::parse_upack(staged).await
    }
}
