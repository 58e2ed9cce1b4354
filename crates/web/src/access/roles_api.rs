//! Roles and the permissions they are made of.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use steward_app::access::roles::{self, PermissionView, RoleView};

pub async fn permissions(Auth(_who): Auth) -> Json<Vec<PermissionView>> {
    Json(roles::all_permissions())
}

pub async fn list(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<RoleView>>> {
    Ok(Json(roles::list(&state.app, &who).await?))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> ApiResult<Json<RoleView>> {
    let id = parse_id("role_id", &id)?;
    Ok(Json(roles::get(&state.app, &who, id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleNew {
    name: String,
    permissions: Vec<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<RoleNew>,
) -> ApiResult<(StatusCode, Json<RoleView>)> {
    Ok((StatusCode::CREATED, Json(roles::create(&state.app, &who, &body.name, &body.permissions).await?)))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    name: Option<String>,
    permissions: Option<Vec<String>>,
}

pub async fn update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RoleChange>,
) -> ApiResult<Json<RoleView>> {
    let id = parse_id("role_id", &id)?;
    Ok(Json(roles::update(&state.app, &who, id, body.name.as_deref(), body.permissions.as_deref()).await?))
}

pub async fn remove(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_id("role_id", &id)?;
    roles::delete(&state.app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
