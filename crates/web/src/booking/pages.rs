//! Booking pages for members: the calendar (day and week, per staff member and
//! location), an appointment's page with its status, move and cancel forms, the booking
//! form, and the setup of locations, services and staff (hours, overrides, time off,
//! calendar feed).

use crate::AppState;
use crate::customers::picker::CustomerPicker;
use crate::extract::{Auth, parse_id};
use crate::pages::ENGLISH;
use crate::pages::{Chrome, FormData, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::ToSpan;
use serde::Deserialize;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::booking::appointments::{
    self, AppointmentChange, AppointmentView, BookingInput, ListRequest, RepeatInput, StatusChange,
};
use steward_app::booking::feed;
use steward_app::booking::setup::{
    self, HoursInput, LocationInput, LocationView, OverrideInput, RangeView, ServiceInput, ServiceView, StaffInput,
    StaffView, TimeOffInput, TimeOffView, WeekInput,
};
use steward_app::customers::records::CustomerInput;
use steward_domain::booking::{Status, WEEKDAYS};
use steward_domain::ids::{AppointmentId, ServiceId, StaffId};
use steward_domain::permissions::Permission;

fn shown_error(error: &AppError) -> bool {
    matches!(
        error,
        AppError::Invalid(_) | AppError::Conflict { .. } | AppError::NotAllowed(_) | AppError::SlotTaken { .. }
    )
}

// ---- Calendar ----

/// An appointment drawn on the calendar: the grid classes that place it, and what it says.
pub struct Block {
    pub appointment: AppointmentView,
    pub row: usize,
    pub span: usize,
    pub lane: usize,
    /// Its service's tint (`svc-N`), the same for the service wherever it is drawn.
    pub tint: usize,
}

/// How many tints services are told apart by.
const TINTS: u128 = 6;

/// A service's tint: from its id, so it stays the same from day to day and page to page.
fn tint_of(service: &steward_domain::ids::ServiceId) -> usize {
    (service.0.as_u128() % TINTS) as usize
}

/// A free quarter hour of working time, and where a click on it books.
pub struct FreeSpot {
    pub row: usize,
    pub time: String,
    pub book_link: String,
}

/// One column of the calendar: a staff member's day, or a day of the week.
pub struct CalendarColumn {
    pub heading: String,
    /// The day it shows (`2026-12-07`), and the staff member when it is one person's: where
    /// an appointment dropped on it moves to.
    pub date: String,
    pub staff: Option<String>,
    pub lanes: usize,
    pub blocks: Vec<Block>,
    pub free: Vec<FreeSpot>,
    /// The row of the quarter hour now is in, on today's column.
    pub now_row: Option<usize>,
}

/// An hour's label in the time gutter, at its row.
pub struct HourMark {
    pub row: usize,
    pub label: String,
}

#[derive(Template)]
#[template(path = "booking/calendar.html")]
pub struct CalendarPage {
    pub chrome: Chrome,
    pub view: String,
    pub date: String,
    pub previous: String,
    pub next: String,
    pub today_link: String,
    pub staff_id: String,
    pub location_id: String,
    pub staff: Vec<StaffView>,
    pub locations: Vec<LocationView>,
    pub columns: Vec<CalendarColumn>,
    pub hours: Vec<HourMark>,
    pub rows: usize,
    /// The minute of the day the first row starts at.
    pub first_minute: i64,
    /// This view's own address, where a drag-and-drop move comes back to.
    pub back: String,
    /// The services drawn, each with its tint: the calendar's key.
    pub services_shown: Vec<(String, usize)>,
    /// Cancelled appointments, listed under the grid rather than drawn over free time.
    pub cancelled: Vec<AppointmentView>,
    pub count: usize,
    pub can_book: bool,
}

#[derive(Deserialize, Default)]
pub struct CalendarParams {
    date: Option<String>,
    view: Option<String>,
    staff_id: Option<String>,
    location_id: Option<String>,
    notice: Option<String>,
}

fn calendar_link(view: &str, date: &str, staff: &str, location: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("view", view).append_pair("date", date);
    if !staff.is_empty() {
        q.append_pair("staff_id", staff);
    }
    if !location.is_empty() {
        q.append_pair("location_id", location);
    }
    format!("/app/calendar?{}", q.finish())
}

pub async fn calendar(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(params): Query<CalendarParams>,
) -> PageResult {
    calendar_page(&state, &who, params).await
}

async fn calendar_page(state: &AppState, who: &Principal, params: CalendarParams) -> PageResult {
    use steward_domain::booking::calendar::{QUARTER, lay_out, visible_range};
    use steward_domain::human;
    let app = &state.app;
    let view = if params.view.as_deref() == Some("week") { "week" } else { "day" };
    let staff_id = params.staff_id.clone().unwrap_or_default();
    let location_id = params.location_id.clone().unwrap_or_default();
    let tenant = steward_app::tenancy::profile(app, who).await.ok();
    let zone_name = tenant.map(|t| t.time_zone).unwrap_or_else(|| "UTC".into());
    let tz = steward_domain::booking::local_time::zone("time_zone", &zone_name)?;
    let now = steward_domain::booking::local_time::zoned(app.now(), &tz);
    let today = now.as_ref().map(|z| z.date()).unwrap_or_default();
    let date = match params.date.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => steward_domain::booking::local_time::parse_day("date", text)?,
        _ => today,
    };
    let first = if view == "week" {
        date.checked_sub((date.weekday().to_monday_zero_offset() as i64).days()).unwrap_or(date)
    } else {
        date
    };
    let days = if view == "week" { 7 } else { 1 };
    let request = ListRequest {
        from: Some(first.to_string()),
        days: Some(days),
        staff_id: params.staff_id.clone(),
        location_id: params.location_id.clone(),
        time_zone: Some(zone_name.clone()),
    };
    let found = appointments::list(app, who, &request).await?;
    let staff: Vec<StaffView> = setup::staff_list(app, who).await?.into_iter().filter(|s| s.active).collect();
    let locations = setup::locations(app, who).await?;
    let working = steward_app::booking::calendar::working_hours(app, who, first, days, &tz).await?;
    let chosen: Option<StaffId> = staff.iter().find(|s| s.id.to_string() == staff_id).map(|s| s.id);

    // Columns: staff members on a day, days in a week; each with the staff it covers.
    let columns: Vec<(String, jiff::civil::Date, Option<StaffId>)> = if view == "week" {
        (0..7)
            .filter_map(|i| first.checked_add((i as i64).days()).ok())
            .map(|d| (human::day(ENGLISH, d, today), d, chosen))
            .collect()
    } else {
        staff.iter().filter(|s| chosen.is_none_or(|c| s.id == c)).map(|s| (s.name.clone(), first, Some(s.id))).collect()
    };
    // Each appointment in the business's zone: its day and its minutes of that day.
    let minute_of = |z: &jiff::Zoned| i64::from(z.hour()) * 60 + i64::from(z.minute());
    let placed: Vec<(jiff::civil::Date, i64, i64, &AppointmentView)> = found
        .iter()
        .filter_map(|a| {
            let (start, end) = a.local.as_ref()?;
            let (start, end) = (start.with_time_zone(tz.clone()), end.with_time_zone(tz.clone()));
            let end_minute = if end.date() > start.date() { 1440 } else { minute_of(&end) };
            Some((start.date(), minute_of(&start), end_minute, a))
        })
        .collect();
    let open_of = |day: jiff::civil::Date, who: Option<StaffId>| -> Vec<(i64, i64)> {
        working
            .iter()
            .filter(|((s, d), _)| *d == day && who.is_none_or(|w| *s == w))
            .flat_map(|(_, ranges)| ranges.iter().copied())
            .collect()
    };
    let mut spans: Vec<(i64, i64)> = placed.iter().map(|(_, a, b, _)| (*a, *b)).collect();
    for (_, day, who) in &columns {
        spans.extend(open_of(*day, *who));
    }
    let range = visible_range(&spans, (9 * 60, 18 * 60));
    let (first_minute, rows) = range;
    let can_book = who.has(Permission::BookingsManage);
    let now_minute = now.as_ref().map(minute_of);

    let mut cancelled = Vec::new();
    let mut drawn = Vec::new();
    for (heading, day, column_staff) in &columns {
        let items: Vec<(i64, i64, &AppointmentView)> = placed
            .iter()
            .filter(|(d, ..)| d == day)
            .filter(|(.., a)| column_staff.is_none_or(|s| a.staff_id == s))
            .filter(|(.., a)| a.status != Status::Cancelled)
            .map(|(_, start, end, a)| (*start, *end, *a))
            .collect();
        // Free time is offered where one person's hours are known: a staff member's day,
        // or one staff member's week. "Everyone" on a week is booked from the form.
        let open = if column_staff.is_some() { open_of(*day, *column_staff) } else { Vec::new() };
        let not_before = match day.cmp(&today) {
            std::cmp::Ordering::Less => Some(1441),
            std::cmp::Ordering::Equal => now_minute,
            std::cmp::Ordering::Greater => None,
        };
        let layout = lay_out(items, &open, range, not_before);
        let free = if can_book {
            layout
                .free
                .iter()
                .map(|f| {
                    let time = format!("{:02}:{:02}", f.minute / 60, f.minute % 60);
                    let mut q = form_urlencoded::Serializer::new(String::new());
                    q.append_pair("start", &format!("{day}T{time}"));
                    if let Some(s) = column_staff {
                        q.append_pair("staff_id", &s.to_string());
                    }
                    FreeSpot {
                        row: f.row,
                        time: human::clock_at_minute(f.minute),
                        book_link: format!("/app/appointments/new?{}", q.finish()),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let now_row = match (day == &today, now_minute) {
            (true, Some(m)) if m >= first_minute && m < first_minute + rows as i64 * QUARTER => {
                Some(((m - first_minute) / QUARTER) as usize + 1)
            }
            _ => None,
        };
        drawn.push(CalendarColumn {
            heading: heading.clone(),
            date: day.to_string(),
            staff: column_staff.map(|s| s.to_string()),
            lanes: layout.lanes,
            blocks: layout
                .placed
                .into_iter()
                .map(|p| Block {
                    tint: tint_of(&p.item.service_id),
                    appointment: p.item.clone(),
                    row: p.row,
                    span: p.span,
                    lane: p.lane,
                })
                .collect(),
            free,
            now_row,
        });
    }
    let mut services_shown: Vec<(String, usize)> = Vec::new();
    for (_, _, _, a) in &placed {
        if a.status == Status::Cancelled {
            cancelled.push((*a).clone());
        } else if !services_shown.iter().any(|(name, _)| *name == a.service_name) {
            services_shown.push((a.service_name.clone(), tint_of(&a.service_id)));
        }
    }
    services_shown.sort();
    let hours = (0..rows)
        .step_by(4)
        .map(|q| {
            let minute = first_minute + q as i64 * QUARTER;
            HourMark { row: q + 1, label: human::clock_at_minute(minute) }
        })
        .collect();

    let step = if view == "week" { 7 } else { 1 };
    let previous = first.checked_sub(step.days()).map(|d| d.to_string()).unwrap_or_default();
    let next = first.checked_add(step.days()).map(|d| d.to_string()).unwrap_or_default();
    let title = if view == "week" {
        format!("Week of {}", human::day(ENGLISH, first, today))
    } else if first == today {
        format!("Today, {}", human::day(ENGLISH, first, today))
    } else {
        human::day(ENGLISH, first, today)
    };
    let chrome = Chrome::member(state, who, &title, "/app/calendar").await?.with_notice(params.notice.as_deref());
    let page = CalendarPage {
        chrome,
        view: view.into(),
        date: first.to_string(),
        previous: calendar_link(view, &previous, &staff_id, &location_id),
        next: calendar_link(view, &next, &staff_id, &location_id),
        today_link: calendar_link(view, &today.to_string(), &staff_id, &location_id),
        back: calendar_link(view, &first.to_string(), &staff_id, &location_id),
        services_shown,
        first_minute,
        staff_id,
        location_id,
        staff,
        locations,
        columns: drawn,
        hours,
        rows,
        cancelled,
        count: found.len(),
        can_book,
    };
    Ok(render(StatusCode::OK, &page))
}

// ---- Booking form ----

#[derive(Template)]
#[template(path = "booking/appointment_form.html")]
pub struct AppointmentFormPage {
    pub chrome: Chrome,
    pub services: Vec<ServiceView>,
    pub staff: Vec<StaffView>,
    pub values: BookingValues,
    /// Where it may take place; the form asks only when there is more than one.
    pub locations: Vec<LocationView>,
    /// Free starts offered instead of a taken one: (the form's value, as people read it).
    pub next_free: Vec<(String, String)>,
    /// The customer: found by what was typed, or chosen already.
    pub picker: CustomerPicker,
}

/// A free start as the booking form takes it (`2026-06-02T10:30`) and as a person reads it
/// (`Tue 2 Jun, 10:30 am`), from the local time with its offset the service gives.
fn offered_time(local: &str) -> Option<(String, String)> {
    let value = local.get(..16)?;
    let at: jiff::civil::DateTime = value.parse().ok()?;
    let words = format!(
        "{}, {}",
        steward_domain::human::day(ENGLISH, at.date(), at.date()),
        steward_domain::human::clock(at.time())
    );
    Some((value.to_string(), words))
}

#[derive(Default, Deserialize)]
pub struct BookingValues {
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub staff_id: String,
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub every_weeks: String,
    #[serde(default)]
    pub count: String,
    /// "on" when the visit is recorded after the customer came in.
    #[serde(default)]
    pub walk_in: String,
    /// What was typed to find an existing customer.
    #[serde(default)]
    pub find: String,
}

async fn booking_form(
    state: &AppState,
    who: &Principal,
    values: BookingValues,
    error: Option<&AppError>,
) -> PageResult {
    let services: Vec<ServiceView> = setup::services(&state.app, who).await?.into_iter().filter(|s| s.active).collect();
    let staff: Vec<StaffView> = setup::staff_list(&state.app, who).await?.into_iter().filter(|s| s.active).collect();
    let next_free = match error {
        Some(AppError::SlotTaken { next_free, .. }) => next_free.iter().filter_map(|s| offered_time(s)).collect(),
        _ => Vec::new(),
    };
    let picker = CustomerPicker::search(state, who, &values.find, &values.customer_id, "/app/appointments/new")
        .await?
        .or_someone_new();
    let chrome = Chrome::member(state, who, "Book an appointment", "/app/calendar").await?.with_error_opt(error);
    let locations = setup::locations(&state.app, who).await?;
    let page = AppointmentFormPage { chrome, services, staff, values, locations, next_free, picker };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn new_form(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(values): Query<BookingValues>,
) -> PageResult {
    booking_form(&state, &who, values, None).await
}

fn booking_values(form: &FormData) -> BookingValues {
    BookingValues {
        service_id: form.get("service_id").into(),
        staff_id: form.get("staff_id").into(),
        location_id: form.get("location_id").into(),
        // "Book this instead" on a taken time sends the free start it offers.
        start: Some(form.get("start_instead")).filter(|s| !s.is_empty()).unwrap_or(form.get("start")).into(),
        customer_id: form.get("customer_id").into(),
        name: form.get("name").into(),
        phone: form.get("phone").into(),
        email: form.get("email").into(),
        notes: form.get("notes").into(),
        every_weeks: form.get("every_weeks").into(),
        count: form.get("count").into(),
        walk_in: form.get("walk_in").into(),
        find: form.get("find").into(),
    }
}

fn number(field: &str, text: &str) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| AppError::invalid(field, "must be a whole number"))
}

fn booking_input(values: &BookingValues) -> Result<BookingInput, AppError> {
    let repeat = match number("every_weeks", &values.every_weeks)? {
        Some(every_weeks) => {
            Some(RepeatInput { every_weeks, until: None, count: number("count", &values.count)?.or(Some(1)) })
        }
        None => None,
    };
    Ok(BookingInput {
        customer_id: Some(values.customer_id.clone()).filter(|c| !c.is_empty()),
        customer: if values.customer_id.is_empty() {
            Some(CustomerInput {
                name: Some(values.name.clone()),
                phone: Some(values.phone.clone()).filter(|p| !p.trim().is_empty()),
                email: Some(values.email.clone()).filter(|e| !e.trim().is_empty()),
                ..Default::default()
            })
        } else {
            None
        },
        service_id: values.service_id.clone(),
        staff_id: Some(values.staff_id.clone()),
        location_id: Some(values.location_id.clone()).filter(|l| !l.is_empty()),
        start: values.start.clone(),
        notes: Some(values.notes.clone()).filter(|n| !n.trim().is_empty()),
        repeat,
        walk_in: Some(values.walk_in == "on"),
        ..Default::default()
    })
}

pub async fn create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let values = booking_values(&form);
    let result = match booking_input(&values) {
        Ok(input) => appointments::book(&state.app, &who, &input).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(result) => match result.appointments.first() {
            Some(first) if result.conflicts.is_empty() => {
                Ok(see_other(&format!("/app/appointments/{}?notice=created", first.id)))
            }
            Some(first) => Ok(see_other(&format!("/app/appointments/{}?notice=series_conflicts", first.id))),
            None => Err(AppError::Internal("a booking returned nothing".into()).into()),
        },
        Err(error) if shown_error(&error) => booking_form(&state, &who, values, Some(&error)).await,
        Err(error) => Err(error.into()),
    }
}

// ---- One appointment ----

#[derive(Template)]
#[template(path = "booking/appointment.html")]
pub struct AppointmentPage {
    pub chrome: Chrome,
    /// Right after a status change: the status it came from (name, label), to go back to.
    pub undo: Option<(&'static str, &'static str)>,
    pub appointment: AppointmentView,
    pub series: Vec<AppointmentView>,
    pub staff: Vec<StaffView>,
    pub next_statuses: Vec<(&'static str, &'static str)>,
    pub can_manage: bool,
    pub open: bool,
    pub start_local: String,
    /// Free starts offered instead of a taken one: (the form's value, as people read it).
    pub next_free: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct NoticeParams {
    notice: Option<String>,
    /// After a status change: the status it came from, for the Undo button.
    undo: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Query(params): Query<NoticeParams>,
) -> PageResult {
    let id = parse_id::<AppointmentId>("appointment_id", &id)?;
    let undo = params.undo.as_deref().and_then(|u| Status::parse("undo", u).ok());
    appointment_page(&state, &who, id, params.notice.as_deref(), undo, None).await
}

async fn appointment_page(
    state: &AppState,
    who: &Principal,
    id: AppointmentId,
    notice: Option<&str>,
    undo: Option<Status>,
    error: Option<&AppError>,
) -> PageResult {
    let appointment = appointments::get(&state.app, who, id).await?;
    let series = match appointment.series_id {
        Some(series) => appointments::series(&state.app, who, series).await?,
        None => Vec::new(),
    };
    let staff = setup::staff_list(&state.app, who)
        .await?
        .into_iter()
        .filter(|s| s.active && s.service_ids.contains(&appointment.service_id))
        .collect();
    let next_statuses = Status::ALL
        .into_iter()
        .filter(|s| *s != Status::Cancelled && appointment.status.can_become(*s))
        .map(|s| (s.name(), s.label()))
        .collect();
    let next_free = match error {
        Some(AppError::SlotTaken { next_free, .. }) => next_free.iter().filter_map(|s| offered_time(s)).collect(),
        _ => Vec::new(),
    };
    let title = format!("{} with {}", appointment.service_name, appointment.staff_name);
    let chrome = Chrome::member(state, who, &title, "/app/calendar").await?.with_notice(notice).with_error_opt(error);
    let undo = undo.filter(|previous| appointment.status.can_undo_to(*previous)).map(|s| (s.name(), s.label()));
    let page = AppointmentPage {
        chrome,
        undo,
        start_local: appointment.start.get(..16).unwrap_or_default().to_string(),
        open: appointment.status.is_open(),
        series,
        staff,
        next_statuses,
        can_manage: who.has(Permission::BookingsManage),
        appointment,
        next_free,
    };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn change(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<AppointmentId>("appointment_id", &id)?;
    let changed = match number("duration_minutes", form.get("duration_minutes")) {
        Ok(duration_minutes) => {
            let input = AppointmentChange {
                start: [form.get("start_instead"), form.get("start")]
                    .into_iter()
                    .find(|s| !s.is_empty())
                    .map(str::to_string),
                staff_id: Some(form.get("staff_id").to_string()).filter(|s| !s.is_empty()),
                duration_minutes,
                notes: if form.0.iter().any(|(k, _)| k == "notes") {
                    Some(form.get("notes").to_string())
                } else {
                    None
                },
                ..Default::default()
            };
            appointments::change(&state.app, &who, id, &input).await
        }
        Err(error) => Err(error),
    };
    match changed {
        // Moved by dragging on the calendar: back to that view of it.
        Ok(_) if is_calendar_view(form.get("back")) => {
            let resized = form.get("start").is_empty() && !form.get("duration_minutes").is_empty();
            let notice = if resized { "resized" } else { "moved" };
            Ok(see_other(&format!("{}&notice={notice}", form.get("back"))))
        }
        Ok(_) => Ok(see_other(&format!("/app/appointments/{id}?notice=saved"))),
        Err(error) if shown_error(&error) => appointment_page(&state, &who, id, None, None, Some(&error)).await,
        Err(error) => Err(error.into()),
    }
}

/// A view of the calendar, as its own links write it (`/app/calendar?view=...`), and
/// nothing that leads anywhere else.
fn is_calendar_view(back: &str) -> bool {
    back.strip_prefix("/app/calendar?").is_some_and(|query| !query.contains(['/', '\\', '#']))
}

pub async fn set_status(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<AppointmentId>("appointment_id", &id)?;
    let input = StatusChange {
        status: form.get("status").to_string(),
        reason: Some(form.get("reason").to_string()).filter(|r| !r.trim().is_empty()),
    };
    match appointments::set_status(&state.app, &who, id, &input).await {
        Ok(after) => {
            // The page offers to take the change back: the status it came from travels
            // with the notice, when going back to it is allowed.
            let undo = Status::parse("was", form.get("was"))
                .ok()
                .filter(|was| after.status.can_undo_to(*was))
                .map(|was| format!("&undo={}", was.name()))
                .unwrap_or_default();
            // Checked in from the Today page: back to the list, not to the appointment.
            if form.get("back") == "today" {
                Ok(see_other(&format!("/app?notice=status_saved{undo}&appointment={id}")))
            } else {
                Ok(see_other(&format!("/app/appointments/{id}?notice=status_saved{undo}")))
            }
        }
        Err(error) if shown_error(&error) => appointment_page(&state, &who, id, None, None, Some(&error)).await,
        Err(error) => Err(error.into()),
    }
}

/// Takes back a status change made by mistake (the Undo button beside the notice).
pub async fn undo_status(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<AppointmentId>("appointment_id", &id)?;
    match appointments::undo_status(&state.app, &who, id, form.get("previous")).await {
        Ok(_) if form.get("back") == "today" => Ok(see_other("/app?notice=status_undone")),
        Ok(_) => Ok(see_other(&format!("/app/appointments/{id}?notice=status_undone"))),
        Err(error) if shown_error(&error) => appointment_page(&state, &who, id, None, None, Some(&error)).await,
        Err(error) => Err(error.into()),
    }
}

// ---- Setup ----

#[derive(Template)]
#[template(path = "booking/booking_setup.html")]
pub struct SetupPage {
    pub chrome: Chrome,
    pub locations: Vec<LocationView>,
    pub services: Vec<ServiceView>,
    pub staff: Vec<StaffView>,
    pub can_manage: bool,
    pub booking_link: String,
}

async fn setup_page(state: &AppState, who: &Principal, notice: Option<&str>, error: Option<&AppError>) -> PageResult {
    let chrome =
        Chrome::member(state, who, "Booking setup", "/app/booking").await?.with_notice(notice).with_error_opt(error);
    let slug = steward_app::tenancy::profile(&state.app, who).await.map(|t| t.slug).unwrap_or_default();
    let page = SetupPage {
        chrome,
        locations: setup::locations(&state.app, who).await?,
        services: setup::services(&state.app, who).await?,
        staff: setup::staff_list(&state.app, who).await?,
        can_manage: who.has(Permission::TenantManage),
        booking_link: state.app.link(&format!("/b/{slug}")),
    };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn setup_show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(params): Query<NoticeParams>,
) -> PageResult {
    setup_page(&state, &who, params.notice.as_deref(), None).await
}

async fn after_setup(state: &AppState, who: &Principal, result: Result<String, AppError>) -> PageResult {
    match result {
        Ok(to) => Ok(see_other(&to)),
        Err(error) if shown_error(&error) => setup_page(state, who, None, Some(&error)).await,
        Err(error) => Err(error.into()),
    }
}

pub async fn location_create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let input = LocationInput {
        name: Some(form.get("name").into()),
        address: Some(form.get("address").into()),
        time_zone: Some(form.get("time_zone").into()).filter(|z: &String| !z.trim().is_empty()),
    };
    let result =
        setup::create_location(&state.app, &who, &input).await.map(|_| "/app/booking?notice=created".to_string());
    after_setup(&state, &who, result).await
}

fn service_input(form: &FormData) -> Result<ServiceInput, AppError> {
    let minutes = |name: &str| number(name, form.get(name));
    Ok(ServiceInput {
        name: Some(form.get("name").into()),
        description: Some(form.get("description").into()),
        duration_minutes: minutes("duration_minutes")?,
        buffer_before_minutes: minutes("buffer_before_minutes")?,
        buffer_after_minutes: minutes("buffer_after_minutes")?,
        slot_interval_minutes: minutes("slot_interval_minutes")?,
        min_notice_minutes: minutes("min_notice_minutes")?,
        horizon_days: minutes("horizon_days")?,
        price: Some(steward_app::booking::Amount::Text(form.get("price").into())),
        gst_rate: Some(steward_app::booking::Amount::Text(form.get("gst_rate").into())),
        sac_code: Some(form.get("sac_code").into()),
        active: Some(form.get("active") != "no"),
        location_ids: {
            let ids = form.all("location_ids");
            if ids.is_empty() && form.get("locations_shown").is_empty() { None } else { Some(ids) }
        },
    })
}

pub async fn service_create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let result = match service_input(&form) {
        Ok(input) => setup::create_service(&state.app, &who, &input)
            .await
            .map(|s| format!("/app/booking/services/{}?notice=created", s.id)),
        Err(e) => Err(e),
    };
    after_setup(&state, &who, result).await
}

#[derive(Template)]
#[template(path = "booking/booking_service.html")]
pub struct ServicePage {
    pub chrome: Chrome,
    pub service: ServiceView,
    pub locations: Vec<LocationView>,
    pub can_manage: bool,
    /// The timing fields: name, label, value.
    pub numbers: Vec<(&'static str, &'static str, i64)>,
}

async fn service_page(
    state: &AppState,
    who: &Principal,
    id: ServiceId,
    notice: Option<&str>,
    error: Option<&AppError>,
) -> PageResult {
    let service = setup::service(&state.app, who, id).await?;
    let chrome =
        Chrome::member(state, who, &service.name, "/app/booking").await?.with_notice(notice).with_error_opt(error);
    let numbers = vec![
        ("duration_minutes", "Length (minutes)", service.duration_minutes),
        ("buffer_before_minutes", "Buffer before (minutes)", service.buffer_before_minutes),
        ("buffer_after_minutes", "Buffer after (minutes)", service.buffer_after_minutes),
        ("slot_interval_minutes", "Offer a start every (minutes)", service.slot_interval_minutes),
        ("min_notice_minutes", "Minimum notice (minutes)", service.min_notice_minutes),
        ("horizon_days", "Bookable how far ahead (days)", service.horizon_days),
    ];
    let page = ServicePage {
        chrome,
        service,
        locations: setup::locations(&state.app, who).await?,
        can_manage: who.has(Permission::TenantManage),
        numbers,
    };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn service_show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Query(params): Query<NoticeParams>,
) -> PageResult {
    let id = parse_id::<ServiceId>("service_id", &id)?;
    service_page(&state, &who, id, params.notice.as_deref(), None).await
}

pub async fn service_update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<ServiceId>("service_id", &id)?;
    let result = match service_input(&form) {
        Ok(input) => setup::update_service(&state.app, &who, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/app/booking/services/{id}?notice=saved"))),
        Err(error) if shown_error(&error) => service_page(&state, &who, id, None, Some(&error)).await,
        Err(error) => Err(error.into()),
    }
}

pub async fn staff_create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let input = StaffInput {
        name: Some(form.get("name").into()),
        service_ids: Some(form.all("service_ids")),
        ..Default::default()
    };
    let result = setup::create_staff(&state.app, &who, &input)
        .await
        .map(|s| format!("/app/booking/staff/{}?notice=created", s.id));
    after_setup(&state, &who, result).await
}

/// A weekday's ranges as one line of the hours form: `09:00-13:00, 14:00-18:00`.
pub struct DayHours {
    pub weekday: &'static str,
    pub label: String,
    pub ranges: String,
    pub location_id: String,
}

#[derive(Template)]
#[template(path = "booking/booking_staff.html")]
pub struct StaffPage {
    pub chrome: Chrome,
    pub staff: StaffView,
    pub services: Vec<ServiceView>,
    pub locations: Vec<LocationView>,
    pub week: Vec<DayHours>,
    pub time_off: Vec<TimeOffView>,
    pub feed_url: Option<String>,
    pub can_setup: bool,
    pub can_manage: bool,
    pub location_names: Vec<(String, String)>,
}

async fn staff_page(
    state: &AppState,
    who: &Principal,
    id: StaffId,
    notice: Option<&str>,
    error: Option<&AppError>,
    feed_url: Option<String>,
) -> PageResult {
    let staff = setup::staff(&state.app, who, id).await?;
    let locations = setup::locations(&state.app, who).await?;
    let week = WEEKDAYS
        .iter()
        .map(|day| {
            let ranges: Vec<&HoursInput> = staff.hours.iter().filter(|h| h.weekday == *day).collect();
            DayHours {
                weekday: day,
                label: format!("{}{}", day[..1].to_uppercase(), &day[1..]),
                ranges: ranges.iter().map(|h| format!("{}-{}", h.start, h.end)).collect::<Vec<_>>().join(", "),
                location_id: ranges.first().map(|h| h.location_id.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let time_off = setup::time_off(&state.app, who, id).await?;
    let chrome =
        Chrome::member(state, who, &staff.name, "/app/booking").await?.with_notice(notice).with_error_opt(error);
    let page = StaffPage {
        chrome,
        location_names: locations.iter().map(|l| (l.id.to_string(), l.name.clone())).collect(),
        services: setup::services(&state.app, who).await?,
        locations,
        week,
        time_off,
        feed_url,
        can_setup: who.has(Permission::TenantManage),
        can_manage: who.has(Permission::BookingsManage),
        staff,
    };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn staff_show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Query(params): Query<NoticeParams>,
) -> PageResult {
    let id = parse_id::<StaffId>("staff_id", &id)?;
    staff_page(&state, &who, id, params.notice.as_deref(), None, None).await
}

async fn after_staff(state: &AppState, who: &Principal, id: StaffId, result: Result<(), AppError>) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("/app/booking/staff/{id}?notice=saved"))),
        Err(error) if shown_error(&error) => staff_page(state, who, id, None, Some(&error), None).await,
        Err(error) => Err(error.into()),
    }
}

pub async fn staff_update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<StaffId>("staff_id", &id)?;
    let input = StaffInput {
        name: Some(form.get("name").into()),
        active: Some(form.get("active") != "no"),
        service_ids: Some(form.all("service_ids")),
        ..Default::default()
    };
    let result = setup::update_staff(&state.app, &who, id, &input).await.map(|_| ());
    after_staff(&state, &who, id, result).await
}

