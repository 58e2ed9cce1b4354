//! Retention, legal holds, the tenant lifecycle and purges, by moving the clock.

use crate::harness::{Fixture, Options, TestServer, allergies_field};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeMap;
use steward_app::clock::{Clock, MICROS_PER_DAY};
use steward_app::customers::records::{self, CustomerInput};
use steward_app::retention::sweep::{self, SweepOptions, SweepReport};
use steward_app::retention::{Actor, holds, lifecycle};
use steward_domain::ids::TenantId;
use steward_store::retention::purge::TABLES;

/// 2027-01-01T00:00:00Z.
const T0: i64 = 1_798_761_600_000_000;

async fn server_at(t0: i64) -> (TestServer, Clock) {
    let clock = Clock::fixed(t0);
    (TestServer::start_with(Options { clock: Some(clock.clone()), ..Options::default() }).await, clock)
}

async fn sweep_now(server: &TestServer, only: Option<TenantId>, dry_run: bool) -> SweepReport {
    let options = SweepOptions { as_of: server.app.now(), dry_run, only, started_by: "test" };
    sweep::run(&server.app, &options, &|_, _| {}).await.expect("sweep")
}

fn removed(report: &SweepReport, kind: &str) -> u64 {
    report.tenants.iter().map(|t| t.removed.get(kind).copied().unwrap_or(0)).sum()
}

/// Every row of a tenant, table by table, as text: equal before and after means untouched.
async fn snapshot(server: &TestServer, tenant: TenantId) -> BTreeMap<&'static str, Vec<String>> {
    // The data as it stands once the audit sealer (not running here) has sealed the log.
    steward_app::audit::sealer::seal_now(&server.app, tenant).await.unwrap();
    let mut tx = server.store.begin_tenant_read(tenant).await.unwrap();
    let mut out = BTreeMap::new();
    for table in TABLES {
        let rows = tx.fetch_all(table.select_all, steward_store::args![]).await.unwrap();
        let mut lines: Vec<String> = rows.iter().map(|r| format!("{:?}", r.values())).collect();
        lines.sort();
        out.insert(table.name, lines);
    }
    let keys = tx
        .fetch_all(
            "SELECT subject_id FROM keystore.subject_keys WHERE tenant_id = $1 ORDER BY subject_id",
            steward_store::args![],
        )
        .await
        .unwrap();
    out.insert("keystore.subject_keys", keys.iter().map(|r| format!("{:?}", r.values())).collect());
    tx.commit().await.unwrap();
    out
}

fn rows_in(snapshot: &BTreeMap<&'static str, Vec<String>>, table: &str) -> usize {
    snapshot.get(table).map_or(0, Vec::len)
}

async fn customer(server: &TestServer, who: &Fixture, name: &str, allergy: Option<&str>) -> records::CustomerDetail {
    let mut input = json!({ "name": name });
    if let Some(allergy) = allergy {
        input["fields"] = json!({ "Allergies": allergy });
    }
    let input: CustomerInput = serde_json::from_value(input).unwrap();
    records::create(&server.app, &who.owner, &input).await.unwrap()
}

