//! Tenant isolation: the cross-tenant suite walks every API operation in the OpenAPI
//! document and every page with another tenant's ids; the storage layer refuses
//! unscoped queries; PostgreSQL's row-level security hides other tenants' rows even from
//! a query with no filter; composite foreign keys refuse cross-tenant references.

use crate::harness::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use steward_app::access::{members, roles, tokens};
use steward_store::access::members as member_rows;
use steward_store::{StoreError, StoreKind, args};

/// Tenant A's records, one per kind of id a route can take.
struct Victim {
    ids: BTreeMap<&'static str, String>,
    secrets: Vec<String>,
}

async fn victim(server: &TestServer) -> (crate::harness::Fixture, Victim) {
    let a = server.tenant("tenant-a").await;
    let staff = members::add_member(&server.app, a.tenant, "staff@tenant-a.example", "Sita Staffer", "staff", PASSWORD)
        .await
        .unwrap();
    let role = roles::create(&server.app, &a.owner, "stylist", &["customers.read".to_string()]).await.unwrap();
    let invitation = members::invite(&server.app, &a.owner, "future@tenant-a.example", "staff").await.unwrap();
    let token = tokens::create(&server.app, &a.owner, "a-token", &["members.read".to_string()], None).await.unwrap();
    let field = steward_app::customers::fields::create(
        &server.app,
        &a.owner,
        &steward_app::customers::fields::FieldInput {
            label: "Allergies".into(),
            kind: "text".into(),
            data_class: "sensitive".into(),
            options: vec![],
        },
    )
    .await
    .unwrap();
    let customer: steward_app::customers::records::CustomerInput = serde_json::from_value(json!({
        "name": "Anita Victim", "phone": "98765 43210", "email": "anita@victim.example",
        "fields": { "Allergies": "peanuts-of-tenant-a" }
    }))
    .unwrap();
    let customer = steward_app::customers::records::create(&server.app, &a.owner, &customer).await.unwrap();
    let note = steward_app::customers::notes::add(
        &server.app,
        &a.owner,
        customer.id,
        &steward_app::customers::notes::NoteInput { body: "note-of-tenant-a".into(), private: false },
    )
    .await
    .unwrap();
    let hold = steward_app::retention::holds::set(
        &server.app,
        a.tenant,
        steward_app::retention::Actor::Operator,
        steward_app::retention::holds::NewHold {
            scope: "customer".into(),
            customer_id: Some(customer.id.to_string()),
            data_class: None,
            reason: "hold-reason-of-tenant-a".into(),
        },
    )
    .await
    .unwrap();
    let request = steward_app::privacy::requests::open_for_customer(
        &server.app,
        &a.owner,
        customer.id,
        "erasure",
        "request-note-of-tenant-a",
    )
    .await
    .unwrap();
    let job = steward_app::customers::import::jobs::start(
        &server.app,
        &a.owner,
        std::sync::Arc::from(&b"name,phone\nImported Victim,9845099999\n"[..]),
        steward_app::customers::import::Format::Csv,
        steward_app::customers::import::ImportOptions { dry_run: true, ..Default::default() },
    )
    .unwrap();
    let salon = crate::booking::open_salon(server, &a, "Asia/Kolkata").await;
    let api = server.api(&a.owner_token);
    let booked = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer_id": customer.id, "service_id": salon.service, "staff_id": salon.staff[0],
                         "start": format!("{}T10:00", jiff::Zoned::now().date().checked_add(jiff::Span::new().days(7)).unwrap()),
                         "notes": "appointment-note-of-tenant-a" })),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let appointment = booked.json()["appointments"][0]["id"].as_str().unwrap().to_string();
    let time_off = api
        .call(
            Method::POST,
            &format!("/api/v1/staff/{}/time-off", salon.staff[0]),
            Some(json!({ "starts_at": "2030-01-09T09:00", "ends_at": "2030-01-09T12:00", "reason": "time-off-of-tenant-a" })),
        )
        .await;
    assert_eq!(time_off.status, StatusCode::CREATED, "{}", time_off.body);
    let time_off = time_off.json()["id"].as_str().unwrap().to_string();
    steward_app::messaging::settings::connect(
        &server.app,
        &a.owner,
        &steward_app::messaging::settings::ChannelInput {
            channel: "whatsapp".into(),
            account: "100200300400".into(),
            sender: "+919845000001".into(),
            secret: "whatsapp-secret-of-tenant-a".into(),
            callback_secret: Some("app-secret-of-tenant-a".into()),
        },
    )
    .await
    .unwrap();
    let message = steward_app::messaging::log::recent(&server.app, &a.owner, None).await.unwrap()[0].id;
    let ids = BTreeMap::from([
        // B connects only SMS (its sample body), so A's WhatsApp is what B must not reach.
        ("channel", "whatsapp".to_string()),
        ("message_id", message.to_string()),
        ("location_id", salon.location.clone()),
        ("service_id", salon.service.clone()),
        ("staff_id", salon.staff[0].clone()),
        ("appointment_id", appointment),
        ("time_off_id", time_off),
        ("job_id", job.to_string()),
        ("customer_id", customer.id.to_string()),
        ("note_id", note.id.to_string()),
        ("field_id", field.id.to_string()),
        ("member_id", staff.id.to_string()),
        ("role_id", role.id.to_string()),
        ("invitation_id", invitation.id.to_string()),
        ("token_id", token.view.id.to_string()),
        ("hold_id", hold.id.to_string()),
        ("request_id", request.id.to_string()),
    ]);
    let mut secrets: Vec<String> = ids.values().cloned().collect();
    secrets.extend([
        "whatsapp-secret-of-tenant-a".into(),
        "app-secret-of-tenant-a".into(),
        "staff@tenant-a.example".into(),
        "Sita Staffer".into(),
        "future@tenant-a.example".into(),
        a.tenant.to_string(),
        "Business tenant-a".into(),
        "Anita Victim".into(),
        "+919876543210".into(),
        "anita@victim.example".into(),
        "peanuts-of-tenant-a".into(),
        "note-of-tenant-a".into(),
        "Imported Victim".into(),
        "appointment-note-of-tenant-a".into(),
        "time-off-of-tenant-a".into(),
        "Main Road".into(),
        "Meera".into(),
        "hold-reason-of-tenant-a".into(),
        "request-note-of-tenant-a".into(),
    ]);
    // A channel is named by its kind, which every page may mention.
    secrets.retain(|s| s != "whatsapp");
    (a, Victim { ids, secrets })
}

