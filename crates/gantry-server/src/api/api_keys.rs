//! API keys: `/api/api-keys/create|list|delete`, with ProGet's `ApiKeyInfo` JSON.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gantry_core::{Attribute, FeedName, PackagePermission, Principal, SystemApi};
use gantry_store::time::{format_millis, now_millis, to_millis};
use gantry_store::{ApiKeyRecord, NewApiKey};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{JsonBody, QueryParams};
use crate::auth::{keys, Caller};
use crate::error::{ApiError, ApiResult};
use crate::services::feeds;
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

/// Creates a key and returns it with its secret (shown only this once).
#[utoipa::path(post, path = "/api/api-keys/create", tag = "api-keys",
    request_body = ApiKeyInput,
    responses((status = 200, body = ApiKeyInfo), (status = 400), (status = 401), (status = 403), (status = 415, description = "the body is not sent as application/json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<ApiKeyInput>,
) -> ApiResult<Json<ApiKeyInfo>> {
    let key_type = input.key_type.to_ascii_lowercase();
    // Anyone may make personal keys for themselves; everything else is for administrators.
    let for_self = key_type == "personal"
        && matches!(&caller.principal, Principal::User { name, .. }
            if input.user.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(name)));
    if !for_self {
        state.authorize(&caller, Attribute::Administer, None)?;
    }
    let mut new = NewApiKey {
        key_hash: String::new(),
        key_type,
        display_name: input.display_name.clone().unwrap_or_default(),
        description: input.description.clone().unwrap_or_default(),
        system_apis: Vec::new(),
        package_permissions: Vec::new(),
        feed_name: None,
        user_name: None,
        expires_at: None,
    };
    if input.feed_group.is_some() {
        return Err(ApiError::bad_request(
            "feedGroup: feed groups are not supported yet; name one feed.",
        ));
    }
    match new.key_type.as_str() {
        "system" => {
            let apis = input.system_apis.as_deref().unwrap_or_default();
            if apis.is_empty() {
                return Err(ApiError::bad_request(
                    "systemApis: a system key needs at least one system API.",
                ));
            }
            for api in apis {
                let parsed: SystemApi = api
                    .parse()
                    .map_err(|e: String| ApiError::bad_request(format!("systemApis: {e}")))?;
                new.system_apis.push(parsed.id().to_owned());
            }
        }
        "feed" => {
            let feed = input
                .feed
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("feed: a feed key needs a feed."))?;
            FeedName::parse(feed).map_err(|e| ApiError::bad_request(format!("feed: {}", e.0)))?;
            let feed = feeds::find(&state, feed)
                .await
                .map_err(|_| ApiError::bad_request(format!("feed: feed '{feed}' does not exist.")))?;
            new.feed_name = Some(feed.settings.name);
            let permissions = input.package_permissions.as_deref().unwrap_or_default();
            if permissions.is_empty() {
                return Err(ApiError::bad_request(
                    "packagePermissions: a feed key needs at least one of view, add, promote, delete.",
                ));
            }
            for permission in permissions {
                let parsed: PackagePermission = permission
                    .parse()
                    .map_err(|e: String| ApiError::bad_request(format!("packagePermissions: {e}")))?;
                new.package_permissions.push(parsed.id().to_owned());
            }
        }
        "personal" => {
            let name = match (&input.user, &caller.principal) {
                (Some(user), _) => user.clone(),
                (None, Principal::User { name, .. }) => name.clone(),
                (None, _) => {
                    return Err(ApiError::bad_request(
                        "user: a personal key needs the user it acts as.",
                    ))
                }
            };
            let (user, _) = state
                .meta()
                .find_user(&name.to_ascii_lowercase())
                .await?
                .ok_or_else(|| ApiError::bad_request(format!("user: there is no user named '{name}'.")))?;
            new.user_name = Some(user.name);
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "type: '{other}' is not a key type; use system, feed or personal."
            )))
        }
    }
    if let Some(expiration) = &input.expiration {
        let at = to_millis(parse_expiration(expiration)?);
        if at <= now_millis() {
            return Err(ApiError::bad_request("expiration: the date is in the past."));
        }
        new.expires_at = Some(at);
    }
    // A key made with an expiring key expires with it at the latest:
    // otherwise one leaked short-lived key would mint a permanent one.
    if let Some(limit) = caller.key_expires_at {
        match new.expires_at {
            None => new.expires_at = Some(limit),
            Some(at) if at > limit => {
                return Err(ApiError::bad_request(format!(
                    "expiration: a key made with an expiring API key cannot outlive it (it expires {}).",
                    gantry_store::time::format_millis(limit)
                )));
            }
            Some(_) => {}
        }
    }
    let secret = match input.key {
        Some(custom) => {
            keys::validate_custom(&custom).map_err(|e| ApiError::bad_request(format!("key: {e}")))?;
            custom
        }
        None => keys::generate(),
    };
    new.key_hash = keys::hash(&secret);
    let record = state.meta().create_api_key(&new, caller.user_name()).await?;
    tracing::info!(id = record.id, key_type = %record.key_type, "API key created");
    Ok(Json(ApiKeyInfo::new(&record, Some(secret))))
}

/// Reads an ISO 8601 date, with an offset or (as .NET clients send local
/// dates) without one, then taken as UTC; a bare date means its midnight.
fn parse_expiration(text: &str) -> ApiResult<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let local = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day][optional [T[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]]]"
    );
    time::PrimitiveDateTime::parse(text, &local)
        .map(time::PrimitiveDateTime::assume_utc)
        .or_else(|_| {
            time::Date::parse(text, &time::macros::format_description!("[year]-[month]-[day]"))
                .map(|d| d.midnight().assume_utc())
        })
        .map_err(|e| ApiError::bad_request(format!("expiration: '{text}' is not an ISO 8601 date: {e}")))
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
    let raw = query.id.ok_or_else(|| ApiError::bad_request("id is required."))?;
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::bad_request(format!("id: '{raw}' is not a number.")))?;
    // Users may revoke their own personal keys; every other key is for
    // administrators, who need no look-up of the key's owner.
    let allowed = state.may(&caller, Attribute::Administer, None)
        || match &caller.principal {
            Principal::User { name, .. } => state.meta().list_api_keys().await?.iter().any(|k| {
                k.id == id
                    && k.key_type == "personal"
                    && k.user_name
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(name))
            }),
            _ => false,
        };
    if !allowed {
        // The refusal an administrator-only request gets (401 or 403).
        state.authorize(&caller, Attribute::Administer, None)?;
    }
    if state.meta().delete_api_key(id, caller.user_name()).await? {
        tracing::info!(id, "API key deleted");
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found(format!("There is no API key with id {id}.")))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_expiration;

    #[test]
    fn expirations_with_or_without_an_offset() {
        let utc = parse_expiration("2030-01-02T03:04:05Z").expect("rfc 3339");
        assert_eq!(parse_expiration("2030-01-02T03:04:05").expect("local"), utc);
        assert_eq!(
            parse_expiration("2030-01-02T05:04:05+02:00")
                .expect("offset")
                .unix_timestamp(),
            utc.unix_timestamp()
        );
        assert_eq!(
            parse_expiration("2030-01-02").expect("date").unix_timestamp(),
            parse_expiration("2030-01-02T00:00:00Z")
                .expect("midnight")
                .unix_timestamp()
        );
        assert!(parse_expiration("next tuesday").is_err());
    }
}
