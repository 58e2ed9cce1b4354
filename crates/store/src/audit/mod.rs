//! The audit log's rows: appending an event to a tenant's chain inside the caller's
//! transaction, and reading events back in order for verification and viewing.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::audit::{AuditEvent, AuditEventRef, GENESIS};
use uuid::Uuid;

/// What a service records; the sequence number, time and hashes are added here.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEvent {
    pub actor_type: &'static str,
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub details: String,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A stored event with its chain hashes.
#[derive(Debug, Clone)]
pub struct StoredAuditEvent {
    pub event: AuditEvent,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Starts a new tenant's chain; run in the transaction that creates the tenant.
pub async fn start_chain(tx: &mut TenantTx) -> Result<(), StoreError> {
    tx.execute("INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)", args![GENESIS.to_vec()]).await?;
    Ok(())
}

/// Each tenant's audit head (sequence number and hash) as this process last appended it.
#[derive(Debug, Default)]
pub(crate) struct HeadCache(std::sync::Mutex<std::collections::HashMap<steward_domain::ids::TenantId, (i64, Vec<u8>)>>);

impl HeadCache {
    fn get(&self, tenant: steward_domain::ids::TenantId) -> Option<(i64, Vec<u8>)> {
        self.0.lock().ok()?.get(&tenant).cloned()
    }

    fn set(&self, tenant: steward_domain::ids::TenantId, seq: i64, hash: Vec<u8>) {
        if let Ok(mut heads) = self.0.lock() {
            heads.insert(tenant, (seq, hash));
        }
    }

    fn forget(&self, tenant: steward_domain::ids::TenantId) {
        if let Ok(mut heads) = self.0.lock() {
            heads.remove(&tenant);
        }
    }
}

/// Businesses with audit events committed but not yet sealed into their chain (on
/// PostgreSQL, [`seal`] runs after the commit). A committed transaction that appended
/// marks its business; the sealer takes the marks and waits for more.
#[derive(Debug, Default)]
pub struct UnsealedTenants {
    tenants: std::sync::Mutex<std::collections::HashSet<steward_domain::ids::TenantId>>,
    marked: tokio::sync::Notify,
}

impl UnsealedTenants {
    /// Notes that `tenant` has events to seal, and wakes the sealer.
    pub fn mark(&self, tenant: steward_domain::ids::TenantId) {
        if let Ok(mut tenants) = self.tenants.lock() {
            tenants.insert(tenant);
        }
        self.marked.notify_one();
    }