#[tokio::test]
async fn moving_the_clock_past_each_rule_leaves_exactly_what_it_allows_and_a_dry_run_reports_the_same() {
    // promise: RET-1
    // promise: RET-2
    // promise: RET-6
    let (server, clock) = server_at(T0).await;
    let keeper = server.tenant("keeper").await;
    let api = server.api(&keeper.owner_token);
    for (class, days) in [("usage", 30), ("security_log", 365), ("personal", 400)] {
        let set = api
            .call(Method::PUT, "/api/v1/retention/rules", Some(json!({ "data_class": class, "keep_days": days })))
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    }
    let too_long = api
        .call(Method::PUT, "/api/v1/retention/rules", Some(json!({ "data_class": "usage", "keep_days": 4000 })))
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", too_long.body);
    assert_eq!(too_long.json()["error"]["field"], "keep_days");
    let old = [customer(&server, &keeper, "Old One", None).await, customer(&server, &keeper, "Old Two", None).await];
    let held = customer(&server, &keeper, "Held Three", None).await;
    holds::set(
        &server.app,
        keeper.tenant,
        Actor::Operator,
        holds::NewHold {
            scope: "customer".into(),
            customer_id: Some(held.id.to_string()),
            data_class: None,
            reason: "case 7".into(),
        },
    )
    .await
    .unwrap();
    server.principal("keeper", "owner@keeper.example").await; // a session that expires in hours
    let other = server.tenant("bystander").await;
    customer(&server, &other, "Bystander", None).await;
    let bystander_before = snapshot(&server, other.tenant).await;

    clock.advance(31 * MICROS_PER_DAY);
    let recent = customer(&server, &keeper, "Recent Four", None).await;
    let before = snapshot(&server, keeper.tenant).await;
    let dry = sweep_now(&server, Some(keeper.tenant), true).await;
    assert_eq!(snapshot(&server, keeper.tenant).await, before, "a dry run changed something");
    let usage_due = removed(&dry, "usage_events");
    assert!(usage_due >= 4, "{dry:?}");
    assert!(removed(&dry, "expired_sessions") >= 1, "{dry:?}");
    let real = sweep_now(&server, Some(keeper.tenant), false).await;
    assert_eq!(real.tenants[0].removed, dry.tenants[0].removed, "the real run removed what the dry run counted");
    let after = snapshot(&server, keeper.tenant).await;
    assert_eq!(rows_in(&after, "usage_events") as u64 + usage_due, rows_in(&before, "usage_events") as u64);
    assert_eq!(rows_in(&after, "customers"), 4, "customers are kept until their own rule");
    assert_eq!(rows_in(&after, "retention_runs"), 1, "the run is recorded");

    // A year on: security logs from before the cutoff go, under a signed checkpoint.
    clock.advance(335 * MICROS_PER_DAY + 1);
    let audit_before = rows_in(&snapshot(&server, keeper.tenant).await, "audit_events");
    let dry = sweep_now(&server, Some(keeper.tenant), true).await;
    let audit_due = removed(&dry, "audit_events");
    assert!(audit_due > 0, "{dry:?}");
    let real = sweep_now(&server, Some(keeper.tenant), false).await;
    assert_eq!(removed(&real, "audit_events"), audit_due);
    let after = snapshot(&server, keeper.tenant).await;
    assert!(rows_in(&after, "audit_events") < audit_before);
    assert_eq!(rows_in(&after, "audit_checkpoints"), 1);
    let verified = steward_app::audit::verify_tenant(&server.app, keeper.tenant).await.unwrap();
    assert!(verified.intact, "the rest of the chain verifies after the checkpoint: {verified:?}");
    let exported = api.get("/api/v1/audit/export?format=jsonl").await;
    assert!(exported.body.starts_with("{\"checkpoint\""), "{}", &exported.body[..200.min(exported.body.len())]);
    let offline = steward_app::audit::verify_export(exported.body.lines().map(|l| Ok(l.to_string()))).unwrap();
    assert!(offline.intact && offline.checked > 0, "the export verifies offline from its checkpoint: {offline:?}");
    // Removing one more event than the rule allowed is still detected.
    let first_kept = server
        .store
        .begin_tenant_read(keeper.tenant)
        .await
        .unwrap()
        .fetch_one("SELECT MIN(seq) AS seq FROM audit_events WHERE tenant_id = $1", steward_store::args![])
        .await
        .unwrap()
        .get::<i64>("seq")
        .unwrap();
    server.tamper(&format!("DELETE FROM audit_events WHERE seq = {first_kept}")).await;
    let broken = steward_app::audit::verify_tenant(&server.app, keeper.tenant).await.unwrap();
    assert!(!broken.intact && broken.first_broken_seq == Some(first_kept + 1), "{broken:?}");
    // A checkpoint altered (or written) by anyone but this deployment is named too.
    server.tamper("UPDATE audit_checkpoints SET removed = removed + 1").await;
    let forged = steward_app::audit::verify_tenant(&server.app, keeper.tenant).await.unwrap();
    assert!(!forged.intact && forged.first_break.as_deref().is_some_and(|b| b.contains("not signed")), "{forged:?}");

    // Past the customers' rule: the inactive ones go with their keys; the held one and the
    // recent one stay.
    clock.advance(40 * MICROS_PER_DAY);
    let dry = sweep_now(&server, Some(keeper.tenant), true).await;
    assert_eq!(removed(&dry, "inactive_customers"), 2, "{dry:?}");
    let real = sweep_now(&server, Some(keeper.tenant), false).await;
    assert_eq!(removed(&real, "inactive_customers"), 2);
    for gone in &old {
        assert!(matches!(
            records::get(&server.app, &keeper.owner, gone.id).await,
            Err(steward_app::AppError::NotFound)
        ));
    }
    records::get(&server.app, &keeper.owner, held.id).await.expect("the held customer stays");
    records::get(&server.app, &keeper.owner, recent.id).await.expect("the recent customer stays");
    assert_eq!(snapshot(&server, other.tenant).await.get("customers"), bystander_before.get("customers"));
}

