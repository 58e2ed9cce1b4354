//! Appointments: booking, moving, status changes, and the reads the calendar, the
//! customer's timeline and availability need.

use crate::{Row, StoreError, TenantTx, args};
use steward_domain::booking::Status;
use steward_domain::ids::{AppointmentId, CustomerId, LocationId, MemberId, SeriesId, ServiceId, StaffId};
use steward_domain::micros::MICROS_PER_HOUR;
use steward_domain::time::Timestamp;

/// The longest time one appointment can block (24 h plus two 4 h buffers), which bounds
/// every overlap query to a short index range. In microseconds.
pub const LONGEST_BLOCK: i64 = 32 * MICROS_PER_HOUR;

/// A new appointment.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub id: AppointmentId,
    pub customer_id: CustomerId,
    pub service_id: ServiceId,
    pub staff_id: StaffId,
    pub location_id: LocationId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub blocked_from: Timestamp,
    pub blocked_until: Timestamp,
    pub price_paise: i64,
    pub gst_rate_bp: i64,
    pub notes: Option<String>,
    pub series_id: Option<SeriesId>,
    pub booked_via: &'static str,
    pub created_by: Option<MemberId>,
}

/// An appointment with the names of what it links to.
#[derive(Debug, Clone)]
pub struct AppointmentRow {
    pub id: AppointmentId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub service_id: ServiceId,
    pub service_name: String,
    pub staff_id: StaffId,
    pub staff_name: String,
    pub location_id: LocationId,
    pub location_name: String,
    pub time_zone: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub blocked_from: Timestamp,
    pub blocked_until: Timestamp,
    pub status: Status,
    pub price_paise: i64,
    pub gst_rate_bp: i64,
    pub notes: Option<String>,
    pub series_id: Option<SeriesId>,
    pub cancel_reason: Option<String>,
    pub booked_via: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

macro_rules! select_appointments {
    ($tail:literal) => {
        concat!(
            "SELECT a.id, a.customer_id, c.name AS customer_name, a.service_id, s.name AS service_name, a.staff_id,
                    p.name AS staff_name, a.location_id, l.name AS location_name, l.time_zone, a.starts_at, a.ends_at,
                    a.blocked_from, a.blocked_until, a.status, a.price_paise, a.gst_rate_bp, a.notes, a.series_id,
                    a.cancel_reason, a.booked_via, a.created_at, a.updated_at
             FROM appointments a
             JOIN customers c ON c.tenant_id = a.tenant_id AND c.id = a.customer_id
             JOIN services s ON s.tenant_id = a.tenant_id AND s.id = a.service_id
             JOIN staff p ON p.tenant_id = a.tenant_id AND p.id = a.staff_id
             JOIN locations l ON l.tenant_id = a.tenant_id AND l.id = a.location_id ",
            $tail
        )
    };
}

fn from_row(r: &Row) -> Result<AppointmentRow, StoreError> {
    Ok(AppointmentRow {
        id: AppointmentId(r.get_at(0)?),
        customer_id: CustomerId(r.get_at(1)?),
        customer_name: r.get_at(2)?,
        service_id: ServiceId(r.get_at(3)?),
        service_name: r.get_at(4)?,
        staff_id: StaffId(r.get_at(5)?),
        staff_name: r.get_at(6)?,
        location_id: LocationId(r.get_at(7)?),
        location_name: r.get_at(8)?,
        time_zone: r.get_at(9)?,
        starts_at: r.timestamp_at(10)?,
        ends_at: r.timestamp_at(11)?,
        blocked_from: r.timestamp_at(12)?,
        blocked_until: r.timestamp_at(13)?,
        status: status_of(&r.get_at::<String>(14)?)?,
        price_paise: r.get_at(15)?,
        gst_rate_bp: r.get_at(16)?,
        notes: r.get_at(17)?,
        series_id: r.get_at::<Option<uuid::Uuid>>(18)?.map(SeriesId),
        cancel_reason: r.get_at(19)?,
        booked_via: r.get_at(20)?,
        created_at: r.timestamp_at(21)?,
        updated_at: r.timestamp_at(22)?,
    })
}

fn status_of(stored: &str) -> Result<Status, StoreError> {
    Status::ALL
        .into_iter()
        .find(|status| status.name() == stored)
        .ok_or_else(|| StoreError::Corrupt(format!("appointments.status '{stored}' is not an appointment status")))
}

/// Inserts an appointment. An overlap is refused by the database and comes back as
/// [`StoreError::Overlap`], leaving the transaction usable on both backends: PostgreSQL
/// skips the row (`ON CONFLICT DO NOTHING` honours the exclusion constraint), SQLite's
/// trigger undoes just the statement.
pub async fn insert(tx: &mut TenantTx, a: &NewAppointment, now: Timestamp) -> Result<(), StoreError> {
    match insert_row(tx, a, now).await? {
        0 => Err(StoreError::Overlap),
        _ => Ok(()),
    }
}

async fn insert_row(tx: &mut TenantTx, a: &NewAppointment, now: Timestamp) -> Result<u64, StoreError> {
    tx.execute(
        "INSERT INTO appointments (tenant_id, id, customer_id, service_id, staff_id, location_id, starts_at, ends_at,
            blocked_from, blocked_until, status, price_paise, gst_rate_bp, notes, series_id, booked_via, created_by,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'booked', $11, $12, $13, $14, $15, $16, $17, $17)
         ON CONFLICT DO NOTHING",
        args![
            a.id,
            a.customer_id,
            a.service_id,
            a.staff_id,
            a.location_id,
            a.starts_at,
            a.ends_at,
            a.blocked_from,
            a.blocked_until,
            a.price_paise,
            a.gst_rate_bp,
            a.notes.clone(),
            a.series_id,
            a.booked_via,
            a.created_by,
            now
        ],
    )
    .await
}

