//! The NuGet v2 OData feed at `/nuget/{feed}/`, which NuGet.exe (through
//! the service index's `LegacyGallery`, or as a v2 source), Chocolatey and
//! PowerShellGet read.
//!
//! - `GET /nuget/{feed}/`: the AtomPub service document; `$metadata`: the EDMX schema.
//! - `GET /nuget/{feed}/Packages()`: every version (unlisted ones too, shown
//!   with `Listed` false and published in 1900); `Packages(Id='x',Version='y')`:
//!   one version (404 when absent).
//! - `FindPackagesById()?id='x'`: every version of an id, oldest first.
//! - `Search()?searchTerm='x'&includePrerelease=true`: listed versions whose
//!   id, title, description, tags or authors contain every word.
//! - `GetUpdates()?packageIds='a|b'&versions='1.0|2.0'`: the newest listed
//!   version above each (all of them with `includeAllVersions=true`).
//!   `targetFramework(s)` and `versionConstraints` are accepted and ignored.
//! - Each collection also as `.../$count` (a plain number), and with
//!   `$filter` (grammar in `filter.rs`), `$orderby`, `$skip`, `$top` (at most 100
//!   per page, then a `next` link), `$inlinecount=allpages` and `semVerLevel`
//!   (SemVer 2 versions are hidden below `2.0.0`). `$select` is ignored.
//! - `GET /nuget/{feed}/package/{id}/{version}`: the `.nupkg`.
//!
//! Reading needs View on the feed, downloading Download.

mod atom;
mod filter;
mod metadata;
mod query;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use gantry_core::Attribute;
use gantry_formats::nuget::{NuGet, NuGetVersion};
use gantry_formats::PackageFormat;
use gantry_store::FeedRecord;

use self::query::{matches_search, page, rows_of, sort, text_literal, ODataQuery, Row};
use super::{
    all_packages, cached_document, find_entry, serve_nupkg, versions_of, FeedUrls, NuGetEntry, FEED_TYPES,
};
use crate::api::routes::Routes;
use crate::auth::Caller;
use crate::connectors::view;
use crate::error::{ApiError, ApiResult};
use crate::protocols::base_url::BaseUrl;
use crate::services::feeds;
use crate::state::AppState;

const XML: &str = "application/xml; charset=utf-8";
const ATOM_FEED: &str = "application/atom+xml;type=feed;charset=utf-8";
const ATOM_ENTRY: &str = "application/atom+xml;type=entry;charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// The v2 routes. `/nuget/{feed}/` also takes the push (`PUT`), routed in `push.rs`.
pub fn routes() -> Routes {
    Routes::default()
        .add("/nuget/{feed}", &[Method::GET], service_document)
        .add("/nuget/{feed}/", &[Method::GET], service_document)
        .add("/nuget/{feed}/$metadata", &[Method::GET], metadata)
        .add("/nuget/{feed}/{resource}", &[Method::GET], resource)
        .add("/nuget/{feed}/{resource}/$count", &[Method::GET], count)
        .add(
            "/nuget/{feed}/package/{id}/{version}",
            &[Method::GET],
            download_package,
        )
}

/// The feed, once the caller may view it.
async fn viewable_feed(state: &AppState, caller: &Caller, feed: &str) -> ApiResult<FeedRecord> {
    let feed = feeds::find_for_protocol(state, feed, FEED_TYPES).await?;
    state.authorize(caller, Attribute::ViewPackages, Some(&feed))?;
    Ok(feed)
}

/// `GET /nuget/{feed}/`: the service document, whose `xml:base` tells
/// clients where the collections are.
async fn service_document(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path(feed): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = viewable_feed(&state, &caller, &feed).await?;
    let root = FeedUrls::new(&base, &feed).v2_root();
    Ok(cached_document(&headers, XML, metadata::service_document(&root)))
}

