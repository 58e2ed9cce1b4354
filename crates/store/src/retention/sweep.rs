//! What the retention sweep removes, kind by kind. Each kind is one condition written once
//! and used twice: to count (a dry run) and to delete in batches (the real run), so the two
//! cannot disagree.

use super::BATCH;
use crate::{Micros, StoreError, TenantTx, args};
use uuid::Uuid;

/// A kind of record removed by age. `bound` is an instant, except for audit events, where
/// it is the last sequence number to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    UsageEvents,
    AuditEvents,
    EgressRecords,
    RetentionRuns,
    ExpiredSessions,
    ExpiredMemberTokens,
    ExpiredInvitations,
    ExpiredSlotHolds,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::UsageEvents,
        Kind::AuditEvents,
        Kind::EgressRecords,
        Kind::RetentionRuns,
        Kind::ExpiredSessions,
        Kind::ExpiredMemberTokens,
        Kind::ExpiredInvitations,
        Kind::ExpiredSlotHolds,
    ];

    /// The report's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::UsageEvents => "usage_events",
            Kind::AuditEvents => "audit_events",
            Kind::EgressRecords => "egress_records",
            Kind::RetentionRuns => "retention_runs",
            Kind::ExpiredSessions => "expired_sessions",
            Kind::ExpiredMemberTokens => "expired_member_tokens",
            Kind::ExpiredInvitations => "expired_invitations",
            Kind::ExpiredSlotHolds => "expired_slot_holds",
        }
    }

    fn statements(self) -> (&'static str, &'static str) {
        macro_rules! by_age {
            ($table:literal, $key:literal, $condition:literal) => {
                (
                    concat!("SELECT COUNT(*) AS n FROM ", $table, " WHERE tenant_id = $1 AND ", $condition),
                    concat!(
                        "DELETE FROM ",
                        $table,
                        " WHERE tenant_id = $1 AND ",
                        $key,
                        " IN (SELECT ",
                        $key,
                        " FROM ",
                        $table,
                        " WHERE tenant_id = $1 AND ",
                        $condition,
                        " LIMIT $3)"
                    ),
                )
            };
        }
        match self {
            Kind::UsageEvents => by_age!("usage_events", "id", "at < $2"),
            // Only sealed events (numbered from 1): one committed after the sweep sealed
            // the log waits, unnumbered, for the sealer, not for removal.
            Kind::AuditEvents => by_age!("audit_events", "seq", "seq > 0 AND seq <= $2"),
            Kind::EgressRecords => by_age!("egress_records", "id", "at < $2"),
            Kind::RetentionRuns => by_age!("retention_runs", "id", "started_at < $2"),
            Kind::ExpiredSessions => by_age!("sessions", "id", "expires_at < $2"),
            Kind::ExpiredMemberTokens => by_age!("member_tokens", "id", "expires_at < $2"),
            Kind::ExpiredInvitations => by_age!("invitations", "id", "expires_at < $2 AND accepted_at IS NULL"),
            Kind::ExpiredSlotHolds => by_age!("slot_holds", "id", "expires_at < $2"),
        }
    }
}

/// How many rows of this kind are due.
pub async fn count(tx: &mut TenantTx, kind: Kind, bound: Micros) -> Result<u64, StoreError> {
    let (sql, _) = kind.statements();
    let n: i64 = tx.fetch_one(sql, args![bound]).await?.get("n")?;
    Ok(n.max(0) as u64)
}

/// Removes at most one batch of due rows; returns how many.
pub async fn delete_batch(tx: &mut TenantTx, kind: Kind, bound: Micros) -> Result<u64, StoreError> {
    let (_, sql) = kind.statements();
    tx.execute(sql, args![bound, BATCH]).await
}

/// The last sealed audit event recorded before `cutoff`, as (sequence number, hash).
pub async fn last_audit_event_before(tx: &mut TenantTx, cutoff: Micros) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT seq, hash FROM audit_events WHERE tenant_id = $1 AND seq > 0 AND at < $2 ORDER BY seq DESC LIMIT 1",
            args![cutoff],
        )
        .await?;
    row.map(|row| Ok((row.get("seq")?, row.get("hash")?))).transpose()
}

/// The condition an inactive customer meets: no visit or change since `cutoff`, no
/// appointment ending after it, and no legal hold on them. (A hold on the tenant or on
/// personal data stops the whole kind before this is asked.)
macro_rules! inactive_customers_where {
    () => {
        "c.tenant_id = $1 AND COALESCE(c.last_visit_at, c.updated_at) < $2
         AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.tenant_id = $1 AND a.customer_id = c.id AND a.ends_at >= $2)
         AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = $1 AND h.lifted_at IS NULL
                         AND h.scope = 'customer' AND h.customer_id = c.id)"
    };
}

pub async fn count_inactive_customers(tx: &mut TenantTx, cutoff: Micros) -> Result<u64, StoreError> {
    let sql = concat!("SELECT COUNT(*) AS n FROM customers c WHERE ", inactive_customers_where!());
    let n: i64 = tx.fetch_one(sql, args![cutoff]).await?.get("n")?;
    Ok(n.max(0) as u64)
}

/// One batch of inactive customers' ids; the caller deletes each with its key.
pub async fn inactive_customers(tx: &mut TenantTx, cutoff: Micros) -> Result<Vec<Uuid>, StoreError> {
    let sql = concat!("SELECT c.id FROM customers c WHERE ", inactive_customers_where!(), " LIMIT $3");
    let rows = tx.fetch_all(sql, args![cutoff, BATCH]).await?;
    rows.iter().map(|row| row.get("id")).collect()
}
