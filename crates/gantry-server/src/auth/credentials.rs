//! Finding credentials in a request.
//!
//! An API key may arrive as the `X-ApiKey` header, the `key` query
//! parameter, or HTTP basic auth with the user `api` and the key as the
//! password; the first of these present is used.

use axum::http::{header, HeaderMap};
use base64::Engine;

/// Credentials found in a request.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API key.
    ApiKey(String),
    /// A user name and password (basic auth with a user other than `api`).
    UserPassword { user: String, password: String },
}

impl std::fmt::Debug for Credential {
    // Secrets never reach a log line, even by accident.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(********)"),
            Self::UserPassword { user, .. } => write!(f, "UserPassword({user}, ********)"),
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
        if !key.is_empty() {
            return Ok(Some(Credential::ApiKey(key.to_owned())));
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
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(CredentialError(format!(
            "the Authorization scheme '{scheme}' is not supported here; use Basic or an X-ApiKey header"
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
        assert!(find(&headers(&[("authorization", "Bearer tok")]), None).is_err());
        assert_eq!(find(&HeaderMap::new(), None).expect("ok"), None);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let shown = format!("{:?}", Credential::ApiKey("topsecret".into()));
        assert!(!shown.contains("topsecret"));
    }
}