/// `GET /nuget/{feed}/$metadata`.
async fn metadata(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    viewable_feed(&state, &caller, &feed).await?;
    Ok(cached_document(&headers, XML, metadata::metadata_document()))
}

/// What a path segment names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Resource {
    /// `Packages` or `Packages()`.
    Packages,
    /// `Packages(Id='x',Version='y')`.
    Entry { id: String, version: String },
    /// `Search()`.
    Search,
    /// `FindPackagesById()`.
    FindPackagesById,
    /// `GetUpdates()`.
    GetUpdates,
}

impl Resource {
    fn parse(segment: &str) -> Option<Self> {
        let (name, arguments) = match segment.split_once('(') {
            Some((name, rest)) => (name, Some(rest.strip_suffix(')')?)),
            None => (segment, None),
        };
        let arguments = arguments.map(str::trim).filter(|a| !a.is_empty());
        let resource = match name {
            "Packages" => match arguments {
                None => Self::Packages,
                Some(key) => Self::parse_key(key)?,
            },
            "Search" => Self::Search,
            "FindPackagesById" => Self::FindPackagesById,
            "GetUpdates" => Self::GetUpdates,
            _ => return None,
        };
        // Only `Packages` takes arguments in its parentheses.
        (arguments.is_none() || matches!(resource, Self::Entry { .. })).then_some(resource)
    }

    /// `Id='x',Version='y'`, in either order.
    fn parse_key(key: &str) -> Option<Self> {
        let (mut id, mut version) = (None, None);
        for pair in key.split(',') {
            let (name, value) = pair.split_once('=')?;
            let value = text_literal(value)?;
            match name.trim() {
                n if n.eq_ignore_ascii_case("Id") => id = Some(value),
                n if n.eq_ignore_ascii_case("Version") => version = Some(value),
                _ => return None,
            }
        }
        Some(Self::Entry {
            id: id?,
            version: version?,
        })
    }

    /// The feed's title and the canonical segment, for links.
    fn title_and_path(&self) -> (&'static str, &'static str) {
        match self {
            Self::Packages | Self::Entry { .. } => ("Packages", "Packages"),
            Self::Search => ("Search", "Search()"),
            Self::FindPackagesById => ("FindPackagesById", "FindPackagesById()"),
            Self::GetUpdates => ("GetUpdates", "GetUpdates()"),
        }
    }
}

fn no_such_resource(segment: &str) -> ApiError {
    ApiError::not_found(format!(
        "'{segment}' is not a resource of this feed: use Packages(), Packages(Id='...',Version='...'), \
         Search(), FindPackagesById() or GetUpdates()."
    ))
}

/// `GET /nuget/{feed}/{resource}`: a collection, a function's results or one entry.
async fn resource(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path((feed, segment)): Path<(String, String)>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = viewable_feed(&state, &caller, &feed).await?;
    let resource = Resource::parse(&segment).ok_or_else(|| no_such_resource(&segment))?;
    let query = ODataQuery::new(raw_query.as_deref());
    let urls = FeedUrls::new(&base, &feed);
    if let Resource::Entry { id, version } = &resource {
        let versions = versions_of(&state, &feed, id).await?;
        let row = entry_row(&versions, &query, version).ok_or_else(|| {
            ApiError::not_found(format!(
                "Package {id} {version} was not found in feed '{}'.",
                feed.settings.name
            ))
        })?;
        return Ok(cached_document(
            &headers,
            ATOM_ENTRY,
            atom::entry_document(&urls, &row),
        ));
    }
    let plan = Plan::new(&query)?;
    let source = Source::load(&state, &feed, &resource, &query).await?;
    let rows = plan.select(source.rows(&resource, &query)?);
    let page = page(rows, &query)?;
    let (title, path) = resource.title_and_path();
    let body = atom::feed_document(&urls, title, path, &page, plan.inline_count);
    Ok(cached_document(&headers, ATOM_FEED, body))
}

