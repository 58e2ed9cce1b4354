//! Members and invitations.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use steward_app::access::members::{self, InvitationView, MemberView};

pub async fn list(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<MemberView>>> {
    Ok(Json(members::list(&state.app, &who).await?))
}

pub async fn show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MemberView>> {
    let id = parse_id("member_id", &id)?;
    Ok(Json(members::get(&state.app, &who, id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    /// A role id or name.
    role: String,
}

pub async fn update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(change): JsonBody<MemberChange>,
) -> ApiResult<Json<MemberView>> {
    let id = parse_id("member_id", &id)?;
    Ok(Json(members::change_role(&state.app, &who, id, &change.role).await?))
}

pub async fn remove(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_id("member_id", &id)?;
    members::remove(&state.app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn invitations(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<InvitationView>>> {
    Ok(Json(members::pending_invitations(&state.app, &who).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationNew {
    email: String,
    /// A role id or name.
    role: String,
}

pub async fn invite(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<InvitationNew>,
) -> ApiResult<(StatusCode, Json<InvitationView>)> {
    Ok((StatusCode::CREATED, Json(members::invite(&state.app, &who, &body.email, &body.role).await?)))
}

pub async fn revoke_invitation(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id("invitation_id", &id)?;
    members::revoke_invitation(&state.app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member's own data, for their administrator to hand them (ACC-5).
pub async fn own_data(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MemberData>> {
    let id = parse_id("member_id", &id)?;
    Ok(Json(MemberData(members::own_data(&state.app, &who, id).await?)))
}

/// Everything Steward holds about a member: one array of rows per table (`members`,
/// `sessions`, `api_tokens`, `policy_acceptances`, `audit_events`, `usage_events`).
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(transparent)]
#[schemars(rename = "MemberData")]
pub struct MemberData(
    #[schemars(with = "std::collections::BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>")]
    serde_json::Value,
);
