//! Locations, services and staff, with the staff's services, weekly hours, date
//! overrides, time off and calendar-feed token.

use crate::{Row, StoreError, TenantTx, Value, args};
use steward_domain::ids::{AppointmentId, HoldId, LocationId, MemberId, ServiceId, StaffId, TimeOffId};
use steward_domain::time::Timestamp;

#[derive(Debug, Clone)]
pub struct LocationRow {
    pub id: LocationId,
    pub name: String,
    pub address: Option<String>,
    pub time_zone: String,
    pub created_at: Timestamp,
}

fn location(row: &Row) -> Result<LocationRow, StoreError> {
    Ok(LocationRow {
        id: LocationId(row.get("id")?),
        name: row.get("name")?,
        address: row.get("address")?,
        time_zone: row.get("time_zone")?,
        created_at: row.timestamp("created_at")?,
    })
}

pub async fn insert_location(tx: &mut TenantTx, l: &LocationRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO locations (tenant_id, id, name, address, time_zone, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![l.id, l.name.clone(), l.address.clone(), l.time_zone.clone(), l.created_at],
    )
    .await?;
    Ok(())
}

pub async fn update_location(tx: &mut TenantTx, l: &LocationRow) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "UPDATE locations SET name = $3, address = $4, time_zone = $5 WHERE tenant_id = $1 AND id = $2",
            args![l.id, l.name.clone(), l.address.clone(), l.time_zone.clone()],
        )
        .await?
        > 0)
}

pub async fn locations(tx: &mut TenantTx) -> Result<Vec<LocationRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, name, address, time_zone, created_at FROM locations WHERE tenant_id = $1 ORDER BY name, id",
            args![],
        )
        .await?;
    rows.iter().map(location).collect()
}

pub async fn find_location(tx: &mut TenantTx, id: LocationId) -> Result<Option<LocationRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT id, name, address, time_zone, created_at FROM locations WHERE tenant_id = $1 AND id = $2",
            args![id],
        )
        .await?;
    row.as_ref().map(location).transpose()
}

/// Whether anything was ever booked at the location (then it cannot be deleted).
pub async fn location_in_use(tx: &mut TenantTx, id: LocationId) -> Result<bool, StoreError> {
    Ok(tx
        .fetch_optional(
            "SELECT 1 AS used FROM appointments WHERE tenant_id = $1 AND location_id = $2 LIMIT 1",
            args![id],
        )
        .await?
        .is_some())
}

pub async fn delete_location(tx: &mut TenantTx, id: LocationId) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM locations WHERE tenant_id = $1 AND id = $2", args![id]).await? > 0)
}

#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub id: ServiceId,
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub slot_interval_minutes: i64,
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
    pub price_paise: i64,
    pub gst_rate_bp: i64,
    pub sac_code: Option<String>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn service(row: &Row) -> Result<ServiceRow, StoreError> {
    Ok(ServiceRow {
        id: ServiceId(row.get("id")?),
        name: row.get("name")?,
        description: row.get("description")?,
        duration_minutes: row.get("duration_minutes")?,
        buffer_before_minutes: row.get("buffer_before_minutes")?,
        buffer_after_minutes: row.get("buffer_after_minutes")?,
        slot_interval_minutes: row.get("slot_interval_minutes")?,
        min_notice_minutes: row.get("min_notice_minutes")?,
        horizon_days: row.get("horizon_days")?,
        price_paise: row.get("price_paise")?,
        gst_rate_bp: row.get("gst_rate_bp")?,
        sac_code: row.get("sac_code")?,
        active: row.get("active")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.timestamp("updated_at")?,
    })
}

fn service_values(s: &ServiceRow) -> Vec<Value> {
    args![
        s.id,
        s.name.clone(),
        s.description.clone(),
        s.duration_minutes,
        s.buffer_before_minutes,
        s.buffer_after_minutes,
        s.slot_interval_minutes,
        s.min_notice_minutes,
        s.horizon_days,
        s.price_paise,
        s.gst_rate_bp,
        s.sac_code.clone(),
        s.active,
        s.created_at,
        s.updated_at
    ]
}

pub async fn insert_service(tx: &mut TenantTx, s: &ServiceRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO services (tenant_id, id, name, description, duration_minutes, buffer_before_minutes, buffer_after_minutes,
            slot_interval_minutes, min_notice_minutes, horizon_days, price_paise, gst_rate_bp, sac_code, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        service_values(s),
    )
    .await?;
    Ok(())
}

