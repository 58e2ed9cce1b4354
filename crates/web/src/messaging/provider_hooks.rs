//! Provider callbacks: Twilio's status reports and inbound SMS, WhatsApp's subscription
//! handshake and notifications. No session and no CSRF token: each request is accepted
//! only when the provider's signature over it matches (checked in the app layer), and is
//! answered without saying more than that.

use crate::AppState;
use crate::error::ApiResult;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use steward_app::messaging::callbacks;

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The address the provider called, as it signed it: the public base URL and the path.
fn public_url(state: &AppState, uri: &Uri) -> String {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    state.app.link(path)
}

pub async fn twilio_status(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> ApiResult<StatusCode> {
    let url = public_url(&state, &uri);
    callbacks::twilio_status(&state.app, &slug, &url, &params, header_value(&headers, "x-twilio-signature")).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn twilio_inbound(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let url = public_url(&state, &uri);
    callbacks::twilio_inbound(&state.app, &slug, &url, &params, header_value(&headers, "x-twilio-signature")).await?;
    // An empty TwiML answer: Twilio sends no reply of its own beyond the carrier's.
    Ok(([(header::CONTENT_TYPE, "text/xml")], "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>")
        .into_response())
}

pub async fn whatsapp_handshake(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let challenge = callbacks::whatsapp_handshake(
        &state.app,
        &slug,
        get("hub.mode"),
        get("hub.verify_token"),
        get("hub.challenge"),
    )
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], challenge).into_response())
}

pub async fn whatsapp_events(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    callbacks::whatsapp_events(&state.app, &slug, &body, header_value(&headers, "x-hub-signature-256")).await?;
    Ok(StatusCode::OK)
}
