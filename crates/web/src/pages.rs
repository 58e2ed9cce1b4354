//! The pages, rendered on the server with askama; htmx (boosted links and forms) makes
//! them smoother, and every page works without JavaScript.
//!
//! This module is the frame every capability's pages share: the layout's [`Chrome`] with
//! the menu (built from the routes that declare a menu entry), rendering, the error page
//! (which every handler's [`PageResult`] turns its errors into), and forms read with
//! [`FormData`], which keeps repeated fields (checkbox lists) and never fails on odd input;
//! validation belongs to the services.

use crate::AppState;
use crate::error::{Failure, describe};
use crate::extract::{cookie, set_cookie};
use crate::guard::CSRF_COOKIE;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_domain::ValidationError;
pub use steward_domain::language::Language;

pub mod words;

/// The routes of the frame itself: the public pages' language switch.
pub fn routes() -> Vec<crate::routes::Route> {
    vec![
        crate::routes::get("/language", words::switch)
            .public()
            .about("Read the public pages in another language (kept in a cookie)"),
    ]
}

/// The language of members' pages, until each member chooses their own.
pub const ENGLISH: Language = Language::English;

/// A link in the navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The header of a signed-in page.
pub struct Nav {
    pub business: String,
    pub member: String,
    pub role: String,
    pub links: Vec<NavLink>,
}

/// What the base layout shows around every page.
pub struct Chrome {
    pub title: String,
    /// What the header names, and where it leads: Steward, or on a business's public
    /// pages the business itself.
    pub brand: Brand,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub error_field: String,
    /// `light` or `dark` when the member chose one; otherwise the device's setting rules.
    pub theme: Option<&'static str>,
    /// The language the page speaks.
    pub language: Language,
}

/// The name at the top left of a page and its link.
pub struct Brand {
    pub name: String,
    pub href: String,
    /// On a business's own page, its privacy notice, which the footer links to beside a
    /// word that the page runs on Steward.
    pub business_privacy: Option<String>,
    /// The business's own colours and logo, when it chose them.
    pub stylesheet: Option<String>,
    pub logo: Option<String>,
}

impl Brand {
    fn steward() -> Self {
        Self { name: "Steward".into(), href: "/".into(), business_privacy: None, stylesheet: None, logo: None }
    }
}

impl Chrome {
    /// For a page before signing in.
    pub fn public(title: &str, csrf: &str) -> Self {
        Self {
            title: title.into(),
            brand: Brand::steward(),
            nav: None,
            csrf: csrf.into(),
            notice: None,
            error: None,
            error_field: String::new(),
            theme: None,
            language: Language::English,
        }
    }

    /// For a page before signing in, in the visitor's language, titled by the message
    /// `title_id`.
    pub fn visitor(headers: &HeaderMap, title_id: &str, csrf: &str) -> Self {
        let language = words::visitor_language(headers);
        Self::public(&words::say(language, title_id, &[]), csrf).speaking(language)
    }

    /// For a signed-in member's page, with the navigation their permissions allow.
    pub async fn member(state: &AppState, who: &Principal, title: &str, current: &str) -> Result<Self, AppError> {
        let business = steward_app::tenancy::business_name(&state.app, who).await?;
        Ok(Self::member_of(business, who, title, current))
    }

    /// As [`Chrome::member`], for a page that read the business's name along with the rest
    /// of what it shows.
    pub fn member_of(business: String, who: &Principal, title: &str, current: &str) -> Self {
        use crate::routes::Section;
        let allowed = || crate::routes::menu().iter().filter(|(_, _, access)| who.allows(*access));
        let mut links: Vec<NavLink> = allowed()
            .filter(|(entry, _, _)| entry.section == Section::Main)
            .map(|(entry, href, _)| NavLink { href, label: entry.label, current: *href == current })
            .collect();
        // Every other page is reached from Settings, which stays marked while one is open.
        let in_settings = current == crate::settings::PATH
            || allowed().any(|(entry, href, _)| entry.section != Section::Main && *href == current);
        links.push(NavLink { href: crate::settings::PATH, label: "Settings", current: in_settings });
        Self {
            title: title.into(),
            brand: Brand::steward(),
            nav: Some(Nav { business, member: who.name.clone(), role: who.role.clone(), links }),
            csrf: who.csrf_token().unwrap_or_default().to_string(),
            notice: None,
            error: None,
            error_field: String::new(),
            theme: match who.theme {
                steward_domain::theme::Theme::Device => None,
                chosen => Some(chosen.name()),
            },
            language: Language::English,
        }
    }