pub async fn update_service(tx: &mut TenantTx, s: &ServiceRow) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "UPDATE services SET name = $3, description = $4, duration_minutes = $5, buffer_before_minutes = $6,
                buffer_after_minutes = $7, slot_interval_minutes = $8, min_notice_minutes = $9, horizon_days = $10,
                price_paise = $11, gst_rate_bp = $12, sac_code = $13, active = $14, updated_at = $15
             WHERE tenant_id = $1 AND id = $2",
            {
                let mut values = service_values(s);
                values.remove(13);
                values
            },
        )
        .await?
        > 0)
}

pub async fn services(tx: &mut TenantTx) -> Result<Vec<ServiceRow>, StoreError> {
    const SQL: &str = "SELECT id, name, description, duration_minutes, buffer_before_minutes, buffer_after_minutes,
        slot_interval_minutes, min_notice_minutes, horizon_days, price_paise, gst_rate_bp, sac_code, active, created_at, updated_at
        FROM services WHERE tenant_id = $1 ORDER BY name, id";
    tx.fetch_all(SQL, args![]).await?.iter().map(service).collect()
}

pub async fn find_service(tx: &mut TenantTx, id: ServiceId) -> Result<Option<ServiceRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT id, name, description, duration_minutes, buffer_before_minutes, buffer_after_minutes,
                slot_interval_minutes, min_notice_minutes, horizon_days, price_paise, gst_rate_bp, sac_code, active, created_at, updated_at
             FROM services WHERE tenant_id = $1 AND id = $2",
            args![id],
        )
        .await?;
    row.as_ref().map(service).transpose()
}

/// A service and the locations it is offered at (name order), in one read: every booking
/// and availability request needs both.
pub async fn find_service_with_locations(
    tx: &mut TenantTx,
    id: ServiceId,
) -> Result<Option<(ServiceRow, Vec<LocationRow>)>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT s.id, s.name, s.description, s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes,
                    s.slot_interval_minutes, s.min_notice_minutes, s.horizon_days, s.price_paise, s.gst_rate_bp,
                    s.sac_code, s.active, s.created_at, s.updated_at,
                    l.id AS location_id, l.name AS location_name, l.address AS location_address,
                    l.time_zone AS location_time_zone, l.created_at AS location_created_at
             FROM services s
             LEFT JOIN service_locations sl ON sl.tenant_id = s.tenant_id AND sl.service_id = s.id
             LEFT JOIN locations l ON l.tenant_id = sl.tenant_id AND l.id = sl.location_id
             WHERE s.tenant_id = $1 AND s.id = $2 ORDER BY l.name, l.id",
            args![id],
        )
        .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let found = service(first)?;
    let mut locations = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(id) = row.get::<Option<uuid::Uuid>>("location_id")? {
            locations.push(LocationRow {
                id: LocationId(id),
                name: row.get("location_name")?,
                address: row.get("location_address")?,
                time_zone: row.get("location_time_zone")?,
                created_at: row.timestamp("location_created_at")?,
            });
        }
    }
    Ok(Some((found, locations)))
}

macro_rules! performers_sql {
    ($only:literal) => {
        concat!(
            "SELECT s.id, s.name, s.member_id, s.active, s.feed_token_hash IS NOT NULL AS has_feed, s.busy_version,
                    s.created_at, s.updated_at
             FROM staff s JOIN staff_services ss ON ss.tenant_id = s.tenant_id AND ss.staff_id = s.id
             WHERE s.tenant_id = $1 AND ss.service_id = $2 AND s.active ",
            $only,
            " ORDER BY s.name, s.id"
        )
    };
}

/// The active staff who perform a service; with `only`, just that one (none if they do
/// not perform it): a booking for one staff member reads one staff row, not all of them.
pub async fn performers_of(
    tx: &mut TenantTx,
    service: ServiceId,
    only: Option<StaffId>,
) -> Result<Vec<StaffRow>, StoreError> {
    let rows = match only {
        Some(id) => tx.fetch_all(performers_sql!("AND s.id = $3"), args![service, id]).await?,
        None => tx.fetch_all(performers_sql!(""), args![service]).await?,
    };
    rows.iter().map(staff).collect()
}