pub async fn find(tx: &mut TenantTx, id: AppointmentId) -> Result<Option<AppointmentRow>, StoreError> {
    const SQL: &str = select_appointments!("WHERE a.tenant_id = $1 AND a.id = $2");
    tx.fetch_optional(SQL, args![id]).await?.as_ref().map(from_row).transpose()
}

/// Several appointments at once (the message worker's batch); missing ones are left out.
pub async fn find_many(tx: &mut TenantTx, ids: &[AppointmentId]) -> Result<Vec<AppointmentRow>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let list = (2..chunk.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(select_appointments!("WHERE a.tenant_id = $1 AND a.id IN ({})"), list);
        let rows = tx.fetch_all_assembled(sql, chunk.iter().map(|id| crate::Value::from(*id)).collect()).await?;
        for row in &rows {
            found.push(from_row(row)?);
        }
    }
    Ok(found)
}

/// Appointments starting in `[from, until)`, of one staff member or location if given,
/// earliest first.
pub async fn in_range(
    tx: &mut TenantTx,
    from: Timestamp,
    until: Timestamp,
    staff: Option<StaffId>,
    location: Option<LocationId>,
    limit: i64,
) -> Result<Vec<AppointmentRow>, StoreError> {
    const SQL: &str = select_appointments!(
        "WHERE a.tenant_id = $1 AND a.blocked_from > $2 AND a.blocked_from < $3 AND a.starts_at >= $4 AND a.starts_at < $5
           AND ($6 IS NULL OR a.staff_id = $6) AND ($7 IS NULL OR a.location_id = $7)
         ORDER BY a.starts_at, a.id LIMIT $8"
    );
    let rows = tx
        .fetch_all(
            SQL,
            args![from - LONGEST_BLOCK, until, from, until, staff.map(|s| s.0), location.map(|l| l.0), limit],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// A customer's appointments, latest first.
pub async fn of_customer(
    tx: &mut TenantTx,
    customer: CustomerId,
    limit: i64,
) -> Result<Vec<AppointmentRow>, StoreError> {
    const SQL: &str =
        select_appointments!("WHERE a.tenant_id = $1 AND a.customer_id = $2 ORDER BY a.starts_at DESC, a.id LIMIT $3");
    tx.fetch_all(SQL, args![customer, limit]).await?.iter().map(from_row).collect()
}

/// Of `customers`, those with an appointment (not cancelled) that started before `before`:
/// who is returning rather than new in a week's figures. One index range per customer.
pub async fn seen_before(
    tx: &mut TenantTx,
    customers: &[CustomerId],
    before: Timestamp,
) -> Result<Vec<CustomerId>, StoreError> {
    let mut seen = Vec::new();
    for chunk in customers.chunks(200) {
        let list = (3..chunk.len() + 3).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT DISTINCT customer_id FROM appointments
              WHERE tenant_id = $1 AND starts_at < $2 AND status <> 'cancelled' AND customer_id IN ({list})"
        );
        let mut values = vec![crate::Value::from(before)];
        values.extend(chunk.iter().map(|id| crate::Value::from(*id)));
        for row in tx.fetch_all_assembled(sql, values).await? {
            seen.push(CustomerId(row.get_at(0)?));
        }
    }
    Ok(seen)
}

pub async fn no_shows(tx: &mut TenantTx, customer: CustomerId) -> Result<i64, StoreError> {
    let row = tx
        .fetch_one(
            "SELECT COUNT(*) AS n FROM appointments WHERE tenant_id = $1 AND customer_id = $2 AND status = 'no_show'",
            args![customer],
        )
        .await?;
    row.get("n")
}

pub async fn of_series(tx: &mut TenantTx, series: SeriesId) -> Result<Vec<AppointmentRow>, StoreError> {
    const SQL: &str = select_appointments!("WHERE a.tenant_id = $1 AND a.series_id = $2 ORDER BY a.starts_at");
    tx.fetch_all(SQL, args![series]).await?.iter().map(from_row).collect()
}

/// The time active appointments block, per staff member (of every one, or one),
/// overlapping `[from, until)`: what availability subtracts. Leaves out `except` (an
/// appointment being moved). Each staff member's spans come back as one aggregated row,
/// which reads ten thousand appointments as fifty rows.
pub async fn blocked(
    tx: &mut TenantTx,
    staff: Option<StaffId>,
    from: Timestamp,
    until: Timestamp,
    except: Option<AppointmentId>,
) -> Result<Vec<(StaffId, Vec<(Timestamp, Timestamp)>)>, StoreError> {
    // Two statements, not one with `staff_id = $2 OR $2 IS NULL`, so each gets its index.
    let rows = match staff {
        Some(id) => {
            tx.fetch_all(
                "SELECT staff_id, string_agg(blocked_from || ',' || blocked_until, ';') AS spans FROM appointments
                 WHERE tenant_id = $1 AND staff_id = $2 AND blocked_from > $3 AND blocked_from < $4
                   AND blocked_until > $5 AND status <> 'cancelled' AND ($6 IS NULL OR id <> $6)
                 GROUP BY staff_id",
                args![id, from - LONGEST_BLOCK, until, from, except.map(|e| e.0)],
            )
            .await?
        }
        None => {
            tx.fetch_all(
                "SELECT staff_id, string_agg(blocked_from || ',' || blocked_until, ';') AS spans FROM appointments
                 WHERE tenant_id = $1 AND blocked_from > $2 AND blocked_from < $3
                   AND blocked_until > $4 AND status <> 'cancelled' AND ($5 IS NULL OR id <> $5)
                 GROUP BY staff_id",
                args![from - LONGEST_BLOCK, until, from, except.map(|e| e.0)],
            )
            .await?
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let staff = StaffId(row.get_at(0)?);
        let text: String = row.get_at(1)?;
        let mut spans = Vec::new();
        for pair in text.split(';') {
            let parsed = pair.split_once(',').and_then(|(a, b)| {
                Some((Timestamp::from_micros(a.parse().ok()?), Timestamp::from_micros(b.parse().ok()?)))
            });
            match parsed {
                Some(span) => spans.push(span),
                None => return Err(StoreError::UnsafeSetup(format!("an appointment span reads as '{pair}'"))),
            }
        }
        out.push((staff, spans));
    }
    Ok(out)
}

pub async fn set_status(
    tx: &mut TenantTx,
    id: AppointmentId,
    status: Status,
    cancel_reason: Option<String>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "UPDATE appointments SET status = $3, cancel_reason = COALESCE($4, cancel_reason), updated_at = $5
             WHERE tenant_id = $1 AND id = $2",
            args![id, status.name(), cancel_reason, now],
        )
        .await?
        > 0)
}

