//! Connector administration: the list with each connector's health and the
//! feeds that use it, and forms to create, change and delete connectors.
//! Changes check the form's CSRF token, then go through the connector
//! services the API uses too.
//! The upstream password is write-only: no page ever shows it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::Attribute;
use gantry_store::{ConnectorRecord, FeedRecord};
use serde::Deserialize;

use super::{done_notice, require, with_status};
use super::{segment, Choice, CsrfForm, DoneQuery};
use crate::api::routes::Routes;
use crate::error::ApiError;
use crate::package_types;
use crate::services::connectors::{self as service, ConnectorRequest};
use crate::state::AppState;
use crate::ui::page::{render, see_other, Page, UiError};
use crate::ui::session::Viewer;
use crate::ui::view::When;

/// The permission connector pages ask: the one the connector API asks
/// (Manage Feeds), so that a page never offers a change the API refuses.
const CONNECTORS: Attribute = Attribute::ManageFeeds;

/// This area's routes.
pub fn routes() -> Routes {
    Routes::default()
        .get("/admin/connectors", list)
        .get("/admin/connectors/new", new_form)
        .post("/admin/connectors/new", create)
        .get("/admin/connectors/{name}", edit_form)
        .post("/admin/connectors/{name}", update)
        .post("/admin/connectors/{name}/delete", delete)
}

/// A connector's health as shown.
pub struct Health {
    /// `unknown`, `healthy` or `unhealthy` (also the badge's class suffix).
    pub status: String,
    pub last_error: String,
    pub last_error_at: Option<When>,
    pub last_success_at: Option<When>,
}

/// This node's view of a connector's health is fresher than the stored one
/// for what it served (as the API answers it).
fn health(state: &AppState, record: &ConnectorRecord) -> Health {
    let h = state
        .connectors()
        .known_health(record.id)
        .filter(|h| h.status != "unknown")
        .unwrap_or_else(|| record.health.clone());
    // Only the three known words reach the class attribute.
    let status = match h.status.as_str() {
        "healthy" | "unhealthy" => h.status.clone(),
        _ => "unknown".to_owned(),
    };
    Health {
        status,
        last_error: h.last_error.unwrap_or_default(),
        last_error_at: h.last_error_at.map(When::at),
        last_success_at: h.last_success_at.map(When::at),
    }
}

/// The feeds that list the connector named `name`.
fn users_of(feeds: &[FeedRecord], name: &str) -> Vec<String> {
    feeds
        .iter()
        .filter(|f| f.settings.connectors.iter().any(|c| c.eq_ignore_ascii_case(name)))
        .map(|f| f.settings.name.clone())
        .collect()
}

/// One row of the connectors list.
pub struct ConnectorRow {
    pub name: String,
    pub link: String,
    pub type_label: &'static str,
    pub url: String,
    pub health: Health,
    pub feeds: String,
}

#[derive(Template)]
#[template(path = "admin/connectors.html")]
struct ConnectorsPage {
    page: Page,
    connectors: Vec<ConnectorRow>,
}

/// Lists the connectors with their health and the feeds using them.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DoneQuery>,
) -> Result<Response, UiError> {
    require(&state, &viewer, CONNECTORS)?;
    let records = state
        .meta()
        .list_connectors()
        .await
        .map_err(UiError::from_store)?;
    let feeds = state.meta().list_feeds().await.map_err(UiError::from_store)?;
    let connectors = records
        .iter()
        .map(|c| ConnectorRow {
            name: c.settings.name.clone(),
            link: format!("/admin/connectors/{}", segment(&c.settings.name)),
            type_label: c.settings.feed_type.label(),
            url: crate::connectors::upstream::without_credentials(&c.settings.url),
            health: health(&state, c),
            feeds: users_of(&feeds, &c.settings.name).join(", "),
        })
        .collect();
    render(&ConnectorsPage {
        page: Page::new(&state, &viewer, "Connectors", "admin")
            .with_notice(done_notice(query.done.as_deref())),
        connectors,
    })
}

