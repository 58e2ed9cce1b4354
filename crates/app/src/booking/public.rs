//! The public booking page of a tenant: its services, free times, a slot held for a few
//! minutes while the customer fills in the form, the booking itself (matched to an
//! existing customer by phone or email), and the confirmation with its calendar file.
//!
//! Nobody is signed in here: the tenant comes from the address, and a held slot's id
//! (random, unguessable) is what lets the same person finish and later see the
//! confirmation. A hold carries no personal data.

use super::Actor;
use super::appointments::{
    AppointmentView, BookingRequest, Placement, Start, Whom, check_in_write, finish, prepare_in, view, write,
};
use super::availability::{self, AvailabilityRequest, AvailabilityView, offer};
use super::setup::Links;
use crate::access::auth::ClientInfo;
use crate::customers::consents::{CheckedConsent, ConsentInput, check};
use crate::customers::records::CustomerInput;
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::json;
use steward_domain::booking::ics::{Event, calendar};
use steward_domain::booking::local_time::{format_in, zone};
use steward_domain::booking::{format_price, format_rate};
use steward_domain::ids::{HoldId, LocationId, ServiceId, StaffId, TenantId};
use steward_domain::time::Timestamp;
use steward_store::TenantTx;
use steward_store::booking::holds::{self as hold_rows, HoldRow};
use steward_store::booking::setup as setup_rows;

/// How long a slot stays held while the form is filled in.
pub const HOLD_MINUTES: i64 = 10;
/// How long the confirmation link of a booked hold keeps working.
const CONFIRMATION_DAYS: i64 = 400;
const DAY: i64 = crate::clock::MICROS_PER_DAY;

/// The business as its booking page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BookingPage {
    pub tenant: TenantId,
    pub slug: String,
    pub business: String,
    pub services: Vec<PublicService>,
    /// Where the business works: each place its online services are offered at.
    pub places: Vec<Place>,
}

/// A place customers come to, with its address and when someone works there.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub name: String,
    pub address: Option<String>,
    /// Per weekday (Monday first), the earliest start and latest end of anyone's working
    /// hours there, as minutes of the day; `None` on a day nobody works there.
    pub hours: [Option<(i64, i64)>; 7],
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicService {
    pub id: ServiceId,
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i64,
    pub price: String,
    /// The price in paise, for pages to show as `₹1,800`; the API has `price`.
    #[serde(skip)]
    pub price_paise: i64,
    pub gst_rate: String,
    pub staff: Vec<(StaffId, String)>,
    pub locations: Vec<(LocationId, String)>,
}

async fn tenant_of(app: &App, slug: &str) -> Result<(TenantId, String, String), AppError> {
    let tenant = crate::tenancy::find_by_slug(app, slug).await?.ok_or(AppError::NotFound)?;
    if tenant.status != steward_domain::retention::Stage::Active {
        return Err(AppError::NotFound);
    }
    Ok((tenant.id, tenant.slug, tenant.name))
}

