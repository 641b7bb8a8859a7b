//! npm packages through a connector: the upstream is an npm registry's root
//! (`https://registry.npmjs.org`, a Verdaccio, or a feed of Gantry or
//! ProGet: `https://host/npm/{feed}`).
//!
//! A remote version's metadata is its upstream manifest in the shape a
//! local `npm publish` stores (see `feeds/npm/publish.rs`), except that its
//! `dist` keeps the upstream's `integrity` and `shasum`: a remote version has
//! no stored file to take them from. `dist.tarball` is never kept; every
//! document points at Gantry's own tarball URL.

use async_trait::async_trait;
use gantry_formats::npm;
use gantry_formats::PackageId;
use gantry_store::{PackageRecord, StagedBlob};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::connectors::remote::{RemoteFormat, RemoteVersion};
use crate::connectors::upstream::{Connector, UpstreamError};
use crate::error::{ApiError, ApiResult};
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// The npm side of connectors.
pub struct NpmRemote;

/// The packument's path segment of a package: `@scope%2fname` or `name`.
fn escaped_name(group: &str, name: &str) -> String {
    let full = npm::full_name(group, name);
    full.replace('%', "%25").replace('/', "%2f")
}

/// The npm-conventional tarball URL on the upstream, for search results
/// (whose documents do not say where the tarball is).
fn conventional_tarball(base: &str, group: &str, name: &str, version: &str) -> String {
    format!("{base}/{}/-/{name}-{version}.tgz", npm::full_name(group, name))
}

fn parse_time(text: Option<&str>) -> i64 {
    text.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .map_or(0, gantry_store::time::to_millis)
}

/// An upstream version manifest in the shape publish stores: no `_id`,
/// `deprecated` or upstream-only bookkeeping; `dist` reduced to what npm
/// counted when packing plus the digests (which a remote record needs).
pub fn local_shape(manifest: &Map<String, Value>, keep_digests: bool) -> Value {
    let mut stored = manifest.clone();
    for key in [
        "_id",
        "deprecated",
        "_resolved",
        "_from",
        "_shasum",
        "_integrity",
        "_rev",
        "_attachments",
        "_hasShrinkwrap",
    ] {
        stored.remove(key);
    }
    let dist = match stored.remove("dist") {
        Some(Value::Object(dist)) => dist,
        _ => Map::new(),
    };
    let kept: Map<String, Value> = dist
        .into_iter()
        .filter(|(k, v)| match k.as_str() {
            "fileCount" | "unpackedSize" => v.is_u64(),
            "integrity" | "shasum" => keep_digests && v.is_string(),
            _ => false,
        })
        .collect();
    if !kept.is_empty() {
        stored.insert("dist".into(), Value::Object(kept));
    }
    Value::Object(stored)
}