/// A body that would pass validation, so the only thing that can stop it is the tenant.
fn sample_body(schema: &str) -> Value {
    match schema {
        "MemberChange" => json!({ "role": "staff" }),
        "RoleChange" => json!({ "name": "renamed by b", "permissions": ["customers.read"] }),
        "RoleNew" => json!({ "name": "made by b", "permissions": ["customers.read"] }),
        "InvitationNew" => json!({ "email": "someone@tenant-b.example", "role": "staff" }),
        "TenantChange" => json!({ "name": "Business tenant-b" }),
        "TokenNew" => json!({ "name": "b token", "scopes": ["members.read"] }),
        "CustomerNew" => json!({ "name": "Made By B" }),
        "NoteNew" => json!({ "body": "written by b" }),
        "ConsentNew" => json!({ "channel": "sms", "purpose": "reminders", "granted": true }),
        "MergeRequest" => json!({ "remove": uuid::Uuid::nil().to_string(), "preview": false }),
        "CustomerFieldNew" => json!({ "label": "made by b", "kind": "text", "data_class": "personal" }),
        "CustomerFieldChange" => json!({ "label": "renamed by b" }),
        "LocationNew" => json!({ "name": "Made by b" }),
        "ServiceNew" => json!({ "name": "Made by b", "duration_minutes": 30, "price": "100" }),
        "StaffNew" => json!({ "name": "Made by b" }),
        "WeekHours" => json!({ "hours": [] }),
        "OverrideNew" => json!({ "date": "2031-01-01", "ranges": [] }),
        "TimeOffNew" => json!({ "starts_at": "2031-01-01T09:00", "ends_at": "2031-01-01T10:00" }),
        "AppointmentNew" => {
            json!({ "customer": { "name": "Made By B", "phone": "9845000000" }, "service_id": uuid::Uuid::nil().to_string(), "start": "2031-01-01T10:00" })
        }
        "AppointmentChange" => json!({ "notes": "changed by b" }),
        "StatusChange" => json!({ "status": "cancelled", "reason": "by b" }),
        "RetentionRuleChange" => json!({ "data_class": "usage", "keep_days": 90 }),
        "LegalHoldNew" => json!({ "scope": "class", "data_class": "usage", "reason": "set by b" }),
        "LegalHoldLift" => json!({ "reason": "lifted by b" }),
        "Cancellation" => json!({ "reason": "leaving, says b" }),
        "PrivacyRequestNew" => json!({ "customer_id": uuid::Uuid::nil().to_string(), "kind": "access" }),
        "PrivacyRequestClose" => json!({ "outcome": "done", "note": "closed by b" }),
        "ErasureChoice" => json!({ "keep_appointments_anonymized": false }),
        "PrivacySettings" => json!({ "jurisdiction": "gdpr" }),
        "MessagingRules" => {
            json!({ "reminders": "24h", "channel_order": "sms", "quiet_from": "21:00", "quiet_until": "08:00", "language": "en" })
        }
        "MessagingChannelNew" => {
            json!({ "channel": "sms", "account": format!("AC{}", "b".repeat(32)), "sender": "+15005550007", "secret": "twilio-secret-of-b-0000" })
        }
        "MessageTemplateChange" => json!({ "kind": "reminder", "language": "en", "body": "Hi {first_name}, from b" }),
        "TemplatePreview" => json!({ "body": "Hi {first_name}" }),
        "MessageTest" => json!({ "channel": "email", "to": "someone@tenant-b.example" }),
        other => panic!("the cross-tenant suite has no sample body for schema {other}: add one"),
    }
}