/// The services a business offers online, with who performs them and where.
pub async fn page(app: &App, slug: &str) -> Result<BookingPage, AppError> {
    let (tenant, slug, business) = tenant_of(app, slug).await?;
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let services = setup_rows::services(&mut tx).await?;
    let staff = setup_rows::staff_list(&mut tx).await?;
    let locations = setup_rows::locations(&mut tx).await?;
    let links = Links::load(&mut tx).await?;
    let hours = setup_rows::hours(&mut tx, None).await?;
    tx.commit().await?;
    let services = services
        .into_iter()
        .filter(|s| s.active)
        .map(|s| PublicService {
            staff: links
                .staff_of(s.id)
                .into_iter()
                .filter_map(|id| staff.iter().find(|p| p.id == id && p.active).map(|p| (p.id, p.name.clone())))
                .collect(),
            locations: links
                .locations_of(s.id)
                .into_iter()
                .filter_map(|id| locations.iter().find(|l| l.id == id).map(|l| (l.id, l.name.clone())))
                .collect(),
            id: s.id,
            name: s.name,
            description: s.description,
            duration_minutes: s.duration_minutes,
            price: format_price(s.price_paise),
            price_paise: s.price_paise,
            gst_rate: format_rate(s.gst_rate_bp),
        })
        .filter(|s| !s.staff.is_empty() && !s.locations.is_empty())
        .collect::<Vec<PublicService>>();
    let active_staff: Vec<StaffId> = staff.iter().filter(|s| s.active).map(|s| s.id).collect();
    let places = locations
        .iter()
        .filter(|l| services.iter().any(|s| s.locations.iter().any(|(id, _)| *id == l.id)))
        .map(|l| {
            let mut week: [Option<(i64, i64)>; 7] = [None; 7];
            for h in hours.iter().filter(|h| h.location_id == l.id && active_staff.contains(&h.staff_id)) {
                if let Some(day) = week.get_mut((h.weekday - 1).clamp(0, 6) as usize) {
                    *day = Some(match *day {
                        Some((open, close)) => (open.min(h.start_minute), close.max(h.end_minute)),
                        None => (h.start_minute, h.end_minute),
                    });
                }
            }
            Place { name: l.name.clone(), address: l.address.clone(), hours: week }
        })
        .collect();
    Ok(BookingPage { tenant, slug, business, services, places })
}

/// Free times for the booking page.
pub async fn slots(app: &App, slug: &str, request: &AvailabilityRequest) -> Result<AvailabilityView, AppError> {
    let (tenant, ..) = tenant_of(app, slug).await?;
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let found = availability::compute(app, &mut tx, request).await?;
    tx.commit().await?;
    Ok(found)
}

/// A held slot as the form shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HoldView {
    pub id: HoldId,
    pub business: String,
    pub slug: String,
    pub service: String,
    pub duration_minutes: i64,
    pub price: String,
    /// The price in paise, for pages to show as `₹1,800`; the API has `price`.
    #[serde(skip)]
    pub price_paise: i64,
    pub staff: String,
    pub location: String,
    pub address: Option<String>,
    pub start: String,
    /// The start on the location's clock, for pages.
    #[serde(skip)]
    pub local_start: Option<jiff::Zoned>,
    pub time_zone: String,
    pub expires_at: String,
    pub expired: bool,
    pub appointment: Option<AppointmentView>,
}

impl HoldView {
    /// When the held time starts, as a page says it: `Mon 1 Jun 2026, 9:00 am`.
    pub fn when(&self, language: &steward_domain::language::Language) -> String {
        self.local_start
            .as_ref()
            .map(|start| {
                format!(
                    "{}, {}",
                    steward_domain::human::full_day(*language, start.date()),
                    steward_domain::human::clock(start.time())
                )
            })
            .unwrap_or_default()
    }
}

/// Holds a free start time for [`HOLD_MINUTES`]; someone else asking for an overlapping
/// time meanwhile is told it is taken.
pub async fn hold(
    app: &App,
    slug: &str,
    client: &ClientInfo,
    service: &str,
    staff: &str,
    start: &str,
) -> Result<HoldId, AppError> {
    let now = app.now();
    if let Err(wait) = app.hold_limiter.check(client.ip.as_deref().unwrap_or("unknown"), now) {
        return Err(AppError::RateLimited(wait));
    }
    let (tenant, ..) = tenant_of(app, slug).await?;
    let service: ServiceId = super::parse_uuid("service_id", service)?;
    let staff: StaffId = super::parse_uuid("staff_id", staff)?;
    let start = start.to_owned();
    app.store
        .write(tenant, move |mut tx| async move {
            let start = start.as_str();
            let now_at = Timestamp::from_micros(now);
            hold_rows::sweep(&mut tx, now_at, CONFIRMATION_DAYS * DAY).await?;
            let offer = offer(&mut tx, service, Some(staff), None).await?;
            let tz = zone("time_zone", &offer.default_zone())?;
            let start = Timestamp::from_micros(steward_domain::booking::local_time::parse_start("start", start, &tz)?);
            let placement = Placement { offer: &offer, staff: Some(staff), zone: tz };
            let location =
                check_in_write(&mut tx, &placement, start, now_at, None, None).await.map_err(|error| match error {
                    AppError::SlotTaken { next_free, .. } => AppError::SlotTaken {
                        message: "start: someone has just taken this time; pick another".into(),
                        next_free,
                    },
                    other => other,
                })?;
            let blocked = offer.timing.blocked(start.as_micros());
            let id = HoldId(uuid::Uuid::new_v4());
            let row = HoldRow {
                id,
                service_id: service,
                staff_id: staff,
                location_id: location,
                starts_at: start,
                blocked_from: Timestamp::from_micros(blocked.from),
                blocked_until: Timestamp::from_micros(blocked.until),
                expires_at: now_at + HOLD_MINUTES * 60_000_000,
                appointment_id: None,
            };
            hold_rows::insert(&mut tx, &row, now_at).await?;
            tx.commit().await?;
            Ok(id)
        })
        .await
}