#[derive(Template)]
#[template(path = "admin/connector.html")]
struct ConnectorPage {
    page: Page,
    is_new: bool,
    action: String,
    delete_action: String,
    /// The name in the address (the stored one; the form may rename it).
    current_name: String,
    form: Shown,
    types: Vec<Choice>,
    /// The type of an existing connector (it cannot change).
    fixed_type: &'static str,
    has_password: bool,
    /// Health and users of an existing connector.
    health: Option<Health>,
    feeds: Vec<String>,
    error: Option<String>,
}

/// The form's values as shown: typed or stored, never the password.
#[derive(Debug, Clone)]
pub struct Shown {
    pub name: String,
    pub feed_type: String,
    pub url: String,
    pub timeout: String,
    pub cache_enabled: bool,
    pub cache_minutes: String,
    pub cache_count: String,
    pub username: String,
    pub filters: String,
}

impl Default for Shown {
    fn default() -> Self {
        // The API's defaults, so the form shows what a blank field means.
        Self {
            name: String::new(),
            feed_type: String::new(),
            url: String::new(),
            timeout: "30".to_owned(),
            cache_enabled: true,
            cache_minutes: "30".to_owned(),
            cache_count: "100".to_owned(),
            username: String::new(),
            filters: String::new(),
        }
    }
}

impl Shown {
    fn of(record: &ConnectorRecord) -> Self {
        let s = &record.settings;
        Self {
            name: s.name.clone(),
            feed_type: s.feed_type.id().to_owned(),
            url: crate::connectors::upstream::without_credentials(&s.url),
            timeout: s.timeout_secs.to_string(),
            cache_enabled: s.metadata_cache_enabled,
            cache_minutes: s.metadata_cache_minutes.to_string(),
            cache_count: s.metadata_cache_count.to_string(),
            username: s.username.clone().unwrap_or_default(),
            filters: s.filters.join("\n"),
        }
    }
}

/// An existing connector's page: where it is and what it holds.
struct Existing {
    record: ConnectorRecord,
    feeds: Vec<String>,
}

async fn existing(state: &AppState, name: &str) -> Result<Existing, UiError> {
    let record = service::find(state, name).await?;
    let feeds = state.meta().list_feeds().await.map_err(UiError::from_store)?;
    let feeds = users_of(&feeds, &record.settings.name);
    Ok(Existing { record, feeds })
}

fn connector_page(
    state: &AppState,
    viewer: &Viewer,
    form: Shown,
    existing: Option<&Existing>,
    error: Option<ApiError>,
) -> Result<Response, UiError> {
    let is_new = existing.is_none();
    let types = package_types::proxied_feed_types()
        .enumerate()
        .map(|(i, t)| {
            Choice::new(
                "type",
                i,
                t.id(),
                t.label(),
                t.id().eq_ignore_ascii_case(&form.feed_type),
            )
        })
        .collect();
    let current_name = existing
        .map(|e| e.record.settings.name.clone())
        .unwrap_or_default();
    let base = format!("/admin/connectors/{}", segment(&current_name));
    let title = if is_new {
        "New connector".to_owned()
    } else {
        format!("Connector {current_name}")
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let response = render(&ConnectorPage {
        page: Page::new(state, viewer, title, "admin"),
        is_new,
        action: if is_new {
            "/admin/connectors/new".to_owned()
        } else {
            base.clone()
        },
        delete_action: format!("{base}/delete"),
        current_name,
        types,
        fixed_type: existing.map_or("", |e| e.record.settings.feed_type.label()),
        has_password: existing.is_some_and(|e| {
            e.record
                .settings
                .password
                .as_deref()
                .is_some_and(|p| !p.is_empty())
        }),
        health: existing.map(|e| health(state, &e.record)),
        feeds: existing.map(|e| e.feeds.clone()).unwrap_or_default(),
        form,
        error: error.map(|e| e.message),
    })?;
    Ok(with_status(response, status))
}

/// The new-connector form.
pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    require(&state, &viewer, CONNECTORS)?;
    connector_page(&state, &viewer, Shown::default(), None, None)
}

