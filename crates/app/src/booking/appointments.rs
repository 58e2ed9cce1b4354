//! Appointments: book (one, or a recurring series where every occurrence is checked and
//! the colliding ones are reported), move, change status, cancel with a reason, and read
//! for the calendar and a customer's timeline.
//!
//! Double booking is refused twice over: the rules are checked inside the booking's
//! write transaction (SQLite runs one writer at a time; PostgreSQL takes the staff
//! member's row lock), and the database itself refuses an overlapping row (exclusion
//! constraint or triggers), which a losing request hears as 409 with the next free slots.

use super::availability::{self, Offer, next_free, offer, schedules};
use super::{Actor, parse_uuid};
use crate::access::principal::Principal;
use crate::clock::format_instant;
use crate::customers::consents::CheckedConsent;
use crate::customers::records::{CustomerInput, find_or_create_by_contact};
use crate::{App, AppError, audit};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_domain::booking::availability::{Query, Refusal, check_start};
use steward_domain::booking::local_time::{format_in, parse_day, parse_start, zone};
use steward_domain::booking::recurrence::{Repeat, occurrences};
use steward_domain::booking::{Status, format_price, format_rate};
use steward_domain::customers::{Source, parse_text};
use steward_domain::ids::{AppointmentId, CustomerId, HoldId, LocationId, SeriesId, ServiceId, StaffId};
use steward_domain::permissions::Permission;
use steward_store::booking::appointments::{self as rows, AppointmentRow, NewAppointment};
use steward_store::booking::setup as setup_rows;
use steward_store::{StoreError, TenantTx};

const DAY: i64 = 86_400_000_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatInput {
    pub every_weeks: i64,
    pub until: Option<String>,
    pub count: Option<i64>,
}

/// A booking as a form or an API call asks for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    /// An existing customer; or give `customer` (name, phone, email) to find or add one.
    pub customer_id: Option<String>,
    pub customer: Option<CustomerInput>,
    pub service_id: String,
    /// Empty or `anyone` lets Steward choose among the staff who perform the service.
    pub staff_id: Option<String>,
    pub location_id: Option<String>,
    /// `2026-12-01T10:30` in `time_zone` (the location's by default), or with its offset.
    pub start: String,
    pub time_zone: Option<String>,
    pub notes: Option<String>,
    pub repeat: Option<RepeatInput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppointmentView {
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
    pub start: String,
    pub end: String,
    pub status: Status,
    pub price: String,
    pub gst_rate: String,
    pub notes: Option<String>,
    pub series_id: Option<SeriesId>,
    pub cancel_reason: Option<String>,
    pub booked_via: String,
    pub created_at: String,
    pub updated_at: String,
}

impl AppointmentView {
    /// The start's wall-clock time, `10:30`.
    pub fn start_time(&self) -> &str {
        self.start.get(11..16).unwrap_or_default()
    }

    pub fn end_time(&self) -> &str {
        self.end.get(11..16).unwrap_or_default()
    }

    pub fn start_date(&self) -> &str {
        self.start.get(..10).unwrap_or_default()
    }
}

pub(crate) fn view(a: &AppointmentRow) -> AppointmentView {
    let tz = jiff::tz::TimeZone::get(&a.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    AppointmentView {
        id: a.id,
        customer_id: a.customer_id,
        customer_name: a.customer_name.clone(),
        service_id: a.service_id,
        service_name: a.service_name.clone(),
        staff_id: a.staff_id,
        staff_name: a.staff_name.clone(),
        location_id: a.location_id,
        location_name: a.location_name.clone(),
        time_zone: a.time_zone.clone(),
        start: format_in(a.starts_at, &tz),
        end: format_in(a.ends_at, &tz),
        status: Status::parse("status", &a.status).unwrap_or(Status::Booked),
        price: format_price(a.price_paise),
        gst_rate: format_rate(a.gst_rate_bp),
        notes: a.notes.clone(),
        series_id: a.series_id,
        cancel_reason: a.cancel_reason.clone(),
        booked_via: a.booked_via.clone(),
        created_at: format_instant(a.created_at),
        updated_at: format_instant(a.updated_at),
    }
}

/// One occurrence of a series that could not be booked.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictView {
    pub start: String,
    pub reason: String,
    pub next_free: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BookingResult {
    pub appointments: Vec<AppointmentView>,
    pub conflicts: Vec<ConflictView>,
}

fn optional_id<T: From<uuid::Uuid>>(field: &str, raw: &Option<String>) -> Result<Option<T>, AppError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") | Some("anyone") | Some("any") => Ok(None),
        Some(text) => parse_uuid(field, text).map(Some),
    }
}

