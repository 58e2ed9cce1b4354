//! The business profile.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody};
use axum::Json;
use axum::extract::State;
use steward_app::tenancy::{self, ProfileChange, TenantView};

pub async fn show(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenancy::profile(&state.app, &who).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(change): JsonBody<ProfileChange>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenancy::update_profile(&state.app, &who, change).await?))
}
