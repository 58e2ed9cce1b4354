//! A business's messaging settings: reminder rules, its own provider accounts (secrets
//! sealed with the tenant key, shown masked, never returned), and its templates per kind
//! and language with a live preview. Every change is audited with the names of what
//! changed, never a secret.

use crate::access::principal::Principal;
use crate::keys::{self, Place};
use crate::{App, AppError, audit};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_domain::customers::Channel;
use steward_domain::messaging::{
    Kind, LANGUAGES, MessageFields, Rules, Template, default_template, default_whatsapp_template, format_clock,
    parse_channel_order, parse_clock, parse_language, parse_offsets, parse_whatsapp_template,
};
use steward_domain::permissions::Permission;
use steward_store::TenantTx;
use steward_store::messaging::settings::{self as rows, ChannelRow, SettingsRow, TemplateRow};

/// The rules in force: the business's, or Steward's defaults.
pub async fn rules(tx: &mut TenantTx) -> Result<Rules, AppError> {
    match rows::find(tx).await? {
        Some(row) => rules_of(&row),
        None => Ok(Rules::default()),
    }
}

/// The rules in force and the business's time zone (UTC if it names none Steward knows).
pub async fn rules_and_zone(tx: &mut TenantTx) -> Result<(Rules, jiff::tz::TimeZone), AppError> {
    let (row, zone) = rows::find_with_business_zone(tx).await?;
    let rules = match row {
        Some(row) => rules_of(&row)?,
        None => Rules::default(),
    };
    Ok((rules, jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC)))
}

fn rules_of(row: &SettingsRow) -> Result<Rules, AppError> {
    Ok(Rules {
        reminder_minutes: parse_offsets("reminder_minutes", &row.reminder_minutes)?,
        channel_order: parse_channel_order("channel_order", &row.channel_order)?,
        quiet_from: row.quiet_from,
        quiet_until: row.quiet_until,
        services: row.services.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        send_confirmation: row.send_confirmation,
        send_changes: row.send_changes,
        follow_up_minutes: row.follow_up_minutes,
        language: parse_language("language", &row.language)?,
    })
}

/// The rules as the settings page and the API show and take them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MessagingRules")]
pub struct RulesInput {
    /// Before the appointment, in minutes, hours or days: `24h, 2h` (at most 4, up to 30 days).
    pub reminders: String,
    /// Channels in the order tried: `whatsapp, sms, email`.
    pub channel_order: String,
    /// `21:00` in the business's zone; the same as `quiet_until` for none.
    pub quiet_from: String,
    pub quiet_until: String,
    #[serde(default)]
    /// Service ids reminders are sent for; empty for all.
    #[schemars(with = "Vec<steward_domain::ids::ServiceId>")]
    pub services: Vec<String>,
    #[serde(default)]
    pub send_confirmation: bool,
    #[serde(default)]
    pub send_changes: bool,
    /// Hours after a completed visit; empty for no follow-up.
    pub follow_up_hours: Option<String>,
    /// `en` or `hi`.
    #[schemars(extend("enum" = ["en", "hi"]))]
    pub language: String,
}

impl RulesInput {
    pub fn of(rules: &Rules) -> Self {
        let reminders: Vec<String> = rules
            .reminder_minutes
            .iter()
            .map(|m| if m % 60 == 0 { format!("{}h", m / 60) } else { format!("{m}m") })
            .collect();
        RulesInput {
            reminders: reminders.join(", "),
            channel_order: rules.channel_order.iter().map(|c| c.name()).collect::<Vec<_>>().join(", "),
            quiet_from: format_clock(rules.quiet_from),
            quiet_until: format_clock(rules.quiet_until),
            services: rules.services.iter().map(|s| s.to_string()).collect(),
            send_confirmation: rules.send_confirmation,
            send_changes: rules.send_changes,
            follow_up_hours: rules.follow_up_minutes.map(|m| (m / 60).to_string()),
            language: rules.language.to_string(),
        }
    }
}