/// Where a booking goes and how it came in.
pub(crate) struct Placement<'a> {
    pub offer: &'a Offer,
    pub staff: Option<StaffId>,
    pub via: &'static str,
    pub hold: Option<HoldId>,
    pub series: Option<SeriesId>,
    pub notes: Option<String>,
    pub zone: jiff::tz::TimeZone,
}

/// Why one start could not be booked, and what is free instead.
pub(crate) struct Refused {
    pub refusal: Refusal,
    pub next_free: Vec<String>,
}

impl Refused {
    pub fn into_error(self) -> AppError {
        match self.refusal {
            Refusal::Taken => AppError::SlotTaken {
                message: format!("start: {}", Refusal::Taken.message()),
                next_free: self.next_free,
            },
            other => AppError::invalid("start", other.message()),
        }
    }
}

/// Books one start inside `tx`: picks the staff member if anyone will do, takes their
/// lock, checks every rule against what is stored now, and inserts. A refusal says why
/// and offers the next free starts.
pub(crate) async fn book_one(
    app: &App,
    tx: &mut TenantTx,
    actor: Actor<'_>,
    placement: &Placement<'_>,
    customer: CustomerId,
    start: i64,
) -> Result<Result<AppointmentRow, Refused>, AppError> {
    let now = app.now();
    let offer = placement.offer;
    let places = offer.places();
    let query = Query { timing: offer.timing, locations: &places, from: start - DAY, until: start + DAY, now };
    let staff = match placement.staff {
        Some(id) => id,
        None => {
            // Anyone: the eligible staff member with the fewest appointments that day.
            let all = schedules(tx, &offer.staff, start - DAY, start + DAY, now, None, placement.hold).await?;
            let mut best: Option<(usize, StaffId)> = None;
            let mut first_refusal = Refusal::OutsideHours;
            for schedule in &all {
                match check_start(&query, schedule, start) {
                    Ok(_) => {
                        let load = schedule.booked.iter().filter(|b| (b.from - start).abs() < DAY).count();
                        if best.is_none_or(|(l, _)| load < l) {
                            best = Some((load, StaffId(schedule.staff)));
                        }
                    }
                    Err(Refusal::Taken) => first_refusal = Refusal::Taken,
                    Err(other) if first_refusal != Refusal::Taken => first_refusal = other,
                    Err(_) => {}
                }
            }
            match best {
                Some((_, id)) => id,
                None => return refused(tx, placement, first_refusal, start, now).await.map(Err),
            }
        }
    };
    setup_rows::lock_staff(tx, staff).await?;
    let chosen: Vec<_> = offer.staff.iter().filter(|s| s.id == staff).cloned().collect();
    let mine = schedules(tx, &chosen, start - DAY, start + DAY, now, None, placement.hold).await?;
    let Some(schedule) = mine.first() else {
        return Err(AppError::invalid("staff_id", "this staff member does not perform this service"));
    };
    let location = match check_start(&query, schedule, start) {
        Ok(location) => LocationId(location),
        Err(refusal) => return refused(tx, placement, refusal, start, now).await.map(Err),
    };
    let blocked = offer.timing.blocked(start);
    let appointment = NewAppointment {
        id: AppointmentId::generate(),
        customer_id: customer,
        service_id: offer.service.id,
        staff_id: staff,
        location_id: location,
        starts_at: start,
        ends_at: offer.timing.end(start),
        blocked_from: blocked.from,
        blocked_until: blocked.until,
        price_paise: offer.service.price_paise,
        gst_rate_bp: offer.service.gst_rate_bp,
        notes: placement.notes.clone(),
        series_id: placement.series,
        booked_via: placement.via,
        created_by: actor.member(),
    };
    match rows::insert(tx, &appointment, now).await {
        Ok(()) => {}
        Err(StoreError::Overlap) => return refused(tx, placement, Refusal::Taken, start, now).await.map(Err),
        Err(other) => return Err(other.into()),
    }
    let details = json!({
        "service_id": offer.service.id, "staff_id": staff, "location_id": location,
        "start": format_instant(start), "via": placement.via, "series_id": placement.series,
    });
    audit::record(
        app,
        tx,
        actor.event("appointment.booked", Some(("appointment", appointment.id.to_string())), details),
    )
    .await?;
    rows::find(tx, appointment.id).await?.map(Ok).ok_or(AppError::NotFound)
}

