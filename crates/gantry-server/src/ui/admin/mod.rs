//! Administration pages: feeds, connectors, API keys, users, groups, tasks
//! and permissions. Each page asks the same permission as the matching API
//! (writes call the same [`crate::services`] as the API), and needs a
//! signed-in user: an API key never reaches these pages.

pub mod api_keys;
pub mod connectors;
pub mod feeds;
pub mod security;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gantry_core::Attribute;

use serde::Deserialize;

use super::page::{render, Page, UiError};
use super::session::Viewer;
use crate::api::routes::Routes;
use crate::state::AppState;
use crate::ui::view::enc;

/// The administration routes.
pub fn routes() -> Routes {
    Routes::default()
        .get("/admin", overview)
        .merge(feeds::routes())
        .merge(connectors::routes())
        .merge(api_keys::routes())
        .merge(security::routes())
}

/// Refuses anonymous viewers with a sign-in redirect (on GET), and signed-in
/// viewers without `attribute` (server-wide) with 403.
pub fn require(state: &AppState, viewer: &Viewer, attribute: Attribute) -> Result<(), UiError> {
    viewer.require_session()?;
    Ok(state.authorize(&viewer.caller, attribute, None)?)
}

/// An error answer that keeps the form on screen: the page re-rendered with
/// the reason, under the status the API gave.
pub fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

/// The notice for `?done=...` on administration pages (fixed texts only:
/// a query string never puts words on a page).
pub fn done_notice(done: Option<&str>) -> Option<String> {
    let text = match done? {
        "created" => "Created.",
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "added" => "Added.",
        "removed" => "Removed.",
        _ => return None,
    };
    Some(text.to_owned())
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct Overview {
    page: Page,
    may_administer: bool,
    may_manage_feeds: bool,
    may_manage_connectors: bool,
}

/// The administration overview: links to what the viewer may manage.
async fn overview(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    viewer.require_session()?;
    let may_administer = state.may(&viewer.caller, Attribute::Administer, None);
    let may_manage_feeds = state.may(&viewer.caller, Attribute::ManageFeeds, None);
    // The connector API asks Manage Feeds, and so do the connector pages.
    let may_manage_connectors = may_manage_feeds;
    if !(may_administer || may_manage_feeds || may_manage_connectors) {
        return Err(UiError::new(
            StatusCode::FORBIDDEN,
            crate::auth::INSUFFICIENT_USER,
        ));
    }
    render(&Overview {
        page: Page::new(&state, &viewer, "Administration", "admin"),
        may_administer,
        may_manage_feeds,
        may_manage_connectors,
    })
}

/// A name as a path segment after `/users/`, `/groups/`, `/tasks/` or
/// `/connectors/` or `/feeds/`. A thing named `new` would otherwise reach the creation
/// form: the router matches the raw path, so escaping one letter keeps the
/// segment a name (the `Path` extractor decodes it back).
pub fn segment(name: &str) -> String {
    let encoded = enc(name);
    if encoded == "new" {
        "%6Eew".to_owned()
    } else {
        encoded
    }
}

/// The `?done=` of a page shown after a change.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// One checkbox or option of a list: what is sent, what is shown, and
/// whether it starts checked (or selected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The value sent with the form.
    pub value: String,
    /// The text shown.
    pub label: String,
    /// Checked or selected.
    pub checked: bool,
    /// A unique element id for its `<label for=...>`.
    pub id: String,
}

impl Choice {
    /// A choice with an element id made of `prefix` and its position.
    pub fn new(
        prefix: &str,
        index: usize,
        value: impl Into<String>,
        label: impl Into<String>,
        checked: bool,
    ) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            checked,
            id: format!("{prefix}-{index}"),
        }
    }
}

/// A form that carries only its CSRF token (the delete dialogs).
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// Missing counts as wrong: refused with 403, like a forged one.
    #[serde(default)]
    csrf: String,
}
