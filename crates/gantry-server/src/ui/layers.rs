//! What every UI response goes through: security headers with a strict
//! Content-Security-Policy (no inline script or style anywhere), a redirect
//! to the sign-in page where a page needs a signed-in user, and plain-text
//! errors for the page's own script (which shows them in its dialog).

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::page::{see_other, ErrorText};
use super::view;

/// The Content-Security-Policy of every page.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The header the page's script sends with the forms it submits.
pub const FETCH_HEADER: &str = "x-gantry-fetch";

/// Applies the UI's rules to a response.
pub async fn pages(request: Request, next: Next) -> Response {
    let from_script = request.headers().contains_key(FETCH_HEADER);
    let is_get = request.method() == axum::http::Method::GET;
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    let error = response.extensions().get::<ErrorText>().cloned();
    if let Some(ErrorText(message)) = error {
        if from_script {
            response = (response.status(), message).into_response();
        } else if response.status() == StatusCode::UNAUTHORIZED && is_get {
            response = see_other(&format!("/signin?next={}", view::enc(&target)));
        }
    }
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages show what this viewer may see: never keep them in shared caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
