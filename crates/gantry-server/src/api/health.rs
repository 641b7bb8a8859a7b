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
    pub database: ComponentHealth,
    /// The blob store.
    pub blobs: ComponentHealth,
}

/// One dependency's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentHealth {
    /// `sqlite` or `postgres`; `local` or `s3`.
    pub backend: &'static str,
    /// `ok`, or the error.
    pub status: String,
}

fn component<E: std::fmt::Display>(backend: &'static str, result: Result<(), E>) -> ComponentHealth {
    ComponentHealth {
        backend,
        status: result.map_or_else(|e| e.to_string(), |()| "ok".to_owned()),
    }
}

/// 200 when the database and the blob store answer, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (database, blobs) = tokio::join!(state.meta().ping(), state.blobs().ping());
    let healthy = database.is_ok() && blobs.is_ok();
    let health = Health {
        status: if healthy { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        database: component(state.meta().backend(), database),
        blobs: component(state.blobs().backend(), blobs),
    };
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(health))
}