fn check_rules(input: &RulesInput) -> Result<Rules, AppError> {
    let follow_up_minutes = match input.follow_up_hours.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let hours: i64 = text
                .parse()
                .ok()
                .filter(|h| (1..=24 * 30).contains(h))
                .ok_or_else(|| AppError::invalid("follow_up_hours", "must be a number of hours from 1 to 720"))?;
            Some(hours * 60)
        }
    };
    let mut services = Vec::with_capacity(input.services.len());
    for raw in input.services.iter().filter(|s| !s.trim().is_empty()) {
        services.push(
            raw.trim()
                .parse::<uuid::Uuid>()
                .map_err(|_| AppError::invalid("services", &format!("'{}' is not a service id", raw.trim())))?,
        );
    }
    Ok(Rules {
        reminder_minutes: parse_offsets("reminders", &input.reminders)?,
        channel_order: parse_channel_order("channel_order", &input.channel_order)?,
        quiet_from: parse_clock("quiet_from", &input.quiet_from)?,
        quiet_until: parse_clock("quiet_until", &input.quiet_until)?,
        services,
        send_confirmation: input.send_confirmation,
        send_changes: input.send_changes,
        follow_up_minutes,
        language: parse_language("language", &input.language)?,
    })
}

/// Saves the reminder rules; they apply to appointments booked or moved from now on.
pub async fn save_rules(app: &App, who: &Principal, input: &RulesInput) -> Result<RulesInput, AppError> {
    who.require(Permission::TenantManage)?;
    let rules = check_rules(input)?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            for service in &rules.services {
                steward_store::booking::setup::find_service(&mut tx, steward_domain::ids::ServiceId(*service))
                    .await?
                    .ok_or_else(|| AppError::invalid("services", &format!("there is no service {service}")))?;
            }
            let before = RulesInput::of(&self::rules(&mut tx).await?);
            let row = SettingsRow {
                reminder_minutes: rules.reminder_minutes.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(","),
                channel_order: rules.channel_order.iter().map(|c| c.name()).collect::<Vec<_>>().join(","),
                quiet_from: rules.quiet_from,
                quiet_until: rules.quiet_until,
                services: rules.services.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(","),
                send_confirmation: rules.send_confirmation,
                send_changes: rules.send_changes,
                follow_up_minutes: rules.follow_up_minutes,
                language: rules.language.to_string(),
            };
            rows::save(&mut tx, &row, Some(who.member.as_uuid()), app.now()).await?;
            let after = RulesInput::of(&rules);
            audit::record(
                app,
                &mut tx,
                audit::by(who, "messaging.rules_changed", None, json!({ "old": before, "new": after })),
            )
            .await?;
            tx.commit().await?;
            Ok(after)
        })
        .await
}

/// A provider account to connect. SMS: Twilio's account SID, auth token and sending
/// number (or messaging service SID). WhatsApp: the phone number id, a permanent access
/// token, the app secret that signs webhooks, and the number customers see.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MessagingChannelNew")]
pub struct ChannelInput {
    /// `sms` or `whatsapp`.
    #[schemars(extend("enum" = ["sms", "whatsapp"]))]
    pub channel: String,
    /// Twilio account SID (`AC…`) or WhatsApp phone number id.
    pub account: String,
    /// Sending number (E.164) or messaging service SID (`MG…`); for WhatsApp the number customers see.
    pub sender: String,
    /// Twilio auth token or WhatsApp access token; sealed, never returned.
    pub secret: String,
    /// WhatsApp: the app secret webhooks are signed with.
    pub callback_secret: Option<String>,
}

/// A connected account as pages show it: the secret only as its last four characters.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "MessagingChannel")]
pub struct ChannelView {
    #[schemars(extend("enum" = ["sms", "whatsapp", "email"]))]
    pub channel: String,
    pub account: String,
    pub sender: String,
    pub secret_hint: String,
    pub has_callback_secret: bool,
    /// Where to point the provider's delivery reports and replies.
    pub status_url: String,
    pub inbound_url: Option<String>,
    /// What to type into Meta's webhook settings as the verify token.
    pub verify_token: Option<String>,
}

fn hint(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("••••{tail}")
}

