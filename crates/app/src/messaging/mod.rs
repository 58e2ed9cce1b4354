//! Messages to customers by SMS, behind [`SmsProvider`] so the provider can be swapped and
//! faked. Every send goes through egress (declared processor, declared fields, recorded).
//! Today it carries the one-time codes of privacy requests; reminders build on it.

pub mod twilio;

use crate::App;
use crate::egress::EgressError;
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
}

/// What the provider said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The provider's id for the message (Twilio's `SM…` sid).
    pub provider_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The provider refused the message, with its own code and words.
    #[error("the SMS provider refused the message ({status}, code {code}): {message}")]
    Refused { status: u16, code: i64, message: String },
    /// The answer was not what the provider's API documents.
    #[error("the SMS provider answered {status} in a form Steward does not know")]
    Unexpected { status: u16 },
    #[error(transparent)]
    Egress(#[from] EgressError),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Accepted, SmsError>> + Send + 'a>>;

/// A way to send SMS.
pub trait SmsProvider: Send + Sync {
    fn send<'a>(&'a self, app: &'a App, sms: Sms<'a>) -> SendFuture<'a>;
}
