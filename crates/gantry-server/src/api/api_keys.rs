//! API keys: `/api/api-keys/create|list|delete`, with ProGet's `ApiKeyInfo` JSON.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gantry_core::Attribute;
use gantry_store::time::format_millis;
use gantry_store::ApiKeyRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::api_keys::{self as service, ApiKeyRequest};
use crate::state::AppState;

/// An API key as the API shows it; `key` only in the answer to `create`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    /// Id, for `delete`.
    pub id: i64,
    /// `system` or `feed`.
    #[serde(rename = "type")]
    pub key_type: String,
    /// The secret: returned once, at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Shown in lists.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// System APIs of a system key (`full-control`, `feeds`).
    pub system_apis: Vec<String>,
    /// Permissions of a feed key (`view`, `add`, `promote`, `delete`).
    pub package_permissions: Vec<String>,
    /// The feed of a feed key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    /// The user the key acts as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Expiry, ISO 8601 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
}

impl ApiKeyInfo {
    fn new(record: &ApiKeyRecord, secret: Option<String>) -> Self {
        Self {
            id: record.id,
            key_type: record.key_type.clone(),
            key: secret,
            display_name: record.display_name.clone(),
            description: record.description.clone(),
            system_apis: record.system_apis.clone(),
            package_permissions: record.package_permissions.clone(),
            feed: record.feed_name.clone(),
            user: record.user_name.clone(),
            expiration: record.expires_at.map(format_millis),
        }
    }
}

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKeyInput {
    /// `system`, `feed` or `personal` (any case).
    #[serde(rename = "type")]
    pub key_type: String,
    /// A secret of your own (16–256 characters); one is generated otherwise.
    pub key: Option<String>,
    /// Shown in lists.
    pub display_name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// For system keys.
    pub system_apis: Option<Vec<String>>,
    /// For feed keys.
    pub package_permissions: Option<Vec<String>>,
    /// For feed keys: the feed.
    pub feed: Option<String>,
    /// Feed groups are not supported yet.
    pub feed_group: Option<String>,
    /// For personal keys: the user the key acts as.
    pub user: Option<String>,
    /// Expiry, ISO 8601; without an offset it is taken as UTC.
    pub expiration: Option<String>,
    /// pgutil sends ProGet's request logging setting; Gantry does not log
    /// request bodies, so it is accepted and ignored.
    pub logging: Option<String>,
    /// Older pgutil releases send the id as null.
    pub id: Option<i64>,
}

impl From<ApiKeyInput> for ApiKeyRequest {
    fn from(input: ApiKeyInput) -> Self {
        // `logging` and `id` are accepted for pgutil's sake and ignored.
        Self {
            key_type: input.key_type,
            key: input.key,
            display_name: input.display_name,
            description: input.description,
            system_apis: input.system_apis,
            package_permissions: input.package_permissions,
            feed: input.feed,
            feed_group: input.feed_group,
            user: input.user,
            expiration: input.expiration,
        }
    }
}

/// Creates a key and returns it with its secret (shown only this once).
#[utoipa::path(post, path = "/api/api-keys/create", tag = "api-keys",
    request_body = ApiKeyInput,
    responses((status = 200, body = ApiKeyInfo), (status = 400), (status = 401), (status = 403), (status = 415, description = "the body is not sent as application/json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<ApiKeyInput>,
) -> ApiResult<Json<ApiKeyInfo>> {
    let created = service::create(&state, &caller, &input.into()).await?;
    Ok(Json(ApiKeyInfo::new(&created.record, Some(created.secret))))
}

/// Lists keys (never their secrets).
#[utoipa::path(get, path = "/api/api-keys/list", tag = "api-keys",
    responses((status = 200, body = [ApiKeyInfo]), (status = 401), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<ApiKeyInfo>>> {
    state.authorize(&caller, Attribute::Administer, None)?;
    let records = state.meta().list_api_keys().await?;
    Ok(Json(records.iter().map(|r| ApiKeyInfo::new(r, None)).collect()))
}

/// Which key to delete.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteKey {
    /// The key's id.
    pub id: Option<String>,
}

/// Deletes a key (administrators; users may delete their own personal keys).
#[utoipa::path(post, path = "/api/api-keys/delete", tag = "api-keys", params(DeleteKey),
    responses((status = 200), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<DeleteKey>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &caller, query.id.as_deref()).await?;
    Ok(StatusCode::OK)
}
