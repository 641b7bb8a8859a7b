//! The web UI: server-rendered pages (askama templates, checked at compile
//! time and escaped by default) at `/`, with a small script for dialogs,
//! copy buttons and local times.
//!
//! Pages read the viewer from the session cookie ([`session::Viewer`]) and
//! decide every permission through the same [`crate::state::AppState::authorize`]
//! as the API; writes go through the same services or API handlers, after
//! checking the form's CSRF token. The API never reads the session cookie.

pub mod actions;
pub mod admin;
pub mod assets;
pub mod feeds;
pub mod layers;
pub mod packages;
pub mod page;
pub mod session;
pub mod signin;
pub mod upload;
pub mod usage;
pub mod view;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// Every page of the UI, with the layers they share (security headers,
/// sign-in redirects, plain-text errors for the page's script).
pub fn routes() -> Router<AppState> {
    let version = "/feeds/{feed}/packages/{name}/{version}";
    Router::new()
        .route("/", get(feeds::list))
        .route("/feeds", get(feeds::list))
        .route("/feeds/{feed}", get(feeds::show))
        // The upload streams to staging within the server's own upload limit.
        .route(
            "/feeds/{feed}/upload",
            post(upload::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/feeds/{feed}/packages/{name}", get(packages::package))
        .route(version, get(packages::version))
        .route(&format!("{version}/promote"), post(actions::promote))
        .route(&format!("{version}/status"), post(actions::status))
        .route(&format!("{version}/delete"), post(actions::delete))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signout", post(signin::sign_out))
        .route("/ui/assets/{name}", get(assets::serve))
        .merge(admin::routes())
        .layer(axum::middleware::from_fn(layers::pages))
}
