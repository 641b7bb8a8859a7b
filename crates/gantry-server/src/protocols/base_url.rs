//! The URL clients reach this server at, for the absolute links that package
//! protocols put in their documents (NuGet's service index, npm's tarball URLs).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// `scheme://host[:port]` without a trailing slash: the configured
/// `public_url`, else `http://` and the request's `Host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(pub String);

impl BaseUrl {
    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a `Host` header is a plain host name or address with an optional
/// port: anything else could inject markup or links into documents.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
}

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(url) = &state.config().public_url {
            return Ok(Self(url.clone()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| parts.uri.authority().map(axum::http::uri::Authority::as_str))
            .ok_or_else(|| ApiError::bad_request("The request has no Host header."))?;
        if !is_plain_host(host) {
            return Err(ApiError::bad_request("The Host header is not a valid host name."));
        }
        Ok(Self(format!("http://{host}")))
    }
}

#[cfg(test)]
mod tests {
    use super::is_plain_host;

    #[test]
    fn only_plain_hosts_are_used_in_links() {
        for good in ["127.0.0.1:8624", "pkgs.example.com", "[::1]:80", "my_host"] {
            assert!(is_plain_host(good), "{good}");
        }
        for bad in ["", "a/b", "evil.com\"><x", "a b", "host?x"] {
            assert!(!is_plain_host(bad), "{bad}");
        }
    }
}
