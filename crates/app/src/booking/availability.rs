//! Availability as users ask for it: a service, a staff member or anyone, a location or
//! any, some days in the customer's time zone. The store loads each staff member's hours,
//! overrides, time off, appointments and others' held slots in a handful of queries; the
//! domain's pure function decides.

use super::setup::timing_of;
use super::{optional_id, parse_uuid};
use crate::access::principal::Principal;
use crate::{App, AppError};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use steward_domain::booking::availability::{self as rules, DateOverride, Location, Query, Slot, StaffSchedule};
use steward_domain::booking::local_time::{day_start, format_in, parse_day, zone, zoned};
use steward_domain::booking::{ServiceTiming, Span, WeeklyRange};
use steward_domain::ids::{HoldId, LocationId, ServiceId, StaffId};
use steward_domain::permissions::Permission;
use steward_domain::time::Timestamp;
use steward_store::TenantTx;
use steward_store::booking::appointments as appointment_rows;
use steward_store::booking::setup::{self as rows, LocationRow, ServiceRow, StaffRow};

/// Most days one availability request may cover.
pub const MAX_DAYS: i64 = 62;

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AvailabilityQuery")]
pub struct AvailabilityRequest {
    pub service_id: String,
    /// A staff member's id; empty or `anyone` lets Steward choose.
    pub staff_id: Option<String>,
    pub location_id: Option<String>,
    /// First day, `YYYY-MM-DD` in `time_zone` (today by default).
    pub from: Option<String>,
    pub days: Option<i64>,
    /// The customer's time zone, for the days and the times shown (the location's by default).
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Slot")]
pub struct SlotView {
    pub start: String,
    pub staff_id: StaffId,
    pub staff_name: String,
    pub location_id: LocationId,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "AvailableDay")]
pub struct DayView {
    pub date: String,
    pub slots: Vec<SlotView>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Availability")]
pub struct AvailabilityView {
    pub service_id: ServiceId,
    pub time_zone: String,
    pub days: Vec<DayView>,
}

/// A service with where and by whom it can be booked.
pub(crate) struct Offer {
    pub service: ServiceRow,
    pub timing: ServiceTiming,
    pub locations: Vec<LocationRow>,
    pub staff: Vec<StaffRow>,
}

impl Offer {
    pub fn places(&self) -> Vec<Location> {
        self.locations
            .iter()
            .filter_map(|l| jiff::tz::TimeZone::get(&l.time_zone).ok().map(|zone| Location { id: l.id.0, zone }))
            .collect()
    }

    pub fn staff_name(&self, id: StaffId) -> String {
        self.staff.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default()
    }

    /// The zone to show times in when the customer gave none: the first location's.
    pub fn default_zone(&self) -> String {
        self.locations.first().map(|l| l.time_zone.clone()).unwrap_or_else(|| "UTC".into())
    }
}

/// Loads a service with the locations (narrowed to `location`) and active staff (narrowed
/// to `staff`) that can provide it. An inactive service, or a staff member or location
/// that does not offer it, is a 4xx naming the field.
pub(crate) async fn offer(
    tx: &mut TenantTx,
    service: ServiceId,
    staff: Option<StaffId>,
    location: Option<LocationId>,
) -> Result<Offer, AppError> {
    let (service, mut locations) = rows::find_service_with_locations(tx, service).await?.ok_or(AppError::NotFound)?;
    if !service.active {
        return Err(AppError::invalid("service_id", "this service is not offered at the moment"));
    }
    if let Some(wanted) = location {
        locations.retain(|l| l.id == wanted);
        if locations.is_empty() {
            return Err(AppError::invalid("location_id", "this service is not offered at that location"));
        }
    }
    let staff_rows = rows::performers_of(tx, service.id, staff).await?;
    if staff.is_some() && staff_rows.is_empty() {
        return Err(AppError::invalid("staff_id", "this staff member does not perform this service"));
    }
    Ok(Offer { timing: timing_of(&service), service, locations, staff: staff_rows })
}

/// Staff members' busy time as last read, each tagged with the staff row's
/// `busy_version` and the window it covers. Every booking, move, status change or
/// deletion raises that version in its own transaction, and availability reads the
/// versions afresh each time (with the staff rows it needs anyway), so a cached entry is
/// used only while it is exactly what the database holds, on one server or many.
/// Booking itself never uses it: its checks read inside the write transaction.
#[derive(Default)]
pub struct BusyCache {
    entries: std::sync::Mutex<HashMap<(steward_domain::ids::TenantId, StaffId), Busy>>,
}

#[derive(Clone)]
struct Busy {
    version: i64,
    from: Timestamp,
    until: Timestamp,
    spans: std::sync::Arc<Vec<(Timestamp, Timestamp)>>,
}

/// Entries kept at most; past this the cache starts over (each entry is one staff
/// member's few weeks of appointments).
const BUSY_CACHE_ENTRIES: usize = 20_000;

impl BusyCache {
    fn get(
        &self,
        tenant: steward_domain::ids::TenantId,
        staff: &StaffRow,
        from: Timestamp,
        until: Timestamp,
    ) -> Option<Busy> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&(tenant, staff.id))
            .filter(|b| b.version == staff.busy_version && b.from <= from && until <= b.until)
            .cloned()
    }

    fn put(&self, tenant: steward_domain::ids::TenantId, staff: StaffId, busy: Busy) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= BUSY_CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert((tenant, staff), busy);
        }
    }
}

