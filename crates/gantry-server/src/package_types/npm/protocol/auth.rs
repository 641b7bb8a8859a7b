//! npm's sign-in: `npm login` / `npm adduser` (the CouchDB-style
//! `PUT /-/user/org.couchdb.user:{name}`), `npm whoami`, `npm logout` and
//! `npm ping`.
//!
//! Signing in checks a Gantry user's password and answers with a new
//! personal API key as the npm token, so the token acts as the user and
//! appears (and can be revoked) among the API keys. Users are not created
//! this way: an administrator creates them.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gantry_core::Principal;
use gantry_store::NewApiKey;
use serde::Deserialize;

use super::{ok_json, FEED_TYPES};
use crate::auth::credentials::{Credential, Presented};
use crate::auth::{keys, Caller};
use crate::error::{ApiError, ApiResult};
use crate::services::feeds;
use crate::state::AppState;

/// The prefix of npm's user documents.
const USER_PREFIX: &str = "org.couchdb.user:";

#[derive(Debug, Deserialize)]
struct Login {
    name: Option<String>,
    password: Option<String>,
}

/// `PUT /npm/{feed}/-/user/org.couchdb.user:{name}`: 201 with `token` for a
/// right password; 401 otherwise.
pub async fn login(
    State(state): State<AppState>,
    Path((feed, user)): Path<(String, String)>,
    request: Request,
) -> ApiResult<Response> {
    feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| ApiError::bad_request("The sign-in document is too large."))?;
    let login: Login = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("The sign-in document is not valid JSON: {e}")))?;
    let from_path = user.strip_prefix(USER_PREFIX).unwrap_or(&user).to_owned();
    let name = login.name.unwrap_or(from_path);
    let password = login
        .password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad_request("A password is required to sign in."))?;
    let mut presented = Presented::from_parts(&parts)?;
    presented.credential = Some(Credential::UserPassword {
        user: name.clone(),
        password,
    });
    let caller = Caller::authenticate(&state, presented).await.map_err(|e| {
        if e.status == StatusCode::FORBIDDEN {
            // npm expects 401 for a wrong user name or password.
            ApiError::new(StatusCode::UNAUTHORIZED, format!("Sign-in failed for '{name}': wrong user name or password. Users are created by a Gantry administrator."))
        } else {
            e
        }
    })?;
    let Principal::User { name: user_name, .. } = &caller.principal else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "Sign-in failed."));
    };
    let secret = keys::generate();
    let key = NewApiKey {
        key_hash: keys::hash(&secret),
        key_type: "personal".into(),
        display_name: format!("npm login ({user_name})"),
        description: "Created by npm login; revoked by npm logout.".into(),
        system_apis: Vec::new(),
        package_permissions: Vec::new(),
        feed_name: None,
        user_name: Some(user_name.clone()),
        expires_at: None,
    };
    let record = state.meta().create_api_key(&key, user_name).await?;
    tracing::info!(user = %user_name, key = record.id, "npm login");
    Ok(ok_json(
        StatusCode::CREATED,
        serde_json::json!({"id": format!("{USER_PREFIX}{user_name}"), "rev": "1-gantry", "token": secret}),
    ))
}

/// `GET /npm/{feed}/-/whoami`: `{"username": ...}`; 401 without credentials.
pub async fn whoami(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
) -> ApiResult<Response> {
    feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    if caller.principal == Principal::Anonymous {
        return Err(ApiError::challenge());
    }
    Ok(Json(serde_json::json!({"username": caller.user_name()})).into_response())
}

/// `DELETE /npm/{feed}/-/user/token/{token}`: `npm logout` revokes the token
/// it signed in with (only its own).
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, token)): Path<(String, String)>,
) -> ApiResult<Response> {
    feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    if caller.principal == Principal::Anonymous {
        return Err(ApiError::challenge());
    }
    let record = state
        .meta()
        .find_api_key(&keys::hash(&token))
        .await?
        .ok_or_else(|| ApiError::not_found("No such token."))?;
    let own = matches!(&caller.principal, Principal::User { name, .. } if record.user_name.as_deref() == Some(name));
    if !own {
        return Err(ApiError::forbidden("Only the token's own user may revoke it."));
    }
    state.meta().delete_api_key(record.id, caller.user_name()).await?;
    Ok(ok_json(StatusCode::OK, serde_json::json!({})))
}

/// `GET /npm/{feed}/-/ping`.
pub async fn ping(State(state): State<AppState>, Path(feed): Path<String>) -> ApiResult<Response> {
    feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    Ok(ok_json(StatusCode::OK, serde_json::json!({})))
}
