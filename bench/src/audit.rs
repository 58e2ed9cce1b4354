//! The audit log's numbers (issue 5):
//! - the cost an audit event adds to a write transaction: the same write (a tenant
//!   profile change) with and without its audit event, in the same run;
//! - `steward audit verify` over a log of N events (default 1,000,000), median of runs.
//!
//! Usage: steward-bench audit [--events N] [--writes N] [--runs N] [--steward PATH]

use std::time::Instant;
use steward_app::mail::Mailer;
use steward_app::tenancy::{self, NewTenant};
use steward_app::{App, AppSettings};
use steward_crypto::master_key::MasterKey;
use steward_domain::audit::{AuditEvent, GENESIS};
use steward_domain::ids::TenantId;
use steward_store::audit::{NewAuditEvent, append};
use steward_store::{Store, args};

pub async fn run(args: &[String], steward: &str, results: &str) -> Result<(), String> {
    let mut events: i64 = 1_000_000;
    let mut writes: usize = 2_000;
    let mut runs: usize = 5;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--events" => events = value.parse().map_err(|_| "--events: a whole number")?,
            "--writes" => writes = value.parse().map_err(|_| "--writes: a whole number")?,
            "--runs" => runs = value.parse().map_err(|_| "--runs: a whole number")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let dir = std::env::temp_dir().join(format!("steward-bench-audit-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}", dir.join("steward.db").display());
    let store = Store::open(&url, 4).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    store.publish_policy_versions().await.map_err(|e| e.to_string())?;
    let key = MasterKey::load_or_create(&dir.join("master.key")).map_err(|e| e.to_string())?;
    let app = App::new(
        store.clone(),
        AppSettings::default(),
        key,
        Mailer::new(None, "b <b@localhost>", false).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let tenant = |slug: &str| NewTenant {
        business_name: "Audit bench".into(),
        slug: slug.into(),
        country: "IN".into(),
        time_zone: "Asia/Kolkata".into(),
        owner_name: "Bench Owner".into(),
        owner_email: format!("owner@{slug}.example"),
        owner_password: "bench password 2026".into(),
        accepted_policy: true,
        owner_email_verified: true,
        ip: None,
    };
    let (writer, _) = tenancy::create_tenant(&app, tenant("audit-writes")).await.map_err(|e| e.to_string())?;

    // 1. A write with and without its audit event, alternating in rounds.
    let mut plain = Vec::new();
    let mut audited = Vec::new();
    for round in 0..runs {
        for with_audit in [false, true] {
            let started = Instant::now();
            for n in 0..writes {
                let mut tx = store.begin_tenant(writer.id).await.map_err(|e| e.to_string())?;
                tx.execute(
                    "UPDATE tenants SET name = $2, updated_at = $3 WHERE id = $1",
                    args![format!("Audit bench {round} {n}"), n as i64],
                )
                .await
                .map_err(|e| e.to_string())?;
                if with_audit {
                    let event = NewAuditEvent {
                        actor_type: "member",
                        action: "tenant.profile_changed",
                        details: r#"{"name":"changed"}"#.into(),
                        ..Default::default()
                    };
                    append(&mut tx, event, n as i64).await.map_err(|e| e.to_string())?;
                }
                tx.commit().await.map_err(|e| e.to_string())?;
            }
            let per_second = writes as f64 / started.elapsed().as_secs_f64();
            if with_audit { audited.push(per_second) } else { plain.push(per_second) }
        }
    }
    let plain_median = crate::median_f64(plain);
    let audited_median = crate::median_f64(audited);

    // 1b. What `POST /api/v1/customers` writes (the business's fields and country read, the
    // customer with its search terms, a consent), with and without its audit event.
    let mut customer_plain = Vec::new();
    let mut customer_audited = Vec::new();
    let mut made = 0u64;
    for _ in 0..runs {
        for with_audit in [false, true] {
            let started = Instant::now();
            for n in 0..writes {
                made += 1;
                create_customer(&store, writer.id, made, with_audit.then_some(n as i64)).await?;
            }
            let per_second = writes as f64 / started.elapsed().as_secs_f64();
            if with_audit { customer_audited.push(per_second) } else { customer_plain.push(per_second) }
        }
    }
    let customer_plain_median = crate::median_f64(customer_plain);
    let customer_audited_median = crate::median_f64(customer_audited);

    // 2. A long log, written straight into the table (chained exactly as Steward does).
    let (long, _) = tenancy::create_tenant(&app, tenant("audit-long")).await.map_err(|e| e.to_string())?;
    let fill_started = Instant::now();
    fill(&url, long.id.as_uuid(), events).await?;
    let fill_seconds = fill_started.elapsed().as_secs_f64();
    store.close().await;

    let mut verify_times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let output = std::process::Command::new(steward)
            .arg("--data-dir")
            .arg(&dir)
            .args(["audit", "verify", "--tenant", "audit-long"])
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!("verify failed: {}", String::from_utf8_lossy(&output.stderr)));
        }
        verify_times.push(started.elapsed().as_secs_f64());
        println!("{}", String::from_utf8_lossy(&output.stdout).trim());
    }
    let verify_median = crate::median_f64(verify_times);
    let date = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let report = format!(
        "\n### {date}, audit, SQLite\n\n\
         Command: `steward-bench audit {}`\n\n\
         | measure | value |\n|---|---|\n\
         | profile write transactions without / with their audit event (median of {runs} rounds of {writes}) | {plain_median:.0} / {audited_median:.0} per s |\n\
         | cost of the audit event | {:.1}% of write throughput |\n\
         | create-customer write transactions without / with their audit event | {customer_plain_median:.0} / {customer_audited_median:.0} per s |\n\
         | cost of the audit event on create-customer | {customer_cost:.1}% of write throughput |\n\
         | `steward audit verify` over {events} events (whole process, median of {runs}) | {verify_median:.2} s |\n\
         | (filling the {events}-event log took {fill_seconds:.1} s) | |\n",
        args.join(" "),
        (1.0 - audited_median / plain_median) * 100.0,
        customer_cost = (1.0 - customer_audited_median / customer_plain_median) * 100.0,
    );
    crate::record_results(results, &report)?;
    crate::remove_data(&dir);
    Ok(())
}

