//! The privacy notices: the operator's at `/privacy`, each business's at `/p/{slug}`.
//! Both are generated from the data-class registry, the retention rules in force and the
//! declared sub-processors (POL-2), and load nothing from any other site.

use super::{Chrome, error_response, public_csrf, render, with_cookie};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use steward_app::privacy::notice::{self, Notice};

#[derive(Template)]
#[template(path = "privacy.html")]
pub struct NoticePage {
    pub chrome: Chrome,
    pub notice: Notice,
}

pub async fn operator(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, cookie) = public_csrf(&headers);
    let chrome = Chrome::public("Privacy notice", &csrf);
    with_cookie(render(StatusCode::OK, &NoticePage { chrome, notice: notice::operator(&state.app) }), cookie)
}

pub async fn business(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>) -> Response {
    let (csrf, cookie) = public_csrf(&headers);
    match notice::of_business(&state.app, &slug).await {
        Ok(notice) => {
            let title = format!("How {} handles your data", notice.business.clone().unwrap_or_default());
            let chrome = Chrome::public(&title, &csrf);
            with_cookie(render(StatusCode::OK, &NoticePage { chrome, notice }), cookie)
        }
        Err(error) => error_response(&error),
    }
}