    /// The businesses marked since the last call; each once however often it was marked.
    pub fn take(&self) -> Vec<steward_domain::ids::TenantId> {
        match self.tenants.lock() {
            Ok(mut tenants) => tenants.drain().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Returns when a business has been marked since the last [`UnsealedTenants::take`]
    /// (at once if one was marked while nobody waited).
    pub async fn marked(&self) {
        self.marked.notified().await;
    }
}

/// Seals at most `at_most` of the tenant's committed, unsealed events into its chain, in
/// the order they happened, and returns how many it sealed (fewer than `at_most`: none
/// are left that were committed when it began). The head's lock is held until the
/// caller's transaction commits; keep the transaction to this. On SQLite every event is
/// chained as it is inserted, and this seals nothing.
pub async fn seal(tx: &mut TenantTx, at_most: i64) -> Result<i64, StoreError> {
    if tx.kind() == crate::StoreKind::Sqlite {
        return Ok(0);
    }
    let at_most = at_most.clamp(1, i64::from(i32::MAX));
    let row = tx.fetch_one("SELECT CAST(audit_seal($1, CAST($2 AS INT)) AS BIGINT) AS sealed", args![at_most]).await?;
    row.get("sealed")
}

/// Appends an event to the tenant's chain, in the caller's transaction: the event exists
/// if and only if the change it records commits.
///
/// On PostgreSQL the event is written with a provisional number and takes its place in
/// the chain just after the transaction commits ([`seal`], migration 15): appends of one
/// business never wait for each other, not even while PostgreSQL commits.
///
/// On SQLite, with the head this process last wrote, it is one statement: the insert,
/// whose trigger (migration 10) advances the head only if the event follows it and
/// aborts the statement otherwise (another process appended, or a transaction that
/// appended was rolled back); then the head row is advanced first and the event inserted
/// after it. Tenants never wait for each other.
pub async fn append(tx: &mut TenantTx, new: NewAuditEvent, at: Micros) -> Result<(), StoreError> {
    if tx.kind() == crate::StoreKind::Postgres {
        return append_unsealed(tx, new, at).await;
    }
    let tenant = tx.tenant();
    if let Some(heads) = tx.heads.clone()
        && let Some((seq, prev_hash)) = heads.get(tenant)
    {
        let event = new_event(seq + 1, new.clone(), at);
        let hash = event.chain_hash(&prev_hash).to_vec();
        match insert_event(tx, &event, prev_hash, hash.clone()).await {
            Ok(()) => {
                heads.set(tenant, event.seq, hash);
                return Ok(());
            }
            Err(error) if head_moved(&error) => heads.forget(tenant),
            Err(error) => return Err(error),
        }
    }
    let head =
        tx.fetch_one("UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash", args![]).await?;
    let event = new_event(head.get("seq")?, new, at);
    let prev_hash: Vec<u8> = head.get("hash")?;
    let hash = event.chain_hash(&prev_hash).to_vec();
    insert_event(tx, &event, prev_hash, hash.clone()).await?;
    if let Some(heads) = &tx.heads {
        heads.set(tenant, event.seq, hash);
    }
    Ok(())
}

/// PostgreSQL: the event with a provisional negative number (from a sequence, so they
/// rise in the order events are written and [`seal`] chains the oldest first; migration
/// 18), an empty previous hash and, where its hash will go, the encoding after the
/// number, which [`seal`] hashes behind the head once the transaction has committed.
async fn append_unsealed(tx: &mut TenantTx, new: NewAuditEvent, at: Micros) -> Result<(), StoreError> {
    tx.appended = true;
    let event = new_event(0, new, at);
    let mut after_seq = Vec::with_capacity(256);
    event.borrowed().encode_after_seq(&mut after_seq);
    // The sequence's numbers, shifted below zero: the event's `seq` is the offset.
    insert_event_as(tx, INSERT_PROVISIONAL, &AuditEvent { seq: -(1 << 62), ..event }, Vec::new(), after_seq).await
}

/// An event's insert, with what its `seq` column gets.
macro_rules! insert_event_sql {
    ($seq:literal) => {
        concat!(
            "INSERT INTO audit_events (tenant_id, id, seq, at, actor_type, actor_id, action, target_type, target_id,
                                       details, request_id, ip, user_agent, prev_hash, hash)
             VALUES ($1, $2, ",
            $seq,
            ", $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )
    };
}

const INSERT_SEALED: &str = insert_event_sql!("$3");
/// PostgreSQL: a provisional number from the sequence of migration 18, offset by `$3`.
const INSERT_PROVISIONAL: &str = insert_event_sql!("nextval('audit_provisional_numbers') + $3");

/// Whether an append failed because the head was not where this process thought.
fn head_moved(error: &StoreError) -> bool {
    match error {
        StoreError::Duplicate { .. } => true,
        other => other.to_string().contains("audit head moved"),
    }
}

fn new_event(seq: i64, new: NewAuditEvent, at: Micros) -> AuditEvent {
    AuditEvent {
        seq,
        id: Uuid::now_v7(),
        at,
        actor_type: new.actor_type.to_string(),
        actor_id: new.actor_id,
        action: new.action.to_string(),
        target_type: new.target_type.map(str::to_string),
        target_id: new.target_id,
        details: new.details,
        request_id: new.request_id,
        ip: new.ip,
        user_agent: new.user_agent,
    }
}

async fn insert_event(
    tx: &mut TenantTx,
    event: &AuditEvent,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
) -> Result<(), StoreError> {
    insert_event_as(tx, INSERT_SEALED, event, prev_hash, hash).await
}

async fn insert_event_as(
    tx: &mut TenantTx,
    sql: &'static str,
    event: &AuditEvent,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
) -> Result<(), StoreError> {
    tx.execute(
        sql,
        args![
            event.id,
            event.seq,
            event.at,
            &event.actor_type,
            event.actor_id,
            &event.action,
            event.target_type.clone(),
            event.target_id.clone(),
            &event.details,
            event.request_id.clone(),
            event.ip.clone(),
            event.user_agent.clone(),
            prev_hash,
            hash
        ],
    )
    .await?;
    Ok(())
}

/// The columns every read selects, in the order `from_row` decodes them by position
/// (verification reads millions of rows).
macro_rules! audit_columns {
    () => {
        "id, seq, at, actor_type, actor_id, action, target_type, target_id, details, request_id, ip, user_agent, prev_hash, hash"
    };
}

fn from_row(row: &Row) -> Result<StoredAuditEvent, StoreError> {
    Ok(StoredAuditEvent {
        event: AuditEvent {
            id: row.get_at(0)?,
            seq: row.get_at(1)?,
            at: row.get_at(2)?,
            actor_type: row.get_at(3)?,
            actor_id: row.get_at(4)?,
            action: row.get_at(5)?,
            target_type: row.get_at(6)?,
            target_id: row.get_at(7)?,
            details: row.get_at(8)?,
            request_id: row.get_at(9)?,
            ip: row.get_at(10)?,
            user_agent: row.get_at(11)?,
        },
        prev_hash: row.get_at(12)?,
        hash: row.get_at(13)?,
    })
}

/// Whether the member has signed in before from this browser (the same user agent), for
/// the new-device alert. A partial index keeps this to the member's own logins.
pub async fn has_login_from(
    tx: &mut TenantTx,
    member: uuid::Uuid,
    user_agent: Option<&str>,
) -> Result<bool, StoreError> {
    let found = tx
        .fetch_optional(
            "SELECT 1 AS found FROM audit_events
             WHERE tenant_id = $1 AND actor_id = $2 AND action = 'member.login' AND COALESCE(user_agent, '') = COALESCE($3, '')
             LIMIT 1",
            args![member, user_agent],
        )
        .await?;
    Ok(found.is_some())
}

/// Events after `after_seq`, oldest first, at most `limit`, as owned values.
pub async fn read_after(tx: &mut TenantTx, after_seq: i64, limit: i64) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let batch = read_batch(tx, after_seq, i64::MAX, limit).await?;
    Ok(batch
        .events()?
        .iter()
        .map(|stored| StoredAuditEvent {
            event: stored.event.to_owned_event(),
            prev_hash: stored.prev_hash.to_vec(),
            hash: stored.hash.to_vec(),
        })
        .collect())
}

/// A stored event borrowed from an [`AuditBatch`].
#[derive(Debug, Clone, Copy)]
pub struct StoredAuditRef<'a> {
    pub event: AuditEventRef<'a>,
    pub prev_hash: &'a [u8],
    pub hash: &'a [u8],
}

/// Events as one read handed them over; [`AuditBatch::events`] borrows them in order.
pub struct AuditBatch(BatchInner);

enum BatchInner {
    /// SQLite: one blob (see [`read_batch`]).
    Packed(Vec<u8>),
    Rows(Vec<StoredAuditEvent>),
}

impl AuditBatch {
    /// The events, oldest first.
    pub fn events(&self) -> Result<Vec<StoredAuditRef<'_>>, StoreError> {
        match &self.0 {
            BatchInner::Rows(rows) => Ok(rows
                .iter()
                .map(|stored| StoredAuditRef {
                    event: stored.event.borrowed(),
                    prev_hash: &stored.prev_hash,
                    hash: &stored.hash,
                })
                .collect()),
            BatchInner::Packed(bytes) => {
                let mut events = unpack(bytes)?;
                // The aggregate follows the subquery's order in practice; the chain must not depend on it.
                if !events.is_sorted_by_key(|e| e.event.seq) {
                    events.sort_by_key(|e| e.event.seq);
                }
                Ok(events)
            }
        }
    }
}

/// Events with `after_seq < seq <= until_seq`, at most `limit`, as one batch to borrow
/// from (verification reads millions and copies none of them).
pub async fn read_batch(
    tx: &mut TenantTx,
    after_seq: i64,
    until_seq: i64,
    limit: i64,
) -> Result<AuditBatch, StoreError> {
    if tx.kind() == crate::StoreKind::Sqlite {
        return read_range_packed(tx, after_seq, until_seq, limit).await;
    }
    let rows = tx
        .fetch_all(
            concat!(
                "SELECT ",
                audit_columns!(),
                " FROM audit_events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4"
            ),
            args![after_seq, until_seq, limit],
        )
        .await?;
    Ok(AuditBatch(BatchInner::Rows(rows.iter().map(from_row).collect::<Result<_, _>>()?)))
}

/// The highest sequence number the tenant's log holds now, if it holds any.
pub async fn last_seq(tx: &mut TenantTx) -> Result<Option<i64>, StoreError> {
    tx.fetch_one("SELECT MAX(seq) AS high FROM audit_events WHERE tenant_id = $1", args![]).await?.get("high")
}

/// One column as [`read_range_packed`] packs it: its length in bytes (none for NULL), a
/// colon, and its bytes (blobs as they are, numbers as decimal text).
macro_rules! packed {
    ($column:literal) => {
        concat!("octet_length(", $column, "), ':', ", $column)
    };
}

/// [`read_batch`] on SQLite: SQLite packs the whole batch into one blob, read as one row.
/// Verification reads millions of rows; handing SQLite rows over one at a time from
/// sqlx's worker thread cost more than everything else verify does, and packing them as
/// JSON (hex blobs, escaped text) cost more than reading them. Lengths need no escaping,
/// and one `concat` per row copies each value once.
async fn read_range_packed(
    tx: &mut TenantTx,
    after_seq: i64,
    until_seq: i64,
    limit: i64,
) -> Result<AuditBatch, StoreError> {
    const SQL: &str = concat!(
        "SELECT CAST(group_concat(concat(",
        packed!("id"),
        ", ",
        packed!("seq"),
        ", ",
        packed!("at"),
        ", ",
        packed!("actor_type"),
        ", ",
        packed!("actor_id"),
        ", ",
        packed!("action"),
        ", ",
        packed!("target_type"),
        ", ",
        packed!("target_id"),
        ", ",
        packed!("details"),
        ", ",
        packed!("request_id"),
        ", ",
        packed!("ip"),
        ", ",
        packed!("user_agent"),
        ", ",
        packed!("prev_hash"),
        ", ",
        packed!("hash"),
        "), '') AS BLOB) AS batch
         FROM (SELECT * FROM audit_events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)"
    );
    let row = tx.fetch_one(SQL, args![after_seq, until_seq, limit]).await?;
    let packed: Option<Vec<u8>> = row.get("batch")?;
    Ok(AuditBatch(BatchInner::Packed(packed.unwrap_or_default())))
}

/// Reads what [`read_range_packed`] packed.
fn unpack(bytes: &[u8]) -> Result<Vec<StoredAuditRef<'_>>, StoreError> {
    let mut packed = Packed(bytes);
    let mut events = Vec::new();
    while !packed.0.is_empty() {
        let id = packed.uuid("id")?.ok_or_else(|| not_written("id"))?;
        let seq = packed.number("seq")?;
        let at = packed.number("at")?;
        let actor_type = packed.required_text("actor_type")?;
        let actor_id = packed.uuid("actor_id")?;
        let action = packed.required_text("action")?;
        let target_type = packed.text("target_type")?;
        let target_id = packed.text("target_id")?;
        let details = packed.required_text("details")?;
        let request_id = packed.text("request_id")?;
        let ip = packed.text("ip")?;
        let user_agent = packed.text("user_agent")?;
        let prev_hash = packed.field("prev_hash")?.ok_or_else(|| not_written("prev_hash"))?;
        let hash = packed.field("hash")?.ok_or_else(|| not_written("hash"))?;
        events.push(StoredAuditRef {
            event: AuditEventRef {
                id,
                seq,
                at,
                actor_type,
                actor_id,
                action,
                target_type,
                target_id,
                details,
                request_id,
                ip,
                user_agent,
            },
            prev_hash,
            hash,
        });
    }
    Ok(events)
}

