//! The outbox: messages written in the same transaction as the booking change that causes
//! them, claimed by the worker under a lease, and settled with the provider's answer.
//!
//! A message moves `pending` → `sending` (claimed, lease until `claimed_until`) → `sent` →
//! `delivered` → `read`, or to `failed`, `withdrawn` (a reschedule or cancellation) or
//! `skipped` (no channel the customer agreed to). A claim whose lease ran out (the process
//! died mid-send) is claimed again with the same idempotency key.

use crate::{Micros, PlatformTx, Row, StoreError, StoreKind, TenantTx, args};
use steward_domain::ids::{AppointmentId, CustomerId, TenantId};
use steward_domain::messaging::Status;
use uuid::Uuid;

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: Uuid,
    pub customer_id: CustomerId,
    pub appointment_id: Option<AppointmentId>,
    pub kind: &'static str,
    pub rule: String,
    /// Fixed for a test message or a retry on one channel; `None` lets the worker choose.
    pub channel: Option<String>,
    pub language: String,
    pub idempotency_key: String,
    pub due_at: Micros,
    pub send_at: Micros,
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: Uuid,
    pub customer_id: CustomerId,
    pub appointment_id: Option<AppointmentId>,
    pub kind: String,
    pub rule: String,
    pub channel: Option<String>,
    pub language: String,
    pub idempotency_key: String,
    pub status: Status,
    pub attempts: i64,
    pub due_at: Micros,
    pub next_attempt_at: Micros,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub created_at: Micros,
    pub sent_at: Option<Micros>,
    pub delivered_at: Option<Micros>,
    pub read_at: Option<Micros>,
    pub updated_at: Micros,
}

/// `SELECT` of every message column, followed by `$tail`.
macro_rules! select_messages {
    ($tail:literal) => {
        concat!(
            "SELECT id, customer_id, appointment_id, kind, rule, channel, language, idempotency_key, status, attempts,
                    due_at, next_attempt_at, provider_id, error, created_at, sent_at, delivered_at, read_at, updated_at
             FROM messages ",
            $tail
        )
    };
}

fn from_row(row: &Row) -> Result<MessageRow, StoreError> {
    Ok(MessageRow {
        id: row.get("id")?,
        customer_id: CustomerId(row.get("customer_id")?),
        appointment_id: row.get::<Option<Uuid>>("appointment_id")?.map(AppointmentId),
        kind: row.get("kind")?,
        rule: row.get("rule")?,
        channel: row.get("channel")?,
        language: row.get("language")?,
        idempotency_key: row.get("idempotency_key")?,
        status: status_of(&row.get::<String>("status")?)?,
        attempts: row.get("attempts")?,
        due_at: row.get("due_at")?,
        next_attempt_at: row.get("next_attempt_at")?,
        provider_id: row.get("provider_id")?,
        error: row.get("error")?,
        created_at: row.get("created_at")?,
        sent_at: row.get("sent_at")?,
        delivered_at: row.get("delivered_at")?,
        read_at: row.get("read_at")?,
        updated_at: row.get("updated_at")?,
    })
}

fn status_of(stored: &str) -> Result<Status, StoreError> {
    Status::from_name(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("messages.status '{stored}' is not a message status")))
}

/// Queues several messages in one statement, leaving out those whose idempotency key is
/// queued already; answers how many were new, and wakes the worker for the soonest.
pub async fn insert_many(tx: &mut TenantTx, messages: &[NewMessage], now: Micros) -> Result<u64, StoreError> {
    let Some(soonest) = messages.iter().map(|m| m.send_at).min() else { return Ok(0) };
    let mut sql = String::from(
        "INSERT INTO messages (tenant_id, id, customer_id, appointment_id, kind, rule, channel, language,
                idempotency_key, status, due_at, next_attempt_at, created_at, updated_at) VALUES ",
    );
    let mut values = Vec::with_capacity(messages.len() * 10 + 1);
    values.push(crate::Value::from(now));
    for (i, message) in messages.iter().enumerate() {
        let at = 3 + i * 10;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "($1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'pending', ${}, ${}, $2, $2)",
            at,
            at + 1,
            at + 2,
            at + 3,
            at + 4,
            at + 5,
            at + 6,
            at + 7,
            at + 8,
            at + 9
        ));
        values.extend(args![
            message.id,
            message.customer_id,
            message.appointment_id,
            message.kind,
            &message.rule,
            message.channel.clone(),
            &message.language,
            &message.idempotency_key,
            message.due_at,
            message.send_at
        ]);
    }
    sql.push_str(" ON CONFLICT (tenant_id, idempotency_key) DO NOTHING");
    let inserted = tx.execute_assembled(sql, values).await?;
    // PostgreSQL moves the wakeup when the transaction commits (migration 12), so the
    // business's wakeup row is not locked through the rest of a booking.
    if inserted > 0 && tx.kind() == crate::StoreKind::Sqlite {
        wake(tx, soonest).await?;
    }
    Ok(inserted)
}

