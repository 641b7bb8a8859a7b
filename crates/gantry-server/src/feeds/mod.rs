//! The package protocols, one router per feed type, under `/{protocol}/{feed}/`.

pub mod upack;
mod upload;

use axum::Router;

use crate::state::AppState;

/// Every protocol's routes.
pub fn router() -> Router<AppState> {
    Router::new().merge(upack::router())
}
