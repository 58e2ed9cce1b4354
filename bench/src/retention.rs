//! Retention's numbers (issue 7), on SQLite, with the release binary:
//! - a sweep (`steward retention run`, a process of its own) that removes N expired usage
//!   records across T tenants (default 1,000 × 1,000 = 1,000,000), timed, while `steward
//!   serve` answers token-authenticated reads whose p99 is compared with the p99 of the
//!   same reads just before, in the same run;
//! - the purge of a terminated tenant with C customers (default 100,000), each with a
//!   key of their own: time until the keys are destroyed, and until every row is gone.
//!
//! Usage: steward-bench retention [--tenants N] [--rows N] [--customers N] [--runs N]
//!        [--seconds N] [--connections N] [--steward PATH]

use crate::{customers, http, median_f64, seed};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use steward_app::App;
use steward_app::access::{auth, tokens};
use steward_app::retention::{Actor, lifecycle};
use steward_app::tenancy;
use steward_domain::ids::TenantId;
use steward_store::{Store, Value};

/// Usage records dated `at`, `count` of them, written straight into the tenant's table in
/// multi-row statements (what years of use leave behind).
async fn add_usage(store: &Store, tenant: TenantId, count: usize, at: i64) -> Result<(), String> {
    const PER_STATEMENT: usize = 500;
    let mut tx = store.begin_tenant(tenant).await.map_err(|e| e.to_string())?;
    let mut left = count;
    while left > 0 {
        let n = left.min(PER_STATEMENT);
        let mut sql = String::from("INSERT INTO usage_events (tenant_id, id, at, feature) VALUES ");
        let mut args: Vec<Value> = Vec::with_capacity(n * 2);
        for i in 0..n {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("($1, ${}, ${}, 'customer.created')", 2 + 2 * i, 3 + 2 * i));
            args.push(Value::from(uuid::Uuid::now_v7()));
            args.push(Value::from(at + i as i64));
        }
        tx.execute_assembled(sql, args).await.map_err(|e| e.to_string())?;
        left -= n;
    }
    tx.commit().await.map_err(|e| e.to_string())
}