/// Whose schedules to read, around which stretch of time, and what to leave out.
pub(crate) struct ScheduleRequest<'a> {
    pub staff: &'a [StaffRow],
    pub from: Timestamp,
    pub until: Timestamp,
    pub now: Timestamp,
    /// The appointment being moved: it does not stand in its own way.
    pub moving: Option<steward_domain::ids::AppointmentId>,
    /// The caller's own held slot, which does not stand in their way either.
    pub mine: Option<HoldId>,
}

/// Each staff member's schedule around `[from, until)`: hours, overrides, time off,
/// appointments (leaving out `moving`) and slots others hold (leaving out `mine`).
pub(crate) async fn schedules(
    tx: &mut TenantTx,
    cache: Option<&BusyCache>,
    request: &ScheduleRequest<'_>,
) -> Result<Vec<StaffSchedule>, AppError> {
    let ScheduleRequest { staff, moving, mine, .. } = *request;
    let (from, until, now) = (request.from, request.until, request.now);
    let only = if staff.len() == 1 { Some(staff[0].id) } else { None };
    let first_day = (from - 2 * crate::clock::MICROS_PER_DAY)
        .to_jiff()
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_default();
    let margin = appointment_rows::LONGEST_BLOCK;
    let found = rows::schedule_rows(
        tx,
        &rows::ScheduleQuery {
            only,
            overrides_from: &first_day,
            from: from - crate::clock::MICROS_PER_DAY,
            until: until + crate::clock::MICROS_PER_DAY,
            longest_block: margin,
            now,
            mine,
            // One staff member and no cache (a booking's checks): their appointments come
            // in the same statement, one round trip fewer per booking.
            appointments: only.filter(|_| cache.is_none()).map(|_| rows::AppointmentsWindow {
                from: from - margin,
                until: until + margin,
                except: moving,
            }),
        },
    )
    .await?;
    let (hours, overrides, time_off, held) = (found.hours, found.overrides, found.time_off, found.holds);
    let blocked = match (only, found.appointments) {
        (Some(id), Some(spans)) => vec![(id, spans)],
        _ => busy_time(tx, cache, staff, from - margin, until + margin, moving).await?,
    };
    let mut by_staff: HashMap<StaffId, StaffSchedule> =
        staff.iter().map(|s| (s.id, StaffSchedule { staff: s.id.0, ..Default::default() })).collect();
    for h in hours {
        if let Some(s) = by_staff.get_mut(&h.staff_id) {
            s.weekly.push(WeeklyRange {
                weekday: h.weekday as i8,
                location: h.location_id.0,
                start_minute: h.start_minute,
                end_minute: h.end_minute,
            });
        }
    }
    for o in overrides {
        let (Some(s), Ok(date)) = (by_staff.get_mut(&o.staff_id), o.on_date.parse::<jiff::civil::Date>()) else {
            continue;
        };
        if s.overrides.last().is_none_or(|last| last.date != date) {
            s.overrides.push(DateOverride { date, ranges: Vec::new() });
        }
        if let (Some(last), Some((location, start, end))) = (s.overrides.last_mut(), o.range) {
            last.ranges.push((location.0, start, end));
        }
    }
    for (id, from, until) in time_off {
        if let Some(s) = by_staff.get_mut(&id) {
            s.time_off.push(span(from, until));
        }
    }
    for (id, spans) in blocked {
        if let Some(s) = by_staff.get_mut(&id) {
            s.booked.extend(spans.into_iter().map(|(from, until)| span(from, until)));
        }
    }
    for (id, from, until) in held {
        if let Some(s) = by_staff.get_mut(&id) {
            s.booked.push(span(from, until));
        }
    }
    Ok(staff.iter().filter_map(|s| by_staff.remove(&s.id)).collect())
}

/// The domain's span (its rules count in microseconds) of `[from, until)`.
fn span(from: Timestamp, until: Timestamp) -> Span {
    Span { from: from.as_micros(), until: until.as_micros() }
}

