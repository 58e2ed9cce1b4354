//! The public booking page of each business, at `/b/{slug}`: pick a service, a staff
//! member or anyone, a free time (held for a few minutes), then name, phone, email and
//! consents; a confirmation page with a calendar file follows. Every step is a plain
//! link or form, so it works on a phone and without JavaScript.

use crate::AppState;
use crate::extract::{Client, parse_id};
use crate::pages::words::{self, visitor_language};
use crate::pages::{Chrome, FormData, PageResult, public_csrf, render, see_other, with_cookie};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use steward_app::AppError;
use steward_app::booking::availability::{AvailabilityRequest, AvailabilityView, SlotView};
use steward_app::booking::public::{self, BookingPage, ContactForm, HoldView, Place, PublicService};
use steward_app::tenancy::look::{self, LookView};
use steward_domain::human;
use steward_domain::ids::HoldId;

#[derive(Template)]
#[template(path = "booking/book_services.html")]
pub struct ServicesPage {
    pub chrome: Chrome,
    pub page: BookingPage,
    /// The business's cover photo and phone, when it chose them.
    pub look: LookView,
}

impl ServicesPage {
    /// A place's week as rows: (`Mon`, `9:00 am – 6:00 pm` or `Closed`).
    pub fn week_of(&self, place: &Place) -> Vec<(String, String)> {
        let language = self.chrome.language;
        let at = steward_domain::human::clock_at_minute;
        // Any Monday: the rows run Monday to Sunday.
        let monday = jiff::civil::date(2024, 1, 1);
        place
            .hours
            .iter()
            .enumerate()
            .map(|(offset, hours)| {
                let day = monday.checked_add(jiff::Span::new().days(offset as i64)).unwrap_or(monday);
                let words = match hours {
                    Some((open, close)) => format!("{} – {}", at(*open), at(*close)),
                    None => words::say(language, "book-closed", &[]),
                };
                (human::weekday(language, day), words)
            })
            .collect()
    }

    /// `1 h · ₹600 (incl. GST at 5%)`, in the page's language.
    pub fn facts(&self, service: &PublicService) -> String {
        let language = self.chrome.language;
        let minutes = human::minutes(language, service.duration_minutes);
        let price = human::rupees(service.price_paise);
        let rate = service.gst_rate.to_string();
        words::say(language, "book-service-facts", &[("minutes", &minutes), ("price", &price), ("rate", &rate)])
    }

    /// The business's phone as a tap-to-call link, as people read it, and its WhatsApp chat.
    pub fn contact(&self) -> Option<(String, String, Option<String>)> {
        let phone = self.look.phone.as_deref()?;
        Some((format!("tel:{phone}"), steward_domain::human::phone(phone), steward_domain::human::whatsapp_link(phone)))
    }

    /// A map search for the address, opened on the customer's own device.
    pub fn map_link(&self, address: &str) -> String {
        let query: String = form_urlencoded::byte_serialize(address.as_bytes()).collect();
        format!("https://www.openstreetmap.org/search?query={query}")
    }
}

pub async fn services(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>) -> PageResult {
    let (csrf, cookie) = public_csrf(&headers);
    let language = visitor_language(&headers);
    let page = public::page(&state.app, &slug).await?;
    let look = look::public(&state.app, &slug).await?;
    let title = words::say(language, "book-with", &[("business", &page.business)]);
    let chrome =
        Chrome::public(&title, &csrf).speaking(language).of_business(&page.business, &slug).with_look(&slug, &look);
    Ok(with_cookie(render(StatusCode::OK, &ServicesPage { chrome, page, look }), cookie))
}

#[derive(Template)]
#[template(path = "booking/book_slots.html")]
pub struct SlotsPage {
    pub chrome: Chrome,
    pub slug: String,
    pub service: PublicService,
    pub staff_id: String,
    pub location_id: String,
    pub available: Option<AvailabilityView>,
    /// The week's days as a strip to choose from, each with how many times are free.
    pub days: Vec<DayTab>,
    /// The chosen day, in words, and its free times by part of the day.
    pub chosen_day: String,
    pub groups: Vec<SlotGroup>,
    /// The first free time of the week, in words, when the chosen day is not its day.
    pub next_available: Option<(String, String)>,
    pub later: String,
    pub earlier: Option<String>,
}

