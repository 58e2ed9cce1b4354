//! Legal holds: set, lifted, and the ones in force.

use crate::{Micros, Row, StoreError, TenantTx, args};
use uuid::Uuid;

/// A hold as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRow {
    pub id: Uuid,
    pub scope: String,
    pub customer_id: Option<Uuid>,
    pub data_class: Option<String>,
    pub reason: String,
    pub set_by: String,
    pub set_at: Micros,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<Micros>,
    pub lift_reason: Option<String>,
}

fn from_row(row: &Row) -> Result<HoldRow, StoreError> {
    Ok(HoldRow {
        id: row.get("id")?,
        scope: row.get("scope")?,
        customer_id: row.get("customer_id")?,
        data_class: row.get("data_class")?,
        reason: row.get("reason")?,
        set_by: row.get("set_by")?,
        set_at: row.get("set_at")?,
        lifted_by: row.get("lifted_by")?,
        lifted_at: row.get("lifted_at")?,
        lift_reason: row.get("lift_reason")?,
    })
}

pub async fn insert(tx: &mut TenantTx, hold: &HoldRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO legal_holds (tenant_id, id, scope, customer_id, data_class, reason, set_by, set_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![hold.id, &hold.scope, hold.customer_id, hold.data_class.clone(), &hold.reason, &hold.set_by, hold.set_at],
    )
    .await?;
    Ok(())
}

/// Lifts a hold in force; false when there is none with that id.
pub async fn lift(tx: &mut TenantTx, id: Uuid, by: &str, reason: &str, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE legal_holds SET lifted_by = $3, lifted_at = $4, lift_reason = $5
             WHERE tenant_id = $1 AND id = $2 AND lifted_at IS NULL",
            args![id, by, now, reason],
        )
        .await?;
    Ok(n > 0)
}

/// Every hold, in force first, newest first.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<HoldRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, scope, customer_id, data_class, reason, set_by, set_at, lifted_by, lifted_at, lift_reason
             FROM legal_holds WHERE tenant_id = $1 ORDER BY lifted_at IS NOT NULL, set_at DESC",
            args![],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// The holds in force.
pub async fn in_force(tx: &mut TenantTx) -> Result<Vec<HoldRow>, StoreError> {
    Ok(list(tx).await?.into_iter().filter(|hold| hold.lifted_at.is_none()).collect())
}

/// Whether a hold in force covers this customer (a hold on them, on the whole tenant, or on
/// personal data).
pub async fn covers_customer(tx: &mut TenantTx, customer: Uuid) -> Result<bool, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT 1 AS held FROM legal_holds WHERE tenant_id = $1 AND lifted_at IS NULL
               AND (scope = 'tenant' OR (scope = 'customer' AND customer_id = $2)
                    OR (scope = 'class' AND data_class IN ('personal', 'sensitive')))
             LIMIT 1",
            args![customer],
        )
        .await?;
    Ok(row.is_some())
}
