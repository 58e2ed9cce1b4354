//! `steward demo`: a demo business with an owner, an admin and two staff, then serve.
//! Each capability adds its own demo data here, so the demo always shows the product.
//! The people are invented; the password is the same for all and printed.

use super::serve::{prepare, run};
use crate::config::Config;
use crate::runtime::{StartError, init_logging};
use steward_app::App;
use steward_app::access::members;
use steward_app::tenancy::{self, NewTenant};

pub const DEMO_SLUG: &str = "asha-salon";
pub const DEMO_PASSWORD: &str = "steward-demo-2026";
const DEMO_OWNER: &str = "owner@asha-salon.example";

pub async fn demo(config: &Config) -> Result<(), StartError> {
    // The demo has no mail server; its mail (invitations, resets) is read on the console.
    let config = &Config { mail_links_on_console: true, ..config.clone() };
    init_logging(config);
    let (listener, app) = prepare(config).await?;
    let created = ensure_demo_data(&app).await?;
    let address = listener.local_addr()?;
    let url = format!("http://localhost:{}", address.port());
    println!();
    println!("  Steward demo {}", if created { "created" } else { "is ready" });
    println!("  Open      {url}/login");
    println!("  Business  {DEMO_SLUG}");
    println!("  Email     {DEMO_OWNER}   (also admin@, meera@, kabir@ at the same domain)");
    println!("  Password  {DEMO_PASSWORD}");
    println!("  Booking   {url}/b/{DEMO_SLUG}   (the public booking page)");
    println!("  Privacy   {url}/p/{DEMO_SLUG}   (its generated privacy notice)");
    println!("  API docs  {url}/api/docs");
    println!("  Data in   {}   (Ctrl-C stops; run again to continue)", config.data_dir.display());
    println!();
    run(listener, app, config).await
}

/// Creates the demo business if it is not there yet; true when it was created.
pub async fn ensure_demo_data(app: &App) -> Result<bool, StartError> {
    if tenancy::find_by_slug(app, DEMO_SLUG).await?.is_some() {
        return Ok(false);
    }
    let (tenant, _owner) = tenancy::create_tenant(
        app,
        NewTenant {
            business_name: "Asha's Salon & Spa".into(),
            slug: DEMO_SLUG.into(),
            country: "IN".into(),
            time_zone: "Asia/Kolkata".into(),
            owner_name: "Asha Demo".into(),
            owner_email: DEMO_OWNER.into(),
            owner_password: DEMO_PASSWORD.into(),
            accepted_policy: true,
            owner_email_verified: true,
            ip: None,
        },
    )
    .await?;
    for (email, name, role) in [
        ("admin@asha-salon.example", "Ravi Demo", "admin"),
        ("meera@asha-salon.example", "Meera Demo", "staff"),
        ("kabir@asha-salon.example", "Kabir Demo", "staff"),
    ] {
        members::add_member(app, tenant.id, email, name, role, DEMO_PASSWORD).await?;
    }
    demo_customers(app).await?;
    demo_look(app).await?;
    Ok(true)
}

/// The booking page in the salon's own plum, with its phone, logo and cover photo (drawn
/// for the demo, in `demo_pictures/`).
async fn demo_look(app: &App) -> Result<(), StartError> {
    use steward_app::access::auth;
    use steward_app::tenancy::look;
    let issued = auth::log_in(app, DEMO_SLUG, DEMO_OWNER, DEMO_PASSWORD, &Default::default(), None).await?;
    let owner = auth::authenticate_session(app, &issued.cookie_value).await?;
    look::set_colour_and_phone(app, &owner, "#8e2c62", "+91 98450 00100").await?;
    look::set_picture(app, &owner, "logo", include_bytes!("demo_pictures/logo.png").to_vec()).await?;
    look::set_picture(app, &owner, "cover", include_bytes!("demo_pictures/cover.png").to_vec()).await?;
    auth::log_out(app, &owner).await?;
    Ok(())
}

