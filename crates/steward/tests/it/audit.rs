//! The audit log: what is recorded, that it names no personal value, and that editing,
//! deleting or reordering one event directly in the database is caught by verify.

use crate::harness::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use steward_app::access::members;

async fn events(server: &TestServer, token: &str) -> Vec<Value> {
    server.api(token).get("/api/v1/audit/events?limit=500").await.json().as_array().cloned().unwrap_or_default()
}

fn actions(events: &[Value]) -> Vec<String> {
    events.iter().filter_map(|e| e["action"].as_str().map(str::to_string)).collect()
}

#[tokio::test]
async fn changes_sign_ins_and_refusals_are_recorded_with_who_and_where() {
    // promise: SEC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("audit-co").await;
    let api = server.api(&fixture.owner_token);
    api.call(Method::POST, "/api/v1/invitations", Some(json!({ "email": "new@audit-co.example", "role": "staff" })))
        .await;
    api.call(Method::PATCH, "/api/v1/tenant", Some(json!({ "time_zone": "Europe/London" }))).await;
    members::add_member(&server.app, fixture.tenant, "staff@audit-co.example", "Sam Staff", "staff", PASSWORD)
        .await
        .unwrap();
    let staff = server.principal("audit-co", "staff@audit-co.example").await;
    let staff_token =
        steward_app::access::tokens::create(&server.app, &staff, "t", &["members.read".to_string()], None)
            .await
            .unwrap()
            .token;
    assert_eq!(server.api(&staff_token).get("/api/v1/tenant").await.status, StatusCode::FORBIDDEN);
    let mut browser = server.browser();
    browser.log_in("audit-co", "owner@audit-co.example", "not the password").await;

    let all = events(&server, &fixture.owner_token).await;
    let seen = actions(&all);
    for expected in [
        "tenant.created",
        "member.login",
        "api_token.created",
        "invitation.created",
        "tenant.profile_changed",
        "member.added",
        "access.denied",
        "member.login_failed",
    ] {
        assert!(seen.iter().any(|a| a == expected), "{expected} is missing from {seen:?}");
    }
    let change = all.iter().find(|e| e["action"] == "tenant.profile_changed").cloned().unwrap_or_default();
    assert_eq!(
        change["details"]["time_zone"],
        json!(["Asia/Kolkata", "Europe/London"]),
        "settings keep old and new values"
    );
    assert_eq!(change["actor_type"], "api_token");
    assert_eq!(change["actor_id"], json!(fixture.owner.member.to_string()));
    assert!(change["request_id"].as_str().is_some_and(|r| !r.is_empty()), "the request id is recorded");
    assert!(change["ip"].as_str().is_some_and(|ip| ip == "127.0.0.1"), "where it came from is recorded");
    let denied = all.iter().find(|e| e["action"] == "access.denied").cloned().unwrap_or_default();
    assert_eq!(denied["details"]["needed"], "tenant.read");
    assert_eq!(denied["actor_id"], json!(staff.member.to_string()));
}

#[tokio::test]
async fn no_personal_value_reaches_the_audit_log() {
    // promise: SEC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("quiet-co").await;
    let api = server.api(&fixture.owner_token);
    api.call(
        Method::POST,
        "/api/v1/invitations",
        Some(json!({ "email": "zebulon.quixote@quiet-co.example", "role": "staff" })),
    )
    .await;
    members::add_member(&server.app, fixture.tenant, "yara.vexley@quiet-co.example", "Yara Vexley", "staff", PASSWORD)
        .await
        .unwrap();
    let mut browser = server.browser();
    browser.log_in("quiet-co", "yara.vexley@quiet-co.example", PASSWORD).await;
    browser.submit("/app/account", "/app/account", &[("name", "Yara Q. Vexley"), ("phone", "+91 98765 00001")]).await;
    let all = serde_json::to_string(&events(&server, &fixture.owner_token).await).unwrap();
    assert!(all.contains("member.profile_changed"));
    for personal in ["zebulon", "quixote", "yara", "vexley", "9876500001", PASSWORD] {
        assert!(!all.to_lowercase().contains(personal), "the audit log holds '{personal}': {all}");
    }
}

