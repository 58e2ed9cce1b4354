//! Appointments: book (one, or a recurring series where every occurrence is checked and
//! the colliding ones are reported), move, change status, cancel with a reason, and read
//! for the calendar and a customer's timeline.
//!
//! Double booking is refused twice over: the rules are checked inside the booking's
//! write transaction (SQLite runs one writer at a time; PostgreSQL takes the staff
//! member's row lock), and the database itself refuses an overlapping row (exclusion
//! constraint or triggers), which a losing request hears as 409 with the next free slots.

use super::availability::{self, Offer, ScheduleRequest, next_free, offer, schedules};
use super::{Actor, optional_id, parse_uuid};
use crate::access::principal::Principal;
use crate::clock::format_instant;
use crate::customers::consents::CheckedConsent;
use crate::customers::records::{CustomerInput, find_or_create_by_contact};
use crate::messaging::outbox::{About, Planner};
use crate::{App, AppError, audit};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_domain::booking::availability::{Query, Refusal, check_start, load_on_day};
use steward_domain::booking::local_time::{
    WrittenStart, format_in, parse_day, parse_start, parse_written_start, zone, zoned,
};
use steward_domain::booking::recurrence::{Repeat, occurrences};
use steward_domain::booking::{ServiceTiming, Status, format_price, format_rate};
use steward_domain::customers::{Source, parse_text};
use steward_domain::ids::{AppointmentId, CustomerId, HoldId, LocationId, SeriesId, ServiceId, StaffId};
use steward_domain::permissions::Permission;
use steward_domain::time::Timestamp;
use steward_store::booking::appointments::{self as rows, AppointmentRow, NewAppointment};
use steward_store::booking::setup as setup_rows;
use steward_store::{StoreError, TenantTx};

const DAY: i64 = crate::clock::MICROS_PER_DAY;

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Repeat")]
pub struct RepeatInput {
    pub every_weeks: i64,
    /// The last day a visit may fall on, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub until: Option<String>,
    pub count: Option<i64>,
}

/// A booking as a form or an API call asks for it.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AppointmentNew")]
pub struct BookingInput {
    /// An existing customer; or give `customer` (name, phone, email) to find or add one.
    #[schemars(with = "Option<steward_domain::ids::CustomerId>")]
    pub customer_id: Option<String>,
    pub customer: Option<CustomerInput>,
    #[schemars(with = "steward_domain::ids::ServiceId")]
    pub service_id: String,
    /// Empty or `anyone` lets Steward choose among the staff who perform the service.
    pub staff_id: Option<String>,
    #[schemars(with = "Option<steward_domain::ids::LocationId>")]
    pub location_id: Option<String>,
    /// `2026-12-01T10:30` in `time_zone` (the location's by default), or with its offset.
    pub start: String,
    /// IANA name; the location's by default.
    pub time_zone: Option<String>,
    pub notes: Option<String>,
    pub repeat: Option<RepeatInput>,
    /// The customer came in without booking: `start` is earlier today (up to twelve hours
    /// ago, or within the next few minutes), the visit is recorded as arrived, or completed
    /// once its time is over, and no confirmation or reminder goes out.
    pub walk_in: Option<bool>,
}

/// How far back a walk-in may be recorded, and how far ahead "now" reaches.
const WALK_IN_BACK: i64 = 12 * crate::clock::MICROS_PER_HOUR;
const WALK_IN_AHEAD: i64 = 5 * crate::clock::MICROS_PER_MINUTE;

