//! Uploading a package file from a feed's page, for the package types whose
//! packages are files (`PackageType::upload_extensions`). The same checks and the same publish code as the protocols' own
//! upload endpoints: permission and feed rules before a byte is read, the
//! file streamed to staging within the upload limit, one transaction.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::response::Response;
use futures::TryStreamExt;
use gantry_core::Attribute;

use super::page::{see_other, UiError};
use super::session::Viewer;
use super::view;
use crate::protocols::upload::{check_may_upload, stage_stream};
use crate::services::feeds;
use crate::services::publish::publish;
use crate::state::AppState;

fn bad_form(reason: impl std::fmt::Display) -> UiError {
    UiError::bad_request(format!("The upload form could not be read: {reason}"))
}

/// The longest text field the upload form has (the CSRF token is 43
/// characters): anything longer is not this form.
const MAX_TEXT_FIELD: usize = 1024;

/// Reads a text field of the form, refusing it once it grows past
/// [`MAX_TEXT_FIELD`] instead of buffering whatever the sender chose.
async fn bounded_text(mut field: axum::extract::multipart::Field<'_>) -> Result<String, UiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD {
            return Err(bad_form(format!(
                "a text field is longer than {MAX_TEXT_FIELD} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| bad_form("a text field is not UTF-8"))
}

/// `POST /feeds/{feed}/upload`: a multipart form whose first field is the
/// CSRF token and whose second is the package file.
///
/// Who may publish, and whether the feed takes uploads at all, is decided
/// from the request head, before a byte of the body is read; the token
/// field is read within a small bound and the file is streamed to staging
/// within the upload limit, as the protocols' own uploads are.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(feed_name): Path<String>,
    request: Request,
) -> Result<Response, UiError> {
    let feed = feeds::find(&state, &feed_name).await?;
    state.authorize(&viewer.caller, Attribute::AddPackage, Some(&feed))?;
    let package_type = feeds::package_type_of(&feed)?;
    check_may_upload(&state, &viewer.caller, &feed)?;
    if package_type.upload_extensions().is_empty() {
        return Err(UiError::bad_request(format!(
            "{} packages are not uploaded as files: publish them with their client.",
            feed.settings.feed_type.label()
        )));
    }
    let limit = state.config().max_upload_bytes;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // The form's own fields and boundaries add a little to the file.
    if declared.is_some_and(|len| len > limit.saturating_add(64 * 1024)) {
        return Err(UiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!("The package is larger than this server's limit of {limit} bytes."),
        ));
    }
    let mut form = Multipart::from_request(request, &state)
        .await
        .map_err(|e| bad_form(e.body_text()))?;
    // The token comes first, so that a forged form is refused before its
    // file is read.
    let token = match form.next_field().await.map_err(bad_form)? {
        Some(field) if field.name() == Some("csrf") => bounded_text(field).await?,
        _ => String::new(),
    };
    viewer.check_csrf(&token)?;
    let field = form
        .next_field()
        .await
        .map_err(bad_form)?
        .filter(|f| f.name() == Some("package"))
        .ok_or_else(|| UiError::bad_request("Choose a package file to upload."))?;
    let staged = stage_stream(&state, field.map_err(|e| e.to_string())).await?;
    if staged.info().size == 0 {
        return Err(UiError::bad_request("The chosen file is empty."));
    }
    let parsed = package_type.parse_upload(&state, &staged).await?;
    let record = publish(
        &state,
        &viewer.caller,
        &feed,
        package_type.format(),
        staged,
        parsed,
    )
    .await?;
    let page = view::version_link(
        &feed.settings.name,
        &record.group,
        &record.name,
        &record.version,
        None,
    );
    Ok(see_other(&view::with_param(&page, "done", "uploaded")))
}
