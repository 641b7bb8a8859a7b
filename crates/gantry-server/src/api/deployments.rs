//! Deployment records: `POST /api/package-deployment/` (ProGet's), and
//! Gantry's queries `GET /api/package-deployment/list` and `.../targets`.

use axum::extract::{RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::{Attribute, VersionSpec};
use gantry_store::time::format_millis;
use gantry_store::{DeploymentQuery, DeploymentRecord};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{caller_with_body_key, read_fields};
use crate::api::listing::{announce_next_page, IdentityFilter, QueryPairs};
use crate::auth::credentials::Presented;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::deploy::{self, DeploymentInput};
use crate::services::{feeds, packages};
use crate::state::AppState;

/// `PackageDeployment`: send as JSON or form fields (names are case-insensitive).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the input for the OpenAPI document
pub struct PackageDeployment {
    /// The tool doing the deployment.
    #[schema(rename = "Application")]
    application: String,
    /// A brief summary.
    #[schema(rename = "Description")]
    description: String,
    /// Where the package was installed (typically a server name).
    #[schema(rename = "Target")]
    target: String,
    /// The feed.
    #[schema(rename = "FeedName")]
    feed_name: String,
    /// The package name.
    #[schema(rename = "PackageName")]
    package_name: String,
    /// The version.
    #[schema(rename = "Version")]
    version: String,
    /// Group, scope or namespace.
    #[schema(rename = "GroupName")]
    group_name: Option<String>,
    /// Who deployed (default: the caller).
    #[schema(rename = "UserName")]
    user_name: Option<String>,
    /// A link to more about the deployment (http or https).
    #[schema(rename = "Url")]
    url: Option<String>,
    /// ISO 8601 UTC date (default: now).
    #[schema(rename = "Date")]
    date: Option<String>,
}

/// A recorded deployment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentInfo {
    /// Increasing id.
    pub id: i64,
    /// The feed.
    pub feed: String,
    /// `upack`, `nuget`, ...
    pub package_type: String,
    /// Group (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The tool.
    pub application: String,
    /// The summary.
    pub description: String,
    /// Where it went.
    pub target: String,
    /// Who.
    pub user: String,
    /// More about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When, ISO 8601 UTC.
    pub date: String,
}

impl From<&DeploymentRecord> for DeploymentInfo {
    fn from(d: &DeploymentRecord) -> Self {
        Self {
            id: d.id,
            feed: d.feed_name.clone(),
            package_type: d.package_type.clone(),
            group: (!d.group.is_empty()).then(|| d.group.clone()),
            name: d.name.clone(),
            version: d.version.clone(),
            application: d.application.clone(),
            description: d.description.clone(),
            target: d.target.clone(),
            user: d.user_name.clone(),
            url: d.url.clone(),
            date: format_millis(d.at),
        }
    }
}

const FIELD_NAMES: [&str; 3] = ["Application", "Description", "Target"];

/// Records a deployment of a package version.
///
/// 200 when recorded; 400 naming a missing or malformed field, or when the
/// feed does not keep deployment records; 401/403; 404 for an unknown feed
/// or version. Nothing is recorded on any error.
#[utoipa::path(post, path = "/api/package-deployment/", tag = "deployments",
    request_body(content = PackageDeployment, content_type = "application/json",
        description = "also accepted form-encoded, with the same names"),
    responses((status = 200, body = DeploymentInfo), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn record(State(state): State<AppState>, request: Request) -> ApiResult<Json<DeploymentInfo>> {
    let (parts, body) = request.into_parts();
    let presented = Presented::from_parts(&parts)?;
    let fields = read_fields(&state, Request::from_parts(parts, body)).await?;
    let caller = caller_with_body_key(&state, presented, &fields).await?;
    let field = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let input = DeploymentInput {
        application: field("application"),
        description: field("description"),
        target: field("target"),
        user_name: field("username"),
        url: field("url"),
        date: field("date"),
    };
    let mut missing: Vec<&str> = input.missing(FIELD_NAMES);
    for (name, key) in [
        ("FeedName", "feedname"),
        ("PackageName", "packagename"),
        ("Version", "version"),
    ] {
        if field(key).is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{} is required.",
            missing.join(", ")
        )));
    }
    let feed_name = field("feedname").unwrap_or_default();
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed_name, Attribute::ViewPackages).await?;
    if !feed.settings.deployment_records_enabled {
        return Err(ApiError::bad_request(format!(
            "Feed '{}' does not keep deployment records (deploymentRecordsEnabled is off).",
            feed.settings.name
        )));
    }
    let valid = input.validate(FIELD_NAMES).map_err(ApiError::bad_request)?;
    let id = format.identity(
        &field("groupname").unwrap_or_default(),
        &field("packagename").unwrap_or_default(),
    );
    let version = field("version").unwrap_or_default();
    if let VersionSpec::Exact(v) = VersionSpec::parse(&version) {
        format
            .version_key(&v)
            .map_err(|e| ApiError::bad_request(format!("Version: {}", e.0)))?;
    }
    let package = packages::find_version(&state, &feed, format, &id, &VersionSpec::parse(&version)).await?;
    let recorded = deploy::record(&state, &caller, &feed, &package, valid).await?;
    Ok(Json(DeploymentInfo::from(&recorded)))
}

