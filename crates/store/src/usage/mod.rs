//! Usage rows: one per feature used or page viewed, and the daily counts read from them.

use crate::{Micros, StoreError, TenantTx, args};
use uuid::Uuid;

/// One use of a feature, or one page viewed (`page:/app/members`).
#[derive(Debug, Clone, Default)]
pub struct NewUsageEvent {
    pub member_id: Option<Uuid>,
    pub feature: String,
    pub ip: Option<String>,
    pub browser: Option<&'static str>,
    pub os: Option<&'static str>,
}

pub async fn insert(tx: &mut TenantTx, event: &NewUsageEvent, at: Micros) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO usage_events (tenant_id, id, at, member_id, feature, ip, browser, os) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![Uuid::now_v7(), at, event.member_id, &event.feature, event.ip.clone(), event.browser, event.os],
    )
    .await?;
    Ok(())
}

/// A count of one feature on one day (`day` is days since the Unix epoch, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCount {
    pub day: i64,
    pub feature: String,
    pub count: i64,
}

/// Counts per day and feature between two instants (`from` inclusive, `until` exclusive).
pub async fn daily_counts(tx: &mut TenantTx, from: Micros, until: Micros) -> Result<Vec<DailyCount>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT at / 86400000000 AS day, feature, COUNT(*) AS n FROM usage_events
             WHERE tenant_id = $1 AND at >= $2 AND at < $3
             GROUP BY at / 86400000000, feature ORDER BY day, feature",
            args![from, until],
        )
        .await?;
    rows.iter()
        .map(|row| Ok(DailyCount { day: row.get("day")?, feature: row.get("feature")?, count: row.get("n")? }))
        .collect()
}
