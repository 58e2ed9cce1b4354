//! The booking numbers (issue 4), against the release binary:
//! - availability of one service across 50 staff for 30 days with 10,000 existing
//!   appointments, through the API, one request at a time: median and p99 latency;
//! - booking distinct free slots through the API from 64 concurrent clients: bookings/s;
//! - 64 clients asking for the same few slots: exactly one booking per slot, the rest 409.
//!
//! Usage: steward-bench booking [--postgres ADMIN_URL] [--runs N] [--seconds N]
//!        [--connections N] [--history N] [--steward PATH]
//!
//! `--history N` adds N appointments before today (a business with years behind it), to
//! see whether booking and availability slow down as a business's history grows.

use crate::{http, median_f64, median_u64, seed};
use std::time::{Duration, Instant};
use steward_app::App;
use steward_app::access::{auth, tokens};
use steward_app::booking::setup::{self, HoursInput, LocationInput, ServiceInput, StaffInput, WeekInput};
use steward_app::messaging::outbox::{About, Planner};
use steward_app::messaging::worker;
use steward_domain::ids::{AppointmentId, CustomerId, LocationId, ServiceId, StaffId};
use steward_domain::time::Timestamp;
use steward_store::booking::appointments::{self as rows, NewAppointment};

const STAFF: usize = 50;
const EXISTING: usize = 10_000;
const MINUTE: i64 = 60_000_000;
const DAY: i64 = 86_400_000_000;

struct Setup {
    token: String,
    service: ServiceId,
    staff: Vec<StaffId>,
    customers: Vec<CustomerId>,
    /// Midnight (Asia/Kolkata) of the first benchmarked day, tomorrow.
    first_day: jiff::civil::Date,
}

/// Start minutes (from midnight) of one staff member's appointments on one day: a scattered
/// handful of 30-minute appointments on the quarter-hour grid, 09:00-13:00 and 14:00-21:00.
fn day_starts(next: &mut impl FnMut() -> usize) -> Vec<i64> {
    let mut taken: Vec<i64> = Vec::new();
    for _ in 0..10 {
        let quarter = (next() % 44) as i64;
        let start = if quarter < 15 { 9 * 60 + quarter * 15 } else { 14 * 60 + (quarter - 15) * 15 };
        if start + 30 > 21 * 60 || (start < 13 * 60 && start + 30 > 13 * 60) {
            continue;
        }
        if taken.iter().any(|t| (t - start).abs() < 30) {
            continue;
        }
        taken.push(start);
    }
    taken
}

fn appointment(
    staff: StaffId,
    customer: CustomerId,
    service: ServiceId,
    location: uuid::Uuid,
    at: Timestamp,
) -> NewAppointment {
    NewAppointment {
        id: AppointmentId::generate(),
        customer_id: customer,
        service_id: service,
        staff_id: staff,
        location_id: LocationId(location),
        starts_at: at,
        ends_at: at + 30 * MINUTE,
        blocked_from: at,
        blocked_until: at + 30 * MINUTE,
        price_paise: 50_000,
        gst_rate_bp: 1800,
        notes: None,
        series_id: None,
        booked_via: "staff",
        created_by: None,
    }
}

