//! The message log: per customer (on their timeline) and per business, with status, the
//! channel, the provider's id and why a message failed or was not sent; a failed message
//! can be sent again by hand.

use crate::access::principal::Principal;
use crate::clock::format_instant;
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::json;
use steward_domain::ids::CustomerId;
use steward_domain::messaging::{Kind, Status};
use steward_domain::permissions::Permission;
use steward_store::TenantTx;
use steward_store::messaging::outbox::{self as rows, MessageRow};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Message")]
pub struct MessageView {
    pub id: uuid::Uuid,
    pub customer_id: CustomerId,
    pub appointment_id: Option<uuid::Uuid>,
    pub kind: String,
    pub kind_label: &'static str,
    pub channel: Option<String>,
    #[schemars(with = "steward_domain::messaging::Status")]
    pub status: String,
    pub attempts: i64,
    pub provider_id: Option<String>,
    /// Why it failed, or why it was not sent.
    pub error: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub due_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub next_attempt_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub delivered_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub read_at: Option<String>,
    /// For pages: the customer's name (the business's log reads it; `None` once the
    /// customer is erased) and when it was queued, as an instant.
    #[serde(skip)]
    #[schemars(skip)]
    pub customer_name: Option<String>,
    #[serde(skip)]
    #[schemars(skip)]
    pub queued: i64,
}

impl MessageView {
    pub fn can_retry(&self) -> bool {
        self.status == Status::Failed.name()
    }
}

pub fn view(row: &MessageRow) -> MessageView {
    MessageView {
        id: row.id,
        customer_id: row.customer_id,
        appointment_id: row.appointment_id.map(|a| a.0),
        kind: row.kind.clone(),
        kind_label: Kind::parse("kind", &row.kind).map(Kind::label).unwrap_or("Message"),
        channel: row.channel.clone(),
        status: row.status.name().to_string(),
        attempts: row.attempts,
        provider_id: row.provider_id.clone(),
        error: row.error.clone(),
        due_at: format_instant(row.due_at),
        next_attempt_at: format_instant(row.next_attempt_at),
        created_at: format_instant(row.created_at),
        sent_at: row.sent_at.map(format_instant),
        delivered_at: row.delivered_at.map(format_instant),
        read_at: row.read_at.map(format_instant),
        customer_name: None,
        queued: row.created_at,
    }
}

/// A customer's messages, newest first.
pub async fn of_customer(app: &App, who: &Principal, customer: CustomerId) -> Result<Vec<MessageView>, AppError> {
    who.require(Permission::CustomersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    steward_store::customers::records::find(&mut tx, customer).await?.ok_or(AppError::NotFound)?;
    let found = of_customer_in(&mut tx, customer).await?;
    tx.commit().await?;
    Ok(found)
}

/// What [`of_customer`] reads, in the caller's transaction, for a customer it has found.
pub(crate) async fn of_customer_in(tx: &mut TenantTx, customer: CustomerId) -> Result<Vec<MessageView>, AppError> {
    let found = rows::of_customer(tx, customer, 200).await?;
    Ok(found.iter().map(view).collect())
}

/// The business's latest messages, optionally of one status.
pub async fn recent(app: &App, who: &Principal, status: Option<&str>) -> Result<Vec<MessageView>, AppError> {
    who.require(Permission::CustomersRead)?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(word) => Some(Status::from_name(word).ok_or_else(|| {
            AppError::invalid(
                "status",
                "must be one of: pending, sending, sent, delivered, read, failed, withdrawn, skipped",
            )
        })?),
        None => None,
    };
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::recent(&mut tx, status, 200).await?;
    let mut ids: Vec<CustomerId> = found.iter().map(|m| m.customer_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<CustomerId, String> =
        steward_store::customers::records::find_many(&mut tx, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
    tx.commit().await?;
    Ok(found
        .iter()
        .map(|row| MessageView { customer_name: names.get(&row.customer_id).cloned(), ..view(row) })
        .collect())
}

/// Sends a failed message again, from its channel onwards.
pub async fn retry(app: &App, who: &Principal, id: uuid::Uuid) -> Result<MessageView, AppError> {
    who.require(Permission::BookingsManage)?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            let found = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            if !rows::retry(&mut tx, id, app.now()).await? {
                return Err(AppError::NotAllowed(format!(
                    "only a failed message can be sent again; this one is {}",
                    found.status.name()
                )));
            }
            audit::record(
                app,
                &mut tx,
                audit::by(who, "message.retried", Some(("message", id.to_string())), json!({})),
            )
            .await?;
            let after = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            tx.commit().await?;
            Ok(view(&after))
        })
        .await
}
