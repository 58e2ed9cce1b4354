//! The dashboard: the first page after signing in.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use steward_app::access::{auth, members};
use steward_domain::permissions::Permission;

#[derive(Template)]
#[template(path = "tenancy/dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub business: String,
    pub member_name: String,
    pub role: String,
    pub email_verified: bool,
    pub member_count: String,
    /// Today's appointments, for members who see the calendar.
    pub today: Option<Vec<steward_app::booking::appointments::AppointmentView>>,
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    let chrome = Chrome::member(&state, &who, "Dashboard", "/app").await?.with_notice(query.notice.as_deref());
    let member_count = if who.has(Permission::MembersRead) {
        members::list(&state.app, &who).await?.len().to_string()
    } else {
        "—".into()
    };
    let today = if who.has(Permission::BookingsRead) {
        Some(steward_app::booking::appointments::list(&state.app, &who, &Default::default()).await?)
    } else {
        None
    };
    let business = chrome.nav.as_ref().map(|n| n.business.clone()).unwrap_or_default();
    let page = DashboardPage {
        chrome,
        business,
        member_name: who.name.clone(),
        role: who.role.clone(),
        email_verified: who.email_verified,
        member_count,
        today,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn resend_verification(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    auth::resend_verification(&state.app, &who).await?;
    Ok(see_other("/app?notice=verification_sent"))
}