/// Pairs of (service, location) for every service of the tenant.
pub async fn service_locations(tx: &mut TenantTx) -> Result<Vec<(ServiceId, LocationId)>, StoreError> {
    let rows =
        tx.fetch_all("SELECT service_id, location_id FROM service_locations WHERE tenant_id = $1", args![]).await?;
    rows.iter().map(|r| Ok((ServiceId(r.get_at(0)?), LocationId(r.get_at(1)?)))).collect()
}

pub async fn set_service_locations(
    tx: &mut TenantTx,
    service: ServiceId,
    locations: &[LocationId],
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM service_locations WHERE tenant_id = $1 AND service_id = $2", args![service]).await?;
    for location in locations {
        tx.execute(
            "INSERT INTO service_locations (tenant_id, service_id, location_id) VALUES ($1, $2, $3)",
            args![service, *location],
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub id: StaffId,
    pub name: String,
    pub member_id: Option<MemberId>,
    pub active: bool,
    pub has_feed: bool,
    /// Goes up with every change to the staff member's appointments; availability's cache
    /// of their busy time is valid while it stays the same.
    pub busy_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn staff(row: &Row) -> Result<StaffRow, StoreError> {
    Ok(StaffRow {
        id: StaffId(row.get("id")?),
        name: row.get("name")?,
        member_id: row.get::<Option<uuid::Uuid>>("member_id")?.map(MemberId),
        active: row.get("active")?,
        has_feed: row.get("has_feed")?,
        busy_version: row.get("busy_version")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.timestamp("updated_at")?,
    })
}

pub async fn insert_staff(tx: &mut TenantTx, s: &StaffRow) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO staff (tenant_id, id, name, member_id, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![s.id, s.name.clone(), s.member_id, s.active, s.created_at, s.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn update_staff(tx: &mut TenantTx, s: &StaffRow) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "UPDATE staff SET name = $3, member_id = $4, active = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
            args![s.id, s.name.clone(), s.member_id, s.active, s.updated_at],
        )
        .await?
        > 0)
}

pub async fn staff_list(tx: &mut TenantTx) -> Result<Vec<StaffRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, name, member_id, active, feed_token_hash IS NOT NULL AS has_feed, busy_version, created_at, updated_at
             FROM staff WHERE tenant_id = $1 ORDER BY name, id",
            args![],
        )
        .await?;
    rows.iter().map(staff).collect()
}

pub async fn find_staff(tx: &mut TenantTx, id: StaffId) -> Result<Option<StaffRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT id, name, member_id, active, feed_token_hash IS NOT NULL AS has_feed, busy_version, created_at, updated_at
             FROM staff WHERE tenant_id = $1 AND id = $2",
            args![id],
        )
        .await?;
    row.as_ref().map(staff).transpose()
}

/// Takes the staff member's row lock on PostgreSQL, so the checks a booking or a hold
/// makes (hours, time off, other holds) cannot interleave with another's for the same
/// person. SQLite already runs one writer at a time.
pub async fn lock_staff(tx: &mut TenantTx, id: StaffId) -> Result<(), StoreError> {
    if tx.kind() == crate::StoreKind::Postgres {
        tx.fetch_optional("SELECT id FROM staff WHERE tenant_id = $1 AND id = $2 FOR UPDATE", args![id]).await?;
    }
    Ok(())
}

pub async fn find_staff_by_feed(tx: &mut TenantTx, token_hash: Vec<u8>) -> Result<Option<StaffRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT id, name, member_id, active, feed_token_hash IS NOT NULL AS has_feed, busy_version, created_at, updated_at
             FROM staff WHERE tenant_id = $1 AND feed_token_hash = $2",
            args![token_hash],
        )
        .await?;
    row.as_ref().map(staff).transpose()
}

pub async fn set_feed_token(tx: &mut TenantTx, id: StaffId, token_hash: Option<Vec<u8>>) -> Result<bool, StoreError> {
    Ok(tx
        .execute("UPDATE staff SET feed_token_hash = $3 WHERE tenant_id = $1 AND id = $2", args![id, token_hash])
        .await?
        > 0)
}

/// Pairs of (staff, service) for the whole tenant.
pub async fn staff_services(tx: &mut TenantTx) -> Result<Vec<(StaffId, ServiceId)>, StoreError> {
    let rows = tx.fetch_all("SELECT staff_id, service_id FROM staff_services WHERE tenant_id = $1", args![]).await?;
    rows.iter().map(|r| Ok((StaffId(r.get_at(0)?), ServiceId(r.get_at(1)?)))).collect()
}

