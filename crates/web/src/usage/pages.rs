//! Usage for tenant admins: which features the business used and which pages its members
//! viewed, counted per day, the same counts plan limits and the API read.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, PageResult, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use std::collections::BTreeMap;
use steward_app::AppError;
use steward_app::usage;

/// One feature or page over the chosen days.
pub struct UsageLine {
    pub name: String,
    pub total: i64,
    pub days: usize,
    pub busiest: String,
}

#[derive(Template)]
#[template(path = "usage/usage.html")]
pub struct UsagePage {
    pub chrome: Chrome,
    pub from: String,
    pub to: String,
    pub features: Vec<UsageLine>,
    pub pages: Vec<UsageLine>,
}

#[derive(Deserialize, Default)]
pub struct UsageParams {
    from: Option<String>,
    to: Option<String>,
}

fn lines(counts: &[usage::DailyUsage], pages: bool) -> Vec<UsageLine> {
    let mut by_name: BTreeMap<&str, Vec<&usage::DailyUsage>> = BTreeMap::new();
    for c in counts.iter().filter(|c| c.feature.starts_with("page:") == pages) {
        by_name.entry(c.feature.as_str()).or_default().push(c);
    }
    let mut out: Vec<UsageLine> = by_name
        .into_iter()
        .map(|(name, days)| {
            let busiest = days.iter().max_by_key(|d| (d.count, std::cmp::Reverse(d.date.clone())));
            UsageLine {
                name: name.trim_start_matches("page:").to_string(),
                total: days.iter().map(|d| d.count).sum(),
                days: days.len(),
                busiest: busiest.map(|d| format!("{} ({})", d.date, d.count)).unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
    out
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(params): Query<UsageParams>) -> PageResult {
    let chrome = Chrome::member(&state, &who, "Usage", "/app/usage").await?;
    let (counts, chrome) = match usage::daily(&state.app, &who, params.from.as_deref(), params.to.as_deref()).await {
        Ok(counts) => (counts, chrome),
        Err(error @ AppError::Invalid(_)) => (Vec::new(), chrome.with_error(&error)),
        Err(error) => return Err(error.into()),
    };
    let status = if chrome.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = UsagePage {
        chrome,
        from: params.from.unwrap_or_default(),
        to: params.to.unwrap_or_default(),
        features: lines(&counts, false),
        pages: lines(&counts, true),
    };
    Ok(render(status, &page))
}

#[derive(Template)]
#[template(path = "usage/problems.html")]
pub struct ProblemsPage {
    pub chrome: Chrome,
    pub problems: Vec<steward_app::diagnostics::Problem>,
    pub slow_ms: u64,
}

/// The business's recent failed and slow requests.
pub async fn problems(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    let chrome = Chrome::member(&state, &who, "Problems", "/app/problems").await?;
    let problems = steward_app::diagnostics::recent(&state.app, &who)?;
    Ok(render(StatusCode::OK, &ProblemsPage { chrome, problems, slow_ms: state.app.settings.slow_request_ms }))
}
