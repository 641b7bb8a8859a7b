//! API keys: administrators manage every key at `/admin/api-keys`; every
//! signed-in user manages their own personal keys at `/account/api-keys`.
//! A new key's secret is shown once, in the answer to the form that made it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use gantry_core::Attribute;
use gantry_store::ApiKeyRecord;
use serde::Deserialize;

use super::{done_notice, require, with_status, Choice, CsrfForm, DoneQuery};
use crate::api::routes::Routes;
use crate::services::api_keys::{self as service, ApiKeyRequest};
use crate::state::AppState;
use crate::ui::page::{render, see_other, Page, UiError};
use crate::ui::session::Viewer;
use crate::ui::view::When;

/// This area's routes.
pub fn routes() -> Routes {
    Routes::default()
        .get("/admin/api-keys", admin_list)
        .post("/admin/api-keys", admin_create)
        .post("/admin/api-keys/{id}/delete", admin_delete)
        .get("/account/api-keys", own_list)
        .post("/account/api-keys", own_create)
        .post("/account/api-keys/{id}/delete", own_delete)
}

/// A key in the list (never its secret: only its hash is stored).
pub struct KeyLine {
    pub id: i64,
    pub key_type: String,
    pub display_name: String,
    pub description: String,
    pub scope: String,
    pub grants: String,
    pub expires: Option<When>,
    pub created: When,
}

impl KeyLine {
    fn new(k: &ApiKeyRecord) -> Self {
        let scope = match (k.key_type.as_str(), &k.feed_name, &k.user_name) {
            ("feed", Some(feed), _) => format!("feed {feed}"),
            ("personal", _, Some(user)) => format!("acts as {user}"),
            _ => "whole server".to_owned(),
        };
        let grants = if k.key_type == "system" {
            k.system_apis.join(", ")
        } else {
            k.package_permissions.join(", ")
        };
        Self {
            id: k.id,
            key_type: k.key_type.clone(),
            display_name: k.display_name.clone(),
            description: k.description.clone(),
            scope,
            grants,
            expires: k.expires_at.map(When::at),
            created: When::at(k.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/api_keys.html")]
struct KeysPage {
    page: Page,
    /// Whether this is the administrators' page (every key, every type).
    all: bool,
    base: &'static str,
    keys: Vec<KeyLine>,
    feeds: Vec<Choice>,
    users: Vec<Choice>,
    /// The secret of the key just created, shown this once.
    created: Option<String>,
    error: Option<String>,
}

async fn keys_page(
    state: &AppState,
    viewer: &Viewer,
    all: bool,
    created: Option<String>,
    error: Option<String>,
    done: Option<&str>,
) -> Result<Response, UiError> {
    let me = viewer.user_name().unwrap_or_default().to_owned();
    let keys = state
        .meta()
        .list_api_keys()
        .await
        .map_err(UiError::from_store)?
        .iter()
        .filter(|k| {
            all || (k.key_type == "personal"
                && k.user_name
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(&me)))
        })
        .map(KeyLine::new)
        .collect();
    let choice = |(i, name): (usize, String)| Choice::new("choice", i, name.clone(), name, false);
    let (feeds, users) = if all {
        let feeds = state.meta().list_feeds().await.map_err(UiError::from_store)?;
        let users = state.meta().list_users().await.map_err(UiError::from_store)?;
        (
            feeds
                .into_iter()
                .map(|f| f.settings.name)
                .enumerate()
                .map(choice)
                .collect(),
            users
                .into_iter()
                .map(|u| u.name)
                .enumerate()
                .map(choice)
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let title = if all { "API keys" } else { "My API keys" };
    render(&KeysPage {
        page: Page::new(state, viewer, title, if all { "admin" } else { "account" })
            .with_notice(done_notice(done)),
        all,
        base: if all {
            "/admin/api-keys"
        } else {
            "/account/api-keys"
        },
        keys,
        feeds,
        users,
        created,
        error,
    })
}

async fn admin_list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, UiError> {
    require(&state, &viewer, Attribute::Administer)?;
    keys_page(&state, &viewer, true, None, None, q.done.as_deref()).await
}

async fn own_list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, UiError> {
    viewer.require_session()?;
    keys_page(&state, &viewer, false, None, None, q.done.as_deref()).await
}

/// The create form's fields.
#[derive(Debug, Deserialize)]
pub struct KeyFields {
    csrf: String,
    #[serde(rename = "type", default)]
    key_type: String,
    #[serde(rename = "displayName", default)]
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "systemApis", default)]
    system_apis: Vec<String>,
    #[serde(default)]
    feed: String,
    #[serde(rename = "packagePermissions", default)]
    package_permissions: Vec<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    expiration: String,
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

async fn create(state: AppState, viewer: Viewer, all: bool, fields: KeyFields) -> Result<Response, UiError> {
    viewer.check_csrf(&fields.csrf)?;
    if all {
        require(&state, &viewer, Attribute::Administer)?;
    }
    let personal = !all || fields.key_type == "personal";
    let request = ApiKeyRequest {
        key_type: if all {
            fields.key_type.clone()
        } else {
            "personal".into()
        },
        key: None,
        display_name: non_empty(&fields.display_name),
        description: non_empty(&fields.description),
        system_apis: (fields.key_type == "system").then(|| fields.system_apis.clone()),
        package_permissions: (fields.key_type == "feed").then(|| fields.package_permissions.clone()),
        feed: (fields.key_type == "feed")
            .then(|| non_empty(&fields.feed))
            .flatten(),
        feed_group: None,
        user: if all && personal {
            non_empty(&fields.user)
        } else {
            None
        },
        expiration: non_empty(&fields.expiration),
    };
    match service::create(&state, &viewer.caller, &request).await {
        Ok(created) => keys_page(&state, &viewer, all, Some(created.secret), None, None).await,
        Err(e) if matches!(e.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => Err(e.into()),
        Err(e) => Ok(with_status(
            keys_page(&state, &viewer, all, None, Some(e.message.clone()), None).await?,
            e.status,
        )),
    }
}

async fn admin_create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<KeyFields>,
) -> Result<Response, UiError> {
    create(state, viewer, true, fields).await
}

async fn own_create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<KeyFields>,
) -> Result<Response, UiError> {
    create(state, viewer, false, fields).await
}

async fn delete(state: &AppState, viewer: &Viewer, id: i64, fields: &CsrfForm) -> Result<(), UiError> {
    viewer.check_csrf(&fields.csrf)?;
    service::delete(state, &viewer.caller, Some(&id.to_string())).await?;
    Ok(())
}

async fn admin_delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(fields): Form<CsrfForm>,
) -> Result<Response, UiError> {
    delete(&state, &viewer, id, &fields).await?;
    Ok(see_other("/admin/api-keys?done=deleted"))
}

async fn own_delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(fields): Form<CsrfForm>,
) -> Result<Response, UiError> {
    viewer.require_session()?;
    delete(&state, &viewer, id, &fields).await?;
    Ok(see_other("/account/api-keys?done=deleted"))
}
