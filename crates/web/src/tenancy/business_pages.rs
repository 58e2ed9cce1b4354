//! The business profile: name, short name, country, time zone, GSTIN.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Query, State};
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::tenancy::{self, ProfileChange, TenantView};
use steward_domain::permissions::Permission;

#[derive(Template)]
#[template(path = "tenancy/business.html")]
pub struct BusinessPage {
    pub chrome: Chrome,
    pub tenant: TenantView,
    pub can_manage: bool,
}

async fn page(
    state: &AppState,
    who: &Principal,
    notice: Option<&str>,
    error: Option<&AppError>,
    shown: Option<TenantView>,
) -> PageResult {
    let chrome = Chrome::member(state, who, "Business profile", "/app/business")
        .await?
        .with_notice(notice)
        .with_error_opt(error);
    let tenant = match shown {
        Some(t) => t,
        None => tenancy::profile(&state.app, who).await?,
    };
    let status = crate::pages::status_for(error);
    Ok(render(status, &BusinessPage { chrome, tenant, can_manage: who.has(Permission::TenantManage) }))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    page(&state, &who, query.notice.as_deref(), None, None).await
}

pub async fn update(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let change = ProfileChange {
        name: Some(form.get("name").into()),
        slug: Some(form.get("slug").into()),
        country: Some(form.get("country").into()),
        time_zone: Some(form.get("time_zone").into()),
        gstin: Some(form.get("gstin").into()),
    };
    match tenancy::update_profile(&state.app, &who, change).await {
        Ok(_) => Ok(see_other("/app/business?notice=saved")),
        Err(error) => {
            // The form shows what was typed, over the profile as it is.
            let mut shown = tenancy::profile(&state.app, &who).await?;
            shown.name = form.get("name").into();
            shown.slug = form.get("slug").into();
            shown.country = form.get("country").into();
            shown.time_zone = form.get("time_zone").into();
            shown.gstin = Some(form.get("gstin").to_string()).filter(|g| !g.is_empty());
            page(&state, &who, None, Some(&error), Some(shown)).await
        }
    }
}
