//! API keys: creating and deleting them. Administrators manage every key;
//! any signed-in user may create and delete their own personal keys. The
//! API-key API and the API-key pages both call these.

use gantry_core::{Attribute, FeedName, PackagePermission, Principal, SystemApi};
use gantry_store::time::{format_millis, now_millis, to_millis};
use gantry_store::{ApiKeyRecord, NewApiKey};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::{keys, Caller};
use crate::error::{ApiError, ApiResult};
use crate::services::feeds;
use crate::state::AppState;

/// A key as a client asks to create it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiKeyRequest {
    /// `system`, `feed` or `personal` (any case).
    pub key_type: String,
    /// A secret of the client's own (16–256 characters); one is generated
    /// otherwise.
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
    /// Feed groups are not supported yet: any value is refused.
    pub feed_group: Option<String>,
    /// For personal keys: the user the key acts as (default: the caller).
    pub user: Option<String>,
    /// Expiry, ISO 8601; without an offset it is taken as UTC.
    pub expiration: Option<String>,
}

/// A key just created, with its secret: the only time it is known, since
/// only its hash is stored.
#[derive(Clone, Debug)]
pub struct CreatedApiKey {
    /// The stored key.
    pub record: ApiKeyRecord,
    /// The secret, to show this once.
    pub secret: String,
}

/// Creates a key: a personal key for the caller themselves needs only a
/// signed-in user; every other key needs `Administer`. A key made with an
/// expiring key expires with it at the latest.
pub async fn create(state: &AppState, caller: &Caller, request: &ApiKeyRequest) -> ApiResult<CreatedApiKey> {
    let key_type = request.key_type.to_ascii_lowercase();
    // Anyone may make personal keys for themselves; everything else is for administrators.
    let for_self = key_type == "personal"
        && matches!(&caller.principal, Principal::User { name, .. }
            if request.user.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(name)));
    if !for_self {
        state.authorize(caller, Attribute::Administer, None)?;
    }
    let mut new = NewApiKey {
        key_hash: String::new(),
        key_type,
        display_name: request.display_name.clone().unwrap_or_default(),
        description: request.description.clone().unwrap_or_default(),
        system_apis: Vec::new(),
        package_permissions: Vec::new(),
        feed_name: None,
        user_name: None,
        expires_at: None,
    };
    if request.feed_group.is_some() {
        return Err(ApiError::bad_request(
            "feedGroup: feed groups are not supported yet; name one feed.",
        ));
    }
    match new.key_type.as_str() {
        "system" => {
            let apis = request.system_apis.as_deref().unwrap_or_default();
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
            let feed = request
                .feed
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("feed: a feed key needs a feed."))?;
            FeedName::parse(feed).map_err(|e| ApiError::bad_request(format!("feed: {}", e.0)))?;
            let feed = feeds::find(state, feed)
                .await
                .map_err(|_| ApiError::bad_request(format!("feed: feed '{feed}' does not exist.")))?;
            new.feed_name = Some(feed.settings.name);
            let permissions = request.package_permissions.as_deref().unwrap_or_default();
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
            let name = match (&request.user, &caller.principal) {
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
    if let Some(expiration) = &request.expiration {
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
                    format_millis(limit)
                )));
            }
            Some(_) => {}
        }
    }
    let secret = match &request.key {
        Some(custom) => {
            keys::validate_custom(custom).map_err(|e| ApiError::bad_request(format!("key: {e}")))?;
            custom.clone()
        }
        None => keys::generate(),
    };
    new.key_hash = keys::hash(&secret);
    let record = state.meta().create_api_key(&new, caller.user_name()).await?;
    tracing::info!(id = record.id, key_type = %record.key_type, "API key created");
    Ok(CreatedApiKey { record, secret })
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

/// Deletes the key whose id a client sent (as text: `None` when it sent
/// none). A missing id or one that is not a number is 400. Administrators
/// may delete any key; a signed-in user their own personal keys; anyone
/// else gets the refusal an administrator-only request gets (401 or 403).
/// An unknown id is 404.
pub async fn delete(state: &AppState, caller: &Caller, id: Option<&str>) -> ApiResult<()> {
    let raw = id.ok_or_else(|| ApiError::bad_request("id is required."))?;
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::bad_request(format!("id: '{raw}' is not a number.")))?;
    // Users may revoke their own personal keys; every other key is for
    // administrators, who need no look-up of the key's owner.
    let allowed = state.may(caller, Attribute::Administer, None)
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
        state.authorize(caller, Attribute::Administer, None)?;
    }
    if state.meta().delete_api_key(id, caller.user_name()).await? {
        tracing::info!(id, "API key deleted");
        Ok(())
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
