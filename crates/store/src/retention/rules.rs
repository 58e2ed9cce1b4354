//! The retention rules a tenant chose; classes without a row follow the operator's default.

use crate::{Micros, StoreError, TenantTx, args};
use uuid::Uuid;

/// (data class name, keep days) for every class the tenant chose a rule for.
pub async fn chosen(tx: &mut TenantTx) -> Result<Vec<(String, Option<i64>)>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT data_class, keep_days FROM retention_rules WHERE tenant_id = $1 ORDER BY data_class",
            args![],
        )
        .await?;
    rows.iter().map(|row| Ok((row.get("data_class")?, row.get("keep_days")?))).collect()
}

pub async fn set(
    tx: &mut TenantTx,
    data_class: &str,
    keep_days: Option<i64>,
    by: Option<Uuid>,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO retention_rules (tenant_id, data_class, keep_days, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, data_class) DO UPDATE SET keep_days = excluded.keep_days,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        args![data_class, keep_days, by, now],
    )
    .await?;
    Ok(())
}

/// Back to the operator's default. Returns whether there was a choice to remove.
pub async fn clear(tx: &mut TenantTx, data_class: &str) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM retention_rules WHERE tenant_id = $1 AND data_class = $2", args![data_class]).await? > 0)
}