pub async fn set_staff_services(tx: &mut TenantTx, id: StaffId, services: &[ServiceId]) -> Result<(), StoreError> {
    tx.execute("DELETE FROM staff_services WHERE tenant_id = $1 AND staff_id = $2", args![id]).await?;
    for service in services {
        tx.execute(
            "INSERT INTO staff_services (tenant_id, staff_id, service_id) VALUES ($1, $2, $3)",
            args![id, *service],
        )
        .await?;
    }
    Ok(())
}

/// One weekly working range as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursRow {
    pub staff_id: StaffId,
    pub weekday: i64,
    pub start_minute: i64,
    pub end_minute: i64,
    pub location_id: LocationId,
}

pub async fn hours(tx: &mut TenantTx, only: Option<StaffId>) -> Result<Vec<HoursRow>, StoreError> {
    let rows = match only {
        Some(id) => {
            tx.fetch_all(
                "SELECT staff_id, weekday, start_minute, end_minute, location_id FROM staff_hours
                 WHERE tenant_id = $1 AND staff_id = $2 ORDER BY weekday, start_minute",
                args![id],
            )
            .await?
        }
        None => {
            tx.fetch_all(
                "SELECT staff_id, weekday, start_minute, end_minute, location_id FROM staff_hours
                 WHERE tenant_id = $1 ORDER BY staff_id, weekday, start_minute",
                args![],
            )
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(HoursRow {
                staff_id: StaffId(r.get_at(0)?),
                weekday: r.get_at(1)?,
                start_minute: r.get_at(2)?,
                end_minute: r.get_at(3)?,
                location_id: LocationId(r.get_at(4)?),
            })
        })
        .collect()
}

pub async fn set_hours(tx: &mut TenantTx, id: StaffId, hours: &[HoursRow]) -> Result<(), StoreError> {
    tx.execute("DELETE FROM staff_hours WHERE tenant_id = $1 AND staff_id = $2", args![id]).await?;
    for h in hours {
        tx.execute(
            "INSERT INTO staff_hours (tenant_id, staff_id, weekday, start_minute, end_minute, location_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, h.weekday, h.start_minute, h.end_minute, h.location_id],
        )
        .await?;
    }
    Ok(())
}

/// One range of a date override; a day off is one row without a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRow {
    pub staff_id: StaffId,
    pub on_date: String,
    pub range: Option<(LocationId, i64, i64)>,
}

pub async fn overrides(
    tx: &mut TenantTx,
    only: Option<StaffId>,
    from_date: &str,
) -> Result<Vec<OverrideRow>, StoreError> {
    let rows = match only {
        Some(id) => {
            tx.fetch_all(
                "SELECT staff_id, on_date, location_id, start_minute, end_minute FROM staff_overrides
                 WHERE tenant_id = $1 AND staff_id = $2 AND on_date >= $3 ORDER BY on_date, position",
                args![id, from_date],
            )
            .await?
        }
        None => {
            tx.fetch_all(
                "SELECT staff_id, on_date, location_id, start_minute, end_minute FROM staff_overrides
                 WHERE tenant_id = $1 AND on_date >= $2 ORDER BY staff_id, on_date, position",
                args![from_date],
            )
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            let location: Option<uuid::Uuid> = r.get_at(2)?;
            let start: Option<i64> = r.get_at(3)?;
            let end: Option<i64> = r.get_at(4)?;
            Ok(OverrideRow {
                staff_id: StaffId(r.get_at(0)?),
                on_date: r.get_at(1)?,
                range: match (location, start, end) {
                    (Some(l), Some(s), Some(e)) => Some((LocationId(l), s, e)),
                    _ => None,
                },
            })
        })
        .collect()
}

