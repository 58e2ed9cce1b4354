//! The privacy inbox: people's requests, answered with an export, an erasure or a note.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_app::privacy::person::{self, ErasureReport};
use steward_app::privacy::requests::{self, RequestView};

pub async fn list(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<RequestView>>> {
    Ok(Json(requests::inbox(&state.app, &who).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PrivacyRequestNew")]
pub struct RequestNew {
    #[schemars(with = "steward_domain::ids::CustomerId")]
    customer_id: String,
    #[schemars(extend("enum" = ["access", "correction", "erasure"]))]
    kind: String,
    #[serde(default)]
    #[schemars(length(max = 2000))]
    message: String,
}

pub async fn open(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<RequestNew>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let customer = parse_id("customer_id", &body.customer_id)?;
    let view = requests::open_for_customer(&state.app, &who, customer, &body.kind, &body.message).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestView>> {
    let id = parse_id("request_id", &id)?;
    Ok(Json(requests::get(&state.app, &who, id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PrivacyRequestClose")]
pub struct RequestClose {
    #[schemars(extend("enum" = ["done", "rejected"]))]
    outcome: String,
    #[serde(default)]
    note: String,
}

pub async fn close(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RequestClose>,
) -> ApiResult<Json<RequestView>> {
    let id = parse_id("request_id", &id)?;
    Ok(Json(requests::close(&state.app, &who, id, &body.outcome, &body.note).await?))
}

pub async fn answer_access(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestView>> {
    let id = parse_id("request_id", &id)?;
    Ok(Json(person::answer_access(&state.app, &who, id).await?))
}

/// A ZIP archive as a download.
pub fn zip_download(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/zip"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"your-data.zip\""),
        ],
        bytes,
    )
        .into_response()
}

pub async fn export(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let id = parse_id("request_id", &id)?;
    Ok(zip_download(person::archive_for(&state.app, &who, id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureChoice {
    #[serde(default)]
    /// Keep the person's appointments for statistics, detached from them.
    keep_appointments_anonymized: bool,
}

pub async fn preview_erasure(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ErasureChoice>,
) -> ApiResult<Json<ErasureReport>> {
    let id = parse_id("request_id", &id)?;
    Ok(Json(person::preview_erasure(&state.app, &who, id, body.keep_appointments_anonymized).await?))
}

pub async fn erase(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ErasureChoice>,
) -> ApiResult<Json<ErasureReport>> {
    let id = parse_id("request_id", &id)?;
    Ok(Json(person::erase(&state.app, &who, id, body.keep_appointments_anonymized).await?))
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    #[schemars(extend("enum" = ["gdpr", "dpdp", "ccpa"]))]
    jurisdiction: String,
}

pub async fn settings(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<PrivacySettings>> {
    let found = requests::jurisdiction(&state.app, &who).await?;
    Ok(Json(PrivacySettings { jurisdiction: found.name().into() }))
}

pub async fn set_settings(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<PrivacySettings>,
) -> ApiResult<Json<PrivacySettings>> {
    let chosen = requests::set_jurisdiction(&state.app, &who, &body.jurisdiction).await?;
    Ok(Json(PrivacySettings { jurisdiction: chosen.name().into() }))
}
