//! Booking: locations, services, staff and their hours (setup), availability,
//! appointments (book, move, cancel, statuses, recurring series), the public booking page
//! with held slots, and each staff member's calendar feed.

pub mod appointments;
pub mod availability;
pub mod calendar;
pub mod feed;
pub mod manage;
pub mod public;
pub mod setup;

use crate::AppError;
use crate::access::auth::ClientInfo;
use crate::access::principal::Principal;
use serde::Deserialize;
use serde_json::Value;
use steward_domain::ids::MemberId;
use steward_store::audit::NewAuditEvent;

/// Who is acting: a member, or someone on the public booking page.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    Member(&'a Principal),
    Public(&'a ClientInfo),
}

impl Actor<'_> {
    pub fn member(&self) -> Option<MemberId> {
        match self {
            Actor::Member(who) => Some(who.member),
            Actor::Public(_) => None,
        }
    }

    pub(crate) fn event(
        &self,
        action: &'static str,
        target: Option<(&'static str, String)>,
        details: Value,
    ) -> NewAuditEvent {
        match self {
            Actor::Member(who) => crate::audit::by(who, action, target, details),
            Actor::Public(client) => crate::audit::by_system(client, None, action, target, details),
        }
    }
}

/// An amount given as text (`"499.50"`) or as a JSON number (`499.5`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Amount {
    Text(String),
    Number(serde_json::Number),
}

impl Amount {
    pub fn text(&self) -> String {
        match self {
            Amount::Text(t) => t.clone(),
            Amount::Number(n) => n.to_string(),
        }
    }
}

/// Parses an id sent as text, naming the field.
pub(crate) fn parse_uuid<T: From<uuid::Uuid>>(field: &str, raw: &str) -> Result<T, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map(T::from).map_err(|_| AppError::invalid(field, "is not a valid id"))
}

/// An optional id; empty, `anyone` or `any` means none was chosen.
pub(crate) fn optional_id<T: From<uuid::Uuid>>(field: &str, raw: &Option<String>) -> Result<Option<T>, AppError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") | Some("anyone") | Some("any") => Ok(None),
        Some(text) => parse_uuid(field, text).map(Some),
    }
}
