//! Maven repositories through a connector: the upstream is any maven2
//! layout (another Gantry's or ProGet's `/maven2/{feed}/`, Maven Central, a
//! folder served by a web server).
//!
//! A maven2 layout has no API to list a version's files, so a Maven feed
//! proxies file by file: a file the feed does not hold is fetched from the
//! first connector that has it, checked against the upstream's `.sha1`,
//! stored as a file of its version and served; from then on it is served
//! from the feed, upstream up or down. The artifact's `maven-metadata.xml`
//! merges the upstreams' versions with the feed's own (through
//! [`RemoteFormat::versions`]), and a snapshot's version metadata merges
//! the upstreams' builds. Promoting a version the feed only proxies
//! fetches it whole ([`RemoteFormat::parse`]): its pom and its artifact.

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use gantry_formats::maven::{
    read_checksum_file, read_metadata, read_pom, ArtifactFile, ChecksumAlgorithm, Maven, SnapshotFile,
};
use gantry_formats::PackageId;
use gantry_store::{FeedRecord, PackageRecord, StagedBlob};
use serde_json::json;

use super::protocol::{staged_bytes, version_file};
use crate::connectors::remote::{RemoteFormat, RemoteVersion};
use crate::connectors::upstream::{Connector, UpstreamError};
use crate::connectors::view::{connectors_of, full_name};
use crate::error::{ApiError, ApiResult};
use crate::protocols::upload::stage_stream;
use crate::services::publish::{add_fetched_file, ParsedPackage};
use crate::state::AppState;

/// What a maven2 upstream is asked for documents with.
const METADATA_ACCEPT: &str = "application/xml, text/xml;q=0.9, */*;q=0.1";
const CHECKSUM_ACCEPT: &str = "text/plain, */*;q=0.1";

/// The Maven side of connectors.
pub struct MavenRemote;

/// `{base}/org/acme/widget`: an artifact's directory upstream.
fn artifact_url(base: &str, group_id: &str, artifact_id: &str) -> String {
    format!("{base}/{}/{artifact_id}", group_id.replace('.', "/"))
}

/// The file extension of a packaging (`jar` for `bundle`), or `None` for
/// a `pom`-packaged project, which has no artifact besides its pom.
fn packaging_extension(packaging: &str) -> Option<&str> {
    match packaging {
        "pom" => None,
        "" | "jar" | "bundle" | "maven-plugin" | "ejb" | "eclipse-plugin" | "java-source" | "javadoc" => {
            Some("jar")
        }
        other if other.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => Some(other),
        _ => Some("jar"),
    }
}

#[async_trait]
impl RemoteFormat for MavenRemote {
    /// The versions the upstream's `maven-metadata.xml` lists; each one's
    /// download is its pom (every version has one; its packaging says
    /// which artifact comes with it).
    async fn versions(
        &self,
        upstream: &Connector,
        id: &PackageId,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        let directory = artifact_url(upstream.base_url(), &id.group, &id.name);
        let url = format!("{directory}/maven-metadata.xml");
        let Some(body) = upstream.get_document(&url, METADATA_ACCEPT).await? else {
            return Ok(Vec::new());
        };
        let metadata =
            read_metadata(&body).map_err(|e| UpstreamError::Malformed(format!("{url}: {}", e.0)))?;
        Ok(metadata
            .versions
            .into_iter()
            .map(|version| RemoteVersion {
                group: id.group.clone(),
                name: id.name.clone(),
                download_url: format!("{directory}/{version}/{}-{version}.pom", id.name),
                version,
                metadata: json!({}),
                published_at: metadata.last_updated_millis.unwrap_or_default(),
                listed: true,
                deprecation: None,
                size: None,
                dist_tags: Vec::new(),
            })
            .collect())
    }