async fn refused(
    tx: &mut TenantTx,
    placement: &Placement<'_>,
    refusal: Refusal,
    start: i64,
    now: i64,
) -> Result<Refused, AppError> {
    let offer = placement.offer;
    let narrowed: Offer;
    let target = match placement.staff {
        Some(id) => {
            narrowed = Offer {
                service: offer.service.clone(),
                timing: offer.timing,
                locations: offer.locations.clone(),
                staff: offer.staff.iter().filter(|s| s.id == id).cloned().collect(),
            };
            &narrowed
        }
        None => offer,
    };
    let slots = next_free(tx, target, start.max(now), now, 5).await?;
    Ok(Refused { refusal, next_free: slots.iter().map(|s| format_in(s.start, &placement.zone)).collect() })
}

/// Checks who the booking is for: an existing customer, or one found or added by contact.
async fn customer_of(
    app: &App,
    tx: &mut TenantTx,
    actor: Actor<'_>,
    input: &BookingInput,
    consents: &[CheckedConsent],
    source: Source,
) -> Result<CustomerId, AppError> {
    match (&input.customer_id, &input.customer) {
        (Some(raw), _) if !raw.trim().is_empty() => {
            let id: CustomerId = parse_uuid("customer_id", raw)?;
            steward_store::customers::records::find(tx, id)
                .await?
                .ok_or_else(|| AppError::invalid("customer_id", "is not a customer of this business"))?;
            Ok(id)
        }
        (_, Some(contact)) => {
            if contact.phone.as_deref().is_none_or(|p| p.trim().is_empty())
                && contact.email.as_deref().is_none_or(|e| e.trim().is_empty())
            {
                return Err(AppError::invalid("customer.phone", "give a phone number or an email"));
            }
            Ok(find_or_create_by_contact(app, tx, actor, contact, source, consents).await?.0)
        }
        _ => Err(AppError::invalid("customer_id", "is required (or give customer with a name and a phone or email)")),
    }
}

/// Books an appointment, or a recurring series, for a member.
pub async fn book(app: &App, who: &Principal, input: &BookingInput) -> Result<BookingResult, AppError> {
    who.require(Permission::BookingsManage)?;
    let via = match who.credential {
        crate::access::principal::Credential::ApiToken { .. } => "api",
        crate::access::principal::Credential::Session { .. } => "staff",
    };
    let mut tx = app.store.begin_tenant(who.tenant).await?;
    let result = book_in(app, &mut tx, Actor::Member(who), input, via, None, &[]).await?;
    tx.commit().await?;
    Ok(result)
}

/// The shared body of staff, API and public bookings.
pub(crate) async fn book_in(
    app: &App,
    tx: &mut TenantTx,
    actor: Actor<'_>,
    input: &BookingInput,
    via: &'static str,
    hold: Option<HoldId>,
    consents: &[CheckedConsent],
) -> Result<BookingResult, AppError> {
    let service: ServiceId = parse_uuid("service_id", &input.service_id)?;
    let staff: Option<StaffId> = optional_id("staff_id", &input.staff_id)?;
    let location: Option<LocationId> = optional_id("location_id", &input.location_id)?;
    let notes = match &input.notes {
        Some(n) => parse_text("notes", n, 2000)?,
        None => None,
    };
    let offer = offer(tx, service, staff, location).await?;
    let zone_name = match &input.time_zone {
        Some(z) if !z.trim().is_empty() => z.trim().to_string(),
        _ => offer.default_zone(),
    };
    let tz = zone("time_zone", &zone_name)?;
    let first = parse_start("start", &input.start, &tz)?;
    let starts = match &input.repeat {
        None => vec![first],
        Some(r) => {
            let until = r.until.as_deref().map(|u| parse_day("repeat.until", u)).transpose()?;
            let local = jiff::Timestamp::from_microsecond(first)
                .map_err(|_| AppError::invalid("start", "is out of range"))?
                .to_zoned(tz.clone())
                .datetime();
            occurrences(local, &tz, Repeat { every_weeks: r.every_weeks, until, count: r.count })?
        }
    };
    let source = if via == "online" { Source::OnlineBooking } else { Source::WalkIn };
    let customer = customer_of(app, tx, actor, input, consents, source).await?;
    let mut placement = Placement {
        offer: &offer,
        staff,
        via,
        hold,
        series: if starts.len() > 1 { Some(SeriesId::generate()) } else { None },
        notes,
        zone: tz.clone(),
    };
    let mut booked = Vec::new();
    let mut conflicts = Vec::new();
    for start in starts {
        match book_one(app, tx, actor, &placement, customer, start).await? {
            Ok(row) => {
                // A series stays with the person who took its first appointment.
                placement.staff.get_or_insert(row.staff_id);
                booked.push(view(&row));
            }
            Err(refused) if placement.series.is_none() => return Err(refused.into_error()),
            Err(refused) => conflicts.push(ConflictView {
                start: format_in(start, &tz),
                reason: refused.refusal.message().to_string(),
                next_free: refused.next_free,
            }),
        }
    }
    if booked.is_empty() {
        return Err(AppError::SlotTaken {
            message: "start: no occurrence of the series is free".into(),
            next_free: conflicts.first().map(|c| c.next_free.clone()).unwrap_or_default(),
        });
    }
    Ok(BookingResult { appointments: booked, conflicts })
}