/// A wakeup with nothing to wake for.
const PARKED: Micros = Micros::MAX;

/// Makes sure the worker visits this tenant by `at`.
pub async fn wake(tx: &mut TenantTx, at: Micros) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO message_wakeups (tenant_id, due_at) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET due_at =
             CASE WHEN excluded.due_at < message_wakeups.due_at THEN excluded.due_at ELSE message_wakeups.due_at END",
        args![at],
    )
    .await?;
    Ok(())
}

/// Withdraws an appointment's messages that have not gone out, of the given kinds.
pub async fn withdraw_pending(
    tx: &mut TenantTx,
    appointment: AppointmentId,
    kinds: &[&str],
    now: Micros,
) -> Result<u64, StoreError> {
    let mut withdrawn = 0;
    for kind in kinds {
        withdrawn += tx
            .execute(
                "UPDATE messages SET status = 'withdrawn', updated_at = $4
                 WHERE tenant_id = $1 AND appointment_id = $2 AND kind = $3 AND status = 'pending'",
                args![appointment, *kind, now],
            )
            .await?;
    }
    Ok(withdrawn)
}

/// Tenants with a message due by `now`, soonest first.
pub async fn due_tenants(tx: &mut PlatformTx, now: Micros, limit: i64) -> Result<Vec<TenantId>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT tenant_id FROM message_wakeups WHERE due_at <= $1 ORDER BY due_at LIMIT $2",
            args![now, limit],
        )
        .await?;
    rows.iter().map(|row| Ok(TenantId(row.get("tenant_id")?))).collect()
}

/// The soonest wakeup of any tenant, so the worker can sleep until then.
pub async fn next_wakeup(tx: &mut PlatformTx) -> Result<Option<Micros>, StoreError> {
    let row =
        tx.fetch_optional("SELECT MIN(due_at) AS due FROM message_wakeups WHERE due_at < $1", args![PARKED]).await?;
    Ok(match row {
        Some(row) => row.get("due")?,
        None => None,
    })
}

/// Claims whose lease ran out (their process died mid-send), oldest first.
const LAPSED_SQLITE: &str = "SELECT id FROM messages
     WHERE tenant_id = $1 AND status = 'sending' AND claimed_until <= $2 ORDER BY claimed_until LIMIT $3";
/// Pending messages that are due, soonest first: walked in the order of `messages_due`
/// and stopped at the limit, never gathered whole and sorted (a worker behind by
/// thousands would sort them all on every batch), and an ordered index walk marks the
/// entries of rows already settled as dead for the next one.
const DUE_SQLITE: &str = "SELECT id FROM messages
     WHERE tenant_id = $1 AND status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $3";
// Several `serve` processes may share one PostgreSQL: each claims rows the others have not locked.
const LAPSED_POSTGRES: &str = "SELECT id FROM messages
     WHERE tenant_id = $1 AND status = 'sending' AND claimed_until <= $2 ORDER BY claimed_until LIMIT $3
     FOR UPDATE SKIP LOCKED";
const DUE_POSTGRES: &str = "SELECT id FROM messages
     WHERE tenant_id = $1 AND status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $3
     FOR UPDATE SKIP LOCKED";

