//! Booking: locations, services, staff and their hours, the calendar and its appointments,
//! the public booking page of each business and staff calendar feeds.

pub mod api;
pub mod pages;
pub mod public_pages;

use crate::routes::{Route, Section, delete, get, patch, post, put};
use steward_app::booking::{appointments, availability, feed, setup};
use steward_domain::permissions::Permission::{BookingsManage, BookingsRead, TenantManage};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/b/{tenant_slug}", public_pages::services).public().about("A business's services, to book"),
        get("/b/{tenant_slug}/services/{service_id}", public_pages::slots).public().about("Free times of a service"),
        post("/b/{tenant_slug}/hold", public_pages::hold).public().about("Hold a free time for a few minutes"),
        get("/b/{tenant_slug}/manage/{token}", public_pages::manage)
            .public()
            .about("A customer's own appointment, by the link in their messages"),
        post("/b/{tenant_slug}/manage/{token}", public_pages::cancel_own)
            .public()
            .about("The customer cancels their appointment"),
        get("/b/{tenant_slug}/hold/{hold_id}", public_pages::details)
            .public()
            .about("Details form, or the confirmation"),
        post("/b/{tenant_slug}/hold/{hold_id}", public_pages::confirm).public().about("Book the held time"),
        get("/b/{tenant_slug}/hold/{hold_id}/calendar.ics", public_pages::ics)
            .public()
            .about("The booked appointment as a calendar file"),
        get("/calendar/{tenant_slug}/{feed_file}", public_pages::staff_feed)
            .public()
            .about("A staff member's calendar feed"),
        get("/app/calendar", pages::calendar).needs(BookingsRead).menu(20, "Calendar").about("Calendar: day and week"),
        get("/app/appointments/new", pages::new_form).needs(BookingsManage).about("Booking form"),
        post("/app/appointments", pages::create).needs(BookingsManage).about("Book an appointment"),
        get("/app/appointments/{appointment_id}", pages::show).needs(BookingsRead).about("An appointment"),
        post("/app/appointments/{appointment_id}", pages::change)
            .needs(BookingsManage)
            .about("Move an appointment or change its notes"),
        post("/app/appointments/{appointment_id}/status", pages::set_status)
            .needs(BookingsManage)
            .about("Change an appointment's status or cancel it"),
        post("/app/appointments/{appointment_id}/undo", pages::undo_status)
            .needs(BookingsManage)
            .about("Take back a status change made by mistake"),
        get("/app/booking", pages::setup_show).needs(BookingsRead).setting(40, "Booking setup", Section::Business).about("Booking setup"),
        post("/app/booking/locations", pages::location_create).needs(TenantManage).about("Add a location"),
        post("/app/booking/services", pages::service_create).needs(TenantManage).about("Add a service"),
        get("/app/booking/services/{service_id}", pages::service_show).needs(BookingsRead).about("A service"),
        post("/app/booking/services/{service_id}", pages::service_update).needs(TenantManage).about("Change a service"),
        post("/app/booking/staff", pages::staff_create).needs(TenantManage).about("Add a staff member"),
        get("/app/booking/staff/{staff_id}", pages::staff_show).needs(BookingsRead).about("A staff member"),
        post("/app/booking/staff/{staff_id}", pages::staff_update).needs(TenantManage).about("Change a staff member"),
        post("/app/booking/staff/{staff_id}/hours", pages::hours_update).needs(TenantManage).about("Set weekly hours"),
        post("/app/booking/staff/{staff_id}/overrides", pages::override_set)
            .needs(BookingsManage)
            .about("Set a day that differs"),
        post("/app/booking/staff/{staff_id}/time-off", pages::time_off_add).needs(BookingsManage).about("Add time off"),
        post("/app/booking/staff/{staff_id}/feed", pages::feed_rotate)
            .needs(BookingsManage)
            .about("Make a calendar feed address"),
        post("/app/booking/staff/{staff_id}/feed/revoke", pages::feed_revoke)
            .needs(BookingsManage)
            .about("Turn a calendar feed off"),
        get("/api/v1/locations", api::locations)
            .needs(BookingsRead)
            .answers_list::<setup::LocationView>()
            .about("Locations of the business"),
        post("/api/v1/locations", api::create_location)
            .needs(TenantManage)
            .takes::<setup::LocationInput>()
            .answers::<setup::LocationView>()
            .about("Add a location"),
        get("/api/v1/locations/{location_id}", api::location)
            .needs(BookingsRead)
            .answers::<setup::LocationView>()
            .about("One location"),
        patch("/api/v1/locations/{location_id}", api::update_location)
            .needs(TenantManage)
            .takes::<setup::LocationInput>()
            .answers::<setup::LocationView>()
            .about("Change a location"),
        delete("/api/v1/locations/{location_id}", api::delete_location)
            .needs(TenantManage)
            .answers_no_json()
            .about("Delete a location nothing was booked at"),
        get("/api/v1/services", api::services)
            .needs(BookingsRead)
            .answers_list::<setup::ServiceView>()
            .about("Services of the business"),
        post("/api/v1/services", api::create_service)
            .needs(TenantManage)
            .takes::<setup::ServiceInput>()
            .answers::<setup::ServiceView>()
            .about("Add a service"),
        get("/api/v1/services/{service_id}", api::service).needs(BookingsRead).answers::<setup::ServiceView>().about("One service"),
        patch("/api/v1/services/{service_id}", api::update_service)
            .needs(TenantManage)
            .takes::<setup::ServiceInput>()
            .answers::<setup::ServiceView>()
            .about("Change a service (missing values stay)"),
        get("/api/v1/staff", api::staff_list)
            .needs(BookingsRead)
            .answers_list::<setup::StaffView>()
            .about("Staff, with services, weekly hours and coming overrides"),
        post("/api/v1/staff", api::create_staff)
            .needs(TenantManage)
            .takes::<setup::StaffInput>()
            .answers::<setup::StaffView>()
            .about("Add a staff member (with or without a login)"),
        get("/api/v1/staff/{staff_id}", api::staff).needs(BookingsRead).answers::<setup::StaffView>().about("One staff member"),
        patch("/api/v1/staff/{staff_id}", api::update_staff)
            .needs(TenantManage)
            .takes::<setup::StaffInput>()
            .answers::<setup::StaffView>()
            .about("Change a staff member"),
        put("/api/v1/staff/{staff_id}/hours", api::set_hours)
            .needs(TenantManage)
            .takes::<setup::WeekInput>()
            .answers::<setup::StaffView>()
            .about("Replace the weekly hours (breaks are the gaps)"),
        post("/api/v1/staff/{staff_id}/overrides", api::set_override)
            .needs(BookingsManage)
            .takes::<setup::OverrideInput>()
            .answers::<setup::StaffView>()
            .status(200)
            .about("Set (or remove) the hours of one date; no ranges is a day off"),
        get("/api/v1/staff/{staff_id}/time-off", api::time_off)
            .needs(BookingsRead)
            .answers_list::<setup::TimeOffView>()
            .about("Coming time off"),
        post("/api/v1/staff/{staff_id}/time-off", api::add_time_off)
            .needs(BookingsManage)
            .takes::<setup::TimeOffInput>()
            .answers::<setup::TimeOffView>()
            .about("Add time off"),
        delete("/api/v1/staff/{staff_id}/time-off/{time_off_id}", api::remove_time_off)
            .needs(BookingsManage)
            .answers_no_json()
            .about("Remove time off"),
        post("/api/v1/staff/{staff_id}/calendar-feed", api::rotate_feed)
            .needs(BookingsManage)
            .answers::<feed::FeedLink>()
            .about("Make a new private calendar feed address (the old one stops working)"),
        delete("/api/v1/staff/{staff_id}/calendar-feed", api::revoke_feed)
            .needs(BookingsManage)
            .answers_no_json()
            .about("Turn the calendar feed off"),
        get("/api/v1/availability", api::availability).needs(BookingsRead).query::<availability::AvailabilityRequest>().answers::<availability::AvailabilityView>().about(
            "Free start times (query: service_id, staff_id or anyone, location_id, from=YYYY-MM-DD, days, time_zone)",
        ),
        get("/api/v1/appointments", api::appointments)
            .needs(BookingsRead).query::<appointments::ListRequest>()
            .answers_list::<appointments::AppointmentView>()
            .about("Appointments of some days (query: from=YYYY-MM-DD, days, staff_id, location_id, time_zone)"),
        post("/api/v1/appointments", api::book)
            .needs(BookingsManage)
            .takes::<appointments::BookingInput>()
            .answers::<appointments::BookingResult>()
            .about("Book an appointment or a recurring series; a taken time is 409 with next_free"),
        get("/api/v1/appointments/{appointment_id}", api::appointment)
            .needs(BookingsRead)
            .answers::<appointments::AppointmentView>()
            .about("One appointment"),
        patch("/api/v1/appointments/{appointment_id}", api::change_appointment)
            .needs(BookingsManage)
            .takes::<appointments::AppointmentChange>()
            .answers::<appointments::AppointmentView>()
            .about("Move an appointment (same rules as booking) or change its notes"),
        post("/api/v1/appointments/{appointment_id}/status", api::set_status)
            .needs(BookingsManage)
            .takes::<appointments::StatusChange>()
            .answers::<appointments::AppointmentView>()
            .status(200)
            .about("Confirm, check in, complete, mark a no-show, or cancel with a reason"),
        get("/api/v1/customers/{customer_id}/appointments", api::customer_appointments)
            .needs(BookingsRead)
            .answers_list::<appointments::AppointmentView>()
            .about("A customer's appointments, latest first"),
    ]
}