fn not_written(what: &str) -> StoreError {
    StoreError::Corrupt(format!("audit event: {what} is not what Steward wrote"))
}

/// The unread rest of a packed batch.
struct Packed<'a>(&'a [u8]);

impl<'a> Packed<'a> {
    fn field(&mut self, what: &str) -> Result<Option<&'a [u8]>, StoreError> {
        if let Some(rest) = self.0.strip_prefix(b":") {
            self.0 = rest;
            return Ok(None);
        }
        let colon = self.0.iter().position(|b| *b == b':').ok_or_else(|| not_written(what))?;
        let length: usize = std::str::from_utf8(&self.0[..colon])
            .ok()
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| not_written(what))?;
        let value = self.0.get(colon + 1..colon + 1 + length).ok_or_else(|| not_written(what))?;
        self.0 = &self.0[colon + 1 + length..];
        Ok(Some(value))
    }

    fn text(&mut self, what: &str) -> Result<Option<&'a str>, StoreError> {
        self.field(what)?.map(|v| std::str::from_utf8(v).map_err(|_| not_written(what))).transpose()
    }

    fn required_text(&mut self, what: &str) -> Result<&'a str, StoreError> {
        self.text(what)?.ok_or_else(|| not_written(what))
    }

    fn number(&mut self, what: &str) -> Result<i64, StoreError> {
        let digits = self.field(what)?.ok_or_else(|| not_written(what))?;
        std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).ok_or_else(|| not_written(what))
    }

    fn uuid(&mut self, what: &str) -> Result<Option<Uuid>, StoreError> {
        self.field(what)?.map(|v| Uuid::from_slice(v).map_err(|_| not_written(what))).transpose()
    }
}

