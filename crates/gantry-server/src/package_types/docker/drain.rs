//! Request bodies a handler leaves unread. hyper closes a connection whose
//! request body was not read to its end, without telling the client; a
//! registry client that retries on the same connection (oras-py sends
//! every request without credentials first, then again after the 401) then
//! loses its retry. So the body is kept within reach of the dispatcher,
//! which reads what is left of a small one after the answer, or marks the
//! answer `Connection: close`.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, HeaderMap};
use futures::StreamExt;

/// The most of a request body read and thrown away after an answer that
/// did not read it (a refusal: a 401 to a client that sends every request
/// without credentials first, a 403, a 416...), so that the connection can
/// serve the client's next request, as Go's server does. Past this the
/// answer says `Connection: close` instead.
const DRAIN_LIMIT: u64 = 256 * 1024;

/// The `Content-Length` of a request, if it declares one.
pub(super) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// A request body as the handler reads it, kept within reach of
/// the dispatcher: whatever the handler leaves unread is still there after it
/// answers.
pub(super) struct SharedBody(Arc<Mutex<BodyState>>);

struct BodyState {
    body: Option<Body>,
    /// Bytes the handler read.
    read: u64,
    /// Whether the handler read it to its end.
    ended: bool,
}

impl SharedBody {
    pub(super) fn new(body: Body) -> Self {
        Self(Arc::new(Mutex::new(BodyState {
            body: Some(body),
            read: 0,
            ended: false,
        })))
    }

    /// The body for the handler.
    pub(super) fn reader(&self) -> Body {
        let state = Arc::clone(&self.0);
        Body::from_stream(futures::stream::poll_fn(move |cx: &mut Context<'_>| {
            let mut guard = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let BodyState { body, read, ended } = &mut *guard;
            let Some(body) = body.as_mut() else {
                return Poll::Ready(None);
            };
            loop {
                match Pin::new(&mut *body).poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => {
                        *ended = true;
                        return Poll::Ready(None);
                    }
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(Some(Ok(frame))) => {
                        // Trailers are not for the handler.
                        if let Ok(data) = frame.into_data() {
                            *read += data.len() as u64;
                            return Poll::Ready(Some(Ok::<Bytes, axum::Error>(data)));
                        }
                    }
                }
            }
        }))
    }
}

/// After the answer is made: reads and drops what the handler left of the
/// body when that is little, so that the connection can stay open. False
/// when the connection must close instead: hyper closes one whose request
/// it did not read to the end, and without `Connection: close` in the
/// answer a client would send its next request (oras-py its retry with
/// credentials after a 401) down a connection being closed.
pub(super) async fn finish_body(body: SharedBody, declared: Option<u64>, expects_continue: bool) -> bool {
    let (rest, read) = {
        let mut state = body.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.ended {
            return true;
        }
        (state.body.take(), state.read)
    };
    let Some(rest) = rest else { return true };
    if rest.is_end_stream() {
        return true;
    }
    // A client waiting for `100 Continue` has not sent the body: it is not
    // asked for it now.
    if expects_continue && read == 0 {
        return false;
    }
    if declared.is_some_and(|length| length.saturating_sub(read) > DRAIN_LIMIT) {
        return false;
    }
    let mut stream = rest.into_data_stream();
    let mut drained = 0u64;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return false };
        drained += chunk.len() as u64;
        if drained > DRAIN_LIMIT {
            return false;
        }
    }
    true
}
