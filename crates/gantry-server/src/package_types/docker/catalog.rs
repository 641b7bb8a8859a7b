//! `GET /v2/_catalog`: the repositories of every Docker feed the caller may
//! view, named as clients address them (`{feed}/{repository}`), in order,
//! with the spec's `n`/`last` pagination.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_core::{Attribute, Principal};
use serde_json::json;

use super::access::{self, unauthorized};
use super::errors::RegistryResult;
use super::manifests::{next_link, Page, MAX_PAGE};
use super::protocol::{parse_query, FEED_TYPES};
use crate::protocols::base_url::BaseUrl;
use crate::state::AppState;

/// The scope a challenge names for the catalog.
const CATALOG_SCOPE: &str = "registry:catalog:*";

/// `GET /v2/_catalog?n=&last=`.
pub async fn catalog(State(state): State<AppState>, base: BaseUrl, parts: Parts) -> Response {
    let answer = list(&state, &base, &parts).await;
    access::api_version(answer.unwrap_or_else(IntoResponse::into_response))
}

async fn list(state: &AppState, base: &BaseUrl, parts: &Parts) -> RegistryResult<Response> {
    let caller = access::caller(state, parts, base, Some(CATALOG_SCOPE)).await?;
    let page = parse_query::<Page>(parts.uri.query())?;
    let n = page.n.unwrap_or(MAX_PAGE).clamp(0, MAX_PAGE);
    let last = page.last.unwrap_or_default();
    let mut feeds: Vec<_> = state
        .meta()
        .list_feeds()
        .await?
        .into_iter()
        .filter(|f| FEED_TYPES.contains(&f.settings.feed_type) && f.settings.active)
        .filter(|f| state.may(&caller, Attribute::ViewPackages, Some(f)))
        .collect();
    if feeds.is_empty() && matches!(caller.principal, Principal::Anonymous) {
        return Err(unauthorized(
            base,
            Some(CATALOG_SCOPE),
            "Sign in to list repositories.",
        ));
    }
    // In the order of the names listed (`feed/` then the repository).
    feeds.sort_by_key(|f| format!("{}/", f.settings.name));
    let mut names = Vec::new();
    for feed in feeds {
        let feed_name = &feed.settings.name;
        // Within a feed, repositories after `last` when `last` is in it.
        let after = last.strip_prefix(&format!("{feed_name}/")).map(str::to_owned);
        if after.is_none() && format!("{feed_name}/") < last {
            continue;
        }
        let wanted = n + 1 - names.len() as i64;
        if wanted <= 0 {
            break;
        }
        let repositories = state
            .meta()
            .registry_repositories(feed.id, after.as_deref(), wanted)
            .await?;
        names.extend(repositories.into_iter().map(|r| format!("{feed_name}/{r}")));
    }
    let more = names.len() as i64 > n;
    names.truncate(usize::try_from(n).unwrap_or_default());
    let mut response = (StatusCode::OK, json!({ "repositories": names }).to_string()).into_response();
    if let (true, Some(last)) = (more, names.last()) {
        if let Ok(value) = HeaderValue::from_str(&next_link("/v2/_catalog", n, last)) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}
