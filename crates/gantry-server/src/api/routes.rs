//! The route table: every route outside the OpenAPI document is registered
//! through [`Routes`], which records its path and methods as it adds it, so
//! that [`crate::api::route_table`] lists every endpoint the server answers
//! and tests (the authorization matrix) cannot miss one.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::state::AppState;

/// One endpoint: a method and a path template (`/upack/{feed}/upload`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteEntry {
    /// The HTTP method.
    pub method: Method,
    /// The path template, as axum matches it.
    pub path: String,
}

/// A router that remembers what it routes.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteEntry>,
}

fn filter(method: &Method) -> MethodFilter {
    MethodFilter::try_from(method.clone()).unwrap_or_else(|_| panic!("{method} cannot be routed"))
}

impl Routes {
    /// Routes `methods` on `path` to `handler`.
    #[must_use]
    pub fn add<H, T>(self, path: &str, methods: &[Method], handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_with(path, methods, handler, |r| r)
    }

    /// Like [`Routes::add`], with the method router adjusted (for layers
    /// such as body limits).
    #[must_use]
    pub fn add_with<H, T>(
        mut self,
        path: &str,
        methods: &[Method],
        handler: H,
        adjust: impl FnOnce(MethodRouter<AppState>) -> MethodRouter<AppState>,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let mut methods_filter = filter(&methods[0]);
        for method in &methods[1..] {
            methods_filter = methods_filter.or(filter(method));
        }
        self.router = self.router.route(path, adjust(on(methods_filter, handler)));
        self.table.extend(methods.iter().map(|m| RouteEntry {
            method: m.clone(),
            path: path.to_owned(),
        }));
        self
    }

    /// Routes `GET` on `path` to `handler`.
    #[must_use]
    pub fn get<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(path, &[Method::GET], handler)
    }

    /// Routes `POST` on `path` to `handler`.
    #[must_use]
    pub fn post<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(path, &[Method::POST], handler)
    }

    /// Applies `layer` to every route added so far (the table is unchanged).
    #[must_use]
    pub fn layer_all(mut self, layer: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = layer(self.router);
        self
    }

    /// Both route sets in one.
    #[must_use]
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// The axum router and the table of what it routes.
    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteEntry>) {
        (self.router, self.table)
    }
}