/// What the viewer filters by; every part optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    pub target_id: Option<String>,
    /// From this instant (inclusive), microseconds.
    pub from: Option<Micros>,
    /// Until this instant (exclusive), microseconds.
    pub until: Option<Micros>,
    /// Only events before this sequence number (the next page).
    pub before_seq: Option<i64>,
}

/// The newest events first that match the filter, for the viewer.
pub async fn recent(tx: &mut TenantTx, filter: &AuditFilter, limit: i64) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let rows = tx
        .fetch_all(
            concat!(
                "SELECT ",
                audit_columns!(),
                " FROM audit_events
             WHERE tenant_id = $1 AND seq > 0 AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR actor_id = $3)
               AND ($4 IS NULL OR target_id = $4) AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6)
               AND ($7 IS NULL OR seq < $7)
             ORDER BY seq DESC LIMIT $8"
            ),
            args![
                filter.action.clone(),
                filter.actor_id,
                filter.target_id.clone(),
                filter.from,
                filter.until,
                filter.before_seq,
                limit
            ],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// A signed record of the events removed from the start of a chain under a retention rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last removed event's sequence number and hash: the chain continues from here.
    pub seq: i64,
    pub hash: Vec<u8>,
    pub removed: i64,
    pub at: Micros,
    pub signature: Vec<u8>,
}

