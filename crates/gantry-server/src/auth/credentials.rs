//! Finding credentials in a request.
//!
//! In order, the first present is used:
//! - the `X-ApiKey` header: an API key, or `user:password` (pgutil sends a
//!   user's credentials this way; API keys never contain `:`),
//! - the `X-NuGet-ApiKey` header (what NuGet clients push with),
//! - the `key` query parameter,
//! - the `Authorization` header: `Basic` with the user `api` and a key as
//!   the password, or any other user and their password; `Bearer` with a key
//!   (what npm sends as `_authToken`), or a registry token the Docker
//!   token endpoint handed out (`grt_…`).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine;

use crate::error::ApiError;

/// What a request presented: its credentials and where it came from.
#[derive(Clone, Debug, Default)]
pub struct Presented {
    /// The credentials, if any.
    pub credential: Option<Credential>,
    /// The client's address (for throttling password guesses).
    pub address: Option<IpAddr>,
}

impl Presented {
    /// Reads the headers, the query string and the peer address; malformed
    /// credentials are a 400, never taken for anonymous.
    pub fn from_parts(parts: &Parts) -> Result<Self, ApiError> {
        let credential = find(&parts.headers, parts.uri.query()).map_err(|e| ApiError::bad_request(e.0))?;
        // The address the client-address middleware settled on (behind a
        // trusted proxy, the one it forwarded for); else the peer's.
        let address = parts
            .extensions
            .get::<super::client_address::ClientAddress>()
            .map(|client| client.0)
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|info| info.0.ip())
            });
        Ok(Self { credential, address })
    }
}

/// Credentials found in a request.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API key.
    ApiKey(String),
    /// A user name and password (basic auth with a user other than `api`).
    UserPassword { user: String, password: String },
    /// A bearer token from the registry's token endpoint.
    RegistryToken(String),
}

/// How registry tokens begin, which tells them from API keys sent as bearer
/// tokens (API keys never contain `_`).
pub const REGISTRY_TOKEN_PREFIX: &str = "grt_";

impl std::fmt::Debug for Credential {
    // Secrets never reach a log line, even by accident.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(********)"),
            Self::UserPassword { user, .. } => write!(f, "UserPassword({user}, ********)"),
            Self::RegistryToken(_) => f.write_str("RegistryToken(********)"),
        }
    }
}

/// The request carried something that looks like credentials but cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CredentialError(pub String);

/// Looks for credentials in the headers and the query string.
pub fn find(headers: &HeaderMap, query: Option<&str>) -> Result<Option<Credential>, CredentialError> {
    if let Some(value) = headers.get("x-apikey") {
        let key = value
            .to_str()
            .map_err(|_| CredentialError("the X-ApiKey header is not valid text".into()))?
            .trim();
        if let Some((user, password)) = key.split_once(':') {
            return Ok(Some(Credential::UserPassword {
                user: user.to_owned(),
                password: password.to_owned(),
            }));
        }
        if !key.is_empty() {
            return Ok(Some(Credential::ApiKey(key.to_owned())));
        }
    }
    // Headers a package type's clients send their key in (NuGet's
    // `X-NuGet-ApiKey`, say), read on every route as ProGet does.
    for header in crate::package_types::api_key_headers() {
        if let Some(value) = headers.get(header) {
            let key = value
                .to_str()
                .map_err(|_| CredentialError(format!("the {header} header is not valid text")))?
                .trim();
            if !key.is_empty() {
                return Ok(Some(Credential::ApiKey(key.to_owned())));
            }
        }
    }
    if let Some(query) = query {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        if let Some((_, key)) = pairs
            .into_iter()
            .find(|(name, value)| name == "key" && !value.is_empty())
        {
            return Ok(Some(Credential::ApiKey(key)));
        }
    }
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        return basic(value.as_bytes()).map(Some);
    }
    Ok(None)
}

fn basic(value: &[u8]) -> Result<Credential, CredentialError> {
    let bad = || CredentialError("the Authorization header is not valid basic authentication".into());
    let text = std::str::from_utf8(value).map_err(|_| bad())?;
    let (scheme, encoded) = text.trim().split_once(' ').ok_or_else(bad)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        let token = encoded.trim();
        if token.is_empty() {
            return Err(CredentialError("the Bearer token is empty".into()));
        }
        if token.starts_with(REGISTRY_TOKEN_PREFIX) {
            return Ok(Credential::RegistryToken(token.to_owned()));
        }
        return Ok(Credential::ApiKey(token.to_owned()));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(CredentialError(format!(
            "the Authorization scheme '{scheme}' is not supported here; use Basic, Bearer or an X-ApiKey header"
        )));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (user, password) = decoded.split_once(':').ok_or_else(bad)?;
    if user.eq_ignore_ascii_case("api") {
        Ok(Credential::ApiKey(password.to_owned()))
    } else {
        Ok(Credential::UserPassword {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    fn basic_header(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn reads_the_header() {
        let found = find(&headers(&[("x-apikey", "abc123")]), None).expect("readable");
        assert_eq!(found, Some(Credential::ApiKey("abc123".into())));
    }

    #[test]
    fn reads_the_query_parameter() {
        let found = find(&HeaderMap::new(), Some("name=x&key=k%2B1")).expect("readable");
        assert_eq!(found, Some(Credential::ApiKey("k+1".into())));
        assert_eq!(
            find(&HeaderMap::new(), Some("keys=x&key=")).expect("readable"),
            None
        );
    }

    #[test]
    fn reads_basic_auth_with_api_user() {
        let found = find(
            &headers(&[("authorization", &basic_header("api:s3cret:x"))]),
            None,
        )
        .expect("readable");
        assert_eq!(found, Some(Credential::ApiKey("s3cret:x".into())));
        let user = find(&headers(&[("authorization", &basic_header("alice:pw"))]), None).expect("readable");
        assert_eq!(
            user,
            Some(Credential::UserPassword {
                user: "alice".into(),
                password: "pw".into()
            })
        );
    }

    #[test]
    fn header_wins_over_query_and_basic() {
        let h = headers(&[
            ("x-apikey", "from-header"),
            ("authorization", &basic_header("api:from-basic")),
        ]);
        assert_eq!(
            find(&h, Some("key=from-query")).expect("ok"),
            Some(Credential::ApiKey("from-header".into()))
        );
    }

    #[test]
    fn malformed_authorization_is_an_error_not_anonymous() {
        assert!(find(&headers(&[("authorization", "Basic !!!")]), None).is_err());
        assert!(find(&headers(&[("authorization", "Negotiate tok")]), None).is_err());
        assert!(find(&headers(&[("authorization", "Bearer ")]), None).is_err());
        assert_eq!(find(&HeaderMap::new(), None).expect("ok"), None);
    }

    #[test]
    fn reads_pgutil_pseudo_key_bearer_and_nuget_header() {
        assert_eq!(
            find(&headers(&[("x-apikey", "alice:pa:ss")]), None).expect("readable"),
            Some(Credential::UserPassword {
                user: "alice".into(),
                password: "pa:ss".into()
            })
        );
        assert_eq!(
            find(&headers(&[("authorization", "Bearer tok123")]), None).expect("readable"),
            Some(Credential::ApiKey("tok123".into()))
        );
        assert_eq!(
            find(&headers(&[("x-nuget-apikey", "nk")]), None).expect("readable"),
            Some(Credential::ApiKey("nk".into()))
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let shown = format!("{:?}", Credential::ApiKey("topsecret".into()));
        assert!(!shown.contains("topsecret"));
    }
}
