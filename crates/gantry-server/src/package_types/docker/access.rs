//! Who calls the registry, and the bearer token flow registry clients follow.
//!
//! A client without credentials is answered 401 with a `Bearer` challenge
//! naming the token endpoint (`/v2/token`), the service and the scope it
//! needs. The token endpoint takes what the client has — basic credentials
//! (`api:KEY` or a user and password), or nothing for Anonymous — and hands
//! out a short-lived random token standing for those credentials. A token
//! carries every right its credentials have (they are decided afresh on each
//! request), so one token serves a whole pull or push; a right they lack is
//! a 403 `DENIED`, never a 401 that would send the client for a token that
//! cannot help. Basic credentials and API keys are accepted directly too.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_core::{Attribute, Principal};
use gantry_store::time::now_millis;
use gantry_store::{FeedRecord, NewRegistryToken, TokenHolder};
use serde::Deserialize;
use serde_json::json;

use super::errors::{Code, RegistryError, RegistryResult};
use crate::auth::credentials::{Credential, Presented, REGISTRY_TOKEN_PREFIX};
use crate::auth::{keys, Caller};
use crate::error::ApiError;
use crate::protocols::base_url::BaseUrl;
use crate::state::AppState;

/// How long a registry token is valid.
pub const TOKEN_SECONDS: i64 = 900;

/// What a request wants of a repository, as the challenge's scope says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read manifests, blobs, tags.
    Pull,
    /// Write blobs and manifests.
    Push,
    /// Delete manifests, tags, blobs.
    Delete,
}

impl Action {
    fn scope_actions(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "pull,push",
            Self::Delete => "delete",
        }
    }
}

/// The `WWW-Authenticate` challenge for `scope` (`repository:feed/repo:pull`);
/// the service tokens are issued for is the server's host and port.
pub fn challenge(base: &BaseUrl, scope: Option<&str>) -> String {
    let service = super::registry_host(base.as_str());
    let value = format!(
        "Bearer realm=\"{}/v2/token\",service=\"{service}\"",
        base.as_str()
    );
    match scope {
        Some(scope) => format!("{value},scope=\"{scope}\""),
        None => value,
    }
}

/// The scope of a repository for an action.
pub fn repository_scope(feed: &str, repository: &str, action: Action) -> String {
    format!("repository:{feed}/{repository}:{}", action.scope_actions())
}

/// A 401 with the challenge for `scope`.
pub fn unauthorized(base: &BaseUrl, scope: Option<&str>, message: impl Into<String>) -> RegistryError {
    RegistryError {
        challenge: Some(challenge(base, scope)),
        ..RegistryError::new(StatusCode::UNAUTHORIZED, Code::Unauthorized, message)
    }
}

/// The caller of a registry request. Credentials that do not sign in are a
/// 401 with a challenge (clients then ask for a token), not a 403.
pub async fn caller(
    state: &AppState,
    parts: &Parts,
    base: &BaseUrl,
    scope: Option<&str>,
) -> RegistryResult<Caller> {
    let presented = Presented::from_parts(parts).map_err(|e| unauthorized(base, scope, e.message))?;
    authenticate(state, presented, base, scope).await
}

async fn authenticate(
    state: &AppState,
    presented: Presented,
    base: &BaseUrl,
    scope: Option<&str>,
) -> RegistryResult<Caller> {
    match Caller::authenticate(state, presented).await {
        Ok(caller) => Ok(caller),
        Err(e) if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) => {
            Err(unauthorized(base, scope, e.message))
        }
        Err(e) => Err(e.into()),
    }
}

/// The authorization point for registry requests: Anonymous is challenged,
/// anyone else refused with 403 `DENIED`.
pub fn require(
    state: &AppState,
    caller: &Caller,
    attribute: Attribute,
    feed: &FeedRecord,
    base: &BaseUrl,
    scope: &str,
) -> RegistryResult<()> {
    match state.authorize(caller, attribute, Some(feed)) {
        Ok(()) => Ok(()),
        Err(e)
            if e.status == StatusCode::UNAUTHORIZED || matches!(caller.principal, Principal::Anonymous) =>
        {
            Err(unauthorized(base, Some(scope), e.message))
        }
        Err(e) => Err(RegistryError::from_api(e, Code::Denied)),
    }
}

