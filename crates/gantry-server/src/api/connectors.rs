//! Connector management: `/api/management/connectors/...`, with ProGet's
//! JSON. The password is write-only: answers say only whether one is set.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gantry_core::Attribute;
use gantry_store::time::format_millis;
use gantry_store::ConnectorRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::{double_option, JsonBody};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::connectors::{self as service, find, ConnectorRequest};
use crate::state::AppState;

/// A connector as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorInfo {
    /// Unique name (case-insensitively).
    pub name: String,
    /// The upstream's address.
    pub url: String,
    /// Package type.
    pub feed_type: String,
    /// Seconds to wait for the upstream.
    pub timeout: u32,
    /// Whether upstream metadata is kept between requests.
    pub metadata_cache_enabled: bool,
    /// How long kept metadata is fresh, in minutes.
    pub metadata_cache_minutes: u32,
    /// How many metadata documents are kept.
    pub metadata_cache_count: u32,
    /// User name sent upstream.
    pub username: Option<String>,
    /// Whether a password is set (the password itself is never returned).
    pub has_password: bool,
    /// Ordered include/exclude patterns (`!` excludes).
    pub filters: Vec<String>,
    /// `unknown`, `healthy` or `unhealthy`.
    pub status: String,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When it failed last (RFC 3339).
    pub last_error_date: Option<String>,
    /// When the upstream last answered well (RFC 3339).
    pub last_success_date: Option<String>,
}

impl ConnectorInfo {
    fn new(record: &ConnectorRecord, state: &AppState) -> Self {
        // This node's view is fresher than the stored one for what it served.
        let health = state
            .connectors()
            .known_health(record.id)
            .filter(|h| h.status != "unknown")
            .unwrap_or_else(|| record.health.clone());
        let s = &record.settings;
        Self {
            name: s.name.clone(),
            url: crate::connectors::upstream::without_credentials(&s.url),
            feed_type: s.feed_type.id().to_owned(),
            timeout: s.timeout_secs,
            metadata_cache_enabled: s.metadata_cache_enabled,
            metadata_cache_minutes: s.metadata_cache_minutes,
            metadata_cache_count: s.metadata_cache_count,
            username: s.username.clone(),
            has_password: s.password.as_deref().is_some_and(|p| !p.is_empty()),
            filters: s.filters.clone(),
            status: health.status,
            last_error: health.last_error,
            last_error_date: health.last_error_at.map(format_millis),
            last_success_date: health.last_success_at.map(format_millis),
        }
    }
}

/// A connector as a client sends it. On update, absent fields keep their
/// value; `username: null` or `password: null` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectorInput {
    /// Required on create; on update, renames the connector.
    pub name: Option<String>,
    /// Required on create: the upstream's address (http or https).
    pub url: Option<String>,
    /// Required on create; cannot change on update.
    pub feed_type: Option<String>,
    /// Seconds, 1–600; default 30.
    pub timeout: Option<u32>,
    /// Default true.
    pub metadata_cache_enabled: Option<bool>,
    /// Minutes, at least 1; default 30.
    pub metadata_cache_minutes: Option<u32>,
    /// At least 1; default 100.
    pub metadata_cache_count: Option<u32>,
    /// Sent upstream with the password (basic authentication).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Option<String>>,
    /// Sent upstream: a password, or a token when there is no user name.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
    /// Ordered include/exclude patterns; replaces the list.
    pub filters: Option<Vec<String>>,
    /// Ignored: ProGet clients may send the id back.
    #[serde(default)]
    #[schema(ignore)]
    pub id: Option<serde_json::Value>,
}

impl From<ConnectorInput> for ConnectorRequest {
    fn from(input: ConnectorInput) -> Self {
        Self {
            name: input.name,
            url: input.url,
            feed_type: input.feed_type,
            timeout: input.timeout,
            metadata_cache_enabled: input.metadata_cache_enabled,
            metadata_cache_minutes: input.metadata_cache_minutes,
            metadata_cache_count: input.metadata_cache_count,
            username: input.username,
            password: input.password,
            filters: input.filters,
        }
    }
}

/// Creates a connector.
#[utoipa::path(post, path = "/api/management/connectors/create", tag = "connectors",
    request_body = ConnectorInput,
    responses((status = 201, body = ConnectorInfo), (status = 400, description = "invalid connector"),
        (status = 401), (status = 403), (status = 409, description = "the name is taken"), (status = 415, description = "the body is not sent as application/json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<ConnectorInput>,
) -> ApiResult<(StatusCode, Json<ConnectorInfo>)> {
    let record = service::create(&state, &caller, &input.into()).await?;
    Ok((StatusCode::CREATED, Json(ConnectorInfo::new(&record, &state))))
}

/// Lists the connectors.
#[utoipa::path(get, path = "/api/management/connectors/list", tag = "connectors",
    responses((status = 200, body = [ConnectorInfo]), (status = 401), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<ConnectorInfo>>> {
    state.authorize(&caller, Attribute::ManageConnectors, None)?;
    let connectors = state.meta().list_connectors().await?;
    Ok(Json(
        connectors.iter().map(|c| ConnectorInfo::new(c, &state)).collect(),
    ))
}

/// One connector, with its health.
#[utoipa::path(get, path = "/api/management/connectors/get/{name}", tag = "connectors",
    params(("name" = String, Path, description = "connector name")),
    responses((status = 200, body = ConnectorInfo), (status = 401), (status = 403), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectorInfo>> {
    state.authorize(&caller, Attribute::ManageConnectors, None)?;
    let record = find(&state, &name).await?;
    Ok(Json(ConnectorInfo::new(&record, &state)))
}

/// Changes a connector; absent fields keep their value.
#[utoipa::path(post, path = "/api/management/connectors/update/{name}", tag = "connectors",
    params(("name" = String, Path, description = "connector name")),
    request_body = ConnectorInput,
    responses((status = 200, body = ConnectorInfo), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 415, description = "the body is not sent as application/json")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(input): JsonBody<ConnectorInput>,
) -> ApiResult<Json<ConnectorInfo>> {
    let updated = service::update(&state, &caller, &name, &input.into()).await?;
    Ok(Json(ConnectorInfo::new(&updated, &state)))
}

/// Deletes a connector; feeds using it stop listing it.
#[utoipa::path(delete, path = "/api/management/connectors/delete/{name}", tag = "connectors",
    params(("name" = String, Path, description = "connector name")),
    responses((status = 200), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &caller, &name).await?;
    Ok(StatusCode::OK)
}
