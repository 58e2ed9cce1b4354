//! My API tokens: create (shown once), list, revoke.

use crate::AppState;
use crate::extract::{Auth, parse_id};
use crate::pages::{Chrome, FormData, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::access::roles::{PermissionView, all_permissions};
use steward_app::access::tokens::{self, CreatedToken, TokenView};

#[derive(Template)]
#[template(path = "access/tokens.html")]
pub struct TokensPage {
    pub chrome: Chrome,
    pub tokens: Vec<TokenView>,
    pub permissions: Vec<PermissionView>,
    pub created: Option<CreatedToken>,
}

async fn page(
    state: &AppState,
    who: &Principal,
    created: Option<CreatedToken>,
    error: Option<&AppError>,
) -> PageResult {
    let chrome = Chrome::member(state, who, "API tokens", "/app/tokens").await?.with_error_opt(error);
    let list = tokens::list(&state.app, who).await?;
    let permissions =
        all_permissions().into_iter().filter(|p| p.name.parse().is_ok_and(|perm| who.has(perm))).collect();
    let status = match (error, &created) {
        (Some(e), _) => crate::error::describe(e).status,
        (None, Some(_)) => StatusCode::CREATED,
        (None, None) => StatusCode::OK,
    };
    Ok(render(status, &TokensPage { chrome, tokens: list, permissions, created }))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    page(&state, &who, None, None).await
}

pub async fn create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let expires = form.get("expires_in_days").trim();
    let expires_in_days = match expires {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let error = AppError::invalid("expires_in_days", "must be a whole number of days");
                return page(&state, &who, None, Some(&error)).await;
            }
        },
    };
    match tokens::create(&state.app, &who, form.get("name"), &form.all("scopes"), expires_in_days).await {
        Ok(created) => page(&state, &who, Some(created), None).await,
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

pub async fn revoke(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id("token_id", &id)?;
    tokens::revoke(&state.app, &who, id).await?;
    Ok(see_other("/app/tokens"))
}
