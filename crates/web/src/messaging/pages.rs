//! Reminders & channels: the rules, the business's own provider accounts (connect, send a
//! test, disconnect), the templates with a live preview; and the message log with retry.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse};
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::messaging::log::{self, MessageView};
use steward_app::messaging::settings::{
    self, ChannelInput, ChannelView, RulesInput, SettingsView, TemplateInput, TemplateView, TestInput, TestResult,
};
use steward_domain::customers::Channel;
use steward_domain::messaging::{MAX_REMINDERS, PLACEHOLDERS};
use steward_domain::permissions::Permission;

#[derive(Template)]
#[template(path = "messaging/messaging.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub settings: SettingsView,
    pub templates: Vec<TemplateView>,
    pub placeholders: &'static [(&'static str, &'static str)],
    /// The business's services with whether reminders are sent for each (none ticked: all).
    pub services: Vec<(String, String, bool)>,
    pub can_manage: bool,
    pub test: Option<TestResult>,
}

/// One provider's card on the page: what it is, whether it can send now, the account
/// connected, and the form to connect one with that provider's own words.
pub struct ChannelCard<'a> {
    pub channel: &'static str,
    pub title: &'static str,
    pub provider: &'static str,
    pub ready: bool,
    pub status: String,
    pub connected: Option<&'a ChannelView>,
    pub form: Option<ConnectForm>,
}

/// The labels of a provider's connect form.
pub struct ConnectForm {
    pub account: &'static str,
    pub sender: &'static str,
    pub secret: &'static str,
    pub callback_secret: Option<&'static str>,
}

/// Units a reminder's time before the appointment is chosen in: (form value, words).
const REMINDER_UNITS: [(&str, &str); 3] = [("d", "days"), ("h", "hours"), ("m", "minutes")];

impl SettingsPage {
    /// SMS through Twilio, WhatsApp through Meta's Cloud API, email through the mail relay
    /// Steward is set up with (no account of the business's own).
    pub fn cards(&self) -> Vec<ChannelCard<'_>> {
        let connected = |channel: &str| self.settings.channels.iter().find(|c| c.channel == channel);
        let ready = |channel: &str| self.settings.ready.iter().any(|c| c == channel);
        let status = |channel: &str, own: Option<&ChannelView>| match (own, ready(channel)) {
            (Some(c), _) => format!("Ready: sends from {} with your own account.", c.sender),
            (None, true) if channel == "email" => "Ready: sends through Steward's mail relay.".to_string(),
            (None, true) => "Ready: sends through Steward's shared account until you connect your own.".to_string(),
            (None, false) if channel == "email" => "Not ready: Steward has no mail relay set up.".to_string(),
            (None, false) => "Not connected: nothing is sent this way.".to_string(),
        };
        vec![
            ChannelCard {
                channel: "sms",
                title: channel_words(&Channel::Sms),
                provider: "Twilio",
                ready: ready("sms"),
                status: status("sms", connected("sms")),
                connected: connected("sms"),
                form: Some(ConnectForm {
                    account: "Account SID",
                    sender: "Sending number or messaging service SID",
                    secret: "Auth token",
                    callback_secret: None,
                }),
            },
            ChannelCard {
                channel: "whatsapp",
                title: channel_words(&Channel::Whatsapp),
                provider: "WhatsApp Cloud API",
                ready: ready("whatsapp"),
                status: status("whatsapp", connected("whatsapp")),
                connected: connected("whatsapp"),
                form: Some(ConnectForm {
                    account: "Phone number id",
                    sender: "The number customers see",
                    secret: "Access token",
                    callback_secret: Some("App secret (Meta signs its webhooks with it)"),
                }),
            },
            ChannelCard {
                channel: "email",
                title: channel_words(&Channel::Email),
                provider: "mail relay",
                ready: ready("email"),
                status: status("email", None),
                connected: None,
                form: None,
            },
        ]
    }

    /// One row per reminder the rules allow: the amount and unit of each set one, then
    /// empty rows for more (`24h` reads as 1 day).
    pub fn reminder_rows(&self) -> Vec<(String, &'static str)> {
        (0..MAX_REMINDERS)
            .map(|i| match self.settings.reminder_minutes.get(i) {
                Some(m) if m % 1440 == 0 => ((m / 1440).to_string(), "d"),
                Some(m) if m % 60 == 0 => ((m / 60).to_string(), "h"),
                Some(m) => (m.to_string(), "m"),
                None => (String::new(), "h"),
            })
            .collect()
    }

    pub fn reminder_units(&self) -> [(&'static str, &'static str); 3] {
        REMINDER_UNITS
    }

    /// The channel tried at each place in the order (`""` for none there).
    pub fn channel_places(&self) -> Vec<&'static str> {
        (0..Channel::ALL.len()).map(|i| self.settings.channel_order.get(i).map(|c| c.name()).unwrap_or("")).collect()
    }

    pub fn channels(&self) -> &'static [Channel] {
        Channel::ALL
    }

    /// Whether an option is the one chosen.
    pub fn same(&self, option: &str, chosen: &str) -> bool {
        option == chosen
    }
}

