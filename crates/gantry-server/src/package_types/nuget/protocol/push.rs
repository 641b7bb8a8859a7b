//! Pushing (`PUT`), unlisting (`DELETE`) and relisting (`POST`) NuGet
//! packages, the same for v2 and v3 clients.
//!
//! `nuget push` sends `PUT {source}/api/v2/package/` for a v2 source and
//! `PUT {PackagePublish}/` for a v3 one; Gantry's PackagePublish resource is
//! the feed root, so both land here. The body is `multipart/form-data` with
//! the `.nupkg` as its one part, sent chunked without a `Content-Length`.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use gantry_core::Attribute;
use gantry_formats::nuget::{self, NuGet};
use gantry_formats::PackageId;
use gantry_store::{PackageStatusChange, StagedBlob};

use super::{find_entry, FEED_TYPES, NUSPEC_QUALIFIER};
use crate::api::routes::Routes;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::protocols::upload::{check_may_upload, stage_body, stage_stream};
use crate::services::publish::{publish, ParsedPackage};
use crate::services::{feeds, packages};
use crate::state::AppState;

/// Push, unlist and relist routes.
pub fn routes() -> Routes {
    let unlimited = |r: axum::routing::MethodRouter<AppState>| r.layer(DefaultBodyLimit::disable());
    Routes::default()
        .add_with("/nuget/{feed}/", &[Method::PUT], push, unlimited)
        .add_with("/nuget/{feed}/api/v2/package", &[Method::PUT], push, unlimited)
        .add_with("/nuget/{feed}/api/v2/package/", &[Method::PUT], push, unlimited)
        .add("/nuget/{feed}/{id}/{version}", &[Method::DELETE], unlist)
        .add("/nuget/{feed}/{id}/{version}", &[Method::POST], relist)
        .add(
            "/nuget/{feed}/api/v2/package/{id}/{version}",
            &[Method::DELETE],
            unlist,
        )
        .add(
            "/nuget/{feed}/api/v2/package/{id}/{version}",
            &[Method::POST],
            relist,
        )
}

/// `PUT /nuget/{feed}/`: stores the pushed `.nupkg`. 201 when stored, 409
/// when the version exists (and the caller may not overwrite), 400 with the
/// reason for a malformed package.
async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Path(feed): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(&state, &feed, FEED_TYPES).await?;
    check_may_upload(&state, &caller, &feed)?;
    let staged = receive_package(&state, request).await?;
    let parsed = parse_nupkg(&state, &staged).await?;
    let record = publish(&state, &caller, &feed, &NuGet, staged, parsed).await?;
    Ok((
        StatusCode::CREATED,
        format!(
            "Package {} {} was added to feed '{}'.",
            record.name, record.version, feed.settings.name
        ),
    )
        .into_response())
}

/// Reads a staged `.nupkg` into what publish stores: the manifest as JSON
/// and the `.nuspec` as an extra file. Pushes and connector fetches alike.
pub(crate) async fn parse_nupkg(state: &AppState, staged: &StagedBlob) -> ApiResult<ParsedPackage> {
    let path = staged.path().to_path_buf();
    let contents = tokio::task::spawn_blocking(move || nuget::read_package(&path))
        .await
        .map_err(|e| ApiError::internal("package validation failed", &e))?
        .map_err(|e| ApiError::bad_request(e.0))?;
    let nuspec_blob = stage_stream(
        state,
        futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(contents.nuspec_xml))]),
    )
    .await?;
    let nuspec = contents.nuspec;
    let metadata =
        serde_json::to_value(&nuspec).map_err(|e| ApiError::internal("could not store the manifest", &e))?;
    // The name the flat container serves it under.
    let nuspec_name = format!("{}.nuspec", nuspec.id.to_lowercase());
    let id = PackageId {
        group: String::new(),
        name: nuspec.id.clone(),
    };
    Ok(
        ParsedPackage::new(id, nuspec.version.clone(), metadata).with_extra_file(
            NUSPEC_QUALIFIER,
            nuspec_name,
            nuspec_blob,
        ),
    )
}

/// The package from a push body: the first part of a multipart body (what
/// every NuGet client sends), or the whole body when it is not multipart.
async fn receive_package(state: &AppState, request: Request) -> ApiResult<StagedBlob> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/"));
    if !is_multipart {
        let (parts, body) = request.into_parts();
        return stage_body(state, &parts.headers, Body::new(body)).await;
    }
    let mut multipart = Multipart::from_request(request, state).await.map_err(|e| {
        ApiError::bad_request(format!("The push body is not valid multipart: {}", e.body_text()))
    })?;
    let field = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("The push body is not valid multipart: {e}")))?
        .ok_or_else(|| ApiError::bad_request("The push body holds no package."))?;
    stage_stream(state, field.map_err(|e| e.to_string())).await
}

/// `DELETE /nuget/{feed}/{id}/{version}`: unlists the version, as nuget.org
/// does. It still restores by exact version; it no longer shows in search,
/// `nuget list` or "latest". Deleting for good is the packages API's
/// `POST /api/packages/{feed}/delete`.
async fn unlist(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, id, version)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    set_listed(&state, &caller, &feed, &id, &version, false).await
}

/// `POST /nuget/{feed}/{id}/{version}`: relists an unlisted version.
async fn relist(
    State(state): State<AppState>,
    caller: Caller,
    Path((feed, id, version)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    set_listed(&state, &caller, &feed, &id, &version, true).await
}

async fn set_listed(
    state: &AppState,
    caller: &Caller,
    feed: &str,
    id: &str,
    version: &str,
    listed: bool,
) -> ApiResult<Response> {
    let feed = feeds::find_for_protocol(state, feed, FEED_TYPES).await?;
    state.authorize(caller, Attribute::UnlistPackage, Some(&feed))?;
    let entry = find_entry(state, &feed, id, version).await?;
    let change = PackageStatusChange {
        listed: Some(listed),
        ..PackageStatusChange::default()
    };
    packages::set_status(state, caller, &feed, &entry.record, &change).await?;
    let what = if listed { "relisted" } else { "unlisted" };
    Ok((
        StatusCode::OK,
        format!("Package {} {} was {what}.", entry.id(), entry.record.version),
    )
        .into_response())
}
