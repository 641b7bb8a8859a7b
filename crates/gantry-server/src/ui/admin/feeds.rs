//! Feed administration: create a feed (type, usage, pipeline target,
//! connectors, deployment records), change it, delete it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::{Attribute, FeedUsage};
use gantry_store::FeedRecord;
use serde::Deserialize;

use super::{done_notice, require, segment, with_status, Choice, CsrfForm, DoneQuery};
use crate::api::routes::Routes;
use crate::error::ApiError;
use crate::services::feed_admin::{self, FeedRequest};
use crate::services::feeds::find;
use crate::state::AppState;
use crate::ui::page::{render, see_other, Page, UiError};
use crate::ui::session::Viewer;
use crate::ui::view;

/// This area's routes.
pub fn routes() -> Routes {
    Routes::default()
        .get("/admin/feeds", list)
        .get("/admin/feeds/new", new_form)
        .post("/admin/feeds/new", create)
        .get("/admin/feeds/{feed}", edit_form)
        .post("/admin/feeds/{feed}", update)
        .post("/admin/feeds/{feed}/delete", delete)
}

/// A feed in the administration list.
pub struct FeedLine {
    pub name: String,
    pub edit: String,
    pub link: String,
    pub type_label: &'static str,
    pub usage: &'static str,
    pub promote_to: String,
    pub connectors: String,
    pub deployments: bool,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin/feeds.html")]
struct FeedList {
    page: Page,
    feeds: Vec<FeedLine>,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::ManageFeeds)?;
    let feeds = state
        .meta()
        .list_feeds()
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .map(|f| FeedLine {
            edit: format!("/admin/feeds/{}", segment(&f.settings.name)),
            link: view::feed_link(&f.settings.name),
            type_label: f.settings.feed_type.label(),
            usage: view::usage_label(f.settings.usage),
            promote_to: f.promote_to_feed.clone().unwrap_or_default(),
            connectors: f.settings.connectors.join(", "),
            deployments: f.settings.deployment_records_enabled,
            active: f.settings.active,
            name: f.settings.name,
        })
        .collect();
    render(&FeedList {
        page: Page::new(&state, &viewer, "Feeds", "admin").with_notice(done_notice(q.done.as_deref())),
        feeds,
    })
}

/// What the feed form shows: the values, and the choices.
pub struct FeedFormValues {
    pub name: String,
    pub description: String,
    pub active: bool,
    pub deployments: bool,
    pub direct_uploads: bool,
    pub cache_connectors: bool,
    pub offline: bool,
    pub immutable_tags: bool,
}

#[derive(Template)]
#[template(path = "admin/feed_form.html")]
struct FeedForm {
    page: Page,
    /// `None` when creating.
    editing: Option<String>,
    action: String,
    values: FeedFormValues,
    types: Vec<Choice>,
    usages: Vec<Choice>,
    targets: Vec<Choice>,
    connectors: Vec<Choice>,
    error: Option<String>,
}

/// The feed form's fields.
#[derive(Debug, Deserialize, Default)]
pub struct FeedFields {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(rename = "feedType", default)]
    feed_type: String,
    #[serde(default)]
    usage: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "promoteTo", default)]
    promote_to: String,
    #[serde(default)]
    connectors: Vec<String>,
    active: Option<String>,
    deployments: Option<String>,
    #[serde(rename = "directUploads")]
    direct_uploads: Option<String>,
    #[serde(rename = "cacheConnectors")]
    cache_connectors: Option<String>,
    offline: Option<String>,
    #[serde(rename = "immutableTags")]
    immutable_tags: Option<String>,
}

impl FeedFields {
    fn values(&self) -> FeedFormValues {
        FeedFormValues {
            name: self.name.clone(),
            description: self.description.clone(),
            active: self.active.is_some(),
            deployments: self.deployments.is_some(),
            direct_uploads: self.direct_uploads.is_some(),
            cache_connectors: self.cache_connectors.is_some(),
            offline: self.offline.is_some(),
            immutable_tags: self.immutable_tags.is_some(),
        }
    }

    /// The service's input: a checkbox left unticked is sent as `false`.
    fn request(&self, creating: bool) -> FeedRequest {
        FeedRequest {
            name: Some(self.name.trim().to_owned()),
            feed_type: creating.then(|| self.feed_type.clone()),
            description: Some(self.description.clone()),
            active: Some(self.active.is_some()),
            usage: Some(self.usage.clone()),
            promote_to_feed: Some(Some(self.promote_to.clone()).filter(|t| !t.is_empty())),
            deployment_records_enabled: Some(self.deployments.is_some()),
            allow_direct_uploads: Some(self.direct_uploads.is_some()),
            connectors: Some(self.connectors.clone()),
            cache_connectors: Some(self.cache_connectors.is_some()),
            offline: Some(self.offline.is_some()),
            immutable_tags: Some(self.immutable_tags.is_some()),
        }
    }
}

const USAGES: [FeedUsage; 4] = [
    FeedUsage::Private,
    FeedUsage::Proxy,
    FeedUsage::Validated,
    FeedUsage::Mixed,
];

