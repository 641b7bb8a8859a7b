//! What Gantry's list endpoints share: reading their query strings (names
//! matched case-insensitively, several names per parameter), ISO 8601 dates,
//! `limit` and `cursor`, and announcing the next page.

use axum::http::HeaderValue;
use axum::response::Response;
use gantry_formats::PackageFormat;
use gantry_store::time::to_millis;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::{ApiError, ApiResult};
use crate::services::feeds;
use crate::state::AppState;

/// The largest page a client may ask for.
pub const MAX_LIMIT: i64 = 10_000;

/// A parsed query string.
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    /// Parses a raw query string; a malformed one is 400.
    pub fn parse(query: Option<&str>) -> ApiResult<Self> {
        serde_urlencoded::from_str(query.unwrap_or_default())
            .map(Self)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
    }

    /// The first non-empty value of any of `names` (case-insensitive).
    pub fn get(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|name| {
            self.0
                .iter()
                .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty())
                .map(|(_, v)| v.clone())
        })
    }

    /// An ISO 8601 date parameter, as Unix milliseconds.
    pub fn date(&self, name: &str) -> ApiResult<Option<i64>> {
        self.get(&[name])
            .map(|value| {
                OffsetDateTime::parse(&value, &Rfc3339)
                    .map(to_millis)
                    .map_err(|e| {
                        ApiError::bad_request(format!("{name}: '{value}' is not an ISO 8601 date: {e}"))
                    })
            })
            .transpose()
    }

    /// `limit`, from 1 to [`MAX_LIMIT`]; [`MAX_LIMIT`] when absent, so that
    /// no request makes the server read and send a whole table (the
    /// `X-Gantry-Next-Cursor` header then says where the rest starts).
    pub fn limit(&self) -> ApiResult<Option<i64>> {
        self.get(&["limit"])
            .map(|l| {
                l.parse::<i64>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("limit: '{l}' is not a number from 1 to {MAX_LIMIT}"))
                    })
            })
            .transpose()
            .map(|l| Some(l.unwrap_or(MAX_LIMIT)))
    }

    /// `cursor`, as handed out in `X-Gantry-Next-Cursor`.
    pub fn cursor(&self) -> ApiResult<Option<i64>> {
        self.get(&["cursor"])
            .map(|c| {
                c.parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!("cursor: '{c}' is not a cursor from this server"))
                })
            })
            .transpose()
    }
}

/// Adds `X-Gantry-Next-Cursor` when `limit` cut the page (it returned
/// exactly `limit` records, the last of which has id `last_id`).
pub fn announce_next_page(
    response: &mut Response,
    limit: Option<i64>,
    returned: usize,
    last_id: Option<i64>,
) {
    if let (Some(limit), Some(last)) = (limit, last_id) {
        if returned as i64 == limit {
            if let Ok(value) = HeaderValue::from_str(&last.to_string()) {
                response.headers_mut().insert("x-gantry-next-cursor", value);
            }
        }
    }
}

/// Folds package identity filters the way the stores compare them: by the
/// format of the first named feed that exists, else by lower-casing.
pub struct IdentityFilter(Option<&'static dyn PackageFormat>);

impl IdentityFilter {
    /// Uses the format of the first of `feed_names` that names a feed.
    pub async fn for_feeds(state: &AppState, feed_names: &[Option<String>]) -> Self {
        for name in feed_names.iter().flatten() {
            if let Ok(feed) = feeds::find(state, name).await {
                if let Some(format) = crate::package_types::format_for(feed.settings.feed_type) {
                    return Self(Some(format));
                }
            }
        }
        Self(None)
    }

    /// The group and name filters of a package named by `group` and
    /// `name` (a type may fold one into the other, see
    /// [`PackageFormat::identity`]).
    pub fn package(&self, group: Option<String>, name: Option<String>) -> (Option<String>, Option<String>) {
        match (self.0, group, name) {
            (Some(format), Some(group), Some(name)) => {
                let id = format.identity(&group, &name);
                let group = (format.has_groups() || !id.group.is_empty()).then_some(id.group);
                (self.group(group), self.name(Some(id.name)))
            }
            (_, group, name) => (self.group(group), self.name(name)),
        }
    }

    /// A group filter.
    pub fn group(&self, group: Option<String>) -> Option<String> {
        group.map(|g| self.0.map_or_else(|| g.to_ascii_lowercase(), |f| f.group_key(&g)))
    }

    /// A name filter.
    pub fn name(&self, name: Option<String>) -> Option<String> {
        name.map(|n| self.0.map_or_else(|| n.to_ascii_lowercase(), |f| f.name_key(&n)))
    }

    /// A version filter; a version the format refuses is 400.
    pub fn version(&self, version: Option<String>) -> ApiResult<Option<String>> {
        version
            .map(|v| match self.0 {
                Some(f) => f.version_key(&v).map_err(|e| ApiError::bad_request(e.0)),
                None => Ok(v.to_ascii_lowercase()),
            })
            .transpose()
    }
}
