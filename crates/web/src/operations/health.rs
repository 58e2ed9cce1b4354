//! `/healthz` (the process answers) and `/readyz` (the database answers too).

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
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready", "database": state.app.database_name() }))),
        Err(error) => {
            tracing::warn!(%error, "database not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": state.app.database_name() })),
            )
        }
    }
}