#[tokio::test]
async fn legal_holds_stop_deletion_until_lifted_and_are_audited() {
    // promise: RET-1
    let (server, clock) = server_at(T0).await;
    let held = server.tenant("held").await;
    let api = server.api(&held.owner_token);
    let hold = api
        .call(
            Method::POST,
            "/api/v1/legal-holds",
            Some(json!({ "scope": "class", "data_class": "usage", "reason": "regulator's request 12" })),
        )
        .await;
    assert_eq!(hold.status, StatusCode::CREATED, "{}", hold.body);
    let hold_id = hold.json()["id"].as_str().unwrap().to_string();
    let bad = api.call(Method::POST, "/api/v1/legal-holds", Some(json!({ "scope": "customer", "reason": "x" }))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "customer_id");
    let one = customer(&server, &held, "Kept By Hold", None).await;
    let on_customer = api
        .call(
            Method::POST,
            "/api/v1/legal-holds",
            Some(json!({ "scope": "customer", "customer_id": one.id.to_string(), "reason": "case 9" })),
        )
        .await;
    assert_eq!(on_customer.status, StatusCode::CREATED);
    let refused = api.call(Method::DELETE, &format!("/api/v1/customers/{}", one.id), None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("legal hold"));

    clock.advance(400 * MICROS_PER_DAY);
    let usage_before = rows_in(&snapshot(&server, held.tenant).await, "usage_events");
    let report = sweep_now(&server, Some(held.tenant), false).await;
    assert_eq!(removed(&report, "usage_events"), 0);
    assert!(report.tenants[0].held.iter().any(|h| h.contains("usage")), "{report:?}");
    assert_eq!(rows_in(&snapshot(&server, held.tenant).await, "usage_events"), usage_before);

    let lift = api
        .call(Method::POST, &format!("/api/v1/legal-holds/{hold_id}/lift"), Some(json!({ "reason": "closed" })))
        .await;
    assert_eq!(lift.status, StatusCode::NO_CONTENT, "{}", lift.body);
    let report = sweep_now(&server, Some(held.tenant), false).await;
    assert!(removed(&report, "usage_events") > 0, "{report:?}");
    let log = api.get("/api/v1/audit/events?action=legal_hold.set").await;
    assert!(log.body.contains("legal_hold.set") && !log.body.contains("regulator's request"), "{}", log.body);
}