/// The `GET /v2/` answer: 200 to a caller whose credentials sign in, a 401
/// challenge to one without (which is how clients learn where tokens come
/// from, as with every registry that has authentication).
pub async fn version_check(State(state): State<AppState>, base: BaseUrl, parts: Parts) -> Response {
    let answer = async {
        let presented = Presented::from_parts(&parts).map_err(|e| unauthorized(&base, None, e.message))?;
        if presented.credential.is_none() {
            return Err(unauthorized(
                &base,
                None,
                "Authentication is required: ask the token endpoint.",
            ));
        }
        authenticate(&state, presented, &base, None).await?;
        Ok::<_, RegistryError>(api_version((StatusCode::OK, "{}").into_response()))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// Adds the header every registry answer carries, with a JSON type for an
/// answer that has none.
pub fn api_version(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    headers
        .entry(header::CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/json"));
    response
}

/// The token endpoint's form (`POST`, the OAuth2 password grant). Its
/// `service` and `scope` are not needed: a token carries every right of its
/// credentials, decided on each request.
#[derive(Debug, Default, Deserialize)]
pub struct TokenRequest {
    /// For the OAuth2 form: `password` (or `refresh_token`, not supported).
    pub grant_type: Option<String>,
    /// For the OAuth2 form.
    pub username: Option<String>,
    /// For the OAuth2 form.
    pub password: Option<String>,
}

/// `GET /v2/token`: a token for the basic credentials sent (or Anonymous).
pub async fn token(State(state): State<AppState>, base: BaseUrl, parts: Parts) -> Response {
    match Presented::from_parts(&parts) {
        Ok(presented) => issue(&state, presented, &base).await,
        Err(e) => Err(unauthorized(&base, None, e.message)),
    }
    .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /v2/token`: the OAuth2 password grant some clients use.
pub async fn token_form(
    State(state): State<AppState>,
    base: BaseUrl,
    parts: Parts,
    axum::Form(form): axum::Form<TokenRequest>,
) -> Response {
    let answer = async {
        if form.grant_type.as_deref() != Some("password") {
            return Err(RegistryError::invalid(
                Code::Unsupported,
                "Only the password grant is supported: send grant_type=password with username and password.",
            ));
        }
        let (Some(user), Some(password)) = (form.username, form.password) else {
            return Err(RegistryError::invalid(
                Code::Unsupported,
                "The password grant needs username and password.",
            ));
        };
        let credential = if user.eq_ignore_ascii_case("api") {
            Credential::ApiKey(password)
        } else {
            Credential::UserPassword { user, password }
        };
        let mut presented = Presented::from_parts(&parts).unwrap_or_default();
        presented.credential = Some(credential);
        issue(&state, presented, &base).await
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

async fn issue(state: &AppState, presented: Presented, base: &BaseUrl) -> RegistryResult<Response> {
    let holder =
        match &presented.credential {
            // A user's holder is filled in once the password is checked.
            None | Some(Credential::UserPassword { .. }) => TokenHolder::Anonymous,
            Some(Credential::ApiKey(secret)) => TokenHolder::ApiKey(keys::hash(secret)),
            Some(Credential::RegistryToken(_)) => return Err(unauthorized(
                base,
                None,
                "A registry token cannot be exchanged for another: send the credentials it was made from.",
            )),
        };
    let caller = authenticate(state, presented.clone(), base, None).await?;
    let holder = match (holder, &caller.principal) {
        (TokenHolder::Anonymous, Principal::User { id, name, .. }) => {
            let found = state.meta().find_user(&name.to_ascii_lowercase()).await?;
            let (record, _) = found.ok_or_else(|| unauthorized(base, None, crate::auth::BAD_SIGN_IN))?;
            TokenHolder::User {
                id: *id,
                name: name.clone(),
                password_changed_at: record.password_changed_at,
            }
        }
        (holder, _) => holder,
    };
    let secret = format!("{REGISTRY_TOKEN_PREFIX}{}", keys::generate());
    let now = now_millis();
    state
        .meta()
        .create_registry_token(&NewRegistryToken {
            token_hash: keys::hash(&secret),
            holder,
            expires_at: now + TOKEN_SECONDS * 1000,
        })
        .await
        .map_err(ApiError::from)?;
    let issued_at = time::OffsetDateTime::from_unix_timestamp(now / 1000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let body = json!({
        "token": secret,
        "access_token": secret,
        "expires_in": TOKEN_SECONDS,
        "issued_at": issued_at,
    });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(api_version(response))
}
