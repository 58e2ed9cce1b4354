//! Roles: the built-in ones, and custom roles made of permissions.

use crate::AppState;
use crate::extract::{Auth, parse_id};
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::access::roles::{self, PermissionView, RoleView, all_permissions};
use steward_domain::permissions::Permission;

#[derive(Template)]
#[template(path = "access/roles.html")]
pub struct RolesPage {
    pub chrome: Chrome,
    pub roles: Vec<RoleView>,
    pub permissions: Vec<PermissionView>,
    pub can_manage: bool,
}

async fn page(state: &AppState, who: &Principal, notice: Option<&str>, error: Option<&AppError>) -> PageResult {
    let chrome = Chrome::member(state, who, "Roles", "/app/roles").await?.with_notice(notice).with_error_opt(error);
    let page = RolesPage {
        chrome,
        roles: roles::list(&state.app, who).await?,
        permissions: all_permissions(),
        can_manage: who.has(Permission::RolesManage),
    };
    let status = crate::pages::status_for(error);
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    page(&state, &who, query.notice.as_deref(), None).await
}

pub async fn create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    match roles::create(&state.app, &who, form.get("name"), &form.all("permissions")).await {
        Ok(_) => Ok(see_other("/app/roles?notice=created")),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id("role_id", &id)?;
    match roles::update(&state.app, &who, id, Some(form.get("name")), Some(&form.all("permissions"))).await {
        Ok(_) => Ok(see_other("/app/roles?notice=saved")),
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

pub async fn delete(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id("role_id", &id)?;
    match roles::delete(&state.app, &who, id).await {
        Ok(()) => Ok(see_other("/app/roles?notice=removed")),
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}
