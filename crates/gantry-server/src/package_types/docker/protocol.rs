//! The OCI distribution API under `/v2/`: a feed is a namespace of the
//! registry, so `/v2/{feed}/{repository...}/manifests/{reference}` and the
//! rest of the spec's endpoints, with repository names that may hold
//! slashes (`acme/web`). One route takes every method on the feed's paths
//! and [`gantry_formats::oci::parse_registry_path`] finds the endpoint from
//! the end of the path.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use gantry_core::FeedType;
use gantry_formats::oci::{self, Endpoint, PathError};
use gantry_store::{FeedRecord, RegistryRepository};

use super::access::{self, Action};
use super::drain::{declared_length, finish_body, SharedBody};
use super::errors::{Code, RegistryError, RegistryResult};
use super::{blobs, catalog, manifests};
use crate::api::routes::Routes;
use crate::auth::Caller;
use crate::protocols::base_url::BaseUrl;
use crate::services::feeds;
use crate::state::AppState;

/// The feed types this protocol serves.
pub(crate) const FEED_TYPES: &[FeedType] = &[FeedType::Docker];

/// Every method a repository path answers.
const REPOSITORY_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::PUT,
    Method::POST,
    Method::PATCH,
    Method::DELETE,
];

/// The registry's routes.
pub fn routes() -> Routes {
    Routes::default()
        .add("/v2", &[Method::GET, Method::HEAD], access::version_check)
        .add("/v2/", &[Method::GET, Method::HEAD], access::version_check)
        .add("/v2/token", &[Method::GET], access::token)
        .add("/v2/token", &[Method::POST], access::token_form)
        .add("/v2/_catalog", &[Method::GET], catalog::catalog)
        .add_with("/v2/{feed}/{*path}", &REPOSITORY_METHODS, dispatch, |r| {
            r.layer(DefaultBodyLimit::disable())
        })
}

/// One request on a repository, with what every endpoint needs.
pub struct RepositoryRequest {
    /// The feed.
    pub feed: FeedRecord,
    /// The repository within it.
    pub repository: String,
    /// The caller.
    pub caller: Caller,
    /// The server's public URL.
    pub base: BaseUrl,
    /// The request's method, URI and headers.
    pub parts: Parts,
}

/// Reads a request's query string into `T`; one that does not read is a
/// 400 `UNSUPPORTED` saying why.
pub fn parse_query<T: serde::de::DeserializeOwned>(query: Option<&str>) -> RegistryResult<T> {
    serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|e| RegistryError::invalid(Code::Unsupported, format!("The query string is not valid: {e}")))
}

impl RepositoryRequest {
    /// The request's query string, read into `T`.
    pub fn query<T: serde::de::DeserializeOwned>(&self) -> RegistryResult<T> {
        parse_query(self.parts.uri.query())
    }

    /// Where the store keeps this repository's content.
    pub fn at(&self) -> RegistryRepository {
        RegistryRepository {
            feed_id: self.feed.id,
            feed_name: self.feed.settings.name.clone(),
            package_type: self.feed.settings.feed_type.package_type().to_owned(),
            repository: self.repository.clone(),
        }
    }

    /// The repository's name as clients write it: `{feed}/{repository}`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.feed.settings.name, self.repository)
    }

    /// The path of the repository's endpoints: `/v2/{feed}/{repository}`.
    pub fn path(&self) -> String {
        format!("/v2/{}", self.full_name())
    }

    /// The scope a challenge names for `action` on this repository.
    pub fn scope(&self, action: Action) -> String {
        access::repository_scope(&self.feed.settings.name, &self.repository, action)
    }

    /// Refuses the request unless the caller may `attribute` on the feed.
    pub fn require(
        &self,
        state: &AppState,
        attribute: gantry_core::Attribute,
        action: Action,
    ) -> RegistryResult<()> {
        access::require(
            state,
            &self.caller,
            attribute,
            &self.feed,
            &self.base,
            &self.scope(action),
        )
    }
}

async fn dispatch(
    State(state): State<AppState>,
    Path((feed_name, path)): Path<(String, String)>,
    base: BaseUrl,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let http1 = parts.version <= Version::HTTP_11;
    let declared = declared_length(&parts.headers);
    let expects_continue = parts
        .headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let body = SharedBody::new(body);
    let answer = handle(&state, &feed_name, &path, base, parts, body.reader()).await;
    let mut response = access::api_version(answer.unwrap_or_else(IntoResponse::into_response));
    if http1 && !finish_body(body, declared, expects_continue).await {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn handle(
    state: &AppState,
    feed_name: &str,
    path: &str,
    base: BaseUrl,
    parts: Parts,
    body: Body,
) -> RegistryResult<Response> {
    let parsed = oci::parse_registry_path(path).map_err(|e| match e {
        PathError::UnknownEndpoint => RegistryError::unknown(
            Code::NameUnknown,
            format!("/v2/{feed_name}/{path} is not an endpoint of the registry API."),
        ),
        PathError::NameInvalid(m) => RegistryError::invalid(Code::NameInvalid, m),
        PathError::TagInvalid(m) => RegistryError::invalid(Code::ManifestInvalid, m),
        PathError::DigestInvalid(m) => RegistryError::invalid(Code::DigestInvalid, m),
    })?;
    let action = match parts.method {
        Method::GET | Method::HEAD => Action::Pull,
        Method::DELETE => Action::Delete,
        _ => Action::Push,
    };
    let scope = access::repository_scope(feed_name, &parsed.repository, action);
    let caller = access::caller(state, &parts, &base, Some(&scope)).await?;
    let feed = feeds::find_for_protocol(state, feed_name, FEED_TYPES)
        .await
        .map_err(|e| RegistryError::from_api(e, Code::NameUnknown))?;
    let request = RepositoryRequest {
        feed,
        repository: parsed.repository,
        caller,
        base,
        parts,
    };
    let method = request.parts.method.clone();
    match (parsed.endpoint, method) {
        (Endpoint::Manifest { reference }, Method::GET | Method::HEAD) => {
            manifests::get(state, &request, &reference).await
        }
        (Endpoint::Manifest { reference }, Method::PUT) => {
            manifests::put(state, &request, &reference, body).await
        }
        (Endpoint::Manifest { reference }, Method::DELETE) => {
            manifests::delete(state, &request, &reference).await
        }
        (Endpoint::Blob { digest }, Method::GET | Method::HEAD) => blobs::get(state, &request, &digest).await,
        (Endpoint::Blob { digest }, Method::DELETE) => blobs::delete(state, &request, &digest).await,
        (Endpoint::UploadStart, Method::POST) => blobs::start_upload(state, &request, body).await,
        (Endpoint::Upload { session }, Method::PATCH) => {
            blobs::patch_upload(state, &request, &session, body).await
        }
        (Endpoint::Upload { session }, Method::PUT) => {
            blobs::finish_upload(state, &request, &session, body).await
        }
        (Endpoint::Upload { session }, Method::GET | Method::HEAD) => {
            blobs::upload_status(state, &request, &session).await
        }
        (Endpoint::Upload { session }, Method::DELETE) => {
            blobs::cancel_upload(state, &request, &session).await
        }
        (Endpoint::Tags, Method::GET | Method::HEAD) => manifests::tags(state, &request).await,
        (Endpoint::Referrers { digest }, Method::GET | Method::HEAD) => {
            manifests::referrers(state, &request, &digest).await
        }
        (_, method) => Err(RegistryError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unsupported,
            format!("{method} is not supported on {path}."),
        )),
    }
}