/// `GET /nuget/{feed}/{resource}/$count`: how many entries the query
/// matches, `$skip` and `$top` aside, as plain text.
async fn count(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, segment)): Path<(String, String)>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = viewable_feed(&state, &caller, &feed).await?;
    let resource = Resource::parse(&segment)
        .filter(|r| !matches!(r, Resource::Entry { .. }))
        .ok_or_else(|| no_such_resource(&format!("{segment}/$count")))?;
    let query = ODataQuery::new(raw_query.as_deref());
    let plan = Plan::new(&query)?;
    let source = Source::load(&state, &feed, &resource, &query).await?;
    let total = plan.select(source.rows(&resource, &query)?).len();
    Ok(cached_document(&headers, TEXT, total.to_string().into_bytes()))
}

/// The requested version among an id's versions, with its flags. It
/// answers whatever `semVerLevel` says: the client named it exactly.
fn entry_row<'a>(versions: &'a [NuGetEntry], query: &ODataQuery, version: &str) -> Option<Row<'a>> {
    let key = NuGetVersion::parse(version).ok()?.key();
    let rows = rows_of(versions, query.version_filter().semver2);
    if let Some(row) = rows.iter().find(|r| r.entry.lower_version() == key) {
        return Some(*row);
    }
    let entry = versions.iter().find(|e| e.lower_version() == key)?;
    Some(Row {
        entry,
        is_latest: false,
        is_absolute_latest: false,
        id_downloads: versions.iter().map(|v| v.record.downloads).sum(),
    })
}

/// What the query asks of the rows, checked before anything is read.
struct Plan {
    filter: Option<filter::Condition>,
    order: Vec<(query::OrderKey, bool)>,
    inline_count: bool,
}

impl Plan {
    fn new(query: &ODataQuery) -> ApiResult<Self> {
        query.paging()?;
        Ok(Self {
            filter: query.filter()?,
            order: query.order()?,
            inline_count: query.inline_count()?,
        })
    }

    /// The rows that pass `$filter`, in `$orderby` order.
    fn select<'a>(&self, mut rows: Vec<Row<'a>>) -> Vec<Row<'a>> {
        if let Some(filter) = &self.filter {
            rows.retain(|row| filter.matches(row));
        }
        sort(&mut rows, &self.order);
        rows
    }
}

/// The stored versions a collection draws on, grouped by id.
struct Source(Vec<Vec<NuGetEntry>>);

impl Source {
    async fn load(
        state: &AppState,
        feed: &FeedRecord,
        resource: &Resource,
        query: &ODataQuery,
    ) -> ApiResult<Self> {
        Ok(Self(match resource {
            Resource::FindPackagesById => vec![versions_of(state, feed, &query.required_text("id")?).await?],
            Resource::GetUpdates => {
                let mut packages = Vec::new();
                for (id, _) in updates_asked(query)? {
                    packages.push(versions_of(state, feed, &id).await?);
                }
                packages
            }
            Resource::Search => {
                let term = query.lenient_text("searchTerm");
                all_packages(state, feed, Some(&term)).await?
            }
            Resource::Packages if view::is_proxied(feed) => {
                // The connectors are asked for the ids the filter names.
                let mut packages = all_packages(state, feed, None).await?;
                let named = query.filter()?.map(|f| f.named_ids()).unwrap_or_default();
                for id in named {
                    let key = NuGet.name_key(&id);
                    packages.retain(|versions| versions.first().is_none_or(|v| v.record.key.name_key != key));
                    let versions = versions_of(state, feed, &id).await?;
                    if !versions.is_empty() {
                        packages.push(versions);
                    }
                }
                packages.sort_by(|a, b| {
                    let key = |p: &Vec<NuGetEntry>| p.first().map(|e| e.record.key.name_key.clone());
                    key(a).cmp(&key(b))
                });
                packages
            }
            _ => all_packages(state, feed, None).await?,
        }))
    }

