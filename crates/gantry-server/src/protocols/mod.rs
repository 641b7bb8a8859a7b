//! The package protocols, one router per feed type, under `/{protocol}/{feed}/`.

pub mod base_url;
pub mod documents;
pub mod npm;
pub mod nuget;
pub mod upack;
pub mod upload;

use crate::api::routes::Routes;

/// Every protocol's routes.
pub fn routes() -> Routes {
    Routes::default()
        .merge(upack::routes())
        .merge(nuget::routes())
        .merge(npm::routes())
}
