//! The tenant lifecycle: active → cancelled (by the owner; everything kept and the owner
//! may come back) → terminated (when the grace period ends, or by the operator; nobody can
//! sign in) → purged (the tenant key and every subject key destroyed at once, then every
//! row removed in the background). Each step's date is kept on the tenant's row and shown
//! to the owner and the operator; the dates ahead are promised when the owner cancels.

use super::{Actor, OwnedActor};
use crate::access::principal::Principal;
use crate::clock::format_instant;
use crate::mail::{self, OutgoingMail};
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::json;
use steward_domain::ids::TenantId;
use steward_domain::permissions::Permission;
use steward_domain::retention::{self, Dates, Stage};
use steward_store::access::members;
use steward_store::retention::{holds, purge as rows};
use steward_store::tenancy::tenants::{self, LifecycleRow};

/// A tenant's lifecycle as the owner's page, the API and the operator see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename = "Lifecycle")]
pub struct LifecycleView {
    pub status: Stage,
    #[schemars(extend("format" = "date-time"))]
    pub cancelled_at: Option<String>,
    /// When a cancelled business is terminated unless its owner comes back.
    #[schemars(extend("format" = "date-time"))]
    pub terminates_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub terminated_at: Option<String>,
    /// When every record of the business is deleted.
    #[schemars(extend("format" = "date-time"))]
    pub purge_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub purged_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub purge_finished_at: Option<String>,
    pub reason: Option<String>,
}

impl From<&LifecycleRow> for LifecycleView {
    fn from(row: &LifecycleRow) -> Self {
        let d = row.dates;
        LifecycleView {
            status: row.status,
            cancelled_at: d.cancelled_at.map(format_instant),
            terminates_at: d.terminates_at.map(format_instant),
            terminated_at: d.terminated_at.map(format_instant),
            purge_at: d.purge_at.map(format_instant),
            purged_at: d.purged_at.map(format_instant),
            purge_finished_at: d.purge_finished_at.map(format_instant),
            reason: row.reason.clone(),
        }
    }
}

fn step_refused(error: retention::StepError) -> AppError {
    AppError::NotAllowed(error.to_string())
}

pub async fn view(app: &App, tenant: TenantId) -> Result<LifecycleView, AppError> {
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let row = tenants::lifecycle(&mut tx).await?;
    tx.commit().await?;
    Ok(LifecycleView::from(&row))
}

/// `GET /api/v1/lifecycle`.
pub async fn of_member(app: &App, who: &Principal) -> Result<LifecycleView, AppError> {
    who.require(Permission::TenantRead)?;
    view(app, who.tenant).await
}

const MAX_REASON: usize = 500;

fn reason_text(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let text = raw.map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > MAX_REASON) {
        return Err(AppError::invalid("reason", "is longer than 500 characters"));
    }
    Ok(text.map(str::to_string))
}

/// The owner cancels: nothing is deleted yet; the dates ahead are set, shown and mailed.
pub async fn cancel(app: &App, who: &Principal, reason: Option<&str>) -> Result<LifecycleView, AppError> {
    if who.role != "owner" {
        return Err(AppError::Forbidden("the owner role".into()));
    }
    let reason = reason_text(reason)?;
    let now = app.now();
    let (writer_app, writer) = (app.clone(), who.clone());
    let (after, business) = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer);
            let row = tenants::lifecycle(&mut tx).await?;
            let dates = retention::cancel(row.status, &app.settings.retention, now).map_err(step_refused)?;
            tenants::set_lifecycle(&mut tx, Stage::Cancelled, &dates, reason.as_deref(), now).await?;
            let details = json!({ "terminates_at": dates.terminates_at.map(format_instant),
                                  "purge_at": dates.purge_at.map(format_instant) });
            audit::record(app, &mut tx, Actor::Member(who).event("tenant.cancelled", None, details)).await?;
            let after = tenants::lifecycle(&mut tx).await?;
            let business = tenants::current(&mut tx).await?.name;
            tx.commit().await?;
            Ok::<_, AppError>((after, business))
        })
        .await?;
    let view = LifecycleView::from(&after);
    mail::send_in_background(app, who.tenant, closing_mail(app, &who.email, &who.name, &business, &view));
    Ok(view)
}