    /// The rows of the resource, before `$filter`.
    fn rows<'a>(&'a self, resource: &Resource, query: &ODataQuery) -> ApiResult<Vec<Row<'a>>> {
        let versions = query.version_filter();
        let all = self.0.iter().flat_map(move |v| rows_of(v, versions.semver2));
        Ok(match resource {
            Resource::Search => {
                let term = query.lenient_text("searchTerm");
                all.filter(|row| {
                    row.entry.record.listed && versions.admits(row.entry) && matches_search(row.entry, &term)
                })
                .collect()
            }
            Resource::GetUpdates => {
                let asked = updates_asked(query)?;
                let all_versions = query.flag("includeAllVersions");
                let mut rows = Vec::new();
                for (versions_of_id, (_, current)) in self.0.iter().zip(&asked) {
                    let mut newer = rows_of(versions_of_id, versions.semver2)
                        .into_iter()
                        .filter(|row| {
                            row.entry.record.listed
                                && versions.admits(row.entry)
                                && row.entry.version > *current
                        });
                    if all_versions {
                        rows.extend(newer);
                    } else if let Some(highest) = newer.next_back() {
                        rows.push(highest);
                    }
                }
                rows
            }
            _ => all.collect(),
        })
    }
}

/// `GetUpdates`' `packageIds='a|b'` and `versions='1.0|2.0'`, paired.
fn updates_asked(query: &ODataQuery) -> ApiResult<Vec<(String, NuGetVersion)>> {
    let ids = query.required_text("packageIds")?;
    let versions = query.required_text("versions")?;
    let ids: Vec<&str> = ids.split('|').map(str::trim).filter(|i| !i.is_empty()).collect();
    let versions: Vec<&str> = versions
        .split('|')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if ids.len() != versions.len() {
        return Err(ApiError::bad_request(format!(
            "packageIds names {} packages but versions has {} versions.",
            ids.len(),
            versions.len()
        )));
    }
    ids.into_iter()
        .zip(versions)
        .map(|(id, version)| {
            let version = NuGetVersion::parse(version).map_err(|e| ApiError::bad_request(e.0))?;
            Ok((id.to_owned(), version))
        })
        .collect()
}

/// `GET /nuget/{feed}/package/{id}/{version}`: the `.nupkg` (the entries'
/// `content src`), counted as a download; 304 when `If-None-Match` holds
/// its SHA-256.
async fn download_package(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, id, version)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::DownloadPackages, Some(&feed))?;
    let entry = find_entry(&state, &feed, &id, &version).await?;
    serve_nupkg(&state, &caller, &feed, &entry, &headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_read_from_the_segment() {
        assert_eq!(Resource::parse("Packages"), Some(Resource::Packages));
        assert_eq!(Resource::parse("Packages()"), Some(Resource::Packages));
        assert_eq!(
            Resource::parse("Packages(Id='A.B',Version='1.0')"),
            Some(Resource::Entry {
                id: "A.B".into(),
                version: "1.0".into()
            })
        );
        assert_eq!(
            Resource::parse("Packages(Version='1.0', Id='A')"),
            Some(Resource::Entry {
                id: "A".into(),
                version: "1.0".into()
            })
        );
        assert_eq!(Resource::parse("Search()"), Some(Resource::Search));
        assert_eq!(
            Resource::parse("FindPackagesById()"),
            Some(Resource::FindPackagesById)
        );
        assert_eq!(Resource::parse("GetUpdates()"), Some(Resource::GetUpdates));
        for bad in [
            "Packages(Id='A')",
            "Packages(Id=A,Version='1')",
            "Packages(Id='A',Version='1',Extra='x')",
            "Packages(",
            "Search(searchTerm='x')",
            "Nothing()",
            "packages",
        ] {
            assert_eq!(Resource::parse(bad), None, "{bad}");
        }
    }
}
