//! The NuGet v2 OData feed.

use crate::api::routes::Routes;

/// The v2 routes.
pub fn routes() -> Routes {
    Routes::default()
}