    /// A version fetched whole (its promotion from a feed that only
    /// proxies it): the fetched file is its pom, which must name
    /// the version; the artifact its packaging names is fetched beside it.
    async fn parse(
        &self,
        state: &AppState,
        staged: &StagedBlob,
        remote: &PackageRecord,
    ) -> ApiResult<ParsedPackage> {
        let bytes = staged_bytes(staged).await?;
        let pom = read_pom(&bytes).map_err(|e| ApiError::bad_request(e.0))?;
        if (
            pom.group_id.as_str(),
            pom.artifact_id.as_str(),
            pom.version.as_str(),
        ) != (
            remote.group.as_str(),
            remote.name.as_str(),
            remote.version.as_str(),
        ) {
            return Err(ApiError::bad_request(format!(
                "the pom describes {}:{}:{}, not {}:{}:{}",
                pom.group_id, pom.artifact_id, pom.version, remote.group, remote.name, remote.version
            )));
        }
        let pom_name = format!("{}-{}.pom", remote.name, remote.version);
        let mut parsed = ParsedPackage::new(
            PackageId {
                group: remote.group.clone(),
                name: remote.name.clone(),
            },
            remote.version.clone(),
            pom.metadata(),
        )
        .with_main_file(&pom_name, &pom_name);
        let Some(extension) = packaging_extension(&pom.packaging) else {
            return Ok(parsed);
        };
        let Some(origin) = &remote.remote else {
            return Ok(parsed);
        };
        let Some(record) = state
            .meta()
            .get_connector(&origin.connector.to_ascii_lowercase())
            .await?
        else {
            return Ok(parsed);
        };
        let connector = state.connectors().get(record);
        let artifact = format!("{}-{}.{extension}", remote.name, remote.version);
        let url = format!(
            "{}/{}/{artifact}",
            artifact_url(connector.base_url(), &remote.group, &remote.name),
            remote.version
        );
        match fetch_verified(state, &connector, &url).await {
            Ok(Some(staged)) => parsed = parsed.with_extra_file(&artifact, artifact.clone(), staged),
            // Packaging `jar` with no jar upstream (a parent pom written
            // without `<packaging>pom`): the pom alone is the version.
            Ok(None) => {}
            Err(e) => {
                return Err(ApiError::bad_request(format!(
                    "its {artifact} could not be fetched: {e}"
                )));
            }
        }
        Ok(parsed)
    }
}

/// Fetches a file into the staging area and checks it against the
/// upstream's `.sha1` when the upstream has one; `Ok(None)` when the
/// upstream does not have the file.
async fn fetch_verified(
    state: &AppState,
    connector: &Connector,
    url: &str,
) -> Result<Option<StagedBlob>, UpstreamError> {
    let Some(response) = connector.send(connector.get_file(url)).await? else {
        return Ok(None);
    };
    let staged = stage_stream(state, response.bytes_stream())
        .await
        .map_err(|e| UpstreamError::Malformed(format!("{url}: {}", e.message)))?;
    if let Some(checksum) = connector
        .get_document(&format!("{url}.sha1"), CHECKSUM_ACCEPT)
        .await?
    {
        let claimed = read_checksum_file(ChecksumAlgorithm::Sha1, &checksum)
            .map_err(|e| UpstreamError::Malformed(format!("{url}.sha1: {}", e.0)))?;
        if claimed != staged.info().sha1 {
            return Err(UpstreamError::Malformed(format!(
                "{url} has SHA-1 {}, but its .sha1 says {claimed}",
                staged.info().sha1
            )));
        }
    }
    Ok(Some(staged))
}

/// What the feed's connectors gave for a file the feed does not hold.
pub(super) enum Proxied {
    /// Fetched and stored: the feed now holds it.
    Stored,
    /// Relayed without storing (the feed does not cache connectors).
    Relayed(Response),
    /// No connector has it (or the feed has none).
    Missing,
}

/// Asks the feed's connectors, in order, for a file the feed does not
/// hold (`checksum`: for that checksum of the file). A connector whose
/// filters block the artifact is skipped; a failing one is marked
/// unhealthy and the next is asked. When none had the file and some
/// failed, that is 404 naming them and why, as for every type's downloads.
pub(super) async fn fetch_file(
    state: &AppState,
    feed: &FeedRecord,
    file: &ArtifactFile,
    checksum: Option<ChecksumAlgorithm>,
) -> ApiResult<Proxied> {
    let mut failures = Vec::new();
    for connector in connectors_of(state, feed).await? {
        if !connector.allows(&full_name(&file.group_id, &file.artifact_id)) {
            continue;
        }
        if let Some(resting) = connector.resting() {
            failures.push(format!("{}: {resting}", connector.name()));
            continue;
        }
        let url = format!("{}/{}", connector.base_url(), file.path());
        let outcome = if feed.settings.cache_connectors {
            store_from(state, feed, &connector, file, &url).await
        } else {
            relay_from(&connector, file, &url, checksum).await
        };
        match outcome {
            Ok(Some(proxied)) => {
                connector.succeeded(&state.meta_handle());
                return Ok(proxied);
            }
            Ok(None) => connector.succeeded(&state.meta_handle()),
            Err(Failure::Upstream(e)) => {
                tracing::warn!(connector = %connector.name(), %url, error = %e, "maven upstream failed");
                connector.failed(&state.meta_handle(), &e);
                failures.push(format!("{}: {e}", connector.name()));
            }
            Err(Failure::Local(e)) => return Err(e),
        }
    }
    if failures.is_empty() {
        Ok(Proxied::Missing)
    } else {
        Err(ApiError::not_found(format!(
            "Feed '{}' does not hold {}, and its connectors could not be asked: {}",
            feed.settings.name,
            file.file_name,
            failures.join("; ")
        )))
    }
}