#[tokio::test]
async fn an_edited_deleted_or_reordered_event_is_named_by_verify() {
    // promise: SEC-3
    let cases = [
        (
            "UPDATE audit_events SET details = '{\"role\":\"owner\"}' WHERE seq = 3",
            "was changed after it was written",
            3,
        ),
        ("DELETE FROM audit_events WHERE seq = 3", "an event is missing or out of order", 4),
        (
            "UPDATE audit_events SET seq = -1 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 4; UPDATE audit_events SET seq = 4 WHERE seq = -1",
            "does not follow the event before it",
            3,
        ),
    ];
    for (sql, words, broken_at) in cases {
        let server = TestServer::start().await;
        let fixture = server.tenant("tamper-co").await;
        let api = server.api(&fixture.owner_token);
        for n in 0..3 {
            api.call(
                Method::POST,
                "/api/v1/roles",
                Some(json!({ "name": format!("role {n}"), "permissions": ["customers.read"] })),
            )
            .await;
        }
        let before = api.get("/api/v1/audit/verify").await.json();
        assert_eq!(before["intact"], true, "{before}");
        server.tamper(sql).await;
        let after = api.get("/api/v1/audit/verify").await.json();
        assert_eq!(after["intact"], false, "{sql}");
        assert_eq!(after["first_broken_seq"], broken_at, "{sql}: {after}");
        assert!(after["first_break"].as_str().unwrap_or_default().contains(words), "{sql}: {after}");
    }
}

