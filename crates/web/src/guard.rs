//! The access guard every route passes through, configured from the route table with
//! the access that route declared.
//!
//! API routes authenticate with `Authorization: Bearer <token>` only (no cookies, so no
//! cross-site request can ride on them). Pages authenticate with the session cookie, and
//! every page request that changes something must carry the CSRF token: the session's own
//! once signed in, or the double-submit cookie before (sign-up, log-in, reset forms).
//! A request whose `Origin` names another site is refused outright.

use crate::AppState;
use crate::error::{ApiError, Failure, describe};
use crate::extract::cookie;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use steward_app::AppError;
use steward_app::access::auth;
use steward_app::access::principal::Principal;
use steward_crypto::token::constant_time_eq;
use steward_domain::permissions::Access;

pub const SESSION_COOKIE: &str = "steward_session";
pub const CSRF_COOKIE: &str = "steward_csrf";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What the guard of one route knows.
#[derive(Clone)]
pub struct GuardState {
    pub state: AppState,
    pub access: Access,
    pub api: bool,
    /// The route as declared, for metrics.
    pub route: &'static str,
    /// A page that takes files: multipart bodies up to this many bytes.
    pub upload_limit: Option<usize>,
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Times the request and counts it under its declared route.
pub async fn guard(State(guard): State<GuardState>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = guard.route;
    let mut response = guarded(guard, req, next).await;
    crate::metrics::observe(method.as_str(), route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response.extensions_mut().insert(crate::security::Route(route));
    response
}

async fn guarded(guard: GuardState, req: Request, next: Next) -> Response {
    let unsafe_page_request = !guard.api && changes_state(req.method());
    if unsafe_page_request && !same_origin(&req) {
        return crate::pages::failure_page(Failure::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "this form was sent from another site",
        ));
    }
    if guard.access == Access::Public {
        if unsafe_page_request {
            let expected = cookie(req.headers(), CSRF_COOKIE);
            return match check_csrf(req, expected.as_deref(), guard.state.web.body_limit_bytes).await {
                Ok(req) => next.run(req).await,
                Err(response) => response,
            };
        }
        return next.run(req).await;
    }

    let principal = if guard.api {
        let token = bearer_token(req.headers());
        authenticate_api(&guard.state, token).await
    } else {
        let session = cookie(req.headers(), SESSION_COOKIE);
        authenticate_page(&guard.state, session).await
    };
    let mut principal = match principal {
        Ok(p) => p,
        Err(AppError::Unauthenticated) if !guard.api => {
            let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/app");
            let target =
                format!("/login?next={}", form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>());
            return Redirect::to(&target).into_response();
        }
        Err(error) => return reject(guard.api, &error),
    };
    let tenant = principal.tenant;
    let (parts, body) = req.into_parts();
    principal.origin = crate::extract::client_info(&parts);
    let mut req = Request::from_parts(parts, body);
    if !principal.allows(guard.access) {
        let needed = guard.access.describe().to_string();
        steward_app::audit::record_denial(&guard.state.app, &principal, &needed, req.uri().path()).await;
        return reject(guard.api, &AppError::Forbidden(needed));
    }
    if unsafe_page_request {
        let expected = principal.csrf_token().map(str::to_string);
        // Pages that take files read larger, multipart bodies.
        let (limit, multipart) = match guard.upload_limit {
            Some(limit) => (limit, true),
            None => (guard.state.web.body_limit_bytes, false),
        };
        req = match check_csrf_in(req, expected.as_deref(), limit, multipart).await {
            Ok(req) => req,
            Err(response) => return response,
        };
    }
    let page_view = (!guard.api && req.method() == Method::GET).then(|| principal.clone());
    req.extensions_mut().insert(principal);
    let mut response = next.run(req).await;
    if let Some(viewer) = page_view
        && response.status().is_success()
    {
        steward_app::usage::record_page_view(&guard.state.app, &viewer, guard.route);
    }
    response.extensions_mut().insert(crate::security::RequestTenant(tenant));
    response
}

fn reject(api: bool, error: &AppError) -> Response {
    if api { ApiError(describe(error)).into_response() } else { crate::pages::failure_page(describe(error)) }
}

fn bearer_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

async fn authenticate_api(state: &AppState, token: Option<String>) -> Result<Principal, AppError> {
    auth::authenticate_token(&state.app, &token.ok_or(AppError::Unauthenticated)?).await
}

async fn authenticate_page(state: &AppState, session: Option<String>) -> Result<Principal, AppError> {
    auth::authenticate_session(&state.app, &session.ok_or(AppError::Unauthenticated)?).await
}

/// The signed-in member on a public page, if there is one (to skip the login form).
pub async fn optional_principal(state: &AppState, headers: &axum::http::HeaderMap) -> Option<Principal> {
    let value = cookie(headers, SESSION_COOKIE)?;
    auth::authenticate_session(&state.app, &value).await.ok()
}

fn same_origin(req: &Request) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").map(|(_, rest)| rest) == Some(host)
}

/// Reads the body (bounded), finds the CSRF token in the header or the form, compares it,
/// and hands back a request with the same body.
async fn check_csrf(req: Request, expected: Option<&str>, limit: usize) -> Result<Request, Response> {
    check_csrf_in(req, expected, limit, false).await
}

async fn check_csrf_in(
    req: Request,
    expected: Option<&str>,
    limit: usize,
    multipart: bool,
) -> Result<Request, Response> {
    let refuse = || {
        crate::pages::failure_page(Failure::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "this form has expired or did not come from Steward; go back, reload the page and try again",
        ))
    };
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return Err(refuse());
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        crate::pages::failure_page(Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the form is too large"))
    })?;
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned()));
    let sent = match sent {
        None if multipart => multipart_csrf(&parts, bytes.clone()).await,
        other => other,
    };
    match sent {
        Some(sent) if constant_time_eq(sent.as_bytes(), expected.as_bytes()) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(refuse()),
    }
}

/// The `csrf` part of a multipart form, read from a copy of the body.
async fn multipart_csrf(parts: &axum::http::request::Parts, bytes: axum::body::Bytes) -> Option<String> {
    use axum::extract::FromRequest;
    let mut copy = Request::new(Body::from(bytes));
    *copy.headers_mut() = parts.headers.clone();
    let mut form = axum::extract::Multipart::from_request(copy, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}
