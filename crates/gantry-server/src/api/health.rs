//! `GET /health`, for load balancers and monitoring.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// The server's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// Gantry's version.
    pub version: &'static str,
    /// The metadata database.
    pub database: DatabaseHealth,
}

/// The metadata database's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// `ok`, or the error.
    pub status: String,
}

/// 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (code, status, database) = match state.meta().ping().await {
        Ok(()) => (StatusCode::OK, "ok", "ok".to_owned()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, "degraded", e.to_string()),
    };
    let health = Health {
        status,
        version: env!("CARGO_PKG_VERSION"),
        database: DatabaseHealth {
            backend: state.meta().backend(),
            status: database,
        },
    };
    (code, Json(health))
}
