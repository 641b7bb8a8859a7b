//! Registry errors as the distribution spec shapes them: a status and a JSON
//! body `{"errors":[{"code","message","detail"}]}` on every failure (clients
//! such as skopeo fail to parse an empty 401), and on a 401 the bearer
//! challenge that sends the client to the token endpoint.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ApiError;

/// A distribution-spec error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// A blob is not in the repository.
    BlobUnknown,
    /// A blob upload is invalid.
    BlobUploadInvalid,
    /// An upload session is not known (finished, cancelled or expired).
    BlobUploadUnknown,
    /// A digest does not match the content, or is malformed.
    DigestInvalid,
    /// A manifest references a blob the repository does not hold.
    ManifestBlobUnknown,
    /// A manifest is malformed.
    ManifestInvalid,
    /// A manifest is not in the repository.
    ManifestUnknown,
    /// A repository name is malformed.
    NameInvalid,
    /// The repository (or feed) is not known.
    NameUnknown,
    /// The content is larger than allowed.
    SizeInvalid,
    /// Authentication is required.
    Unauthorized,
    /// The caller may not do this.
    Denied,
    /// The operation is not supported.
    Unsupported,
    /// Too many requests.
    TooManyRequests,
    /// Anything else.
    Unknown,
}

impl Code {
    /// The code as the spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlobUnknown => "BLOB_UNKNOWN",
            Self::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Self::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Self::DigestInvalid => "DIGEST_INVALID",
            Self::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Self::ManifestInvalid => "MANIFEST_INVALID",
            Self::ManifestUnknown => "MANIFEST_UNKNOWN",
            Self::NameInvalid => "NAME_INVALID",
            Self::NameUnknown => "NAME_UNKNOWN",
            Self::SizeInvalid => "SIZE_INVALID",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Denied => "DENIED",
            Self::Unsupported => "UNSUPPORTED",
            Self::TooManyRequests => "TOOMANYREQUESTS",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// A failed registry request.
#[derive(Clone, Debug)]
pub struct RegistryError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The spec's code.
    pub code: Code,
    /// What went wrong, for people.
    pub message: String,
    /// The `WWW-Authenticate` value of a 401.
    pub challenge: Option<String>,
    /// Extra headers (`Range` of an upload at the wrong offset...).
    pub headers: Vec<(header::HeaderName, String)>,
    /// Seconds to wait (429).
    pub retry_after: Option<u64>,
}

/// Result of a registry handler.
pub type RegistryResult<T> = Result<T, RegistryError>;

impl RegistryError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            challenge: None,
            headers: Vec::new(),
            retry_after: None,
        }
    }

    /// 404 with `code`.
    pub fn unknown(code: Code, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 400 with `code`.
    pub fn invalid(code: Code, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Adds a header to the answer.
    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Turns a server error into a registry error; a 404 gets `not_found`
    /// as its code (what was looked for).
    pub fn from_api(e: ApiError, not_found: Code) -> Self {
        let code = match e.status {
            StatusCode::UNAUTHORIZED => Code::Unauthorized,
            // A clash with what is stored (an immutable tag...) is refused.
            StatusCode::FORBIDDEN | StatusCode::CONFLICT => Code::Denied,
            StatusCode::NOT_FOUND => not_found,
            StatusCode::TOO_MANY_REQUESTS => Code::TooManyRequests,
            StatusCode::PAYLOAD_TOO_LARGE => Code::SizeInvalid,
            StatusCode::BAD_REQUEST => Code::Unsupported,
            _ => Code::Unknown,
        };
        Self {
            retry_after: e.retry_after,
            ..Self::new(e.status, code, e.message)
        }
    }
}

impl From<ApiError> for RegistryError {
    /// A server error whose 404 means the feed or repository is unknown.
    fn from(e: ApiError) -> Self {
        Self::from_api(e, Code::NameUnknown)
    }
}

impl From<gantry_store::StoreError> for RegistryError {
    fn from(e: gantry_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let body = json!({
            "errors": [{ "code": self.code.as_str(), "message": self.message, "detail": null }]
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            "docker-distribution-api-version",
            HeaderValue::from_static("registry/2.0"),
        );
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}
