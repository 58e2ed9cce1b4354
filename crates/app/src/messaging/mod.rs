//! Messages to customers by SMS and WhatsApp, behind [`SmsProvider`] and the WhatsApp
//! client, so providers can be swapped and faked. Every send goes through egress (declared
//! processor, declared fields, recorded). Booking changes queue messages in the
//! [`outbox`]; the [`worker`] sends them on the channels each business set up in
//! [`settings`]; [`callbacks`] take delivery reports and opt-outs; [`log`] shows them.

pub mod callbacks;
pub mod log;
pub mod outbox;
pub mod settings;
pub mod twilio;
pub mod whatsapp;
pub mod worker;

use crate::App;
use crate::egress::{self, Call, EgressError};
use std::future::Future;
use std::pin::Pin;
use steward_domain::ids::TenantId;

/// One SMS: to whom (E.164), the text, and for the egress record why and which fields.
#[derive(Debug, Clone, Copy)]
pub struct Sms<'a> {
    pub tenant: TenantId,
    pub to: &'a str,
    pub body: &'a str,
    pub purpose: &'a str,
    pub fields: &'a [&'a str],
    /// The outbox's key for this message on this channel, sent as `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
    /// Where the provider reports delivery.
    pub status_callback: Option<&'a str>,
}

/// What the provider said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The provider's id for the message (Twilio's `SM…` sid, WhatsApp's `wamid…`).
    pub provider_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The provider refused the message, with its own code and words.
    #[error("the provider refused the message ({status}, code {code}): {message}")]
    Refused { status: u16, code: i64, message: String },
    /// The answer was not what the provider's API documents.
    #[error("the provider answered {status} in a form Steward does not know")]
    Unexpected { status: u16 },
    #[error(transparent)]
    Egress(#[from] EgressError),
}

impl SendError {
    /// Whether sending the same message again later can succeed: rate limits, the
    /// provider's own failures and the network, but not a bad number or a template the
    /// provider does not know.
    pub fn retry_helps(&self) -> bool {
        match self {
            SendError::Refused { status, code, .. } => {
                *status == 429
                    || *status >= 500
                    // Twilio: too many requests; WhatsApp: throughput, pair rate limit, unknown error.
                    || matches!(code, 20429 | 130429 | 131056 | 131000 | 131016)
            }
            SendError::Unexpected { status } => *status >= 500,
            SendError::Egress(EgressError::Transport { .. }) => true,
            SendError::Egress(_) => false,
        }
    }
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Accepted, SendError>> + Send + 'a>>;

/// A way to send SMS: the request that sends one, and how to read the answer. Sending
/// itself goes through egress, one call at a time ([`SmsProvider::send`]) or as part of
/// the outbox worker's batch.
pub trait SmsProvider: Send + Sync {
    /// The processor id egress records the call under.
    fn processor(&self) -> &'static str;
    /// The request that sends `sms`, not yet sent.
    fn request(&self, app: &App, sms: &Sms<'_>) -> reqwest::RequestBuilder;
    /// The provider's answer, read.
    fn read_answer(&self, status: u16, body: &[u8]) -> Result<Accepted, SendError>;
    /// The secret the provider signs its callbacks with.
    fn callback_secret(&self) -> &str;

    /// Sends one SMS through egress, recorded on its own.
    fn send<'a>(&'a self, app: &'a App, sms: Sms<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            let request = self.request(app, &sms);
            let call =
                Call { tenant: sms.tenant, processor: self.processor(), purpose: sms.purpose, fields: sms.fields };
            let response = egress::send(app, call, request).await?;
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap_or_default();
            self.read_answer(status, &body)
        })
    }
}