fn fill_path(path: &str, ids: &BTreeMap<&'static str, String>) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => ids.get(param).cloned().unwrap_or_else(|| {
                panic!("path parameter {{{param}}} is new: give the cross-tenant suite tenant A's id for it")
            }),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_api_operation_answers_404_and_no_data_for_another_tenants_ids() {
    // promise: ISO-1
    // promise: ISO-3
    let server = TestServer::start().await;
    let (a, victim) = victim(&server).await;
    let b = server.tenant("tenant-b").await;
    let b_api = server.api(&b.owner_token);
    let document = server.browser().get("/api/v1/openapi.json").await.json();
    let paths = document["paths"].as_object().expect("paths");
    let mut walked = 0;
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().expect("operations") {
            let body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .map(|r| sample_body(r.rsplit('/').next().unwrap_or_default()));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let url = fill_path(path, &victim.ids);
            let page = b_api.call(method.clone(), &url, body).await;
            walked += 1;
            if path.contains('{') {
                assert_eq!(
                    page.status,
                    StatusCode::NOT_FOUND,
                    "{method} {path} with tenant A's id answered {}: {}",
                    page.status,
                    page.body
                );
            } else {
                assert!(page.status.is_success() || page.status.is_client_error(), "{method} {path}: {}", page.status);
            }
            for secret in &victim.secrets {
                assert!(!page.body.contains(secret.as_str()), "{method} {path} leaked tenant A's {secret}");
            }
        }
    }
    assert!(walked >= 15, "the document lists every operation ({walked} walked)");

    // Nothing of tenant A changed.
    let a_members = members::list(&server.app, &a.owner).await.unwrap();
    assert!(a_members.iter().any(|m| m.email == "staff@tenant-a.example" && m.role == "staff"));
    assert!(roles::list(&server.app, &a.owner).await.unwrap().iter().any(|r| r.name == "stylist"));
    assert_eq!(members::pending_invitations(&server.app, &a.owner).await.unwrap().len(), 1);
    assert!(tokens::list(&server.app, &a.owner).await.unwrap().iter().all(|t| !t.revoked));
    assert_eq!(steward_app::tenancy::profile(&server.app, &a.owner).await.unwrap().name, "Business tenant-a");
    let fields = steward_app::customers::fields::list(&server.app, &a.owner).await.unwrap();
    assert_eq!(fields.iter().map(|f| f.label.as_str()).collect::<Vec<_>>(), vec!["Allergies"]);
    let page = steward_app::customers::records::list(&server.app, &a.owner, &Default::default()).await.unwrap();
    assert_eq!(page.customers.len(), 1);
    let detail = steward_app::customers::records::get(&server.app, &a.owner, page.customers[0].id).await.unwrap();
    assert_eq!(detail.name, "Anita Victim");
    assert_eq!(detail.notes.len(), 1);
    assert!(detail.consents.is_empty());
    assert_eq!(detail.fields[0].value.as_deref(), Some("peanuts-of-tenant-a"));
    let appointment = victim.ids["appointment_id"].parse().unwrap();
    let appointment = steward_app::booking::appointments::get(&server.app, &a.owner, appointment).await.unwrap();
    assert_eq!(appointment.status, steward_domain::booking::Status::Booked);
    assert_eq!(appointment.notes.as_deref(), Some("appointment-note-of-tenant-a"));
    let staff = steward_app::booking::setup::staff_list(&server.app, &a.owner).await.unwrap();
    assert_eq!(staff.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["Kabir", "Meera"]);
    assert!(staff.iter().all(|s| s.hours.len() == 14 && !s.has_calendar_feed));
    assert_eq!(steward_app::booking::setup::locations(&server.app, &a.owner).await.unwrap().len(), 1);
}

