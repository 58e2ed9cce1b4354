//! `/healthz` (the process answers) and `/readyz` (the database answers too, with what
//! its configuration leaves undone, such as PostgreSQL's autovacuum turned off).

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.app.database_ready().await {
        Ok(warnings) => {
            let warnings: Vec<Value> =
                warnings.iter().map(|w| json!({ "warning": w.name(), "explanation": w.explanation() })).collect();
            (
                StatusCode::OK,
                Json(json!({ "status": "ready", "database": state.app.database_name(), "warnings": warnings })),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "database not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": state.app.database_name() })),
            )
        }
    }
}
