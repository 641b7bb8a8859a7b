//! What a package type must provide to be served through a connector: how
//! to read an upstream's versions and search results, and how to check a
//! package file fetched from it. A type plugs in by implementing
//! [`RemoteFormat`] and returning it from
//! [`crate::package_types::PackageType::connector`].

use async_trait::async_trait;
use gantry_formats::PackageId;
use gantry_store::{FeedRecord, PackageRecord, StagedBlob};

use super::upstream::{Connector, UpstreamError};
use crate::error::ApiResult;
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// A version an upstream offers, in the shape the format stores locally.
#[derive(Clone, Debug)]
pub struct RemoteVersion {
    /// Group (scope), as the upstream writes it ("" when none).
    pub group: String,
    /// Name, as the upstream writes it.
    pub name: String,
    /// Version, as the upstream writes it.
    pub version: String,
    /// The manifest in the same JSON shape a publish to Gantry stores, so
    /// every protocol document renders it like a local version.
    pub metadata: serde_json::Value,
    /// Publication time upstream, Unix milliseconds (0 when unknown).
    pub published_at: i64,
    /// Whether the upstream lists it.
    pub listed: bool,
    /// Whether the upstream deprecates it, and why.
    pub deprecation: Option<String>,
    /// Where its package file is.
    pub download_url: String,
    /// The package file's size, when the upstream says.
    pub size: Option<u64>,
    /// Dist-tags the upstream points at it (for types that keep them).
    pub dist_tags: Vec<String>,
}

/// The connector side of a package type.
#[async_trait]
pub trait RemoteFormat: Send + Sync + 'static {
    /// Every version the upstream has of one package; empty when it has none.
    async fn versions(
        &self,
        upstream: &Connector,
        id: &PackageId,
    ) -> Result<Vec<RemoteVersion>, UpstreamError>;

    /// The upstream's search results for `text` (at most `take` packages),
    /// each package's latest version with the others' numbers in
    /// `metadata` as the format's search needs them. By default none: an
    /// upstream without a search API (a maven2 layout, a container
    /// registry) adds nothing, and a proxy feed's search shows what it has.
    async fn search(
        &self,
        _upstream: &Connector,
        _text: &str,
        _take: usize,
    ) -> Result<Vec<RemoteVersion>, UpstreamError> {
        Ok(Vec::new())
    }

    /// Reads a package file fetched through a connector into what publish
    /// stores, refusing a file that is not the version `remote` describes.
    async fn parse(
        &self,
        state: &AppState,
        staged: &StagedBlob,
        remote: &PackageRecord,
    ) -> ApiResult<ParsedPackage>;

    /// Refuses a connector address this type cannot use, saying why (it
    /// was already checked to be an http(s) URL).
    fn check_url(&self, _url: &str) -> Result<(), String> {
        Ok(())
    }

    /// Stores a remote version whole into `feed` by the type's own means,
    /// for a type whose versions are not one package file (Docker: an
    /// image is a manifest and the blobs it names); `None` for the generic
    /// fetch of its download URL read by [`Self::parse`]. What promotion
    /// of a version the feed only proxies calls.
    async fn store_version(
        &self,
        _state: &AppState,
        _feed: &FeedRecord,
        _upstream: &Connector,
        _remote: &PackageRecord,
    ) -> Option<ApiResult<PackageRecord>> {
        None
    }
}
