//! Gantry's HTTP API (ProGet-compatible where ProGet has the endpoint) and
//! the application router that puts every route together.
//!
//! API routes are registered through utoipa's router, so each one is in
//! the OpenAPI document at `/api/openapi.json` by construction.

pub mod api_keys;
pub mod connectors;
pub mod deployments;
pub mod error_docs;
pub mod extract;
pub mod feeds;
pub mod health;
pub mod listing;
pub mod packages;
pub mod promotions;
pub mod routes;
pub mod security;

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, Response};
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;
use routes::{RouteEntry, Routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "Gantry", description = "Gantry's HTTP API: feeds, packages, promotions and API keys (ProGet-compatible)."),
    tags(
        (name = "feeds", description = "Feed management"),
        (name = "connectors", description = "Connectors: upstream registries feeds proxy"),
        (name = "packages", description = "Packages of any feed type"),
        (name = "promotions", description = "Promoting packages between feeds, and the record of it"),
        (name = "deployments", description = "Where package versions are deployed"),
        (name = "api-keys", description = "API keys"),
        (name = "security", description = "Users, groups, tasks, permissions and the audit trail"),
        (name = "health", description = "Liveness for load balancers"),
    )
)]
struct ApiDoc;

/// The OpenAPI document and the API routes, built together.
fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(feeds::create))
        .routes(routes!(feeds::list))
        .routes(routes!(feeds::get))
        .routes(routes!(feeds::update))
        .routes(routes!(feeds::delete))
        .routes(routes!(connectors::create))
        .routes(routes!(connectors::list))
        .routes(routes!(connectors::get))
        .routes(routes!(connectors::update))
        .routes(routes!(connectors::delete))
        .routes(routes!(packages::versions))
        .routes(routes!(packages::latest))
        .routes(routes!(packages::upload))
        .routes(routes!(packages::download))
        .routes(routes!(packages::delete))
        .routes(routes!(packages::status))
        .routes(routes!(packages::history))
        .routes(routes!(promotions::promote))
        .routes(routes!(promotions::list))
        .routes(routes!(deployments::record))
        .routes(routes!(deployments::list))
        .routes(routes!(deployments::targets))
        .routes(routes!(api_keys::create))
        .routes(routes!(api_keys::list))
        .routes(routes!(api_keys::delete))
        .routes(routes!(security::users::list))
        .routes(routes!(security::users::show))
        .routes(routes!(security::users::add))
        .routes(routes!(security::users::update))
        .routes(routes!(security::users::delete))
        .routes(routes!(security::groups::list))
        .routes(routes!(security::groups::members))
        .routes(routes!(security::groups::add))
        .routes(routes!(security::groups::update))
        .routes(routes!(security::groups::add_member))
        .routes(routes!(security::groups::remove_member))
        .routes(routes!(security::groups::delete))
        .routes(routes!(security::tasks::list))
        .routes(routes!(security::tasks::attributes))
        .routes(routes!(security::tasks::add))
        .routes(routes!(security::tasks::update))
        .routes(routes!(security::tasks::delete))
        .routes(routes!(security::permissions::list))
        .routes(routes!(security::permissions::add))
        .routes(routes!(security::permissions::delete))
        .routes(routes!(security::audit::list))
        .split_for_parts();
    let (router, mut doc) = api;
    error_docs::document_error_bodies(&mut doc);
    (router, doc)
}

/// The OpenAPI document of Gantry's API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().1
}

/// The routes outside the OpenAPI document: aliases, the document itself,
/// and every package protocol.
fn other_routes() -> Routes {
    Routes::default()
        // ProGet's URL ends with a slash; accept it without too.
        .add("/api/package-deployment", &[Method::POST], deployments::record)
        // ProGet scripts also delete feeds with POST.
        .add(
            "/api/management/feeds/delete/{name}",
            &[Method::POST],
            feeds::delete,
        )
        .add("/api/openapi.json", &[Method::GET], openapi_document)
        .merge(crate::package_types::routes())
        .merge(crate::ui::routes())
}

async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(openapi).clone())
}

/// Every endpoint the server answers: the OpenAPI document's operations and
/// the other routes, sorted.
pub fn route_table() -> Vec<RouteEntry> {
    let mut table = other_routes().into_parts().1;
    for (path, item) in &openapi().paths.paths {
        let operations = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::DELETE, item.delete.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::HEAD, item.head.is_some()),
        ];
        table.extend(
            operations
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(method, _)| RouteEntry {
                    method,
                    path: path.clone(),
                }),
        );
    }
    table.sort();
    table.dedup();
    table
}

/// The Content-Security-Policy of every answer that is not a UI page: a
/// document rendered from it runs no script and loads nothing.
pub const INERT_CONTENT_POLICY: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

/// The whole application: API, protocols, and the layers every request goes through.
pub fn app(state: AppState) -> Router {
    let (api, _) = api_routes();
    let (others, _) = other_routes().into_parts();
    api.merge(others)
        .fallback(|| async { ApiError::not_found("There is nothing at this address.") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::client_address::resolve,
        ))
        .layer(
            TraceLayer::new_for_http()
                // One span per request, named by the matched route: the path
                // template, never the query string, which may hold a key.
                .make_span_with(|request: &Request| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str)
                        .to_owned();
                    tracing::info_span!("request", method = %request.method(), route = %route, status = tracing::field::Empty)
                })
                .on_request(())
                .on_response(|response: &Response<_>, latency: Duration, span: &Span| {
                    span.record("status", response.status().as_u16());
                    tracing::info!(status = response.status().as_u16(), latency_ms = latency.as_millis() as u64, "served");
                }),
        )
        // Much of what the server sends is bytes a publisher chose (nuspecs,
        // packuments, package files, readmes). No browser may sniff them
        // into something else, and any that a browser renders anyway (an
        // XML file with an XHTML <script>) runs sandboxed, with no script,
        // no origin and nothing loaded. Pages of the UI carry their own,
        // stricter-for-pages policy, which this layer leaves in place.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(INERT_CONTENT_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-gantry-version"),
            HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
        ))
        .with_state(state)
}
