//! Who is looking at a page: the sign-in session behind the cookie, and the
//! CSRF token every form of that session carries.
//!
//! The cookie holds a random token; the store keeps its SHA-256, so sessions
//! work on every node and a copy of the database signs nobody in. The store
//! only answers for sessions whose user is still enabled and whose password
//! is unchanged since sign-in. API endpoints never read this cookie: a
//! browser session cannot be used to script the API across sites.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use gantry_core::Principal;
use gantry_store::time::now_millis;
use gantry_store::NewSession;

use super::page::UiError;
use crate::auth::{keys, Caller};
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "gantry_session";
/// The cookie holding the sign-in form's CSRF token (before any session exists).
pub const SIGN_IN_COOKIE: &str = "gantry_signin";
/// When a session used at `now` ends: the idle time later, but never past
/// its absolute lifetime from `created_at`.
fn session_end(state: &AppState, created_at: i64, now: i64) -> i64 {
    let millis = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let config = state.config();
    now.saturating_add(millis(config.session_idle_secs))
        .min(created_at.saturating_add(millis(config.session_max_secs)))
}

/// The viewer of a page: their caller identity (Anonymous without a
/// session) and, when signed in, the session.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// Who, for every authorization decision.
    pub caller: Caller,
    /// The session, when signed in.
    pub session: Option<SessionInfo>,
    /// Whether the request came over HTTPS (cookies then get `Secure`).
    pub secure: bool,
}

/// A valid session.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// The signed-in user's name.
    pub user_name: String,
    /// The token this session's forms must send back.
    pub csrf_token: String,
}

impl Viewer {
    /// The signed-in user's name.
    pub fn user_name(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.user_name.as_str())
    }

    /// Refuses an anonymous viewer: a 401, which a GET turns into the
    /// sign-in page (see `ui::layers`).
    pub fn require_session(&self) -> Result<(), UiError> {
        if self.session.is_none() {
            return Err(crate::error::ApiError::challenge().into());
        }
        Ok(())
    }

    /// Whether the viewer is signed in and may act with `attribute` on
    /// `feed`: what decides whether a page offers an action, since its form
    /// needs the session's token.
    pub fn may_act(
        &self,
        state: &AppState,
        attribute: gantry_core::Attribute,
        feed: Option<&gantry_store::FeedRecord>,
    ) -> bool {
        self.session.is_some() && state.may(&self.caller, attribute, feed)
    }

    /// Refuses a form whose CSRF token is not this session's: it did not
    /// come from one of our pages (or the session ended meanwhile).
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        match &self.session {
            Some(session) if same_secret(&session.csrf_token, sent) => Ok(()),
            Some(_) => Err(UiError::new(
                StatusCode::FORBIDDEN,
                "This form did not come from this session: reload the page and try again.",
            )),
            None => Err(UiError::new(
                StatusCode::FORBIDDEN,
                "You are not signed in (or your session ended): sign in and try again.",
            )),
        }
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(expected: &str, sent: &str) -> bool {
    let (a, b) = (expected.as_bytes(), sent.as_bytes());
    a.len() == b.len() && !a.is_empty() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the client reached us over HTTPS: the configured public URL, or
/// the proxy's `X-Forwarded-Proto`.
pub fn is_secure(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .config()
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secure = is_secure(state, &parts.headers);
        let jar = CookieJar::from_headers(&parts.headers);
        let now = now_millis();
        let mut session = None;
        let mut principal = Principal::Anonymous;
        if let Some(cookie) = jar.get(SESSION_COOKIE) {
            let hash = keys::hash(cookie.value());
            if let Some(found) = state
                .meta()
                .find_session(&hash, now)
                .await
                .map_err(UiError::from_store)?
            {
                // Slide the end forward, but write at most every few minutes.
                let renewed = session_end(state, found.created_at, now);
                if renewed - found.expires_at > 5 * 60_000 {
                    state
                        .meta()
                        .extend_session(&hash, renewed)
                        .await
                        .map_err(UiError::from_store)?;
                }
                principal = Principal::User {
                    id: found.user_id,
                    name: found.user_name.clone(),
                    via_key: None,
                };
                session = Some(SessionInfo {
                    user_name: found.user_name,
                    csrf_token: found.csrf_token,
                });
            }
        }
        let caller = Caller::for_principal(state, principal).await?;
        Ok(Self {
            caller,
            session,
            secure,
        })
    }
}

/// Starts a session for a user who just signed in; returns the cookie to set.
pub async fn start(state: &AppState, user_name: &str, secure: bool) -> Result<Cookie<'static>, UiError> {
    let found = state
        .meta()
        .find_user(&user_name.to_ascii_lowercase())
        .await
        .map_err(UiError::from_store)?;
    let Some((user, _)) = found else {
        return Err(UiError::new(StatusCode::FORBIDDEN, crate::auth::BAD_SIGN_IN));
    };
    let token = keys::generate();
    state
        .meta()
        .create_session(&NewSession {
            token_hash: keys::hash(&token),
            user_id: user.id,
            password_changed_at: user.password_changed_at,
            csrf_token: keys::generate(),
            expires_at: session_end(state, now_millis(), now_millis()),
        })
        .await
        .map_err(UiError::from_store)?;
    Ok(cookie(SESSION_COOKIE, token, secure))
}

/// Ends the session behind the request's cookie, if any.
pub async fn end(state: &AppState, headers: &HeaderMap) -> Result<(), UiError> {
    if let Some(cookie) = CookieJar::from_headers(headers).get(SESSION_COOKIE) {
        state
            .meta()
            .delete_session(&keys::hash(cookie.value()))
            .await
            .map_err(UiError::from_store)?;
    }
    Ok(())
}

/// A cookie only this site's pages send back: HttpOnly, SameSite=Lax, and
/// Secure when the site is reached over HTTPS.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// A cookie that removes `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut gone = cookie(name, String::new(), secure);
    gone.make_removal();
    gone
}

/// Adds a `Set-Cookie` header for `cookie` to `response`.
pub fn append_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