/// One customer as the API's create writes it, in its own transaction; with `audit_at`,
/// its audit event too.
async fn create_customer(store: &Store, tenant: TenantId, n: u64, audit_at: Option<i64>) -> Result<(), String> {
    use steward_domain::customers::search::{name_key, terms};
    use steward_domain::ids::{ConsentId, CustomerId};
    use steward_store::customers::consents::{self, ConsentRow};
    use steward_store::customers::records::{self, CustomerValues, NewCustomer};
    let text = |e: steward_store::StoreError| e.to_string();
    let mut tx = store.begin_tenant(tenant).await.map_err(text)?;
    steward_store::customers::fields::list(&mut tx).await.map_err(text)?;
    let business = steward_store::tenancy::tenants::current(&mut tx).await.map_err(text)?;
    let name = format!("Bench Customer {n}");
    let phone = format!("+9198{n:08}");
    let id = CustomerId::generate();
    let customer = NewCustomer {
        id,
        values: CustomerValues {
            name_key: name_key(&name),
            phone: Some(phone.clone()),
            email: None,
            address: None,
            date_of_birth: None,
            source: "walk_in".into(),
            preferred_channel: None,
            name: name.clone(),
        },
        terms: terms(&name, None, Some(&phone), &business.country, &[]),
        tags: Vec::new(),
        created_by: None,
    };
    records::insert_many(&mut tx, &[customer], n as i64).await.map_err(text)?;
    let consent = ConsentRow {
        id: ConsentId::generate(),
        customer_id: id,
        channel: "sms".into(),
        purpose: "reminders".into(),
        granted: true,
        source: "form".into(),
        recorded_by: None,
        recorded_by_name: None,
        recorded_at: n as i64,
    };
    consents::insert(&mut tx, &consent).await.map_err(text)?;
    if let Some(at) = audit_at {
        let event = NewAuditEvent {
            actor_type: "member",
            action: "customer.created",
            target_type: Some("customer"),
            target_id: Some(id.to_string()),
            details: r#"{"fields":["name","phone"]}"#.into(),
            ..Default::default()
        };
        append(&mut tx, event, at).await.map_err(text)?;
    }
    tx.commit().await.map_err(text)
}

/// Appends `events` chained events to a tenant's log in large transactions.
async fn fill(url: &str, tenant: uuid::Uuid, events: i64) -> Result<(), String> {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(url).await.map_err(|e| e.to_string())?;
    sqlx::query("DELETE FROM audit_events WHERE tenant_id = $1")
        .bind(tenant)
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let mut previous = GENESIS.to_vec();
    let mut seq = 1;
    while seq <= events {
        let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
        let end = (seq + 50_000).min(events + 1);
        for n in seq..end {
            let event = AuditEvent {
                seq: n,
                id: uuid::Uuid::now_v7(),
                at: 1_800_000_000_000_000 + n,
                actor_type: "member".into(),
                actor_id: Some(uuid::Uuid::from_u128(n as u128 % 7)),
                action: "member.login".into(),
                target_type: Some("member".into()),
                target_id: Some(format!("{}", uuid::Uuid::from_u128(n as u128 % 7))),
                details: "{}".into(),
                request_id: Some(format!("{n:020x}")),
                ip: Some("203.0.113.7".into()),
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) bench".into()),
            };
            let hash = event.chain_hash(&previous).to_vec();
            sqlx::query(
                "INSERT INTO audit_events (tenant_id, id, seq, at, actor_type, actor_id, action, target_type, target_id, details,
                 request_id, ip, user_agent, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(tenant)
            .bind(event.id)
            .bind(event.seq)
            .bind(event.at)
            .bind(&event.actor_type)
            .bind(event.actor_id)
            .bind(&event.action)
            .bind(&event.target_type)
            .bind(&event.target_id)
            .bind(&event.details)
            .bind(&event.request_id)
            .bind(&event.ip)
            .bind(&event.user_agent)
            .bind(&previous)
            .bind(&hash)
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
            previous = hash;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        seq = end;
    }
    // This log replaced the tenant's own first event (tenant.created); the head follows it.
    sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1")
        .bind(tenant)
        .bind(events)
        .bind(&previous)
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
