//! The booking page's look: the business chooses a colour, a phone for calls and
//! WhatsApp, a logo and a cover photo; the public pages load them from
//! `/b/{slug}/look.css` and `/b/{slug}/pictures/{logo|cover}`, addressed with the look's
//! version so a browser may keep them.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::tenancy::look::{self, LookView};
use steward_domain::permissions::Permission;

/// Largest upload the picture forms take: the largest picture and the form around it.
pub const PICTURE_BODY_LIMIT: usize = 2 * 1024 * 1024 + 64 * 1024;

/// The settings page.
pub const PATH: &str = "/app/business/look";

#[derive(Template)]
#[template(path = "tenancy/look.html")]
pub struct LookPage {
    pub chrome: Chrome,
    pub look: LookView,
    pub slug: String,
    pub can_manage: bool,
}

impl LookPage {
    /// The colour picker's value: the business's, else Steward's own blue.
    pub fn colour_value(&self) -> &str {
        self.look.accent.as_deref().unwrap_or("#0b5cad")
    }

    /// Whether the error shown is about this picture's upload.
    pub fn marks(&self, picture: &str) -> bool {
        self.chrome.error_field == picture
    }

    pub fn pictures(&self) -> [(&'static str, &'static str, bool, &'static str); 2] {
        [
            (
                "logo",
                "Logo",
                self.look.has_logo,
                "Square works best; shown beside your name. PNG, JPEG or WebP up to 512 KB.",
            ),
            (
                "cover",
                "Cover photo",
                self.look.has_cover,
                "Wide works best; shown across the top of your booking page. PNG, JPEG or WebP up to 2 MB.",
            ),
        ]
    }
}

async fn page(state: &AppState, who: &Principal, notice: Option<&str>, error: Option<&AppError>) -> PageResult {
    let chrome = Chrome::member(state, who, "Booking page look", PATH).await?.with_notice(notice).with_error_opt(error);
    let look = look::of_business(&state.app, who).await?;
    let slug = steward_app::tenancy::profile(&state.app, who).await?.slug;
    let page = LookPage { chrome, look, slug, can_manage: who.has(Permission::TenantManage) };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    page(&state, &who, query.notice.as_deref(), None).await
}

pub async fn save(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let accent = if form.get("own_colour") == "yes" { form.get("accent") } else { "" };
    match look::set_colour_and_phone(&state.app, &who, accent, form.get("phone")).await {
        Ok(()) => Ok(see_other(&format!("{PATH}?notice=saved"))),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

/// A picture sent as the `file` part of a multipart form, its kind as the `picture` part.
pub async fn upload(State(state): State<AppState>, Auth(who): Auth, mut multipart: Multipart) -> PageResult {
    let unreadable = || AppError::invalid("file", "the upload could not be read (larger than 2 MB?)");
    let (mut picture, mut file) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("picture") => picture = field.text().await.map_err(|_| unreadable())?,
            Some("file") => file = field.bytes().await.map_err(|_| unreadable())?.to_vec(),
            _ => {}
        }
    }
    match look::set_picture(&state.app, &who, &picture, file).await {
        Ok(()) => Ok(see_other(&format!("{PATH}?notice=saved"))),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

pub async fn remove(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    match look::remove_picture(&state.app, &who, form.get("picture")).await {
        Ok(()) => Ok(see_other(&format!("{PATH}?notice=removed"))),
        Err(error) => page(&state, &who, None, Some(&error)).await,
    }
}

/// The business's colours for its public pages, light and dark.
pub async fn stylesheet(State(state): State<AppState>, Path(slug): Path<String>) -> PageResult {
    let look = look::public(&state.app, &slug).await?;
    let css = match (&look.accent, &look.accent_dark) {
        (Some(light), Some(dark)) => {
            format!(":root {{ --brand: light-dark({light}, {dark}); --brand-ink: light-dark(#ffffff, #121417); }}\n")
        }
        _ => String::new(),
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=86400")],
        css,
    )
        .into_response())
}

/// A picture of the business, as stored.
pub async fn picture(State(state): State<AppState>, Path((slug, picture)): Path<(String, String)>) -> PageResult {
    let (content_type, bytes) = look::public_picture(&state.app, &slug, &picture).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}
