//! Connector management: `/api/management/connectors/...`, with ProGet's
//! JSON. The password is write-only: answers say only whether one is set.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gantry_core::{Attribute, FeedName, FeedType, PackageFilters};
use gantry_store::time::format_millis;
use gantry_store::{ConnectorRecord, ConnectorSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::{double_option, JsonBody};
use crate::auth::Caller;
use crate::connectors::remote::remote_for;
use crate::error::{ApiError, ApiResult};
use crate::services::feeds::{check_type_unchanged, required_feed_type};
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
    state.authorize(&caller, Attribute::ManageConnectors, None)?;
    let name = input
        .name
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("name is required."))?;
    let feed_type = required_feed_type(input.feed_type.as_deref())?;
    if remote_for(feed_type).is_none() {
        return Err(ApiError::bad_request(format!(
            "Connectors for {feed_type} feeds are not supported yet; supported: {}.",
            FeedType::ALL
                .iter()
                .filter(|t| remote_for(**t).is_some())
                .map(|t| t.id())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let url = input
        .url
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("url is required."))?;
    let url = checked_url(url)?;
    let mut settings = ConnectorSettings {
        name: checked_name(name)?,
        feed_type,
        url: url.address,
        timeout_secs: 30,
        metadata_cache_enabled: true,
        metadata_cache_minutes: 30,
        metadata_cache_count: 100,
        username: None,
        password: None,
        filters: Vec::new(),
    };
    adopt_url_credentials(&mut settings, url.username, url.password);
    apply(&mut settings, &input)?;
    let record = state.meta().create_connector(&settings).await?;
    tracing::info!(connector = %record.settings.name, url = %record.settings.url, "connector created");
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
    state.authorize(&caller, Attribute::ManageConnectors, None)?;
    let record = find(&state, &name).await?;
    let mut settings = record.settings.clone();
    if let Some(new_name) = &input.name {
        settings.name = checked_name(new_name)?;
    }
    check_type_unchanged(
        input.feed_type.as_deref(),
        settings.feed_type,
        &record.settings.name,
        "connector",
    )?;
    if let Some(url) = &input.url {
        let url = checked_url(url)?;
        // Stored credentials were given for the old upstream: pointing the
        // connector elsewhere must not hand them to the new host.
        if origin_of(&url.address) != origin_of(&settings.url) {
            settings.username = None;
            settings.password = None;
        }
        settings.url = url.address;
        adopt_url_credentials(&mut settings, url.username, url.password);
    }
    apply(&mut settings, &input)?;
    let updated = state.meta().update_connector(record.id, &settings).await?;
    tracing::info!(connector = %updated.settings.name, "connector updated");
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
    state.authorize(&caller, Attribute::ManageConnectors, None)?;
    let record = find(&state, &name).await?;
    state.meta().delete_connector(record.id).await?;
    state.connectors().forget(record.id);
    tracing::info!(connector = %record.settings.name, "connector deleted");
    Ok(StatusCode::OK)
}

async fn find(state: &AppState, name: &str) -> ApiResult<ConnectorRecord> {
    state
        .meta()
        .get_connector(&name.to_ascii_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Connector '{name}' was not found.")))
}

/// Connector names follow the feed name rules.
fn checked_name(name: &str) -> ApiResult<String> {
    FeedName::parse(name)
        .map(|n| n.as_str().to_owned())
        .map_err(|e| ApiError::bad_request(e.0.replace("feed", "connector")))
}

/// A checked upstream address, with any `user:password@` taken out of it.
struct CheckedUrl {
    /// The address without credentials: what is stored, shown and logged.
    address: String,
    username: Option<String>,
    password: Option<String>,
}

fn checked_url(url: &str) -> ApiResult<CheckedUrl> {
    // Never quote the address back: it may hold a password.
    let mut parsed = reqwest::Url::parse(url)
        .map_err(|e| ApiError::bad_request(format!("url: the value is not a URL: {e}.")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::bad_request(
            "url: the connector's address must be an http or https address.",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(ApiError::bad_request(
            "url: the address must not carry a query or fragment.",
        ));
    }
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    let username = Some(decode(parsed.username())).filter(|u| !u.is_empty());
    let password = parsed.password().map(decode).filter(|p| !p.is_empty());
    if username.is_some() || password.is_some() {
        // Setting empty credentials on an http(s) URL cannot fail.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
    }
    let address = if username.is_some() || password.is_some() {
        parsed.to_string()
    } else {
        url.to_owned()
    };
    Ok(CheckedUrl {
        address,
        username,
        password,
    })
}

/// Credentials written into the URL become the connector's own (where the
/// request's `username`/`password` fields do not say otherwise).
fn adopt_url_credentials(
    settings: &mut ConnectorSettings,
    username: Option<String>,
    password: Option<String>,
) {
    if username.is_some() || password.is_some() {
        settings.username = username;
        settings.password = password;
    }
}

/// Scheme, host and port: where credentials may be sent.
fn origin_of(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization())
}

/// Copies the plain fields of `input` onto `settings`, checking ranges.
fn apply(settings: &mut ConnectorSettings, input: &ConnectorInput) -> ApiResult<()> {
    if let Some(timeout) = input.timeout {
        if !(1..=600).contains(&timeout) {
            return Err(ApiError::bad_request(
                "timeout must be between 1 and 600 seconds.",
            ));
        }
        settings.timeout_secs = timeout;
    }
    if let Some(enabled) = input.metadata_cache_enabled {
        settings.metadata_cache_enabled = enabled;
    }
    if let Some(minutes) = input.metadata_cache_minutes {
        if minutes == 0 {
            return Err(ApiError::bad_request("metadataCacheMinutes must be at least 1."));
        }
        settings.metadata_cache_minutes = minutes;
    }
    if let Some(count) = input.metadata_cache_count {
        if count == 0 {
            return Err(ApiError::bad_request("metadataCacheCount must be at least 1."));
        }
        settings.metadata_cache_count = count;
    }
    if let Some(username) = &input.username {
        settings.username = username.clone().filter(|u| !u.is_empty());
    }
    if let Some(password) = &input.password {
        settings.password = password.clone().filter(|p| !p.is_empty());
    }
    if let Some(filters) = &input.filters {
        let parsed =
            PackageFilters::parse(filters).map_err(|e| ApiError::bad_request(format!("filters: {e}")))?;
        settings.filters = parsed.to_strings();
    }
    Ok(())
}
