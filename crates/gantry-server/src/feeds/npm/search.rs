//! `GET /npm/{feed}/-/v1/search?text=&size=&from=` (`npm search`).
//!
//! Each package is presented by its `latest` version (the highest stable one
//! when no tag says otherwise); every word of `text` must appear in its
//! name, description or keywords. Exact name matches come first, then name
//! prefixes, then the rest by name. A proxy feed adds its upstreams' results
//! for packages it does not hold (each upstream's latest version).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::Attribute;
use gantry_formats::npm::{self, Npm};
use gantry_formats::pick_latest;
use gantry_store::time::format_millis;
use gantry_store::{PackageQuery, PackageRecord};
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

    let records = state
        .meta()
        .find_packages(feed.id, &PackageQuery::default())
        .await?;
    let mut by_package: BTreeMap<(String, String), Vec<PackageRecord>> = BTreeMap::new();
    for record in records {
        by_package
            .entry((record.key.group_key.clone(), record.key.name_key.clone()))
            .or_default()
            .push(record);
    }
    // A proxy feed adds the upstreams' results for packages it lacks.
    if view::is_proxied(&feed) {
        let remote = view::search(&state, &feed, &Npm, text.trim(), (from + size).min(MAX_SIZE)).await?;
        let mut remote_only: BTreeMap<(String, String), Vec<PackageRecord>> = BTreeMap::new();
        for record in remote {
            let key = (record.key.group_key.clone(), record.key.name_key.clone());
            if !by_package.contains_key(&key) {
                remote_only.entry(key).or_default().push(record);
            }
        }
        by_package.extend(remote_only);
    }
    let mut hits: Vec<(u8, String, PackageRecord)> = Vec::new();
    for versions in by_package.into_values() {
        let latest = {
            let names = || versions.iter().map(|r| r.version.as_str());
            pick_latest(&Npm, names(), true)
                .or_else(|| pick_latest(&Npm, names(), false))
                .map(str::to_owned)
        };
        let Some(record) = latest.and_then(|l| versions.into_iter().find(|r| r.version == l)) else {
            continue;
        };
        let name = npm::full_name(&record.group, &record.name).to_lowercase();
        let haystack = format!(
            "{name} {} {}",
            text_of(&record, "description"),
            text_of(&record, "keywords")
        );
        if !words.iter().all(|w| haystack.contains(w)) {
            continue;
        }
        let rank = if name == text.trim() {
            0
        } else if !text.is_empty() && name.starts_with(text.trim()) {
            1
        } else {
            2
        };
        hits.push((rank, name, record));
    }
    hits.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let total = hits.len();
    let objects: Vec<Value> = hits
        .into_iter()
        .skip(from)
        .take(size)
        .map(|(rank, _, r)| {
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
        })
        .collect();
    Ok(Json(json!({
        "objects": objects,
        "total": total,
        "time": format_millis(gantry_store::time::now_millis()),
    }))
    .into_response())
}