/// Replaces one date's override; `None` removes it (the weekly hours apply again), an
/// empty list makes it a day off.
pub async fn set_override(
    tx: &mut TenantTx,
    id: StaffId,
    on_date: &str,
    ranges: Option<&[(LocationId, i64, i64)]>,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM staff_overrides WHERE tenant_id = $1 AND staff_id = $2 AND on_date = $3",
        args![id, on_date],
    )
    .await?;
    let Some(ranges) = ranges else { return Ok(()) };
    if ranges.is_empty() {
        tx.execute(
            "INSERT INTO staff_overrides (tenant_id, staff_id, on_date, position) VALUES ($1, $2, $3, 0)",
            args![id, on_date],
        )
        .await?;
    }
    for (position, (location, start, end)) in ranges.iter().enumerate() {
        tx.execute(
            "INSERT INTO staff_overrides (tenant_id, staff_id, on_date, position, location_id, start_minute, end_minute)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![id, on_date, position as i64, *location, *start, *end],
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct TimeOffRow {
    pub id: TimeOffId,
    pub staff_id: StaffId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: Option<String>,
}

pub async fn insert_time_off(tx: &mut TenantTx, t: &TimeOffRow, now: Timestamp) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO staff_time_off (tenant_id, id, staff_id, starts_at, ends_at, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![t.id, t.staff_id, t.starts_at, t.ends_at, t.reason.clone(), now],
    )
    .await?;
    Ok(())
}

/// A staff member's time off that ends after `from` and starts before `until`.
pub async fn time_off(
    tx: &mut TenantTx,
    staff: StaffId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<TimeOffRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, staff_id, starts_at, ends_at, reason FROM staff_time_off
             WHERE tenant_id = $1 AND staff_id = $2 AND ends_at > $3 AND starts_at < $4 ORDER BY starts_at",
            args![staff, from, until],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TimeOffRow {
                id: TimeOffId(r.get_at(0)?),
                staff_id: StaffId(r.get_at(1)?),
                starts_at: r.timestamp_at(2)?,
                ends_at: r.timestamp_at(3)?,
                reason: r.get_at(4)?,
            })
        })
        .collect()
}

pub async fn delete_time_off(tx: &mut TenantTx, staff: StaffId, id: TimeOffId) -> Result<bool, StoreError> {
    Ok(tx
        .execute("DELETE FROM staff_time_off WHERE tenant_id = $1 AND staff_id = $2 AND id = $3", args![staff, id])
        .await?
        > 0)
}

/// Everything about staff members' time that availability needs besides appointments:
/// weekly hours, overrides from a date on, time off and others' unexpired holds around
/// `[from, until)`, read in one statement (a booking is bound by its round trips); for
/// one staff member, their appointments too when asked.
#[derive(Debug, Default)]
pub struct ScheduleRows {
    pub hours: Vec<HoursRow>,
    pub overrides: Vec<OverrideRow>,
    pub time_off: Vec<(StaffId, Timestamp, Timestamp)>,
    pub holds: Vec<(StaffId, Timestamp, Timestamp)>,
    /// The blocked time of the staff member's appointments, when asked for.
    pub appointments: Option<Vec<(Timestamp, Timestamp)>>,
}

/// Which appointments a one-staff schedule read also answers: those blocking time in
/// `[from, until)` that are not cancelled, leaving out `except` (the one being moved);
/// the same rows as `appointments::blocked` answers for one staff member.
#[derive(Debug, Clone, Copy)]
pub struct AppointmentsWindow {
    pub from: Timestamp,
    pub until: Timestamp,
    pub except: Option<AppointmentId>,
}

/// What a schedule read asks for: whose schedules, from which date and around which
/// stretch of time, and what to leave out.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleQuery<'a> {
    /// One staff member's schedule, or (`None`) every staff member's.
    pub only: Option<StaffId>,
    /// The first date (`YYYY-MM-DD`) whose overrides are read.
    pub overrides_from: &'a str,
    /// Time off and holds are read where they overlap `[from, until)`.
    pub from: Timestamp,
    pub until: Timestamp,
    /// The longest time (microseconds) a hold can block, which bounds the holds' index
    /// range as [`crate::booking::appointments::LONGEST_BLOCK`] bounds appointments'.
    pub longest_block: i64,
    /// Holds that expired by now are left out.
    pub now: Timestamp,
    /// The caller's own hold, which does not stand in their way.
    pub mine: Option<HoldId>,
    /// For one staff member, which of their appointments to read in the same statement.
    pub appointments: Option<AppointmentsWindow>,
}