/// Claims up to `limit` messages until `lease_until`: first those whose earlier claim
/// lapsed, then the due ones, soonest first.
pub async fn claim(
    tx: &mut TenantTx,
    now: Micros,
    lease_until: Micros,
    limit: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    let (lapsed, due) = match tx.kind() {
        StoreKind::Sqlite => (LAPSED_SQLITE, DUE_SQLITE),
        StoreKind::Postgres => (LAPSED_POSTGRES, DUE_POSTGRES),
    };
    let mut ids: Vec<Uuid> =
        tx.fetch_all(lapsed, args![now, limit]).await?.iter().map(|r| r.get("id")).collect::<Result<_, _>>()?;
    let room = limit - ids.len() as i64;
    if room > 0 {
        for row in tx.fetch_all(due, args![now, room]).await? {
            ids.push(row.get("id")?);
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(4, ids.len());
    let mut values = args![lease_until, now];
    values.extend(ids.iter().map(|id| crate::Value::from(*id)));
    tx.execute_assembled(
        format!(
            "UPDATE messages SET status = 'sending', claimed_until = $2, attempts = attempts + 1, updated_at = $3
             WHERE tenant_id = $1 AND id IN ({list})"
        ),
        values,
    )
    .await?;
    let mut values = Vec::with_capacity(ids.len());
    values.extend(ids.iter().map(|id| crate::Value::from(*id)));
    let rows = tx
        .fetch_all_assembled(
            format!(select_messages!("WHERE tenant_id = $1 AND id IN ({})"), placeholders(2, ids.len())),
            values,
        )
        .await?;
    rows.iter().map(from_row).collect()
}

fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Resets the tenant's wakeup to its next due message, or parks it. Locks the wakeup row
/// first, so a message queued meanwhile is never missed: on PostgreSQL every transaction
/// that queued a message holds the row's key-share lock until it commits (migration 19),
/// and this lock waits for them, so their messages are committed before the soonest is
/// looked for. A row lock lives where the row does, so this holds on Citus too.
pub async fn rewind_wakeup(tx: &mut TenantTx) -> Result<(), StoreError> {
    let lock = match tx.kind() {
        StoreKind::Postgres => "SELECT due_at FROM message_wakeups WHERE tenant_id = $1 FOR UPDATE",
        // SQLite's write transaction already excludes every other writer.
        StoreKind::Sqlite => "SELECT due_at FROM message_wakeups WHERE tenant_id = $1",
    };
    tx.fetch_optional(lock, args![]).await?;
    // The soonest pending message is the first entry of `messages_due` for its status: a
    // business with tens of thousands of reminders scheduled must not be read whole on
    // every pass, while every commit of the business waits for this lock. Written as an
    // ordered walk with a limit, not `MIN()`, because PostgreSQL turns `MIN()` into that
    // walk only when its statistics say the rows are many: without them (a new
    // deployment, or autovacuum off) it read every pending reminder of the business on
    // each pass (docs/benchmarks.md, "Reminders and messages"). Messages being sent are
    // few (one batch).
    let row = tx
        .fetch_one(
            "SELECT (SELECT next_attempt_at FROM messages WHERE tenant_id = $1 AND status = 'pending'
                     ORDER BY next_attempt_at LIMIT 1) AS pending,
                    (SELECT MIN(claimed_until) FROM messages WHERE tenant_id = $1 AND status = 'sending') AS lapsing",
            args![],
        )
        .await?;
    let pending: Option<Micros> = row.get("pending")?;
    let lapsing: Option<Micros> = row.get("lapsing")?;
    match pending.into_iter().chain(lapsing).min() {
        Some(due) => {
            tx.execute(
                "INSERT INTO message_wakeups (tenant_id, due_at) VALUES ($1, $2)
                 ON CONFLICT (tenant_id) DO UPDATE SET due_at = excluded.due_at",
                args![due],
            )
            .await?;
        }
        None => {
            // Parked rather than deleted: a message's trigger locks this row to wait for a
            // rewind (migration 19), and a row deleted under it would leave nothing to lock.
            tx.execute("UPDATE message_wakeups SET due_at = $2 WHERE tenant_id = $1", args![PARKED]).await?;
        }
    }
    Ok(())
}

/// What became of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Sent {
        channel: String,
        provider_id: String,
    },
    Retry {
        at: Micros,
        error: String,
    },
    /// Refused on one channel in a way a retry cannot mend: try the next one now.
    Fallback {
        channel: String,
        error: String,
    },
    Failed {
        channel: Option<String>,
        error: String,
    },
    Skipped {
        reason: String,
    },
}

/// Settles a batch: messages with the same outcome (a batch skipped for want of a
/// connected channel, say) in one statement each, not one per message.
pub async fn settle_all(tx: &mut TenantTx, outcomes: &[(Uuid, Settled)], now: Micros) -> Result<(), StoreError> {
    let mut groups: Vec<(&Settled, Vec<Uuid>)> = Vec::new();
    for (id, outcome) in outcomes {
        match groups.iter_mut().find(|(same, _)| *same == outcome) {
            Some((_, ids)) => ids.push(*id),
            None => groups.push((outcome, vec![*id])),
        }
    }
    for (outcome, ids) in groups {
        for chunk in ids.chunks(BATCH_IDS) {
            settle_group(tx, chunk, outcome, now).await?;
        }
    }
    Ok(())
}

/// Ids per statement: well inside every backend's limit on parameters.
const BATCH_IDS: usize = 500;