fn place(channel: &str, column: &'static str) -> Place<'static> {
    Place { table: "messaging_channels", column, row: channel.to_string() }
}

/// Where a provider reports to, for this tenant.
pub fn hook_url(app: &App, slug: &str, channel: &str, what: &str) -> String {
    match channel {
        "sms" => app.link(&format!("/hooks/twilio/{slug}/{what}")),
        _ => app.link(&format!("/hooks/whatsapp/{slug}")),
    }
}

fn view(app: &App, slug: &str, row: &ChannelRow) -> ChannelView {
    let sms = row.channel == "sms";
    ChannelView {
        channel: row.channel.clone(),
        account: row.account.clone(),
        sender: row.sender.clone(),
        secret_hint: row.secret_hint.clone(),
        has_callback_secret: row.callback_secret_sealed.is_some(),
        status_url: hook_url(app, slug, &row.channel, "status"),
        inbound_url: sms.then(|| hook_url(app, slug, "sms", "inbound")),
        verify_token: (!sms).then(|| row.verify_token.clone()),
    }
}

fn check_channel(input: &ChannelInput) -> Result<(Channel, String, String), AppError> {
    let channel = Channel::parse("channel", &input.channel)?;
    let account = input.account.trim().to_string();
    let sender = input.sender.trim().to_string();
    match channel {
        Channel::Sms => {
            let sid_ok =
                account.len() == 34 && account.starts_with("AC") && account[2..].chars().all(|c| c.is_ascii_hexdigit());
            if !sid_ok {
                return Err(AppError::invalid(
                    "account",
                    "must be the Twilio account SID: AC and 32 hexadecimal digits",
                ));
            }
            let sender_ok = (sender.starts_with("MG") && sender.len() == 34)
                || (sender.starts_with('+')
                    && (9..=16).contains(&sender.len())
                    && sender[1..].chars().all(|c| c.is_ascii_digit()));
            if !sender_ok {
                return Err(AppError::invalid(
                    "sender",
                    "must be the sending number in E.164 (+91…) or a messaging service SID (MG…)",
                ));
            }
        }
        Channel::Whatsapp => {
            if account.is_empty() || account.len() > 30 || !account.chars().all(|c| c.is_ascii_digit()) {
                return Err(AppError::invalid(
                    "account",
                    "must be the WhatsApp phone number id (digits) from Meta's app dashboard",
                ));
            }
            if input.callback_secret.as_deref().map(str::trim).unwrap_or_default().is_empty() {
                return Err(AppError::invalid(
                    "callback_secret",
                    "is required: the app secret Meta signs webhooks with",
                ));
            }
        }
        Channel::Email => {
            return Err(AppError::invalid(
                "channel",
                "email goes through the operator's mail relay; connect sms or whatsapp",
            ));
        }
    }
    let secret = input.secret.trim();
    if secret.len() < 16 || secret.len() > 512 || secret.chars().any(char::is_whitespace) {
        return Err(AppError::invalid(
            "secret",
            "must be the provider's token as shown (at least 16 characters, no spaces)",
        ));
    }
    Ok((channel, account, sender))
}

/// Connects (or replaces) a provider account; its secrets are sealed before they are stored.
pub async fn connect(app: &App, who: &Principal, input: &ChannelInput) -> Result<ChannelView, AppError> {
    who.require(Permission::TenantManage)?;
    let (channel, account, sender) = check_channel(input)?;
    let key = keys::tenant_key(app, who.tenant).await?;
    let name = channel.name();
    let secret = input.secret.trim();
    let secret_sealed = keys::seal_value(&key, who.tenant, &place(name, "secret_sealed"), secret)?;
    let callback_secret_sealed = match input.callback_secret.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(value) => Some(keys::seal_value(&key, who.tenant, &place(name, "callback_secret_sealed"), value)?),
        None => None,
    };
    let verify_token = steward_crypto::to_hex(&steward_crypto::random_bytes::<16>()?);
    let row = ChannelRow {
        channel: name.to_string(),
        account,
        sender,
        secret_sealed,
        secret_hint: hint(secret),
        callback_secret_sealed,
        verify_token,
        updated_at: app.now(),
    };
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            rows::save_channel(&mut tx, &row, Some(who.member.as_uuid())).await?;
            let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
            audit::record(
                app,
                &mut tx,
                audit::by(
                    who,
                    "messaging.channel_connected",
                    Some(("channel", name.to_string())),
                    json!({ "fields": ["account", "sender", "secret"] }),
                ),
            )
            .await?;
            tx.commit().await?;
            Ok(view(app, &tenant.slug, &row))
        })
        .await
}

