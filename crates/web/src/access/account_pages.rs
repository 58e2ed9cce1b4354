//! My account: name, phone, password, my pages' colours, and the policy versions I accepted.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Query, State};
use steward_app::access::auth;
use steward_app::access::members::{self, MemberView};
use steward_app::access::principal::Principal;
use steward_app::{AppError, tenancy};
use steward_domain::theme::Theme;

#[derive(Template)]
#[template(path = "access/account.html")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub member: MemberView,
    pub acceptances: Vec<(String, String)>,
    pub theme: Theme,
}

impl AccountPage {
    pub fn themes(&self) -> [Theme; 3] {
        Theme::ALL
    }
}

async fn page(state: &AppState, who: &Principal, notice: Option<&str>, error: Option<&AppError>) -> PageResult {
    let chrome =
        Chrome::member(state, who, "My account", "/app/account").await?.with_notice(notice).with_error_opt(error);
    let member = members::own_profile(&state.app, who).await?;
    let acceptances = tenancy::policy_acceptances(&state.app, who).await?;
    let status = crate::pages::status_for(error);
    Ok(render(status, &AccountPage { chrome, member, acceptances, theme: who.theme }))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    page(&state, &who, query.notice.as_deref(), None).await
}

pub async fn update(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    match members::update_own_profile(&state.app, &who, form.get("name"), Some(form.get("phone"))).await {
        Ok(_) => Ok(see_other("/app/account?notice=saved")),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

pub async fn change_password(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    match auth::change_password(&state.app, &who, form.get("current_password"), form.get("new_password")).await {
        Ok(()) => Ok(see_other("/app/account?notice=password_changed")),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

pub async fn set_theme(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    match members::set_own_theme(&state.app, &who, form.get("theme")).await {
        Ok(_) => Ok(see_other("/app/account?notice=theme_saved")),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

/// The banner on the Today page asks for the verification mail again.
pub async fn resend_verification(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    auth::resend_verification(&state.app, &who).await?;
    Ok(see_other("/app?notice=verification_sent"))
}
