//! Messaging settings (rules, provider accounts, templates with preview, a test send) and
//! the message log with retry.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth, JsonBody, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_app::messaging::log::{self, MessageView};
use steward_app::messaging::settings::{
    self, ChannelInput, ChannelView, RulesInput, SettingsView, TemplateInput, TemplateView, TestInput, TestResult,
};
use steward_domain::ids::CustomerId;

pub async fn show(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<SettingsView>> {
    Ok(Json(settings::settings(&state.app, &who).await?))
}

pub async fn set_rules(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<RulesInput>,
) -> ApiResult<Json<RulesInput>> {
    Ok(Json(settings::save_rules(&state.app, &who, &input).await?))
}

pub async fn connect(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<ChannelInput>,
) -> ApiResult<(StatusCode, Json<ChannelView>)> {
    Ok((StatusCode::CREATED, Json(settings::connect(&state.app, &who, &input).await?)))
}

pub async fn disconnect(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(channel): Path<String>,
) -> ApiResult<StatusCode> {
    settings::disconnect(&state.app, &who, &channel).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn templates(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<TemplateView>>> {
    Ok(Json(settings::templates(&state.app, &who).await?))
}

pub async fn save_template(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<TemplateInput>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(settings::save_template(&state.app, &who, &input).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TemplatePreview")]
pub struct PreviewInput {
    body: String,
}

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "TemplatePreviewText")]
pub struct PreviewText {
    text: String,
}

pub async fn preview(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<PreviewInput>,
) -> ApiResult<Json<PreviewText>> {
    Ok(Json(PreviewText { text: settings::preview(&state.app, &who, &input.body).await? }))
}

pub async fn send_test(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<TestInput>,
) -> ApiResult<Json<TestResult>> {
    Ok(Json(settings::send_test(&state.app, &who, &input).await?))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MessageQuery")]
pub struct LogQuery {
    status: Option<String>,
}

pub async fn messages(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<Json<Vec<MessageView>>> {
    Ok(Json(log::recent(&state.app, &who, query.status.as_deref()).await?))
}

pub async fn of_customer(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(customer_id): Path<String>,
) -> ApiResult<Json<Vec<MessageView>>> {
    let customer: CustomerId = parse_id("customer_id", &customer_id)?;
    Ok(Json(log::of_customer(&state.app, &who, customer).await?))
}

pub async fn retry(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(message_id): Path<String>,
) -> ApiResult<Json<MessageView>> {
    let id: uuid::Uuid = parse_id("message_id", &message_id)?;
    Ok(Json(log::retry(&state.app, &who, id).await?))
}
