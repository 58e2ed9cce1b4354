//! The audit log: recent events and chain verification.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Auth;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use steward_app::audit::{self, AuditEventView, Verification};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    action: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

pub async fn events(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(query): Query<EventsQuery>,
) -> ApiResult<Json<Vec<AuditEventView>>> {
    Ok(Json(audit::recent(&state.app, &who, query.action.as_deref(), query.before, query.limit.unwrap_or(100)).await?))
}

pub async fn verify(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Verification>> {
    Ok(Json(audit::verify(&state.app, &who).await?))
}