impl BookingInput {
    /// The booking this input asks for, or the first field that is not right. Checks that
    /// need the business's records (is this a customer, is the time free) come later.
    pub fn parse(&self) -> Result<BookingRequest, AppError> {
        let service: ServiceId = parse_uuid("service_id", &self.service_id)?;
        let staff: Option<StaffId> = optional_id("staff_id", &self.staff_id)?;
        let location: Option<LocationId> = optional_id("location_id", &self.location_id)?;
        let notes = match &self.notes {
            Some(n) => parse_text("notes", n, 2000)?,
            None => None,
        };
        let whom = match (&self.customer_id, &self.customer) {
            (Some(raw), _) if !raw.trim().is_empty() => Whom::Existing(parse_uuid("customer_id", raw)?),
            (_, Some(contact)) => Whom::contact(contact.clone())?,
            _ => {
                return Err(AppError::invalid(
                    "customer_id",
                    "is required (or give customer with a name and a phone or email)",
                ));
            }
        };
        let zone = match &self.time_zone {
            Some(z) if !z.trim().is_empty() => Some(zone("time_zone", z.trim())?),
            _ => None,
        };
        let written = parse_written_start("start", &self.start)?;
        let start = match zone {
            Some(zone) => Start::Zoned(written.in_zone("start", &zone)?),
            None => Start::InLocationZone(written),
        };
        let repeat = match &self.repeat {
            None => None,
            Some(r) => Some(Repeat {
                every_weeks: r.every_weeks,
                until: r.until.as_deref().map(|u| parse_day("repeat.until", u)).transpose()?,
                count: r.count,
            }),
        };
        let walk_in = self.walk_in.unwrap_or(false);
        if walk_in && repeat.is_some() {
            return Err(AppError::invalid("repeat", "a walk-in is one visit; book the next ones as appointments"));
        }
        Ok(BookingRequest { whom, service, staff, location, start, notes, repeat, consents: Vec::new(), walk_in })
    }
}

/// A booking as Steward takes it, parsed once from an API call, the staff's booking form
/// or the public booking page.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub whom: Whom,
    pub service: ServiceId,
    /// `None` lets Steward choose among the staff who perform the service.
    pub staff: Option<StaffId>,
    pub location: Option<LocationId>,
    pub start: Start,
    pub notes: Option<String>,
    pub repeat: Option<Repeat>,
    /// What the customer agreed to while booking (the public booking page asks).
    pub consents: Vec<CheckedConsent>,
    /// Recorded after the customer came in (see [`BookingInput::walk_in`]).
    pub walk_in: bool,
}

/// When a booking starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// An instant in the zone it was given in: the booking's times are shown there, and a
    /// series keeps its wall-clock time there.
    Zoned(jiff::Zoned),
    /// Given without a zone: read in the zone of the first location that offers the
    /// service, which is known once the service is read.
    InLocationZone(WrittenStart),
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Appointment")]
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
    /// The price in paise, for pages to show as `₹1,800`; the API has `price`.
    #[serde(skip)]
    #[schemars(skip)]
    pub price_paise: i64,
    pub gst_rate: String,
    pub notes: Option<String>,
    pub series_id: Option<SeriesId>,
    pub cancel_reason: Option<String>,
    #[schemars(extend("enum" = ["staff", "online", "api"]))]
    pub booked_via: String,
    pub created_at: String,
    pub updated_at: String,
    /// Start and end on the location's clock, for pages; the API has `start` and `end`.
    #[serde(skip)]
    #[schemars(skip)]
    pub local: Option<(jiff::Zoned, jiff::Zoned)>,
}

impl AppointmentView {
    /// When it is, as a page says it: `Tue 2 Jun 2026, 10:00 am – 10:30 am`.
    pub fn when(&self, language: &steward_domain::language::Language) -> String {
        self.local.as_ref().map(|(start, end)| steward_domain::human::span(*language, start, end)).unwrap_or_default()
    }

    /// How long it lasts, in minutes.
    pub fn length_minutes(&self) -> i64 {
        self.local
            .as_ref()
            .map(|(start, end)| (end.timestamp().as_second() - start.timestamp().as_second()) / 60)
            .unwrap_or_default()
    }

    /// From and until on the clock, for a list of one day: `10:00 am – 10:30 am`.
    pub fn clock_span(&self) -> String {
        self.local
            .as_ref()
            .map(|(start, end)| {
                format!("{} – {}", steward_domain::human::clock(start.time()), steward_domain::human::clock(end.time()))
            })
            .unwrap_or_default()
    }

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
        start: format_in(a.starts_at.as_micros(), &tz),
        end: format_in(a.ends_at.as_micros(), &tz),
        local: zoned(a.starts_at.as_micros(), &tz).zip(zoned(a.ends_at.as_micros(), &tz)),
        status: a.status,
        price: format_price(a.price_paise),
        price_paise: a.price_paise,
        gst_rate: format_rate(a.gst_rate_bp),
        notes: a.notes.clone(),
        series_id: a.series_id,
        cancel_reason: a.cancel_reason.clone(),
        booked_via: a.booked_via.clone(),
        created_at: format_instant(a.created_at.as_micros()),
        updated_at: format_instant(a.updated_at.as_micros()),
    }
}