#[tokio::test]
async fn every_page_answers_404_for_another_tenants_ids() {
    // promise: ISO-1
    // promise: ISO-3
    let server = TestServer::start().await;
    let (a, victim) = victim(&server).await;
    server.tenant("tenant-b").await;
    let mut browser = server.browser();
    browser.log_in("tenant-b", "owner@tenant-b.example", PASSWORD).await;
    let csrf = browser.get("/app").await.csrf();
    let mut walked = 0;
    for spec in steward_web::routes::all() {
        if spec.api.is_some() || spec.access == steward_domain::permissions::Access::Public || !spec.path.contains('{')
        {
            continue;
        }
        let url = fill_path(spec.path, &victim.ids);
        let page = if spec.method == Method::GET {
            browser.get(&url).await
        } else {
            browser
                .post(
                    &url,
                    &[("csrf", &csrf), ("role", "staff"), ("name", "renamed by b"), ("permissions", "customers.read")],
                )
                .await
        };
        walked += 1;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{} {} answered {}", spec.method, spec.path, page.status);
        for secret in &victim.secrets {
            assert!(!page.body.contains(secret.as_str()), "{} {} leaked {secret}", spec.method, spec.path);
        }
    }
    assert!(walked >= 6);
    let a_members = members::list(&server.app, &a.owner).await.unwrap();
    assert!(a_members.iter().any(|m| m.email == "staff@tenant-a.example" && m.role == "staff"));
}

#[tokio::test]
async fn a_tenant_query_without_the_tenant_filter_is_refused() {
    // promise: ISO-1
    let server = TestServer::start().await;
    let a = server.tenant("scope-a").await;
    let mut tx = server.store.begin_tenant_read(a.tenant).await.unwrap();
    let result = tx.fetch_all("SELECT email FROM members", args![]).await;
    assert!(matches!(result, Err(StoreError::UnscopedQuery(_))));
}

#[tokio::test]
async fn a_foreign_key_cannot_point_into_another_tenant() {
    // promise: ISO-3
    let server = TestServer::start().await;
    let a = server.tenant("fk-a").await;
    let b = server.tenant("fk-b").await;
    let mut tx = server.store.begin_tenant_read(a.tenant).await.unwrap();
    let a_owner_role = member_rows::find(&mut tx, a.owner.member).await.unwrap().unwrap().role_id;
    drop(tx);
    let mut tx = server.store.begin_tenant(b.tenant).await.unwrap();
    let intruder = member_rows::NewMember {
        id: steward_domain::ids::MemberId::generate(),
        email: "intruder@fk-b.example",
        name: "Intruder",
        phone: None,
        role_id: a_owner_role,
        password_hash: None,
        email_verified_at: None,
    };
    let result = member_rows::insert(&mut tx, &intruder, 0).await;
    assert!(matches!(result, Err(StoreError::MissingReference)), "{result:?}");
}

