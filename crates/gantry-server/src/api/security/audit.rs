//! `/api/security/audit`: who changed what in security, newest first.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_store::time::format_millis;
use serde::Serialize;
use utoipa::ToSchema;

use super::administer;
use crate::api::listing::{announce_next_page, QueryPairs};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// The most entries one page returns.
const MAX_PAGE: i64 = 1000;

/// One security change.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityEvent {
    /// Increasing id; pass the last one as `cursor` for older entries.
    pub id: i64,
    /// When, ISO 8601 UTC.
    pub date: String,
    /// Who made the change (a user name, or `SYSTEM` for a system key).
    pub actor: String,
    /// `user.created`, `user.changed`, `user.deleted`, `group.created`,
    /// `group.changed`, `group.member-added`, `group.member-removed`,
    /// `group.deleted`, `task.created`, `task.changed`, `task.deleted`,
    /// `permission.added`, `permission.removed`, `api-key.created`,
    /// `api-key.deleted`, `security.seeded`.
    pub action: String,
    /// What was changed.
    pub subject: String,
    /// More about the change.
    pub detail: String,
}

/// Lists security changes, newest first (`limit`, default and most 1000;
/// `cursor` from `X-Gantry-Next-Cursor` for the next page).
#[utoipa::path(get, path = "/api/security/audit", tag = "security",
    params(("limit" = Option<i64>, Query, description = "entries per page"),
           ("cursor" = Option<i64>, Query, description = "continue below this id")),
    responses((status = 200, body = [SecurityEvent]), (status = 400), (status = 401), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    administer(&state, &caller)?;
    let query = QueryPairs::parse(query.as_deref())?;
    let limit = query.limit()?.unwrap_or(MAX_PAGE).min(MAX_PAGE);
    let events = state.meta().list_security_events(query.cursor()?, limit).await?;
    let (returned, last_id) = (events.len(), events.last().map(|e| e.id));
    let events: Vec<SecurityEvent> = events
        .into_iter()
        .map(|e| SecurityEvent {
            id: e.id,
            date: format_millis(e.at),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    let mut response = Json(events).into_response();
    announce_next_page(&mut response, Some(limit), returned, last_id);
    Ok(response)
}
