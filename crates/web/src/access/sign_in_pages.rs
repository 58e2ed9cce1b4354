//! Pages before signing in: sign up, log in, forgotten password, reset, email
//! verification, accepting an invitation; and logging out.

use crate::AppState;
use crate::extract::{Auth, Client, cookie, set_cookie};
use crate::guard::{SESSION_COOKIE, optional_principal};
use crate::pages::words::{self, visitor_language};
use crate::pages::{
    Chrome, FormData, MessagePage, NoticeQuery, PageResult, public_csrf, render, see_other, with_cookie,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use steward_app::AppError;
use steward_app::access::auth::{self, IssuedSession};
use steward_app::access::devices::{DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS};
use steward_app::access::members::{self, InvitationPreview};
use steward_app::tenancy::{self, NewTenant};
use steward_domain::policy::current_policy;

fn status_of(error: &AppError) -> StatusCode {
    crate::error::describe(error).status
}

/// Where to go after logging in: only a path on this site, as a browser would resolve it.
///
/// Browsers drop tabs and line breaks anywhere in a URL and read `\\` as `/`, so
/// `/\t/evil.example` is `//evil.example`, another site. `next` is therefore resolved
/// against a stand-in for Steward's own origin with the WHATWG rules browsers follow, and
/// only a result on that origin is kept: its path, query and fragment, re-serialised so
/// the `Location` header carries no control character.
pub(crate) fn safe_next(next: &str) -> String {
    safe_next_or(next, "/app")
}

/// [`safe_next`], with the place to go when `next` leads off the site.
pub(crate) fn safe_next_or(next: &str, fallback: &str) -> String {
    let Ok(own) = url::Url::parse("http://steward.invalid/") else { return fallback.into() };
    if !next.starts_with('/') {
        return fallback.into();
    }
    match own.join(next) {
        Ok(resolved) if resolved.origin() == own.origin() && resolved.username().is_empty() => {
            let mut path = resolved.path().to_string();
            if let Some(query) = resolved.query() {
                path.push('?');
                path.push_str(query);
            }
            if let Some(fragment) = resolved.fragment() {
                path.push('#');
                path.push_str(fragment);
            }
            path
        }
        _ => fallback.into(),
    }
}

fn signed_in(issued: &IssuedSession, to: &str) -> Response {
    let response =
        with_cookie(see_other(to), Some(set_cookie(SESSION_COOKIE, &issued.cookie_value, issued.max_age_seconds)));
    let device =
        issued.device_cookie.as_deref().map(|value| set_cookie(DEVICE_COOKIE, value, DEVICE_COOKIE_MAX_AGE_SECONDS));
    with_cookie(response, device)
}

pub async fn front_door(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    Ok(match optional_principal(&state, &headers).await {
        Some(_) => see_other("/app"),
        None => see_other("/login"),
    })
}

#[derive(Default)]
pub struct SignupValues {
    pub business_name: String,
    pub slug: String,
    pub country: String,
    pub time_zone: String,
    pub name: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "access/signup.html")]
pub struct SignupPage {
    pub chrome: Chrome,
    pub form: SignupValues,
    pub policy_version: &'static str,
}

pub async fn signup_form(headers: HeaderMap) -> PageResult {
    let (csrf, new_cookie) = public_csrf(&headers);
    let page = SignupPage {
        chrome: Chrome::visitor(&headers, "signin-create-business", &csrf),
        form: SignupValues { country: "IN".into(), time_zone: "Asia/Kolkata".into(), ..Default::default() },
        policy_version: current_policy().version,
    };
    Ok(with_cookie(render(StatusCode::OK, &page), new_cookie))
}

