//! `GET /npm/{feed}/-/v1/search?text=&size=&from=` (`npm search`).
//!
//! Each package is presented by its `latest` version (the highest stable one
//! when no tag says otherwise); every word of `text` must appear in its
//! name, description or keywords. Exact name matches come first, then name
//! prefixes, then the rest by name. A proxy feed adds its upstreams' results
//! for packages it does not hold (each upstream's latest version).

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::Attribute;
use gantry_formats::npm::{self, Npm};
use gantry_formats::pick_latest;
use gantry_store::time::format_millis;
use gantry_store::{PackageRecord, SummaryQuery, VersionBrief};
use serde::Deserialize;
use serde_json::{json, Value};

use super::FEED_TYPES;
use crate::api::extract::{count_param, QueryParams};
use crate::auth::Caller;
use crate::connectors::view;
use crate::error::ApiResult;
use crate::services::feeds;
use crate::state::AppState;

/// The most results one page may hold.
const MAX_SIZE: usize = 250;

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    text: Option<String>,
    size: Option<String>,
    from: Option<String>,
}

fn text_of(record: &PackageRecord, key: &str) -> String {
    match record.metadata.get(key) {
        Some(Value::String(s)) => s.to_lowercase(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
        _ => String::new(),
    }
}

/// Packages named in one store query.
const KEYS_PER_QUERY: usize = 500;
/// Packages whose metadata is read at once while matching descriptions.
const METADATA_CHUNK: usize = 500;

/// A package's latest version, a candidate result.
#[derive(Clone)]
struct Candidate {
    /// The full name (`@scope/name`), lower-cased.
    name: String,
    source: Source,
}

#[derive(Clone)]
enum Source {
    /// A version row of the feed, read when needed.
    Local(i64),
    /// A version only an upstream has, read already.
    Remote(Box<PackageRecord>),
}

impl Candidate {
    fn local_id(&self) -> Option<i64> {
        match self.source {
            Source::Local(id) => Some(id),
            Source::Remote(_) => None,
        }
    }
}

/// Whether every word appears in the name, description or keywords.
fn matches(words: &[&str], name: &str, record: &PackageRecord) -> bool {
    let haystack = format!(
        "{name} {} {}",
        text_of(record, "description"),
        text_of(record, "keywords")
    );
    words.iter().all(|w| haystack.contains(w))
}

/// One result as npm's search API presents it.
fn search_object(rank: u8, r: &PackageRecord) -> Value {
    let full_name = npm::full_name(&r.group, &r.name);
    let score = match rank {
        0 => 1.0,
        1 => 0.8,
        _ => 0.5,
    };
    json!({
        "package": {
            "name": full_name,
            "scope": if r.group.is_empty() { "unscoped".to_owned() } else { r.group.trim_start_matches('@').to_owned() },
            "version": r.version,
            "description": r.metadata.get("description").cloned().unwrap_or(Value::Null),
            "keywords": r.metadata.get("keywords").cloned().unwrap_or_else(|| json!([])),
            "date": format_millis(r.published_at),
            "publisher": {"username": r.published_by},
            "links": {},
        },
        "score": {"final": score, "detail": {"quality": score, "popularity": score, "maintenance": score}},
        "searchScore": score,
    })
}

/// `GET /npm/{feed}/-/v1/search`.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    QueryParams(params): QueryParams<SearchParams>,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    state.authorize(&caller, Attribute::ViewPackages, Some(&feed))?;
    let size = count_param("size", params.size.as_deref())?
        .unwrap_or(20)
        .min(MAX_SIZE);
    let from = count_param("from", params.from.as_deref())?.unwrap_or(0);
    let text = params.text.unwrap_or_default().to_lowercase();
    let words: Vec<&str> = text.split_whitespace().collect();

    // One row per package, then the versions without their metadata: the
    // metadata is read only for the latest version of each package, in
    // chunks, and only where the name alone does not decide the match.
    let summaries = state
        .meta()
        .package_summaries(
            feed.id,
            &SummaryQuery {
                search: None,
                offset: 0,
                limit: i64::from(u32::MAX),
            },
        )
        .await?;
    let names: HashMap<(String, String), (String, String)> = summaries
        .items
        .iter()
        .map(|p| {
            (
                (p.group_key.clone(), p.name_key.clone()),
                (p.group.clone(), p.name.clone()),
            )
        })
        .collect();
    let keys: Vec<(String, String)> = names.keys().cloned().collect();
    let mut versions: BTreeMap<(String, String), Vec<VersionBrief>> = BTreeMap::new();
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        for brief in state.meta().version_briefs(feed.id, chunk).await? {
            versions
                .entry((brief.group_key.clone(), brief.name_key.clone()))
                .or_default()
                .push(brief);
        }
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    for (key, briefs) in versions {
        let names_of = || briefs.iter().map(|b| b.version.as_str());
        let latest = pick_latest(&Npm, names_of(), true).or_else(|| pick_latest(&Npm, names_of(), false));
        let (Some(latest), Some((group, name))) = (latest, names.get(&key)) else {
            continue;
        };
        if let Some(brief) = briefs.iter().find(|b| b.version == latest) {
            candidates.push(Candidate {
                name: npm::full_name(group, name).to_lowercase(),
                source: Source::Local(brief.id),
            });
        }
    }
    // A proxy feed adds the upstreams' results for packages it lacks.
    if view::is_proxied(&feed) {
        let remote = view::search(&state, &feed, &Npm, text.trim(), (from + size).min(MAX_SIZE)).await?;
        let mut remote_only: BTreeMap<(String, String), Vec<PackageRecord>> = BTreeMap::new();
        for record in remote {
            let key = (record.key.group_key.clone(), record.key.name_key.clone());
            if !names.contains_key(&key) {
                remote_only.entry(key).or_default().push(record);
            }
        }
        for records in remote_only.into_values() {
            let names_of = || records.iter().map(|r| r.version.as_str());
            let latest = pick_latest(&Npm, names_of(), true)
                .or_else(|| pick_latest(&Npm, names_of(), false))
                .map(str::to_owned);
            if let Some(record) = latest.and_then(|l| records.into_iter().find(|r| r.version == l)) {
                candidates.push(Candidate {
                    name: npm::full_name(&record.group, &record.name).to_lowercase(),
                    source: Source::Remote(Box::new(record)),
                });
            }
        }
    }

    let needle = text.trim();
    let rank_of = |name: &str| {
        if name == needle {
            0
        } else if !needle.is_empty() && name.starts_with(needle) {
            1
        } else {
            2
        }
    };
    let mut hits: Vec<(u8, Candidate)> = Vec::new();
    let mut undecided: Vec<Candidate> = Vec::new();
    for candidate in candidates {
        let matched = match &candidate.source {
            _ if words.iter().all(|w| candidate.name.contains(w)) => Some(true),
            Source::Remote(record) => Some(matches(&words, &candidate.name, record)),
            Source::Local(_) => None,
        };
        match matched {
            Some(true) => hits.push((rank_of(&candidate.name), candidate)),
            Some(false) => {}
            None => undecided.push(candidate),
        }
    }
    for chunk in undecided.chunks(METADATA_CHUNK) {
        let ids: Vec<i64> = chunk.iter().filter_map(Candidate::local_id).collect();
        let records = state.meta().packages_by_ids(&ids).await?;
        let matching: HashSet<i64> = records
            .iter()
            .filter(|r| matches(&words, &npm::full_name(&r.group, &r.name).to_lowercase(), r))
            .map(|r| r.id)
            .collect();
        hits.extend(
            chunk
                .iter()
                .filter(|c| c.local_id().is_some_and(|id| matching.contains(&id)))
                .map(|c| (rank_of(&c.name), c.clone())),
        );
    }
    hits.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    let total = hits.len();
    let page: Vec<(u8, Candidate)> = hits.into_iter().skip(from).take(size).collect();
    let page_ids: Vec<i64> = page.iter().filter_map(|(_, c)| c.local_id()).collect();
    let mut local: HashMap<i64, PackageRecord> = state
        .meta()
        .packages_by_ids(&page_ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let objects: Vec<Value> = page
        .into_iter()
        .filter_map(|(rank, candidate)| {
            let record = match candidate.source {
                Source::Local(id) => local.remove(&id)?,
                Source::Remote(record) => *record,
            };
            Some(search_object(rank, &record))
        })
        .collect();
    Ok(Json(json!({
        "objects": objects,
        "total": total,
        "time": format_millis(gantry_store::time::now_millis()),
    }))
    .into_response())
}