/// The reminders as the rules take them (`1d, 2h`), from the rows of amount and unit; a
/// row without an amount is no reminder.
fn reminders_from_rows(form: &FormData) -> String {
    let units = form.all("reminder_unit");
    form.all("reminder_amount")
        .iter()
        .zip(units.iter().map(String::as_str).chain(std::iter::repeat("m")))
        .filter(|(amount, _)| !amount.trim().is_empty())
        .map(|(amount, unit)| {
            let unit = REMINDER_UNITS.iter().find(|(value, _)| *value == unit).map(|(value, _)| *value).unwrap_or("m");
            format!("{}{unit}", amount.trim())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn page(
    state: &AppState,
    who: &Principal,
    notice: Option<&str>,
    error: Option<&AppError>,
    test: Option<TestResult>,
) -> PageResult {
    let chrome = Chrome::member(state, who, "Reminders & channels", "/app/settings/messaging")
        .await?
        .with_notice(notice)
        .with_error_opt(error);
    let settings = settings::settings(&state.app, who).await?;
    let services = if who.has(Permission::BookingsRead) {
        steward_app::booking::setup::services(&state.app, who)
            .await?
            .into_iter()
            .map(|service| {
                let id = service.id.to_string();
                let chosen = settings.rules.services.contains(&id);
                (id, service.name, chosen)
            })
            .collect()
    } else {
        Vec::new()
    };
    let template = SettingsPage {
        chrome,
        services,
        settings,
        templates: settings::templates(&state.app, who).await?,
        placeholders: PLACEHOLDERS,
        can_manage: who.has(Permission::TenantManage),
        test,
    };
    Ok(render(crate::pages::status_for(error), &template))
}

async fn answer(state: &AppState, who: &Principal, outcome: Result<&'static str, AppError>) -> PageResult {
    match outcome {
        Ok(notice) => Ok(see_other(&format!("/app/settings/messaging?notice={notice}"))),
        Err(error) => page(state, who, None, Some(&error), None).await,
    }
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    page(&state, &who, query.notice.as_deref(), None, None).await
}

pub async fn save_rules(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let follow_up = form.get("follow_up_hours").trim().to_string();
    let input = RulesInput {
        reminders: reminders_from_rows(&form),
        channel_order: form.all("channel").iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join(", "),
        quiet_from: form.get("quiet_from").to_string(),
        quiet_until: form.get("quiet_until").to_string(),
        services: form.all("services"),
        send_confirmation: form.get("send_confirmation") == "yes",
        send_changes: form.get("send_changes") == "yes",
        follow_up_hours: Some(follow_up).filter(|f| !f.is_empty()),
        language: form.get("language").to_string(),
    };
    let outcome = settings::save_rules(&state.app, &who, &input).await.map(|_| "reminder_rules_saved");
    answer(&state, &who, outcome).await
}

pub async fn connect(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let callback = form.get("callback_secret").trim().to_string();
    let input = ChannelInput {
        channel: form.get("channel").to_string(),
        account: form.get("account").to_string(),
        sender: form.get("sender").to_string(),
        secret: form.get("secret").to_string(),
        callback_secret: Some(callback).filter(|c| !c.is_empty()),
    };
    let outcome = settings::connect(&state.app, &who, &input).await.map(|_| "connected");
    answer(&state, &who, outcome).await
}

pub async fn disconnect(State(state): State<AppState>, Auth(who): Auth, Path(channel): Path<String>) -> PageResult {
    let outcome = settings::disconnect(&state.app, &who, &channel).await.map(|_| "disconnected");
    answer(&state, &who, outcome).await
}

pub async fn save_template(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let name = form.get("whatsapp_template").trim().to_string();
    let input = TemplateInput {
        kind: form.get("kind").to_string(),
        language: form.get("language").to_string(),
        body: form.get("body").to_string(),
        whatsapp_template: Some(name).filter(|n| !n.is_empty()),
    };
    let outcome = settings::save_template(&state.app, &who, &input).await.map(|_| "template_saved");
    answer(&state, &who, outcome).await
}

/// The live preview under a template being edited (htmx swaps it in as the text changes).
pub async fn preview(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let text = match settings::preview(&state.app, &who, form.get("body")).await {
        Ok(text) => text,
        Err(AppError::Invalid(error)) => format!("⚠ {}", error.message),
        Err(error) => return Err(error.into()),
    };
    let escaped = askama::filters::escape(&text, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default();
    Ok(Html(format!("<output class=\"preview\" aria-live=\"polite\">{escaped}</output>")).into_response())
}

pub async fn send_test(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let input = TestInput { channel: form.get("channel").to_string(), to: form.get("to").to_string() };
    match settings::send_test(&state.app, &who, &input).await {
        Ok(result) => page(&state, &who, None, None, Some(result)).await,
        Err(error) => page(&state, &who, None, Some(&error), None).await,
    }
}

#[derive(Template)]
#[template(path = "messaging/messages.html")]
pub struct LogPage {
    pub chrome: Chrome,
    pub messages: Vec<MessageView>,
    /// The business's zone and the time now, for "3 minutes ago".
    pub zone: jiff::tz::TimeZone,
    pub now: i64,
    pub status: String,
    pub statuses: &'static [&'static str],
    pub can_retry: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct LogQuery {
    pub status: Option<String>,
    pub notice: Option<String>,
}

pub async fn log_page(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<LogQuery>) -> PageResult {
    let heading = steward_app::tenancy::heading(&state.app, &who).await?;
    let chrome =
        Chrome::member_of(heading.name, &who, "Messages", "/app/messages").with_notice(query.notice.as_deref());
    let messages = log::recent(&state.app, &who, query.status.as_deref()).await?;
    let page = LogPage {
        chrome,
        messages,
        zone: heading.time_zone,
        now: state.app.now(),
        status: query.status.unwrap_or_default(),
        statuses: &["pending", "sent", "delivered", "read", "failed", "skipped", "withdrawn"],
        can_retry: who.has(Permission::BookingsManage),
    };
    Ok(render(axum::http::StatusCode::OK, &page))
}

pub async fn retry(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    log::retry(&state.app, &who, id).await?;
    Ok(see_other("/app/messages?notice=retrying"))
}

/// A channel as the page names it.
pub fn channel_words(channel: &Channel) -> &'static str {
    match channel {
        Channel::Whatsapp => "WhatsApp",
        Channel::Sms => "SMS",
        Channel::Email => "Email",
    }
}
