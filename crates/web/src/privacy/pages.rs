//! Privacy pages. Public: the operator's notice at `/privacy` and each business's at
//! `/p/{slug}`, both generated from the data-class registry, the retention rules in force
//! and the declared sub-processors (POL-2), with the form that asks for access, correction
//! or erasure and the page that takes the one-time code. For the business: the privacy
//! inbox and each request, answered with an archive, an erasure or a note.

use crate::AppState;
use crate::customers::picker::CustomerPicker;
use crate::extract::{Auth, Client};
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, public_csrf, render, see_other, with_cookie};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::privacy::notice::{self, Notice};
use steward_app::privacy::person::{self, ErasureReport};
use steward_app::privacy::requests::{self, AskedOn, RequestView};
use steward_domain::privacy::{Jurisdiction, RequestKind};

#[derive(Template)]
#[template(path = "privacy/privacy.html")]
pub struct NoticePage {
    pub chrome: Chrome,
    pub notice: Notice,
}

pub async fn operator(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let (csrf, cookie) = public_csrf(&headers);
    let chrome = Chrome::public("Privacy notice", &csrf);
    Ok(with_cookie(render(StatusCode::OK, &NoticePage { chrome, notice: notice::operator(&state.app) }), cookie))
}

pub async fn business(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>) -> PageResult {
    let (csrf, cookie) = public_csrf(&headers);
    let notice = notice::of_business(&state.app, &slug).await?;
    let title = format!("How {} handles your data", notice.business.clone().unwrap_or_default());
    let chrome = Chrome::public(&title, &csrf);
    Ok(with_cookie(render(StatusCode::OK, &NoticePage { chrome, notice }), cookie))
}

#[derive(Template)]
#[template(path = "privacy/privacy_ask.html")]
pub struct AskPage {
    pub chrome: Chrome,
    pub business: String,
    pub slug: String,
    pub ticket: Option<uuid::Uuid>,
    pub confirmed: Option<&'static str>,
}

async fn business_name(state: &AppState, slug: &str) -> Result<String, AppError> {
    steward_app::tenancy::find_by_slug(&state.app, slug).await?.map(|t| t.name).ok_or(AppError::NotFound)
}

async fn ask_with(
    state: &AppState,
    headers: &HeaderMap,
    client: &steward_app::access::auth::ClientInfo,
    slug: &str,
    asked_on: AskedOn,
    form: &FormData,
) -> PageResult {
    let (csrf, cookie) = public_csrf(headers);
    let asked = requests::ask(
        &state.app,
        slug,
        asked_on,
        form.get("kind"),
        form.get("contact"),
        form.get("message"),
        client.ip.as_deref(),
    )
    .await?;
    let business = business_name(state, slug).await?;
    let chrome = Chrome::public("Confirm it is you", &csrf);
    let page = AskPage { chrome, business, slug: slug.to_string(), ticket: Some(asked.ticket), confirmed: None };
    Ok(with_cookie(render(StatusCode::OK, &page), cookie))
}

pub async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Path(slug): Path<String>,
    form: FormData,
) -> PageResult {
    ask_with(&state, &headers, &client, &slug, AskedOn::PrivacyPage, &form).await
}

/// A request made on the operator's notice for a named business goes to that business.
pub async fn ask_platform(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    form: FormData,
) -> PageResult {
    let slug = form.get("business").trim().to_ascii_lowercase();
    ask_with(&state, &headers, &client, &slug, AskedOn::Platform, &form).await
}

pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, ticket)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    let (csrf, cookie) = public_csrf(&headers);
    let ticket = uuid::Uuid::parse_str(&ticket).map_err(|_| AppError::NotFound)?;
    let business = business_name(&state, &slug).await?;
    match requests::confirm(&state.app, &slug, ticket, form.get("code")).await {
        Ok(kind) => {
            let chrome = Chrome::public("Request received", &csrf);
            let confirmed = Some(match kind {
                RequestKind::Access => "a copy of your data",
                RequestKind::Correction => "a correction",
                RequestKind::Erasure => "erasure",
            });
            let page = AskPage { chrome, business, slug, ticket: None, confirmed };
            Ok(with_cookie(render(StatusCode::OK, &page), cookie))
        }
        Err(error) => {
            let chrome = Chrome::public("Confirm it is you", &csrf).with_error_opt(Some(&error));
            let page = AskPage { chrome, business, slug, ticket: Some(ticket), confirmed: None };
            Ok(with_cookie(render(crate::pages::status_for(Some(&error)), &page), cookie))
        }
    }
}

pub async fn export_download(State(state): State<AppState>, Path((slug, token)): Path<(String, String)>) -> PageResult {
    let bytes = person::archive_by_link(&state.app, &slug, &token).await?;
    Ok(crate::privacy::api::zip_download(bytes))
}

