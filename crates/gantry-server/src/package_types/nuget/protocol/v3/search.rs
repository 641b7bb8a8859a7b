//! SearchQueryService and SearchAutocompleteService.
//!
//! Search sees listed versions only, filtered by the client's `prerelease`
//! and `semVerLevel`; each package is presented by its latest such version.
//! The query is a list of terms that must all match: a bare term matches the
//! id, title, description, tags or authors (case-insensitively, as a
//! substring); `id:`, `title:`, `tags:`, `description:` and `author:` match
//! one field, and `packageid:` the exact id.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gantry_core::Attribute;
use serde::Deserialize;
use serde_json::{json, Value};

use super::catalog;
use crate::api::extract::{count_param, QueryParams};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::package_types::nuget::protocol::{
    all_packages, json_document, versions_of, FeedUrls, NuGetEntry, VersionFilter, FEED_TYPES,
};
use crate::protocols::base_url::BaseUrl;
use crate::services::feeds;
use crate::state::AppState;

/// Results per page unless the client asks otherwise.
const DEFAULT_TAKE: usize = 20;
/// The most results one page may hold.
const MAX_TAKE: usize = 1000;

/// Query parameters of both services.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    skip: Option<String>,
    take: Option<String>,
    prerelease: Option<String>,
    #[serde(rename = "semVerLevel")]
    sem_ver_level: Option<String>,
    #[serde(rename = "packageType")]
    package_type: Option<String>,
    /// Autocomplete only: list this id's versions instead of ids.
    id: Option<String>,
}

impl SearchParams {
    fn filter(&self) -> VersionFilter {
        VersionFilter::from_params(self.prerelease.as_deref(), self.sem_ver_level.as_deref())
    }

    fn paging(&self) -> ApiResult<(usize, usize)> {
        let skip = count_param("skip", self.skip.as_deref())?.unwrap_or(0);
        let take = count_param("take", self.take.as_deref())?
            .unwrap_or(DEFAULT_TAKE)
            .min(MAX_TAKE);
        Ok((skip, take))
    }
}

/// One term of a query.
#[derive(Debug, PartialEq, Eq)]
enum Term {
    Any(String),
    Field(Field, String),
    ExactId(String),
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Field {
    Id,
    Title,
    Tags,
    Description,
    Authors,
}

fn parse_query(q: &str) -> Vec<Term> {
    q.split_whitespace()
        .filter_map(|word| {
            let lower = word.to_lowercase();
            let (field, value) = match lower.split_once(':') {
                Some((field, value)) if !value.is_empty() => (Some(field.to_owned()), value.to_owned()),
                _ => (None, lower.clone()),
            };
            let value = value.trim_matches('"').to_owned();
            if value.is_empty() {
                return None;
            }
            Some(match field.as_deref() {
                Some("packageid") => Term::ExactId(value),
                Some("id") => Term::Field(Field::Id, value),
                Some("title") => Term::Field(Field::Title, value),
                Some("tag" | "tags") => Term::Field(Field::Tags, value),
                Some("description") => Term::Field(Field::Description, value),
                Some("author" | "authors") => Term::Field(Field::Authors, value),
                // An unknown field (or a colon inside a word) is matched as typed.
                _ => Term::Any(lower),
            })
        })
        .collect()
}

fn field_matches(entry: &NuGetEntry, field: Field, needle: &str) -> bool {
    let n = &entry.nuspec;
    match field {
        Field::Id => entry.id().to_lowercase().contains(needle),
        Field::Title => n.title.to_lowercase().contains(needle),
        Field::Tags => n.tags.iter().any(|t| t.to_lowercase().contains(needle)),
        Field::Description => n.description.to_lowercase().contains(needle),
        Field::Authors => n.authors.to_lowercase().contains(needle),
    }
}

fn matches(entry: &NuGetEntry, terms: &[Term]) -> bool {
    terms.iter().all(|term| match term {
        Term::ExactId(id) => entry.id().eq_ignore_ascii_case(id),
        Term::Field(field, needle) => field_matches(entry, *field, needle),
        Term::Any(needle) => [
            Field::Id,
            Field::Title,
            Field::Tags,
            Field::Description,
            Field::Authors,
        ]
        .into_iter()
        .any(|field| field_matches(entry, field, needle)),
    })
}

fn has_package_type(entry: &NuGetEntry, wanted: Option<&str>) -> bool {
    let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
        return true;
    };
    if entry.nuspec.package_types.is_empty() {
        return wanted.eq_ignore_ascii_case("Dependency");
    }
    entry
        .nuspec
        .package_types
        .iter()
        .any(|t| t.name.eq_ignore_ascii_case(wanted))
}

/// A package that matched, with the versions the client may see.
struct Hit {
    visible: Vec<NuGetEntry>,
    total_downloads: i64,
    rank: u8,
}

impl Hit {
    fn latest(&self) -> &NuGetEntry {
        // `visible` is never empty and sorted oldest first.
        &self.visible[self.visible.len() - 1]
    }
}

