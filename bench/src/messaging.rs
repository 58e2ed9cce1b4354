//! Messaging's numbers (issue 8), on SQLite, with the release binary: `steward serve`'s
//! worker dispatches N due reminders (default 100,000, across 20 businesses) to a local
//! fake of Twilio's Messages API, end to end with every status recorded; the rate, the
//! duplicates the fake saw (idempotency keys taken twice), and the p99 of `/api/v1/me`
//! while the worker runs, beside the p99 once it is idle, in the same run.
//!
//! The reminders are queued by the booking planner itself (the path a booking takes), for
//! appointments seeded in the past, so all of them are due when `serve` starts.
//!
//! Usage: steward-bench messaging [--reminders N] [--tenants N] [--runs N] [--connections N]

use crate::{http, median_f64, seed};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use steward_app::App;
use steward_app::access::{auth, tokens};
use steward_app::clock::Clock;
use steward_app::messaging::outbox::{About, Planner};
use steward_app::messaging::settings::{self, ChannelInput, RulesInput};
use steward_domain::ids::{AppointmentId, ConsentId, CustomerId, TenantId};
use steward_domain::messaging::Status;
use steward_domain::time::Timestamp;
use steward_store::Store;
use steward_store::booking::appointments::NewAppointment;
use steward_store::customers::consents::ConsentRow;
use steward_store::customers::records::{CustomerValues, NewCustomer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const ACCOUNT: &str = "AC00000000000000000000000000b0c0de";
const AUTH_TOKEN: &str = "bench-twilio-auth-token-0000";
const MINUTE: i64 = 60_000_000;
const DAY: i64 = 86_400_000_000;

/// What the fake provider took: every idempotency key, and how many came twice.
#[derive(Default)]
struct Fake {
    keys: Mutex<HashSet<String>>,
    accepted: AtomicU64,
    repeats: AtomicU64,
    refused: AtomicU64,
}

/// A fake of Twilio's Messages API on a local port: keep-alive HTTP/1.1, basic
/// authentication and the account's path checked, `201` with a `sid`.
async fn start_fake(fake: Arc<Fake>) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let expected_path = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
    let expected_auth = format!(
        "basic {}",
        steward_crypto::webhook::base64(format!("{ACCOUNT}:{AUTH_TOKEN}").as_bytes()).to_ascii_lowercase()
    );
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let fake = fake.clone();
            let expected_path = expected_path.clone();
            let expected_auth = expected_auth.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let mut stream = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                    let (mut length, mut key, mut authorized) = (0usize, String::new(), false);
                    loop {
                        let mut header = String::new();
                        if stream.read_line(&mut header).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            match name.to_ascii_lowercase().as_str() {
                                "content-length" => length = value.trim().parse().unwrap_or(0),
                                "idempotency-key" => key = value.trim().to_string(),
                                "authorization" => authorized = value.trim().to_ascii_lowercase() == expected_auth,
                                _ => {}
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let form = String::from_utf8_lossy(&body);
                    let complete = form.contains("To=%2B") && form.contains("Body=") && form.contains("From=");
                    let (status, answer) = if path != expected_path || !authorized || !complete {
                        fake.refused.fetch_add(1, Ordering::Relaxed);
                        (
                            "401 Unauthorized",
                            r#"{"code":20003,"message":"Authentication Error","status":401}"#.to_string(),
                        )
                    } else {
                        let fresh = fake.keys.lock().map(|mut keys| keys.insert(key.clone())).unwrap_or(false);
                        if fresh {
                            fake.accepted.fetch_add(1, Ordering::Relaxed);
                        } else {
                            fake.repeats.fetch_add(1, Ordering::Relaxed);
                        }
                        let n = fake.accepted.load(Ordering::Relaxed);
                        ("201 Created", format!(r#"{{"sid":"SM{n:032x}","status":"queued"}}"#))
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if stream.get_mut().write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(format!("http://{address}"))
}

/// A business with its own Twilio account, SMS reminders a day ahead, and `count`
/// customers who agreed to them, each with an appointment seeded in the past and its
/// reminder queued by the booking planner.
async fn seed_business(app: &App, store: &Store, slug: &str, count: usize, past: i64) -> Result<TenantId, String> {
    let text = |e: steward_app::AppError| e.to_string();
    let (tenant, _) =
        steward_app::tenancy::create_tenant(app, seed::new_tenant(slug)).await.map_err(|e| e.to_string())?;
    let issued = auth::log_in(app, slug, &format!("owner@{slug}.example"), seed::PASSWORD, &Default::default(), None)
        .await
        .map_err(text)?;
    let owner = auth::authenticate_session(app, &issued.cookie_value).await.map_err(text)?;
    let channel = ChannelInput {
        channel: "sms".into(),
        account: ACCOUNT.into(),
        sender: "+15005550006".into(),
        secret: AUTH_TOKEN.into(),
        callback_secret: None,
    };
    settings::connect(app, &owner, &channel).await.map_err(text)?;
    let rules = RulesInput {
        reminders: "1d".into(),
        channel_order: "sms".into(),
        quiet_from: "00:00".into(),
        quiet_until: "00:00".into(),
        language: "en".into(),
        ..RulesInput::default()
    };
    settings::save_rules(app, &owner, &rules).await.map_err(text)?;
    use steward_app::booking::setup;
    let location = setup::create_location(
        app,
        &owner,
        &setup::LocationInput { name: Some("Main".into()), address: None, time_zone: Some("Asia/Kolkata".into()) },
    )
    .await
    .map_err(text)?;
    let service = setup::create_service(
        app,
        &owner,
        &serde_json::from_value(serde_json::json!({ "name": "Haircut", "duration_minutes": 15, "price": "300" }))
            .map_err(|e| e.to_string())?,
    )
    .await
    .map_err(text)?;
    let staff = setup::create_staff(
        app,
        &owner,
        &serde_json::from_value(serde_json::json!({ "name": "Meera", "service_ids": [service.id.to_string()] }))
            .map_err(|e| e.to_string())?,
    )
    .await
    .map_err(text)?;
    let store_error = |e: steward_store::StoreError| e.to_string();
    for chunk_start in (0..count).step_by(5_000) {
        let chunk = (chunk_start..count.min(chunk_start + 5_000)).collect::<Vec<_>>();
        let mut tx = store.begin_tenant(tenant.id).await.map_err(store_error)?;
        let planner = Planner::load(&mut tx).await.map_err(text)?;
        let customers: Vec<NewCustomer> = chunk
            .iter()
            .map(|i| NewCustomer {
                id: CustomerId::generate(),
                values: CustomerValues {
                    name: format!("Customer {i}"),
                    name_key: format!("customer {i}"),
                    phone: Some(format!("+9197{:08}", i)),
                    email: None,
                    address: None,
                    date_of_birth: None,
                    source: "import".into(),
                    preferred_channel: None,
                },
                terms: Vec::new(),
                tags: Vec::new(),
                created_by: None,
            })
            .collect();
        steward_store::customers::records::insert_many(&mut tx, &customers, past).await.map_err(store_error)?;
        for (customer, i) in customers.iter().zip(&chunk) {
            let consent = ConsentRow {
                id: ConsentId::generate(),
                customer_id: customer.id,
                channel: "sms".into(),
                purpose: "reminders".into(),
                granted: true,
                source: "form".into(),
                recorded_by: None,
                recorded_by_name: None,
                recorded_at: past,
            };
            steward_store::customers::consents::insert(&mut tx, &consent).await.map_err(store_error)?;
            let starts_at = past + 2 * DAY + *i as i64 * 15 * MINUTE;
            let appointment = NewAppointment {
                id: AppointmentId::generate(),
                customer_id: customer.id,
                service_id: service.id,
                staff_id: staff.id,
                location_id: location.id,
                starts_at: Timestamp::from_micros(starts_at),
                ends_at: Timestamp::from_micros(starts_at + 15 * MINUTE),
                blocked_from: Timestamp::from_micros(starts_at),
                blocked_until: Timestamp::from_micros(starts_at + 15 * MINUTE),
                price_paise: 30_000,
                gst_rate_bp: 1_800,
                notes: None,
                series_id: None,
                booked_via: "staff",
                created_by: None,
            };
            steward_store::booking::appointments::insert(&mut tx, &appointment, Timestamp::from_micros(past))
                .await
                .map_err(store_error)?;
            let about = About { appointment: appointment.id, customer: customer.id, service: service.id, starts_at };
            planner.booked(&mut tx, &about, past).await.map_err(text)?;
        }
        tx.commit().await.map_err(store_error)?;
    }
    Ok(tenant.id)
}

async fn sent_count(store: &Store, tenants: &[TenantId]) -> Result<(u64, u64), String> {
    let (mut sent, mut other) = (0, 0);
    for tenant in tenants {
        let mut tx = store.begin_tenant_read(*tenant).await.map_err(|e| e.to_string())?;
        for (status, n) in steward_store::messaging::outbox::counts(&mut tx).await.map_err(|e| e.to_string())? {
            if status == Status::Sent {
                sent += n as u64;
            } else if status != Status::Pending && status != Status::Sending {
                other += n as u64;
            }
        }
        tx.commit().await.map_err(|e| e.to_string())?;
    }
    Ok((sent, other))
}

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut reminders: usize = 100_000;
    let mut tenant_count: usize = 20;
    let mut runs: usize = 3;
    let mut connections: usize = 4;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|_| format!("{flag}: a whole number"));
        match flag.as_str() {
            "--reminders" => reminders = number()?,
            "--tenants" => tenant_count = number()?.max(1),
            "--runs" => runs = number()?.max(1),
            "--connections" => connections = number()?.max(1),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !std::path::Path::new(steward).exists() {
        return Err(format!("{steward} not found: build it first with cargo build --release"));
    }
    let per_tenant = reminders.div_ceil(tenant_count);
    let mut rates = Vec::new();
    let mut p99_during = Vec::new();
    let mut p99_idle = Vec::new();
    let mut duplicates = Vec::new();
    for run in 0..runs {
        let fake = Arc::new(Fake::default());
        let fake_url = start_fake(fake.clone()).await?;
        let (data_dir, store, mut app) = seed::fresh_sqlite("messaging").await?;
        let past = jiff::Timestamp::now().as_microsecond() - 120 * DAY;
        app.clock = Clock::fixed(past);
        let started = Instant::now();
        let mut tenants = Vec::with_capacity(tenant_count);
        for t in 0..tenant_count {
            tenants.push(seed_business(&app, &store, &format!("remind-{t:03}"), per_tenant, past).await?);
        }
        let total = (per_tenant * tenant_count) as u64;
        println!("run {}: {total} reminders queued in {:.1}s", run + 1, started.elapsed().as_secs_f64());
        let token = {
            app.clock = Clock::system();
            let issued =
                auth::log_in(&app, "remind-000", "owner@remind-000.example", seed::PASSWORD, &Default::default(), None)
                    .await
                    .map_err(|e| e.to_string())?;
            let owner = auth::authenticate_session(&app, &issued.cookie_value).await.map_err(|e| e.to_string())?;
            tokens::create(&app, &owner, "bench", &["tenant.read".to_string()], None)
                .await
                .map_err(|e| e.to_string())?
                .token
        };
        let request = http::get_request("/api/v1/me", &token);
        let started = Instant::now();
        let env = [("STEWARD_TWILIO_API_URL", fake_url.as_str()), ("STEWARD_RETENTION_SWEEP_MINUTES", "0")];
        let (server, address) = seed::start_server_with(steward, &data_dir, None, &env).await?;
        let dispatching = Arc::new(AtomicBool::new(true));
        let during = {
            let address = address.clone();
            let keep_going = {
                let dispatching = dispatching.clone();
                Arc::new(move || dispatching.load(Ordering::Relaxed))
            };
            let request = request.clone();
            let maker: http::RequestMaker = Arc::new(move |_, _| request.clone());
            tokio::spawn(async move { http::load_until(&address, maker, connections, keep_going).await })
        };
        let deadline = Instant::now() + Duration::from_secs(1800);
        let (sent, other) = loop {
            let (sent, other) = sent_count(&store, &tenants).await?;
            if sent + other >= total || Instant::now() > deadline {
                break (sent, other);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let took = started.elapsed().as_secs_f64();
        dispatching.store(false, Ordering::Relaxed);
        let during = during.await.map_err(|e| e.to_string())??;
        let idle = http::load(&address, &request, connections, Duration::from_secs(5)).await?;
        drop(server);
        store.close().await;
        if sent != total || other != 0 {
            return Err(format!(
                "{sent} of {total} reminders sent, {other} in another state; see {}",
                data_dir.display()
            ));
        }
        let repeats = fake.repeats.load(Ordering::Relaxed);
        let accepted = fake.accepted.load(Ordering::Relaxed);
        if accepted != total || fake.refused.load(Ordering::Relaxed) != 0 {
            return Err(format!("the fake provider took {accepted} of {total} reminders"));
        }
        let rate = total as f64 / took;
        println!(
            "run {}: {total} sent in {took:.1}s = {rate:.0}/s; {repeats} duplicates; /me p99 {:.1} ms while sending, {:.1} ms idle ({} errors)",
            run + 1,
            during.p99_us as f64 / 1000.0,
            idle.p99_us as f64 / 1000.0,
            during.errors
        );
        rates.push(rate);
        p99_during.push(during.p99_us as f64 / 1000.0);
        p99_idle.push(idle.p99_us as f64 / 1000.0);
        duplicates.push(repeats);
        crate::remove_data(&data_dir);
    }
    let report = format!(
        "\n## Messaging, {date} (SQLite, {runs} runs, medians)\n\n\
         - {total} due reminders across {tenant_count} businesses dispatched by `serve`'s worker to a local fake of \
         Twilio's Messages API, statuses recorded: {rate:.0} messages/s (runs: {all:?}); duplicates seen by the \
         provider: {duplicates:?}\n\
         - `/api/v1/me` p99 with {connections} connections: {during:.1} ms while dispatching, {idle:.1} ms idle\n",
        date = jiff::Zoned::now().date(),
        total = per_tenant * tenant_count,
        rate = median_f64(rates.clone()),
        all = rates.iter().map(|r| r.round()).collect::<Vec<_>>(),
        during = median_f64(p99_during),
        idle = median_f64(p99_idle),
    );
    crate::record_results(results, &report)
}