/// A connector's form, with its health and the feeds using it.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    require(&state, &viewer, CONNECTORS)?;
    let found = existing(&state, &name).await?;
    connector_page(&state, &viewer, Shown::of(&found.record), Some(&found), None)
}

/// The connector form's fields.
#[derive(Debug, Deserialize)]
pub struct ConnectorForm {
    /// Missing counts as wrong: refused with 403, like a forged one.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "feedType")]
    feed_type: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    timeout: String,
    #[serde(default, rename = "metadataCacheEnabled")]
    cache_enabled: bool,
    #[serde(default, rename = "metadataCacheMinutes")]
    cache_minutes: String,
    #[serde(default, rename = "metadataCacheCount")]
    cache_count: String,
    #[serde(default)]
    username: String,
    /// Blank keeps the stored password.
    #[serde(default)]
    password: String,
    /// Removes the stored password.
    #[serde(default, rename = "clearPassword")]
    clear_password: bool,
    /// One pattern per line.
    #[serde(default)]
    filters: String,
}

/// A whole number from a form field: `None` when blank.
fn number(field: &str, raw: &str) -> Result<Option<u32>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| ApiError::bad_request(format!("{field}: '{raw}' is not a whole number.")))
}

impl ConnectorForm {
    /// The service's input; `is_new` sends the type (it cannot change later).
    fn request(&self, is_new: bool) -> Result<ConnectorRequest, ApiError> {
        let password = if self.clear_password {
            Some(None)
        } else if self.password.is_empty() {
            // Blank keeps the stored one: the form never shows it.
            None
        } else {
            Some(Some(self.password.clone()))
        };
        Ok(ConnectorRequest {
            name: Some(self.name.trim().to_owned()),
            url: Some(self.url.trim().to_owned()),
            feed_type: is_new.then(|| self.feed_type.clone()).filter(|t| !t.is_empty()),
            timeout: number("timeout", &self.timeout)?,
            metadata_cache_enabled: Some(self.cache_enabled),
            metadata_cache_minutes: number("metadataCacheMinutes", &self.cache_minutes)?,
            metadata_cache_count: number("metadataCacheCount", &self.cache_count)?,
            username: Some(Some(self.username.trim().to_owned()).filter(|u| !u.is_empty())),
            password,
            filters: Some(
                self.filters
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        })
    }

    fn shown(&self) -> Shown {
        Shown {
            name: self.name.clone(),
            feed_type: self.feed_type.clone(),
            url: self.url.clone(),
            timeout: self.timeout.clone(),
            cache_enabled: self.cache_enabled,
            cache_minutes: self.cache_minutes.clone(),
            cache_count: self.cache_count.clone(),
            username: self.username.clone(),
            filters: self.filters.clone(),
        }
    }
}

/// Creates a connector through the connector service.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ConnectorForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, CONNECTORS)?;
    let result = match form.request(true) {
        Ok(request) => service::create(&state, &viewer.caller, &request)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/connectors?done=created")),
        Err(e) => connector_page(&state, &viewer, form.shown(), None, Some(e)),
    }
}

/// Changes a connector (and may rename it).
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<ConnectorForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, CONNECTORS)?;
    let found = existing(&state, &name).await?;
    let result = match form.request(false) {
        Ok(request) => service::update(&state, &viewer.caller, &found.record.settings.name, &request)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/connectors?done=saved")),
        Err(e) => {
            let shown = Shown {
                feed_type: found.record.settings.feed_type.id().to_owned(),
                ..form.shown()
            };
            connector_page(&state, &viewer, shown, Some(&found), Some(e))
        }
    }
}

/// Deletes a connector (refusals come back as text for the dialog).
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf)?;
    require(&state, &viewer, CONNECTORS)?;
    service::delete(&state, &viewer.caller, &name).await?;
    Ok(see_other("/admin/connectors?done=deleted"))
}
