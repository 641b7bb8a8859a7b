//! The npm registry protocol under `/npm/{feed}/`, the registry URL a user
//! puts in `.npmrc`.
//!
//! Package names arrive either escaped in one segment (`@acme%2fwidget`, as
//! npm sends them) or as two (`@acme/widget`), so the package routes take
//! the rest of the path and [`PackagePath`] reads it. The scope, with its
//! `@`, is the package's group everywhere in Gantry. Errors are answered as
//! npm expects them: JSON `{"error": "..."}` with the status.

mod auth;
mod dist_tags;
mod packument;
mod publish;
mod search;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::MethodRouter;
use gantry_core::FeedType;
use gantry_formats::npm::{self, Npm};
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::{FeedRecord, PackageQuery, PackageRecord};

use crate::api::routes::Routes;
use crate::error::{ApiError, ApiResult};
use crate::protocols::base_url::BaseUrl;
use crate::state::AppState;

/// The feed types served by the npm protocol.
pub const FEED_TYPES: &[FeedType] = &[FeedType::Npm];

/// Every npm route.
pub fn routes() -> Routes {
    let json_errors = |r: MethodRouter<AppState>| r.layer(map_response(npm_errors));
    let publishing = |r: MethodRouter<AppState>| {
        r.layer::<_, std::convert::Infallible>(DefaultBodyLimit::disable())
            .layer(map_response(npm_errors))
    };
    Routes::default()
        .add_with("/npm/{feed}/-/whoami", &[Method::GET], auth::whoami, json_errors)
        .add_with("/npm/{feed}/-/ping", &[Method::GET], auth::ping, json_errors)
        .add_with(
            "/npm/{feed}/-/user/{user}",
            &[Method::PUT],
            auth::login,
            json_errors,
        )
        .add_with(
            "/npm/{feed}/-/user/token/{token}",
            &[Method::DELETE],
            auth::logout,
            json_errors,
        )
        .add_with(
            "/npm/{feed}/-/v1/search",
            &[Method::GET],
            search::search,
            json_errors,
        )
        .add_with(
            "/npm/{feed}/-/package/{*path}",
            &[Method::GET, Method::PUT, Method::DELETE],
            dist_tags::dist_tags,
            json_errors,
        )
        .add_with("/npm/{feed}/{*path}", &[Method::GET], packument::get, json_errors)
        .add_with("/npm/{feed}/{*path}", &[Method::PUT], publish::put, publishing)
        .add_with(
            "/npm/{feed}/{*path}",
            &[Method::DELETE],
            publish::delete,
            json_errors,
        )
}

/// Rewrites Gantry's plain-text errors as the JSON npm prints.
async fn npm_errors(response: Response) -> Response {
    let is_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if response.status().as_u16() < 400 || !is_text {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let json = serde_json::json!({ "error": String::from_utf8_lossy(&text) }).to_string();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json))
}

/// A package name read from a request path, and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackagePath {
    /// The package (scope as group, with its `@`).
    pub id: PackageId,
    /// The segments after the name (`["-", "widget-1.0.0.tgz"]`, `["1.0.0"]`, ...).
    pub rest: Vec<String>,
}

impl PackagePath {
    /// Reads `@scope/name/...` or `name/...` (`%2f` already decoded to `/`).
    pub fn parse(path: &str) -> ApiResult<Self> {
        let mut segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let take = if segments.first().is_some_and(|s| s.starts_with('@')) {
            2
        } else {
            1
        };
        if segments.len() < take {
            return Err(ApiError::not_found("The path names no package."));
        }
        let rest = segments.split_off(take);
        let id = npm::split_name(&segments.join("/")).map_err(|e| ApiError::bad_request(e.0))?;
        Npm.validate_id(&id).map_err(|e| ApiError::bad_request(e.0))?;
        Ok(Self { id, rest })
    }

    /// The version a tarball file name of this package names
    /// (`widget-1.0.0.tgz` → `1.0.0`), as npm names tarballs; `None` for
    /// another file name.
    pub fn tarball_version<'a>(&self, file: &'a str) -> Option<&'a str> {
        file.strip_suffix(".tgz")
            .and_then(|stem| stem.strip_prefix(self.id.name.as_str()))
            .and_then(|rest| rest.strip_prefix('-'))
    }

    /// The full name (`@acme/widget`).
    pub fn full_name(&self) -> String {
        npm::full_name(&self.id.group, &self.id.name)
    }
}

/// Every stored version of a package in a feed, oldest first by SemVer.
pub async fn versions_of(
    state: &AppState,
    feed: &FeedRecord,
    id: &PackageId,
) -> ApiResult<Vec<PackageRecord>> {
    let query = PackageQuery {
        group_key: Some(Npm.group_key(&id.group)),
        name_key: Some(Npm.name_key(&id.name)),
        version_key: None,
    };
    let mut records = state.meta().find_packages(feed.id, &query).await?;
    records.sort_by(|a, b| Npm.compare_versions(&a.version, &b.version));
    Ok(records)
}

/// Every version of a package clients see in a feed, oldest first by
/// SemVer: the stored ones, and for a proxy feed what its connectors offer
/// (remote records, not stored yet).
pub async fn visible_versions(
    state: &AppState,
    feed: &FeedRecord,
    id: &PackageId,
) -> ApiResult<Vec<PackageRecord>> {
    let mut records = crate::connectors::view::versions(state, feed, &Npm, id).await?;
    records.sort_by(|a, b| Npm.compare_versions(&a.version, &b.version));
    Ok(records)
}

/// 404 in npm's words.
pub fn package_not_found(name: &str, feed: &FeedRecord) -> ApiError {
    ApiError::not_found(format!(
        "Not found: package '{name}' is not in feed '{}'.",
        feed.settings.name
    ))
}

/// The URL of a version's tarball in this feed, as npm names it:
/// `{registry}/@scope/name/-/name-1.0.0.tgz`.
pub fn tarball_url(base: &BaseUrl, feed: &FeedRecord, group: &str, name: &str, version: &str) -> String {
    format!(
        "{}/npm/{}/{}/-/{}",
        base.as_str(),
        feed.settings.name,
        npm::full_name(group, name),
        Npm.file_name(group, name, version)
    )
}

/// `{"ok": true, ...}` answers of write endpoints.
pub fn ok_json(status: StatusCode, extra: serde_json::Value) -> Response {
    let mut body = serde_json::json!({ "ok": true });
    if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_name_and_rest() {
        let p = PackagePath::parse("@acme/widget/-/widget-1.0.0.tgz").expect("scoped");
        assert_eq!((p.id.group.as_str(), p.id.name.as_str()), ("@acme", "widget"));
        assert_eq!(p.rest, ["-", "widget-1.0.0.tgz"]);
        let p = PackagePath::parse("left-pad").expect("plain");
        assert_eq!(
            (p.id.group.as_str(), p.id.name.as_str(), p.rest.len()),
            ("", "left-pad", 0)
        );
        let p = PackagePath::parse("left-pad/1.3.0").expect("version");
        assert_eq!(p.rest, ["1.3.0"]);
        assert_eq!(p.full_name(), "left-pad");
        let p = PackagePath::parse("@acme/widget").expect("scoped");
        assert_eq!(p.tarball_version("widget-1.0.0-rc.1.tgz"), Some("1.0.0-rc.1"));
        assert_eq!(p.tarball_version("gadget-1.0.0.tgz"), None);
        assert_eq!(p.tarball_version("widget-1.0.0.zip"), None);
        assert!(PackagePath::parse("@acme").is_err());
        assert!(PackagePath::parse("").is_err());
    }
}