async fn set_up(app: &App, seeded: &seed::Seeded, history: usize) -> Result<Setup, String> {
    let err = |e: steward_app::AppError| e.to_string();
    let issued =
        auth::log_in(app, &seeded.login_slug, &seeded.login_email, &seeded.login_password, &Default::default(), None)
            .await
            .map_err(err)?;
    let owner = auth::authenticate_session(app, &issued.cookie_value).await.map_err(err)?;
    let location = setup::create_location(
        app,
        &owner,
        &LocationInput { name: Some("Bench Road".into()), address: None, time_zone: Some("Asia/Kolkata".into()) },
    )
    .await
    .map_err(err)?;
    let service = setup::create_service(
        app,
        &owner,
        &ServiceInput {
            name: Some("Consultation".into()),
            duration_minutes: Some(30),
            slot_interval_minutes: Some(15),
            min_notice_minutes: Some(0),
            horizon_days: Some(120),
            price: Some(steward_app::booking::Amount::Text("500".into())),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    let hours: Vec<HoursInput> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        .iter()
        .flat_map(|day| {
            [("09:00", "13:00"), ("14:00", "21:00")].map(|(start, end)| HoursInput {
                weekday: day.to_string(),
                start: start.into(),
                end: end.into(),
                location_id: location.id.to_string(),
            })
        })
        .collect();
    let mut staff = Vec::new();
    for i in 0..STAFF {
        let person = setup::create_staff(
            app,
            &owner,
            &StaffInput {
                name: Some(format!("Bench Staff {i:02}")),
                service_ids: Some(vec![service.id.to_string()]),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
        setup::set_hours(app, &owner, person.id, &WeekInput { hours: hours.clone() }).await.map_err(err)?;
        staff.push(person.id);
    }
    let mut customers = Vec::new();
    for i in 0..200 {
        let input: steward_app::customers::records::CustomerInput = serde_json::from_value(
            serde_json::json!({ "name": format!("Bench Customer {i}"), "phone": format!("+9170000{i:05}") }),
        )
        .map_err(|e| e.to_string())?;
        customers.push(steward_app::customers::records::create(app, &owner, &input).await.map_err(err)?.id);
    }
    let zone = jiff::tz::TimeZone::get("Asia/Kolkata").map_err(|e| e.to_string())?;
    let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
    let first_day = today.tomorrow().map_err(|e| e.to_string())?;
    // 10,000 existing appointments over the 30 days: per staff member and day, a
    // scattered handful of 30-minute appointments on the quarter-hour grid, each with the
    // confirmation and reminders a booking queues, as a business that took them has.
    let mut tx = app.store.begin_tenant(owner.tenant).await.map_err(|e| e.to_string())?;
    let planner = Planner::load(&mut tx).await.map_err(err)?;
    let mut made = 0usize;
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    'fill: for day in 0..30i64 {
        let date = first_day.checked_add(jiff::Span::new().days(day)).map_err(|e| e.to_string())?;
        let midnight = date.to_zoned(zone.clone()).map_err(|e| e.to_string())?.timestamp().as_microsecond();
        for (s, person) in staff.iter().enumerate() {
            for start in day_starts(&mut next) {
                let at = Timestamp::from_micros(midnight + start * MINUTE);
                let row = appointment(*person, customers[(made + s) % customers.len()], service.id, location.id.0, at);
                rows::insert(&mut tx, &row, at - DAY).await.map_err(|e| e.to_string())?;
                let about = About {
                    appointment: row.id,
                    customer: row.customer_id,
                    service: service.id,
                    starts_at: at.as_micros(),
                };
                planner.booked(&mut tx, &about, (at - DAY).as_micros()).await.map_err(err)?;
                made += 1;
                if made == EXISTING {
                    break 'fill;
                }
            }
        }
    }
    // The business's history: appointments before today, back as many days as `history`
    // needs, on the same grid. Their messages went out long ago and are not made here.
    let mut past = 0usize;
    let mut day = 0i64;
    while past < history {
        day += 1;
        let date = today.checked_sub(jiff::Span::new().days(day)).map_err(|e| e.to_string())?;
        let midnight = date.to_zoned(zone.clone()).map_err(|e| e.to_string())?.timestamp().as_microsecond();
        for (s, person) in staff.iter().enumerate() {
            for start in day_starts(&mut next) {
                if past == history {
                    break;
                }
                let at = Timestamp::from_micros(midnight + start * MINUTE);
                let row = appointment(*person, customers[(past + s) % customers.len()], service.id, location.id.0, at);
                rows::insert(&mut tx, &row, at - DAY).await.map_err(|e| e.to_string())?;
                past += 1;
            }
        }
        if past > 0 && past.is_multiple_of(20_000) {
            println!("{past} past appointments placed");
        }
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    if made < EXISTING {
        return Err(format!("only {made} appointments could be placed"));
    }
    // The confirmations already went out (here: settled as skipped, no channel is
    // connected); the reminders stay scheduled.
    worker::dispatch_due(app).await.map_err(err)?;
    let scopes = ["bookings.read".to_string(), "bookings.manage".to_string(), "customers.read".to_string()];
    let token = tokens::create(app, &owner, "booking bench", &scopes, None).await.map_err(err)?.token;
    Ok(Setup { token, service: service.id, staff, customers, first_day })
}

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut postgres: Option<String> = None;
    let mut runs: usize = 3;
    let mut seconds: u64 = 5;
    let mut connections: usize = 64;
    let mut history: usize = 0;
    let mut steward = steward.to_string();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--postgres" => postgres = Some(value.clone()),
            "--runs" => runs = value.parse().map_err(|_| "--runs: a whole number")?,
            "--seconds" => seconds = value.parse().map_err(|_| "--seconds: a whole number")?,
            "--connections" => connections = value.parse().map_err(|_| "--connections: a whole number")?,
            "--history" => history = value.parse().map_err(|_| "--history: a whole number")?,
            "--steward" => steward = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !std::path::Path::new(&steward).exists() {
        return Err(format!("{steward} not found: build it first with cargo build --release"));
    }
    let data_dir = std::env::temp_dir().join(format!("steward-bench-booking-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let seeded = seed::seed(&data_dir, postgres.as_deref(), 3).await?;
    let url = seeded.runtime_url.clone();
    let (store, app) = seed::open_app(&data_dir, url.as_deref(), 4).await?;
    let started = Instant::now();
    let setup = set_up(&app, &seeded, history).await?;
    store.close().await;
    seeded.analyze().await?;
    println!(
        "{STAFF} staff, {EXISTING} appointments over 30 days with their confirmations and reminders, {history} before today, on {} (set up in {:.1} s)",
        seeded.backend,
        started.elapsed().as_secs_f64()
    );

    let (_server, address) = seed::start_server(&steward, &data_dir, url.as_deref()).await?;

    // Availability: 50 staff ("anyone"), 30 days, one request at a time.
    let path = format!("/api/v1/availability?service_id={}&from={}&days=30", setup.service, setup.first_day);
    let request = http::get_request(&path, &setup.token);
    let first_started = Instant::now();
    let (status, body) = http::send_once(&address, &request).await?;
    let first_ms = first_started.elapsed().as_secs_f64() * 1000.0;
    if status != 200 {
        return Err(format!("availability answered {status}: {body}"));
    }
    let slots = body.matches("\"start\"").count();
    println!(
        "availability answers {slots} start times ({} KB); the first request, nothing cached: {first_ms:.2} ms",
        body.len() / 1024
    );
    let one_staff = http::get_request(
        &format!(
            "/api/v1/availability?service_id={}&staff_id={}&from={}&days=30",
            setup.service, setup.staff[0], setup.first_day
        ),
        &setup.token,
    );
    http::load(&address, &request, 1, Duration::from_secs(1)).await?; // warm-up
    let mut avail_p50 = Vec::new();
    let mut avail_p99 = Vec::new();
    let mut single_p50 = Vec::new();
    let mut availability_profile = String::new();
    let mut profiling_availability = match seeded.admin_database_url() {
        Some(url) => crate::pg_profile::start_profile(&url).await,
        None => false,
    };
    for run in 1..=runs {
        let all = http::load(&address, &request, 1, Duration::from_secs(seconds)).await?;
        if let (true, Some(url)) = (profiling_availability, seeded.admin_database_url()) {
            profiling_availability = false;
            let asked = (all.per_second * seconds as f64).round().max(1.0) as usize;
            let profile = crate::pg_profile::read_profile(&url, asked).await?;
            availability_profile = profile.as_markdown("One availability run (50 staff)", "request");
            print!("{availability_profile}");
        }
        let one = http::load(&address, &one_staff, 1, Duration::from_secs(2)).await?;
        println!(
            "availability run {run}: 50 staff p50 {:.2} ms, p99 {:.2} ms ({:.0} req/s); one staff p50 {:.2} ms",
            all.p50_us as f64 / 1000.0,
            all.p99_us as f64 / 1000.0,
            all.per_second,
            one.p50_us as f64 / 1000.0
        );
        if all.errors + one.errors > 0 {
            return Err("availability requests failed".into());
        }
        avail_p50.push(all.p50_us);
        avail_p99.push(all.p99_us);
        single_p50.push(one.p50_us);
    }

    // Booking distinct free slots: days 31 to 90, where nothing is booked yet; each
    // (connection, iteration) pair gets its own staff member, day and quarter hour.
    let per_day = 40usize; // 30-minute starts on the half hour, 09:00-13:00 and 14:00-21:00 minus ends
    let day_slots: Vec<String> = (0..per_day)
        .filter_map(|i| {
            let minutes = if i < 8 { 9 * 60 + i * 30 } else { 14 * 60 + (i - 8) * 30 };
            (minutes + 30 <= 21 * 60 && !(minutes < 13 * 60 && minutes + 30 > 13 * 60))
                .then(|| format!("{:02}:{:02}", minutes / 60, minutes % 60))
        })
        .collect();
    let capacity = STAFF * 60 * day_slots.len();
    let book_for = {
        let token = setup.token.clone();
        let service = setup.service;
        let staff = setup.staff.clone();
        let customers = setup.customers.clone();
        let first_day = setup.first_day;
        let day_slots = day_slots.clone();
        move |k: usize| {
            let k = k % capacity;
            let person = staff[k % STAFF];
            let slot = &day_slots[(k / STAFF) % day_slots.len()];
            let day = 30 + (k / STAFF / day_slots.len()) as i64;
            let date = first_day.checked_add(jiff::Span::new().days(day)).unwrap_or(first_day);
            let body = format!(
                r#"{{"customer_id":"{}","service_id":"{service}","staff_id":"{person}","start":"{date}T{slot}"}}"#,
                customers[k % customers.len()]
            );
            http::json_request("POST", "/api/v1/appointments", &token, &body)
        }
    };
    let book_for = std::sync::Arc::new(book_for);
    // Keys 0 to 60 are these first bookings; each timed run gets its own stretch of the
    // rest, so no run asks for a slot another one booked.
    let (status, body) = http::send_once(&address, &book_for(0)).await?;
    if status != 201 {
        return Err(format!("booking answered {status}: {body}"));
    }
    // Availability right after a booking: the booked staff member's busy time is read
    // afresh, the other 49 come from the cache.
    let mut after_write = Vec::new();
    for i in 0..60 {
        let (status, body) = http::send_once(&address, &book_for(1 + i)).await?;
        if status != 201 {
            return Err(format!("booking answered {status}: {body}"));
        }
        let started = Instant::now();
        let (status, _) = http::send_once(&address, &request).await?;
        if status != 200 {
            return Err(format!("availability answered {status}"));
        }
        after_write.push(started.elapsed().as_micros() as u64);
    }
    after_write.sort_unstable();
    let after_p50 = crate::percentile(&after_write, 0.5);
    let after_p99 = crate::percentile(&after_write, 0.99);
    println!(
        "availability right after a booking: p50 {:.2} ms, p99 {:.2} ms (includes a new connection each time)",
        after_p50 as f64 / 1000.0,
        after_p99 as f64 / 1000.0
    );
    let mut book_rps = Vec::new();
    let mut book_p99 = Vec::new();
    // On PostgreSQL with pg_stat_statements loaded, what the first run's bookings sent.
    let profile_url = seeded.admin_database_url();
    let mut profiling = match &profile_url {
        Some(url) => crate::pg_profile::start_profile(url).await,
        None => false,
    };
    let mut profile_lines = String::new();
    for run in 1..=runs {
        let make = book_for.clone();
        let stretch = (capacity - 61) / runs.max(1);
        let base = 61 + (run - 1) * stretch;
        let varied: http::RequestMaker = std::sync::Arc::new(move |c, n| make(base + n * connections + c));
        let result = http::load_varied(&address, varied, connections, Duration::from_secs(seconds)).await?;
        println!(
            "booking run {run}: {:.0} bookings/s, p99 {:.2} ms, {} refused or failed",
            result.per_second,
            result.p99_us as f64 / 1000.0,
            result.errors
        );
        if result.errors > 0 {
            return Err(format!("{} distinct bookings were refused", result.errors));
        }
        if let (true, Some(url)) = (profiling, &profile_url) {
            profiling = false;
            let bookings = (result.per_second * seconds as f64).round().max(1.0) as usize;
            let profile = crate::pg_profile::read_profile(url, bookings).await?;
            profile_lines = profile.as_markdown("One booking run", "booking");
            print!("{profile_lines}");
        }
        book_rps.push(result.per_second);
        book_p99.push(result.p99_us);
    }

    // Colliding: every client asks for one of 10 slots of one staff member on one day.
    let collide_day = setup.first_day.checked_add(jiff::Span::new().days(95)).map_err(|e| e.to_string())?;
    let collide = {
        let token = setup.token.clone();
        let service = setup.service;
        let person = setup.staff[1];
        let customer = setup.customers[0];
        let day_slots = day_slots.clone();
        move |c: usize, n: usize| {
            let slot = &day_slots[(c + n) % 10];
            let body = format!(
                r#"{{"customer_id":"{customer}","service_id":"{service}","staff_id":"{person}","start":"{collide_day}T{slot}"}}"#
            );
            http::json_request("POST", "/api/v1/appointments", &token, &body)
        }
    };
    let result = http::load_varied(&address, std::sync::Arc::new(collide), connections, Duration::from_secs(2)).await?;
    let day = http::get_request(
        &format!("/api/v1/appointments?from={collide_day}&days=1&staff_id={}&time_zone=Asia/Kolkata", setup.staff[1]),
        &setup.token,
    );
    let (_, listed) = http::send_once(&address, &day).await?;
    let booked = listed.matches("\"id\"").count();
    let double = if booked == 10 { 0 } else { booked.saturating_sub(10) };
    println!(
        "colliding: {} refused with 409, {booked} appointments stored for 10 slots, {double} double bookings",
        result.errors
    );
    if booked != 10 {
        return Err(format!("colliding requests stored {booked} appointments for 10 slots"));
    }
    seeded.cleanup().await;
    crate::remove_data(&data_dir);

    let analyzed = if postgres.is_some() { ", vacuumed and planner statistics gathered after the set-up" } else { "" };
    let summary = format!(
        "\n## Booking, {backend}, {date}\n\n`steward-bench booking{pg} --history {history}` (release build; {STAFF} staff, {EXISTING} appointments over 30 days \
         with their confirmations and reminders and {history} before today, 2 other tenants present{analyzed}; median of {runs} runs)\n\n\
         | measure | result |\n|---|---|\n\
         | availability, 1 service × {STAFF} staff (anyone) × 30 days, one client | p50 {ap50:.2} ms, p99 {ap99:.2} ms ({slots} start times) |\n\
         | availability right after a booking (one staff member's time read afresh) | p50 {wp50:.2} ms, p99 {wp99:.2} ms |\n\
         | availability, first request after start (nothing cached, one sample) | {first_ms:.2} ms |\n\
         | availability, one staff member × 30 days | p50 {sp50:.2} ms |\n\
         | booking distinct free slots, {connections} clients | {brps:.0} bookings/s, p99 {bp99:.2} ms |\n\
         | {connections} clients colliding on 10 slots | 10 booked, 0 double bookings, the rest 409 |\n",
        backend = seeded.backend,
        date = jiff::Zoned::now().date(),
        pg = if postgres.is_some() { " --postgres ADMIN_URL" } else { "" },
        ap50 = median_u64(avail_p50) as f64 / 1000.0,
        ap99 = median_u64(avail_p99) as f64 / 1000.0,
        sp50 = median_u64(single_p50) as f64 / 1000.0,
        wp50 = after_p50 as f64 / 1000.0,
        wp99 = after_p99 as f64 / 1000.0,
        brps = median_f64(book_rps),
        bp99 = median_u64(book_p99) as f64 / 1000.0,
    );
    crate::record_results(results, &(summary + &availability_profile + &profile_lines))
}
