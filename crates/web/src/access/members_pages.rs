//! Members and invitations.

use crate::AppState;
use crate::extract::{Auth, parse_id};
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use steward_app::AppError;
use steward_app::access::members::{self, InvitationView, MemberView};
use steward_app::access::principal::Principal;
use steward_app::access::roles::{self, RoleView};
use steward_domain::permissions::Permission;

#[derive(Template)]
#[template(path = "access/members.html")]
pub struct MembersPage {
    pub chrome: Chrome,
    pub business: String,
    pub members: Vec<MemberView>,
    pub invitations: Vec<InvitationView>,
    pub roles: Vec<RoleView>,
    pub can_manage: bool,
    pub invite_email: String,
}

async fn page(
    state: &AppState,
    who: &Principal,
    notice: Option<&str>,
    error: Option<&AppError>,
    invite_email: &str,
) -> PageResult {
    let chrome = Chrome::member(state, who, "Members", "/app/members").await?.with_notice(notice).with_error_opt(error);
    let business = chrome.nav.as_ref().map(|n| n.business.clone()).unwrap_or_default();
    let page = MembersPage {
        chrome,
        business,
        members: members::list(&state.app, who).await?,
        invitations: members::pending_invitations(&state.app, who).await?,
        roles: roles::list(&state.app, who).await?,
        can_manage: who.has(Permission::MembersManage),
        invite_email: invite_email.into(),
    };
    let status = crate::pages::status_for(error);
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    page(&state, &who, query.notice.as_deref(), None, "").await
}

pub async fn invite(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    match members::invite(&state.app, &who, form.get("email"), form.get("role")).await {
        Ok(_) => Ok(see_other("/app/members?notice=invited")),
        Err(
            error @ (AppError::Invalid(_)
            | AppError::Conflict { .. }
            | AppError::NotAllowed(_)
            | AppError::Forbidden(_)),
        ) => page(&state, &who, None, Some(&error), form.get("email")).await,
        Err(error) => Err(error.into()),
    }
}

pub async fn change_role(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id("member_id", &id)?;
    match members::change_role(&state.app, &who, id, form.get("role")).await {
        Ok(_) => Ok(see_other("/app/members?notice=role_changed")),
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(error) => page(&state, &who, None, Some(&error), "").await,
    }
}

pub async fn remove(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id("member_id", &id)?;
    match members::remove(&state.app, &who, id).await {
        Ok(()) => Ok(see_other("/app/members?notice=removed")),
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(error) => page(&state, &who, None, Some(&error), "").await,
    }
}

pub async fn revoke_invitation(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id("invitation_id", &id)?;
    members::revoke_invitation(&state.app, &who, id).await?;
    Ok(see_other("/app/members?notice=revoked"))
}