    /// The page in `language`.
    pub fn speaking(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    /// The message `id` in the page's language.
    pub fn t(&self, id: &str) -> String {
        words::say(self.language, id, &[])
    }

    /// The message `id` with one value.
    pub fn t1<V: words::Value + ?Sized>(&self, id: &str, name: &str, value: &V) -> String {
        words::say(self.language, id, &[(name, &value)])
    }

    /// On a page before signing in, the other languages it can be read in: (name in
    /// itself, code, where the switch leads).
    pub fn other_languages(&self) -> Vec<(&'static str, &'static str, String)> {
        Language::ALL
            .into_iter()
            .filter(|l| *l != self.language)
            .map(|l| {
                let back: String = form_urlencoded::byte_serialize(self.brand.href.as_bytes()).collect();
                (l.own_name(), l.code(), format!("/language?to={}&back={back}", l.code()))
            })
            .collect()
    }

    /// A business's public page: the header carries the business, leading to its booking
    /// page, where a customer expects to see who they are booking with.
    pub fn of_business(mut self, name: &str, slug: &str) -> Self {
        self.brand = Brand {
            name: name.into(),
            href: format!("/b/{slug}"),
            business_privacy: Some(format!("/p/{slug}")),
            stylesheet: None,
            logo: None,
        };
        self
    }

    /// The business's colours and logo on its public page.
    pub fn with_look(mut self, slug: &str, look: &steward_app::tenancy::look::LookView) -> Self {
        let version = look.version;
        self.brand.stylesheet = look.accent.is_some().then(|| format!("/b/{slug}/look.css?v={version}"));
        self.brand.logo = look.has_logo.then(|| format!("/b/{slug}/pictures/logo?v={version}"));
        self
    }

    pub fn with_notice(mut self, notice: Option<&str>) -> Self {
        self.notice = notice.and_then(|key| {
            let id = format!("notice-{key}");
            if self.language != Language::English && words::has(self.language, &id) {
                Some(words::say(self.language, &id, &[]))
            } else {
                notice_text(key).map(str::to_string)
            }
        });
        self
    }

    /// Shows the error, if there is one.
    pub fn with_error_opt(self, error: Option<&AppError>) -> Self {
        match error {
            Some(error) => self.with_error(error),
            None => self,
        }
    }

    /// Shows a service error above the form and marks the field it names.
    pub fn with_error(mut self, error: &AppError) -> Self {
        let failure = describe(error);
        let field = failure.field.unwrap_or_default();
        self.error = Some(match self.language {
            Language::English => error_in_words(&field, &failure.message),
            other => error_in(other, &field, &failure.message),
        });
        self.error_field = field;
        self
    }
}

/// An error as a page says it to a salon owner or their customer: the field by its name in
/// words, then what is wrong, as a sentence ("Phone may contain only digits", "Start time
/// is already taken"). The API keeps `field: message`, which programs read.
pub fn error_in_words(field: &str, message: &str) -> String {
    let Some(rest) = message.strip_prefix(field).and_then(|rest| rest.strip_prefix(": ")).filter(|_| !field.is_empty())
    else {
        return sentence(message);
    };
    let label = field_label(field);
    let predicate = ["is ", "are ", "must ", "may ", "has ", "was ", "cannot ", "can ", "does ", "should "];
    if predicate.iter().any(|word| rest.starts_with(word)) {
        sentence(&format!("{label} {rest}"))
    } else {
        sentence(&format!("{label}: {rest}"))
    }
}

/// An error in another language than English: the field by its label and what is wrong,
/// each from the catalogue where it has them (`problem-is-required`), else as English
/// says it.
fn error_in(language: Language, field: &str, message: &str) -> String {
    let rest = message.strip_prefix(field).and_then(|rest| rest.strip_prefix(": ")).filter(|_| !field.is_empty());
    let Some(problem) = rest else { return error_in_words(field, message) };
    let name = field.rsplit('.').next().unwrap_or(field);
    let label_id = format!("field-{name}");
    let label = if words::has(language, &label_id) { words::say(language, &label_id, &[]) } else { field_label(field) };
    let problem_id = format!("problem-{}", message_id(problem));
    let problem =
        if words::has(language, &problem_id) { words::say(language, &problem_id, &[]) } else { problem.into() };
    words::say(language, "error-sentence", &[("field", &label), ("problem", &problem)])
}

/// A message as a catalogue id: `is not an email address (no @)` ->
/// `is-not-an-email-address-no`.
fn message_id(message: &str) -> String {
    let mut id = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

/// A field's name as its form's label says it (`customer.phone` -> `Phone`).
fn field_label(field: &str) -> String {
    let name = field.rsplit('.').next().unwrap_or(field);
    let known = match name {
        "start" => Some("Start time"),
        "slug" => Some("Short name"),
        "gstin" => Some("GSTIN"),
        "gst_rate" => Some("GST rate"),
        "sac_code" => Some("SAC code"),
        "duration_minutes" => Some("Duration"),
        "time_zone" => Some("Time zone"),
        "q" => Some("Search"),
        "csrf" => Some("The form"),
        _ => None,
    };
    known.map(str::to_string).unwrap_or_else(|| sentence_case(&name.replace('_', " ")))
}

/// The first letter upper case.
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Upper case first, a full stop last unless it ends in punctuation already.
fn sentence(text: &str) -> String {
    let text = sentence_case(text.trim());
    if text.ends_with(['.', '!', '?', ')']) { text } else { format!("{text}.") }
}

/// An amount in paise as a page shows it (`₹1,800`); templates hand their values by
/// reference.
pub fn rupees(paise: &i64) -> String {
    steward_domain::human::rupees(*paise)
}

/// An instant as a page shows it in the business's zone: words, the exact time and the
/// machine form for `<time>`.
pub fn moment(
    language: &Language,
    micros: &i64,
    now: &i64,
    zone: &jiff::tz::TimeZone,
) -> Option<steward_domain::human::Moment> {
    steward_domain::human::Moment::at(*language, *micros, *now, zone)
}

/// A stored phone number as a page shows it (`+91 98450 00101`).
pub fn phone(e164: &str) -> String {
    steward_domain::human::phone(e164)
}

/// The WhatsApp chat link for a stored phone number, if it is a whole international one.
pub fn whatsapp_link(e164: &str) -> Option<String> {
    steward_domain::human::whatsapp_link(e164)
}

/// The status of a page shown after a form: the error's, or 200.
pub fn status_for(error: Option<&AppError>) -> StatusCode {
    error.map(|e| describe(e).status).unwrap_or(StatusCode::OK)
}

/// The fixed set of messages a redirect can ask the next page to show.
fn notice_text(key: &str) -> Option<&'static str> {
    Some(match key {
        "saved" => "Saved.",
        "moved" => "Moved. Its reminders follow the new time.",
        "resized" => "Its length is changed.",
        "theme_saved" => "Colours saved: your pages follow them on every device.",
        "status_saved" => "Status changed.",
        "status_undone" => "Undone: the appointment is back as it was.",
        "reminder_rules_saved" => "Reminder settings saved: appointments booked from now on follow them.",
        "template_saved" => "Wording saved: the next message of this kind uses it.",
        "hold_set" => "The legal hold is in force: nothing it covers will be deleted until it is lifted.",
        "hold_lifted" => "The legal hold was lifted.",
        "connected" => "Connected. The secret is sealed; only its last four characters are shown.",
        "disconnected" => "Disconnected.",
        "retrying" => "The message will be sent again in a moment.",
        "appointment_cancelled" => "Your appointment is cancelled. The business has been told.",
        "cancelled" => {
            "Your business is cancelled. Nothing is deleted yet; the dates below apply, and we mailed them to you."
        }
        "reactivated" => "Welcome back: your business is active again and no deletion is planned.",
        "invited" => "Invitation sent.",
        "role_changed" => "Role changed.",
        "removed" => "Removed.",
        "revoked" => "Withdrawn.",
        "created" => "Created.",
        "series_conflicts" => {
            "Booked. Some dates of the series were already taken; the series below lists the ones booked."
        }
        "merged" => "Merged. The other record is gone; everything it held is here.",
        "password_changed" => "Your password was changed; your other sessions were ended.",
        "password_reset" => "Your password was set. Log in with it now.",
        "verification_sent" => "We sent the link again.",
        "logged_out" => "You have logged out.",
        "welcome" => "Welcome to Steward. Check your inbox to confirm your email address.",
        _ => return None,
    })
}

/// Renders a template, or an error page if rendering fails.
pub fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => failure_page(Failure {
            internal: Some(format!("page could not be rendered: {error}")),
            ..Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "this page could not be shown; it has been logged",
            )
        }),
    }
}

