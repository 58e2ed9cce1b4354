//! The `tenants` platform table: one row per business, found by id or slug.

use crate::{Micros, PlatformTx, Row, StoreError, TenantTx, args};
use steward_domain::ids::TenantId;
use steward_domain::retention::{Dates, Stage};
use uuid::Uuid;

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRow {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub country: String,
    pub time_zone: String,
    pub gstin: Option<String>,
    pub status: Stage,
    pub created_at: Micros,
}

macro_rules! select_tenants {
    ($tail:literal) => {
        concat!("SELECT id, slug, name, country, time_zone, gstin, status, created_at FROM tenants ", $tail)
    };
}

fn from_row(row: &Row) -> Result<TenantRow, StoreError> {
    Ok(TenantRow {
        id: TenantId(row.get::<Uuid>("id")?),
        slug: row.get("slug")?,
        name: row.get("name")?,
        country: row.get("country")?,
        time_zone: row.get("time_zone")?,
        gstin: row.get("gstin")?,
        status: stage_of(&row.get::<String>("status")?)?,
        created_at: row.get("created_at")?,
    })
}

/// The stored status as the lifecycle's stage; anything else is a damaged row.
fn stage_of(stored: &str) -> Result<Stage, StoreError> {
    Stage::parse(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("tenants.status '{stored}' is not a lifecycle stage")))
}

/// Inserts the tenant row inside the new tenant's own transaction, so the tenant, its
/// roles and its owner appear together or not at all.
pub async fn insert(tx: &mut TenantTx, tenant: &TenantRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO tenants (id, slug, name, country, time_zone, gstin, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        args![
            &tenant.slug,
            &tenant.name,
            &tenant.country,
            &tenant.time_zone,
            tenant.gstin.clone(),
            tenant.status.name(),
            tenant.created_at
        ],
    )
    .await?;
    Ok(())
}

/// The tenant of the current transaction.
pub async fn current(tx: &mut TenantTx) -> Result<TenantRow, StoreError> {
    let sql = select_tenants!("WHERE id = $1");
    from_row(&tx.fetch_one(sql, args![]).await?)
}

/// Changes the business profile of the current tenant.
pub async fn update_profile(
    tx: &mut TenantTx,
    name: &str,
    slug: &str,
    country: &str,
    time_zone: &str,
    gstin: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE tenants SET name = $2, slug = $3, country = $4, time_zone = $5, gstin = $6, updated_at = $7 WHERE id = $1",
        args![name, slug, country, time_zone, gstin, now],
    )
    .await?;
    Ok(())
}

pub async fn find_by_slug(tx: &mut PlatformTx, slug: &str) -> Result<Option<TenantRow>, StoreError> {
    let sql = select_tenants!("WHERE slug = $1");
    tx.fetch_optional(sql, args![slug]).await?.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut PlatformTx) -> Result<Vec<TenantRow>, StoreError> {
    let sql = select_tenants!("ORDER BY slug");
    tx.fetch_all(sql, args![]).await?.iter().map(from_row).collect()
}

/// A tenant's place in its lifecycle, as the sweep and the owner's page read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRow {
    pub id: TenantId,
    pub slug: String,
    pub status: Stage,
    pub dates: Dates,
    pub reason: Option<String>,
}

macro_rules! select_lifecycle {
    ($tail:literal) => {
        concat!(
            "SELECT id, slug, status, cancelled_at, terminates_at, terminated_at, purge_at, purged_at, purge_finished_at,
                    lifecycle_reason FROM tenants ",
            $tail
        )
    };
}

fn lifecycle_from_row(row: &Row) -> Result<LifecycleRow, StoreError> {
    Ok(LifecycleRow {
        id: TenantId(row.get::<Uuid>("id")?),
        slug: row.get("slug")?,
        status: stage_of(&row.get::<String>("status")?)?,
        dates: Dates {
            cancelled_at: row.get("cancelled_at")?,
            terminates_at: row.get("terminates_at")?,
            terminated_at: row.get("terminated_at")?,
            purge_at: row.get("purge_at")?,
            purged_at: row.get("purged_at")?,
            purge_finished_at: row.get("purge_finished_at")?,
        },
        reason: row.get("lifecycle_reason")?,
    })
}

pub async fn lifecycle(tx: &mut TenantTx) -> Result<LifecycleRow, StoreError> {
    lifecycle_from_row(&tx.fetch_one(select_lifecycle!("WHERE id = $1"), args![]).await?)
}

/// Every tenant's lifecycle, for the sweep.
pub async fn lifecycles(tx: &mut PlatformTx) -> Result<Vec<LifecycleRow>, StoreError> {
    tx.fetch_all(select_lifecycle!("ORDER BY created_at, id"), args![]).await?.iter().map(lifecycle_from_row).collect()
}

/// Moves the current tenant to `status` with these dates.
pub async fn set_lifecycle(
    tx: &mut TenantTx,
    status: Stage,
    dates: &Dates,
    reason: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE tenants SET status = $2, cancelled_at = $3, terminates_at = $4, terminated_at = $5, purge_at = $6,
                purged_at = $7, purge_finished_at = $8, lifecycle_reason = $9, updated_at = $10
         WHERE id = $1",
        args![
            status.name(),
            dates.cancelled_at,
            dates.terminates_at,
            dates.terminated_at,
            dates.purge_at,
            dates.purged_at,
            dates.purge_finished_at,
            reason,
            now
        ],
    )
    .await?;
    Ok(())
}

/// After a purge the row stays as the record of the tenant's lifecycle, without the
/// business's name or tax number.
pub async fn scrub_after_purge(tx: &mut TenantTx, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE tenants SET name = 'Purged business', gstin = NULL, purge_finished_at = $2, updated_at = $2 WHERE id = $1",
        args![now],
    )
    .await?;
    Ok(())
}

/// The law the business answers privacy requests under (`gdpr`, `dpdp`, `ccpa`).
/// Answered as stored, not decoded into `Jurisdiction`: the column has no CHECK, and the
/// services read an unknown value as DPDP, which decoding here would turn into an error.
pub async fn privacy_jurisdiction(tx: &mut TenantTx) -> Result<String, StoreError> {
    tx.fetch_one("SELECT privacy_jurisdiction FROM tenants WHERE id = $1", args![]).await?.get("privacy_jurisdiction")
}

pub async fn set_privacy_jurisdiction(tx: &mut TenantTx, jurisdiction: &str, now: Micros) -> Result<(), StoreError> {
    tx.execute("UPDATE tenants SET privacy_jurisdiction = $2, updated_at = $3 WHERE id = $1", args![jurisdiction, now])
        .await?;
    Ok(())
}