async fn settle_group(tx: &mut TenantTx, ids: &[Uuid], outcome: &Settled, now: Micros) -> Result<(), StoreError> {
    let (set, mut values) = match outcome {
        Settled::Sent { channel, provider_id } => (
            "status = 'sent', channel = $2, provider_id = $3, sent_at = $4, error = NULL, claimed_until = NULL,
             updated_at = $4",
            args![channel, provider_id, now],
        ),
        Settled::Retry { at, error } => (
            "status = 'pending', next_attempt_at = $2, error = $3, claimed_until = NULL, updated_at = $4",
            args![*at, error, now],
        ),
        Settled::Fallback { channel, error } => (
            "status = 'pending', channel = $2, next_attempt_at = $4, error = $3, claimed_until = NULL, updated_at = $4",
            args![channel, error, now],
        ),
        Settled::Failed { channel, error } => (
            "status = 'failed', channel = COALESCE($2, channel), error = $3, claimed_until = NULL, updated_at = $4",
            args![channel.clone(), error, now],
        ),
        Settled::Skipped { reason } => {
            ("status = 'skipped', error = $2, claimed_until = NULL, updated_at = $3", args![reason, now])
        }
    };
    let first = values.len() + 2;
    values.extend(ids.iter().map(|id| crate::Value::from(*id)));
    tx.execute_assembled(
        format!(
            "UPDATE messages SET {set} WHERE tenant_id = $1 AND status = 'sending' AND id IN ({})",
            placeholders(first, ids.len())
        ),
        values,
    )
    .await?;
    Ok(())
}

pub async fn find(tx: &mut TenantTx, id: Uuid) -> Result<Option<MessageRow>, StoreError> {
    let row = tx.fetch_optional(select_messages!("WHERE tenant_id = $1 AND id = $2"), args![id]).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_provider_id(tx: &mut TenantTx, provider_id: &str) -> Result<Option<MessageRow>, StoreError> {
    let row =
        tx.fetch_optional(select_messages!("WHERE tenant_id = $1 AND provider_id = $2"), args![provider_id]).await?;
    row.as_ref().map(from_row).transpose()
}

/// A delivery report: the new status, when, and the provider's reason for a failure.
pub async fn report_delivery(
    tx: &mut TenantTx,
    id: Uuid,
    status: Status,
    error: Option<String>,
    at: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE messages SET status = $3, error = COALESCE($4, error),
                delivered_at = CASE WHEN $3 IN ('delivered', 'read') AND delivered_at IS NULL THEN $5 ELSE delivered_at END,
                read_at = CASE WHEN $3 = 'read' THEN $5 ELSE read_at END, updated_at = $5
         WHERE tenant_id = $1 AND id = $2",
        args![id, status.name(), error, at],
    )
    .await?;
    Ok(())
}

/// Sends a failed message again, from its first channel.
pub async fn retry(tx: &mut TenantTx, id: Uuid, now: Micros) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE messages SET status = 'pending', next_attempt_at = $3, attempts = 0, error = NULL, updated_at = $3
             WHERE tenant_id = $1 AND id = $2 AND status = 'failed'",
            args![id, now],
        )
        .await?;
    if changed > 0 {
        wake(tx, now).await?;
    }
    Ok(changed > 0)
}

/// A customer's messages, newest first.
pub async fn of_customer(tx: &mut TenantTx, customer: CustomerId, limit: i64) -> Result<Vec<MessageRow>, StoreError> {
    let rows = tx
        .fetch_all(
            select_messages!("WHERE tenant_id = $1 AND customer_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3"),
            args![customer, limit],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// The tenant's messages, newest first, optionally of one status.
pub async fn recent(tx: &mut TenantTx, status: Option<Status>, limit: i64) -> Result<Vec<MessageRow>, StoreError> {
    let rows = tx
        .fetch_all(
            select_messages!(
                "WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2)
             ORDER BY created_at DESC, id DESC LIMIT $3"
            ),
            args![status.map(Status::name), limit],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// How many messages are in each status.
pub async fn counts(tx: &mut TenantTx) -> Result<Vec<(Status, i64)>, StoreError> {
    let rows = tx
        .fetch_all("SELECT status, COUNT(*) AS n FROM messages WHERE tenant_id = $1 GROUP BY status", args![])
        .await?;
    rows.iter().map(|row| Ok((status_of(&row.get::<String>("status")?)?, row.get("n")?))).collect()
}

/// Messages whose last attempt fell in `[from, until)`, as (sent, failed): sent counts
/// those the provider took (sent, delivered or read). Each status is one range of
/// `messages_due`, so the count reads only the week's messages however long the log.
pub async fn outcomes_between(tx: &mut TenantTx, from: Micros, until: Micros) -> Result<(i64, i64), StoreError> {
    let row = tx
        .fetch_one(
            "SELECT (SELECT COUNT(*) FROM messages WHERE tenant_id = $1 AND status IN ('sent', 'delivered', 'read')
                       AND next_attempt_at >= $2 AND next_attempt_at < $3) AS sent,
                    (SELECT COUNT(*) FROM messages WHERE tenant_id = $1 AND status = 'failed'
                       AND next_attempt_at >= $2 AND next_attempt_at < $3) AS failed",
            args![from, until],
        )
        .await?;
    Ok((row.get("sent")?, row.get("failed")?))
}