/// Reads `09:00-13:00, 14:00-18:00` into ranges.
fn ranges_of(field: &str, text: &str, location: &str) -> Result<Vec<RangeView>, AppError> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (start, end) = r
                .split_once(['-', '–'])
                .ok_or_else(|| AppError::invalid(field, "write ranges like 09:00-13:00, 14:00-18:00"))?;
            Ok(RangeView { start: start.trim().into(), end: end.trim().into(), location_id: location.to_string() })
        })
        .collect()
}

pub async fn hours_update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<StaffId>("staff_id", &id)?;
    let result = async {
        let mut hours = Vec::new();
        for day in WEEKDAYS {
            let location = form.get(&format!("{day}_location"));
            for range in ranges_of(&format!("hours.{day}"), form.get(day), location)? {
                hours.push(HoursInput {
                    weekday: day.into(),
                    start: range.start,
                    end: range.end,
                    location_id: range.location_id,
                });
            }
        }
        setup::set_hours(&state.app, &who, id, &WeekInput { hours }).await.map(|_| ())
    }
    .await;
    after_staff(&state, &who, id, result).await
}

pub async fn override_set(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<StaffId>("staff_id", &id)?;
    let result = async {
        let ranges = if form.get("day_off") == "yes" {
            Vec::new()
        } else {
            ranges_of("ranges", form.get("ranges"), form.get("location_id"))?
        };
        let input = OverrideInput { date: form.get("date").into(), ranges, remove: form.get("remove") == "yes" };
        setup::set_override(&state.app, &who, id, &input).await.map(|_| ())
    }
    .await;
    after_staff(&state, &who, id, result).await
}

pub async fn time_off_add(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<StaffId>("staff_id", &id)?;
    let input = TimeOffInput {
        starts_at: form.get("starts_at").into(),
        ends_at: form.get("ends_at").into(),
        time_zone: None,
        reason: Some(form.get("reason").into()),
    };
    let result = setup::add_time_off(&state.app, &who, id, &input).await.map(|_| ());
    after_staff(&state, &who, id, result).await
}

pub async fn feed_rotate(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id::<StaffId>("staff_id", &id)?;
    let link = feed::rotate(&state.app, &who, id).await?;
    staff_page(&state, &who, id, None, None, Some(link.url)).await
}

pub async fn feed_revoke(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id::<StaffId>("staff_id", &id)?;
    let result = feed::revoke(&state.app, &who, id).await;
    after_staff(&state, &who, id, result).await
}
