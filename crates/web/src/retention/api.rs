//! Retention rules, legal holds, sweep records, the tenant's lifecycle and its egress log.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use steward_app::egress::{self, EgressView};
use steward_app::retention::holds::{self, HoldView, NewHold};
use steward_app::retention::lifecycle::{self, LifecycleView};
use steward_app::retention::rules::{self, RuleView};
use steward_app::retention::sweep::{self, RunView};

pub async fn rules(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<RuleView>>> {
    Ok(Json(rules::list(&state.app, &who).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RetentionRuleChange")]
pub struct RuleChange {
    #[schemars(extend("enum" = ["usage", "security_log", "personal"]))]
    data_class: String,
    #[serde(default)]
    #[schemars(range(min = 1))]
    keep_days: Option<i64>,
    #[serde(default)]
    /// Go back to the operator's default.
    default: bool,
}

pub async fn set_rule(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<RuleChange>,
) -> ApiResult<Json<Vec<RuleView>>> {
    Ok(Json(rules::set(&state.app, &who, &body.data_class, body.keep_days, body.default).await?))
}

pub async fn holds(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<HoldView>>> {
    Ok(Json(holds::list_for(&state.app, &who).await?))
}

pub async fn set_hold(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<NewHold>,
) -> ApiResult<(StatusCode, Json<HoldView>)> {
    Ok((StatusCode::CREATED, Json(holds::set_by(&state.app, &who, body).await?)))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LegalHoldLift")]
pub struct HoldLift {
    #[schemars(length(max = 500))]
    reason: String,
}

pub async fn lift_hold(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<HoldLift>,
) -> ApiResult<StatusCode> {
    let id = parse_id("hold_id", &id)?;
    holds::lift_by(&state.app, &who, id, &body.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn runs(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<RunView>>> {
    Ok(Json(sweep::recent_runs(&state.app, &who).await?))
}

pub async fn lifecycle(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<LifecycleView>> {
    Ok(Json(lifecycle::of_member(&state.app, &who).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    #[serde(default)]
    #[schemars(length(max = 500))]
    reason: Option<String>,
}

pub async fn cancel(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<Cancellation>,
) -> ApiResult<Json<LifecycleView>> {
    Ok(Json(lifecycle::cancel(&state.app, &who, body.reason.as_deref()).await?))
}

pub async fn reactivate(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<LifecycleView>> {
    Ok(Json(lifecycle::reactivate(&state.app, &who).await?))
}

pub async fn egress(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<EgressView>>> {
    Ok(Json(egress::recent(&state.app, &who).await?))
}

/// The whole business as JSON lines, streamed table by table (owner only).
pub async fn export(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    use steward_app::retention::export;
    export::start(&state.app, &who).await?;
    let app = state.app.clone();
    let stream = futures_util::stream::unfold(0usize, move |index| {
        let app = app.clone();
        let who = who.clone();
        async move {
            if index >= export::chunk_count() {
                return None;
            }
            let chunk = export::chunk(&app, &who, index).await.map_err(|error| {
                tracing::warn!(%error, "the tenant export stopped");
                std::io::Error::other("the export stopped")
            });
            let next = if chunk.is_ok() { index + 1 } else { usize::MAX };
            Some((chunk, next))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"steward-export.jsonl\""),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
