//! Slots held for a few minutes while someone fills in the public booking form. A hold
//! carries no personal data; once booked it points at the appointment, which is how the
//! confirmation page finds it.

use crate::{StoreError, TenantTx, args};
use steward_domain::ids::{AppointmentId, HoldId, LocationId, ServiceId, StaffId};
use steward_domain::time::Timestamp;

#[derive(Debug, Clone)]
pub struct HoldRow {
    pub id: HoldId,
    pub service_id: ServiceId,
    pub staff_id: StaffId,
    pub location_id: LocationId,
    pub starts_at: Timestamp,
    pub blocked_from: Timestamp,
    pub blocked_until: Timestamp,
    pub expires_at: Timestamp,
    pub appointment_id: Option<AppointmentId>,
}

pub async fn insert(tx: &mut TenantTx, h: &HoldRow, now: Timestamp) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO slot_holds (tenant_id, id, service_id, staff_id, location_id, starts_at, blocked_from, blocked_until,
            expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![h.id, h.service_id, h.staff_id, h.location_id, h.starts_at, h.blocked_from, h.blocked_until, h.expires_at, now],
    )
    .await?;
    Ok(())
}

pub async fn find(tx: &mut TenantTx, id: HoldId) -> Result<Option<HoldRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT id, service_id, staff_id, location_id, starts_at, blocked_from, blocked_until, expires_at, appointment_id
             FROM slot_holds WHERE tenant_id = $1 AND id = $2",
            args![id],
        )
        .await?;
    row.map(|r| {
        Ok(HoldRow {
            id: HoldId(r.get_at(0)?),
            service_id: ServiceId(r.get_at(1)?),
            staff_id: StaffId(r.get_at(2)?),
            location_id: LocationId(r.get_at(3)?),
            starts_at: r.timestamp_at(4)?,
            blocked_from: r.timestamp_at(5)?,
            blocked_until: r.timestamp_at(6)?,
            expires_at: r.timestamp_at(7)?,
            appointment_id: r.get_at::<Option<uuid::Uuid>>(8)?.map(AppointmentId),
        })
    })
    .transpose()
}

pub async fn attach(tx: &mut TenantTx, id: HoldId, appointment: AppointmentId) -> Result<(), StoreError> {
    tx.execute("UPDATE slot_holds SET appointment_id = $3 WHERE tenant_id = $1 AND id = $2", args![id, appointment])
        .await?;
    Ok(())
}

/// Removes holds that expired unbooked, and booked ones whose confirmation link is past
/// use (`keep_booked_for` microseconds after expiry).
pub async fn sweep(tx: &mut TenantTx, now: Timestamp, keep_booked_for: i64) -> Result<u64, StoreError> {
    tx.execute(
        "DELETE FROM slot_holds WHERE tenant_id = $1 AND ((appointment_id IS NULL AND expires_at < $2) OR expires_at < $3)",
        args![now, now - keep_booked_for],
    )
    .await
}
