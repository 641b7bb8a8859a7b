//! Request extractors that answer bad input the ProGet way: 400 with a
//! plain-text reason, never axum's default 422.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// A JSON body; a malformed one is 400 with serde's explanation.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            // Well-formed JSON of the wrong shape is still bad input (400), not
            // axum's 422; a missing JSON content type stays 415.
            Err(rejection) => {
                let status = match rejection.status() {
                    StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
                    other => other,
                };
                Err(ApiError::new(status, rejection.body_text()))
            }
        }
    }
}

/// Query parameters; malformed ones are 400 with the reason.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Self)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
    }
}

/// Reads a count parameter (`skip`, `take`, `$top`...): `None` when absent
/// or blank, 400 when it is not a non-negative integer.
pub fn count_param(name: &str, raw: Option<&str>) -> ApiResult<Option<usize>> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(raw) => raw.parse::<usize>().map(Some).map_err(|_| {
            ApiError::bad_request(format!("{name} must be a non-negative integer, not '{raw}'."))
        }),
    }
}

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// The largest form-style body read (a few short fields).
const MAX_FIELDS_BODY: usize = 64 * 1024;

/// Reads a small form's fields whatever the content type — JSON object,
/// `application/x-www-form-urlencoded` or `multipart/form-data` — keyed by
/// lower-cased name, as ProGet's form-style endpoints accept them.
pub async fn read_fields<S: Send + Sync>(state: &S, request: Request) -> ApiResult<HashMap<String, String>> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut fields = HashMap::new();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid multipart body: {}", e.body_text())))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid multipart body: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_ascii_lowercase();
            let value = field
                .text()
                .await
                .map_err(|e| ApiError::bad_request(format!("invalid multipart field: {e}")))?;
            fields.insert(name, value);
        }
        return Ok(fields);
    }
    let body = axum::body::to_bytes(request.into_body(), MAX_FIELDS_BODY)
        .await
        .map_err(|_| {
            ApiError::bad_request(format!("the request body is larger than {MAX_FIELDS_BODY} bytes"))
        })?;
    if content_type.starts_with("application/json")
        || (content_type.is_empty() && body.first() == Some(&b'{'))
    {
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| ApiError::bad_request("the JSON body must be an object"))?;
        for (key, value) in object {
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => value.to_string(),
                _ => return Err(ApiError::bad_request(format!("{key} must be a string"))),
            };
            fields.insert(key.to_ascii_lowercase(), text);
        }
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|e| ApiError::bad_request(format!("the form body cannot be read: {e}")))?;
        for (key, value) in pairs {
            fields.insert(key.to_ascii_lowercase(), value);
        }
    }
    Ok(fields)
}

/// Authenticates a form-style request: credentials from the headers or the
/// query first, else the API key in the body (form field `key`, JSON
/// `API_Key`), as ProGet's clients send it.
pub async fn caller_with_body_key<H: std::hash::BuildHasher>(
    state: &crate::state::AppState,
    mut presented: crate::auth::credentials::Presented,
    fields: &HashMap<String, String, H>,
) -> ApiResult<crate::auth::Caller> {
    presented.credential = presented.credential.or_else(|| {
        fields
            .get("key")
            .or_else(|| fields.get("api_key"))
            .filter(|k| !k.is_empty())
            .map(|k| crate::auth::credentials::Credential::ApiKey(k.clone()))
    });
    crate::auth::Caller::authenticate(state, presented).await
}