pub async fn disconnect(app: &App, who: &Principal, channel: &str) -> Result<(), AppError> {
    who.require(Permission::TenantManage)?;
    let channel = Channel::parse("channel", channel)?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            if !rows::remove_channel(&mut tx, channel.name()).await? {
                return Err(AppError::NotFound);
            }
            audit::record(
                app,
                &mut tx,
                audit::by(
                    who,
                    "messaging.channel_disconnected",
                    Some(("channel", channel.name().to_string())),
                    json!({}),
                ),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// A connected account with its secrets opened, for sending and checking callbacks.
#[derive(Debug)]
pub struct OpenChannel {
    pub channel: Channel,
    pub account: String,
    pub sender: String,
    pub secret: SecretString,
    pub callback_secret: Option<SecretString>,
    pub verify_token: String,
}

/// Where a processor's API is, as the operator configured it.
pub fn endpoint(app: &App, processor: &str) -> String {
    app.settings
        .processor_endpoints
        .iter()
        .find(|(id, _)| id == processor)
        .map(|(_, url)| url.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

impl OpenChannel {
    /// The business's own Twilio account.
    pub fn twilio(&self, app: &App) -> super::twilio::Twilio {
        super::twilio::Twilio {
            base_url: endpoint(app, "twilio"),
            account_sid: self.account.clone(),
            auth_token: self.secret.clone(),
            from: self.sender.clone(),
        }
    }

    /// The business's own WhatsApp sender.
    pub fn whatsapp(&self, app: &App) -> super::whatsapp::WhatsApp {
        super::whatsapp::WhatsApp {
            base_url: endpoint(app, "whatsapp"),
            phone_number_id: self.account.clone(),
            access_token: self.secret.clone(),
        }
    }
}

/// The SMS account to send with: the business's own, else the operator's shared one.
pub fn sms_provider(app: &App, open: &[OpenChannel]) -> Option<std::sync::Arc<dyn super::SmsProvider>> {
    match open.iter().find(|c| c.channel == Channel::Sms) {
        Some(own) => Some(std::sync::Arc::new(own.twilio(app))),
        None => app.sms.clone(),
    }
}

/// The tenant's connected accounts, opened.
pub async fn open_channels(app: &App, tx: &mut TenantTx) -> Result<Vec<OpenChannel>, AppError> {
    let stored = rows::channels(tx).await?;
    if stored.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.tenant();
    let key = keys::tenant_key_in(app, tx).await?.ok_or(AppError::Crypto(steward_crypto::CryptoError::Unseal))?;
    let mut open = Vec::with_capacity(stored.len());
    for row in stored {
        let channel = Channel::parse("channel", &row.channel)?;
        let secret = keys::open_value(&key, tenant, &place(&row.channel, "secret_sealed"), &row.secret_sealed)?;
        let callback_secret = match &row.callback_secret_sealed {
            Some(sealed) => {
                Some(keys::open_value(&key, tenant, &place(&row.channel, "callback_secret_sealed"), sealed)?.into())
            }
            None => None,
        };
        open.push(OpenChannel {
            channel,
            account: row.account,
            sender: row.sender,
            secret: secret.into(),
            callback_secret,
            verify_token: row.verify_token,
        });
    }
    Ok(open)
}

/// One template as the editor shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "MessageTemplate")]
pub struct TemplateView {
    pub kind: Kind,
    pub kind_label: &'static str,
    pub language: &'static str,
    pub body: String,
    pub whatsapp_template: String,
    /// Whether the business wrote it (or it is Steward's default).
    pub custom: bool,
    pub preview: String,
}

/// Made-up values for previews and test messages; never a real customer's.
pub fn sample_fields(business: &str, app: &App, slug: &str) -> MessageFields {
    MessageFields {
        first_name: "Asha".into(),
        business: business.to_string(),
        service: "Haircut".into(),
        staff: "Ravi".into(),
        time: "Mon 1 Dec, 10:30 AM".into(),
        link: app.link(&format!("/b/{slug}")),
    }
}

/// The template for a kind and language: the business's, or the default.
pub fn template_for(stored: &[TemplateRow], kind: Kind, language: &str) -> (Template, String, bool) {
    if let Some(row) = stored.iter().find(|t| t.kind == kind.name() && t.language == language)
        && let Ok(template) = Template::parse("body", &row.body)
    {
        return (template, row.whatsapp_template.clone(), true);
    }
    let fallback = Template::parse("body", default_template(kind, language))
        .unwrap_or(Template { body: String::new(), uses: Vec::new() });
    (fallback, default_whatsapp_template(kind), false)
}

/// Every kind in every language, with a preview.
pub async fn templates(app: &App, who: &Principal) -> Result<Vec<TemplateView>, AppError> {
    who.require(Permission::TenantRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let stored = rows::templates(&mut tx).await?;
    let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
    tx.commit().await?;
    let fields = sample_fields(&tenant.name, app, &tenant.slug);
    let mut views = Vec::new();
    for kind in Kind::ALL {
        for (language, _) in LANGUAGES {
            let (template, whatsapp_template, custom) = template_for(&stored, *kind, language);
            views.push(TemplateView {
                kind: *kind,
                kind_label: kind.label(),
                language,
                preview: template.render(&fields),
                body: template.body,
                whatsapp_template,
                custom,
            });
        }
    }
    Ok(views)
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MessageTemplateChange")]
pub struct TemplateInput {
    #[schemars(extend("enum" = ["confirmation", "reminder", "rescheduled", "cancelled", "follow_up"]))]
    pub kind: String,
    #[schemars(extend("enum" = ["en", "hi"]))]
    pub language: String,
    /// Placeholders: `{first_name}` `{business}` `{service}` `{staff}` `{time}` `{link}`.
    #[schemars(length(max = 1500))]
    pub body: String,
    pub whatsapp_template: Option<String>,
}

/// The text a template would send, with made-up values.
pub async fn preview(app: &App, who: &Principal, body: &str) -> Result<String, AppError> {
    who.require(Permission::TenantRead)?;
    let template = Template::parse("body", body)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
    tx.commit().await?;
    Ok(template.render(&sample_fields(&tenant.name, app, &tenant.slug)))
}

pub async fn save_template(app: &App, who: &Principal, input: &TemplateInput) -> Result<TemplateView, AppError> {
    who.require(Permission::TenantManage)?;
    let kind = Kind::parse("kind", &input.kind)?;
    let language = parse_language("language", &input.language)?;
    let template = Template::parse("body", &input.body)?;
    let whatsapp_template = match input.whatsapp_template.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => parse_whatsapp_template("whatsapp_template", name)?,
        None => default_whatsapp_template(kind),
    };
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            let row = TemplateRow {
                kind: kind.name().into(),
                language: language.into(),
                body: template.body.clone(),
                whatsapp_template: whatsapp_template.clone(),
                updated_at: app.now(),
            };
            rows::save_template(&mut tx, &row, Some(who.member.as_uuid())).await?;
            let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
            audit::record(
                app,
                &mut tx,
                audit::by(
                    who,
                    "messaging.template_changed",
                    Some(("template", format!("{}:{language}", kind.name()))),
                    json!({ "new": { "body": &template.body, "whatsapp_template": &whatsapp_template } }),
                ),
            )
            .await?;
            tx.commit().await?;
            let preview = template.render(&sample_fields(&tenant.name, app, &tenant.slug));
            Ok(TemplateView {
                kind,
                kind_label: kind.label(),
                language,
                body: template.body,
                whatsapp_template,
                custom: true,
                preview,
            })
        })
        .await
}

/// Everything the settings page shows.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "MessagingSettings")]
pub struct SettingsView {
    pub rules: RulesInput,
    /// The rules' reminders (minutes before, furthest first) and channel order, as values
    /// for the page's controls.
    #[serde(skip)]
    #[schemars(skip)]
    pub reminder_minutes: Vec<i64>,
    #[serde(skip)]
    #[schemars(skip)]
    pub channel_order: Vec<steward_domain::customers::Channel>,
    pub channels: Vec<ChannelView>,
    /// Channels that can send now: the business's own, the operator's shared SMS account,
    /// the operator's mail relay.
    #[schemars(with = "Vec<steward_domain::customers::Channel>")]
    pub ready: Vec<String>,
}

pub async fn settings(app: &App, who: &Principal) -> Result<SettingsView, AppError> {
    who.require(Permission::TenantRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let rules = self::rules(&mut tx).await?;
    let stored = rows::channels(&mut tx).await?;
    let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
    tx.commit().await?;
    let channels: Vec<ChannelView> = stored.iter().map(|row| view(app, &tenant.slug, row)).collect();
    let ready = ready_channels(app, &stored);
    Ok(SettingsView {
        rules: RulesInput::of(&rules),
        reminder_minutes: rules.reminder_minutes.clone(),
        channel_order: rules.channel_order.clone(),
        channels,
        ready,
    })
}

/// The channels that can send now: the business's own accounts, the operator's shared SMS
/// account, the operator's mail relay.
pub(crate) fn ready_channels(app: &App, stored: &[ChannelRow]) -> Vec<String> {
    let mut ready: Vec<String> = stored.iter().map(|row| row.channel.clone()).collect();
    if app.sms.is_some() && !ready.iter().any(|c| c == "sms") {
        ready.push("sms".into());
    }
    if app.mailer.relay_host().is_some() {
        ready.push("email".into());
    }
    ready
}

/// A test message to an address the member types (never a customer's).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MessageTest")]
pub struct TestInput {
    #[schemars(extend("enum" = ["sms", "whatsapp", "email"]))]
    pub channel: String,
    /// A phone number for SMS and WhatsApp, an email address for email.
    pub to: String,
}

/// What the provider said about a test message.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "MessageTestResult")]
pub struct TestResult {
    #[schemars(extend("enum" = ["sms", "whatsapp", "email"]))]
    pub channel: String,
    pub sent: bool,
    pub provider_id: Option<String>,
    pub error: Option<String>,
}

/// Sends a test message now, on one channel, so the business sees its account works.
/// WhatsApp sends the approved confirmation template with made-up values.
pub async fn send_test(app: &App, who: &Principal, input: &TestInput) -> Result<TestResult, AppError> {
    use super::whatsapp;
    use steward_domain::contact::{Email, Phone};
    who.require(Permission::TenantManage)?;
    let channel = Channel::parse("channel", &input.channel)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
    let open = open_channels(app, &mut tx).await?;
    let stored = rows::templates(&mut tx).await?;
    let rules = self::rules(&mut tx).await?;
    tx.commit().await?;
    let fields = sample_fields(&tenant.name, app, &tenant.slug);
    let text = format!("A test message from {} through Steward: this channel works.", tenant.name);
    let outcome = match channel {
        Channel::Sms => {
            let to = Phone::parse("to", &input.to, &app.settings.default_country_code)?;
            let provider =
                sms_provider(app, &open).ok_or_else(|| AppError::invalid("channel", "sms is not connected"))?;
            let sms = super::Sms {
                tenant: who.tenant,
                to: to.as_str(),
                body: &text,
                purpose: "test message",
                fields: &["customer.phone", "business.name"],
                idempotency_key: None,
                status_callback: None,
            };
            provider.send(app, sms).await.map(|a| a.provider_id)
        }
        Channel::Whatsapp => {
            let to = Phone::parse("to", &input.to, &app.settings.default_country_code)?;
            let own = open
                .iter()
                .find(|c| c.channel == Channel::Whatsapp)
                .ok_or_else(|| AppError::invalid("channel", "whatsapp is not connected"))?;
            let sender = own.whatsapp(app);
            let (template, name, _) = template_for(&stored, Kind::Confirmation, rules.language);
            let parameters = template.parameters(&fields);
            let why = whatsapp::Purpose {
                tenant: who.tenant,
                purpose: "test message",
                fields: &[
                    "customer.phone",
                    "business.name",
                    "customer.first_name",
                    "service.name",
                    "appointment.time",
                    "staff.first_name",
                    "link",
                ],
            };
            let template = whatsapp::Template { name: &name, language: rules.language, body: &parameters };
            sender.send_template(app, to.as_str(), template, why).await.map(|a| a.provider_id)
        }
        Channel::Email => {
            let to = Email::parse("to", &input.to)?;
            if app.mailer.relay_host().is_none() {
                return Err(AppError::invalid("channel", "email is not connected: the operator has no mail relay"));
            }
            let mail = crate::mail::OutgoingMail {
                kind: "test message",
                to: to.as_str().to_string(),
                subject: format!("{}: a test message", tenant.name),
                text: text.clone(),
                link: String::new(),
            };
            crate::mail::send_now(app, who.tenant, &mail, &["customer.email", "business.name"])
                .await
                .map(|()| "accepted by the relay".to_string())
                .map_err(|e| super::SendError::Refused { status: 0, code: 0, message: e.to_string() })
        }
    };
    let result = match outcome {
        Ok(provider_id) => {
            TestResult { channel: channel.name().into(), sent: true, provider_id: Some(provider_id), error: None }
        }
        Err(error) => TestResult {
            channel: channel.name().into(),
            sent: false,
            provider_id: None,
            error: Some(error.to_string()),
        },
    };
    Ok(result)
}