/// Where and when an appointment takes place, and the time it keeps its staff member
/// busy (its buffers included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub staff: StaffId,
    pub location: LocationId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub blocked_from: Timestamp,
    pub blocked_until: Timestamp,
}

/// Moves an appointment to another slot: a time, staff member or location.
pub async fn reschedule(tx: &mut TenantTx, id: AppointmentId, slot: &Slot, now: Timestamp) -> Result<bool, StoreError> {
    let Slot { staff, location, starts_at, ends_at, blocked_from, blocked_until } = *slot;
    tx.savepoint().await?;
    let moved = tx
        .execute(
            "UPDATE appointments SET staff_id = $3, location_id = $4, starts_at = $5, ends_at = $6, blocked_from = $7,
                    blocked_until = $8, updated_at = $9
             WHERE tenant_id = $1 AND id = $2",
            args![id, staff, location, starts_at, ends_at, blocked_from, blocked_until, now],
        )
        .await;
    tx.end_savepoint(moved.is_ok()).await?;
    Ok(moved? > 0)
}

pub async fn set_notes(
    tx: &mut TenantTx,
    id: AppointmentId,
    notes: Option<String>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "UPDATE appointments SET notes = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
            args![id, notes, now],
        )
        .await?
        > 0)
}

/// Marks the customer's last visit when an appointment is completed.
/// Takes back the visit an appointment at `at` counted, when it is the one the customer's
/// last visit names: the last visit becomes their latest other completed appointment.
pub async fn unmark_visit(tx: &mut TenantTx, customer: CustomerId, at: Timestamp) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE customers SET last_visit_at = (SELECT MAX(a.starts_at) FROM appointments a
                WHERE a.tenant_id = $1 AND a.customer_id = $2 AND a.status = 'completed')
          WHERE tenant_id = $1 AND id = $2 AND last_visit_at = $3",
        args![customer, at],
    )
    .await?;
    Ok(())
}

pub async fn mark_visit(tx: &mut TenantTx, customer: CustomerId, at: Timestamp) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE customers SET last_visit_at = $3 WHERE tenant_id = $1 AND id = $2 AND (last_visit_at IS NULL OR last_visit_at < $3)",
        args![customer, at],
    )
    .await?;
    Ok(())
}
