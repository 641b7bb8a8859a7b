//! Connector administration: creating, changing and deleting connectors,
//! with the rules for their settings. The connector API and the
//! administration pages both call these. The password is write-only: it is
//! stored, never answered.

use gantry_core::{Attribute, FeedName, FeedType, PackageFilters};
use gantry_store::{ConnectorRecord, ConnectorSettings};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::package_types;
use crate::services::feeds::{check_type_unchanged, required_feed_type};
use crate::state::AppState;

/// A connector as a client asks to create or change it. On update, absent
/// (`None`) fields keep their value; `username: Some(None)` or
/// `password: Some(None)` clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectorRequest {
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
    pub username: Option<Option<String>>,
    /// Sent upstream: a password, or a token when there is no user name.
    pub password: Option<Option<String>>,
    /// Ordered include/exclude patterns; replaces the list.
    pub filters: Option<Vec<String>>,
}

/// Creates a connector once `caller` may manage connectors.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: &ConnectorRequest,
) -> ApiResult<ConnectorRecord> {
    state.authorize(caller, Attribute::ManageConnectors, None)?;
    let name = request
        .name
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("name is required."))?;
    let feed_type = required_feed_type(request.feed_type.as_deref())?;
    if !package_types::proxied_feed_types().any(|t| t == feed_type) {
        return Err(ApiError::bad_request(format!(
            "Connectors for {feed_type} feeds are not supported yet; supported: {}.",
            package_types::proxied_feed_types()
                .map(FeedType::id)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let url = request
        .url
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("url is required."))?;
    let url = checked_url(url)?;
    check_url_for_type(feed_type, &url.address)?;
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
    apply(&mut settings, request)?;
    let record = state.meta().create_connector(&settings).await?;
    tracing::info!(connector = %record.settings.name, url = %record.settings.url, "connector created");
    Ok(record)
}

/// Changes the connector named `name` (and may rename it) once `caller` may
/// manage connectors; absent fields keep their value. Pointing it at
/// another origin drops the stored credentials.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    name: &str,
    request: &ConnectorRequest,
) -> ApiResult<ConnectorRecord> {
    state.authorize(caller, Attribute::ManageConnectors, None)?;
    let record = find(state, name).await?;
    let mut settings = record.settings.clone();
    if let Some(new_name) = &request.name {
        settings.name = checked_name(new_name)?;
    }
    check_type_unchanged(
        request.feed_type.as_deref(),
        settings.feed_type,
        &record.settings.name,
        "connector",
    )?;
    if let Some(url) = &request.url {
        let url = checked_url(url)?;
        check_url_for_type(settings.feed_type, &url.address)?;
        // Stored credentials were given for the old upstream: pointing the
        // connector elsewhere must not hand them to the new host.
        if origin_of(&url.address) != origin_of(&settings.url) {
            settings.username = None;
            settings.password = None;
        }
        settings.url = url.address;
        adopt_url_credentials(&mut settings, url.username, url.password);
    }
    apply(&mut settings, request)?;
    let updated = state.meta().update_connector(record.id, &settings).await?;
    tracing::info!(connector = %updated.settings.name, "connector updated");
    Ok(updated)
}

/// Deletes the connector named `name` once `caller` may manage connectors;
/// feeds using it stop listing it.
pub async fn delete(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    state.authorize(caller, Attribute::ManageConnectors, None)?;
    let record = find(state, name).await?;
    state.meta().delete_connector(record.id).await?;
    state.connectors().forget(record.id);
    tracing::info!(connector = %record.settings.name, "connector deleted");
    Ok(())
}

/// The connector named `name` (case-insensitively), or 404. Asks no
/// permission: callers authorize first.
pub async fn find(state: &AppState, name: &str) -> ApiResult<ConnectorRecord> {
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

/// The connector type's own rules on its address (Docker: the path is a
/// namespace of repositories).
fn check_url_for_type(feed_type: FeedType, address: &str) -> ApiResult<()> {
    match package_types::connector_for(feed_type) {
        Some(remote) => remote
            .check_url(address)
            .map_err(|e| ApiError::bad_request(format!("url: {e}"))),
        None => Ok(()),
    }
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

/// Copies the plain fields of `request` onto `settings`, checking ranges.
fn apply(settings: &mut ConnectorSettings, request: &ConnectorRequest) -> ApiResult<()> {
    if let Some(timeout) = request.timeout {
        if !(1..=600).contains(&timeout) {
            return Err(ApiError::bad_request(
                "timeout must be between 1 and 600 seconds.",
            ));
        }
        settings.timeout_secs = timeout;
    }
    if let Some(enabled) = request.metadata_cache_enabled {
        settings.metadata_cache_enabled = enabled;
    }
    if let Some(minutes) = request.metadata_cache_minutes {
        if minutes == 0 {
            return Err(ApiError::bad_request("metadataCacheMinutes must be at least 1."));
        }
        settings.metadata_cache_minutes = minutes;
    }
    if let Some(count) = request.metadata_cache_count {
        if count == 0 {
            return Err(ApiError::bad_request("metadataCacheCount must be at least 1."));
        }
        settings.metadata_cache_count = count;
    }
    if let Some(username) = &request.username {
        settings.username = username.clone().filter(|u| !u.is_empty());
    }
    if let Some(password) = &request.password {
        settings.password = password.clone().filter(|p| !p.is_empty());
    }
    if let Some(filters) = &request.filters {
        let parsed =
            PackageFilters::parse(filters).map_err(|e| ApiError::bad_request(format!("filters: {e}")))?;
        settings.filters = parsed.to_strings();
    }
    Ok(())
}