macro_rules! schedule_sql {
    ($staff:literal) => {
        schedule_sql!($staff, "")
    };
    ($staff:literal, $appointments:literal) => {
        concat!(
            "SELECT 'h' AS kind, staff_id, weekday AS a, start_minute AS b, end_minute AS c, location_id AS place,
                    CAST(NULL AS TEXT) AS day
             FROM staff_hours WHERE tenant_id = $1 ",
            $staff,
            "
             UNION ALL
             SELECT 'o', staff_id, position, start_minute, end_minute, location_id, on_date
             FROM staff_overrides WHERE tenant_id = $1 ",
            $staff,
            " AND on_date >= $3
             UNION ALL
             SELECT 't', staff_id, starts_at, ends_at, CAST(NULL AS BIGINT), CAST(NULL AS UUID), CAST(NULL AS TEXT)
             FROM staff_time_off WHERE tenant_id = $1 ",
            $staff,
            " AND ends_at > $4 AND starts_at < $5
             UNION ALL
             SELECT 'k', staff_id, blocked_from, blocked_until, expires_at, CAST(NULL AS UUID), CAST(NULL AS TEXT)
             FROM slot_holds WHERE tenant_id = $1 ",
            $staff,
            " AND blocked_from > $6 AND blocked_from < $5
               AND blocked_until > $4 AND expires_at > $7 AND appointment_id IS NULL AND ($8 IS NULL OR id <> $8)",
            $appointments,
            "
             ORDER BY 1, 2, 7, 3"
        )
    };
}

/// Reads the schedules `query` asks for, in one statement.
pub async fn schedule_rows(tx: &mut TenantTx, query: &ScheduleQuery<'_>) -> Result<ScheduleRows, StoreError> {
    let ScheduleQuery { only, overrides_from, from, until, longest_block, now, mine, appointments } = *query;
    let rows = match (only, appointments) {
        (Some(id), Some(window)) => {
            tx.fetch_all(
                schedule_sql!(
                    "AND staff_id = $2",
                    "
             UNION ALL
             SELECT 'a', staff_id, blocked_from, blocked_until, CAST(NULL AS BIGINT), CAST(NULL AS UUID),
                    CAST(NULL AS TEXT)
             FROM appointments WHERE tenant_id = $1 AND staff_id = $2 AND blocked_from > $9 AND blocked_from < $10
               AND blocked_until > $11 AND status <> 'cancelled' AND ($12 IS NULL OR id <> $12)"
                ),
                args![
                    id,
                    overrides_from,
                    from,
                    until,
                    from - longest_block,
                    now,
                    mine,
                    window.from - crate::booking::appointments::LONGEST_BLOCK,
                    window.until,
                    window.from,
                    window.except
                ],
            )
            .await?
        }
        (Some(id), None) => {
            tx.fetch_all(
                schedule_sql!("AND staff_id = $2"),
                args![id, overrides_from, from, until, from - longest_block, now, mine],
            )
            .await?
        }
        (None, _) => {
            // $2 is unused here; it keeps the parameter numbers of the one-staff form.
            tx.fetch_all(
                schedule_sql!("AND $2 IS NULL"),
                args![Option::<StaffId>::None, overrides_from, from, until, from - longest_block, now, mine],
            )
            .await?
        }
    };
    let mut out = ScheduleRows {
        appointments: appointments.filter(|_| only.is_some()).map(|_| Vec::new()),
        ..ScheduleRows::default()
    };
    let instant = |micros: Option<i64>| Timestamp::from_micros(micros.unwrap_or_default());
    for r in rows {
        let kind: String = r.get_at(0)?;
        let staff = StaffId(r.get_at(1)?);
        let a: Option<i64> = r.get_at(2)?;
        let b: Option<i64> = r.get_at(3)?;
        let c: Option<i64> = r.get_at(4)?;
        let place: Option<uuid::Uuid> = r.get_at(5)?;
        let day: Option<String> = r.get_at(6)?;
        match kind.as_str() {
            "h" => out.hours.push(HoursRow {
                staff_id: staff,
                weekday: a.unwrap_or_default(),
                start_minute: b.unwrap_or_default(),
                end_minute: c.unwrap_or_default(),
                location_id: LocationId(place.unwrap_or_default()),
            }),
            "o" => out.overrides.push(OverrideRow {
                staff_id: staff,
                on_date: day.unwrap_or_default(),
                range: match (place, b, c) {
                    (Some(l), Some(s), Some(e)) => Some((LocationId(l), s, e)),
                    _ => None,
                },
            }),
            "t" => out.time_off.push((staff, instant(a), instant(b))),
            "a" => out.appointments.get_or_insert_with(Vec::new).push((instant(a), instant(b))),
            _ => out.holds.push((staff, instant(a), instant(b))),
        }
    }
    Ok(out)
}
