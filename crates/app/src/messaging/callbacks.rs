//! What providers tell Steward: delivery reports (Twilio's status callbacks, WhatsApp's
//! `statuses`) and replies (an SMS "STOP", a WhatsApp opt-out), each accepted only with
//! a valid signature (`X-Twilio-Signature`, `X-Hub-Signature-256`) made with the
//! business's own secret, or the operator's for the shared SMS account (SEC-1).
//!
//! A report never moves a message backwards (a late "sent" after "delivered"); an opt-out
//! withdraws the customer's consent on that channel at once, recorded with its source.

use super::settings;
use crate::{App, AppError, audit};
use serde_json::json;
use steward_crypto::webhook;
use steward_domain::customers::{Channel, Purpose};
use steward_domain::ids::{ConsentId, TenantId};
use steward_domain::messaging::{Status, is_opt_out};
use steward_store::TenantTx;
use steward_store::customers::consents::{self as consent_rows, ConsentRow};
use steward_store::messaging::outbox as rows;

async fn tenant_of(app: &App, slug: &str) -> Result<TenantId, AppError> {
    crate::tenancy::find_by_slug(app, slug).await?.map(|t| t.id).ok_or(AppError::NotFound)
}

/// The secret a channel's callbacks are signed with: the business's own account's, else
/// (SMS only) the operator's shared account's.
async fn callback_secret(app: &App, tx: &mut TenantTx, channel: Channel) -> Result<Option<String>, AppError> {
    use secrecy::ExposeSecret;
    let own = settings::open_channels(app, tx).await?.into_iter().find(|c| c.channel == channel);
    Ok(match (channel, own) {
        (Channel::Sms, Some(own)) => Some(own.secret.expose_secret().to_string()),
        (Channel::Sms, None) => app.sms.as_ref().map(|shared| shared.callback_secret().to_string()),
        (_, Some(own)) => own.callback_secret.map(|s| s.expose_secret().to_string()),
        _ => None,
    })
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Applies a delivery report to the message the provider knows by `provider_id`.
async fn report(
    tx: &mut TenantTx,
    provider_id: &str,
    word: &str,
    error: Option<String>,
    at: i64,
) -> Result<bool, AppError> {
    let Some(status) = Status::from_provider(word) else { return Ok(false) };
    let Some(message) = rows::find_by_provider_id(tx, provider_id).await? else { return Ok(false) };
    let current = message.status;
    if status.rank() <= current.rank() && status != Status::Failed {
        return Ok(false);
    }
    let error = if status == Status::Failed { error.or(Some("the provider reported a failure".into())) } else { None };
    rows::report_delivery(tx, message.id, status, error, at).await?;
    Ok(true)
}

/// Twilio's status callback: `MessageSid`, `MessageStatus`, and `ErrorCode` on failure.
/// `url` is the address Twilio called, as it signed it.
pub async fn twilio_status(
    app: &App,
    slug: &str,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> Result<(), AppError> {
    let tenant = tenant_of(app, slug).await?;
    let (writer_app, url, params, signature) =
        (app.clone(), url.to_owned(), params.to_vec(), signature.map(str::to_owned));
    app.store
        .write(tenant, move |mut tx| async move {
            let (app, url, params, signature) = (&writer_app, url.as_str(), params.as_slice(), signature.as_deref());
            check_twilio(app, &mut tx, url, params, signature).await?;
            let sid = param(params, "MessageSid").ok_or_else(|| AppError::invalid("MessageSid", "is required"))?;
            let word =
                param(params, "MessageStatus").ok_or_else(|| AppError::invalid("MessageStatus", "is required"))?;
            let error = param(params, "ErrorCode").map(|code| format!("sms: Twilio error {code}"));
            report(&mut tx, sid, word, error, app.now()).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

async fn check_twilio(
    app: &App,
    tx: &mut TenantTx,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> Result<(), AppError> {
    let secret = callback_secret(app, tx, Channel::Sms).await?.ok_or(AppError::NotFound)?;
    let valid = signature.is_some_and(|header| webhook::verify_twilio_signature(&secret, url, params, header));
    if !valid {
        tracing::warn!(provider = "twilio", "a callback with a missing or wrong signature was refused");
        return Err(AppError::BadSignature);
    }
    Ok(())
}

/// An SMS to the business's number: an opt-out word withdraws SMS consent at once.
pub async fn twilio_inbound(
    app: &App,
    slug: &str,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> Result<usize, AppError> {
    let tenant = tenant_of(app, slug).await?;
    let (writer_app, url, params, signature) =
        (app.clone(), url.to_owned(), params.to_vec(), signature.map(str::to_owned));
    app.store
        .write(tenant, move |mut tx| async move {
            let (app, url, params, signature) = (&writer_app, url.as_str(), params.as_slice(), signature.as_deref());
            check_twilio(app, &mut tx, url, params, signature).await?;
            let from = param(params, "From").unwrap_or_default();
            let body = param(params, "Body").unwrap_or_default();
            let withdrawn =
                if is_opt_out(body) { opt_out(app, &mut tx, Channel::Sms, from, "sms_stop").await? } else { 0 };
            tx.commit().await?;
            Ok(withdrawn)
        })
        .await
}

/// Meta's webhook subscription check: echoes the challenge when the token is the one the
/// business's settings page shows.
pub async fn whatsapp_handshake(
    app: &App,
    slug: &str,
    mode: &str,
    token: &str,
    challenge: &str,
) -> Result<String, AppError> {
    let tenant = tenant_of(app, slug).await?;
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let channels = steward_store::messaging::settings::channels(&mut tx).await?;
    tx.commit().await?;
    let expected = channels.iter().find(|c| c.channel == "whatsapp").map(|c| c.verify_token.as_str());
    let matches = expected.is_some_and(|e| steward_crypto::token::constant_time_eq(e.as_bytes(), token.as_bytes()));
    if mode != "subscribe" || !matches {
        tracing::warn!(provider = "whatsapp", "a webhook subscription with a wrong verify token was refused");
        return Err(AppError::BadSignature);
    }
    Ok(challenge.to_string())
}

#[derive(serde::Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(serde::Deserialize)]
struct Change {
    value: ChangeValue,
}

#[derive(serde::Deserialize)]
struct ChangeValue {
    #[serde(default)]
    statuses: Vec<StatusReport>,
    #[serde(default)]
    messages: Vec<Inbound>,
}

#[derive(serde::Deserialize)]
struct StatusReport {
    id: String,
    status: String,
    #[serde(default)]
    errors: Vec<ErrorDetail>,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    code: Option<i64>,
    title: Option<String>,
}

#[derive(serde::Deserialize)]
struct Inbound {
    from: String,
    text: Option<Text>,
    button: Option<Button>,
}

#[derive(serde::Deserialize)]
struct Text {
    body: String,
}

#[derive(serde::Deserialize)]
struct Button {
    text: String,
}

/// Meta's webhook notification: delivery statuses and incoming messages.
pub async fn whatsapp_events(app: &App, slug: &str, body: &[u8], signature: Option<&str>) -> Result<(), AppError> {
    let tenant = tenant_of(app, slug).await?;
    let (writer_app, body, signature) = (app.clone(), body.to_vec(), signature.map(str::to_owned));
    app.store
        .write(tenant, move |mut tx| async move {
            let (app, body, signature) = (&writer_app, body.as_slice(), signature.as_deref());
            let secret = callback_secret(app, &mut tx, Channel::Whatsapp).await?.ok_or(AppError::NotFound)?;
            if !signature.is_some_and(|header| webhook::verify_hub_signature_256(&secret, body, header)) {
                tracing::warn!(provider = "whatsapp", "a webhook with a missing or wrong signature was refused");
                return Err(AppError::BadSignature);
            }
            let notification: Notification = serde_json::from_slice(body)
                .map_err(|e| AppError::invalid("body", &format!("is not a WhatsApp notification: {e}")))?;
            let now = app.now();
            for change in notification.entry.iter().flat_map(|e| &e.changes) {
                for status in &change.value.statuses {
                    let error = status.errors.first().map(|e| {
                        format!("whatsapp: {} (code {})", e.title.clone().unwrap_or_default(), e.code.unwrap_or(0))
                    });
                    report(&mut tx, &status.id, &status.status, error, now).await?;
                }
                for inbound in &change.value.messages {
                    let words = inbound
                        .text
                        .as_ref()
                        .map(|t| t.body.as_str())
                        .or(inbound.button.as_ref().map(|b| b.text.as_str()))
                        .unwrap_or_default();
                    if is_opt_out(words) {
                        opt_out(
                            app,
                            &mut tx,
                            Channel::Whatsapp,
                            &format!("+{}", inbound.from.trim_start_matches('+')),
                            "whatsapp_opt_out",
                        )
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// Withdraws reminder and marketing consent on `channel` for every customer with this
/// number; audited without the number.
async fn opt_out(app: &App, tx: &mut TenantTx, channel: Channel, phone: &str, source: &str) -> Result<usize, AppError> {
    let found = steward_store::customers::records::find_by_phones_or_emails(tx, &[phone.to_string()], &[]).await?;
    let now = app.now();
    for (customer, _, _) in &found {
        for purpose in [Purpose::Reminders, Purpose::Marketing] {
            let row = ConsentRow {
                id: ConsentId::generate(),
                customer_id: *customer,
                channel: channel.name().into(),
                purpose: purpose.name().into(),
                granted: false,
                source: source.into(),
                recorded_by: None,
                recorded_by_name: None,
                recorded_at: now,
            };
            consent_rows::insert(tx, &row).await?;
        }
        let client = crate::access::auth::ClientInfo::default();
        let details = json!({ "channel": channel.name(), "source": source, "granted": false });
        audit::record(
            app,
            tx,
            audit::by_system(
                &client,
                None,
                "customer.consent_withdrawn",
                Some(("customer", customer.to_string())),
                details,
            ),
        )
        .await?;
    }
    Ok(found.len())
}
