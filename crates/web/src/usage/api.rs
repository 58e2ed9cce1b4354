//! Usage counts per day and feature.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use steward_app::usage::{self, DailyUsage};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DailyUsageQuery")]
pub struct DailyQuery {
    /// First day, `YYYY-MM-DD`, UTC.
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`, UTC.
    to: Option<String>,
}

pub async fn daily(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<DailyQuery>,
) -> ApiResult<Json<Vec<DailyUsage>>> {
    Ok(Json(usage::daily(&state.app, &who, query.from.as_deref(), query.to.as_deref()).await?))
}

pub async fn problems(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    crate::extract::Auth(who): crate::extract::Auth,
) -> crate::error::ApiResult<axum::Json<Vec<steward_app::diagnostics::Problem>>> {
    Ok(axum::Json(steward_app::diagnostics::recent(&state.app, &who)?))
}