/// Appointments' busy time per staff member in `[from, until)`: from the cache where it
/// is current, the rest in one query.
async fn busy_time(
    tx: &mut TenantTx,
    cache: Option<&BusyCache>,
    staff: &[StaffRow],
    from: Timestamp,
    until: Timestamp,
    moving: Option<steward_domain::ids::AppointmentId>,
) -> Result<Vec<(StaffId, Vec<(Timestamp, Timestamp)>)>, AppError> {
    let tenant = tx.tenant();
    let cache = cache.filter(|_| moving.is_none());
    let mut out = Vec::with_capacity(staff.len());
    let mut missing: Vec<&StaffRow> = Vec::new();
    for person in staff {
        match cache.and_then(|c| c.get(tenant, person, from, until)) {
            Some(busy) => out.push((person.id, busy.spans.iter().copied().collect())),
            None => missing.push(person),
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let only = if missing.len() == 1 { Some(missing[0].id) } else { None };
    // A cached window reaches a week past what was asked, so paging through days hits it.
    let until = if cache.is_some() { until + 7 * crate::clock::MICROS_PER_DAY } else { until };
    let mut found: HashMap<StaffId, Vec<(Timestamp, Timestamp)>> =
        appointment_rows::blocked(tx, only, from, until, moving).await?.into_iter().collect();
    for person in missing {
        let spans = found.remove(&person.id).unwrap_or_default();
        if let Some(cache) = cache {
            let busy = Busy { version: person.busy_version, from, until, spans: std::sync::Arc::new(spans.clone()) };
            cache.put(tenant, person.id, busy);
        }
        out.push((person.id, spans));
    }
    Ok(out)
}

/// Free slots of an offer in `[from, until)`: one staff member's, or one per start time
/// for anyone.
pub(crate) fn free(offer: &Offer, schedules: &[StaffSchedule], request: &ScheduleRequest<'_>) -> Vec<Slot> {
    let places = offer.places();
    let query = Query {
        timing: offer.timing,
        locations: &places,
        from: request.from.as_micros(),
        until: request.until.as_micros(),
        now: request.now.as_micros(),
    };
    if schedules.len() == 1 {
        rules::free_slots(&query, &schedules[0])
    } else {
        rules::free_slots_for_anyone(&query, schedules)
    }
}

/// The next few free start times from `after`, looking two weeks ahead: what a refused
/// booking offers instead.
pub(crate) async fn next_free(
    tx: &mut TenantTx,
    offer: &Offer,
    after: Timestamp,
    now: Timestamp,
    count: usize,
) -> Result<Vec<Slot>, AppError> {
    let until = after + 14 * crate::clock::MICROS_PER_DAY;
    let request = ScheduleRequest { staff: &offer.staff, from: after, until, now, moving: None, mine: None };
    let schedules = schedules(tx, None, &request).await?;
    let mut slots = free(offer, &schedules, &request);
    slots.truncate(count);
    Ok(slots)
}

/// Free start times, grouped by the customer's days.
pub async fn find(app: &App, who: &Principal, request: &AvailabilityRequest) -> Result<AvailabilityView, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let view = compute(app, &mut tx, request).await?;
    tx.commit().await?;
    Ok(view)
}

pub(crate) async fn compute(
    app: &App,
    tx: &mut TenantTx,
    request: &AvailabilityRequest,
) -> Result<AvailabilityView, AppError> {
    let service: ServiceId = parse_uuid("service_id", &request.service_id)?;
    let staff = optional_id("staff_id", &request.staff_id)?;
    let location = optional_id("location_id", &request.location_id)?;
    let offer = offer(tx, service, staff, location).await?;
    let zone_name = match &request.time_zone {
        Some(z) if !z.trim().is_empty() => z.trim().to_string(),
        _ => offer.default_zone(),
    };
    let tz = zone("time_zone", &zone_name)?;
    let now = app.now();
    let today = zoned(now, &tz).map(|z| z.date()).ok_or_else(|| AppError::Internal("clock out of range".into()))?;
    let first = match request.from.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(text) => parse_day("from", text)?,
    };
    let days = request.days.unwrap_or(7);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::invalid("days", &format!("must be between 1 and {MAX_DAYS}")));
    }
    if first < today.checked_sub(1.day()).unwrap_or(today) {
        return Err(AppError::invalid("from", "is in the past"));
    }
    let horizon_end = now + offer.timing.horizon_days * crate::clock::MICROS_PER_DAY;
    let last = first.checked_add(days.days()).map_err(|_| AppError::invalid("from", "is out of range"))?;
    let (Some(from), Some(until)) = (day_start(first, &tz), day_start(last, &tz)) else {
        return Err(AppError::invalid("from", "is out of range"));
    };
    if from > horizon_end {
        return Err(AppError::invalid("from", "is beyond how far ahead this service can be booked"));
    }
    let request = ScheduleRequest {
        staff: &offer.staff,
        from: Timestamp::from_micros(from),
        until: Timestamp::from_micros(until),
        now: Timestamp::from_micros(now),
        moving: None,
        mine: None,
    };
    let schedules = schedules(tx, Some(&app.busy_cache), &request).await?;
    let slots = free(&offer, &schedules, &request);
    let mut out: Vec<DayView> = Vec::new();
    for slot in slots {
        let start = format_in(slot.start, &tz);
        let date = start.get(..10).unwrap_or_default().to_string();
        if out.last().is_none_or(|d| d.date != date) {
            out.push(DayView { date: date.clone(), slots: Vec::new() });
        }
        if let Some(day) = out.last_mut() {
            day.slots.push(SlotView {
                start,
                staff_id: StaffId(slot.staff),
                staff_name: offer.staff_name(StaffId(slot.staff)),
                location_id: LocationId(slot.location),
            });
        }
    }
    Ok(AvailabilityView { service_id: service, time_zone: tz.iana_name().unwrap_or(&zone_name).to_string(), days: out })
}