/// Filters of the deployment list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query for the OpenAPI document
pub struct DeploymentFilter {
    /// Feed.
    feed: Option<String>,
    /// Group.
    group: Option<String>,
    /// Package name.
    package: Option<String>,
    /// Version.
    version: Option<String>,
    /// Target.
    target: Option<String>,
    /// Application.
    application: Option<String>,
    /// At or after this ISO 8601 date.
    since: Option<String>,
    /// Before this ISO 8601 date.
    until: Option<String>,
    /// At most this many (1–10000); `X-Gantry-Next-Cursor` then names the next page.
    limit: Option<i64>,
    /// The cursor of the page to return.
    cursor: Option<String>,
}

/// Gantry: deployment records, newest first, from the feeds the caller may view.
#[utoipa::path(get, path = "/api/package-deployment/list", tag = "deployments", params(DeploymentFilter),
    responses((status = 200, body = [DeploymentInfo],
        headers(("X-Gantry-Next-Cursor" = String, description = "the cursor of the next page, when `limit` cut the list"))),
        (status = 400), (status = 401), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryPairs::parse(query.as_deref())?;
    let get = |name: &str| q.get(&[name]);
    let feed_name = get("feed");
    let identity = IdentityFilter::for_feeds(&state, std::slice::from_ref(&feed_name)).await;
    let version_key = identity.version(get("version"))?;
    let (group_key, name_key) = identity.package(get("group"), get("package"));
    let limit = q.limit()?;
    let before_id = q.cursor()?;
    let records = state
        .meta()
        .list_deployments(&DeploymentQuery {
            feed_key: feed_name.map(|f| f.to_ascii_lowercase()),
            group_key,
            name_key,
            version_key,
            target_key: get("target").map(|t| t.to_ascii_lowercase()),
            application: get("application"),
            since: q.date("since")?,
            until: q.date("until")?,
            before_id,
            limit,
            visible: crate::services::feeds::visibility(&state, &caller).await?,
        })
        .await?;
    let mut response = Json(records.iter().map(DeploymentInfo::from).collect::<Vec<_>>()).into_response();
    announce_next_page(&mut response, limit, records.len(), records.last().map(|r| r.id));
    Ok(response)
}

/// Which package's targets.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query for the OpenAPI document
pub struct TargetsFilter {
    /// Feed (required).
    feed: String,
    /// Package name (required).
    package: String,
    /// Group.
    group: Option<String>,
}

/// Gantry: for one package, the version last deployed to each target — where
/// each version runs now.
#[utoipa::path(get, path = "/api/package-deployment/targets", tag = "deployments", params(TargetsFilter),
    responses((status = 200, body = [DeploymentInfo]), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn targets(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Vec<DeploymentInfo>>> {
    let q = QueryPairs::parse(query.as_deref())?;
    let get = |name: &str| q.get(&[name]);
    let feed = get("feed").ok_or_else(|| ApiError::bad_request("feed is required."))?;
    let package = get("package").ok_or_else(|| ApiError::bad_request("package is required."))?;
    let (feed, format) = feeds::find_authorized(&state, &caller, &feed, Attribute::ViewPackages).await?;
    let id = format.identity(&get("group").unwrap_or_default(), &package);
    let records = state
        .meta()
        .deployment_targets(
            &feed.settings.name.to_ascii_lowercase(),
            &format.group_key(&id.group),
            &format.name_key(&id.name),
        )
        .await?;
    Ok(Json(records.iter().map(DeploymentInfo::from).collect()))
}