#[tokio::test]
async fn row_level_security_hides_other_tenants_from_an_unfiltered_query() {
    // promise: ISO-1
    // promise: ISO-2
    if crate::harness::postgres_admin_url().is_none() {
        crate::harness::skip_or_fail("PostgreSQL (set STEWARD_TEST_DATABASE_URL)");
        return;
    }
    let server = TestServer::start_with(crate::harness::Options { postgres: true, ..Default::default() }).await;
    assert_eq!(server.kind(), StoreKind::Postgres);
    let a = server.tenant("rls-a").await;
    let b = server.tenant("rls-b").await;
    crate::customers::seed_sensitive_customer(&server, &b, "rls-b-allergy").await;
    let mut browser = server.browser();
    browser.log_in("rls-b", "owner@rls-b.example", PASSWORD).await;

    crate::customers::seed_sensitive_customer(&server, &a, "rls-allergy").await;
    steward_app::retention::rules::set(&server.app, &a.owner, "usage", Some(90), false).await.unwrap();
    steward_app::retention::holds::set(
        &server.app,
        a.tenant,
        steward_app::retention::Actor::Operator,
        steward_app::retention::holds::NewHold {
            scope: "class".into(),
            customer_id: None,
            data_class: Some("usage".into()),
            reason: "rls".into(),
        },
    )
    .await
    .unwrap();
    let mut tx = server.store.begin_tenant_read(a.tenant).await.unwrap();
    for table in [
        "customers",
        "customer_search_terms",
        "customer_tags",
        "customer_notes",
        "customer_consents",
        "custom_fields",
        "customer_field_values",
        "keystore.tenant_keys",
        "keystore.subject_keys",
        "members",
        "roles",
        "sessions",
        "api_tokens",
        "policy_acceptances",
        "audit_events",
        "audit_heads",
        "usage_events",
        "retention_rules",
        "legal_holds",
    ] {
        let sql: &'static str = match table {
            "customers" => "SELECT tenant_id FROM customers",
            "customer_search_terms" => "SELECT tenant_id FROM customer_search_terms",
            "customer_tags" => "SELECT tenant_id FROM customer_tags",
            "customer_notes" => "SELECT tenant_id FROM customer_notes",
            "customer_consents" => "SELECT tenant_id FROM customer_consents",
            "custom_fields" => "SELECT tenant_id FROM custom_fields",
            "customer_field_values" => "SELECT tenant_id FROM customer_field_values",
            "keystore.tenant_keys" => "SELECT tenant_id FROM keystore.tenant_keys",
            "keystore.subject_keys" => "SELECT tenant_id FROM keystore.subject_keys",
            "members" => "SELECT tenant_id FROM members",
            "roles" => "SELECT tenant_id FROM roles",
            "sessions" => "SELECT tenant_id FROM sessions",
            "retention_rules" => "SELECT tenant_id FROM retention_rules",
            "legal_holds" => "SELECT tenant_id FROM legal_holds",
            "api_tokens" => "SELECT tenant_id FROM api_tokens",
            "audit_events" => "SELECT tenant_id FROM audit_events",
            "audit_heads" => "SELECT tenant_id FROM audit_heads",
            "usage_events" => "SELECT tenant_id FROM usage_events",
            _ => "SELECT tenant_id FROM policy_acceptances",
        };
        let rows = tx.fetch_all_unfiltered_for_isolation_test(sql).await.unwrap();
        assert!(!rows.is_empty(), "{table} has tenant A's rows");
        for row in rows {
            let tenant: uuid::Uuid = row.get("tenant_id").unwrap();
            assert_eq!(tenant, a.tenant.as_uuid(), "{table} showed another tenant's row");
        }
    }
    drop(tx);
    let mut platform = server.store.begin_platform().await.unwrap();
    let outside = platform.fetch_all("SELECT id FROM members", args![]).await.unwrap();
    assert!(outside.is_empty(), "with no tenant set, no tenant row is visible");
    let _ = b;
}

#[tokio::test]
async fn serve_refuses_a_role_that_can_bypass_row_level_security() {
    // promise: ISO-1
    // promise: SEC-2
    let Some(admin) = crate::harness::postgres_admin_url() else {
        crate::harness::skip_or_fail("PostgreSQL (set STEWARD_TEST_DATABASE_URL)");
        return;
    };
    let db = crate::harness::PgDatabase::create(&admin).await;
    db.migrate().await;
    let superuser = steward_store::Store::open(
        &admin.rsplit_once('/').map(|(h, _)| format!("{h}/{}", db.name)).unwrap_or_default(),
        2,
    )
    .await
    .unwrap();
    let refused = superuser.verify_isolation().await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("bypass row-level security"), "{refused}");
    let owner = steward_store::Store::open(&db.owner_url, 2).await.unwrap();
    let refused = owner.verify_isolation().await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("owns table"), "{refused}");
    let runtime = steward_store::Store::open(&db.app_url, 2).await.unwrap();
    assert!(runtime.verify_isolation().await.is_ok());
    sqlx::raw_sql("ALTER TABLE members NO FORCE ROW LEVEL SECURITY")
        .execute(&mut *sqlx_conn(&db.owner_url).await)
        .await
        .unwrap();
    let refused = runtime.verify_isolation().await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("'members'") && refused.contains("forced row-level security"), "{refused}");
    for store in [superuser, owner, runtime] {
        store.close().await;
    }
}

async fn sqlx_conn(url: &str) -> Box<sqlx::PgConnection> {
    use sqlx::Connection;
    Box::new(sqlx::PgConnection::connect(url).await.unwrap())
}
