//! The settings page: the set-up pages a member may open, grouped under headings.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, PageResult, render};
use crate::routes::{Section, menu};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

/// One heading with its pages, as (path, label).
pub struct Group {
    pub heading: &'static str,
    pub links: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "settings/settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub groups: Vec<Group>,
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    let chrome = Chrome::member(&state, &who, "Settings", super::PATH).await?;
    let groups = Section::SETTINGS
        .iter()
        .map(|section| Group {
            heading: section.heading(),
            links: menu()
                .iter()
                .filter(|(entry, _, access)| entry.section == *section && who.allows(*access))
                .map(|(entry, path, _)| (*path, entry.label))
                .collect(),
        })
        .filter(|group| !group.links.is_empty())
        .collect();
    Ok(render(StatusCode::OK, &SettingsPage { chrome, groups }))
}