fn closing_mail(app: &App, to: &str, name: &str, business: &str, view: &LifecycleView) -> OutgoingMail {
    let link = app.link("/app/settings/data");
    let terminates = view.terminates_at.clone().unwrap_or_default();
    let purge = view.purge_at.clone().unwrap_or_default();
    OutgoingMail {
        kind: "account cancelled",
        to: to.to_string(),
        subject: format!("{business} is cancelled on Steward: what happens to your data"),
        text: format!(
            "Hello {name},\n\n{business} was cancelled on Steward. Nothing is deleted yet.\n\n\
             - Until {terminates} you can sign in, download everything and come back.\n\
             - On {terminates} the account closes and nobody can sign in.\n\
             - On {purge} every record (customers, appointments, members, logs) is deleted and the keys that \
             protect sensitive values are destroyed, so no backup can open them either.\n\n\
             Download your data or come back here:\n\n{link}\n"
        ),
        link,
    }
}

/// The owner comes back during the grace period.
pub async fn reactivate(app: &App, who: &Principal) -> Result<LifecycleView, AppError> {
    if who.role != "owner" {
        return Err(AppError::Forbidden("the owner role".into()));
    }
    let now = app.now();
    let (writer_app, writer) = (app.clone(), who.clone());
    let after = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let row = tenants::lifecycle(&mut tx).await?;
            let dates = retention::reactivate(row.status).map_err(step_refused)?;
            tenants::set_lifecycle(&mut tx, Stage::Active, &dates, None, now).await?;
            let event = Actor::Member(&writer).event("tenant.reactivated", None, json!({}));
            audit::record(&writer_app, &mut tx, event).await?;
            let after = tenants::lifecycle(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, AppError>(after)
        })
        .await?;
    Ok(LifecycleView::from(&after))
}

/// Terminates a tenant (the operator, or the sweep when the grace period is over): its
/// sessions end and its API tokens are revoked in the same transaction.
pub async fn terminate(
    app: &App,
    tenant: TenantId,
    by: Actor<'_>,
    reason: Option<&str>,
) -> Result<LifecycleView, AppError> {
    let reason = reason_text(reason)?;
    let now = app.now();
    let (writer_app, by) = (app.clone(), OwnedActor::of(by));
    let (after, owners, business) = app
        .store
        .write(tenant, move |mut tx| async move {
            let app = &writer_app;
            let row = tenants::lifecycle(&mut tx).await?;
            let dates =
                retention::terminate(row.status, row.dates, &app.settings.retention, now).map_err(step_refused)?;
            let reason = reason.or(row.reason.clone());
            tenants::set_lifecycle(&mut tx, Stage::Terminated, &dates, reason.as_deref(), now).await?;
            tx.execute("DELETE FROM sessions WHERE tenant_id = $1", steward_store::args![]).await?;
            tx.execute(
                "UPDATE api_tokens SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL",
                steward_store::args![now],
            )
            .await?;
            let details = json!({ "purge_at": dates.purge_at.map(format_instant) });
            audit::record(app, &mut tx, by.actor().event("tenant.terminated", None, details)).await?;
            let after = tenants::lifecycle(&mut tx).await?;
            let owners: Vec<_> = members::list(&mut tx)
                .await?
                .into_iter()
                .filter(|m| m.role_name == "owner" && m.removed_at.is_none())
                .collect();
            let business = tenants::current(&mut tx).await?.name;
            tx.commit().await?;
            Ok::<_, AppError>((after, owners, business))
        })
        .await?;
    app.token_cache.forget_tenant(tenant);
    let view = LifecycleView::from(&after);
    for owner in owners {
        mail::send_in_background(app, tenant, closed_mail(app, &owner.email, &owner.name, &business, &view));
    }
    Ok(view)
}

