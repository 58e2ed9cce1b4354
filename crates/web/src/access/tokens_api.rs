//! The signed-in member's API tokens.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use steward_app::access::tokens::{self, CreatedToken, TokenView};

pub async fn list(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(tokens::list(&state.app, &who).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenNew {
    name: String,
    scopes: Vec<String>,
    #[schemars(range(min = 1, max = 3650))]
    expires_in_days: Option<i64>,
}

pub async fn create(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<TokenNew>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(tokens::create(&state.app, &who, &body.name, &body.scopes, body.expires_in_days).await?),
    ))
}

pub async fn revoke(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_id("token_id", &id)?;
    tokens::revoke(&state.app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