#[derive(Template)]
#[template(path = "privacy/privacy_inbox.html")]
pub struct InboxPage {
    pub chrome: Chrome,
    pub requests: Vec<RequestView>,
    pub jurisdiction: &'static str,
    pub jurisdictions: Vec<(&'static str, &'static str)>,
    /// The customer who asked in person.
    pub picker: CustomerPicker,
}

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    notice: Option<String>,
    customer_id: Option<String>,
    /// What was typed to find the customer.
    find: Option<String>,
}

async fn inbox_page(state: &AppState, who: &Principal, query: &InboxQuery, error: Option<&AppError>) -> PageResult {
    let chrome = Chrome::member(state, who, "Privacy requests", "/app/privacy/requests")
        .await?
        .with_notice(query.notice.as_deref())
        .with_error_opt(error);
    let page = InboxPage {
        chrome,
        requests: requests::inbox(&state.app, who).await?,
        jurisdiction: requests::jurisdiction(&state.app, who).await?.name(),
        jurisdictions: Jurisdiction::ALL.iter().map(|j| (j.name(), j.label())).collect(),
        picker: CustomerPicker::search(
            state,
            who,
            query.find.as_deref().unwrap_or_default(),
            query.customer_id.as_deref().unwrap_or_default(),
            "/app/privacy/requests",
        )
        .await?,
    };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn inbox(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<InboxQuery>) -> PageResult {
    inbox_page(&state, &who, &query, None).await
}

pub async fn open(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let opened = match uuid::Uuid::parse_str(form.get("customer_id").trim()) {
        Ok(id) => {
            requests::open_for_customer(
                &state.app,
                &who,
                steward_domain::ids::CustomerId(id),
                form.get("kind"),
                form.get("message"),
            )
            .await
        }
        Err(_) => Err(AppError::invalid("customer_id", "choose the customer: find them by name, phone or email")),
    };
    match opened {
        Ok(request) => Ok(see_other(&format!("/app/privacy/requests/{}", request.id))),
        Err(error) => {
            let asked = InboxQuery {
                notice: None,
                customer_id: Some(form.get("customer_id").to_string()),
                find: Some(form.get("find").to_string()),
            };
            inbox_page(&state, &who, &asked, Some(&error)).await
        }
    }
}

pub async fn set_jurisdiction(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    match requests::set_jurisdiction(&state.app, &who, form.get("jurisdiction")).await {
        Ok(_) => Ok(see_other("/app/privacy/requests?notice=saved")),
        Err(error) => inbox_page(&state, &who, &InboxQuery::default(), Some(&error)).await,
    }
}

#[derive(Template)]
#[template(path = "privacy/privacy_request.html")]
pub struct RequestPage {
    pub chrome: Chrome,
    pub request: RequestView,
    pub preview: Option<ErasureReport>,
    pub erased: Option<ErasureReport>,
}

async fn request_page(
    state: &AppState,
    who: &Principal,
    id: uuid::Uuid,
    notice: Option<&str>,
    error: Option<&AppError>,
    erased: Option<ErasureReport>,
) -> PageResult {
    let request = requests::get(&state.app, who, id).await?;
    let chrome = Chrome::member(state, who, "Privacy request", "/app/privacy/requests")
        .await?
        .with_notice(notice)
        .with_error_opt(error);
    let preview = if request.kind == "erasure" && request.status == "open" {
        Some(person::preview_erasure(&state.app, who, id, false).await?)
    } else {
        None
    };
    Ok(render(crate::pages::status_for(error), &RequestPage { chrome, request, preview, erased }))
}

fn request_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

pub async fn show_request(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    request_page(&state, &who, request_id(&id)?, query.notice.as_deref(), None, None).await
}

async fn after_action(
    state: &AppState,
    who: &Principal,
    id: uuid::Uuid,
    outcome: Result<Option<ErasureReport>, AppError>,
) -> PageResult {
    match outcome {
        Ok(erased) => request_page(state, who, id, Some("saved"), None, erased).await,
        Err(error) => request_page(state, who, id, None, Some(&error), None).await,
    }
}

pub async fn answer(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = request_id(&id)?;
    let outcome = person::answer_access(&state.app, &who, id).await.map(|_| None);
    after_action(&state, &who, id, outcome).await
}

pub async fn erase(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = request_id(&id)?;
    let keep = form.get("keep_appointments_anonymized") == "yes";
    let outcome = person::erase(&state.app, &who, id, keep).await.map(Some);
    after_action(&state, &who, id, outcome).await
}

pub async fn close(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = request_id(&id)?;
    let outcome = requests::close(&state.app, &who, id, form.get("outcome"), form.get("note")).await.map(|_| None);
    after_action(&state, &who, id, outcome).await
}