pub async fn get(app: &App, who: &Principal, id: AppointmentId) -> Result<AppointmentView, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(view(&found))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    /// First day, `YYYY-MM-DD` in `time_zone` (today by default).
    pub from: Option<String>,
    pub days: Option<i64>,
    pub staff_id: Option<String>,
    pub location_id: Option<String>,
    /// The business's time zone by default.
    pub time_zone: Option<String>,
}

/// Appointments in some days, for the calendar and the API.
pub async fn list(app: &App, who: &Principal, request: &ListRequest) -> Result<Vec<AppointmentView>, AppError> {
    who.require(Permission::BookingsRead)?;
    let staff: Option<StaffId> = optional_id("staff_id", &request.staff_id)?;
    let location: Option<LocationId> = optional_id("location_id", &request.location_id)?;
    let days = request.days.unwrap_or(1);
    if !(1..=availability::MAX_DAYS).contains(&days) {
        return Err(AppError::invalid("days", &format!("must be between 1 and {}", availability::MAX_DAYS)));
    }
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
    let tz =
        zone("time_zone", request.time_zone.as_deref().filter(|z| !z.trim().is_empty()).unwrap_or(&tenant.time_zone))?;
    let (from, until) = day_range(app, &tz, request.from.as_deref(), days)?;
    let found = rows::in_range(&mut tx, from, until, staff, location, 5000).await?;
    tx.commit().await?;
    Ok(found.iter().map(view).collect())
}

/// `[first day's start, start of the day after the last)` in `tz`.
pub(crate) fn day_range(
    app: &App,
    tz: &jiff::tz::TimeZone,
    from: Option<&str>,
    days: i64,
) -> Result<(i64, i64), AppError> {
    use jiff::ToSpan;
    use steward_domain::booking::local_time::{day_start, zoned};
    let first = match from.map(str::trim) {
        None | Some("") => zoned(app.now(), tz).map(|z| z.date()).ok_or_else(|| AppError::Internal("clock".into()))?,
        Some(text) => parse_day("from", text)?,
    };
    let last = first.checked_add(days.days()).map_err(|_| AppError::invalid("from", "is out of range"))?;
    match (day_start(first, tz), day_start(last, tz)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(AppError::invalid("from", "is out of range")),
    }
}

/// A customer's appointments, latest first, and how many times they did not come.
pub async fn of_customer(
    app: &App,
    who: &Principal,
    customer: CustomerId,
) -> Result<(Vec<AppointmentView>, i64), AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    // A customer of another tenant is "not found", not an empty history.
    steward_store::customers::records::find(&mut tx, customer).await?.ok_or(AppError::NotFound)?;
    let found = rows::of_customer(&mut tx, customer, 200).await?;
    let no_shows = rows::no_shows(&mut tx, customer).await?;
    tx.commit().await?;
    Ok((found.iter().map(view).collect(), no_shows))
}

/// A change to an appointment: a new time (and staff member or location), or notes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentChange {
    pub start: Option<String>,
    pub staff_id: Option<String>,
    pub location_id: Option<String>,
    pub time_zone: Option<String>,
    pub notes: Option<String>,
}