/// The demo's own fields (three sensitive, one personal) and a few generated customers.
async fn demo_customers(app: &App) -> Result<(), StartError> {
    use steward_app::access::auth;
    use steward_app::customers::{fields, notes, records};
    let issued = auth::log_in(app, DEMO_SLUG, DEMO_OWNER, DEMO_PASSWORD, &Default::default(), None).await?;
    let owner = auth::authenticate_session(app, &issued.cookie_value).await?;
    for (label, kind, class, options) in [
        ("Hair colour history", "text", "sensitive", vec![]),
        ("Allergies", "text", "sensitive", vec![]),
        ("Fitness goal", "select", "sensitive", vec!["Lose weight", "Build strength", "Flexibility", "Endurance"]),
        ("Referred by", "text", "personal", vec![]),
    ] {
        let input = fields::FieldInput {
            label: label.into(),
            kind: kind.into(),
            data_class: class.into(),
            options: options.into_iter().map(str::to_string).collect(),
        };
        fields::create(app, &owner, &input).await?;
    }
    let people = [
        ("Demo Customer Anaya", "98450 00101", "Global 6N, 2019", "Walk-in friend"),
        ("Demo Customer Ishaan", "98450 00102", "", "Instagram"),
        ("Demo Customer Zoë", "98450 00103", "Copper 7.4, 2021", ""),
        ("Demo Customer Rohan", "98450 00104", "", "Demo Customer Anaya"),
        ("Demo Customer Saanvi", "98450 00105", "Balayage, 2023", ""),
        ("Demo Customer Vihaan", "98450 00106", "", ""),
    ];
    let mut customers = Vec::new();
    for (index, (name, phone, colour, referred)) in people.into_iter().enumerate() {
        let mut values = serde_json::Map::new();
        if !colour.is_empty() {
            values.insert("Hair colour history".into(), colour.into());
        }
        if !referred.is_empty() {
            values.insert("Referred by".into(), referred.into());
        }
        if index % 3 == 0 {
            values.insert("Allergies".into(), "Generated example: PPD in dark dyes".into());
        }
        let input: records::CustomerInput = serde_json::from_value(serde_json::json!({
            "name": name, "phone": phone, "email": format!("customer{}@demo.example", index + 1),
            "tags": if index % 2 == 0 { vec!["regular"] } else { vec!["new"] }, "fields": values,
            "consents": [{ "channel": "whatsapp", "purpose": "reminders", "granted": true, "source": "verbal" }],
        }))
        .map_err(|e| StartError::Usage(format!("demo data: {e}")))?;
        let customer = records::create(app, &owner, &input).await?;
        customers.push(customer.id);
        let note =
            notes::NoteInput { body: "Generated example note: prefers weekend mornings.".into(), private: false };
        notes::add(app, &owner, customer.id, &note).await?;
    }
    demo_messaging(app, &owner).await?;
    demo_booking(app, &owner, &customers).await?;
    auth::log_out(app, &owner).await?;
    Ok(())
}

/// Two locations, four services, three staff (two with a login, one without) with
/// weekday hours and a lunch break, the coming three weeks booked through the same path
/// as the calendar, and the past two weeks as history (completed, a no-show, a
/// cancellation), so the calendar, the customer pages and the dashboard have something
/// to show.
/// Reminders as a salon in India sends them: WhatsApp first, then SMS, then email, 24 and
/// 2 hours before, quiet from 21:00 to 08:00, with the salon's own words in English and
/// Hindi. No provider account is connected, so the message log shows what would be sent.
async fn demo_messaging(app: &App, owner: &steward_app::access::principal::Principal) -> Result<(), StartError> {
    use steward_app::messaging::settings::{self, RulesInput, TemplateInput};
    let rules = RulesInput {
        reminders: "24h, 2h".into(),
        channel_order: "whatsapp, sms, email".into(),
        quiet_from: "21:00".into(),
        quiet_until: "08:00".into(),
        send_confirmation: true,
        send_changes: true,
        follow_up_hours: Some("24".into()),
        language: "en".into(),
        services: Vec::new(),
    };
    settings::save_rules(app, owner, &rules).await?;
    for (language, body) in [
        (
            "en",
            "Hi {first_name}! See you at {business} on {time} for your {service} with {staff}. To change it: {link}",
        ),
        ("hi", "नमस्ते {first_name}! {business} में {time} पर {staff} के साथ आपकी {service} की बुकिंग है। बदलने के लिए: {link}"),
    ] {
        let template = TemplateInput {
            kind: "reminder".into(),
            language: language.into(),
            body: body.into(),
            whatsapp_template: Some(format!("asha_salon_reminder_{language}")),
        };
        settings::save_template(app, owner, &template).await?;
    }
    Ok(())
}