#[tokio::test]
async fn the_audit_page_lists_filters_and_verifies() {
    // promise: SEC-3
    let server = TestServer::start().await;
    server.tenant("page-co").await;
    let mut browser = server.browser();
    browser.log_in("page-co", "owner@page-co.example", PASSWORD).await;
    let page = browser.get("/app/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("member.login") && page.body.contains("tenant.created"));
    // In words, by name: who did what.
    assert!(page.body.contains("<td>Owner of page-co (member)</td>"), "{}", page.body);
    assert!(page.body.contains("<td>signed in</td>") && page.body.contains("<td>created the business</td>"));
    assert!(
        page.body.contains(r#"<option value="member.login">signed in</option>"#),
        "the filter offers actions by name"
    );
    let filtered = browser.get("/app/audit?action=tenant.created").await;
    assert!(filtered.body.contains("tenant.created") && !filtered.body.contains("<code>member.login</code>"));
    assert!(filtered.body.contains(r#"<option value="tenant.created" selected>"#));
    let verified = browser.post("/app/audit/verify", &[("csrf", &page.csrf())]).await;
    assert!(verified.body.contains("The log is intact"), "{}", verified.body);
}

#[tokio::test]
async fn the_exported_log_verifies_offline_and_catches_an_edit() {
    // promise: SEC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("export-co").await;
    let api = server.api(&fixture.owner_token);
    api.call(Method::POST, "/api/v1/roles", Some(json!({ "name": "front desk", "permissions": ["customers.read"] })))
        .await;
    let jsonl = api.get("/api/v1/audit/export").await;
    assert_eq!(jsonl.status, StatusCode::OK, "{}", jsonl.body);
    assert!(jsonl.headers.get("content-disposition").is_some());
    let lines: Vec<String> = jsonl.body.lines().map(str::to_string).collect();
    assert!(lines.len() >= 3);
    let intact = steward_app::audit::verify_export(lines.iter().cloned().map(Ok)).unwrap();
    assert!(intact.intact, "{intact:?}");

    let dir = crate::harness::ScratchDir::new("export");
    let file = dir.0.join("audit.jsonl");
    let mut edited = lines.clone();
    edited[1] = edited[1]
        .replace("\"actor_type\":\"member\"", "\"actor_type\":\"system\"")
        .replace("\"actor_type\":\"api_token\"", "\"actor_type\":\"system\"");
    std::fs::write(&file, edited.join("\n")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["audit", "verify-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("line 2: event 2"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&file, lines.join("\n")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["audit", "verify-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let csv = api.get("/api/v1/audit/export?format=csv").await;
    assert!(csv.body.starts_with("seq,id,at,actor_type"));
    assert_eq!(csv.body.lines().count(), lines.len() + 2, "a header, and the CSV export records itself");
    let bad = api.get("/api/v1/audit/export?format=xml").await;
    assert_eq!(bad.json()["error"]["field"], "format");
}

#[tokio::test]
async fn the_log_filters_by_actor_target_and_date() {
    // promise: SEC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("filter-co").await;
    members::add_member(&server.app, fixture.tenant, "staff@filter-co.example", "Sam Staff", "staff", PASSWORD)
        .await
        .unwrap();
    server.principal("filter-co", "staff@filter-co.example").await;
    let api = server.api(&fixture.owner_token);
    let owner = fixture.owner.member.to_string();
    let by_owner = api.get(&format!("/api/v1/audit/events?actor={owner}")).await.json();
    let by_owner = by_owner.as_array().cloned().unwrap_or_default();
    assert!(!by_owner.is_empty());
    assert!(by_owner.iter().all(|e| e["actor_id"] == json!(owner)));
    let on_tenant = api.get(&format!("/api/v1/audit/events?target={}", fixture.tenant)).await.json();
    assert!(on_tenant.as_array().is_some_and(|a| a.iter().all(|e| e["action"] == "tenant.created") && !a.is_empty()));
    let future = api.get("/api/v1/audit/events?from=2099-01-01").await.json();
    assert_eq!(future.as_array().map(Vec::len), Some(0));
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let until_today = api.get(&format!("/api/v1/audit/events?to={today}")).await.json();
    assert!(until_today.as_array().is_some_and(|a| !a.is_empty()));
    let bad = api.get("/api/v1/audit/events?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "from");
    let mut browser = server.browser();
    browser.log_in("filter-co", "owner@filter-co.example", PASSWORD).await;
    let page = browser.get("/app/audit?from=yesterday").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("From must be a date"));
}

#[tokio::test]
async fn appends_from_two_processes_and_after_a_rollback_keep_one_unbroken_chain() {
    // promise: SEC-3
    use steward_store::audit::{NewAuditEvent, append};
    let server = TestServer::start().await;
    let fixture = server.tenant("two-writers").await;
    // A second store on the same database stands for a second process (`steward` commands
    // beside `serve`): each keeps its own idea of the head.
    let other = steward_store::Store::open(&server.raw_url, 2).await.unwrap();
    let event = |action: &'static str| NewAuditEvent {
        actor_type: "system",
        action,
        details: "{}".into(),
        ..Default::default()
    };
    for round in 0..3 {
        for store in [&server.app.store, &other] {
            let mut tx = store.begin_tenant(fixture.tenant).await.unwrap();
            append(&mut tx, event("test.appended"), round).await.unwrap();
            tx.commit().await.unwrap();
        }
        // An append whose transaction is rolled back leaves no event and no advanced head.
        let mut tx = server.app.store.begin_tenant(fixture.tenant).await.unwrap();
        append(&mut tx, event("test.rolled_back"), round).await.unwrap();
        drop(tx);
    }
    let verification = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap();
    assert!(verification.intact, "{verification:?}");
    let api = server.api(&fixture.owner_token);
    let all = events(&server, &fixture.owner_token).await;
    assert_eq!(all.iter().filter(|e| e["action"] == "test.appended").count(), 6);
    assert!(all.iter().all(|e| e["action"] != "test.rolled_back"));
    assert_eq!(api.get("/api/v1/audit/verify").await.json()["intact"], true);
    other.close().await;
}

#[tokio::test]
async fn concurrent_writers_of_one_business_leave_one_numbered_unbroken_chain() {
    // promise: SEC-3
    // On PostgreSQL an event is numbered and chained just after its transaction commits
    // (migration 15); transactions that overlap, write two events each, or roll back must
    // still leave the sequence 1, 2, 3, ... with every link intact.
    use steward_store::audit::{NewAuditEvent, append};
    let server = TestServer::start().await;
    let fixture = server.tenant("many-writers").await;
    let before = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap().checked;
    let event = |action: &'static str, n: usize| NewAuditEvent {
        actor_type: "system",
        action,
        details: format!("{{\"n\":{n}}}"),
        ..Default::default()
    };
    let writers = (0..24).map(|n| {
        let store = server.app.store.clone();
        let tenant = fixture.tenant;
        tokio::spawn(async move {
            let mut tx = store.begin_tenant(tenant).await.unwrap();
            append(&mut tx, event("test.first", n), n as i64).await.unwrap();
            tokio::task::yield_now().await;
            append(&mut tx, event("test.second", n), n as i64).await.unwrap();
            if n % 4 == 3 {
                drop(tx);
            } else {
                tx.commit().await.unwrap();
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    let verification = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap();
    assert!(verification.intact, "{verification:?}");
    assert_eq!(verification.checked, before + 36, "18 committed writers, two events each: {verification:?}");
    let mut tx = server.app.store.begin_tenant_read(fixture.tenant).await.unwrap();
    let stored = steward_store::audit::read_after(&mut tx, i64::MIN, 1_000).await.unwrap();
    let seqs: Vec<i64> = stored.iter().map(|e| e.event.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no gap and no provisional number left");
}

/// How many of the tenant's committed events wait to be sealed into its chain.
async fn unsealed(server: &TestServer, tenant: steward_domain::ids::TenantId) -> i64 {
    let mut tx = server.app.store.begin_tenant_read(tenant).await.unwrap();
    let row = tx
        .fetch_one("SELECT COUNT(*) AS n FROM audit_events WHERE tenant_id = $1 AND seq < 0", steward_store::args![])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    row.get("n").unwrap()
}

async fn until_all_sealed(server: &TestServer, tenant: steward_domain::ids::TenantId) {
    for _ in 0..250 {
        if unsealed(server, tenant).await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{} events were left unsealed", unsealed(server, tenant).await);
}

#[tokio::test]
async fn the_sealer_seals_what_commits_and_what_a_stopped_process_left_unsealed() {
    // promise: SEC-3
    // On PostgreSQL the background sealer chains events just after their commit; when it
    // starts, it first seals what a process committed and stopped before sealing. Nothing
    // here reads the log, which would seal it too.
    use steward_store::audit::{NewAuditEvent, append};
    let server = TestServer::start().await;
    let fixture = server.tenant("sealed-co").await;
    let before = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap().checked;
    let write = |n: i64| {
        let store = server.app.store.clone();
        async move {
            let mut tx = store.begin_tenant(fixture.tenant).await.unwrap();
            let event = NewAuditEvent {
                actor_type: "system",
                action: "test.sealed",
                details: "{}".into(),
                ..Default::default()
            };
            append(&mut tx, event, n).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    for n in 0..5 {
        write(n).await;
    }
    if server.kind() == steward_store::StoreKind::Postgres {
        assert_eq!(unsealed(&server, fixture.tenant).await, 5, "committed, not yet sealed");
    }
    // The process that committed them stops: whatever it meant to seal is forgotten.
    server.app.store.unsealed_tenants().take();
    let sealer = tokio::spawn(steward_app::audit::sealer::run(server.app.clone()));
    until_all_sealed(&server, fixture.tenant).await;
    for n in 5..12 {
        write(n).await;
    }
    until_all_sealed(&server, fixture.tenant).await;
    sealer.abort();
    let mut tx = server.app.store.begin_tenant_read(fixture.tenant).await.unwrap();
    let stored = steward_store::audit::read_after(&mut tx, before as i64, 1_000).await.unwrap();
    tx.commit().await.unwrap();
    let times: Vec<i64> = stored.iter().map(|e| e.event.at).collect();
    assert_eq!(times, (0..12).collect::<Vec<_>>(), "numbered in the order they happened");
    let verification = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap();
    assert!(verification.intact, "{verification:?}");
    assert_eq!(verification.checked, before + 12);
}

#[tokio::test]
async fn a_long_log_checked_in_stretches_still_names_the_first_broken_event() {
    // promise: SEC-3
    // Long enough for verification to read it in stretches at once (each of 10,000-event
    // batches); what it finds wrong there is named by the careful pass in one read.
    use steward_store::audit::{NewAuditEvent, append};
    let server = TestServer::start().await;
    let fixture = server.tenant("long-log").await;
    for round in 0..9 {
        let mut tx = server.app.store.begin_tenant(fixture.tenant).await.unwrap();
        for n in 0..5_000 {
            let event = NewAuditEvent {
                actor_type: "system",
                action: "test.appended",
                details: format!("{{\"n\":{}}}", round * 5_000 + n),
                ..Default::default()
            };
            append(&mut tx, event, round * 5_000 + n).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let intact = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap();
    assert!(intact.intact, "{intact:?}");
    assert!(intact.checked > 45_000, "{intact:?}");

    server.tamper("UPDATE audit_events SET details = '{\"n\":-1}' WHERE seq = 30000").await;
    let edited = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap();
    assert!(!edited.intact);
    assert_eq!(edited.first_broken_seq, Some(30_000), "{edited:?}");
    assert!(edited.first_break.unwrap_or_default().contains("was changed after it was written"));

    server.tamper("DELETE FROM audit_events WHERE seq = 10000").await;
    let cut = steward_app::audit::verify_tenant(&server.app, fixture.tenant).await.unwrap();
    assert!(!cut.intact);
    assert_eq!(cut.first_broken_seq, Some(10_001), "{cut:?}");
    assert_eq!(cut.checked, 9_999, "{cut:?}");
}