/// Why asking one connector failed: its upstream (try the next), or this
/// server (stop).
enum Failure {
    Upstream(UpstreamError),
    Local(ApiError),
}

impl From<UpstreamError> for Failure {
    fn from(e: UpstreamError) -> Self {
        Self::Upstream(e)
    }
}

/// Fetches a file from one upstream and stores it as a file of its version.
async fn store_from(
    state: &AppState,
    feed: &FeedRecord,
    connector: &Connector,
    file: &ArtifactFile,
    url: &str,
) -> Result<Option<Proxied>, Failure> {
    let Some(staged) = fetch_verified(state, connector, url).await? else {
        return Ok(None);
    };
    // The version's pom gives its description and dependencies, as a
    // deployed one does; it must be the artifact's own.
    let pom = if file.is_version_pom() {
        Some(staged_bytes(&staged).await.map_err(Failure::Local)?)
    } else {
        None
    };
    let (parsed, new_file) = version_file(file, pom.as_deref(), false)
        .map_err(|e| UpstreamError::Malformed(format!("{url}: {}", e.0)))?;
    add_fetched_file(state, feed, &Maven, staged, parsed, new_file, connector.name())
        .await
        .map_err(Failure::Local)?;
    tracing::info!(feed = %feed.settings.name, file = %file.file_name, connector = %connector.name(),
        "maven file cached from connector");
    Ok(Some(Proxied::Stored))
}

/// Relays a file (or its checksum) from one upstream, storing nothing.
async fn relay_from(
    connector: &Connector,
    file: &ArtifactFile,
    url: &str,
    checksum: Option<ChecksumAlgorithm>,
) -> Result<Option<Proxied>, Failure> {
    let url = match checksum {
        Some(algorithm) => format!("{url}.{}", algorithm.extension()),
        None => url.to_owned(),
    };
    let Some(upstream) = connector.send(connector.get_file(&url)).await? else {
        return Ok(None);
    };
    let mut response = Body::from_stream(upstream.bytes_stream()).into_response();
    let content_type = if checksum.is_some() {
        "text/plain"
    } else {
        super::protocol::content_type(&file.extension)
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(Some(Proxied::Relayed(response)))
}

/// The builds of a snapshot version the feed's upstreams list (each
/// file's newest), with the newest `lastUpdated` among them. Upstreams
/// that fail are marked unhealthy and contribute nothing.
pub(super) async fn upstream_snapshot_files(
    state: &AppState,
    feed: &FeedRecord,
    group_id: &str,
    artifact_id: &str,
    version: &str,
) -> ApiResult<(Vec<SnapshotFile>, Option<i64>)> {
    let mut files = Vec::new();
    let mut last_updated = None;
    for connector in connectors_of(state, feed).await? {
        if !connector.allows(&full_name(group_id, artifact_id)) || connector.resting().is_some() {
            continue;
        }
        let url = format!(
            "{}/{version}/maven-metadata.xml",
            artifact_url(connector.base_url(), group_id, artifact_id)
        );
        let answer = match connector.get_document(&url, METADATA_ACCEPT).await {
            Ok(Some(body)) => read_metadata(&body)
                .map(Some)
                .map_err(|e| UpstreamError::Malformed(format!("{url}: {}", e.0))),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match answer {
            Ok(Some(metadata)) => {
                connector.succeeded(&state.meta_handle());
                files.extend(metadata.snapshot_files);
                last_updated = last_updated.max(metadata.last_updated_millis);
            }
            Ok(None) => connector.succeeded(&state.meta_handle()),
            Err(e) => connector.failed(&state.meta_handle(), &e),
        }
    }
    Ok((files, last_updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packagings_name_their_artifacts_extension() {
        assert_eq!(packaging_extension("jar"), Some("jar"));
        assert_eq!(packaging_extension(""), Some("jar"));
        assert_eq!(packaging_extension("bundle"), Some("jar"));
        assert_eq!(packaging_extension("maven-plugin"), Some("jar"));
        assert_eq!(packaging_extension("war"), Some("war"));
        assert_eq!(packaging_extension("aar"), Some("aar"));
        assert_eq!(packaging_extension("pom"), None);
        assert_eq!(packaging_extension("../x"), Some("jar"));
    }

    #[test]
    fn artifact_directories_follow_the_layout() {
        assert_eq!(
            artifact_url("http://up/maven2/libs", "org.acme.tools", "widget"),
            "http://up/maven2/libs/org/acme/tools/widget"
        );
    }
}
