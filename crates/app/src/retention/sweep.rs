//! The retention sweep (RET-6): for every tenant (or one), as of an instant, it applies the
//! lifecycle (terminating cancelled tenants whose grace is over, purging terminated ones
//! whose date has come), then each rule in force, and removes expired sessions, one-time
//! tokens, invitations and held slots. Legal holds stop what they cover. A dry run counts
//! with the same conditions the real run deletes by, and changes nothing.
//!
//! Each batch of deletions is its own short transaction, so `serve` keeps answering while
//! a sweep runs, and a sweep that is stopped half-way is finished by the next one.

use super::{Actor, lifecycle, rules};
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use steward_domain::classification::DataClass;
use steward_domain::ids::TenantId;
use steward_domain::retention::{self, Due, Rule, Stage};
use steward_store::audit::{self as audit_rows, Checkpoint};
use steward_store::customers::records as customer_rows;
use steward_store::keystore;
use steward_store::retention::holds::{self, HoldRow};
use steward_store::retention::runs::{self, RunRow};
use steward_store::retention::sweep::{self as rows, Kind};
use steward_store::tenancy::tenants;
use uuid::Uuid;

/// How a sweep is asked for.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The instant the rules are applied as of (the clock, or `--now`).
    pub as_of: i64,
    pub dry_run: bool,
    pub only: Option<TenantId>,
    /// `schedule` or `cli`, for the record of the run.
    pub started_by: &'static str,
}

/// What the sweep did (or, dry, would do) for one tenant.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TenantSweep {
    pub tenant: String,
    pub slug: String,
    /// Rows removed by kind (`usage_events`, `inactive_customers`, …).
    pub removed: BTreeMap<String, u64>,
    /// `terminated` or `purged`, when the lifecycle moved.
    pub lifecycle: Option<String>,
    /// What a legal hold kept, in words.
    pub held: Vec<String>,
}

impl TenantSweep {
    fn changed(&self) -> bool {
        self.lifecycle.is_some() || self.removed.values().any(|&n| n > 0)
    }
}

/// The whole sweep's report.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    pub as_of: String,
    pub dry_run: bool,
    pub tenants_checked: usize,
    /// Tables whose removed rows this role may not vacuum (PostgreSQL's runtime role owns
    /// none); autovacuum removes them promptly (migration 16).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_to_autovacuum: Vec<String>,
    /// Tenants where something was (or would be) removed or moved.
    pub tenants: Vec<TenantSweep>,
    /// Rows by kind across all tenants.
    pub totals: BTreeMap<String, u64>,
}

/// The data class whose rule and holds govern a kind, when one does.
fn class_of(kind: Kind) -> DataClass {
    match kind {
        Kind::UsageEvents => DataClass::Usage,
        Kind::AuditEvents | Kind::EgressRecords | Kind::ExpiredSessions => DataClass::SecurityLog,
        Kind::RetentionRuns | Kind::ExpiredMemberTokens | Kind::ExpiredInvitations | Kind::ExpiredSlotHolds => {
            DataClass::Operational
        }
    }
}

/// Invitations stay visible (as expired) for this long before they go.
const EXPIRED_INVITATIONS_KEPT_DAYS: i64 = 30;