#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub text: String,
    pub link: Option<(String, String)>,
}

/// An error as a page of its own.
pub fn failure_page(failure: Failure) -> Response {
    let title = match failure.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::GONE => "Link no longer valid",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::UNAUTHORIZED => "Not signed in",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    let page = MessagePage {
        chrome: Chrome::public(title, ""),
        text: failure.message,
        link: Some(("/app".into(), "Back to Steward".into())),
    };
    let mut response = match page.render() {
        Ok(html) => (failure.status, Html(html)).into_response(),
        Err(_) => (failure.status, title.to_string()).into_response(),
    };
    if let Some(seconds) = failure.retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if let Some(internal) = failure.internal {
        response.extensions_mut().insert(crate::security::InternalError(internal));
    }
    response
}

/// What a page handler answers: the page, or the reason it cannot be shown, so a handler
/// reaches for `?` instead of matching every call's error by hand.
pub type PageResult = Result<Response, PageError>;

/// Why a page is not shown. A service's sign-in error redirects to the login form;
/// everything else becomes the error page of [`failure_page`], with its status (and
/// `Retry-After` when there is one).
///
/// A handler that shows the error inside a form instead (a field left empty, a name
/// already taken) matches those errors itself and only lets the rest through here.
#[derive(Debug)]
pub enum PageError {
    /// A service refused or failed.
    Service(AppError),
    /// A failure the web layer described itself, such as an id that does not parse.
    Described(Failure),
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError::Service(error)
    }
}

