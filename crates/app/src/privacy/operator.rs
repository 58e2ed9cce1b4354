//! The operator answering a person's request on a business's instruction (DSR-1, DSR-2,
//! DSR-3), from the command line: find the person by id, email or phone the way the
//! privacy form does, export everything the business holds about them (the same records
//! as a member's archive), or erase them through the same erasure a member's answer runs.
//!
//! The operator is not a member of the business, so nothing here checks a permission;
//! every step is written to the business's audit log as platform support, like the
//! operator's legal holds and lifecycle steps, and an erasure respects legal holds.

use super::person::{self, ErasureReport};
use crate::retention::Actor;
use crate::{App, AppError, audit};
use serde_json::{Map, Value as Json, json};
use steward_domain::contact::{Email, Phone};
use steward_domain::ids::{CustomerId, TenantId};
use steward_store::customers::records as customer_rows;
use steward_store::tenancy::tenants;
use uuid::Uuid;

/// How the operator names the person.
#[derive(Debug, Clone)]
pub enum PersonRef {
    Id(String),
    Email(String),
    Phone(String),
}

impl PersonRef {
    /// What was given, without the value itself (it is personal data).
    fn described(&self) -> &'static str {
        match self {
            PersonRef::Id(_) => "that id",
            PersonRef::Email(_) => "that email address",
            PersonRef::Phone(_) => "that phone number",
        }
    }
}

/// The one customer of the business the reference names. No match and several matches are
/// refusals that say which (several: with their ids, so the operator can choose by
/// `--customer`), because acting on a guess would export or erase the wrong person.
pub async fn find_person(app: &App, tenant: TenantId, by: &PersonRef) -> Result<CustomerId, AppError> {
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let found: Vec<Uuid> = match by {
        PersonRef::Id(raw) => {
            let id = Uuid::parse_str(raw.trim()).map_err(|_| {
                AppError::invalid("customer", "is not a customer id (a UUID, as the customer's page shows)")
            })?;
            customer_rows::find(&mut tx, CustomerId(id)).await?.map(|c| c.id.as_uuid()).into_iter().collect()
        }
        // The same normalisation and lookup as the privacy form (`requests::ask`), so an
        // address typed in another case or a number written with spaces still matches.
        PersonRef::Email(raw) => {
            let email = Email::parse("email", raw)?.as_str().to_string();
            customer_rows::find_by_phones_or_emails(&mut tx, &[], &[email])
                .await?
                .into_iter()
                .map(|(id, _, _)| id.as_uuid())
                .collect()
        }
        PersonRef::Phone(raw) => {
            let code = crate::customers::country_code(app, &mut tx).await?;
            let phone = Phone::parse("phone", raw, &code)?.as_str().to_string();
            customer_rows::find_by_phones_or_emails(&mut tx, &[phone], &[])
                .await?
                .into_iter()
                .map(|(id, _, _)| id.as_uuid())
                .collect()
        }
    };
    tx.commit().await?;
    match found.as_slice() {
        [] => Err(AppError::NotAllowed(format!("no customer of this business has {}", by.described()))),
        [one] => Ok(CustomerId(*one)),
        several => {
            let ids: Vec<String> = several.iter().map(Uuid::to_string).collect();
            Err(AppError::NotAllowed(format!(
                "{} customers of this business have {}: {}; choose one with --customer ID",
                several.len(),
                by.described(),
                ids.join(", ")
            )))
        }
    }
}

/// Everything the business holds about the person, as one JSON document: `records` holds,
/// for each kind of record, exactly what a member's archive holds in `<kind>.json`
/// (sensitive values opened, secrets left out). The export is audited as support.
pub async fn export(app: &App, tenant: TenantId, customer: CustomerId) -> Result<Json, AppError> {
    let made_at = crate::clock::format_instant(app.now());
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    if customer_rows::find(&mut tx, customer).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let business = tenants::current(&mut tx).await?.name;
    let tables = person::collect(app, &mut tx, tenant, customer.as_uuid()).await?;
    tx.commit().await?;
    let mut records = Map::new();
    for (table, objects) in tables {
        records.insert(table.to_string(), Json::Array(objects));
    }
    let writer_app = app.clone();
    app.store
        .write(tenant, move |mut tx| async move {
            let event = Actor::Operator.event(
                "privacy.person_exported",
                Some(("customer", customer.as_uuid().to_string())),
                json!({ "by": "operator" }),
            );
            audit::record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(json!({ "business": business, "customer_id": customer, "made_at": made_at, "records": records }))
}

/// Erases the person, or with `dry_run` shows what it would do and changes nothing. The
/// erasure, its audit event and the destruction of the person's key are one transaction;
/// a legal hold in force refuses it. The operator's reason goes into the audit event: the
/// business's log is where it answers for who acted on its data and why (its instruction,
/// a ticket), so the reason should name the instruction, never the person.
pub async fn erase(
    app: &App,
    tenant: TenantId,
    customer: CustomerId,
    reason: &str,
    keep_appointments: bool,
    dry_run: bool,
) -> Result<ErasureReport, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "say on whose instruction the person is erased (a ticket, a letter)"));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "is longer than 500 characters"));
    }
    let person = customer.as_uuid();
    if dry_run {
        let mut tx = app.store.begin_tenant_read(tenant).await?;
        if customer_rows::find(&mut tx, customer).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let report = person::preview_in(&mut tx, person, keep_appointments).await?;
        tx.commit().await?;
        return Ok(report);
    }
    let now = app.now();
    let (writer_app, reason) = (app.clone(), reason.to_string());
    let report = app
        .store
        .write(tenant, move |mut tx| async move {
            if customer_rows::find(&mut tx, customer).await?.is_none() {
                return Err(AppError::NotFound);
            }
            let report = person::erase_in(&mut tx, person, keep_appointments, now).await?;
            let details = json!({ "kind": "erasure", "rows": report.done.iter().map(|(_, _, n)| n).sum::<u64>(),
                                  "key_destroyed": report.key_destroyed,
                                  "appointments_kept_anonymized": keep_appointments, "reason": reason });
            audit::record(
                &writer_app,
                &mut tx,
                Actor::Operator.event("privacy.person_erased", Some(("customer", person.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(report)
        })
        .await?;
    // Only once the erasure is committed: the logs are emptied of what it erased.
    person::scrub_files(app).await;
    Ok(report)
}