/// Every version of one packument as remote versions.
fn packument_versions(document: &Value, id: &PackageId) -> Vec<RemoteVersion> {
    let Some(versions) = document.get("versions").and_then(Value::as_object) else {
        return Vec::new();
    };
    let time = document.get("time").and_then(Value::as_object);
    let tags = document.get("dist-tags").and_then(Value::as_object);
    let full_name = npm::full_name(&id.group, &id.name);
    let mut found = Vec::with_capacity(versions.len());
    for (version, manifest) in versions {
        let Some(manifest) = manifest.as_object() else {
            continue;
        };
        // A manifest naming another package or version is not offered.
        let named = manifest.get("name").and_then(Value::as_str);
        let versioned = manifest.get("version").and_then(Value::as_str);
        if named.is_some_and(|n| n != full_name) || versioned.is_some_and(|v| v != version) {
            continue;
        }
        let Some(download_url) = manifest
            .get("dist")
            .and_then(|d| d.get("tarball"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let deprecation = match manifest.get("deprecated") {
            Some(Value::String(reason)) if !reason.is_empty() => Some(reason.clone()),
            _ => None,
        };
        let mut metadata = local_shape(manifest, true);
        if let Value::Object(map) = &mut metadata {
            map.insert("name".into(), json!(full_name));
            map.insert("version".into(), json!(version));
        }
        let dist_tags = tags
            .map(|tags| {
                tags.iter()
                    .filter(|(_, v)| v.as_str() == Some(version.as_str()))
                    .map(|(tag, _)| tag.clone())
                    .collect()
            })
            .unwrap_or_default();
        found.push(RemoteVersion {
            group: id.group.clone(),
            name: id.name.clone(),
            version: version.clone(),
            metadata,
            published_at: parse_time(time.and_then(|t| t.get(version)).and_then(Value::as_str)),
            listed: true,
            deprecation,
            download_url: download_url.to_owned(),
            size: None,
            dist_tags,
        });
    }
    found
}

/// One search result as a remote version (the package's latest).
fn search_result(base: &str, object: &Value) -> Option<RemoteVersion> {
    let package = object.get("package")?.as_object()?;
    let full_name = package.get("name")?.as_str()?;
    let version = package.get("version")?.as_str()?;
    let id = npm::split_name(full_name).ok()?;
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(full_name));
    metadata.insert("version".into(), json!(version));
    for key in ["description", "keywords"] {
        if let Some(value) = package.get(key).filter(|v| !v.is_null()) {
            metadata.insert(key.into(), value.clone());
        }
    }
    Some(RemoteVersion {
        download_url: conventional_tarball(base, &id.group, &id.name, version),
        group: id.group,
        name: id.name,
        version: version.to_owned(),
        metadata: Value::Object(metadata),
        published_at: parse_time(package.get("date").and_then(Value::as_str)),
        listed: true,
        deprecation: None,
        size: None,
        dist_tags: Vec::new(),
    })
}

/// Checks a fetched tarball's digests against what the upstream's
/// manifest promised: its sha512 `integrity` when it gives one, else its
/// sha1 `shasum`.
fn check_digests(metadata: &Value, sha512_hex: &str, sha1_hex: &str) -> Result<(), String> {
    let dist = metadata.get("dist");
    let integrity = dist.and_then(|d| d.get("integrity")).and_then(Value::as_str);
    let sha512 = integrity.and_then(|i| i.split_whitespace().find(|p| p.starts_with("sha512-")));
    if let Some(expected) = sha512 {
        return if npm::integrity(sha512_hex).as_deref() == Some(expected) {
            Ok(())
        } else {
            Err(format!(
                "The upstream's tarball does not match its integrity {expected}."
            ))
        };
    }
    if let Some(shasum) = dist.and_then(|d| d.get("shasum")).and_then(Value::as_str) {
        return if shasum.eq_ignore_ascii_case(sha1_hex) {
            Ok(())
        } else {
            Err(format!(
                "The upstream's tarball does not match its shasum {shasum}."
            ))
        };
    }
    Ok(())
}

#[async_trait]
impl RemoteFormat for NpmRemote {
    async fn versions(
        &self,
        upstream: &Connector,
        id: &PackageId,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let url = format!("{}/{}", upstream.base_url(), escaped_name(&id.group, &id.name));
        let Some(document) = upstream.get_json(&url, "application/json").await? else {
            return Ok(Vec::new());
        };
        if !document.is_object() {
            return Err(UpstreamError::Malformed(format!(
                "{url}: a packument is an object"
            )));
        }
        Ok(packument_versions(&document, id))
    }

    async fn search(
        &self,
        upstream: &Connector,
        text: &str,
        take: usize,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let base = upstream.base_url();
        let query =
            serde_urlencoded::to_string([("text", text), ("size", &take.to_string())]).unwrap_or_default();
        let url = format!("{base}/-/v1/search?{query}");
        let Some(document) = upstream.get_json(&url, "application/json").await? else {
            return Ok(Vec::new());
        };
        let objects = document
            .get("objects")
            .and_then(Value::as_array)
            .ok_or_else(|| UpstreamError::Malformed(format!("{url}: no objects")))?;
        Ok(objects
            .iter()
            .filter_map(|o| search_result(base, o))
            .take(take)
            .collect())
    }

    async fn parse(
        &self,
        _state: &AppState,
        staged: &StagedBlob,
        remote: &PackageRecord,
    ) -> ApiResult<ParsedPackage> {
        let full_name = npm::full_name(&remote.group, &remote.name);
        let path = staged.path().to_path_buf();
        let contents = tokio::task::spawn_blocking(move || npm::read_tarball(&path))
            .await
            .map_err(|e| ApiError::internal("tarball validation failed", &e))?
            .map_err(|e| ApiError::bad_request(e.0))?;
        if contents.name != full_name || contents.version != remote.version {
            return Err(ApiError::bad_request(format!(
                "The upstream's tarball holds {}@{}, not {full_name}@{}.",
                contents.name, contents.version, remote.version
            )));
        }
        let info = staged.info();
        check_digests(&remote.metadata, &info.sha512, &info.sha1).map_err(ApiError::bad_request)?;
        let metadata = match &remote.metadata {
            Value::Object(map) => local_shape(map, false),
            _ => json!({"name": full_name, "version": remote.version}),
        };
        let id = PackageId {
            group: remote.group.clone(),
            name: remote.name.clone(),
        };
        Ok(ParsedPackage::new(id, remote.version.clone(), metadata))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packuments_become_remote_versions_in_the_local_shape() {
        let document = json!({
            "name": "@acme/widget",
            "dist-tags": {"latest": "1.1.0", "beta": "1.1.0", "old": "1.0.0"},
            "time": {"1.0.0": "2024-01-02T03:04:05.000Z"},
            "versions": {
                "1.0.0": {"name": "@acme/widget", "version": "1.0.0", "_id": "@acme/widget@1.0.0",
                          "deprecated": "use 1.1",
                          "dist": {"tarball": "http://up/@acme/widget/-/widget-1.0.0.tgz",
                                   "integrity": "sha512-abc", "shasum": "00", "fileCount": 2,
                                   "signatures": []}},
                "1.1.0": {"name": "@acme/widget", "version": "1.1.0",
                          "dist": {"tarball": "http://up/@acme/widget/-/widget-1.1.0.tgz"}},
                "2.0.0": {"name": "@acme/other", "version": "2.0.0",
                          "dist": {"tarball": "http://up/x.tgz"}}
            }
        });
        let id = PackageId {
            group: "@acme".into(),
            name: "widget".into(),
        };
        let mut found = packument_versions(&document, &id);
        found.sort_by(|a, b| a.version.cmp(&b.version));
        assert_eq!(found.len(), 2);
        let old = &found[0];
        assert_eq!(old.deprecation.as_deref(), Some("use 1.1"));
        assert_eq!(old.dist_tags, ["old"]);
        assert!(old.published_at > 0);
        assert_eq!(old.download_url, "http://up/@acme/widget/-/widget-1.0.0.tgz");
        assert_eq!(
            old.metadata["dist"],
            json!({"integrity": "sha512-abc", "shasum": "00", "fileCount": 2})
        );
        assert!(old.metadata.get("_id").is_none() && old.metadata.get("deprecated").is_none());
        assert_eq!(found[1].dist_tags.len(), 2);
        assert_eq!(escaped_name("@acme", "widget"), "@acme%2fwidget");
    }

    #[test]
    fn digests_are_checked_sha512_first() {
        let sha512 = "00".repeat(64);
        let integrity = npm::integrity(&sha512).expect("integrity");
        let ok = json!({"dist": {"integrity": integrity, "shasum": "ff"}});
        assert!(check_digests(&ok, &sha512, "aa").is_ok());
        let bad = json!({"dist": {"integrity": "sha512-AAAA"}});
        assert!(check_digests(&bad, &sha512, "aa").is_err());
        let sha1 = json!({"dist": {"shasum": "AA"}});
        assert!(check_digests(&sha1, &sha512, "aa").is_ok());
        assert!(check_digests(&sha1, &sha512, "bb").is_err());
    }
}
