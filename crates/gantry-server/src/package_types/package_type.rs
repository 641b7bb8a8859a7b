//! What the server needs to know about one package type, in one place.
//!
//! Everything outside a type's own folder — services, the API, the UI, the
//! connector layer — asks the type through [`PackageType`] and holds no
//! branch on a specific type. A type is registered once, in
//! [`super::REGISTERED`].

use async_trait::async_trait;
use gantry_core::FeedType;
use gantry_formats::PackageFormat;
use gantry_store::{FeedRecord, PackageFileRecord, PackageRecord, StagedBlob, TagMove};
use serde_json::Value;

use crate::api::routes::Routes;
use crate::connectors::remote::RemoteFormat;
use crate::error::{ApiError, ApiResult};
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// A snippet to copy from a feed's page: what it is for, and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// What the snippet does ("Add the source", ".npmrc").
    pub label: String,
    /// The text to copy.
    pub code: String,
}

impl Snippet {
    /// A snippet labelled `label`.
    pub fn new(label: &str, code: String) -> Self {
        Self {
            label: label.to_owned(),
            code,
        }
    }
}

/// A dependency of a version, as the version page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyRow {
    /// The framework or kind it applies to ("" for all).
    pub scope: String,
    /// What is depended on.
    pub name: String,
    /// Which versions.
    pub range: String,
}

/// A table of a version page beyond its facts and files (an image's
/// layers, an index's platforms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetailTable {
    /// Its heading.
    pub title: String,
    /// Its column headings.
    pub columns: Vec<&'static str>,
    /// Its rows, one cell per column.
    pub rows: Vec<Vec<String>>,
}

/// Where a client or a person reaches one feed: the server's base URL and
/// the feed, with the feed type (one registration may serve several).
#[derive(Clone, Copy, Debug)]
pub struct FeedAddress<'a> {
    /// The server's public base URL, without a trailing slash.
    pub base: &'a str,
    /// The feed's name.
    pub feed: &'a str,
    /// The feed's type.
    pub feed_type: FeedType,
}

/// The `gantry` command that downloads one version: how a type with no
/// client of its own is installed.
pub fn download_command(address: FeedAddress<'_>, group: &str, name: &str, version: &str) -> String {
    let full = if group.is_empty() {
        name.to_owned()
    } else {
        format!("{group}/{name}")
    };
    format!(
        "gantry packages download --source={} --feed={} --package={full} --version={version}",
        address.base, address.feed
    )
}

/// One package type: its identity rules, the feed types it serves, its
/// protocol, its connector, its uploads, how people see its packages, and
/// what promotion does beyond copying.
///
/// Only [`Self::format`], [`Self::feed_types`], [`Self::routes`] and
/// [`Self::feed_snippets`] are required; every other part has the answer of
/// a type that does not have it.
#[async_trait]
pub trait PackageType: Send + Sync + 'static {
    /// The identity rules: names, version order, stability, purl.
    fn format(&self) -> &'static dyn PackageFormat;

    /// The feed types whose feeds hold this type's packages.
    fn feed_types(&self) -> &'static [FeedType];

    /// The protocol's routes, under `/{protocol}/{feed}/`.
    fn routes(&self) -> Routes;

    /// How feeds of this type proxy an upstream, when they can.
    fn connector(&self) -> Option<&'static dyn RemoteFormat> {
        None
    }

    /// The file name endings a package file of this type is uploaded with
    /// (the packages API upload, the feed page's form), lower case with the
    /// dot; empty when the type's packages are not uploaded as one file.
    fn upload_extensions(&self) -> &'static [&'static str] {
        &[]
    }

    /// The file of a version that stands for the whole version: what the
    /// packages API downloads when no `file` is named, and whose digests it
    /// reports. By default [`PackageRecord::primary_file`] (the file without
    /// a qualifier, or else the first).
    fn main_file<'a>(&self, record: &'a PackageRecord) -> Option<&'a PackageFileRecord> {
        record.primary_file()
    }

    /// The media type a file of a version is downloaded with, by its
    /// name; by default the format's one type for its package files.
    fn content_type_of(&self, _file_name: &str) -> &'static str {
        self.format().content_type()
    }

    /// Reads an uploaded package file into what publish stores, refusing a
    /// file that is not a valid package of this type.
    async fn parse_upload(&self, _state: &AppState, _staged: &StagedBlob) -> ApiResult<ParsedPackage> {
        Err(ApiError::bad_request(
            "Packages of this type are not uploaded as a file: publish them with their client.",
        ))
    }

    /// Request headers that carry an API key for this type's clients
    /// (besides `X-ApiKey` and HTTP authentication, which every type reads).
    fn api_key_headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// How to point a client at a feed, with this server's real URLs.
    fn feed_snippets(&self, address: FeedAddress<'_>) -> Vec<Snippet>;

    /// The command that installs one version from a feed.
    fn install_command(&self, address: FeedAddress<'_>, group: &str, name: &str, version: &str) -> String {
        download_command(address, group, name, version)
    }

    /// Other commands that fetch one version (`skopeo copy` beside
    /// `docker pull`), each with what it is for.
    fn other_install_commands(
        &self,
        _address: FeedAddress<'_>,
        _group: &str,
        _name: &str,
        _version: &str,
    ) -> Vec<Snippet> {
        Vec::new()
    }

    /// Tables the version page shows from a version's stored metadata.
    fn detail_tables(&self, _metadata: &Value) -> Vec<DetailTable> {
        Vec::new()
    }

    /// A version's description as its stored metadata gives it: by default
    /// the first non-blank of `description`, `summary` and `title`.
    fn description<'a>(&self, metadata: &'a Value) -> Option<&'a str> {
        ["description", "summary", "title"].iter().find_map(|key| {
            metadata
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        })
    }

    /// The dependencies a version's stored metadata declares.
    fn dependencies(&self, _metadata: &Value) -> Vec<DependencyRow> {
        Vec::new()
    }

    /// Metadata fields the version page leaves out of its plain
    /// `name: value` rows (documents shown elsewhere or not at all).
    fn hidden_metadata_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// The tag moves (npm's `latest`) promoting `source` into `to` makes,
    /// decided from the target's tags as they are now; the store applies
    /// them only if the tags did not change in between.
    async fn promotion_tag_moves(
        &self,
        _state: &AppState,
        _to: &FeedRecord,
        _source: &PackageRecord,
    ) -> ApiResult<Vec<TagMove>> {
        Ok(Vec::new())
    }
}
