//! The audit log for tenant admins: recent events, a filter by action, and verification.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, PageResult, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::audit::{self, AuditEventView, AuditQuery, Verification};

const PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "audit/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub business: String,
    pub events: Vec<AuditEventView>,
    pub query: AuditQuery,
    /// The query string for the next (older) page, with the same filters.
    pub older: Option<String>,
    pub verification: Option<Verification>,
}

fn field(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn older_link(query: &AuditQuery, before: i64) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("action", &query.action),
        ("actor", &query.actor),
        ("target", &query.target),
        ("from", &query.from),
        ("to", &query.to),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(key, v);
        }
    }
    out.append_pair("before", &before.to_string());
    out.finish()
}

impl AuditPage {
    pub fn action(&self) -> String {
        field(&self.query.action)
    }
    pub fn actor(&self) -> String {
        field(&self.query.actor)
    }
    pub fn target(&self) -> String {
        field(&self.query.target)
    }
    pub fn from(&self) -> String {
        field(&self.query.from)
    }
    pub fn to(&self) -> String {
        field(&self.query.to)
    }
}

async fn page(state: &AppState, who: &Principal, query: AuditQuery, verification: Option<Verification>) -> PageResult {
    let chrome = Chrome::member(state, who, "Audit log", "/app/audit").await?;
    let business = chrome.nav.as_ref().map(|n| n.business.clone()).unwrap_or_default();
    let query = AuditQuery { limit: Some(PAGE), ..query };
    let (chrome, events, status) = match audit::recent(&state.app, who, &query).await {
        Ok(events) => (chrome, events, StatusCode::OK),
        Err(error @ AppError::Invalid(_)) => {
            let status = crate::error::describe(&error).status;
            (chrome.with_error(&error), Vec::new(), status)
        }
        Err(other) => return Err(other.into()),
    };
    let older = if events.len() as i64 == PAGE { events.last().map(|e| older_link(&query, e.seq)) } else { None };
    Ok(render(status, &AuditPage { chrome, business, events, query, older, verification }))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<AuditQuery>) -> PageResult {
    page(&state, &who, query, None).await
}

pub async fn verify(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    let verification = audit::verify(&state.app, &who).await?;
    page(&state, &who, AuditQuery::default(), Some(verification)).await
}
