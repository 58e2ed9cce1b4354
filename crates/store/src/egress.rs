//! Egress records: one row per outbound call that carried personal data or was refused.

use crate::{Micros, StoreError, TenantTx, args};
use uuid::Uuid;

/// A call to a processor, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressRow {
    pub id: Uuid,
    pub at: Micros,
    pub processor: String,
    pub purpose: String,
    /// Comma-separated field names, never values.
    pub fields: String,
    pub host: String,
    /// `sent`, `refused: …`, or the transport's failure.
    pub outcome: String,
}

pub async fn insert(tx: &mut TenantTx, row: &EgressRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO egress_records (tenant_id, id, at, processor, purpose, fields, host, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![row.id, row.at, &row.processor, &row.purpose, &row.fields, &row.host, &row.outcome],
    )
    .await?;
    Ok(())
}

/// The outcome of a call, once it is known.
pub async fn set_outcome(tx: &mut TenantTx, id: Uuid, outcome: &str) -> Result<(), StoreError> {
    tx.execute("UPDATE egress_records SET outcome = $3 WHERE tenant_id = $1 AND id = $2", args![id, outcome]).await?;
    Ok(())
}

/// The latest records, newest first.
pub async fn recent(tx: &mut TenantTx, limit: i64) -> Result<Vec<EgressRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, at, processor, purpose, fields, host, outcome FROM egress_records
             WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
            args![limit],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(EgressRow {
                id: row.get("id")?,
                at: row.get("at")?,
                processor: row.get("processor")?,
                purpose: row.get("purpose")?,
                fields: row.get("fields")?,
                host: row.get("host")?,
                outcome: row.get("outcome")?,
            })
        })
        .collect()
}
