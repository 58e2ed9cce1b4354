//! The audit log for tenant admins: recent events, a filter by action, and verification.

use super::{Chrome, error_response, render};
use crate::AppState;
use crate::extract::Auth;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::audit::{self, AuditEventView, Verification};

const PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub business: String,
    pub events: Vec<AuditEventView>,
    pub action: String,
    pub older: Option<i64>,
    pub verification: Option<Verification>,
}

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub before: Option<i64>,
}

async fn page(
    state: &AppState,
    who: &Principal,
    query: AuditQuery,
    verification: Option<Verification>,
) -> Result<Response, AppError> {
    let chrome = Chrome::member(state, who, "Audit log", "/app/audit").await?;
    let business = chrome.nav.as_ref().map(|n| n.business.clone()).unwrap_or_default();
    let action = query.action.unwrap_or_default();
    let events = audit::recent(&state.app, who, Some(action.as_str()), query.before, PAGE).await?;
    let older = if events.len() as i64 == PAGE { events.last().map(|e| e.seq) } else { None };
    Ok(render(StatusCode::OK, &AuditPage { chrome, business, events, action, older, verification }))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<AuditQuery>) -> Response {
    page(&state, &who, query, None).await.unwrap_or_else(|e| error_response(&e))
}

pub async fn verify(State(state): State<AppState>, Auth(who): Auth) -> Response {
    let result = async {
        let verification = audit::verify(&state.app, &who).await?;
        page(&state, &who, AuditQuery::default(), Some(verification)).await
    }
    .await;
    result.unwrap_or_else(|e| error_response(&e))
}
