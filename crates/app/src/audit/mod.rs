//! The audit log (SEC-3): who did what, when, from where, written in the same transaction
//! as the change it records, and verified as a hash chain.
//!
//! Details never carry a personal value: for changes to personal or account fields only
//! the field names are recorded; for settings (roles, permissions, time zone, …) old and
//! new values.

use crate::access::auth::ClientInfo;
use crate::access::principal::{Credential, Principal};
use crate::{App, AppError};
use serde::Serialize;
use serde_json::Value;
use steward_domain::audit::{ChainBreak, ChainVerifier};
use steward_domain::ids::TenantId;
use steward_domain::permissions::Permission;
use steward_store::TenantTx;
use steward_store::audit::{self as rows, NewAuditEvent};

pub mod sealer;

/// An event by a signed-in member (through a session or an API token).
pub fn by(
    who: &Principal,
    action: &'static str,
    target: Option<(&'static str, String)>,
    details: Value,
) -> NewAuditEvent {
    let actor_type = match who.credential {
        Credential::Session { .. } => "member",
        Credential::ApiToken { .. } => "api_token",
    };
    from_origin(actor_type, Some(who.member.as_uuid()), &who.origin, action, target, details)
}

/// An event by a member who is not signed in yet (logging in, following a mailed link).
pub fn by_member_id(
    member: steward_domain::ids::MemberId,
    client: &ClientInfo,
    action: &'static str,
    target: Option<(&'static str, String)>,
    details: Value,
) -> NewAuditEvent {
    from_origin("member", Some(member.as_uuid()), client, action, target, details)
}

/// An event with no signed-in actor: the system, or someone not yet signed in.
pub fn by_system(
    client: &ClientInfo,
    subject: Option<uuid::Uuid>,
    action: &'static str,
    target: Option<(&'static str, String)>,
    details: Value,
) -> NewAuditEvent {
    from_origin("system", subject, client, action, target, details)
}

fn from_origin(
    actor_type: &'static str,
    actor_id: Option<uuid::Uuid>,
    origin: &ClientInfo,
    action: &'static str,
    target: Option<(&'static str, String)>,
    details: Value,
) -> NewAuditEvent {
    let (target_type, target_id) = match target {
        Some((kind, id)) => (Some(kind), Some(id)),
        None => (None, None),
    };
    NewAuditEvent {
        actor_type,
        actor_id,
        action,
        target_type,
        target_id,
        details: details.to_string(),
        request_id: origin.request_id.clone(),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    }
}

/// Appends an event inside the caller's transaction. What a member did is also a use of
/// a feature, counted for usage under the same action name.
pub async fn record(app: &App, tx: &mut TenantTx, event: NewAuditEvent) -> Result<(), AppError> {
    if matches!(event.actor_type, "member" | "api_token") {
        crate::usage::record_feature(
            app,
            tx,
            event.actor_id,
            event.action,
            event.ip.clone(),
            event.user_agent.as_deref(),
        )
        .await?;
    }
    // A build for measuring what the audit event costs (docs/benchmarks.md, "Audit log")
    // leaves it out; no setting or feature can, and such a build says so when it starts.
    #[cfg(not(steward_unaudited))]
    rows::append(tx, event, app.now()).await?;
    Ok(())
}

/// Whether this is the benchmark build that writes no audit events.
pub const UNAUDITED_BUILD: bool = cfg!(steward_unaudited);

/// Records a refused request in a transaction of its own; a failure to record is logged,
/// and the refusal stands either way.
pub async fn record_denial(app: &App, who: &Principal, needed: &str, path: &str) {
    let event = by(who, "access.denied", None, serde_json::json!({ "needed": needed, "path": path }));
    let writer_app = app.clone();
    let result = app
        .store
        .write(who.tenant, move |mut tx| async move {
            record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok::<(), AppError>(())
        })
        .await;
    if let Err(error) = result {
        tracing::warn!(tenant = %who.tenant, %error, "a permission denial could not be audited");
    }
}

/// The outcome of checking a tenant's whole chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename = "AuditVerification")]
pub struct Verification {
    pub intact: bool,
    pub checked: u64,
    /// The first place the chain breaks, in words naming the event.
    pub first_break: Option<String>,
    pub first_broken_seq: Option<i64>,
}

const VERIFY_BATCH: i64 = 10_000;

/// Checks every event of a tenant. A long log is read and checked in stretches at once,
/// so both cores work; if that finds anything wrong, or the stretches do not meet, the
/// whole log is checked again in order in one consistent read, which names the first
/// broken event.
pub async fn verify_tenant(app: &App, tenant: TenantId) -> Result<Verification, AppError> {
    sealer::seal_now(app, tenant).await?;
    if let Some(verification) = verify_in_stretches(app, tenant).await? {
        return Ok(verification);
    }
    verify_in_one_read(app, tenant).await
}

/// Stretches a long log is checked in at once: two per core, so that while one stretch's
/// batch is read by SQLite (or PostgreSQL) another's is being hashed.
const STRETCHES: i64 = 4;

/// A stretch of the chain checked on its own: where it started and how it ended.
struct Stretch {
    /// The first event's sequence number and the previous hash stored with it.
    first: Option<(i64, Vec<u8>)>,
    verifier: ChainVerifier,
    intact: bool,
}

/// Reads events `after < seq <= until` and checks them as a chain of their own; with no
/// starting verifier, the chain starts from the first event's stored previous hash.
async fn check_stretch(
    mut tx: TenantTx,
    after: i64,
    until: i64,
    start: Option<ChainVerifier>,
) -> Result<Stretch, AppError> {
    let mut stretch = Stretch { first: None, verifier: start.clone().unwrap_or_default(), intact: true };
    let mut cursor = after;
    loop {
        let batch = rows::read_batch(&mut tx, cursor, until, VERIFY_BATCH).await?;
        let events = batch.events()?;
        let Some(last) = events.last() else { break };
        cursor = last.event.seq;
        for stored in &events {
            if stretch.first.is_none() {
                stretch.first = Some((stored.event.seq, stored.prev_hash.to_vec()));
                if start.is_none() {
                    stretch.verifier = ChainVerifier::after(stored.event.seq - 1, stored.prev_hash.to_vec());
                }
            }
            if stretch.verifier.check_borrowed(stored.event, stored.prev_hash, stored.hash).is_err() {
                stretch.intact = false;
                return Ok(stretch);
            }
        }
        if (events.len() as i64) < VERIFY_BATCH {
            break;
        }
    }
    tx.commit().await?;
    Ok(stretch)
}

/// The fast path of [`verify_tenant`]: `None` when the log is short, or when anything
/// is not as it should be (the careful path then finds and names it). Each stretch is
/// its own read, so one may see a log that a sweep shortened since another began: the
/// stretches then do not meet, and the careful path decides.
async fn verify_in_stretches(app: &App, tenant: TenantId) -> Result<Option<Verification>, AppError> {
    let mut first_tx = app.store.begin_tenant_read(tenant).await?;
    let checkpoint = rows::latest_checkpoint(&mut first_tx).await?;
    let Some(high) = rows::last_seq(&mut first_tx).await? else { return Ok(None) };
    let start = match &checkpoint {
        Some(checkpoint) if checkpoint_signature(app, tenant, checkpoint) != checkpoint.signature => return Ok(None),
        Some(checkpoint) => ChainVerifier::after(checkpoint.seq, checkpoint.hash.clone()),
        None => ChainVerifier::default(),
    };
    let low = start.last_seq();
    if high - low < STRETCHES * VERIFY_BATCH {
        return Ok(None);
    }
    let bounds: Vec<i64> = (0..=STRETCHES).map(|i| low + (high - low) * i / STRETCHES).collect();
    let mut tasks = vec![tokio::spawn(check_stretch(first_tx, bounds[0], bounds[1], Some(start)))];
    for window in bounds[1..].windows(2) {
        let (store, after, until) = (app.store.clone(), window[0], window[1]);
        // Each stretch opens its read inside its task: a pool smaller than the number of
        // stretches then makes them wait their turn, never wait on each other.
        tasks.push(tokio::spawn(async move {
            let tx = store.begin_tenant_read(tenant).await?;
            check_stretch(tx, after, until, None).await
        }));
    }
    let mut stretches = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(stretch) => stretches.push(stretch?),
            Err(_) => return Ok(None),
        }
    }
    let meet = stretches.windows(2).all(|pair| {
        pair[1].first.as_ref().is_some_and(|(seq, prev)| {
            *seq == pair[0].verifier.last_seq() + 1 && prev.as_slice() == pair[0].verifier.last_hash()
        })
    });
    let ends_at_high = stretches.last().is_some_and(|last| last.verifier.last_seq() == high);
    if !(meet && ends_at_high && stretches.iter().all(|s| s.intact)) {
        return Ok(None);
    }
    Ok(Some(Verification {
        intact: true,
        checked: stretches.iter().map(|s| s.verifier.checked).sum(),
        first_break: None,
        first_broken_seq: None,
    }))
}

/// Checks every event of a tenant in order, in one consistent read. One task reads the
/// next batch while this one hashes the current, so both cores work.
async fn verify_in_one_read(app: &App, tenant: TenantId) -> Result<Verification, AppError> {
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Result<Vec<rows::StoredAuditEvent>, AppError>>(2);
    let (start_sender, start) = tokio::sync::oneshot::channel::<Option<rows::Checkpoint>>();
    let store = app.store.clone();
    let reader = tokio::spawn(async move {
        let result = async {
            let mut tx = store.begin_tenant_read(tenant).await?;
            // Read in the same snapshot as the events, so a sweep running now cannot make a
            // removal look like a gap.
            let checkpoint = rows::latest_checkpoint(&mut tx).await?;
            let mut after = checkpoint.as_ref().map_or(0, |c| c.seq);
            let _ = start_sender.send(checkpoint);
            loop {
                let batch = rows::read_after(&mut tx, after, VERIFY_BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = last.event.seq;
                let full = batch.len() as i64 == VERIFY_BATCH;
                if sender.send(Ok(batch)).await.is_err() || !full {
                    break;
                }
            }
            tx.commit().await?;
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(error) = result {
            let _ = sender.send(Err(error)).await;
        }
    });
    let mut verifier = ChainVerifier::default();
    let mut outcome = None;
    if let Ok(Some(checkpoint)) = start.await {
        if checkpoint_signature(app, tenant, &checkpoint) != checkpoint.signature {
            outcome = Some(Verification {
                intact: false,
                checked: 0,
                first_break: Some(format!(
                    "the checkpoint after event {} is not signed by this deployment: events before it may have been removed by someone else",
                    checkpoint.seq
                )),
                first_broken_seq: Some(checkpoint.seq),
            });
        }
        verifier = ChainVerifier::after(checkpoint.seq, checkpoint.hash);
    }
    while let Some(batch) = if outcome.is_none() { batches.recv().await } else { None } {
        for stored in &batch? {
            if let Err(broken) = verifier.check(&stored.event, &stored.prev_hash, &stored.hash) {
                let seq = match broken {
                    ChainBreak::Gap { found, .. } => found,
                    ChainBreak::Link { seq, .. } | ChainBreak::Altered { seq, .. } => seq,
                };
                outcome = Some(Verification {
                    intact: false,
                    checked: verifier.checked,
                    first_break: Some(broken.to_string()),
                    first_broken_seq: Some(seq),
                });
                break;
            }
        }
        if outcome.is_some() {
            break;
        }
    }
    drop(batches);
    let _ = reader.await;
    Ok(outcome.unwrap_or(Verification {
        intact: true,
        checked: verifier.checked,
        first_break: None,
        first_broken_seq: None,
    }))
}

/// The signature over a checkpoint: a keyed hash (HMAC-SHA-256) with a key derived from the
/// master key, so only this deployment can write a checkpoint that verifies.
pub fn checkpoint_signature(app: &App, tenant: TenantId, checkpoint: &rows::Checkpoint) -> Vec<u8> {
    checkpoint_signature_with(&app.master_key, tenant, checkpoint)
}

/// The signature under a given master key: a rotation checks each checkpoint under the old
/// key and signs it again under the new one.
pub fn checkpoint_signature_with(
    master_key: &steward_crypto::master_key::MasterKey,
    tenant: TenantId,
    checkpoint: &rows::Checkpoint,
) -> Vec<u8> {
    use secrecy::ExposeSecret;
    let key = master_key.derive("audit-checkpoint");
    let message = format!(
        "{}|{}|{}|{}|{}",
        tenant,
        checkpoint.seq,
        steward_crypto::to_hex(&checkpoint.hash),
        checkpoint.removed,
        checkpoint.at
    );
    steward_crypto::blind_index::blind_index(key.expose_secret(), "audit_checkpoint", &message)
}

/// The "verify" button and `GET /api/v1/audit/verify`.
pub async fn verify(app: &App, who: &Principal) -> Result<Verification, AppError> {
    who.require(Permission::AuditRead)?;
    let outcome = verify_tenant(app, who.tenant).await?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            record(
                app,
                &mut tx,
                by(
                    who,
                    "audit.verified",
                    None,
                    serde_json::json!({ "intact": outcome.intact, "checked": outcome.checked }),
                ),
            )
            .await?;
            tx.commit().await?;
            Ok(outcome)
        })
        .await
}

/// An event as the viewer and the API show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "AuditEvent")]
pub struct AuditEventView {
    pub seq: i64,
    pub id: uuid::Uuid,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    pub actor_type: String,
    pub actor_id: Option<uuid::Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// What the event changed or concerned, as an object.
    pub details: Value,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub hash: String,
}

/// What the viewer and the API filter by, as a person writes it.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub action: Option<String>,
    /// A member id.
    pub actor: Option<String>,
    pub target: Option<String>,
    /// First day, `YYYY-MM-DD`, UTC.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, UTC (inclusive).
    pub to: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

impl AuditQuery {
    fn to_filter(&self) -> Result<rows::AuditFilter, AppError> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let actor_id = match text(&self.actor) {
            Some(actor) => {
                Some(actor.parse::<uuid::Uuid>().map_err(|_| AppError::invalid("actor", "must be a member id"))?)
            }
            None => None,
        };
        let from = text(&self.from).map(|d| crate::clock::utc_day_start("from", &d)).transpose()?;
        let until = text(&self.to)
            .map(|d| crate::clock::utc_day_start("to", &d).map(|t| t + crate::clock::MICROS_PER_DAY))
            .transpose()?;
        Ok(rows::AuditFilter {
            action: text(&self.action),
            actor_id,
            target_id: text(&self.target),
            from,
            until,
            before_seq: self.before,
        })
    }
}

/// The newest events that match, a page at a time (`before` is the last seq shown).
pub async fn recent(app: &App, who: &Principal, query: &AuditQuery) -> Result<Vec<AuditEventView>, AppError> {
    who.require(Permission::AuditRead)?;
    let filter = query.to_filter()?;
    sealer::seal_now(app, who.tenant).await?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::recent(&mut tx, &filter, query.limit.unwrap_or(100).clamp(1, 500)).await?;
    tx.commit().await?;
    Ok(found
        .into_iter()
        .map(|s| AuditEventView {
            seq: s.event.seq,
            id: s.event.id,
            at: crate::clock::format_instant(s.event.at),
            actor_type: s.event.actor_type,
            actor_id: s.event.actor_id,
            action: s.event.action,
            target_type: s.event.target_type,
            target_id: s.event.target_id,
            details: serde_json::from_str(&s.event.details).unwrap_or(Value::Null),
            request_id: s.event.request_id,
            ip: s.event.ip,
            user_agent: s.event.user_agent,
            hash: steward_crypto::to_hex(&s.hash),
        })
        .collect())
}

/// One event as exported: every field that goes into the hash, exactly as stored, with
/// the chain hashes in hex, so anyone can recompute the chain (docs/audit.md).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ExportedEvent {
    #[serde(flatten)]
    pub event: steward_domain::audit::AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// Records that the log is being exported; call once before reading batches.
pub async fn start_export(app: &App, who: &Principal, format: &str) -> Result<(), AppError> {
    who.require(Permission::AuditRead)?;
    let (writer_app, event) = (app.clone(), by(who, "audit.exported", None, serde_json::json!({ "format": format })));
    app.store
        .write(who.tenant, move |mut tx| async move {
            record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await?;
    // The batches read the sealed chain, this export's own event included.
    sealer::seal_now(app, who.tenant).await?;
    Ok(())
}

/// The next batch of events after `after_seq`, oldest first, for an export.
pub async fn export_batch(
    app: &App,
    who: &Principal,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ExportedEvent>, AppError> {
    who.require(Permission::AuditRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let batch = rows::read_after(&mut tx, after_seq, limit).await?;
    tx.commit().await?;
    Ok(batch
        .into_iter()
        .map(|s| ExportedEvent {
            event: s.event,
            prev_hash: steward_crypto::to_hex(&s.prev_hash),
            hash: steward_crypto::to_hex(&s.hash),
        })
        .collect())
}

/// The first line of a JSON-lines export when old events were removed under a retention
/// rule: where the chain now starts, with the deployment's signature over it.
pub async fn export_checkpoint(app: &App, who: &Principal) -> Result<Option<String>, AppError> {
    who.require(Permission::AuditRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let checkpoint = rows::latest_checkpoint(&mut tx).await?;
    tx.commit().await?;
    Ok(checkpoint.map(|c| {
        serde_json::json!({ "checkpoint": {
            "seq": c.seq, "hash": steward_crypto::to_hex(&c.hash), "removed": c.removed,
            "at": crate::clock::format_instant(c.at), "signature": steward_crypto::to_hex(&c.signature) } })
        .to_string()
    }))
}

#[derive(serde::Deserialize)]
struct CheckpointLine {
    checkpoint: CheckpointFields,
}

#[derive(serde::Deserialize)]
struct CheckpointFields {
    seq: i64,
    hash: String,
}

/// Verifies an exported log, line by line (JSON lines), without any database. A first line
/// naming a checkpoint starts the chain after it (its signature can only be checked where
/// the deployment's master key is, by `steward audit verify`).
pub fn verify_export(lines: impl Iterator<Item = std::io::Result<String>>) -> Result<Verification, String> {
    let mut verifier = ChainVerifier::default();
    let mut removed_through = 0;
    for (index, line) in lines.enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        if verifier.checked == 0
            && verifier.last_seq() == 0
            && let Ok(start) = serde_json::from_str::<CheckpointLine>(&line)
        {
            let hash = steward_crypto::from_hex(&start.checkpoint.hash)
                .ok_or_else(|| format!("line {}: the checkpoint's hash is not hex", index + 1))?;
            verifier = ChainVerifier::after(start.checkpoint.seq, hash);
            removed_through = start.checkpoint.seq;
            continue;
        }
        let exported: ExportedEvent = serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", index + 1))?;
        if exported.event.seq <= removed_through {
            // Left by a removal that was interrupted; the next sweep finishes it.
            continue;
        }
        let prev = steward_crypto::from_hex(&exported.prev_hash)
            .ok_or_else(|| format!("line {}: prev_hash is not hex", index + 1))?;
        let hash =
            steward_crypto::from_hex(&exported.hash).ok_or_else(|| format!("line {}: hash is not hex", index + 1))?;
        if let Err(broken) = verifier.check(&exported.event, &prev, &hash) {
            return Ok(Verification {
                intact: false,
                checked: verifier.checked,
                first_break: Some(format!("line {}: {broken}", index + 1)),
                first_broken_seq: Some(exported.event.seq),
            });
        }
    }
    Ok(Verification { intact: true, checked: verifier.checked, first_break: None, first_broken_seq: None })
}