pub async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    form: FormData,
) -> PageResult {
    let input = NewTenant {
        business_name: form.get("business_name").into(),
        slug: form.get("slug").into(),
        country: form.get("country").into(),
        time_zone: form.get("time_zone").into(),
        owner_name: form.get("name").into(),
        owner_email: form.get("email").into(),
        owner_password: form.get("password").into(),
        accepted_policy: form.get("accept_policy") == "yes",
        owner_email_verified: false,
        ip: client.ip.clone(),
    };
    let result = match tenancy::create_tenant(&state.app, input).await {
        Ok((tenant, owner)) => auth::start_session(&state.app, tenant.id, owner, &client).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(issued) => Ok(signed_in(&issued, "/app?notice=welcome")),
        Err(error) => {
            let (csrf, _) = public_csrf(&headers);
            let page = SignupPage {
                chrome: Chrome::visitor(&headers, "signin-create-business", &csrf).with_error(&error),
                form: SignupValues {
                    business_name: form.get("business_name").into(),
                    slug: form.get("slug").into(),
                    country: form.get("country").into(),
                    time_zone: form.get("time_zone").into(),
                    name: form.get("name").into(),
                    email: form.get("email").into(),
                },
                policy_version: current_policy().version,
            };
            Ok(render(status_of(&error), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "access/login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub workspace: String,
    pub email: String,
    pub next: String,
}

#[derive(serde::Deserialize, Default)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub notice: Option<String>,
    pub workspace: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> PageResult {
    if optional_principal(&state, &headers).await.is_some() {
        return Ok(see_other(&safe_next(query.next.as_deref().unwrap_or("/app"))));
    }
    let (csrf, new_cookie) = public_csrf(&headers);
    let page = LoginPage {
        chrome: Chrome::visitor(&headers, "signin-log-in", &csrf).with_notice(query.notice.as_deref()),
        workspace: query.workspace.unwrap_or_default(),
        email: String::new(),
        next: query.next.unwrap_or_else(|| "/app".into()),
    };
    Ok(with_cookie(render(StatusCode::OK, &page), new_cookie))
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    form: FormData,
) -> PageResult {
    let existing = cookie(&headers, SESSION_COOKIE);
    let device = cookie(&headers, DEVICE_COOKIE);
    let attempt = auth::LogIn {
        slug: form.get("workspace"),
        email: form.get("email"),
        password: form.get("password"),
        client: &client,
        replacing: existing.as_deref(),
        device: device.as_deref(),
    };
    match auth::log_in_on_device(&state.app, attempt).await {
        Ok(issued) => Ok(signed_in(&issued, &safe_next(form.get("next")))),
        Err(error) => {
            let (csrf, _) = public_csrf(&headers);
            let page = LoginPage {
                chrome: Chrome::visitor(&headers, "signin-log-in", &csrf).with_error(&error),
                workspace: form.get("workspace").into(),
                email: form.get("email").into(),
                next: form.get("next").into(),
            };
            let mut response = render(status_of(&error), &page);
            if let AppError::RateLimited(seconds) = error
                && let Ok(value) = seconds.to_string().parse()
            {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
            }
            Ok(response)
        }
    }
}

pub async fn logout(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    auth::log_out(&state.app, &who).await?;
    Ok(with_cookie(see_other("/login?notice=logged_out"), Some(set_cookie(SESSION_COOKIE, "", 0))))
}

#[derive(Template)]
#[template(path = "access/forgot.html")]
pub struct ForgotPage {
    pub chrome: Chrome,
    pub workspace: String,
    pub email: String,
}

pub async fn forgot_form(headers: HeaderMap) -> PageResult {
    let (csrf, new_cookie) = public_csrf(&headers);
    let page = ForgotPage {
        chrome: Chrome::visitor(&headers, "signin-forgot", &csrf),
        workspace: String::new(),
        email: String::new(),
    };
    Ok(with_cookie(render(StatusCode::OK, &page), new_cookie))
}

pub async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    form: FormData,
) -> PageResult {
    match auth::request_password_reset(&state.app, form.get("workspace"), form.get("email"), &client).await {
        Ok(()) => {
            let page = MessagePage {
                chrome: Chrome::visitor(&headers, "signin-check-inbox", ""),
                text: words::say(visitor_language(&headers), "forgot-sent", &[]),
                link: Some(("/login".into(), words::say(visitor_language(&headers), "forgot-back", &[]))),
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(error) => {
            let (csrf, _) = public_csrf(&headers);
            let page = ForgotPage {
                chrome: Chrome::visitor(&headers, "signin-forgot", &csrf).with_error(&error),
                workspace: form.get("workspace").into(),
                email: form.get("email").into(),
            };
            Ok(render(status_of(&error), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "access/reset.html")]
pub struct ResetPage {
    pub chrome: Chrome,
    pub token: String,
}

pub async fn reset_form(headers: HeaderMap, Path(token): Path<String>) -> PageResult {
    let (csrf, new_cookie) = public_csrf(&headers);
    let page = ResetPage { chrome: Chrome::visitor(&headers, "signin-new-password", &csrf), token };
    Ok(with_cookie(render(StatusCode::OK, &page), new_cookie))
}

pub async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    form: FormData,
) -> PageResult {
    match auth::reset_password(&state.app, &token, form.get("password")).await {
        Ok(()) => Ok(see_other("/login?notice=password_reset")),
        // A dead link has no form worth showing again.
        Err(AppError::LinkInvalid) => Err(AppError::LinkInvalid.into()),
        Err(error) => {
            let (csrf, _) = public_csrf(&headers);
            let page =
                ResetPage { chrome: Chrome::visitor(&headers, "signin-new-password", &csrf).with_error(&error), token };
            Ok(render(status_of(&error), &page))
        }
    }
}

pub async fn verify(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> PageResult {
    auth::verify_email(&state.app, &token).await?;
    let language = visitor_language(&headers);
    let page = MessagePage {
        chrome: Chrome::visitor(&headers, "signin-email-confirmed", ""),
        text: words::say(language, "verify-thanks", &[]),
        link: Some(("/app".into(), words::say(language, "verify-go", &[]))),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "access/invite.html")]
pub struct InvitePage {
    pub chrome: Chrome,
    pub token: String,
    pub preview: InvitationPreview,
    pub name: String,
}

impl InvitePage {
    /// Who invites whom, as what.
    pub fn intro(&self) -> String {
        let p = &self.preview;
        words::say(
            self.chrome.language,
            "invite-intro",
            &[("business", &p.business), ("role", &p.role), ("email", &p.email)],
        )
    }
}

pub async fn invite_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(_q): Query<NoticeQuery>,
) -> PageResult {
    let preview = members::preview_invitation(&state.app, &token).await?;
    let (csrf, new_cookie) = public_csrf(&headers);
    let page =
        InvitePage { chrome: Chrome::visitor(&headers, "signin-join", &csrf), token, preview, name: String::new() };
    Ok(with_cookie(render(StatusCode::OK, &page), new_cookie))
}

pub async fn accept_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Path(token): Path<String>,
    form: FormData,
) -> PageResult {
    match members::accept_invitation(&state.app, &token, form.get("name"), form.get("password"), &client).await {
        Ok(issued) => Ok(signed_in(&issued, "/app")),
        Err(error @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let preview = members::preview_invitation(&state.app, &token).await?;
            let (csrf, _) = public_csrf(&headers);
            let page = InvitePage {
                chrome: Chrome::visitor(&headers, "signin-join", &csrf).with_error(&error),
                token,
                preview,
                name: form.get("name").into(),
            };
            Ok(render(status_of(&error), &page))
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site_however_it_is_written() {
        // promise: SEC-2
        for hostile in [
            "//evil.example/phish",
            "/\\evil.example/phish",
            "/\t/evil.example/phish",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "http://evil.example/",
            "https:evil.example",
            "javascript:alert(1)",
            "/\u{0B}/evil.example",
            "",
        ] {
            let to = safe_next(hostile);
            assert!(to.starts_with('/') && !to.starts_with("//") && !to.starts_with("/\\"), "{hostile:?} -> {to:?}");
            assert!(!to.contains("evil.example") || to.starts_with("/%"), "{hostile:?} -> {to:?}");
            assert!(!to.chars().any(char::is_control), "{hostile:?} -> {to:?}");
        }
        assert_eq!(safe_next("/app/customers?q=a b#top"), "/app/customers?q=a%20b#top");
        assert_eq!(safe_next("/app/../app/x"), "/app/x");
        assert_eq!(safe_next("/\u{0}x"), "/%00x");
    }
}
