//! The audit log for tenant admins: recent events in words ("Meera signed in", with the
//! customer's or member's name where the viewer may see it), a filter by action and
//! member chosen by name, and verification. The exact record of each event stays one
//! click away.

use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, PageResult, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use std::collections::HashMap;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::audit::{self, AuditEventView, AuditQuery, Verification};
use steward_domain::permissions::Permission;

/// Events a page shows; "Older events" pages on. Fifty keep the page light on a phone
/// (each carries its whole record, folded), with a day's work of a small business on it.
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "audit/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub business: String,
    pub events: Vec<EventRow>,
    /// The members to filter by, as (id, name), for viewers who may see them.
    pub members: Vec<(String, String)>,
    pub actions: &'static [(&'static str, &'static str)],
    pub query: AuditQuery,
    /// The query string for the next (older) page, with the same filters.
    pub older: Option<String>,
    pub verification: Option<Verification>,
}

/// One event as the viewer shows it.
pub struct EventRow {
    pub event: AuditEventView,
    /// When, in the business's zone: `Mon 7 Dec, 10:30 am`.
    pub when: String,
    /// Who, by name where known: `Meera (member)`, `the system`.
    pub who: String,
    /// What, in words where Steward knows the action.
    pub what: String,
    /// To whom or what, by name where known.
    pub target: String,
    /// The details as recorded, for the closer look.
    pub details: String,
}

/// Most customers named on one page of the log (each a lookup).
const NAMED_CUSTOMERS: usize = 20;

async fn rows_of(
    state: &AppState,
    who: &Principal,
    events: Vec<AuditEventView>,
    members: &HashMap<String, String>,
) -> Vec<EventRow> {
    let zone = steward_app::tenancy::profile(&state.app, who)
        .await
        .ok()
        .and_then(|t| jiff::tz::TimeZone::get(&t.time_zone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let mut customers: HashMap<String, String> = HashMap::new();
    if who.has(Permission::CustomersRead) {
        for event in &events {
            if customers.len() >= NAMED_CUSTOMERS {
                break;
            }
            if let (Some("customer"), Some(id)) = (event.target_type.as_deref(), &event.target_id)
                && !customers.contains_key(id)
                && let Ok(customer_id) = id.parse()
            {
                let name = match steward_app::customers::records::summary(&state.app, who, customer_id).await {
                    Ok(found) => found.name,
                    Err(_) => "a customer no longer here".into(),
                };
                customers.insert(id.clone(), name);
            }
        }
    }
    let today = jiff::Timestamp::from_microsecond(state.app.now()).unwrap_or_default().to_zoned(zone.clone()).date();
    events
        .into_iter()
        .map(|event| {
            let when = event
                .at
                .parse::<jiff::Timestamp>()
                .map(|t| steward_domain::human::day_and_clock(crate::pages::ENGLISH, &t.to_zoned(zone.clone()), today))
                .unwrap_or_else(|_| event.at.clone());
            let who = match (event.actor_type.as_str(), event.actor_id) {
                (_, Some(id)) => match members.get(&id.to_string()) {
                    Some(name) => format!("{name} ({})", event.actor_type),
                    None => format!("a {} no longer here", event.actor_type),
                },
                ("system", None) => "Steward itself".into(),
                (kind, None) => format!("a {kind}"),
            };
            let what = steward_domain::audit::action_in_words(&event.action).unwrap_or(&event.action).to_string();
            let target = match (event.target_type.as_deref(), &event.target_id) {
                (Some("customer"), Some(id)) => customers.get(id).cloned().unwrap_or_else(|| "a customer".into()),
                (Some("member"), Some(id)) => members.get(id).cloned().unwrap_or_else(|| "a member".into()),
                (Some(kind), _) => kind.replace('_', " "),
                (None, _) => String::new(),
            };
            let details = event.details.to_string();
            EventRow { event, when, who, what, target, details }
        })
        .collect()
}

fn field(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn older_link(query: &AuditQuery, before: i64) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("action", &query.action),
        ("actor", &query.actor),
        ("target", &query.target),
        ("from", &query.from),
        ("to", &query.to),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(key, v);
        }
    }
    out.append_pair("before", &before.to_string());
    out.finish()
}

impl AuditPage {
    pub fn action(&self) -> String {
        field(&self.query.action)
    }
    pub fn actor(&self) -> String {
        field(&self.query.actor)
    }
    pub fn target(&self) -> String {
        field(&self.query.target)
    }
    pub fn from(&self) -> String {
        field(&self.query.from)
    }
    pub fn to(&self) -> String {
        field(&self.query.to)
    }
}

async fn page(state: &AppState, who: &Principal, query: AuditQuery, verification: Option<Verification>) -> PageResult {
    let chrome = Chrome::member(state, who, "Audit log", "/app/audit").await?;
    let business = chrome.nav.as_ref().map(|n| n.business.clone()).unwrap_or_default();
    let query = AuditQuery { limit: Some(PAGE), ..query };
    let (chrome, events, status) = match audit::recent(&state.app, who, &query).await {
        Ok(events) => (chrome, events, StatusCode::OK),
        Err(error @ AppError::Invalid(_)) => {
            let status = crate::error::describe(&error).status;
            (chrome.with_error(&error), Vec::new(), status)
        }
        Err(other) => return Err(other.into()),
    };
    let older = if events.len() as i64 == PAGE { events.last().map(|e| older_link(&query, e.seq)) } else { None };
    let member_list = if who.has(Permission::MembersRead) {
        steward_app::access::members::list(&state.app, who).await?
    } else {
        Vec::new()
    };
    let members: Vec<(String, String)> = member_list.iter().map(|m| (m.id.to_string(), m.name.clone())).collect();
    let names: HashMap<String, String> = members.iter().cloned().collect();
    let events = rows_of(state, who, events, &names).await;
    let actions = steward_domain::audit::actions_in_words();
    Ok(render(status, &AuditPage { chrome, business, events, members, actions, query, older, verification }))
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<AuditQuery>) -> PageResult {
    page(&state, &who, query, None).await
}

pub async fn verify(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    let verification = audit::verify(&state.app, &who).await?;
    page(&state, &who, AuditQuery::default(), Some(verification)).await
}
