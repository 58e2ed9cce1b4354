//! The outbox worker inside `serve`: visits the tenants whose wakeup has come, claims
//! their due messages in batches, and sends each on the first channel the business has
//! connected, the customer has an address for and agreed to (MSG-1), in the business's
//! order.
//!
//! A batch costs two writes: the claim (with every call's egress record, so each call is
//! recorded before it is made) and the settlement (statuses, provider ids, egress
//! outcomes). A provider refusal a retry cannot help moves the message to the next
//! channel; one it can help (rate limits, provider failures, the network) retries with
//! exponential backoff and jitter, up to [`MAX_ATTEMPTS`]. A process that dies mid-batch
//! leaves its claims to lapse; they are sent again with the same idempotency key.

use super::settings::{self, OpenChannel};
use super::whatsapp::{self, WhatsApp};
use super::{Accepted, SendError, Sms, SmsProvider};
use crate::egress::{self, Admitted, Call};
use crate::mail::{MailError, OutgoingMail};
use crate::{App, AppError};
use std::collections::HashMap;
use std::sync::Arc;
use steward_domain::customers::{Channel, Purpose};
use steward_domain::ids::{AppointmentId, CustomerId, TenantId};
use steward_domain::messaging::{Kind, MessageFields, Rules, Template};
use steward_store::TenantTx;
use steward_store::booking::appointments::AppointmentRow;
use steward_store::customers::consents::ConsentRow;
use steward_store::customers::records::CustomerRow;
use steward_store::messaging::outbox::{self as rows, MessageRow, Settled};
use steward_store::messaging::settings::{self as setting_rows, TemplateRow};

/// Messages claimed per batch.
pub const BATCH: i64 = 200;
/// Sends given up after this many attempts on retryable errors.
pub const MAX_ATTEMPTS: i64 = 8;
const SECOND: i64 = 1_000_000;

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl DispatchReport {
    pub fn total(&self) -> u64 {
        self.sent + self.retried + self.failed + self.skipped
    }
}