/// A held slot as the form shows it, and when its appointment (if it was booked)
/// starts and ends.
struct Held {
    view: HoldView,
    booked: Option<(Timestamp, Timestamp)>,
}

async fn load_hold(app: &App, tx: &mut TenantTx, business: &str, slug: &str, id: HoldId) -> Result<Held, AppError> {
    let hold = hold_rows::find(tx, id).await?.ok_or(AppError::NotFound)?;
    let service = setup_rows::find_service(tx, hold.service_id).await?.ok_or(AppError::NotFound)?;
    let staff = setup_rows::find_staff(tx, hold.staff_id).await?.ok_or(AppError::NotFound)?;
    let location = setup_rows::find_location(tx, hold.location_id).await?.ok_or(AppError::NotFound)?;
    let tz = zone("time_zone", &location.time_zone)?;
    let row = match hold.appointment_id {
        Some(a) => steward_store::booking::appointments::find(tx, a).await?,
        None => None,
    };
    let booked = row.as_ref().map(|r| (r.starts_at, r.ends_at));
    let appointment = row.map(|r| view(&r));
    let view = HoldView {
        id,
        business: business.to_string(),
        slug: slug.to_string(),
        service: service.name,
        duration_minutes: service.duration_minutes,
        price: format_price(service.price_paise),
        price_paise: service.price_paise,
        staff: staff.name,
        location: location.name,
        address: location.address,
        start: format_in(hold.starts_at.as_micros(), &tz),
        local_start: steward_domain::booking::local_time::zoned(hold.starts_at.as_micros(), &tz),
        time_zone: location.time_zone,
        expires_at: format_in(hold.expires_at.as_micros(), &tz),
        expired: hold.appointment_id.is_none() && hold.expires_at <= app.now_timestamp(),
        appointment,
    };
    Ok(Held { view, booked })
}

/// A held (or booked) slot.
pub async fn held(app: &App, slug: &str, id: HoldId) -> Result<HoldView, AppError> {
    Ok(load_held(app, slug, id).await?.view)
}

async fn load_held(app: &App, slug: &str, id: HoldId) -> Result<Held, AppError> {
    let (tenant, slug, business) = tenant_of(app, slug).await?;
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let found = load_hold(app, &mut tx, &business, &slug, id).await?;
    tx.commit().await?;
    Ok(found)
}

/// What the customer writes in the booking form.
#[derive(Debug, Clone, Default)]
pub struct ContactForm {
    pub name: String,
    pub phone: String,
    pub email: String,
    /// Channels the customer agrees to get reminders on.
    pub reminders: Vec<String>,
    pub marketing: bool,
}

