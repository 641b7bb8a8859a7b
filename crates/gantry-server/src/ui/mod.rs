//! The web UI: server-rendered pages (askama templates, checked at compile
//! time and escaped by default) at `/`, with a small script for dialogs,
//! copy buttons and local times.
//!
//! Pages read the viewer from the session cookie ([`session::Viewer`]) and
//! decide every permission through the same [`crate::state::AppState::authorize`]
//! as the API; writes go through the same services as the API, after
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

use axum::http::Method;

use crate::api::routes::Routes;

/// Every page of the UI, with the layers they share (security headers,
/// sign-in redirects, plain-text errors for the page's script). They are in
/// the route table, so the authorization matrix walks them too.
pub fn routes() -> Routes {
    let version = "/feeds/{feed}/packages/{name}/{version}";
    Routes::default()
        .get("/", feeds::list)
        .get("/feeds", feeds::list)
        .get("/feeds/{feed}", feeds::show)
        // The upload streams to staging within the server's own upload limit,
        // once the caller is known to be allowed to publish.
        .add_with("/feeds/{feed}/upload", &[Method::POST], upload::upload, |r| {
            r.layer(axum::extract::DefaultBodyLimit::disable())
        })
        .get("/feeds/{feed}/packages/{name}", packages::package)
        .get(version, packages::version)
        .post(&format!("{version}/promote"), actions::promote)
        .post(&format!("{version}/status"), actions::status)
        .post(&format!("{version}/delete"), actions::delete)
        .get("/signin", signin::form)
        .post("/signin", signin::submit)
        .post("/signout", signin::sign_out)
        .get("/ui/assets/{name}", assets::serve)
        .merge(admin::routes())
        .layer_all(|router| router.layer(axum::middleware::from_fn(layers::pages)))
}
