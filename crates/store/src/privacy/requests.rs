//! Privacy requests as stored: created unverified (from the privacy page) or open (at the
//! counter), verified with a one-time code, closed with a report.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::privacy::{RequestKind, RequestStatus};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: Uuid,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub source: String,
    pub customer_id: Option<Uuid>,
    pub message: Option<String>,
    pub code_hash: Option<Vec<u8>>,
    pub code_expires_at: Option<Micros>,
    pub attempts: i64,
    /// Kept as stored, not decoded into `Jurisdiction`: the column has no CHECK, and the
    /// services read an unknown value as DPDP, which decoding here would turn into an error.
    pub jurisdiction: String,
    pub due_at: Option<Micros>,
    pub created_at: Micros,
    pub verified_at: Option<Micros>,
    pub closed_at: Option<Micros>,
    pub closed_by: Option<Uuid>,
    pub report: Option<String>,
}

macro_rules! select_requests {
    ($tail:literal) => {
        concat!(
            "SELECT id, kind, status, source, customer_id, message, code_hash, code_expires_at, attempts, jurisdiction,
                    due_at, created_at, verified_at, closed_at, closed_by, report FROM privacy_requests ",
            $tail
        )
    };
}

fn from_row(row: &Row) -> Result<RequestRow, StoreError> {
    Ok(RequestRow {
        id: row.get("id")?,
        kind: kind_of(&row.get::<String>("kind")?)?,
        status: status_of(&row.get::<String>("status")?)?,
        source: row.get("source")?,
        customer_id: row.get("customer_id")?,
        message: row.get("message")?,
        code_hash: row.get("code_hash")?,
        code_expires_at: row.get("code_expires_at")?,
        attempts: row.get("attempts")?,
        jurisdiction: row.get("jurisdiction")?,
        due_at: row.get("due_at")?,
        created_at: row.get("created_at")?,
        verified_at: row.get("verified_at")?,
        closed_at: row.get("closed_at")?,
        closed_by: row.get("closed_by")?,
        report: row.get("report")?,
    })
}

fn status_of(stored: &str) -> Result<RequestStatus, StoreError> {
    RequestStatus::parse(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("privacy_requests.status '{stored}' is not a request status")))
}

fn kind_of(stored: &str) -> Result<RequestKind, StoreError> {
    RequestKind::parse(stored).ok_or_else(|| {
        StoreError::Corrupt(format!("privacy_requests.kind '{stored}' is not access, correction or erasure"))
    })
}

pub async fn insert(tx: &mut TenantTx, row: &RequestRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO privacy_requests (tenant_id, id, kind, status, source, customer_id, message, code_hash,
                                       code_expires_at, attempts, jurisdiction, due_at, created_at, verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13)",
        args![
            row.id,
            row.kind.name(),
            row.status.name(),
            &row.source,
            row.customer_id,
            row.message.clone(),
            row.code_hash.clone(),
            row.code_expires_at,
            &row.jurisdiction,
            row.due_at,
            row.created_at,
            row.verified_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn find(tx: &mut TenantTx, id: Uuid) -> Result<Option<RequestRow>, StoreError> {
    tx.fetch_optional(select_requests!("WHERE tenant_id = $1 AND id = $2"), args![id])
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The inbox: open requests first by due date, then the rest, newest first.
pub async fn inbox(tx: &mut TenantTx, limit: i64) -> Result<Vec<RequestRow>, StoreError> {
    let sql = select_requests!(
        "WHERE tenant_id = $1 AND status <> 'unverified'
         ORDER BY status <> 'open', CASE WHEN status = 'open' THEN due_at ELSE -created_at END LIMIT $2"
    );
    tx.fetch_all(sql, args![limit]).await?.iter().map(from_row).collect()
}

pub async fn record_wrong_code(tx: &mut TenantTx, id: Uuid) -> Result<(), StoreError> {
    tx.execute("UPDATE privacy_requests SET attempts = attempts + 1 WHERE tenant_id = $1 AND id = $2", args![id])
        .await?;
    Ok(())
}

/// The code was right: the request is open and due by `due_at`; the code is spent.
pub async fn mark_verified(tx: &mut TenantTx, id: Uuid, now: Micros, due_at: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE privacy_requests SET status = 'open', verified_at = $2, due_at = $3, code_hash = NULL
             WHERE tenant_id = $1 AND id = $4 AND status = 'unverified'",
            args![now, due_at, id],
        )
        .await?;
    Ok(n > 0)
}

/// Closes an open request as `done` or `rejected`, with its report.
pub async fn close(
    tx: &mut TenantTx,
    id: Uuid,
    status: RequestStatus,
    by: Option<Uuid>,
    report: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE privacy_requests SET status = $2, closed_by = $3, closed_at = $4, report = $5
             WHERE tenant_id = $1 AND id = $6 AND status = 'open'",
            args![status.name(), by, now, report, id],
        )
        .await?;
    Ok(n > 0)
}

/// Open requests that need a reminder now: due within 7 days and never reminded, or due
/// within a day and not reminded since the day before.
pub async fn needing_reminder(tx: &mut TenantTx, now: Micros, day: Micros) -> Result<Vec<RequestRow>, StoreError> {
    let sql = select_requests!(
        "WHERE tenant_id = $1 AND status = 'open' AND due_at IS NOT NULL
           AND ((due_at - $2 <= 7 * $3 AND reminded_at IS NULL)
             OR (due_at - $2 <= $3 AND reminded_at < due_at - $3))
         ORDER BY due_at"
    );
    tx.fetch_all(sql, args![now, day]).await?.iter().map(from_row).collect()
}

pub async fn mark_reminded(tx: &mut TenantTx, id: Uuid, now: Micros) -> Result<(), StoreError> {
    tx.execute("UPDATE privacy_requests SET reminded_at = $2 WHERE tenant_id = $1 AND id = $3", args![now, id]).await?;
    Ok(())
}

/// Open requests, and how many of them are past their due date at `now`: what the
/// dashboard lists under "needs attention".
pub async fn open_counts(tx: &mut TenantTx, now: i64) -> Result<(i64, i64), StoreError> {
    let row = tx
        .fetch_one(
            "SELECT COUNT(*) AS open, COALESCE(SUM(CASE WHEN due_at < $2 THEN 1 ELSE 0 END), 0) AS overdue
               FROM privacy_requests WHERE tenant_id = $1 AND status = 'open'",
            args![now],
        )
        .await?;
    Ok((row.get("open")?, row.get("overdue")?))
}