/// The checkpoint the chain now starts after, if events were ever removed.
pub async fn latest_checkpoint(tx: &mut TenantTx) -> Result<Option<Checkpoint>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT seq, hash, removed, at, signature FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1",
            args![],
        )
        .await?;
    row.as_ref().map(checkpoint_from_row).transpose()
}

fn checkpoint_from_row(row: &Row) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        seq: row.get("seq")?,
        hash: row.get("hash")?,
        removed: row.get("removed")?,
        at: row.get("at")?,
        signature: row.get("signature")?,
    })
}

/// Every checkpoint of the tenant, oldest first (a master key rotation signs them again).
pub async fn checkpoints(tx: &mut TenantTx) -> Result<Vec<Checkpoint>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT seq, hash, removed, at, signature FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq",
            args![],
        )
        .await?;
    rows.iter().map(checkpoint_from_row).collect()
}

/// Replaces a checkpoint's signature, and nothing else about it.
pub async fn set_checkpoint_signature(tx: &mut TenantTx, seq: i64, signature: &[u8]) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE audit_checkpoints SET signature = $3 WHERE tenant_id = $1 AND seq = $2",
        args![seq, signature.to_vec()],
    )
    .await?;
    Ok(())
}

pub async fn insert_checkpoint(tx: &mut TenantTx, checkpoint: &Checkpoint) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_checkpoints (tenant_id, seq, hash, removed, at, signature) VALUES ($1, $2, $3, $4, $5, $6)",
        args![checkpoint.seq, checkpoint.hash.clone(), checkpoint.removed, checkpoint.at, checkpoint.signature.clone()],
    )
    .await?;
    Ok(())
}
