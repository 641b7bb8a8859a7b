//! What every page shares: the layout's context, rendering, and errors
//! shown as pages.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use gantry_core::Attribute;
use gantry_store::StoreError;

use super::session::Viewer;
use crate::error::ApiError;
use crate::state::AppState;

/// The layout's context: title, who is signed in, the form token, and
/// which menu entries to show.
#[derive(Clone, Debug)]
pub struct Page {
    /// The page's title (the site name is added).
    pub title: String,
    /// The signed-in user, if any.
    pub user: Option<String>,
    /// The CSRF token forms must carry (empty when not signed in).
    pub csrf: String,
    /// Whether to show the administration menu (the viewer may manage
    /// feeds and connectors, or the server).
    pub admin: bool,
    /// The menu entry to mark as current: `feeds` or `admin`.
    pub section: &'static str,
    /// A one-line notice shown at the top (after a change succeeded).
    pub notice: Option<String>,
    /// Gantry's version, for the footer.
    pub version: &'static str,
}

impl Page {
    /// The context for `viewer`.
    pub fn new(state: &AppState, viewer: &Viewer, title: impl Into<String>, section: &'static str) -> Self {
        Self {
            title: title.into(),
            user: viewer.user_name().map(str::to_owned),
            csrf: viewer
                .session
                .as_ref()
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default(),
            admin: [Attribute::Administer, Attribute::ManageFeeds]
                .into_iter()
                .any(|a| viewer.may_act(state, a, None)),
            section,
            notice: None,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// Adds a notice.
    #[must_use]
    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice.filter(|n| !n.is_empty());
        self
    }
}

/// Renders a template into an HTML answer.
pub fn render(template: &impl Template) -> Result<Response, UiError> {
    let html = template
        .render()
        .map_err(|e| UiError::from(ApiError::internal("cannot render the page", &e)))?;
    Ok(Html(html).into_response())
}

/// An error shown as a page, with its HTTP status. A 401 becomes a
/// redirect to the sign-in page (see `ui::layers`).
#[derive(Debug, Clone)]
pub struct UiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for the viewer.
    pub message: String,
}

/// Marks a response as an error with this message, so that requests from
/// the page's script get the plain text instead of the page.
#[derive(Clone, Debug)]
pub struct ErrorText(pub String);

impl UiError {
    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A store failure.
    pub fn from_store(error: StoreError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<ApiError> for UiError {
    fn from(error: ApiError) -> Self {
        Self::new(error.status, error.message)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            status: self.status.as_u16(),
            reason: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
        };
        let body = page.render().unwrap_or_else(|_| self.message.clone());
        let mut response = (self.status, Html(body)).into_response();
        response.extensions_mut().insert(ErrorText(self.message));
        response
    }
}

/// A `303 See Other` to `location` (after a form was handled).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    #[tokio::test]
    async fn error_pages_escape_what_they_quote() {
        let response = UiError::not_found("Feed '<script>alert(1)</script>' does not exist.").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{html}"
        );
        assert!(!html.contains("<script>alert"));
    }
}
