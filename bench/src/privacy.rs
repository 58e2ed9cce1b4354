//! People's-rights numbers (issue 6), SQLite, release build: in a tenant with C customers
//! (default 100,000) and A appointments (default 1,000,000), the time to build one person's
//! access archive and to erase one person, each over N people (median and worst).
//!
//! Usage: steward-bench privacy [--customers N] [--appointments N] [--people N] [--steward PATH]

use crate::{customers, median_f64, seed};
use serde_json::json;
use std::time::Instant;
use steward_app::access::auth;
use steward_app::booking::setup;
use steward_app::privacy::{person, requests};
use steward_app::tenancy;
use steward_domain::ids::CustomerId;
use steward_store::Value;

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut customer_count: usize = 100_000;
    let mut appointment_count: usize = 1_000_000;
    let mut people: usize = 25;
    let mut steward = steward.to_string();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--customers" => customer_count = value.parse().map_err(|_| "--customers: a whole number")?,
            "--appointments" => appointment_count = value.parse().map_err(|_| "--appointments: a whole number")?,
            "--people" => people = value.parse().map_err(|_| "--people: a whole number")?,
            "--steward" => steward = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !std::path::Path::new(&steward).exists() {
        return Err(format!("{steward} not found: build it first with cargo build --release"));
    }
    let (data_dir, store, app) = seed::fresh_sqlite("privacy").await?;
    let (tenant, _) = tenancy::create_tenant(&app, seed::new_tenant("rights")).await.map_err(|e| e.to_string())?;
    let csv = data_dir.join("customers.csv");
    customers::write_csv(&csv, customer_count, 6_000_000_000)?;
    let started = Instant::now();
    customers::import(&steward, &data_dir, None, &csv, "rights", customer_count)?;
    println!("{customer_count} customers imported in {:.1}s", started.elapsed().as_secs_f64());
    let issued =
        auth::log_in(&app, "rights", "owner@rights.example", seed::PASSWORD, &auth::ClientInfo::default(), None)
            .await
            .map_err(|e| e.to_string())?;
    let owner = auth::authenticate_session(&app, &issued.cookie_value).await.map_err(|e| e.to_string())?;

    // A location, a service and 50 staff members; each customer's appointments go to the
    // staff in turn, in back-to-back half hours, so none overlaps.
    let location: setup::LocationInput =
        serde_json::from_value(json!({ "name": "Main", "time_zone": "Asia/Kolkata" })).map_err(|e| e.to_string())?;
    let location = setup::create_location(&app, &owner, &location).await.map_err(|e| e.to_string())?;
    let service: setup::ServiceInput =
        serde_json::from_value(json!({ "name": "Visit", "duration_minutes": 30, "price": "500" }))
            .map_err(|e| e.to_string())?;
    let service = setup::create_service(&app, &owner, &service).await.map_err(|e| e.to_string())?;
    let mut staff = Vec::new();
    for n in 0..50 {
        let person: setup::StaffInput =
            serde_json::from_value(json!({ "name": format!("Staff {n}"), "service_ids": [service.id.to_string()] }))
                .map_err(|e| e.to_string())?;
        staff.push(setup::create_staff(&app, &owner, &person).await.map_err(|e| e.to_string())?.id);
    }
    let mut tx = store.begin_tenant_read(tenant.id).await.map_err(|e| e.to_string())?;
    let ids: Vec<uuid::Uuid> = tx
        .fetch_all("SELECT id FROM customers WHERE tenant_id = $1", steward_store::args![])
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|row| row.get("id").ok())
        .collect();
    tx.commit().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let base = jiff::Timestamp::now().as_microsecond() - 2 * 365 * 86_400_000_000;
    const HALF_HOUR: i64 = 1_800_000_000;
    const PER_STATEMENT: usize = 400;
    let mut written = 0;
    while written < appointment_count {
        let n = PER_STATEMENT.min(appointment_count - written);
        let mut sql = String::from(
            "INSERT INTO appointments (tenant_id, id, customer_id, service_id, staff_id, location_id, starts_at, ends_at,
             blocked_from, blocked_until, status, price_paise, gst_rate_bp, booked_via, created_at, updated_at) VALUES ",
        );
        let mut args: Vec<Value> = vec![Value::from(service.id.0), Value::from(location.id.0)];
        for i in 0..n {
            let k = written + i;
            let start = base + (k / staff.len()) as i64 * HALF_HOUR;
            let p = 4 + 5 * i;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "($1, ${p}, ${}, $2, ${}, $3, ${}, ${}, ${}, ${}, 'completed', 50000, 1800, 'staff', ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 3,
                p + 4,
                p + 3,
                p + 3
            ));
            args.push(Value::from(uuid::Uuid::now_v7()));
            args.push(Value::from(ids[k % ids.len()]));
            args.push(Value::from(staff[k % staff.len()].0));
            args.push(Value::from(start));
            args.push(Value::from(start + HALF_HOUR));
        }
        let mut tx = store.begin_tenant(tenant.id).await.map_err(|e| e.to_string())?;
        tx.execute_assembled(sql, args).await.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        written += n;
    }
    println!("{appointment_count} appointments written in {:.1}s", started.elapsed().as_secs_f64());

    let mut access_ms = Vec::new();
    let mut erase_ms = Vec::new();
    let mut checkpoint_ms = Vec::new();
    let step = (ids.len() / people.max(1)).max(1);
    for n in 0..people {
        let customer = CustomerId(ids[(n * step + 7) % ids.len()]);
        let access =
            requests::open_for_customer(&app, &owner, customer, "access", "").await.map_err(|e| e.to_string())?;
        let started = Instant::now();
        let archive = person::archive_for(&app, &owner, access.id).await.map_err(|e| e.to_string())?;
        access_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        if archive.len() < 200 {
            return Err("the archive is empty".into());
        }
        // What the erasure's scrub costs on its own: the same TRUNCATE checkpoint after
        // the archive's few writes (its audit event), measured beside the erasure.
        let started = Instant::now();
        store.scrub_after_erasure().await.map_err(|e| e.to_string())?;
        checkpoint_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let erasure =
            requests::open_for_customer(&app, &owner, customer, "erasure", "").await.map_err(|e| e.to_string())?;
        let started = Instant::now();
        let report = person::erase(&app, &owner, erasure.id, false).await.map_err(|e| e.to_string())?;
        erase_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let appointments = report.done.iter().find(|(t, _, _)| t == "appointments").map(|(_, _, n)| *n).unwrap_or(0);
        if appointments == 0 {
            return Err("the erased person had no appointments".into());
        }
    }
    store.close().await;
    let worst = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let report = format!(
        "\n## People's rights, {date} (SQLite, {people} people, medians)\n\n\
         - one person's access archive, in a tenant with {customer_count} customers and {appointment_count} appointments: \
         {access:.1} ms (worst {access_worst:.1} ms)\n\
         - erasure of one person (every table, key destroyed, request closed, audited, write-ahead logs emptied): {erase:.1} ms (worst {erase_worst:.1} ms)\n\
         - of which the logs' TRUNCATE checkpoint, measured alone after each archive: {checkpoint:.1} ms (worst {checkpoint_worst:.1} ms)\n",
        date = jiff::Zoned::now().date(),
        access = median_f64(access_ms.clone()),
        access_worst = worst(&access_ms),
        erase = median_f64(erase_ms.clone()),
        erase_worst = worst(&erase_ms),
        checkpoint = median_f64(checkpoint_ms.clone()),
        checkpoint_worst = worst(&checkpoint_ms),
    );
    crate::record_results(results, &report)?;
    crate::remove_data(&data_dir);
    Ok(())
}