fn closed_mail(app: &App, to: &str, name: &str, business: &str, view: &LifecycleView) -> OutgoingMail {
    let purge = view.purge_at.clone().unwrap_or_default();
    OutgoingMail {
        kind: "account closed",
        to: to.to_string(),
        subject: format!("{business} is closed on Steward; its data is deleted on {purge}"),
        text: format!(
            "Hello {name},\n\nThe Steward account of {business} is closed. On {purge} every record it holds is deleted \
             and the keys protecting sensitive values are destroyed.\n\nIf you need a copy before then, answer this \
             message; the operator can export it for you.\n"
        ),
        link: app.link("/login"),
    }
}

/// What a purge did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PurgeReport {
    /// Subject keys destroyed with the tenant key.
    pub keys_destroyed: u64,
    /// Rows removed, by table.
    pub rows_removed: Vec<(String, u64)>,
    /// Microseconds from the start until the keys were gone.
    pub keys_destroyed_after_micros: i64,
}

/// Destroys a terminated tenant's keys (nothing it sealed can be opened again, in this
/// database or any backup), then removes every row it had. Refused while a legal hold is in
/// force. Run again after an interruption, it finishes what was left.
pub async fn purge(
    app: &App,
    tenant: TenantId,
    progress: &(dyn Fn(&'static str, u64) + Sync),
) -> Result<PurgeReport, AppError> {
    let started = std::time::Instant::now();
    let now = app.now();
    let mut report = PurgeReport::default();
    // `Some(keys destroyed)` when this run began the purge; `None` when it finishes one.
    let began = app
        .store
        .write(tenant, move |mut tx| async move {
            let row = tenants::lifecycle(&mut tx).await?;
            match row.status {
                Stage::Terminated => {
                    if !holds::in_force(&mut tx).await?.is_empty() {
                        return Err(AppError::NotAllowed(
                            "a legal hold is in force on this business; lift it before a purge".into(),
                        ));
                    }
                    let keys_destroyed = rows::destroy_keys(&mut tx).await?;
                    let dates = Dates { purged_at: Some(now), purge_finished_at: None, ..row.dates };
                    tenants::set_lifecycle(&mut tx, Stage::Purged, &dates, row.reason.as_deref(), now).await?;
                    // No audit event: the chain is about to go with everything else; the
                    // dates on the tenant's row are the lasting record of the purge.
                    tx.commit().await?;
                    Ok(Some(keys_destroyed))
                }
                Stage::Purged if row.dates.purge_finished_at.is_none() => {
                    // An interrupted purge: the keys are already gone.
                    rows::destroy_keys(&mut tx).await?;
                    tx.commit().await?;
                    Ok(None)
                }
                other => Err(step_refused(retention::StepError::CannotPurge(other.name()))),
            }
        })
        .await?;
    if let Some(keys_destroyed) = began {
        report.keys_destroyed = keys_destroyed;
        app.keys.forget(tenant);
        app.token_cache.forget_tenant(tenant);
    }
    report.keys_destroyed_after_micros = started.elapsed().as_micros() as i64;
    for table in rows::TABLES {
        let mut removed = 0;
        loop {
            let n = app
                .store
                .write(tenant, move |mut tx| async move {
                    let n = rows::delete_batch(&mut tx, table).await?;
                    tx.commit().await?;
                    Ok::<_, AppError>(n)
                })
                .await?;
            removed += n;
            progress(table.name, removed);
            if n == 0 {
                break;
            }
        }
        report.rows_removed.push((table.name.to_string(), removed));
    }
    let writer_app = app.clone();
    app.store
        .write(tenant, move |mut tx| async move {
            tenants::scrub_after_purge(&mut tx, writer_app.now()).await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await?;
    tracing::info!(tenant = %tenant, rows = report.rows_removed.iter().map(|(_, n)| n).sum::<u64>(), "tenant purged");
    Ok(report)
}