async fn demo_booking(
    app: &App,
    owner: &steward_app::access::principal::Principal,
    customers: &[steward_domain::ids::CustomerId],
) -> Result<(), StartError> {
    use jiff::ToSpan;
    use steward_app::booking::Amount;
    use steward_app::booking::appointments::{self, BookingInput};
    use steward_app::booking::setup::{self, HoursInput, LocationInput, ServiceInput, StaffInput, WeekInput};
    let indiranagar = setup::create_location(
        app,
        owner,
        &LocationInput {
            name: Some("Indiranagar".into()),
            address: Some("100 Feet Road, Indiranagar, Bengaluru".into()),
            time_zone: Some("Asia/Kolkata".into()),
        },
    )
    .await?;
    let koramangala = setup::create_location(
        app,
        owner,
        &LocationInput {
            name: Some("Koramangala".into()),
            address: Some("80 Feet Road, Koramangala, Bengaluru".into()),
            time_zone: Some("Asia/Kolkata".into()),
        },
    )
    .await?;
    let mut services = Vec::new();
    for (name, minutes, price, after) in [
        ("Haircut", 45, "600", 10),
        ("Hair colour", 120, "3500", 15),
        ("Facial", 60, "1800", 10),
        ("Manicure", 40, "800", 5),
    ] {
        let input = ServiceInput {
            name: Some(name.into()),
            duration_minutes: Some(minutes),
            buffer_after_minutes: Some(after),
            slot_interval_minutes: Some(15),
            min_notice_minutes: Some(60),
            horizon_days: Some(60),
            price: Some(Amount::Text(price.into())),
            gst_rate: Some(Amount::Text("5".into())),
            sac_code: Some("999721".into()),
            ..Default::default()
        };
        services.push(setup::create_service(app, owner, &input).await?);
    }
    let all_services: Vec<String> = services.iter().map(|s| s.id.to_string()).collect();
    let staff_members = steward_app::access::members::list(app, owner).await?;
    let member_id = |email: &str| staff_members.iter().find(|m| m.email == email).map(|m| m.id.to_string());
    let mut staff = Vec::new();
    for (name, email, at) in [
        ("Meera", Some("meera@asha-salon.example"), &indiranagar),
        ("Kabir", Some("kabir@asha-salon.example"), &koramangala),
        ("Priya", None, &indiranagar),
    ] {
        let person = setup::create_staff(
            app,
            owner,
            &StaffInput {
                name: Some(name.into()),
                member_id: email.and_then(member_id),
                service_ids: Some(all_services.clone()),
                ..Default::default()
            },
        )
        .await?;
        let mut hours = Vec::new();
        for day in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] {
            for (start, end) in [("10:00", "14:00"), ("15:00", "19:00")] {
                hours.push(HoursInput {
                    weekday: day.into(),
                    start: start.into(),
                    end: end.into(),
                    location_id: at.id.to_string(),
                });
            }
        }
        staff.push(setup::set_hours(app, owner, person.id, &WeekInput { hours }).await?);
    }
    // The coming three weeks, booked as a receptionist would.
    let zone = jiff::tz::TimeZone::get("Asia/Kolkata").map_err(|e| StartError::Usage(format!("demo data: {e}")))?;
    let today = jiff::Timestamp::from_microsecond(app.now())
        .map_err(|e| StartError::Usage(format!("demo data: {e}")))?
        .to_zoned(zone.clone())
        .date();
    let mut booked = 0;
    for day in 0..=21i64 {
        let Ok(date) = today.checked_add(day.days()) else { continue };
        if date.weekday() == jiff::civil::Weekday::Sunday {
            continue;
        }
        for (slot, time) in ["10:30", "12:00", "16:00", "17:30"].iter().enumerate() {
            let pick = (day as usize * 7 + slot * 3) % 10;
            if pick >= 6 {
                continue;
            }
            let input = BookingInput {
                customer_id: Some(customers[(day as usize + slot) % customers.len()].to_string()),
                service_id: services[(day as usize + slot) % services.len()].id.to_string(),
                staff_id: Some(staff[(day as usize + slot) % staff.len()].id.to_string()),
                start: format!("{date}T{time}"),
                ..Default::default()
            };
            if appointments::book(app, owner, &input).await.is_ok() {
                booked += 1;
            }
        }
    }
    tracing::info!(booked, "demo appointments booked");
    demo_history(app, owner, customers, &services, &staff, &zone, today).await
}