/// Runs the sweep. `progress` is told (tenants done, tenants in all) after each tenant.
pub async fn run(
    app: &App,
    options: &SweepOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepReport, AppError> {
    let mut platform = app.store.begin_platform().await?;
    let mut tenants = tenants::lifecycles(&mut platform).await?;
    platform.commit().await?;
    if let Some(only) = options.only {
        tenants.retain(|t| t.id == only);
        if tenants.is_empty() {
            return Err(AppError::NotFound);
        }
    }
    let mut report = SweepReport {
        as_of: crate::clock::format_instant(options.as_of),
        dry_run: options.dry_run,
        tenants_checked: tenants.len(),
        ..SweepReport::default()
    };
    let total = tenants.len();
    for (done, tenant) in tenants.iter().enumerate() {
        let started_at = app.now();
        let outcome = sweep_tenant(app, options, tenant).await?;
        if outcome.changed() {
            for (kind, n) in &outcome.removed {
                *report.totals.entry(kind.clone()).or_default() += n;
            }
            if !options.dry_run && tenant.status != Stage::Purged && outcome.lifecycle.as_deref() != Some("purged") {
                record_run(app, tenant.id, options, started_at, &outcome).await?;
            }
            report.tenants.push(outcome);
        } else if !outcome.held.is_empty() {
            report.tenants.push(outcome);
        }
        progress(done + 1, total);
    }
    if !options.dry_run && !report.totals.is_empty() {
        // What the sweep deleted leaves the database's own files now (DSR-3, RET-6).
        match app.store.scrub_after_erasure().await {
            Ok(left) => report.left_to_autovacuum = left,
            Err(error) => tracing::warn!(%error, "the files could not be scrubbed after the sweep"),
        }
    }
    Ok(report)
}

async fn record_run(
    app: &App,
    tenant: TenantId,
    options: &SweepOptions,
    started_at: i64,
    outcome: &TenantSweep,
) -> Result<(), AppError> {
    let report = json!({ "removed": outcome.removed, "lifecycle": outcome.lifecycle, "held": outcome.held });
    let (writer_app, as_of, started_by) = (app.clone(), options.as_of, options.started_by.to_string());
    app.store
        .write(tenant, move |mut tx| async move {
            runs::insert(
                &mut tx,
                &RunRow {
                    id: Uuid::now_v7(),
                    started_at,
                    finished_at: writer_app.now(),
                    as_of,
                    dry_run: false,
                    started_by,
                    report: report.to_string(),
                },
            )
            .await?;
            audit::record(&writer_app, &mut tx, Actor::System.event("retention.swept", None, report)).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// Whether a hold in force stops removal of this class.
fn held_class(holds: &[HoldRow], class: DataClass) -> Option<String> {
    holds.iter().find_map(|hold| match hold.scope.as_str() {
        "tenant" => Some("the whole business is on legal hold".to_string()),
        "class" if hold.data_class.as_deref() == Some(class.name()) => {
            Some(format!("{} data is on legal hold", class.name()))
        }
        "class" if class == DataClass::Personal && hold.data_class.as_deref() == Some("sensitive") => {
            Some("sensitive data is on legal hold".to_string())
        }
        _ => None,
    })
}

async fn sweep_tenant(
    app: &App,
    options: &SweepOptions,
    tenant: &steward_store::tenancy::tenants::LifecycleRow,
) -> Result<TenantSweep, AppError> {
    let mut outcome =
        TenantSweep { tenant: tenant.id.to_string(), slug: tenant.slug.clone(), ..TenantSweep::default() };
    let stage = tenant.status;
    let mut tx = app.store.begin_tenant_read(tenant.id).await?;
    let holds = holds::in_force(&mut tx).await?;
    let rules = rules::in_force(app, &mut tx).await?;
    tx.commit().await?;

    match retention::due(stage, &tenant.dates, options.as_of) {
        Due::Nothing => {}
        Due::Terminate => {
            if !options.dry_run {
                lifecycle::terminate(app, tenant.id, Actor::System, Some("the grace period after cancellation ended"))
                    .await?;
            }
            outcome.lifecycle = Some("terminated".into());
        }
        Due::Purge | Due::FinishPurge => {
            if !holds.is_empty() {
                outcome.held.push("the purge waits: a legal hold is in force".into());
            } else {
                if options.dry_run {
                    let mut tx = app.store.begin_tenant_read(tenant.id).await?;
                    let rows = count_all(&mut tx).await?;
                    tx.commit().await?;
                    outcome.removed.insert("all_rows".into(), rows);
                } else {
                    let report = lifecycle::purge(app, tenant.id, &|_, _| {}).await?;
                    outcome.removed.insert("all_rows".into(), report.rows_removed.iter().map(|(_, n)| n).sum());
                }
                outcome.lifecycle = Some("purged".into());
                return Ok(outcome);
            }
        }
    }
    if stage == Stage::Purged {
        return Ok(outcome);
    }

    let rule = |class: DataClass| -> Option<Rule> { rules.iter().copied().find(|r| r.class == class) };
    let now = options.as_of;
    let mut work: Vec<(Kind, i64)> = Vec::new();
    if let Some(cutoff) = rule(DataClass::Usage).and_then(|r| r.cutoff(now)) {
        work.push((Kind::UsageEvents, cutoff));
    }
    if let Some(cutoff) = rule(DataClass::SecurityLog).and_then(|r| r.cutoff(now)) {
        work.push((Kind::EgressRecords, cutoff));
        work.push((Kind::RetentionRuns, cutoff));
    }
    work.push((Kind::ExpiredSessions, now));
    work.push((Kind::ExpiredMemberTokens, now));
    work.push((Kind::ExpiredInvitations, now - EXPIRED_INVITATIONS_KEPT_DAYS * retention::DAY_MICROS));
    work.push((Kind::ExpiredSlotHolds, now));

    for (kind, bound) in work {
        if let Some(why) = held_class(&holds, class_of(kind)) {
            note_hold(&mut outcome, why);
            continue;
        }
        let n = remove(app, tenant.id, kind, bound, options.dry_run).await?;
        outcome.removed.insert(kind.name().into(), n);
    }

    if let Some(cutoff) = rule(DataClass::SecurityLog).and_then(|r| r.cutoff(now)) {
        if let Some(why) = held_class(&holds, DataClass::SecurityLog) {
            note_hold(&mut outcome, why);
        } else {
            let n = remove_audit_events(app, tenant.id, cutoff, options.dry_run).await?;
            outcome.removed.insert(Kind::AuditEvents.name().into(), n);
        }
    }
    if let Some(cutoff) = rule(DataClass::Personal).and_then(|r| r.cutoff(now)) {
        if let Some(why) = held_class(&holds, DataClass::Personal) {
            note_hold(&mut outcome, why);
        } else {
            let n = remove_inactive_customers(app, tenant.id, cutoff, options.dry_run).await?;
            outcome.removed.insert("inactive_customers".into(), n);
        }
    }
    outcome.removed.retain(|_, n| *n > 0);
    Ok(outcome)
}

fn note_hold(outcome: &mut TenantSweep, why: String) {
    if !outcome.held.contains(&why) {
        outcome.held.push(why);
    }
}

async fn count_all(tx: &mut steward_store::TenantTx) -> Result<u64, AppError> {
    let mut total = 0;
    for table in steward_store::retention::purge::TABLES {
        total += steward_store::retention::purge::count(tx, table).await?;
    }
    Ok(total)
}

/// Counts (dry) or removes, batch by batch, the rows of a kind due by `bound`.
async fn remove(app: &App, tenant: TenantId, kind: Kind, bound: i64, dry_run: bool) -> Result<u64, AppError> {
    if dry_run {
        let mut tx = app.store.begin_tenant_read(tenant).await?;
        let n = rows::count(&mut tx, kind, bound).await?;
        tx.commit().await?;
        return Ok(n);
    }
    let mut removed = 0;
    loop {
        let n = app
            .store
            .write(tenant, move |mut tx| async move {
                let n = rows::delete_batch(&mut tx, kind, bound).await?;
                tx.commit().await?;
                Ok::<_, AppError>(n)
            })
            .await?;
        removed += n;
        if n < steward_store::retention::BATCH as u64 {
            return Ok(removed);
        }
    }
}

/// Removes the audit events recorded before `cutoff`, leaving a signed checkpoint first so
/// the rest of the chain still verifies (and an interrupted removal is finished next time).
async fn remove_audit_events(app: &App, tenant: TenantId, cutoff: i64, dry_run: bool) -> Result<u64, AppError> {
    // Removal follows the sealed chain; a dry run changes nothing and counts what is sealed.
    if !dry_run {
        audit::sealer::seal_now(app, tenant).await?;
    }
    let writer_app = app.clone();
    let sealed = app
        .store
        .write(tenant, move |mut tx| async move {
            let app = &writer_app;
            let previous = audit_rows::latest_checkpoint(&mut tx).await?;
            let last_before = rows::last_audit_event_before(&mut tx, cutoff).await?;
            let bound = match (&previous, &last_before) {
                (Some(checkpoint), Some((seq, _))) => checkpoint.seq.max(*seq),
                (Some(checkpoint), None) => checkpoint.seq,
                (None, Some((seq, _))) => *seq,
                (None, None) => {
                    tx.commit().await?;
                    return Ok(Sealed::Nothing(0));
                }
            };
            let due = rows::count(&mut tx, Kind::AuditEvents, bound).await?;
            if dry_run || due == 0 {
                tx.commit().await?;
                return Ok(Sealed::Nothing(due));
            }
            if let Some((seq, hash)) = last_before.filter(|(seq, _)| previous.as_ref().is_none_or(|c| *seq > c.seq)) {
                let mut checkpoint =
                    Checkpoint { seq, hash, removed: due as i64, at: app.now(), signature: Vec::new() };
                checkpoint.signature = audit::checkpoint_signature(app, tenant, &checkpoint);
                audit_rows::insert_checkpoint(&mut tx, &checkpoint).await?;
            }
            tx.commit().await?;
            Ok::<_, AppError>(Sealed::Up(bound))
        })
        .await?;
    match sealed {
        Sealed::Nothing(due) => Ok(due),
        Sealed::Up(bound) => remove(app, tenant, Kind::AuditEvents, bound, false).await,
    }
}

/// What the checkpoint before an audit removal left to do.
enum Sealed {
    /// Nothing is removed: this many events are due (a dry run counts them).
    Nothing(u64),
    /// The events up to this sequence number are removed.
    Up(i64),
}

/// Removes customers with no visit or change since `cutoff` (and no hold on them), each
/// with their key, notes, consents and appointments.
async fn remove_inactive_customers(app: &App, tenant: TenantId, cutoff: i64, dry_run: bool) -> Result<u64, AppError> {
    if dry_run {
        let mut tx = app.store.begin_tenant_read(tenant).await?;
        let n = rows::count_inactive_customers(&mut tx, cutoff).await?;
        tx.commit().await?;
        return Ok(n);
    }
    let mut removed = 0;
    loop {
        let ids = app
            .store
            .write(tenant, move |mut tx| async move {
                let ids = rows::inactive_customers(&mut tx, cutoff).await?;
                for id in &ids {
                    customer_rows::delete(&mut tx, steward_domain::ids::CustomerId(*id)).await?;
                    keystore::delete_subject_key(&mut tx, *id).await?;
                }
                tx.commit().await?;
                Ok::<_, AppError>(ids)
            })
            .await?;
        removed += ids.len() as u64;
        if (ids.len() as i64) < steward_store::retention::BATCH {
            return Ok(removed);
        }
    }
}

/// A sweep's record as pages and the API show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "RetentionRun")]
pub struct RunView {
    pub id: Uuid,
    #[schemars(extend("format" = "date-time"))]
    pub started_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub as_of: String,
    pub started_by: String,
    /// `removed`: rows by kind; `lifecycle`; `held`: what a legal hold kept.
    pub report: serde_json::Value,
}

/// The tenant's latest sweeps that changed something (`privacy.manage`).
pub async fn recent_runs(app: &App, who: &crate::access::principal::Principal) -> Result<Vec<RunView>, AppError> {
    who.require(steward_domain::permissions::Permission::PrivacyManage)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let rows = runs::recent(&mut tx, 20).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|run| RunView {
            id: run.id,
            started_at: crate::clock::format_instant(run.started_at),
            as_of: crate::clock::format_instant(run.as_of),
            started_by: run.started_by,
            report: serde_json::from_str(&run.report).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}
