//! Promotion: `POST /api/promotions/promote` and `GET /api/promotions/list`.

use std::collections::HashMap;

use axum::extract::{RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::FeedType;
use gantry_formats::PackageFormat;
use gantry_store::time::format_millis;
use gantry_store::{PromotionQuery, PromotionRecord};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{caller_with_body_key, read_fields};
use crate::api::listing::{announce_next_page, IdentityFilter, QueryPairs};
use crate::auth::credentials::Presented;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::promote::{promote as promote_package, PromoteRequest};
use crate::state::AppState;

/// `PromotePackageInput`: send as JSON, form fields or multipart fields.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the input for the OpenAPI document
#[schema(as = PromotePackageInput)]
pub struct PromotePackageInput {
    /// Source feed.
    #[schema(rename = "fromFeed")]
    from_feed: String,
    /// Target feed.
    #[schema(rename = "toFeed")]
    to_feed: String,
    /// Package name (older clients send `packageName`).
    name: String,
    /// Group or npm scope (older clients send `groupName`).
    group: Option<String>,
    /// Exact version, `latest` or `latest-stable`.
    version: String,
    /// Why.
    comments: Option<String>,
}

/// One promotion, as the list and the promote answer show it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotionInfo {
    /// Source feed.
    pub from_feed: String,
    /// Target feed.
    pub to_feed: String,
    /// ISO 8601 UTC.
    pub date: String,
    /// Who (`SYSTEM` for a system key).
    pub user: String,
    /// Why.
    pub comments: String,
    /// Increasing id.
    pub id: i64,
}

impl From<&PromotionRecord> for PromotionInfo {
    fn from(p: &PromotionRecord) -> Self {
        Self {
            from_feed: p.from_feed.clone(),
            to_feed: p.to_feed.clone(),
            date: format_millis(p.at),
            user: p.user_name.clone(),
            comments: p.comments.clone(),
            id: p.id,
        }
    }
}

/// A promoted package version with its promotions.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotedPackage {
    /// Name.
    pub package_name: String,
    /// Group or scope, for grouped package types only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// `upack`, `nuget`, `npm`, ...
    pub package_type: String,
    /// Version.
    pub version: String,
    /// Its promotions, oldest first.
    pub promotions: Vec<PromotionInfo>,
}

/// The answer to a promotion.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromoteResult {
    /// The promoted package and this promotion.
    #[serde(flatten)]
    pub package: PromotedPackage,
    /// False when the target already held identical content (nothing copied, still recorded).
    pub copied: bool,
}

fn format_of_type(package_type: &str) -> Option<&'static dyn PackageFormat> {
    package_type
        .parse::<FeedType>()
        .ok()
        .and_then(crate::package_types::format_for)
}

fn promoted_package(p: &PromotionRecord) -> PromotedPackage {
    let grouped = format_of_type(&p.package_type).is_none_or(PackageFormat::has_groups);
    PromotedPackage {
        package_name: p.name.clone(),
        group_name: grouped.then(|| p.group.clone()),
        package_type: p.package_type.clone(),
        version: p.version.clone(),
        promotions: Vec::new(),
    }
}

/// Promotes a package version from one feed to another.
///
/// Answers 200 with the promoted package (also when the target already held
/// identical content: the promotion is recorded, nothing is copied); 400
/// with the broken rule; 401/403; 404 for an unknown feed or version; 409
/// when the target holds that version with different content.
#[utoipa::path(post, path = "/api/promotions/promote", tag = "promotions",
    request_body(content = PromotePackageInput, content_type = "application/json",
        description = "also accepted form-encoded or as multipart fields, with the same names"),
    responses((status = 200, body = PromoteResult), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 409)))]
