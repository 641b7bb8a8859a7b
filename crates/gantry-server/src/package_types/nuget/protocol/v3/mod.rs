//! The NuGet v3 JSON API under `/nuget/{feed}/v3/`: the service index, the
//! flat container (PackageBaseAddress), registrations, a catalog entry per
//! version, and search with autocomplete.

mod catalog;
mod flat;
mod index;
mod registration;
mod search;

use axum::http::Method;

use crate::api::routes::Routes;

/// The v3 routes.
pub fn routes() -> Routes {
    Routes::default()
        .add(
            "/nuget/{feed}/v3/index.json",
            &[Method::GET],
            index::service_index,
        )
        .add(
            "/nuget/{feed}/v3/flatcontainer/{id}/index.json",
            &[Method::GET],
            flat::versions,
        )
        .add(
            "/nuget/{feed}/v3/flatcontainer/{id}/{version}/{file}",
            &[Method::GET],
            flat::content,
        )
        .add(
            "/nuget/{feed}/v3/registrations/{id}/index.json",
            &[Method::GET],
            registration::index,
        )
        .add(
            "/nuget/{feed}/v3/registrations/{id}/page/{lower}/{upper}",
            &[Method::GET],
            registration::page,
        )
        .add(
            "/nuget/{feed}/v3/registrations/{id}/{leaf}",
            &[Method::GET],
            registration::leaf,
        )
        .add(
            "/nuget/{feed}/v3/catalog/{id}/{entry}",
            &[Method::GET],
            catalog::entry,
        )
        .add("/nuget/{feed}/v3/search", &[Method::GET], search::search)
        .add(
            "/nuget/{feed}/v3/autocomplete",
            &[Method::GET],
            search::autocomplete,
        )
}

/// Strips a required `.json` suffix from a path segment (`1.0.0.json`).
fn strip_json(segment: &str) -> Option<&str> {
    segment.strip_suffix(".json").filter(|s| !s.is_empty())
}
