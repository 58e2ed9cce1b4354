//! Consent per customer, channel and purpose: who recorded it, when and how. Every grant
//! and withdrawal is kept; the latest one holds.

use crate::access::principal::Principal;
use crate::audit;
use crate::clock::format_instant;
use crate::{App, AppError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_domain::customers::{Channel, Purpose};
use steward_domain::ids::{ConsentId, CustomerId, MemberId};
use steward_domain::permissions::Permission;
use steward_store::TenantTx;
use steward_store::customers::consents::{self as rows, ConsentRow};
use steward_store::customers::records;

/// A consent given or withdrawn.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ConsentNew")]
pub struct ConsentInput {
    #[schemars(with = "steward_domain::customers::Channel")]
    pub channel: String,
    #[schemars(with = "steward_domain::customers::Purpose")]
    pub purpose: String,
    pub granted: bool,
    /// How it was recorded: `form`, `verbal`, `paper`, `online_booking`, `import`, ...
    pub source: Option<String>,
}

/// A checked consent.
#[derive(Debug, Clone)]
pub struct CheckedConsent {
    pub channel: Channel,
    pub purpose: Purpose,
    pub granted: bool,
    pub source: String,
}

/// The consent that holds for a channel and purpose.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Consent")]
pub struct ConsentView {
    pub channel: Channel,
    pub purpose: Purpose,
    pub granted: bool,
    pub source: String,
    pub recorded_by: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub recorded_at: String,
}

pub fn check(input: &ConsentInput) -> Result<CheckedConsent, AppError> {
    let source = match input.source.as_deref().map(str::trim) {
        None | Some("") => "form".to_string(),
        Some(s) if s.len() <= 40 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
            s.to_ascii_lowercase()
        }
        Some(_) => {
            return Err(AppError::invalid("consents.source", "must be a short word such as form, verbal or paper"));
        }
    };
    Ok(CheckedConsent {
        channel: Channel::parse("consents.channel", &input.channel)?,
        purpose: Purpose::parse("consents.purpose", &input.purpose)?,
        granted: input.granted,
        source,
    })
}

pub fn check_all(inputs: &[ConsentInput]) -> Result<Vec<CheckedConsent>, AppError> {
    if inputs.len() > 20 {
        return Err(AppError::invalid("consents", "at most 20 at a time"));
    }
    inputs.iter().map(check).collect()
}

pub(crate) async fn insert(
    tx: &mut TenantTx,
    customer: CustomerId,
    consent: &CheckedConsent,
    by: Option<MemberId>,
    now: i64,
) -> Result<(), AppError> {
    rows::insert(tx, &new_row(customer, consent, by, None, now)).await?;
    Ok(())
}

/// The record of a consent given or withdrawn now; `by_name` is the member's name as a
/// read of the history shows it.
pub(crate) fn new_row(
    customer: CustomerId,
    consent: &CheckedConsent,
    by: Option<MemberId>,
    by_name: Option<String>,
    now: i64,
) -> ConsentRow {
    ConsentRow {
        id: ConsentId::generate(),
        customer_id: customer,
        channel: consent.channel.name().to_string(),
        purpose: consent.purpose.name().to_string(),
        granted: consent.granted,
        source: consent.source.clone(),
        recorded_by: by,
        recorded_by_name: by_name,
        recorded_at: now,
    }
}

/// The latest record per channel and purpose, from a history ordered oldest first.
pub fn current(history: &[ConsentRow]) -> Vec<ConsentView> {
    let mut out: Vec<ConsentView> = Vec::new();
    for row in history {
        let (Ok(channel), Ok(purpose)) =
            (Channel::parse("channel", &row.channel), Purpose::parse("purpose", &row.purpose))
        else {
            continue;
        };
        let view = ConsentView {
            channel,
            purpose,
            granted: row.granted,
            source: row.source.clone(),
            recorded_by: row.recorded_by_name.clone(),
            recorded_at: format_instant(row.recorded_at),
        };
        match out.iter_mut().find(|v| v.channel == channel && v.purpose == purpose) {
            Some(existing) => *existing = view,
            None => out.push(view),
        }
    }
    out
}

/// Records a consent or a withdrawal for a customer.
pub async fn record(
    app: &App,
    who: &Principal,
    customer: CustomerId,
    input: &ConsentInput,
) -> Result<Vec<ConsentView>, AppError> {
    who.require(Permission::CustomersWrite)?;
    let consent = check(input)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            records::find(&mut tx, customer).await?.ok_or(AppError::NotFound)?;
            insert(&mut tx, customer, &consent, Some(who.member), app.now()).await?;
            let details = json!({ "channel": consent.channel.name(), "purpose": consent.purpose.name(), "granted": consent.granted, "source": consent.source });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "customer.consent_recorded", Some(("customer", customer.to_string())), details),
            )
            .await?;
            let history = rows::history(&mut tx, customer).await?;
            tx.commit().await?;
            Ok(current(&history))
        })
        .await
}