#[tokio::test]
async fn a_cancelled_business_is_terminated_and_purged_on_the_promised_dates_touching_no_other() {
    // promise: RET-3
    // promise: RET-4
    let (server, clock) = server_at(T0).await;
    let leaving = server.tenant("leaving").await;
    allergies_field(&server, &leaving).await;
    let sealed = customer(&server, &leaving, "Leaving Customer", Some("latex")).await;
    let staying = server.tenant("staying").await;
    allergies_field(&server, &staying).await;
    customer(&server, &staying, "Staying Customer", Some("pollen")).await;

    let api = server.api(&leaving.owner_token);
    let cancelled =
        api.call(Method::POST, "/api/v1/lifecycle/cancel", Some(json!({ "reason": "closing the shop" }))).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let dates = cancelled.json();
    assert_eq!(dates["status"], "cancelled");
    let at = |field: &str| dates[field].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_microsecond();
    assert_eq!(at("terminates_at") - T0, 90 * MICROS_PER_DAY);
    assert_eq!(at("purge_at") - T0, 120 * MICROS_PER_DAY);
    assert!(at("purge_at") - T0 <= 180 * MICROS_PER_DAY, "account data within 6 months of cancellation");
    let again = api.call(Method::POST, "/api/v1/lifecycle/cancel", Some(json!({}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    clock.advance(90 * MICROS_PER_DAY - 1);
    let report = sweep_now(&server, None, false).await;
    assert!(report.tenants.iter().all(|t| t.lifecycle.is_none()), "{report:?}");
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::OK, "a cancelled owner still signs in");

    clock.advance(1);
    let report = sweep_now(&server, None, false).await;
    assert_eq!(
        report.tenants.iter().find(|t| t.slug == "leaving").and_then(|t| t.lifecycle.clone()).as_deref(),
        Some("terminated")
    );
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "tokens of a terminated business stop");
    let refused = steward_app::access::auth::log_in(
        &server.app,
        "leaving",
        "owner@leaving.example",
        crate::harness::PASSWORD,
        &Default::default(),
        None,
    )
    .await;
    assert!(matches!(refused, Err(steward_app::AppError::NotAllowed(_))), "{:?}", refused.err());

    clock.advance(30 * MICROS_PER_DAY);
    let staying_before = snapshot(&server, staying.tenant).await;
    let dry = sweep_now(&server, Some(leaving.tenant), true).await;
    let all_rows = removed(&dry, "all_rows");
    assert!(all_rows > 10, "{dry:?}");
    let report = sweep_now(&server, Some(leaving.tenant), false).await;
    let purged = report.tenants.iter().find(|t| t.slug == "leaving").unwrap();
    assert_eq!(purged.lifecycle.as_deref(), Some("purged"));
    assert_eq!(purged.removed.get("all_rows"), Some(&all_rows), "the dry run counted what the purge removed");
    let left = snapshot(&server, leaving.tenant).await;
    for (table, rows) in &left {
        assert!(rows.is_empty(), "{table} still holds {} rows of the purged business", rows.len());
    }
    let tenant_key = server
        .store
        .begin_tenant_read(leaving.tenant)
        .await
        .unwrap()
        .fetch_optional("SELECT 1 AS k FROM keystore.tenant_keys WHERE tenant_id = $1", steward_store::args![])
        .await
        .unwrap();
    assert!(tenant_key.is_none(), "the tenant key is destroyed");
    let life = lifecycle::view(&server.app, leaving.tenant).await.unwrap();
    assert_eq!(life.status, steward_domain::retention::Stage::Purged);
    assert!(life.purged_at.is_some() && life.purge_finished_at.is_some() && life.cancelled_at.is_some());
    assert!(records::get(&server.app, &leaving.owner, sealed.id).await.is_err());
    assert_eq!(snapshot(&server, staying.tenant).await, staying_before, "the other business is untouched");
}

#[tokio::test]
async fn a_purge_stopped_half_way_finishes_when_run_again_and_a_hold_stops_it() {
    // promise: RET-4
    let (server, _clock) = server_at(T0).await;
    let closing = server.tenant("closing").await;
    for i in 0..30 {
        customer(&server, &closing, &format!("Customer {i}"), None).await;
    }
    lifecycle::terminate(&server.app, closing.tenant, Actor::Operator, Some("contract ended")).await.unwrap();
    let hold = holds::set(
        &server.app,
        closing.tenant,
        Actor::Operator,
        holds::NewHold { scope: "tenant".into(), customer_id: None, data_class: None, reason: "litigation".into() },
    )
    .await
    .unwrap();
    let refused = lifecycle::purge(&server.app, closing.tenant, &|_, _| {}).await;
    assert!(matches!(refused, Err(steward_app::AppError::NotAllowed(_))));
    assert!(rows_in(&snapshot(&server, closing.tenant).await, "customers") == 30);
    holds::lift(&server.app, closing.tenant, Actor::Operator, hold.id, "settled").await.unwrap();

    // Stop the purge once its first table is done.
    let (seen, mut first_table) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
    let app = server.app.clone();
    let tenant = closing.tenant;
    let running = tokio::spawn(async move {
        lifecycle::purge(&app, tenant, &move |table, _| {
            let _ = seen.send(table);
        })
        .await
    });
    first_table.recv().await;
    running.abort();
    let _ = running.await;
    let life = lifecycle::view(&server.app, closing.tenant).await.unwrap();
    assert_eq!(life.status, steward_domain::retention::Stage::Purged);
    assert!(life.purge_finished_at.is_none(), "the purge was stopped before it finished");

    let report = sweep_now(&server, Some(closing.tenant), false).await;
    assert_eq!(report.tenants[0].lifecycle.as_deref(), Some("purged"), "{report:?}");
    for (table, rows) in snapshot(&server, closing.tenant).await {
        assert!(rows.is_empty(), "{table} kept rows after the purge was finished");
    }
    assert!(lifecycle::view(&server.app, closing.tenant).await.unwrap().purge_finished_at.is_some());
}

#[tokio::test]
async fn the_owner_downloads_everything_with_sensitive_values_opened_and_no_secrets() {
    let (server, _clock) = server_at(T0).await;
    let owner = server.tenant("exporter").await;
    allergies_field(&server, &owner).await;
    customer(&server, &owner, "Exported Person", Some("shellfish")).await;
    let export = server.api(&owner.owner_token).get("/api/v1/export").await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    let lines: Vec<serde_json::Value> = export.body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["steward_export"], 1);
    let tables: Vec<&str> = lines.iter().filter_map(|l| l["table"].as_str()).collect();
    for needed in ["tenants", "members", "customers", "customer_field_values", "audit_events"] {
        assert!(tables.contains(&needed), "the export has no {needed}");
    }
    assert!(
        export.body.contains("Exported Person") && export.body.contains("shellfish"),
        "sensitive values are opened"
    );
    assert!(!export.body.contains("password_hash") && !export.body.contains("token_hash"), "secrets are left out");
    steward_app::access::members::add_member(
        &server.app,
        owner.tenant,
        "s@exporter.example",
        "Staff",
        "admin",
        crate::harness::PASSWORD,
    )
    .await
    .unwrap();
    let admin = server.principal("exporter", "s@exporter.example").await;
    assert!(
        steward_app::retention::export::start(&server.app, &admin).await.is_err(),
        "only the owner exports everything"
    );
}