/// One occurrence of a series that could not be booked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "BookingConflict")]
pub struct ConflictView {
    pub start: String,
    pub reason: String,
    pub next_free: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BookingResult {
    pub appointments: Vec<AppointmentView>,
    pub conflicts: Vec<ConflictView>,
}

/// Where a booking goes and how it came in.
pub(crate) struct Placement<'a> {
    pub offer: &'a Offer,
    pub staff: Option<StaffId>,
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

async fn refused(
    tx: &mut TenantTx,
    placement: &Placement<'_>,
    refusal: Refusal,
    start: Timestamp,
    now: Timestamp,
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

/// Checks one start for one staff member inside a write transaction (a move, a hold):
/// takes the staff member's lock, reads their schedule as it is now (leaving out the
/// appointment being moved and the caller's own hold), and answers the location, or the
/// refusal as an error with the next free starts.
pub(crate) async fn check_in_write(
    tx: &mut TenantTx,
    placement: &Placement<'_>,
    start: Timestamp,
    now: Timestamp,
    moving: Option<AppointmentId>,
    hold: Option<HoldId>,
) -> Result<LocationId, AppError> {
    let offer = placement.offer;
    let staff = placement.staff.ok_or_else(|| AppError::invalid("staff_id", "name the staff member"))?;
    setup_rows::lock_staff(tx, staff).await?;
    let around =
        ScheduleRequest { staff: &offer.staff, from: start - DAY, until: start + DAY, now, moving, mine: hold };
    let schedule = schedules(tx, None, &around).await?;
    let places = offer.places();
    let query = Query {
        timing: offer.timing,
        locations: &places,
        from: (start - DAY).as_micros(),
        until: (start + DAY).as_micros(),
        now: now.as_micros(),
    };
    match schedule.first().map(|s| check_start(&query, s, start.as_micros())) {
        Some(Ok(location)) => Ok(LocationId(location)),
        Some(Err(refusal)) => Err(refused(tx, placement, refusal, start, now).await?.into_error()),
        None => Err(AppError::invalid("staff_id", "this staff member does not perform this service")),
    }
}

/// Who a booking is for.
#[derive(Debug, Clone)]
pub enum Whom {
    Existing(CustomerId),
    /// Found by phone or email, or added.
    Contact(Box<CustomerInput>),
}

impl Whom {
    /// Someone to find or add by their contact details, which must include a phone number
    /// or an email.
    pub fn contact(contact: CustomerInput) -> Result<Whom, AppError> {
        if contact.phone.as_deref().is_none_or(|p| p.trim().is_empty())
            && contact.email.as_deref().is_none_or(|e| e.trim().is_empty())
        {
            return Err(AppError::invalid("customer.phone", "give a phone number or an email"));
        }
        Ok(Whom::Contact(Box::new(contact)))
    }
}

/// Where one start goes (staff member and location), or why it cannot be booked.
pub(crate) type Plan = Result<(StaffId, LocationId), Refusal>;

/// A booking checked against every rule, ready to write: for each start, the staff
/// member and location, or why not.
pub(crate) struct Prepared {
    pub offer: Offer,
    pub zone: jiff::tz::TimeZone,
    pub whom: Whom,
    pub plans: Vec<(Timestamp, Plan)>,
    pub series: Option<SeriesId>,
    pub notes: Option<String>,
    /// The staff member asked for, if one was.
    pub staff: Option<StaffId>,
    /// An existing customer's name, for the response.
    pub customer_name: Option<String>,
    /// What the customer agreed to while booking.
    pub consents: Vec<CheckedConsent>,
    pub walk_in: bool,
}

/// Checks a booking inside the caller's transaction: the service, who performs it and
/// where, each start against hours, overrides, time off, notice, horizon, appointments and
/// others' holds; picks the staff member when anyone will do (the least busy that day; a
/// series stays with the first one's). A single start that is refused is an error here,
/// with the next free starts.
pub(crate) async fn prepare_in(
    app: &App,
    tx: &mut TenantTx,
    request: &BookingRequest,
    hold: Option<HoldId>,
) -> Result<Prepared, AppError> {
    let staff = request.staff;
    let customer_name = match &request.whom {
        Whom::Existing(id) => Some(
            steward_store::customers::records::find(tx, *id)
                .await?
                .ok_or_else(|| AppError::invalid("customer_id", "is not a customer of this business"))?
                .name,
        ),
        Whom::Contact(_) => None,
    };
    let offer = offer(tx, request.service, staff, request.location).await?;
    let first = match &request.start {
        Start::Zoned(first) => first.clone(),
        Start::InLocationZone(written) => written.in_zone("start", &zone("time_zone", &offer.default_zone())?)?,
    };
    let zone = first.time_zone().clone();
    let starts: Vec<Timestamp> = match request.repeat {
        None => vec![Timestamp::from(&first)],
        Some(repeat) => occurrences(first.datetime(), &zone, repeat)?.into_iter().map(Timestamp::from_micros).collect(),
    };
    let first = Timestamp::from(&first);
    let now = app.now_timestamp();
    if request.walk_in && (first < now - WALK_IN_BACK || first > now + WALK_IN_AHEAD) {
        return Err(AppError::invalid(
            "start",
            "a walk-in starts earlier today (within the last twelve hours), not later",
        ));
    }
    let (earliest, latest) =
        (starts.iter().min().copied().unwrap_or(first), starts.iter().max().copied().unwrap_or(first));
    let around = ScheduleRequest {
        staff: &offer.staff,
        from: earliest - DAY,
        until: latest + DAY,
        now,
        moving: None,
        mine: hold,
    };
    let all = schedules(tx, None, &around).await?;
    let places = offer.places();
    let mut chosen = staff;
    let mut plans = Vec::with_capacity(starts.len());
    for start in starts {
        // A walk-in is checked as if booked the moment it began: no notice, still inside
        // working hours and clear of others' appointments.
        let (timing, checked_at) = if request.walk_in {
            (ServiceTiming { min_notice_minutes: 0, ..offer.timing }, start)
        } else {
            (offer.timing, now)
        };
        let query = Query {
            timing,
            locations: &places,
            from: (start - DAY).as_micros(),
            until: (start + DAY).as_micros(),
            now: checked_at.as_micros(),
        };
        let mut best: Option<(usize, StaffId, LocationId)> = None;
        let mut refusal = Refusal::OutsideHours;
        for schedule in all.iter().filter(|s| chosen.is_none_or(|c| c.0 == s.staff)) {
            match check_start(&query, schedule, start.as_micros()) {
                Ok(location) => {
                    let load = load_on_day(schedule, start.as_micros());
                    if best.is_none_or(|(l, ..)| load < l) {
                        best = Some((load, StaffId(schedule.staff), LocationId(location)));
                    }
                }
                Err(Refusal::Taken) => refusal = Refusal::Taken,
                Err(other) if refusal != Refusal::Taken => refusal = other,
                Err(_) => {}
            }
        }
        match best {
            Some((_, person, location)) => {
                chosen.get_or_insert(person);
                plans.push((start, Ok((person, location))));
            }
            None => plans.push((start, Err(refusal))),
        }
    }
    if plans.len() == 1
        && let Some((start, Err(refusal))) = plans.first()
    {
        let placement = Placement { offer: &offer, staff, zone: zone.clone() };
        return Err(refused(tx, &placement, *refusal, *start, now).await?.into_error());
    }
    let series = if plans.len() > 1 { Some(SeriesId::generate()) } else { None };
    Ok(Prepared {
        offer,
        zone,
        whom: request.whom.clone(),
        plans,
        series,
        notes: request.notes.clone(),
        staff,
        customer_name,
        consents: request.consents.clone(),
        walk_in: request.walk_in,
    })
}

/// What a write did: the appointments made, and the starts refused (by the rules, or by
/// the database because someone else got there first).
pub(crate) struct Written {
    pub booked: Vec<AppointmentId>,
    pub refused: Vec<(Timestamp, Refusal)>,
    /// The appointments as the response shows them, when everything they show is known
    /// without reading them back (an existing customer's booking).
    pub views: Vec<AppointmentView>,
}

/// Writes a prepared booking inside the caller's write transaction: the customer (found
/// or added), then each appointment. The database refuses any overlap (exclusion
/// constraint or triggers), which is what makes concurrent requests safe.
pub(crate) async fn write(
    app: &App,
    tx: &mut TenantTx,
    actor: Actor<'_>,
    prepared: &Prepared,
    via: &'static str,
) -> Result<Written, AppError> {
    let customer = match &prepared.whom {
        Whom::Existing(id) => *id,
        Whom::Contact(contact) => {
            let source = if via == "online" { Source::OnlineBooking } else { Source::WalkIn };
            find_or_create_by_contact(app, tx, actor, contact, source, &prepared.consents).await?.0
        }
    };
    let now = app.now_timestamp();
    let offer = &prepared.offer;
    let planner = Planner::load(tx).await?;
    let mut written = Written { booked: Vec::new(), refused: Vec::new(), views: Vec::new() };
    for (start, plan) in &prepared.plans {
        let (staff, location) = match plan {
            Ok(placed) => *placed,
            Err(refusal) => {
                written.refused.push((*start, *refusal));
                continue;
            }
        };
        let blocked = offer.timing.blocked(start.as_micros());
        let appointment = NewAppointment {
            id: AppointmentId::generate(),
            customer_id: customer,
            service_id: offer.service.id,
            staff_id: staff,
            location_id: location,
            starts_at: *start,
            ends_at: Timestamp::from_micros(offer.timing.end(start.as_micros())),
            blocked_from: Timestamp::from_micros(blocked.from),
            blocked_until: Timestamp::from_micros(blocked.until),
            price_paise: offer.service.price_paise,
            gst_rate_bp: offer.service.gst_rate_bp,
            notes: prepared.notes.clone(),
            series_id: prepared.series,
            booked_via: via,
            created_by: actor.member(),
        };
        match rows::insert(tx, &appointment, now).await {
            Ok(()) => {}
            Err(StoreError::Overlap) => {
                written.refused.push((*start, Refusal::Taken));
                continue;
            }
            Err(other) => return Err(other.into()),
        }
        let details = json!({
            "service_id": offer.service.id, "staff_id": staff, "location_id": location,
            "start": format_instant(start.as_micros()), "via": via, "series_id": prepared.series,
        });
        audit::record(
            app,
            tx,
            actor.event("appointment.booked", Some(("appointment", appointment.id.to_string())), details),
        )
        .await?;
        let about = About {
            appointment: appointment.id,
            customer,
            service: offer.service.id,
            starts_at: appointment.starts_at.as_micros(),
        };
        let mut status = Status::Booked;
        if prepared.walk_in {
            // Already here, or already served: nothing to confirm or remind of.
            status = if appointment.ends_at <= now { Status::Completed } else { Status::Arrived };
            rows::set_status(tx, appointment.id, status, None, now).await?;
            if status == Status::Completed {
                rows::mark_visit(tx, customer, appointment.starts_at).await?;
                planner.completed(tx, &about, now.as_micros()).await?;
            }
        } else {
            planner.booked(tx, &about, now.as_micros()).await?;
        }
        written.booked.push(appointment.id);
        if let Some(name) = &prepared.customer_name {
            let mut shown = view_of(&appointment, offer, name, now);
            shown.status = status;
            written.views.push(shown);
        }
    }
    Ok(written)
}

/// The response view of an appointment just written, from what the booking knew.
fn view_of(a: &NewAppointment, offer: &Offer, customer_name: &str, now: Timestamp) -> AppointmentView {
    let location = offer.locations.iter().find(|l| l.id == a.location_id);
    let time_zone = location.map(|l| l.time_zone.clone()).unwrap_or_else(|| "UTC".into());
    let tz = jiff::tz::TimeZone::get(&time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    AppointmentView {
        id: a.id,
        customer_id: a.customer_id,
        customer_name: customer_name.to_string(),
        service_id: a.service_id,
        service_name: offer.service.name.clone(),
        staff_id: a.staff_id,
        staff_name: offer.staff_name(a.staff_id),
        location_id: a.location_id,
        location_name: location.map(|l| l.name.clone()).unwrap_or_default(),
        time_zone,
        start: format_in(a.starts_at.as_micros(), &tz),
        end: format_in(a.ends_at.as_micros(), &tz),
        local: zoned(a.starts_at.as_micros(), &tz).zip(zoned(a.ends_at.as_micros(), &tz)),
        status: Status::Booked,
        price: format_price(a.price_paise),
        price_paise: a.price_paise,
        gst_rate: format_rate(a.gst_rate_bp),
        notes: a.notes.clone(),
        series_id: a.series_id,
        cancel_reason: None,
        booked_via: a.booked_via.to_string(),
        created_at: format_instant(now.as_micros()),
        updated_at: format_instant(now.as_micros()),
    }
}

/// Reads back what was booked and, for each refused start, the next free ones.
pub(crate) async fn finish(
    app: &App,
    tenant: steward_domain::ids::TenantId,
    prepared: &Prepared,
    written: Written,
) -> Result<BookingResult, AppError> {
    if written.refused.is_empty() && written.views.len() == written.booked.len() && !written.views.is_empty() {
        return Ok(BookingResult { appointments: written.views, conflicts: Vec::new() });
    }
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let mut appointments = Vec::with_capacity(written.booked.len());
    for id in &written.booked {
        if let Some(row) = rows::find(&mut tx, *id).await? {
            appointments.push(view(&row));
        }
    }
    let placement = Placement { offer: &prepared.offer, staff: prepared.staff, zone: prepared.zone.clone() };
    let now = app.now_timestamp();
    let mut conflicts = Vec::with_capacity(written.refused.len());
    for (start, refusal) in written.refused {
        let refused = refused(&mut tx, &placement, refusal, start, now).await?;
        conflicts.push(ConflictView {
            start: format_in(start.as_micros(), &prepared.zone),
            reason: refusal.message().to_string(),
            next_free: refused.next_free,
        });
    }
    tx.commit().await?;
    if appointments.is_empty() {
        let next_free = conflicts.first().map(|c| c.next_free.clone()).unwrap_or_default();
        let message = if prepared.plans.len() > 1 {
            "start: no occurrence of the series is free".to_string()
        } else {
            format!("start: {}", Refusal::Taken.message())
        };
        return Err(AppError::SlotTaken { message, next_free });
    }
    Ok(BookingResult { appointments, conflicts })
}

/// Commits a booking's write transaction if it booked anything; one that booked nothing
/// (every start taken meanwhile) is rolled back.
async fn commit_if_booked(tx: TenantTx, written: &Written) -> Result<(), AppError> {
    if written.booked.is_empty() {
        drop(tx);
    } else {
        tx.commit().await?;
    }
    Ok(())
}

/// Books an appointment, or a recurring series, for a member.
pub async fn book(app: &App, who: &Principal, input: &BookingInput) -> Result<BookingResult, AppError> {
    who.require(Permission::BookingsManage)?;
    let request = input.parse()?;
    let via = match who.credential {
        crate::access::principal::Credential::ApiToken { .. } => "api",
        crate::access::principal::Credential::Session { .. } => "staff",
    };
    // The checks read outside SQLite's single writer; on PostgreSQL they are the start of
    // the write transaction (the rows every booking shares are locked only at commit,
    // migration 12).
    let mut checks = app.store.begin_checks(who.tenant).await?;
    let prepared = prepare_in(app, checks.tx(), &request, None).await?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    let (prepared, written) = checks
        .write(move |mut tx| async move {
            let written = write(&writer_app, &mut tx, Actor::Member(&writer_who), &prepared, via).await?;
            commit_if_booked(tx, &written).await?;
            Ok::<_, AppError>((prepared, written))
        })
        .await?;
    finish(app, who.tenant, &prepared, written).await
}

pub async fn get(app: &App, who: &Principal, id: AppointmentId) -> Result<AppointmentView, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(view(&found))
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AppointmentQuery")]
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
) -> Result<(Timestamp, Timestamp), AppError> {
    use jiff::ToSpan;
    use steward_domain::booking::local_time::{day_start, zoned};
    let first = match from.map(str::trim) {
        None | Some("") => zoned(app.now(), tz).map(|z| z.date()).ok_or_else(|| AppError::Internal("clock".into()))?,
        Some(text) => parse_day("from", text)?,
    };
    let last = first.checked_add(days.days()).map_err(|_| AppError::invalid("from", "is out of range"))?;
    match (day_start(first, tz), day_start(last, tz)) {
        (Some(a), Some(b)) => Ok((Timestamp::from_micros(a), Timestamp::from_micros(b))),
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
    let history = of_customer_in(&mut tx, customer).await?;
    tx.commit().await?;
    Ok(history)
}

/// What [`of_customer`] reads, in the caller's transaction, for a customer it has found.
pub(crate) async fn of_customer_in(
    tx: &mut TenantTx,
    customer: CustomerId,
) -> Result<(Vec<AppointmentView>, i64), AppError> {
    let found = rows::of_customer(tx, customer, 200).await?;
    let no_shows = rows::no_shows(tx, customer).await?;
    Ok((found.iter().map(view).collect(), no_shows))
}

/// A change to an appointment: a new time (and staff member or location), or notes.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentChange {
    /// `2026-12-01T10:30` in `time_zone`, or with its offset: `2026-12-01T10:30+05:30`.
    pub start: Option<String>,
    /// The staff member to move to.
    #[schemars(with = "Option<steward_domain::ids::StaffId>")]
    pub staff_id: Option<String>,
    #[schemars(with = "Option<steward_domain::ids::LocationId>")]
    pub location_id: Option<String>,
    pub time_zone: Option<String>,
    /// A new length, in minutes (5 to 720, in steps of 5); a move keeps the length it has.
    pub duration_minutes: Option<i64>,
    pub notes: Option<String>,
}

/// Longest appointment, in minutes.
pub const MAX_LENGTH_MINUTES: i64 = 12 * 60;

/// A length an appointment may be given: 5 minutes to 12 hours, in steps of 5.
fn length(field: &str, minutes: i64) -> Result<i64, AppError> {
    if !(5..=MAX_LENGTH_MINUTES).contains(&minutes) || minutes % 5 != 0 {
        return Err(AppError::invalid(field, "must be 5 to 720 minutes, in steps of 5"));
    }
    Ok(minutes)
}

/// Moves an appointment (the same rules as booking it), makes it longer or shorter,
/// and/or changes its notes.
pub async fn change(
    app: &App,
    who: &Principal,
    id: AppointmentId,
    input: &AppointmentChange,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::BookingsManage)?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store.write(who.tenant, move |mut tx| async move {
        let (app, who, input) = (&writer_app, &who, &input);
        let current = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        let now = app.now_timestamp();
        let mut changed: Vec<&str> = Vec::new();
        let moving = input.start.is_some()
            || input.staff_id.is_some()
            || input.location_id.is_some()
            || input.duration_minutes.is_some();
        if moving {
            let status = current.status;
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
            let mut offer = offer(&mut tx, current.service_id, Some(staff), location).await?;
            // Its own length: the one asked for, else the one it has (which may differ
            // from the service's, after a resize or a change to the service).
            let had = (current.ends_at.as_micros() - current.starts_at.as_micros()) / crate::clock::MICROS_PER_MINUTE;
            offer.timing.duration_minutes = match input.duration_minutes {
                Some(minutes) => length("duration_minutes", minutes)?,
                None => had,
            };
            let tz = zone(
                "time_zone",
                input.time_zone.as_deref().filter(|z| !z.trim().is_empty()).unwrap_or(&current.time_zone),
            )?;
            let start = match &input.start {
                Some(text) => Timestamp::from_micros(parse_start("start", text, &tz)?),
                None => current.starts_at,
            };
            let placement = Placement { offer: &offer, staff: Some(staff), zone: tz };
            let location = check_in_write(&mut tx, &placement, start, now, Some(id), None).await?;
            let blocked = offer.timing.blocked(start.as_micros());
            let slot = rows::Slot {
                staff,
                location,
                starts_at: start,
                ends_at: Timestamp::from_micros(offer.timing.end(start.as_micros())),
                blocked_from: Timestamp::from_micros(blocked.from),
                blocked_until: Timestamp::from_micros(blocked.until),
            };
            let moved = rows::reschedule(&mut tx, id, &slot, now).await;
            match moved {
                Ok(_) => {}
                Err(StoreError::Overlap) => {
                    return Err(refused(&mut tx, &placement, Refusal::Taken, start, now).await?.into_error());
                }
                Err(other) => return Err(other.into()),
            }
            if start != current.starts_at {
                changed.push("start");
            }
            if offer.timing.duration_minutes != had {
                changed.push("duration_minutes");
            }
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
        if after.starts_at != current.starts_at || after.staff_id != current.staff_id {
            let planner = Planner::load(&mut tx).await?;
            planner.moved(&mut tx, &about(&after), now.as_micros()).await?;
        }
        let minutes = |row: &rows::AppointmentRow| {
            (row.ends_at.as_micros() - row.starts_at.as_micros()) / crate::clock::MICROS_PER_MINUTE
        };
        let details = json!({
            "fields": changed,
            "start": { "old": format_instant(current.starts_at.as_micros()), "new": format_instant(after.starts_at.as_micros()) },
            "duration_minutes": { "old": minutes(&current), "new": minutes(&after) },
        });
        audit::record(app, &mut tx, audit::by(who, "appointment.changed", Some(("appointment", id.to_string())), details))
            .await?;
        tx.commit().await?;
        Ok(view(&after))
    })
    .await
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    #[schemars(with = "steward_domain::booking::Status")]
    pub status: String,
    /// Why, for a cancellation (required then).
    pub reason: Option<String>,
}

/// How long after a status change it may be taken back.
pub const UNDO_WINDOW_MINUTES: i64 = 15;

/// Takes back a status change made by mistake, within [`UNDO_WINDOW_MINUTES`]: the
/// appointment returns to `previous`, a completion's visit and follow-up are withdrawn,
/// and the audit log records both the change and its undoing.
pub async fn undo_status(
    app: &App,
    who: &Principal,
    id: AppointmentId,
    previous: &str,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::BookingsManage)?;
    let previous = Status::parse("previous", previous)?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            let current = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let status = current.status;
            if !status.can_undo_to(previous) {
                return Err(AppError::NotAllowed(format!(
                    "a {} appointment cannot go back to {}",
                    status.label().to_lowercase(),
                    previous.label().to_lowercase()
                )));
            }
            let now = app.now_timestamp();
            if current.updated_at + UNDO_WINDOW_MINUTES * crate::clock::MICROS_PER_MINUTE < now {
                return Err(AppError::NotAllowed(format!(
                    "a change can be undone for {UNDO_WINDOW_MINUTES} minutes; set the status again instead"
                )));
            }
            rows::set_status(&mut tx, id, previous, None, now).await?;
            if status == Status::Completed {
                rows::unmark_visit(&mut tx, current.customer_id, current.starts_at).await?;
                steward_store::messaging::outbox::withdraw_pending(
                    &mut tx,
                    id,
                    &[steward_domain::messaging::Kind::FollowUp.name()],
                    now.as_micros(),
                )
                .await?;
            }
            let details = json!({ "status": { "old": status.name(), "new": previous.name() } });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "appointment.status_undone", Some(("appointment", id.to_string())), details),
            )
            .await?;
            let after = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            tx.commit().await?;
            Ok(view(&after))
        })
        .await
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
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            let current = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let status = current.status;
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
            let now = app.now_timestamp();
            if matches!(next, Status::Arrived | Status::Completed | Status::NoShow) && current.starts_at > now + DAY {
                return Err(AppError::invalid("status", "the appointment has not happened yet"));
            }
            rows::set_status(&mut tx, id, next, reason, now).await?;
            if next == Status::Completed {
                rows::mark_visit(&mut tx, current.customer_id, current.starts_at).await?;
            }
            let planner = Planner::load(&mut tx).await?;
            match next {
                Status::Cancelled => planner.cancelled(&mut tx, &about(&current), now.as_micros()).await.map(|_| ())?,
                Status::Completed => planner.completed(&mut tx, &about(&current), now.as_micros()).await.map(|_| ())?,
                Status::NoShow => planner.closed(&mut tx, &about(&current), now.as_micros()).await?,
                _ => {}
            }
            let action = if next == Status::Cancelled { "appointment.cancelled" } else { "appointment.status_changed" };
            let details = json!({ "status": { "old": status.name(), "new": next.name() } });
            audit::record(app, &mut tx, audit::by(who, action, Some(("appointment", id.to_string())), details)).await?;
            let after = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            tx.commit().await?;
            Ok(view(&after))
        })
        .await
}

/// What the outbox needs to know about an appointment.
fn about(row: &AppointmentRow) -> About {
    About {
        appointment: row.id,
        customer: row.customer_id,
        service: row.service_id,
        starts_at: row.starts_at.as_micros(),
    }
}

/// Every appointment of a recurring series.
pub async fn series(app: &App, who: &Principal, series: SeriesId) -> Result<Vec<AppointmentView>, AppError> {
    who.require(Permission::BookingsRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::of_series(&mut tx, series).await?;
    tx.commit().await?;
    Ok(found.iter().map(view).collect())
}