/// A day in the strip.
pub struct DayTab {
    pub weekday: String,
    pub date: String,
    pub free: usize,
    pub link: String,
    pub current: bool,
}

/// Morning, afternoon or evening, with its free times.
pub struct SlotGroup {
    /// The part of the day's message id (`book-morning`).
    pub name: &'static str,
    pub slots: Vec<SlotButton>,
}

/// One free time to hold.
pub struct SlotButton {
    pub slot: SlotView,
    /// `10:30 am`.
    pub time: String,
}

/// Which part of the day a start at `hour` falls in, as its message id.
fn part_of_day(hour: i8) -> &'static str {
    match hour {
        0..=11 => "book-morning",
        12..=16 => "book-afternoon",
        _ => "book-evening",
    }
}

/// The wall-clock time of a slot's start (`2026-06-02T10:30:00+05:30`).
fn slot_time(slot: &SlotView) -> Option<jiff::civil::Time> {
    slot.start.get(11..16)?.parse().ok()
}

impl SlotsPage {
    fn location_name(&self, id: &steward_domain::ids::LocationId) -> String {
        self.service.locations.iter().find(|(l, _)| l == id).map(|(_, name)| name.clone()).unwrap_or_default()
    }

    /// What a screen reader says of a time's button: the day, the time, who, and where
    /// when the service is offered at more than one place.
    pub fn slot_label(&self, button: &SlotButton) -> String {
        let language = self.chrome.language;
        let (day, time, staff) = (&self.chosen_day, &button.time, &button.slot.staff_name);
        if self.service.locations.len() > 1 {
            let place = self.location_name(&button.slot.location_id);
            let args: [(&str, &dyn words::Value); 4] =
                [("day", day), ("time", time), ("staff", staff), ("place", &place)];
            words::say(language, "book-slot-label-at", &args)
        } else {
            words::say(language, "book-slot-label", &[("day", day), ("time", time), ("staff", staff)])
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SlotParams {
    staff_id: Option<String>,
    location_id: Option<String>,
    from: Option<String>,
    /// The day of the strip whose times are shown.
    day: Option<String>,
}

pub async fn slots(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, service_id)): Path<(String, String)>,
    Query(params): Query<SlotParams>,
) -> PageResult {
    let (csrf, cookie) = public_csrf(&headers);
    let language = visitor_language(&headers);
    let page = public::page(&state.app, &slug).await?;
    let service = page.services.iter().find(|s| s.id.to_string() == service_id).cloned().ok_or(AppError::NotFound)?;
    let request = AvailabilityRequest {
        service_id: service_id.clone(),
        staff_id: params.staff_id.clone(),
        location_id: params.location_id.clone().filter(|l| !l.is_empty()),
        from: params.from.clone(),
        days: Some(7),
        ..Default::default()
    };
    let look = look::public(&state.app, &slug).await?;
    let title = words::say(language, "book-service-at", &[("service", &service.name), ("business", &page.business)]);
    let chrome =
        Chrome::public(&title, &csrf).speaking(language).of_business(&page.business, &slug).with_look(&slug, &look);
    let (available, chrome) = match public::slots(&state.app, &slug, &request).await {
        Ok(found) => (Some(found), chrome),
        Err(error @ AppError::Invalid(_)) => (None, chrome.with_error(&error)),
        Err(error) => return Err(error.into()),
    };
    let first = params
        .from
        .as_deref()
        .and_then(|f| f.parse::<jiff::civil::Date>().ok())
        .or_else(|| available.as_ref().and_then(|a| a.days.first()).and_then(|d| d.date.parse().ok()));
    let staff = params.staff_id.clone().unwrap_or_default();
    let place = params.location_id.clone().unwrap_or_default();
    let link = |date: jiff::civil::Date| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("from", &date.to_string());
        if !staff.is_empty() {
            q.append_pair("staff_id", &staff);
        }
        if !place.is_empty() {
            q.append_pair("location_id", &place);
        }
        format!("/b/{slug}/services/{service_id}?{}", q.finish())
    };
    let today = jiff::Timestamp::from_microsecond(state.app.now())
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .unwrap_or_default();
    let start = first.unwrap_or(today);
    let later = start.checked_add(jiff::Span::new().days(7)).map(link).unwrap_or_default();
    let earlier = start.checked_sub(jiff::Span::new().days(7)).ok().filter(|d| *d >= today).map(link);
    let status = if available.is_some() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    // The strip: the seven days shown, the chosen one (asked for, or the first with a free
    // time), and that day's times grouped by part of the day.
    let empty = Vec::new();
    let found_days = available.as_ref().map(|a| &a.days).unwrap_or(&empty);
    let asked_day = params.day.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok());
    let first_free = found_days.first().and_then(|d| d.date.parse::<jiff::civil::Date>().ok());
    let chosen = asked_day.or(first_free).unwrap_or(start);
    let day_link = |date: jiff::civil::Date| format!("{}&day={date}", link(start));
    let days: Vec<DayTab> = (0..7)
        .filter_map(|i| start.checked_add(jiff::Span::new().days(i)).ok())
        .map(|date| DayTab {
            weekday: human::weekday(language, date),
            date: human::day_of_month(language, date),
            free: found_days.iter().find(|d| d.date == date.to_string()).map(|d| d.slots.len()).unwrap_or(0),
            link: day_link(date),
            current: date == chosen,
        })
        .collect();
    let mut groups: Vec<SlotGroup> = Vec::new();
    for slot in found_days.iter().filter(|d| d.date == chosen.to_string()).flat_map(|d| d.slots.iter()) {
        let Some(time) = slot_time(slot) else { continue };
        let name = part_of_day(time.hour());
        if groups.last().is_none_or(|g| g.name != name) {
            groups.push(SlotGroup { name, slots: Vec::new() });
        }
        if let Some(group) = groups.last_mut() {
            group.slots.push(SlotButton { slot: slot.clone(), time: human::clock(time) });
        }
    }
    let next_available = match (first_free, found_days.first().and_then(|d| d.slots.first())) {
        (Some(day), Some(slot)) if day != chosen => slot_time(slot)
            .map(|time| (format!("{}, {}", human::day(language, day, today), human::clock(time)), day_link(day))),
        _ => None,
    };
    let page = SlotsPage {
        chrome,
        slug: slug.clone(),
        service,
        staff_id: staff,
        location_id: place.clone(),
        available,
        days,
        chosen_day: human::day(language, chosen, today),
        groups,
        next_available,
        later,
        earlier,
    };
    Ok(with_cookie(render(status, &page), cookie))
}

