//! Consent per customer, channel and purpose: every grant and withdrawal is kept, and the
//! latest one for a channel and purpose is what holds.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::ids::{ConsentId, CustomerId, MemberId};

#[derive(Debug, Clone)]
pub struct ConsentRow {
    pub id: ConsentId,
    pub customer_id: CustomerId,
    pub channel: String,
    pub purpose: String,
    pub granted: bool,
    pub source: String,
    pub recorded_by: Option<MemberId>,
    pub recorded_by_name: Option<String>,
    pub recorded_at: Micros,
}

fn from_row(row: &Row) -> Result<ConsentRow, StoreError> {
    Ok(ConsentRow {
        id: ConsentId(row.get("id")?),
        customer_id: CustomerId(row.get("customer_id")?),
        channel: row.get("channel")?,
        purpose: row.get("purpose")?,
        granted: row.get("granted")?,
        source: row.get("source")?,
        recorded_by: row.get::<Option<uuid::Uuid>>("recorded_by")?.map(MemberId),
        recorded_by_name: row.get("recorded_by_name")?,
        recorded_at: row.get("recorded_at")?,
    })
}

pub async fn insert(tx: &mut TenantTx, consent: &ConsentRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO customer_consents (tenant_id, id, customer_id, channel, purpose, granted, source, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            consent.id,
            consent.customer_id,
            consent.channel.clone(),
            consent.purpose.clone(),
            consent.granted,
            consent.source.clone(),
            consent.recorded_by,
            consent.recorded_at
        ],
    )
    .await?;
    Ok(())
}

/// Every consent record of several customers, oldest first (the message worker's batch).
pub async fn history_of_many(tx: &mut TenantTx, customers: &[CustomerId]) -> Result<Vec<ConsentRow>, StoreError> {
    let mut found = Vec::new();
    for chunk in customers.chunks(200) {
        let list = (2..chunk.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT k.id, k.customer_id, k.channel, k.purpose, k.granted, k.source, k.recorded_by,
                    m.name AS recorded_by_name, k.recorded_at
             FROM customer_consents k LEFT JOIN members m ON m.tenant_id = k.tenant_id AND m.id = k.recorded_by
             WHERE k.tenant_id = $1 AND k.customer_id IN ({list}) ORDER BY k.recorded_at, k.id"
        );
        let rows = tx.fetch_all_assembled(sql, chunk.iter().map(|id| crate::Value::from(*id)).collect()).await?;
        for row in &rows {
            found.push(from_row(row)?);
        }
    }
    Ok(found)
}

/// Every consent record of a customer, oldest first.
pub async fn history(tx: &mut TenantTx, customer: CustomerId) -> Result<Vec<ConsentRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT k.id, k.customer_id, k.channel, k.purpose, k.granted, k.source, k.recorded_by,
                    m.name AS recorded_by_name, k.recorded_at
             FROM customer_consents k LEFT JOIN members m ON m.tenant_id = k.tenant_id AND m.id = k.recorded_by
             WHERE k.tenant_id = $1 AND k.customer_id = $2 ORDER BY k.recorded_at, k.id",
            args![customer],
        )
        .await?;
    rows.iter().map(from_row).collect()
}