/// A key for each of `ids`, as a sensitive value would have made (random wrapped bytes).
async fn add_subject_keys(store: &Store, tenant: TenantId, ids: &[uuid::Uuid], now: i64) -> Result<(), String> {
    for chunk in ids.chunks(500) {
        let mut tx = store.begin_tenant(tenant).await.map_err(|e| e.to_string())?;
        let mut sql = String::from(
            "INSERT INTO keystore.subject_keys (tenant_id, subject_id, key_version, wrapped, created_at) VALUES ",
        );
        let mut args: Vec<Value> = Vec::with_capacity(chunk.len() * 2 + 1);
        args.push(Value::from(now));
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("($1, ${}, 1, ${}, $2)", 3 + 2 * i, 4 + 2 * i));
            args.push(Value::from(*id));
            args.push(Value::from(steward_crypto::random_bytes::<72>().map_err(|e| e.to_string())?.to_vec()));
        }
        tx.execute_assembled(sql, args).await.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn usage_count(store: &Store, tenants: &[TenantId]) -> Result<i64, String> {
    let mut total = 0;
    for tenant in tenants {
        let mut tx = store.begin_tenant_read(*tenant).await.map_err(|e| e.to_string())?;
        let n: i64 = tx
            .fetch_one("SELECT COUNT(*) AS n FROM usage_events WHERE tenant_id = $1", steward_store::args![])
            .await
            .map_err(|e| e.to_string())?
            .get("n")
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        total += n;
    }
    Ok(total)
}

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut tenant_count: usize = 1_000;
    let mut rows: usize = 1_000;
    let mut customer_count: usize = 100_000;
    let mut runs: usize = 3;
    let mut seconds: u64 = 5;
    let mut connections: usize = 8;
    let mut steward = steward.to_string();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--tenants" => tenant_count = value.parse().map_err(|_| "--tenants: a whole number")?,
            "--rows" => rows = value.parse().map_err(|_| "--rows: a whole number")?,
            "--customers" => customer_count = value.parse().map_err(|_| "--customers: a whole number")?,
            "--runs" => runs = value.parse().map_err(|_| "--runs: a whole number")?,
            "--seconds" => seconds = value.parse().map_err(|_| "--seconds: a whole number")?,
            "--connections" => connections = value.parse().map_err(|_| "--connections: a whole number")?,
            "--steward" => steward = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !std::path::Path::new(&steward).exists() {
        return Err(format!("{steward} not found: build it first with cargo build --release"));
    }
    let (data_dir, store, app) = seed::fresh_sqlite("retention").await?;
    let started = Instant::now();
    let mut tenants = Vec::with_capacity(tenant_count);
    for index in 0..tenant_count {
        let (tenant, _) = tenancy::create_tenant(&app, seed::new_tenant(&format!("keep-{index:04}")))
            .await
            .map_err(|e| e.to_string())?;
        tenants.push(tenant.id);
    }
    println!("{tenant_count} tenants made in {:.1}s", started.elapsed().as_secs_f64());
    let token = reader_token(&app).await?;
    let (server, address) = seed::start_server(&steward, &data_dir, None).await?;
    let request = http::get_request("/api/v1/me", &token);

    // The records are dated 100 days ago: only a sweep run as of 300 days ahead (under
    // the default 395-day rule for usage) removes them, so `serve`'s own hourly sweep
    // leaves them for the measured one.
    let now = jiff::Timestamp::now().as_microsecond();
    let dated = now - 100 * 86_400_000_000;
    let as_of = jiff::Timestamp::from_microsecond(now + 300 * 86_400_000_000).map_err(|e| e.to_string())?.to_string();
    let mut sweep_seconds = Vec::new();
    let mut p99_before = Vec::new();
    let mut p99_during = Vec::new();
    for run in 0..runs {
        let kept = usage_count(&store, &tenants).await?;
        let started = Instant::now();
        for tenant in &tenants {
            add_usage(&store, *tenant, rows, dated).await?;
        }
        println!(
            "run {}: {} usage records written in {:.1}s",
            run + 1,
            tenant_count * rows,
            started.elapsed().as_secs_f64()
        );
        let before = http::load(&address, &request, connections, Duration::from_secs(seconds)).await?;
        let sweeping = Arc::new(AtomicBool::new(true));
        let keep_going = {
            let sweeping = sweeping.clone();
            Arc::new(move || sweeping.load(Ordering::Relaxed))
        };
        let maker: http::RequestMaker = {
            let request = request.clone();
            Arc::new(move |_, _| request.clone())
        };
        let during = {
            let address = address.clone();
            tokio::spawn(async move { http::load_until(&address, maker, connections, keep_going).await })
        };
        let started = Instant::now();
        let steward_path = steward.clone();
        let dir = data_dir.clone();
        let as_of = as_of.clone();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(steward_path)
                .arg("--data-dir")
                .arg(dir)
                .args(["retention", "run", "--now", &as_of])
                .env("RUST_LOG", "warn")
                .output()
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("steward retention run: {e}"))?;
        let took = started.elapsed().as_secs_f64();
        sweeping.store(false, Ordering::Relaxed);
        let during = during.await.map_err(|e| e.to_string())??;
        if !output.status.success() {
            return Err(format!("the sweep failed: {}", String::from_utf8_lossy(&output.stderr)));
        }
        let left = usage_count(&store, &tenants).await?;
        if left != kept {
            return Err(format!("the sweep left {} of the expired usage records", left - kept));
        }
        println!(
            "run {}: sweep {took:.2}s; /me p99 {:.1} ms before, {:.1} ms during ({} errors)",
            run + 1,
            before.p99_us as f64 / 1000.0,
            during.p99_us as f64 / 1000.0,
            during.errors
        );
        sweep_seconds.push(took);
        p99_before.push(before.p99_us as f64 / 1000.0);
        p99_during.push(during.p99_us as f64 / 1000.0);
    }
    drop(server);

    // Purges.
    let mut keys_ms = Vec::new();
    let mut rows_s = Vec::new();
    let csv = data_dir.join("customers.csv");
    customers::write_csv(&csv, customer_count, 7_000_000_000)?;
    for run in 0..runs {
        let slug = format!("purge-{run}");
        let (tenant, _) = tenancy::create_tenant(&app, seed::new_tenant(&slug)).await.map_err(|e| e.to_string())?;
        customers::import(&steward, &data_dir, None, &csv, &slug, customer_count)?;
        let mut tx = store.begin_tenant_read(tenant.id).await.map_err(|e| e.to_string())?;
        let ids: Vec<uuid::Uuid> = tx
            .fetch_all("SELECT id FROM customers WHERE tenant_id = $1", steward_store::args![])
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .filter_map(|row| row.get("id").ok())
            .collect();
        tx.commit().await.map_err(|e| e.to_string())?;
        add_subject_keys(&store, tenant.id, &ids, now).await?;
        lifecycle::terminate(&app, tenant.id, Actor::Operator, Some("benchmark")).await.map_err(|e| e.to_string())?;
        let started = Instant::now();
        let report = lifecycle::purge(&app, tenant.id, &|_, _| {}).await.map_err(|e| e.to_string())?;
        let total = started.elapsed().as_secs_f64();
        let removed: u64 = report.rows_removed.iter().map(|(_, n)| n).sum();
        println!(
            "purge run {}: {} keys destroyed after {:.0} ms; {removed} rows removed in {total:.1}s",
            run + 1,
            report.keys_destroyed,
            report.keys_destroyed_after_micros as f64 / 1000.0
        );
        keys_ms.push(report.keys_destroyed_after_micros as f64 / 1000.0);
        rows_s.push(total);
    }
    store.close().await;

    let report = format!(
        "\n## Retention, {date} (SQLite, {runs} runs, medians)\n\n\
         - sweep removing {total} expired usage records across {tenant_count} tenants: {sweep:.2} s \
         (runs: {sweeps:?})\n\
         - `/api/v1/me` p99 with {connections} connections: {before:.1} ms before the sweep, {during:.1} ms during it\n\
         - purge of a tenant with {customer_count} customers (each with a key): keys destroyed after {keys:.0} ms, \
         every row removed in {purge:.1} s\n",
        date = jiff::Zoned::now().date(),
        total = tenant_count * rows,
        sweep = median_f64(sweep_seconds.clone()),
        sweeps = sweep_seconds.iter().map(|s| (s * 100.0).round() / 100.0).collect::<Vec<_>>(),
        before = median_f64(p99_before),
        during = median_f64(p99_during),
        keys = median_f64(keys_ms),
        purge = median_f64(rows_s),
    );
    crate::record_results(results, &report)?;
    crate::remove_data(&data_dir);
    Ok(())
}

/// A token of the first tenant's owner that may read the business profile.
async fn reader_token(app: &App) -> Result<String, String> {
    let issued =
        auth::log_in(app, "keep-0000", "owner@keep-0000.example", seed::PASSWORD, &auth::ClientInfo::default(), None)
            .await
            .map_err(|e| e.to_string())?;
    let owner = auth::authenticate_session(app, &issued.cookie_value).await.map_err(|e| e.to_string())?;
    Ok(tokens::create(app, &owner, "bench", &["tenant.read".to_string()], None).await.map_err(|e| e.to_string())?.token)
}
