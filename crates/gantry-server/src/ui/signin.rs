//! Signing in and out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum_extra::extract::{CookieJar, Form};
use serde::Deserialize;

use super::page::{render, see_other, Page, UiError};
use super::session::{self, append_cookie, same_secret, Viewer, SESSION_COOKIE, SIGN_IN_COOKIE};
use crate::auth::client_address::ClientAddress;
use crate::auth::{keys, Caller};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    page: Page,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

/// Where to go after signing in: only a path on this site.
///
/// The value is judged as a browser will read it from `Location`: browsers
/// drop tabs and newlines anywhere in a URL and read `\\` as `/`, so
/// `/\t/evil.example` and `/\\evil.example` both mean `//evil.example`, another
/// site. What is kept is the normalised path, which must start with exactly
/// one `/`; anything else (or any other control character) goes home.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".to_owned();
    };
    if next
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return "/".to_owned();
    }
    let normalised: String = next
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if normalised.starts_with('/') && !normalised.starts_with("//") {
        normalised
    } else {
        "/".to_owned()
    }
}

/// The sign-in page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

fn sign_in_page(
    state: &AppState,
    viewer: &Viewer,
    next: String,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    // The form's token is also set as a cookie: a form posted from another
    // site cannot know it (no session exists yet to hold it).
    let token = keys::generate();
    let mut response = render(&SignInPage {
        page: Page::new(state, viewer, "Sign in", "signin"),
        csrf: token.clone(),
        next,
        username,
        error,
    })?;
    *response.status_mut() = status;
    append_cookie(
        &mut response,
        &session::cookie(SIGN_IN_COOKIE, token, viewer.secure),
    );
    Ok(response)
}

/// The sign-in form.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<SignInQuery>,
) -> Result<Response, UiError> {
    sign_in_page(
        &state,
        &viewer,
        safe_next(query.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Checks the credentials and starts a session.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    client: Option<Extension<ClientAddress>>,
    Form(form): Form<SignInForm>,
) -> Result<Response, UiError> {
    let jar = CookieJar::from_headers(&headers);
    let expected = jar
        .get(SIGN_IN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !same_secret(&expected, &form.csrf) {
        return Err(UiError::new(
            StatusCode::FORBIDDEN,
            "This sign-in form did not come from this site (or cookies are off): reload the page and try again.",
        ));
    }
    let next = safe_next(Some(&form.next));
    let address = client.map(|c| (c.0).0);
    match Caller::sign_in(&state, form.username.trim(), &form.password, address).await {
        Ok(caller) => {
            // Any earlier session of this browser ends here: a new sign-in
            // never reuses a token someone else may have planted.
            session::end(&state, &headers).await?;
            let cookie = session::start(&state, caller.user_name(), viewer.secure).await?;
            let mut response = see_other(&next);
            append_cookie(&mut response, &cookie);
            append_cookie(&mut response, &session::removal(SIGN_IN_COOKIE, viewer.secure));
            Ok(response)
        }
        Err(e) => {
            let mut response = sign_in_page(
                &state,
                &viewer,
                next,
                form.username,
                Some(e.message.clone()),
                e.status,
            )?;
            if let Some(wait) = e.retry_after {
                if let Ok(value) = wait.to_string().parse() {
                    response
                        .headers_mut()
                        .insert(axum::http::header::RETRY_AFTER, value);
                }
            }
            Ok(response)
        }
    }
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    csrf: String,
}

/// Ends the session.
pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Result<Response, UiError> {
    if viewer.session.is_some() {
        viewer.check_csrf(&form.csrf)?;
        session::end(&state, &headers).await?;
    }
    let mut response = see_other("/");
    append_cookie(&mut response, &session::removal(SESSION_COOKIE, viewer.secure));
    Ok(response.into_response())
}