/// Runs inside `serve`: a pass whenever a wakeup is due, at least every `idle`.
pub async fn run(app: App, idle: std::time::Duration) {
    loop {
        match dispatch_due(&app).await {
            Ok(report) if report.total() > 0 => {
                tracing::info!(
                    sent = report.sent,
                    retried = report.retried,
                    failed = report.failed,
                    skipped = report.skipped,
                    "messages dispatched"
                );
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the message worker's pass failed; it tries again shortly"),
        }
        let wait = match next_wakeup(&app).await {
            Ok(Some(at)) => std::time::Duration::from_micros((at - app.now()).clamp(0, idle.as_micros() as i64) as u64),
            _ => idle,
        };
        tokio::time::sleep(wait.max(std::time::Duration::from_millis(50))).await;
    }
}

async fn next_wakeup(app: &App) -> Result<Option<i64>, AppError> {
    let mut platform = app.store.begin_platform().await?;
    let next = rows::next_wakeup(&mut platform).await?;
    platform.commit().await?;
    Ok(next)
}

/// One pass: every tenant with messages due now, each until its due messages are done.
pub async fn dispatch_due(app: &App) -> Result<DispatchReport, AppError> {
    let now = app.now();
    let mut platform = app.store.begin_platform().await?;
    let tenants = rows::due_tenants(&mut platform, now, 500).await?;
    platform.commit().await?;
    let mut report = DispatchReport::default();
    for tenant in tenants {
        loop {
            let batch = dispatch_batch(app, tenant, &mut report).await?;
            if batch < BATCH as usize {
                break;
            }
        }
    }
    Ok(report)
}

/// What one send needs once the claim is committed.
struct Attempt {
    tenant: TenantId,
    message: MessageRow,
    channel: Channel,
    /// Channels after this one the message may fall back to.
    rest: Vec<Channel>,
    admitted: Admitted,
    send: Send,
}

enum Send {
    Sms { provider: Arc<dyn SmsProvider>, to: String, body: String, callback: String },
    WhatsApp { sender: WhatsApp, to: String, template: String, language: String, parameters: Vec<String> },
    Email { to: String, subject: String, body: String },
}

/// The customers, appointments and consent histories a batch's messages are about.
struct Known {
    customers: HashMap<CustomerId, CustomerRow>,
    appointments: HashMap<AppointmentId, AppointmentRow>,
    consents: HashMap<CustomerId, Vec<ConsentRow>>,
}

impl Known {
    async fn load(tx: &mut TenantTx, messages: &[MessageRow]) -> Result<Known, AppError> {
        let mut customer_ids: Vec<CustomerId> = messages.iter().map(|m| m.customer_id).collect();
        customer_ids.sort_unstable_by_key(|id| id.as_uuid());
        customer_ids.dedup();
        let mut appointment_ids: Vec<AppointmentId> = messages.iter().filter_map(|m| m.appointment_id).collect();
        appointment_ids.sort_unstable_by_key(|id| id.as_uuid());
        appointment_ids.dedup();
        let customers = steward_store::customers::records::find_many(tx, &customer_ids).await?;
        let appointments = steward_store::booking::appointments::find_many(tx, &appointment_ids).await?;
        let mut consents: HashMap<CustomerId, Vec<ConsentRow>> = HashMap::new();
        for consent in steward_store::customers::consents::history_of_many(tx, &customer_ids).await? {
            consents.entry(consent.customer_id).or_default().push(consent);
        }
        Ok(Known {
            customers: customers.into_iter().map(|c| (c.id, c)).collect(),
            appointments: appointments.into_iter().map(|a| (a.id, a)).collect(),
            consents,
        })
    }
}

/// Everything about the tenant a batch needs, read once.
struct Context {
    rules: Rules,
    channels: Vec<OpenChannel>,
    templates: Vec<TemplateRow>,
    business: String,
    slug: String,
}

async fn dispatch_batch(app: &App, tenant: TenantId, report: &mut DispatchReport) -> Result<usize, AppError> {
    let now = app.now();
    let lease = app.settings.message_lease_seconds.max(1) * SECOND;
    let claim_app = app.clone();
    let Claimed { count: claimed, attempts, settled } =
        app.store.write(tenant, move |tx| async move { claim_batch(&claim_app, tx, now, lease).await }).await?;
    for (_, outcome) in &settled {
        count(report, outcome);
    }
    if claimed == 0 {
        return Ok(0);
    }

    let mut running = tokio::task::JoinSet::new();
    for attempt in attempts {
        let app = app.clone();
        running.spawn(async move {
            let (result, outcome) = deliver(&app, &attempt).await;
            (attempt, result, outcome)
        });
    }
    let now = app.now();
    let mut outcomes = Vec::with_capacity(running.len());
    let mut egress_outcomes = Vec::with_capacity(running.len());
    while let Some(joined) = running.join_next().await {
        let (attempt, result, egress_outcome) = match joined {
            Ok(done) => done,
            Err(error) => {
                tracing::warn!(%error, "a message send stopped unexpectedly; its claim lapses and it is sent again");
                continue;
            }
        };
        let mut outcome = settle_send(&attempt, &result, now);
        if matches!(outcome, Settled::Retry { .. }) && attempt.message.attempts >= MAX_ATTEMPTS {
            let error = format!("gave up after {} attempts: {}", attempt.message.attempts, describe(&result));
            outcome = Settled::Failed { channel: Some(attempt.channel.name().into()), error };
        }
        count(report, &outcome);
        outcomes.push((attempt.message.id, outcome));
        egress_outcomes.push((attempt.admitted.id, egress_outcome));
    }
    app.store
        .write(tenant, move |mut tx| async move {
            for (admitted, egress_outcome) in &egress_outcomes {
                steward_store::egress::set_outcome(&mut tx, *admitted, egress_outcome).await?;
            }
            rows::settle_all(&mut tx, &outcomes, now).await?;
            rows::rewind_wakeup(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(claimed)
}

/// What a claim took: how many messages, the sends to make, and the messages settled
/// without a send (no address, no consent, no channel).
struct Claimed {
    count: usize,
    attempts: Vec<Attempt>,
    settled: Vec<(uuid::Uuid, Settled)>,
}

/// The first of a batch's two writes: claims due messages for a lease and records each
/// call about to be made.
async fn claim_batch(app: &App, mut tx: TenantTx, now: i64, lease: i64) -> Result<Claimed, AppError> {
    let claimed = rows::claim(&mut tx, now, now + lease, BATCH).await?;
    if claimed.is_empty() {
        rows::rewind_wakeup(&mut tx).await?;
        tx.commit().await?;
        return Ok(Claimed { count: 0, attempts: Vec::new(), settled: Vec::new() });
    }
    let context = load_context(app, &mut tx).await?;
    // The batch's customers, appointments and consents in three reads, not three per
    // message: the claim holds SQLite's one writer.
    let known = Known::load(&mut tx, &claimed).await?;
    let mut attempts = Vec::with_capacity(claimed.len());
    let mut settled: Vec<(uuid::Uuid, Settled)> = Vec::new();
    for message in &claimed {
        match prepare(app, &mut tx, &context, &known, message.clone()).await? {
            Ok(attempt) => attempts.push(attempt),
            Err(outcome) => settled.push((message.id, outcome)),
        }
    }
    rows::settle_all(&mut tx, &settled, now).await?;
    tx.commit().await?;
    Ok(Claimed { count: claimed.len(), attempts, settled })
}

fn count(report: &mut DispatchReport, outcome: &Settled) {
    match outcome {
        Settled::Sent { .. } => report.sent += 1,
        Settled::Retry { .. } | Settled::Fallback { .. } => report.retried += 1,
        Settled::Failed { .. } => report.failed += 1,
        Settled::Skipped { .. } => report.skipped += 1,
    }
}

fn describe(result: &Result<Accepted, SendError>) -> String {
    match result {
        Ok(_) => "accepted".into(),
        Err(error) => error.to_string(),
    }
}

/// The backoff before attempt `n + 1`: 30 s doubling to an hour, ±20 % jitter so a
/// provider's outage is not answered by every message at the same instant.
pub fn backoff(attempts: i64) -> i64 {
    let base = (30 * SECOND).saturating_mul(1 << (attempts.clamp(1, 8) - 1)).min(3600 * SECOND);
    let spread = steward_crypto::random_bytes::<2>().map(u16::from_le_bytes).unwrap_or(32768);
    let factor = 0.8 + 0.4 * f64::from(spread) / f64::from(u16::MAX);
    (base as f64 * factor) as i64
}

fn settle_send(attempt: &Attempt, result: &Result<Accepted, SendError>, now: i64) -> Settled {
    let channel = attempt.channel.name().to_string();
    match result {
        Ok(accepted) => Settled::Sent { channel, provider_id: accepted.provider_id.clone() },
        Err(error) if error.retry_helps() => {
            Settled::Retry { at: now + backoff(attempt.message.attempts), error: format!("{channel}: {error}") }
        }
        Err(error) => match attempt.rest.first() {
            Some(next) => Settled::Fallback { channel: next.name().into(), error: format!("{channel}: {error}") },
            None => Settled::Failed { channel: Some(channel.clone()), error: format!("{channel}: {error}") },
        },
    }
}

async fn load_context(app: &App, tx: &mut TenantTx) -> Result<Context, AppError> {
    let rules = settings::rules(tx).await?;
    let channels = settings::open_channels(app, tx).await?;
    let templates = setting_rows::templates(tx).await?;
    let tenant = steward_store::tenancy::tenants::current(tx).await?;
    Ok(Context { rules, channels, templates, business: tenant.name, slug: tenant.slug })
}

/// The first word of a name: all a message may say of who it is for.
fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or_default().to_string()
}

/// The appointment's time as a customer reads it, in the location's zone.
fn appointment_time(micros: i64, zone: &str) -> String {
    let zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    steward_domain::booking::local_time::zoned(micros, &zone)
        .map(|z| z.strftime("%a %-d %b, %-I:%M %p").to_string())
        .unwrap_or_default()
}

/// The egress field name each placeholder carries.
fn field_of(placeholder: &str) -> &'static str {
    match placeholder {
        "first_name" => "customer.first_name",
        "business" => "business.name",
        "service" => "service.name",
        "staff" => "staff.first_name",
        "time" => "appointment.time",
        _ => "link",
    }
}

fn fields_carried(template: &Template, address: &'static str) -> Vec<&'static str> {
    let mut fields = vec![address];
    for placeholder in &template.uses {
        let field = field_of(placeholder);
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    fields
}

/// Chooses the channel, writes the text from the allowed fields only, and admits the call
/// through egress; or says why the message is not sent.
async fn prepare(
    app: &App,
    tx: &mut TenantTx,
    context: &Context,
    known: &Known,
    message: MessageRow,
) -> Result<Result<Attempt, Settled>, AppError> {
    let Some(customer) = known.customers.get(&message.customer_id) else {
        return Ok(Err(Settled::Skipped { reason: "the customer no longer exists".into() }));
    };
    let kind = Kind::parse("kind", &message.kind)?;
    let appointment = message.appointment_id.and_then(|id| known.appointments.get(&id));
    if let Some(a) = &appointment
        && a.status == steward_domain::booking::Status::Cancelled
        && kind != Kind::Cancelled
    {
        return Ok(Err(Settled::Skipped { reason: "the appointment was cancelled".into() }));
    }
    let fields = MessageFields {
        first_name: first_name(&customer.name),
        business: context.business.clone(),
        service: appointment.as_ref().map(|a| a.service_name.clone()).unwrap_or_default(),
        staff: appointment.as_ref().map(|a| first_name(&a.staff_name)).unwrap_or_default(),
        time: appointment.as_ref().map(|a| appointment_time(a.starts_at.as_micros(), &a.time_zone)).unwrap_or_default(),
        link: match message.appointment_id {
            Some(id) => crate::booking::manage::link(app, &context.slug, tx.tenant(), id),
            None => app.link(&format!("/b/{}", context.slug)),
        },
    };
    let consents = known.consents.get(&message.customer_id).map_or(&[][..], Vec::as_slice);
    let agreed = |channel: Channel| {
        consents
            .iter()
            .rev()
            .find(|c| c.channel == channel.name() && c.purpose == Purpose::Reminders.name())
            .is_some_and(|c| c.granted)
    };
    let order: Vec<Channel> = match message.channel.as_deref() {
        Some(fixed) => {
            let fixed = Channel::parse("channel", fixed)?;
            let from = context.rules.channel_order.iter().position(|c| *c == fixed).unwrap_or(0);
            let mut order: Vec<Channel> = context.rules.channel_order[from..].to_vec();
            if !order.contains(&fixed) {
                order.insert(0, fixed);
            }
            order
        }
        None => context.rules.channel_order.clone(),
    };
    let mut why_not = Vec::new();
    let mut usable = Vec::new();
    for channel in order {
        let connected = match channel {
            Channel::Sms => context.channels.iter().any(|c| c.channel == Channel::Sms) || app.sms.is_some(),
            Channel::Whatsapp => context.channels.iter().any(|c| c.channel == Channel::Whatsapp),
            Channel::Email => app.mailer.relay_host().is_some(),
        };
        let address = match channel {
            Channel::Sms | Channel::Whatsapp => customer.phone.is_some(),
            Channel::Email => customer.email.is_some(),
        };
        if !connected {
            why_not.push(format!("{} is not connected", channel.name()));
        } else if !address {
            why_not.push(format!("no {} address on file", channel.name()));
        } else if !agreed(channel) {
            why_not.push(format!("no consent to reminders by {}", channel.name()));
        } else {
            usable.push(channel);
        }
    }
    let Some((&channel, rest)) = usable.split_first() else {
        return Ok(Err(Settled::Skipped { reason: format!("not sent: {}", why_not.join("; ")) }));
    };
    let rest = rest.to_vec();
    let (template, whatsapp_template, _) = settings::template_for(&context.templates, kind, &message.language);
    let key = format!("{}:{}", message.idempotency_key, channel.name());
    let phone = customer.phone.clone().unwrap_or_default();
    let (send, url, processor, fields) = match channel {
        Channel::Sms => {
            let Some(provider) = settings::sms_provider(app, &context.channels) else {
                return Ok(Err(Settled::Skipped { reason: "sms is not connected".into() }));
            };
            let url = format!("{}/2010-04-01/", settings::endpoint(app, "twilio"));
            let callback = settings::hook_url(app, &context.slug, "sms", "status");
            let body = template.render(&fields);
            (
                Send::Sms { provider, to: phone, body, callback },
                url,
                "twilio",
                fields_carried(&template, "customer.phone"),
            )
        }
        Channel::Whatsapp => {
            let Some(own) = context.channels.iter().find(|c| c.channel == Channel::Whatsapp) else {
                return Ok(Err(Settled::Skipped { reason: "whatsapp is not connected".into() }));
            };
            let sender = own.whatsapp(app);
            let url = format!("{}/{}/", settings::endpoint(app, "whatsapp"), whatsapp::API_VERSION);
            let parameters = template.parameters(&fields).into_iter().map(str::to_string).collect();
            let send = Send::WhatsApp {
                sender,
                to: phone,
                template: whatsapp_template,
                language: message.language.clone(),
                parameters,
            };
            (send, url, "whatsapp", fields_carried(&template, "customer.phone"))
        }
        Channel::Email => {
            let host = app.mailer.relay_host().unwrap_or_default().to_string();
            let subject = format!("{}: {}", context.business, kind.label());
            let send =
                Send::Email { to: customer.email.clone().unwrap_or_default(), subject, body: template.render(&fields) };
            (
                send,
                format!("smtp://{host}"),
                steward_domain::processors::SMTP_RELAY.id,
                fields_carried(&template, "customer.email"),
            )
        }
    };
    let call = Call { tenant: tx.tenant(), processor, purpose: kind.label(), fields: &fields };
    match egress::admit_in(app, tx, call, &url).await {
        Ok(admitted) => Ok(Ok(Attempt {
            tenant: tx.tenant(),
            message: MessageRow { idempotency_key: key, ..message },
            channel,
            rest,
            admitted,
            send,
        })),
        Err(refusal) => Ok(Err(Settled::Failed { channel: Some(channel.name().into()), error: refusal.to_string() })),
    }
}

/// Sends one attempt; answers the provider's verdict and the egress outcome to record.
async fn deliver(app: &App, attempt: &Attempt) -> (Result<Accepted, SendError>, String) {
    let key = attempt.message.idempotency_key.as_str();
    match &attempt.send {
        Send::Sms { provider, to, body, callback } => {
            let sms = Sms {
                tenant: attempt.tenant,
                to,
                body,
                purpose: "",
                fields: &[],
                idempotency_key: Some(key),
                status_callback: Some(callback),
            };
            let request = provider.request(app, &sms);
            match egress::execute(app, &attempt.admitted, request).await {
                Ok((response, outcome)) => {
                    let status = response.status().as_u16();
                    let body = response.bytes().await.unwrap_or_default();
                    (provider.read_answer(status, &body), outcome)
                }
                Err((error, outcome)) => (Err(SendError::Egress(error)), outcome),
            }
        }
        Send::WhatsApp { sender, to, template, language, parameters } => {
            let body: Vec<&str> = parameters.iter().map(String::as_str).collect();
            let template = whatsapp::Template { name: template, language, body: &body };
            let request = sender.request(app, to, template, Some(key));
            match egress::execute(app, &attempt.admitted, request).await {
                Ok((response, outcome)) => {
                    let status = response.status().as_u16();
                    let body = response.bytes().await.unwrap_or_default();
                    (WhatsApp::read_answer(status, &body), outcome)
                }
                Err((error, outcome)) => (Err(SendError::Egress(error)), outcome),
            }
        }
        Send::Email { to, subject, body } => {
            let mail = OutgoingMail {
                kind: "customer message",
                to: to.clone(),
                subject: subject.clone(),
                text: body.clone(),
                link: String::new(),
            };
            match app.mailer.send_as(&mail, Some(key)).await {
                Ok(()) => (Ok(Accepted { provider_id: format!("<{key}@steward>") }), "accepted by the relay".into()),
                // Trying again cannot help until the operator configures a relay.
                Err(error @ MailError::NotConfigured) => {
                    (Err(SendError::Refused { status: 400, code: 550, message: error.to_string() }), "not sent".into())
                }
                Err(error) => {
                    // SMTP refusals are 5xx (permanent) or 4xx (try later); lettre says which.
                    let message = error.to_string();
                    let verdict = if message.contains("permanent") {
                        SendError::Refused { status: 400, code: 550, message }
                    } else {
                        SendError::Unexpected { status: 503 }
                    };
                    (Err(verdict), "not sent".into())
                }
            }
        }
    }
}