#[tokio::test]
async fn the_privacy_notices_list_the_rules_in_force_and_only_the_declared_processors() {
    // promise: POL-2
    // promise: EGR-2
    let (server, _clock) = server_at(T0).await;
    let shop = server.tenant("notice-shop").await;
    allergies_field(&server, &shop).await;
    steward_app::retention::rules::set(&server.app, &shop.owner, "usage", Some(90), false).await.unwrap();
    let mut browser = server.browser();
    let operator = browser.get("/privacy").await;
    assert_eq!(operator.status, StatusCode::OK);
    for processor in steward_domain::processors::ALL {
        assert!(operator.body.contains(processor.name), "the notice does not list {}", processor.name);
    }
    assert!(operator.body.contains("usage records are kept for 395 days"), "the operator's default");
    let business = browser.get("/p/notice-shop").await;
    assert_eq!(business.status, StatusCode::OK);
    assert!(business.body.contains("Business notice-shop"));
    assert!(business.body.contains("Allergies (sensitive)"), "the business's own declared fields");
    assert!(business.body.contains("usage records are kept for 90 days"), "the business's own rule");
    for page in [&operator.body, &business.body] {
        assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "a notice loads or links another site");
    }
    assert_eq!(browser.get("/p/no-such-business").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_sweep_stopped_half_way_is_finished_by_the_next_and_keeps_what_it_should() {
    // promise: RET-6
    let (server, clock) = server_at(T0).await;
    let mut fixtures = Vec::new();
    for slug in ["half-a", "half-b", "half-c"] {
        let fixture = server.tenant(slug).await;
        customer(&server, &fixture, "Kept Customer", None).await;
        fixtures.push(fixture);
    }
    clock.advance(400 * MICROS_PER_DAY);
    for fixture in &fixtures {
        customer(&server, fixture, "Fresh Customer", None).await; // fresh usage, kept
    }
    let before: Vec<_> = snapshots_of(&server, &fixtures).await;

    // Stop the sweep as soon as its first tenant is done.
    let (done, mut first) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let app = server.app.clone();
    let as_of = server.app.now();
    let running = tokio::spawn(async move {
        let options = SweepOptions { as_of, dry_run: false, only: None, started_by: "test" };
        sweep::run(&app, &options, &move |n, _| {
            let _ = done.send(n);
        })
        .await
    });
    first.recv().await;
    running.abort();
    let _ = running.await;
    let report = sweep_now(&server, None, false).await;
    let after: Vec<_> = snapshots_of(&server, &fixtures).await;
    for ((fixture, before), after) in fixtures.iter().zip(&before).zip(&after) {
        let fresh = after["usage_events"].len();
        assert!(fresh >= 1, "{}: the fresh usage record was kept", fixture.slug);
        assert!(fresh < before["usage_events"].len(), "{}: the expired usage records are gone", fixture.slug);
        assert_eq!(after["customers"], before["customers"], "{}: customers are untouched", fixture.slug);
    }
    assert_eq!(sweep_now(&server, None, true).await.totals.values().sum::<u64>(), 0, "nothing left to do: {report:?}");
}

async fn snapshots_of(server: &TestServer, fixtures: &[Fixture]) -> Vec<BTreeMap<&'static str, Vec<String>>> {
    let mut out = Vec::new();
    for fixture in fixtures {
        out.push(snapshot(server, fixture.tenant).await);
    }
    out
}