/// The packages of a feed matching the parameters, best first.
async fn find_hits(
    state: &AppState,
    feed: &gantry_store::FeedRecord,
    params: &SearchParams,
) -> ApiResult<Vec<Hit>> {
    let filter = params.filter();
    let q = params.q.as_deref().unwrap_or_default();
    let terms = parse_query(q);
    let q_lower = q.trim().to_lowercase();
    let mut hits: Vec<Hit> = Vec::new();
    for versions in all_packages(state, feed, Some(q)).await? {
        let total_downloads = versions.iter().map(|v| v.record.downloads).sum();
        let visible: Vec<NuGetEntry> = versions
            .into_iter()
            .filter(|e| e.record.listed && filter.admits(e))
            .collect();
        let Some(latest) = visible.last() else {
            continue;
        };
        if !matches(latest, &terms) || !has_package_type(latest, params.package_type.as_deref()) {
            continue;
        }
        let id = latest.id().to_lowercase();
        let rank = if q_lower.is_empty() {
            2
        } else if id == q_lower {
            0
        } else if id.starts_with(&q_lower) {
            1
        } else {
            2
        };
        hits.push(Hit {
            visible,
            total_downloads,
            rank,
        });
    }
    hits.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| b.total_downloads.cmp(&a.total_downloads))
            .then_with(|| {
                a.latest()
                    .record
                    .key
                    .name_key
                    .cmp(&b.latest().record.key.name_key)
            })
    });
    Ok(hits)
}

fn render_hit(urls: &FeedUrls, hit: &Hit) -> Value {
    let latest = hit.latest();
    let n = &latest.nuspec;
    let lower_id = latest.lower_id();
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let package_types: Vec<Value> = if n.package_types.is_empty() {
        vec![json!({"name": "Dependency"})]
    } else {
        n.package_types.iter().map(|t| json!({"name": t.name})).collect()
    };
    let mut result = json!({
        "@id": urls.registration_index(&lower_id),
        "@type": "Package",
        "registration": urls.registration_index(&lower_id),
        "id": latest.id(),
        "version": latest.version.to_full_string(),
        "description": n.description,
        "summary": n.summary,
        "title": latest.title(),
        "iconUrl": n.icon_url,
        "projectUrl": n.project_url,
        "tags": n.tags,
        "authors": split(&n.authors),
        "owners": split(&n.owners),
        "totalDownloads": hit.total_downloads,
        "verified": false,
        "packageTypes": package_types,
        "versions": hit.visible.iter().map(|e| json!({
            "version": e.version.to_full_string(),
            "downloads": e.record.downloads,
            "@id": urls.registration_leaf(&lower_id, &e.lower_version()),
        })).collect::<Vec<_>>(),
    });
    if let Some(license) = n.license.as_ref().filter(|l| l.kind == "expression") {
        result["licenseUrl"] = json!(format!("https://licenses.nuget.org/{}", license.value));
    } else if !n.license_url.is_empty() {
        result["licenseUrl"] = json!(n.license_url);
    }
    if let Some(deprecation) = catalog::deprecation(latest) {
        result["deprecation"] = deprecation;
    }
    result
}

/// `GET /nuget/{feed}/v3/search?q=&skip=&take=&prerelease=&semVerLevel=&packageType=`.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path(feed): Path<String>,
    QueryParams(params): QueryParams<SearchParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let (skip, take) = params.paging()?;
    let hits = find_hits(&state, &feed, &params).await?;
    let urls = FeedUrls::new(&base, &feed);
    let data: Vec<Value> = hits
        .iter()
        .skip(skip)
        .take(take)
        .map(|h| render_hit(&urls, h))
        .collect();
    json_document(
        &headers,
        &json!({
            "totalHits": hits.len(),
            "data": data,
            "@context": {"@vocab": "http://schema.nuget.org/schema#", "@base": urls.v3("registrations/")},
        }),
    )
}

/// `GET /nuget/{feed}/v3/autocomplete?q=...` (ids) or `?id=...` (that id's versions).
pub async fn autocomplete(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(params): QueryParams<SearchParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let (skip, take) = params.paging()?;
    let found: Vec<String> = if let Some(id) = params.id.as_deref().filter(|id| !id.is_empty()) {
        let filter = params.filter();
        versions_of(&state, &feed, id)
            .await?
            .iter()
            .filter(|e| e.record.listed && filter.admits(e))
            .map(|e| e.version.to_full_string())
            .collect()
    } else {
        find_hits(&state, &feed, &params)
            .await?
            .iter()
            .map(|h| h.latest().id().to_owned())
            .collect()
    };
    let data: Vec<&String> = found.iter().skip(skip).take(take).collect();
    json_document(&headers, &json!({"totalHits": found.len(), "data": data}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_split_into_terms() {
        assert_eq!(
            parse_query("Json  packageid:Newtonsoft.Json tags:xml author:James"),
            vec![
                Term::Any("json".into()),
                Term::ExactId("newtonsoft.json".into()),
                Term::Field(Field::Tags, "xml".into()),
                Term::Field(Field::Authors, "james".into()),
            ]
        );
        assert_eq!(parse_query("  "), vec![]);
        assert_eq!(parse_query("odd:thing"), vec![Term::Any("odd:thing".into())]);
    }
}