/// The past two weeks, written as history brought into Steward (the booking rules refuse
/// times that have passed): mostly completed, one no-show, one cancellation.
async fn demo_history(
    app: &App,
    owner: &steward_app::access::principal::Principal,
    customers: &[steward_domain::ids::CustomerId],
    services: &[steward_app::booking::setup::ServiceView],
    staff: &[steward_app::booking::setup::StaffView],
    zone: &jiff::tz::TimeZone,
    today: jiff::civil::Date,
) -> Result<(), StartError> {
    let (customers, services, staff, zone) = (customers.to_vec(), services.to_vec(), staff.to_vec(), zone.clone());
    let member = owner.member;
    app.store
        .write(owner.tenant, move |tx| async move {
            history_in(tx, member, &customers, &services, &staff, &zone, today).await
        })
        .await
}

/// The history's rows, one write transaction.
async fn history_in(
    mut tx: steward_store::TenantTx,
    member: steward_domain::ids::MemberId,
    customers: &[steward_domain::ids::CustomerId],
    services: &[steward_app::booking::setup::ServiceView],
    staff: &[steward_app::booking::setup::StaffView],
    zone: &jiff::tz::TimeZone,
    today: jiff::civil::Date,
) -> Result<(), StartError> {
    use jiff::ToSpan;
    use steward_domain::booking::Status;
    use steward_domain::ids::AppointmentId;
    use steward_domain::time::Timestamp;
    use steward_store::booking::appointments::{self as rows, NewAppointment};
    fn bad(e: String) -> StartError {
        StartError::Usage(format!("demo data: {e}"))
    }
    for day in 1..=14i64 {
        let date = today.checked_sub(day.days()).map_err(|e| bad(e.to_string()))?;
        if date.weekday() == jiff::civil::Weekday::Sunday {
            continue;
        }
        for (slot, hour) in [11i8, 16].into_iter().enumerate() {
            let index = day as usize + slot;
            let service = &services[index % services.len()];
            let person = &staff[index % staff.len()];
            let start = Timestamp::from(
                date.at(hour, 0, 0, 0).to_zoned(zone.clone()).map_err(|e| bad(e.to_string()))?.timestamp(),
            );
            let minute = 60_000_000;
            let id = AppointmentId::generate();
            let customer = customers[index % customers.len()];
            let location = person.hours.first().map(|h| h.location_id.clone()).unwrap_or_default();
            let appointment = NewAppointment {
                id,
                customer_id: customer,
                service_id: service.id,
                staff_id: person.id,
                location_id: location.parse().map_err(|_| bad("location".into()))?,
                starts_at: start,
                ends_at: start + service.duration_minutes * minute,
                blocked_from: start - service.buffer_before_minutes * minute,
                blocked_until: start + (service.duration_minutes + service.buffer_after_minutes) * minute,
                price_paise: service.price_paise,
                gst_rate_bp: 500,
                notes: None,
                series_id: None,
                booked_via: "staff",
                created_by: Some(member),
            };
            rows::insert(&mut tx, &appointment, start - 3 * 86_400_000_000).await.map_err(|e| bad(e.to_string()))?;
            let status = match (day, slot) {
                (3, 1) => Status::NoShow,
                (5, 0) => Status::Cancelled,
                _ => Status::Completed,
            };
            let reason = (status == Status::Cancelled).then(|| "Customer asked to skip this week".to_string());
            rows::set_status(&mut tx, id, status, reason, start).await.map_err(|e| bad(e.to_string()))?;
            if status == Status::Completed {
                rows::mark_visit(&mut tx, customer, start).await.map_err(|e| bad(e.to_string()))?;
            }
        }
    }
    tx.commit().await.map_err(|e| bad(e.to_string()))?;
    Ok(())
}