pub async fn promote(State(state): State<AppState>, request: Request) -> ApiResult<Json<PromoteResult>> {
    let (parts, body) = request.into_parts();
    let presented = Presented::from_parts(&parts)?;
    let fields = read_fields(&state, Request::from_parts(parts, body)).await?;
    // The key may also come in the body: form field `key`, JSON `API_Key`.
    let caller = caller_with_body_key(&state, presented, &fields).await?;
    let field = |names: &[&str]| names.iter().find_map(|n| fields.get(*n).cloned());
    let request = PromoteRequest {
        from_feed: field(&["fromfeed"]),
        to_feed: field(&["tofeed"]),
        name: field(&["name", "packagename"]),
        group: field(&["group", "groupname"]),
        version: field(&["version"]),
        comments: field(&["comments"]),
    };
    let promoted = promote_package(&state, &caller, &request).await?;
    let mut package = promoted_package(&promoted.promotion);
    package.promotions.push(PromotionInfo::from(&promoted.promotion));
    Ok(Json(PromoteResult {
        package,
        copied: promoted.copied,
    }))
}

/// Filters of the promotion list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query for the OpenAPI document
pub struct PromotionFilter {
    /// Source feed.
    #[param(rename = "fromFeed")]
    from_feed: Option<String>,
    /// Target feed.
    #[param(rename = "toFeed")]
    to_feed: Option<String>,
    /// Group (also `group`).
    #[param(rename = "groupName")]
    group_name: Option<String>,
    /// Package name (also `package`).
    #[param(rename = "packageName")]
    package_name: Option<String>,
    /// Version.
    version: Option<String>,
    /// Gantry: only promotions at or after this ISO 8601 date.
    since: Option<String>,
    /// Gantry: only promotions before this ISO 8601 date.
    until: Option<String>,
    /// Gantry: at most this many promotions (1–10000); the answer's
    /// `X-Gantry-Next-Cursor` header then names the next page.
    limit: Option<i64>,
    /// Gantry: the cursor of the page to return.
    cursor: Option<String>,
}

/// Lists promoted packages, each with its promotions.
#[utoipa::path(get, path = "/api/promotions/list", tag = "promotions", params(PromotionFilter),
    responses((status = 200, body = [PromotedPackage],
        headers(("X-Gantry-Next-Cursor" = String, description = "the cursor of the next page, when `limit` cut the list"))),
        (status = 400), (status = 401), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryPairs::parse(query.as_deref())?;
    let get = |names: &[&str]| q.get(names);

    let feed_names = [get(&["fromFeed"]), get(&["toFeed"])];
    let identity = IdentityFilter::for_feeds(&state, &feed_names).await;
    let (group_key, name_key) =
        identity.package(get(&["groupName", "group"]), get(&["packageName", "package"]));
    let version_key = identity.version(get(&["version"]))?;
    let limit = q.limit()?;
    let after_id = q.cursor()?;

    let visible = crate::services::feeds::visibility(&state, &caller).await?;
    let records = state
        .meta()
        .list_promotions(&PromotionQuery {
            from_feed_key: feed_names[0].as_ref().map(|f| f.to_ascii_lowercase()),
            to_feed_key: feed_names[1].as_ref().map(|f| f.to_ascii_lowercase()),
            group_key,
            name_key,
            version_key,
            since: q.date("since")?,
            until: q.date("until")?,
            after_id,
            limit,
            visible,
        })
        .await?;

    let mut packages: Vec<PromotedPackage> = Vec::new();
    let mut index: HashMap<(String, String, String, String), usize> = HashMap::new();
    for record in &records {
        let key = (
            record.package_type.clone(),
            record.key.group_key.clone(),
            record.key.name_key.clone(),
            record.key.version_key.clone(),
        );
        let slot = *index.entry(key).or_insert_with(|| {
            packages.push(promoted_package(record));
            packages.len() - 1
        });
        packages[slot].promotions.push(PromotionInfo::from(record));
    }
    let mut response = Json(packages).into_response();
    announce_next_page(&mut response, limit, records.len(), records.last().map(|r| r.id));
    Ok(response)
}
