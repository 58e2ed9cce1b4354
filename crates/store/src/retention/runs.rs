//! The record of each sweep that changed something for a tenant: when, as of which
//! instant, started by whom, and the report by data class and count.

use crate::{Micros, StoreError, TenantTx, args};
use uuid::Uuid;

/// A sweep's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub id: Uuid,
    pub started_at: Micros,
    pub finished_at: Micros,
    pub as_of: Micros,
    pub dry_run: bool,
    pub started_by: String,
    /// JSON: the report.
    pub report: String,
}

pub async fn insert(tx: &mut TenantTx, run: &RunRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO retention_runs (tenant_id, id, started_at, finished_at, as_of, dry_run, started_by, report)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![run.id, run.started_at, run.finished_at, run.as_of, run.dry_run, &run.started_by, &run.report],
    )
    .await?;
    Ok(())
}

/// The latest runs, newest first.
pub async fn recent(tx: &mut TenantTx, limit: i64) -> Result<Vec<RunRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, started_at, finished_at, as_of, dry_run, started_by, report FROM retention_runs
             WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT $2",
            args![limit],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(RunRow {
                id: row.get("id")?,
                started_at: row.get("started_at")?,
                finished_at: row.get("finished_at")?,
                as_of: row.get("as_of")?,
                dry_run: row.get("dry_run")?,
                started_by: row.get("started_by")?,
                report: row.get("report")?,
            })
        })
        .collect()
}