/// Moves an appointment (the same rules as booking it) and/or changes its notes.
pub async fn change(
    app: &App,
    who: &Principal,
    id: AppointmentId,
    input: &AppointmentChange,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::BookingsManage)?;
    let mut tx = app.store.begin_tenant(who.tenant).await?;
    let current = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let now = app.now();
    let mut changed: Vec<&str> = Vec::new();
    let moving = input.start.is_some() || input.staff_id.is_some() || input.location_id.is_some();
    if moving {
        let status = Status::parse("status", &current.status)?;
        if !status.is_open() {
            return Err(AppError::NotAllowed(format!(
                "a {} appointment cannot be moved",
                status.label().to_lowercase()
            )));
        }
        let staff = match optional_id::<StaffId>("staff_id", &input.staff_id)? {
            Some(s) => s,
            None if input.staff_id.is_some() => {
                return Err(AppError::invalid("staff_id", "name the staff member to move to"));
            }
            None => current.staff_id,
        };
        let location = optional_id::<LocationId>("location_id", &input.location_id)?;
        let offer = offer(&mut tx, current.service_id, Some(staff), location).await?;
        let tz = zone(
            "time_zone",
            input.time_zone.as_deref().filter(|z| !z.trim().is_empty()).unwrap_or(&current.time_zone),
        )?;
        let start = match &input.start {
            Some(text) => parse_start("start", text, &tz)?,
            None => current.starts_at,
        };
        setup_rows::lock_staff(&mut tx, staff).await?;
        let schedule = schedules(&mut tx, &offer.staff, start - DAY, start + DAY, now, Some(id), None).await?;
        let places = offer.places();
        let query = Query { timing: offer.timing, locations: &places, from: start - DAY, until: start + DAY, now };
        let placement = Placement {
            offer: &offer,
            staff: Some(staff),
            via: "staff",
            hold: None,
            series: None,
            notes: None,
            zone: tz,
        };
        let location = match schedule.first().map(|s| check_start(&query, s, start)) {
            Some(Ok(location)) => LocationId(location),
            Some(Err(refusal)) => return Err(refused(&mut tx, &placement, refusal, start, now).await?.into_error()),
            None => return Err(AppError::invalid("staff_id", "this staff member does not perform this service")),
        };
        let blocked = offer.timing.blocked(start);
        let moved = rows::reschedule(
            &mut tx,
            id,
            staff,
            location,
            start,
            offer.timing.end(start),
            blocked.from,
            blocked.until,
            now,
        )
        .await;
        match moved {
            Ok(_) => {}
            Err(StoreError::Overlap) => {
                return Err(refused(&mut tx, &placement, Refusal::Taken, start, now).await?.into_error());
            }
            Err(other) => return Err(other.into()),
        }
        changed.push("start");
        if staff != current.staff_id {
            changed.push("staff_id");
        }
        if location != current.location_id {
            changed.push("location_id");
        }
    }
    if let Some(notes) = &input.notes {
        rows::set_notes(&mut tx, id, parse_text("notes", notes, 2000)?, now).await?;
        changed.push("notes");
    }
    let after = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let details = json!({
        "fields": changed,
        "start": { "old": format_instant(current.starts_at), "new": format_instant(after.starts_at) },
    });
    audit::record(app, &mut tx, audit::by(who, "appointment.changed", Some(("appointment", id.to_string())), details))
        .await?;
    tx.commit().await?;
    Ok(view(&after))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: String,
    /// Why, for a cancellation (required then).
    pub reason: Option<String>,
}

/// Confirms, checks in, completes, marks a no-show or cancels an appointment.
pub async fn set_status(
    app: &App,
    who: &Principal,
    id: AppointmentId,
    input: &StatusChange,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::BookingsManage)?;
    let next = Status::parse("status", &input.status)?;
    let reason = match &input.reason {
        Some(r) => parse_text("reason", r, 500)?,
        None => None,
    };
    if next == Status::Cancelled && reason.is_none() {
        return Err(AppError::invalid("reason", "say why the appointment is cancelled"));
    }
    let mut tx = app.store.begin_tenant(who.tenant).await?;
    let current = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let status = Status::parse("status", &current.status)?;
    if status == next {
        tx.commit().await?;
        return Ok(view(&current));
    }
    if !status.can_become(next) {
        return Err(AppError::NotAllowed(format!(
            "a {} appointment cannot become {}",
            status.label().to_lowercase(),
            next.label().to_lowercase()
        )));
    }
    let now = app.now();
    if matches!(next, Status::Arrived | Status::Completed | Status::NoShow) && current.starts_at > now + DAY {
        return Err(AppError::invalid("status", "the appointment has not happened yet"));
    }
    rows::set_status(&mut tx, id, next.name(), reason, now).await?;
    if next == Status::Completed {
        rows::mark_visit(&mut tx, current.customer_id, current.starts_at).await?;
    }
    let action = if next == Status::Cancelled { "appointment.cancelled" } else { "appointment.status_changed" };
    let details = json!({ "status": { "old": status.name(), "new": next.name() } });
    audit::record(app, &mut tx, audit::by(who, action, Some(("appointment", id.to_string())), details)).await?;
    let after = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(view(&after))
}

/// Every appointment of a recurring series.
pub async fn series(app: &App, who: &Principal, series: SeriesId) -> Result<Vec<AppointmentView>, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::of_series(&mut tx, series).await?;
    tx.commit().await?;
    Ok(found.iter().map(view).collect())
}