pub async fn hold(
    State(state): State<AppState>,
    Client(client): Client,
    Path(slug): Path<String>,
    form: FormData,
) -> PageResult {
    let id = public::hold(&state.app, &slug, &client, form.get("service_id"), form.get("staff_id"), form.get("start"))
        .await?;
    Ok(see_other(&format!("/b/{slug}/hold/{id}")))
}

#[derive(Template)]
#[template(path = "booking/book_details.html")]
pub struct DetailsPage {
    pub chrome: Chrome,
    pub hold: HoldView,
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl DetailsPage {
    /// `Haircut (1 h, ₹600)`.
    pub fn service_length(&self) -> String {
        let language = self.chrome.language;
        let minutes = human::minutes(language, self.hold.duration_minutes);
        let price = human::rupees(self.hold.price_paise);
        words::say(
            language,
            "book-service-length",
            &[("service", &self.hold.service), ("minutes", &minutes), ("price", &price)],
        )
    }
}

fn hold_id(raw: &str) -> Result<HoldId, AppError> {
    parse_id::<HoldId>("hold_id", raw).map_err(|_| AppError::NotFound)
}

pub async fn details(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let (csrf, cookie) = public_csrf(&headers);
    let language = visitor_language(&headers);
    let hold = public::held(&state.app, &slug, hold_id(&id)?).await?;
    let title = if hold.appointment.is_some() { "book-you-are-booked" } else { "book-your-details" };
    let look = look::public(&state.app, &slug).await?;
    let chrome = Chrome::public(&words::say(language, title, &[]), &csrf)
        .speaking(language)
        .of_business(&hold.business, &slug)
        .with_look(&slug, &look);
    let page = DetailsPage { chrome, hold, name: String::new(), phone: String::new(), email: String::new() };
    Ok(with_cookie(render(StatusCode::OK, &page), cookie))
}

pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Path((slug, id)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    let id = hold_id(&id)?;
    let contact = ContactForm {
        name: form.get("name").into(),
        phone: form.get("phone").into(),
        email: form.get("email").into(),
        reminders: form.all("reminders"),
        marketing: form.get("marketing") == "yes",
    };
    match public::confirm(&state.app, &slug, &client, id, &contact).await {
        Ok(_) => Ok(see_other(&format!("/b/{slug}/hold/{id}"))),
        Err(error @ (AppError::Invalid(_) | AppError::SlotTaken { .. } | AppError::NotAllowed(_))) => {
            let (csrf, _) = public_csrf(&headers);
            let hold = public::held(&state.app, &slug, id).await?;
            let look = look::public(&state.app, &slug).await?;
            let language = visitor_language(&headers);
            let chrome = Chrome::public(&words::say(language, "book-your-details", &[]), &csrf)
                .speaking(language)
                .of_business(&hold.business, &slug)
                .with_look(&slug, &look)
                .with_error(&error);
            let page = DetailsPage { chrome, hold, name: contact.name, phone: contact.phone, email: contact.email };
            Ok(render(crate::pages::status_for(Some(&error)), &page))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn ics(State(state): State<AppState>, Path((slug, id)): Path<(String, String)>) -> PageResult {
    let text = public::confirmation_ics(&state.app, &slug, hold_id(&id)?).await?;
    Ok(calendar_response(text, "appointment.ics"))
}

pub async fn staff_feed(State(state): State<AppState>, Path((slug, file)): Path<(String, String)>) -> PageResult {
    let secret = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let text = steward_app::booking::feed::feed(&state.app, &slug, secret).await?;
    Ok(calendar_response(text, "calendar.ics"))
}

fn calendar_response(text: String, name: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "booking/book_manage.html")]
pub struct ManagePage {
    pub chrome: Chrome,
    pub manage: steward_app::booking::manage::ManageView,
    pub token: String,
}

impl ManagePage {
    /// The appointment's status in the page's language.
    pub fn status_words(&self) -> String {
        words::say(self.chrome.language, &format!("status-{}", self.manage.appointment.status.name()), &[])
    }
}

/// A customer's own appointment, by the link in their messages.
pub async fn manage(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, token)): Path<(String, String)>,
) -> PageResult {
    let (csrf, cookie) = public_csrf(&headers);
    let language = visitor_language(&headers);
    let manage = steward_app::booking::manage::show(&state.app, &slug, &token).await?;
    let look = look::public(&state.app, &slug).await?;
    let chrome = Chrome::public(&words::say(language, "book-your-appointment", &[]), &csrf)
        .speaking(language)
        .of_business(&manage.business, &slug)
        .with_look(&slug, &look);
    Ok(with_cookie(render(StatusCode::OK, &ManagePage { chrome, manage, token }), cookie))
}

/// The customer cancels from that page.
pub async fn cancel_own(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Path((slug, token)): Path<(String, String)>,
) -> PageResult {
    let (csrf, _) = public_csrf(&headers);
    let language = visitor_language(&headers);
    let manage = steward_app::booking::manage::cancel(&state.app, &slug, &token, &client).await?;
    let look = look::public(&state.app, &slug).await?;
    let chrome = Chrome::public(&words::say(language, "book-your-appointment", &[]), &csrf)
        .speaking(language)
        .of_business(&manage.business, &slug)
        .with_look(&slug, &look)
        .with_notice(Some("appointment_cancelled"));
    Ok(render(StatusCode::OK, &ManagePage { chrome, manage, token }))
}