/// Builds the form page with every choice marked as in `fields`.
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    editing: Option<&FeedRecord>,
    fields: &FeedFields,
    error: Option<String>,
) -> Result<Response, UiError> {
    let feeds = state.meta().list_feeds().await.map_err(UiError::from_store)?;
    let connectors = state
        .meta()
        .list_connectors()
        .await
        .map_err(UiError::from_store)?;
    // Only types the server can serve; a feed's type never changes.
    let types = crate::package_types::served_feed_types()
        .filter(|t| editing.is_none_or(|f| f.settings.feed_type == *t))
        .enumerate()
        .map(|(i, t)| {
            Choice::new(
                "type",
                i,
                t.id().to_owned(),
                t.label().to_owned(),
                fields.feed_type.eq_ignore_ascii_case(t.id()),
            )
        })
        .collect();
    let usages = USAGES
        .iter()
        .enumerate()
        .map(|(i, u)| {
            Choice::new(
                "usage",
                i,
                u.id().to_owned(),
                view::usage_label(*u).to_owned(),
                fields.usage.eq_ignore_ascii_case(u.id()),
            )
        })
        .collect();
    let family = editing.map(|f| f.settings.feed_type.promotion_family());
    let targets = feeds
        .iter()
        .filter(|f| editing.is_none_or(|e| e.id != f.id))
        .filter(|f| family.is_none_or(|fam| f.settings.feed_type.promotion_family() == fam))
        .enumerate()
        .map(|(i, f)| {
            Choice::new(
                "target",
                i,
                f.settings.name.clone(),
                format!("{} ({})", f.settings.name, f.settings.feed_type.label()),
                fields.promote_to.eq_ignore_ascii_case(&f.settings.name),
            )
        })
        .collect();
    let connectors = connectors
        .iter()
        .filter(|c| editing.is_none_or(|e| e.settings.feed_type == c.settings.feed_type))
        .enumerate()
        .map(|(i, c)| {
            Choice::new(
                "connector",
                i,
                c.settings.name.clone(),
                format!(
                    "{} ({}, {})",
                    c.settings.name,
                    c.settings.feed_type.label(),
                    c.health.status
                ),
                fields
                    .connectors
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&c.settings.name)),
            )
        })
        .collect();
    let (title, action) = match editing {
        Some(f) => (
            format!("Feed {}", f.settings.name),
            format!("/admin/feeds/{}", segment(&f.settings.name)),
        ),
        None => ("Create feed".to_owned(), "/admin/feeds/new".to_owned()),
    };
    render(&FeedForm {
        page: Page::new(state, viewer, title, "admin"),
        editing: editing.map(|f| f.settings.name.clone()),
        action,
        values: fields.values(),
        types,
        usages,
        targets,
        connectors,
        error,
    })
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::ManageFeeds)?;
    let defaults = FeedFields {
        // The first type the server offers is the form's default.
        feed_type: crate::package_types::served_feed_types()
            .next()
            .map(|t| t.id().to_owned())
            .unwrap_or_default(),
        usage: FeedUsage::Private.id().to_owned(),
        active: Some("on".into()),
        deployments: Some("on".into()),
        cache_connectors: Some("on".into()),
        ..FeedFields::default()
    };
    form_page(&state, &viewer, None, &defaults, None).await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<FeedFields>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&fields.csrf)?;
    match feed_admin::create(&state, &viewer.caller, &fields.request(true)).await {
        Ok(created) => Ok(see_other(&format!(
            "{}?done=created",
            view::feed_link(&created.settings.name)
        ))),
        Err(e) => refused(&state, &viewer, None, &fields, &e).await,
    }
}

/// The form again, with the service's reason, under its status.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    editing: Option<&FeedRecord>,
    fields: &FeedFields,
    error: &ApiError,
) -> Result<Response, UiError> {
    if matches!(error.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(error.clone().into());
    }
    let page = form_page(state, viewer, editing, fields, Some(error.message.clone())).await?;
    Ok(with_status(page, error.status))
}

/// The feed to edit, if this viewer may manage it.
async fn managed_feed(state: &AppState, viewer: &Viewer, name: &str) -> Result<FeedRecord, UiError> {
    viewer.require_session()?;
    let feed = find(state, name).await?;
    state.authorize(&viewer.caller, Attribute::ManageFeeds, Some(&feed))?;
    Ok(feed)
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let feed = managed_feed(&state, &viewer, &name).await?;
    let s = &feed.settings;
    let on = |b: bool| b.then(|| "on".to_owned());
    let fields = FeedFields {
        csrf: String::new(),
        name: s.name.clone(),
        feed_type: s.feed_type.id().to_owned(),
        usage: s.usage.id().to_owned(),
        description: s.description.clone(),
        promote_to: feed.promote_to_feed.clone().unwrap_or_default(),
        connectors: s.connectors.clone(),
        active: on(s.active),
        deployments: on(s.deployment_records_enabled),
        direct_uploads: on(s.allow_direct_uploads),
        cache_connectors: on(s.cache_connectors),
        offline: on(s.offline),
        immutable_tags: on(s.immutable_tags),
    };
    form_page(&state, &viewer, Some(&feed), &fields, None).await
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(fields): Form<FeedFields>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&fields.csrf)?;
    let feed = managed_feed(&state, &viewer, &name).await?;
    match feed_admin::update(&state, &viewer.caller, &name, &fields.request(false)).await {
        Ok(updated) => Ok(see_other(&format!(
            "{}?done=saved",
            view::feed_link(&updated.settings.name)
        ))),
        Err(e) => refused(&state, &viewer, Some(&feed), &fields, &e).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(fields): Form<CsrfForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&fields.csrf)?;
    feed_admin::delete(&state, &viewer.caller, &name).await?;
    Ok(see_other("/admin/feeds?done=deleted"))
}
