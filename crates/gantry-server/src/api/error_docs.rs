//! Documents the API's error envelope in the OpenAPI document once, rather
//! than in every handler's annotation.
//!
//! Every error the API answers is an [`ApiError`](crate::error::ApiError):
//! plain text (`text/plain; charset=utf-8`) saying what was wrong, the
//! ProGet way, and a 401 carries a `WWW-Authenticate` challenge. Handlers
//! list the statuses they can answer; this fills in the body and headers of
//! those error statuses, so a client (or a fuzzer) can check them.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, OpenApi, RefOr};

/// The content type of every error body.
pub const ERROR_CONTENT_TYPE: &str = "text/plain";

/// Gives each documented 4xx and 5xx answer of every operation the plain
/// text body, and each 401 its `WWW-Authenticate` header. Answers that
/// already document a body keep it.
pub fn document_error_bodies(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
            item.head.as_mut(),
        ];
        for operation in operations.into_iter().flatten() {
            document_operation(operation);
        }
    }
}

fn document_operation(operation: &mut Operation) {
    for (status, response) in &mut operation.responses.responses {
        let RefOr::T(response) = response else {
            continue;
        };
        if !(status.starts_with('4') || status.starts_with('5')) {
            continue;
        }
        if response.content.is_empty() {
            response.content.insert(
                ERROR_CONTENT_TYPE.to_owned(),
                Content::new(Some(Object::with_type(Type::String))),
            );
        }
        if response.description.is_empty() {
            "the reason, as plain text".clone_into(&mut response.description);
        }
        if status == "401" {
            let mut challenge = Header::default();
            challenge.description = Some("`Basic realm=\"Gantry\"`: credentials are needed".to_owned());
            response
                .headers
                .entry("WWW-Authenticate".to_owned())
                .or_insert(challenge);
        }
        if status == "429" {
            let mut retry = Header::new(Object::with_type(Type::Integer));
            retry.description = Some("seconds to wait before trying again".to_owned());
            response.headers.entry("Retry-After".to_owned()).or_insert(retry);
        }
    }
}