/// A rule broken in the domain is the service's "invalid", as it is everywhere else.
impl From<ValidationError> for PageError {
    fn from(error: ValidationError) -> Self {
        PageError::Service(error.into())
    }
}

impl From<Failure> for PageError {
    fn from(failure: Failure) -> Self {
        PageError::Described(failure)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Service(AppError::Unauthenticated) => Redirect::to("/login").into_response(),
            PageError::Service(error) => failure_page(describe(&error)),
            PageError::Described(failure) => failure_page(failure),
        }
    }
}

/// Anything Steward does not serve: JSON under the API, a page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    let failure = Failure::new(StatusCode::NOT_FOUND, "not_found", "nothing was found at this address");
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(failure).into_response()
    } else {
        failure_page(failure)
    }
}

/// The double-submit token for a form shown before signing in, and the cookie to set if
/// the browser has none yet.
pub fn public_csrf(headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, CSRF_COOKIE).filter(|v| v.len() == 64) {
        Some(existing) => (existing, None),
        None => {
            let fresh = steward_crypto::token::new_secret().unwrap_or_default();
            let cookie = set_cookie(CSRF_COOKIE, &fresh, 60 * 60 * 24);
            (fresh, Some(cookie))
        }
    }
}

/// Adds a `Set-Cookie` header to a response.
pub fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(cookie) = cookie
        && let Ok(value) = HeaderValue::from_str(&cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A redirect after a successful form: 303 so the browser follows with GET.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// A submitted form, with repeated fields kept.
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            failure_page(Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the form is too large"))
        })?;
        Ok(FormData(form_urlencoded::parse(&bytes).into_owned().collect()))
    }
}

/// The `notice` query parameter of a page.
#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
    /// After a status change: the status it came from, for an Undo button.
    pub undo: Option<String>,
    /// After a status change on a list: the appointment it was.
    pub appointment: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_name_the_field_in_words() {
        use super::error_in_words;
        assert_eq!(error_in_words("phone", "phone: may contain only digits"), "Phone may contain only digits.");
        assert_eq!(error_in_words("start", "start: is already taken"), "Start time is already taken.");
        assert_eq!(
            error_in_words("customer.phone", "customer.phone: give a phone number or an email"),
            "Phone: give a phone number or an email."
        );
        assert_eq!(error_in_words("", "something went wrong"), "Something went wrong.");
        assert_eq!(error_in_words("email", "that email is already a member"), "That email is already a member.");
    }
}