/// Books the held slot for the person in the form. A hold that expired is booked anyway
/// if the time is still free; if someone took it meanwhile, 409 with the next free times.
pub async fn confirm(
    app: &App,
    slug: &str,
    client: &ClientInfo,
    id: HoldId,
    form: &ContactForm,
) -> Result<HoldView, AppError> {
    let (tenant, slug, business) = tenant_of(app, slug).await?;
    let mut consents: Vec<CheckedConsent> = Vec::new();
    for channel in &form.reminders {
        consents.push(check(&ConsentInput {
            channel: channel.clone(),
            purpose: "reminders".into(),
            granted: true,
            source: Some("online_booking".into()),
        })?);
    }
    if form.marketing {
        for channel in ["sms", "whatsapp", "email"] {
            consents.push(check(&ConsentInput {
                channel: channel.into(),
                purpose: "marketing".into(),
                granted: true,
                source: Some("online_booking".into()),
            })?);
        }
    }
    let mut read = app.store.begin_tenant_read(tenant).await?;
    let hold = hold_rows::find(&mut read, id).await?.ok_or(AppError::NotFound)?;
    if hold.appointment_id.is_some() {
        return Err(AppError::NotAllowed("this time is already booked for you; see the confirmation".into()));
    }
    let location = setup_rows::find_location(&mut read, hold.location_id).await?.ok_or(AppError::NotFound)?;
    read.commit().await?;
    let tz = zone("time_zone", &location.time_zone)?;
    let start = hold.starts_at.in_zone(&tz).ok_or_else(|| AppError::invalid("start", "is out of range"))?;
    let request = BookingRequest {
        whom: Whom::contact(CustomerInput {
            name: Some(form.name.clone()),
            phone: Some(form.phone.clone()),
            email: Some(form.email.clone()),
            ..Default::default()
        })?,
        service: hold.service_id,
        staff: Some(hold.staff_id),
        location: Some(hold.location_id),
        start: Start::Zoned(start),
        notes: None,
        repeat: None,
        walk_in: false,
        consents,
    };
    let mut checks = app.store.begin_checks(tenant).await?;
    let prepared = prepare_in(app, checks.tx(), &request, Some(id)).await?;
    let (writer_app, writer_client) = (app.clone(), client.clone());
    let (prepared, unbooked) = checks
        .write(move |mut tx| async move {
            // Taken by a second submission of the same form meanwhile?
            if hold_rows::find(&mut tx, id).await?.and_then(|h| h.appointment_id).is_some() {
                return Err(AppError::NotAllowed("this time is already booked for you; see the confirmation".into()));
            }
            let written = write(&writer_app, &mut tx, Actor::Public(&writer_client), &prepared, "online").await?;
            let Some(booked) = written.booked.first().copied() else {
                return Ok((prepared, Some(written)));
            };
            hold_rows::attach(&mut tx, id, booked).await?;
            let details = json!({ "hold": id, "consents": prepared.consents.len() });
            let event = audit::by_system(
                &writer_client,
                None,
                "booking.online_confirmed",
                Some(("appointment", booked.to_string())),
                details,
            );
            audit::record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok((prepared, None))
        })
        .await?;
    if let Some(written) = unbooked {
        return Err(finish(app, tenant, &prepared, written).await.err().unwrap_or(AppError::NotFound));
    }
    let mut read = app.store.begin_tenant_read(tenant).await?;
    let held = load_hold(app, &mut read, &business, &slug, id).await?;
    read.commit().await?;
    Ok(held.view)
}

/// The booked appointment as a calendar file.
pub async fn confirmation_ics(app: &App, slug: &str, id: HoldId) -> Result<String, AppError> {
    let Held { view, booked } = load_held(app, slug, id).await?;
    let (Some(appointment), Some((start, end))) = (view.appointment, booked) else {
        return Err(AppError::NotFound);
    };
    let event = Event {
        uid: format!("{}@steward", appointment.id),
        start: start.as_micros(),
        end: end.as_micros(),
        summary: format!("{} at {}", appointment.service_name, view.business),
        location: Some(match &view.address {
            Some(address) => format!("{}, {address}", view.location),
            None => view.location.clone(),
        }),
        description: Some(format!(
            "With {}. Booking page: {}",
            appointment.staff_name,
            app.link(&format!("/b/{}", view.slug))
        )),
        cancelled: appointment.status == steward_domain::booking::Status::Cancelled,
    };
    Ok(calendar(&view.business, &[event], app.now()))
}
