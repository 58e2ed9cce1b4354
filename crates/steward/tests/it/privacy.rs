//! People's requests: asked on the privacy page with a code to the email on file, answered
//! from the inbox with an archive or an erasure that leaves no trace.

use crate::harness::{Fixture, Options, SmtpServer, TestServer, allergies_field, path_of, skip_or_fail};
use reqwest::{Method, StatusCode};
use serde_json::json;
use steward_app::clock::{Clock, MICROS_PER_DAY};
use steward_app::customers::records::{self, CustomerInput};

fn code_in(message: &str) -> Option<String> {
    message.lines().map(str::trim).find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit())).map(str::to_string)
}

async fn wait_for_code(smtp: &SmtpServer, to: &str) -> String {
    for _ in 0..200 {
        if let Some(code) = smtp.messages().iter().filter(|m| m.contains(to)).find_map(|m| code_in(m)) {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no code arrived for {to}");
}

async fn person(
    server: &TestServer,
    shop: &Fixture,
    name: &str,
    phone: &str,
    email: &str,
    allergy: &str,
) -> records::CustomerDetail {
    let input: CustomerInput = serde_json::from_value(json!({
        "name": name, "phone": phone, "email": email, "tags": ["regular"],
        "fields": { "Allergies": allergy },
        "consents": [{ "channel": "email", "purpose": "reminders", "granted": true, "source": "verbal" }]
    }))
    .unwrap();
    records::create(&server.app, &shop.owner, &input).await.unwrap()
}

#[tokio::test]
async fn a_person_asks_on_the_privacy_page_proves_who_they_are_and_downloads_their_archive() {
    // promise: DSR-1
    // promise: DSR-2
    let Some(smtp) = SmtpServer::start().await else {
        skip_or_fail("aiosmtpd (pip install aiosmtpd)");
        return;
    };
    let clock = Clock::fixed(1_798_761_600_000_000);
    let server = TestServer::start_with(Options {
        smtp_url: Some(smtp.url()),
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let shop = server.tenant("asked-shop").await;
    allergies_field(&server, &shop).await;
    person(&server, &shop, "Priya Asker", "98450 11111", "priya@asker.example", "sesame-7731").await;

    let mut visitor = server.browser();
    let notice = visitor.get("/p/asked-shop").await;
    assert!(notice.body.contains("id=\"privacy-request\""));
    let csrf = notice.csrf();
    let asked = visitor
        .post(
            "/p/asked-shop/requests",
            &[("csrf", &csrf), ("kind", "access"), ("contact", "priya@asker.example"), ("message", "")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let confirm = asked.body.split("action=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    assert!(confirm.ends_with("/confirm"), "{confirm}");

    // Nobody can tell from the answer whether someone is a customer.
    let unknown = visitor
        .post("/p/asked-shop/requests", &[("csrf", &csrf), ("kind", "erasure"), ("contact", "nobody@asker.example")])
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    let unknown_confirm = unknown.body.split("action=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let strip = |body: &str, action: &str| body.replace(action, "");
    assert_eq!(strip(&asked.body, &confirm), strip(&unknown.body, &unknown_confirm), "the two answers differ");
    let guessed = visitor.post(&unknown_confirm, &[("csrf", &csrf), ("code", "123456")]).await;
    assert_eq!(guessed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(guessed.body.contains("not the code we sent"));

    let code = wait_for_code(&smtp, "priya@asker.example").await;
    assert!(!smtp.messages().iter().any(|m| m.contains("nobody@asker.example")), "no mail to a stranger");
    let wrong = visitor.post(&confirm, &[("csrf", &csrf), ("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("tries left"), "{}", wrong.body);
    let right = visitor.post(&confirm, &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
    assert!(right.body.contains("id=\"request-received\""));
    let again = visitor.post(&confirm, &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "a code works once");

    // The request is in the business's inbox, due under its jurisdiction.
    let api = server.api(&shop.owner_token);
    let inbox = api.get("/api/v1/privacy/requests").await.json();
    let request = &inbox.as_array().unwrap()[0];
    assert_eq!(request["kind"], "access");
    assert_eq!(request["status"], "open");
    assert_eq!(request["source"], "privacy_page");
    assert_eq!(request["customer_name"], "Priya Asker");
    let due = request["due_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_microsecond();
    assert_eq!(due - clock.now(), 90 * MICROS_PER_DAY, "India's DPDP by default");
    let id = request["id"].as_str().unwrap().to_string();
    let archive = api.get(&format!("/api/v1/privacy/requests/{id}/export")).await;
    assert_eq!(archive.status, StatusCode::OK);
    let answered = api.call(Method::POST, &format!("/api/v1/privacy/requests/{id}/answer-access"), None).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert_eq!(answered.json()["status"], "done");

    let link = smtp.wait_for_link("priya@asker.example", "/exports/").await;
    let download = visitor.get(&path_of(&link)).await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert_eq!(download.headers["content-type"], "application/zip");
    for inside in [
        "customers.json",
        "customer_field_values.json",
        "summary.html",
        "Priya Asker",
        "sesame-7731",
        "priya@asker.example",
    ] {
        assert!(download.body.contains(inside), "the archive has no {inside}");
    }
    assert!(!download.body.contains("code_hash"), "secrets stay out");
    let forged = visitor.get(&format!("{}0", path_of(&link))).await;
    assert_ne!(forged.status, StatusCode::OK, "a changed link does not open");
    clock.advance(8 * MICROS_PER_DAY);
    assert_ne!(visitor.get(&path_of(&link)).await.status, StatusCode::OK, "the link expires after 7 days");

    // The form is rate-limited per address.
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = visitor
            .post(
                "/p/asked-shop/requests",
                &[("csrf", &csrf), ("kind", "access"), ("contact", "someone@asker.example")],
            )
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_erasure_leaves_no_trace_of_the_person_and_touches_no_one_else() {
    // promise: DSR-3
    // promise: DSR-2
    let server = TestServer::start().await;
    let shop = server.tenant("erase-shop").await;
    allergies_field(&server, &shop).await;
    let zara = person(&server, &shop, "Zara Erasable", "98450 22222", "zara@erase.example", "latex-5511").await;
    steward_app::customers::notes::add(
        &server.app,
        &shop.owner,
        zara.id,
        &steward_app::customers::notes::NoteInput { body: "zara-private-note".into(), private: true },
    )
    .await
    .unwrap();
    let salon = crate::booking::open_salon(&server, &shop, "Asia/Kolkata").await;
    let api = server.api(&shop.owner_token);
    let start = format!("{}T10:00", jiff::Zoned::now().date().checked_add(jiff::Span::new().days(7)).unwrap());
    let booked = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(
                json!({ "customer_id": zara.id, "service_id": salon.service, "staff_id": salon.staff[0], "start": start,
                         "notes": "zara-appointment-note" }),
            ),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    // Someone else, in another business, with the same phone and email.
    let other = server.tenant("other-shop").await;
    allergies_field(&server, &other).await;
    let twin = person(&server, &other, "Different Name", "98450 22222", "zara@erase.example", "pollen").await;

    let mut browser = server.browser();
    browser.log_in("erase-shop", "owner@erase-shop.example", crate::harness::PASSWORD).await;
    let page = browser.get(&format!("/app/customers/{}", zara.id)).await;
    assert!(
        page.body.contains(&format!("/app/privacy/requests?customer_id={}", zara.id)),
        "the customer page offers a request"
    );
    let opened = api
        .call(
            Method::POST,
            "/api/v1/privacy/requests",
            Some(json!({ "customer_id": zara.id, "kind": "erasure", "message": "zara-request-words" })),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let id = opened.json()["id"].as_str().unwrap().to_string();
    let mut tx = server.store.begin_tenant_read(shop.tenant).await.unwrap();
    let wrapped_key = steward_store::keystore::subject_key(&mut tx, zara.id.as_uuid()).await.unwrap().unwrap().wrapped;
    tx.commit().await.unwrap();
    let preview = api
        .call(
            Method::POST,
            &format!("/api/v1/privacy/requests/{id}/erasure-preview"),
            Some(json!({ "keep_appointments_anonymized": true })),
        )
        .await
        .json();
    assert_eq!(preview["preview"], true);
    let erased = api
        .call(
            Method::POST,
            &format!("/api/v1/privacy/requests/{id}/erase"),
            Some(json!({ "keep_appointments_anonymized": true })),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    let report = erased.json();
    assert_eq!(report["key_destroyed"], true);
    assert_eq!(report["found"], preview["found"], "the preview found what the erasure then found");
    assert!(
        report["done"].as_array().unwrap().iter().any(|d| d[0] == "appointments" && d[1] == "anonymize" && d[2] == 1)
    );

    // No row of the business holds any of it.
    let traces = [
        "Zara Erasable",
        "+919845022222",
        "zara@erase.example",
        "zara-private-note",
        "zara-appointment-note",
        "zara-request-words",
        "n:erasable",
    ];
    let mut tx = server.store.begin_tenant_read(shop.tenant).await.unwrap();
    for table in steward_store::retention::purge::TABLES {
        for row in tx.fetch_all(table.select_all, steward_store::args![]).await.unwrap() {
            let text = format!("{:?}", row.values());
            for trace in traces {
                assert!(!text.contains(trace), "{} still holds {trace}", table.name);
            }
        }
    }
    tx.commit().await.unwrap();
    let appointments = api.get(&format!("/api/v1/customers/{}/appointments", zara.id)).await;
    assert_eq!(appointments.status, StatusCode::NOT_FOUND);
    // The other business's customer is untouched.
    let kept = records::get(&server.app, &other.owner, twin.id).await.unwrap();
    assert_eq!(kept.phone.as_deref(), Some("+919845022222"));
    assert_eq!(
        kept.fields.iter().find(|f| f.label == "Allergies").and_then(|f| f.value.clone()).as_deref(),
        Some("pollen")
    );

    // Nor does any file of the database, as soon as the erasure answered and without
    // any help: the data file, its write-ahead log, the key store and its log (SQLite;
    // secure_delete zeroes the cells, the erasure empties the logs). The destroyed key's
    // wrapped bytes are gone too, so no copy of the folder opens the sealed values.
    if server.raw_url.starts_with("sqlite:") {
        let file = server.raw_url.trim_start_matches("sqlite://").to_string();
        let folder = std::path::Path::new(&file).parent().unwrap().to_path_buf();
        let scan = |when: &str| {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap_or_default();
                for trace in
                    ["Zara Erasable", "zara-private-note", "zara-appointment-note", "zara-request-words", "n:erasable"]
                {
                    assert!(
                        !bytes.windows(trace.len()).any(|w| w == trace.as_bytes()),
                        "{when}: {} still holds {trace}",
                        path.display()
                    );
                }
                assert!(
                    !bytes.windows(wrapped_key.len()).any(|w| w == wrapped_key.as_slice()),
                    "{when}: {} still holds the destroyed key",
                    path.display()
                );
            }
        };
        scan("after the erasure");
        let notice = server.browser().get("/p/erase-shop").await;
        assert!(notice.body.contains("overwritten with zeros") && notice.body.contains("after at most 14 days"));
        server.store.close().await;
        scan("after the store closed");
        for log in [format!("{file}-wal"), steward_store::sqlite::keystore_path(std::path::Path::new(&file)) + "-wal"] {
            let length = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            assert_eq!(length, 0, "{log} is emptied when the store closes");
        }
    }
}

#[tokio::test]
async fn requests_opened_at_the_counter_are_due_by_jurisdiction_and_remind_the_managers() {
    // promise: DSR-1
    let clock = Clock::fixed(1_798_761_600_000_000);
    let server = TestServer::start_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    let shop = server.tenant("counter-shop").await;
    allergies_field(&server, &shop).await;
    let asker = person(&server, &shop, "Counter Asker", "98450 33333", "counter@asker.example", "none").await;
    let api = server.api(&shop.owner_token);
    let set = api.call(Method::PUT, "/api/v1/privacy/settings", Some(json!({ "jurisdiction": "gdpr" }))).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let bad = api.call(Method::PUT, "/api/v1/privacy/settings", Some(json!({ "jurisdiction": "mars" }))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "jurisdiction");
    let opened = api
        .call(Method::POST, "/api/v1/privacy/requests", Some(json!({ "customer_id": asker.id, "kind": "correction" })))
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let request = opened.json();
    assert_eq!(request["source"], "counter");
    let due = request["due_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_microsecond();
    assert_eq!(due - clock.now(), 30 * MICROS_PER_DAY, "GDPR: 30 days");

    let reminders = || steward_app::privacy::requests::send_reminders(&server.app);
    assert_eq!(reminders().await.unwrap(), 0, "nothing is due yet");
    clock.advance(23 * MICROS_PER_DAY + 1);
    assert_eq!(reminders().await.unwrap(), 1, "a week before");
    assert_eq!(reminders().await.unwrap(), 0, "once");
    clock.advance(6 * MICROS_PER_DAY);
    assert_eq!(reminders().await.unwrap(), 1, "the day before");
    clock.advance(2 * MICROS_PER_DAY);
    let inbox = api.get("/api/v1/privacy/requests").await.json();
    assert_eq!(inbox[0]["overdue"], true);
    let id = inbox[0]["id"].as_str().unwrap();
    let refused = api
        .call(Method::POST, &format!("/api/v1/privacy/requests/{id}/close"), Some(json!({ "outcome": "rejected" })))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "a refusal says why");
    let closed = api
        .call(
            Method::POST,
            &format!("/api/v1/privacy/requests/{id}/close"),
            Some(json!({ "outcome": "done", "note": "phone corrected" })),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert_eq!(closed.json()["status"], "done");
    let again = api
        .call(Method::POST, &format!("/api/v1/privacy/requests/{id}/close"), Some(json!({ "outcome": "done" })))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_member_gets_their_own_data_through_their_administrator() {
    // promise: ACC-5
    let server = TestServer::start().await;
    let shop = server.tenant("enterprise-co").await;
    let member = steward_app::access::members::add_member(
        &server.app,
        shop.tenant,
        "analyst@enterprise-co.example",
        "Asha Analyst",
        "staff",
        crate::harness::PASSWORD,
    )
    .await
    .unwrap();
    server.principal("enterprise-co", "analyst@enterprise-co.example").await;
    let api = server.api(&shop.owner_token);
    let data = api.get(&format!("/api/v1/members/{}/data", member.id)).await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    let data = data.json();
    assert_eq!(data["members"][0]["name"], "Asha Analyst");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1, "their sign-in");
    assert!(data["audit_events"].as_array().unwrap().iter().any(|e| e["action"] == "member.login"), "{data}");
    assert!(!data.to_string().contains("password_hash") && !data.to_string().contains("token_hash"));
    let staff = server.principal("enterprise-co", "analyst@enterprise-co.example").await;
    assert!(
        steward_app::access::members::own_data(&server.app, &staff, member.id).await.is_err(),
        "through the administrator"
    );
}

fn twilio_at(uri: &str, account: &str) -> std::sync::Arc<dyn steward_app::messaging::SmsProvider> {
    std::sync::Arc::new(steward_app::messaging::twilio::Twilio {
        base_url: uri.to_string(),
        account_sid: account.to_string(),
        auth_token: "test-auth-token".to_string().into(),
        from: "+15005550006".into(),
    })
}

#[tokio::test]
async fn a_phone_on_file_gets_its_code_by_sms_through_twilio() {
    // promise: DSR-2
    // promise: EGR-1
    use wiremock::matchers::{basic_auth, body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/AC0123/Messages.json"))
        .and(basic_auth("AC0123", "test-auth-token"))
        .and(body_string_contains("To=%2B919845044444"))
        .and(body_string_contains("From=%2B15005550006"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "sid": "SM0001", "status": "queued" })))
        .expect(1)
        .mount(&twilio)
        .await;
    // Twilio's own answer for a number it cannot send to.
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/AC0999/Messages.json"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21211, "message": "The 'To' number +910000 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400
        })))
        .mount(&twilio)
        .await;
    let server = TestServer::start_with(Options {
        processor_endpoints: Some(vec![("twilio".into(), twilio.uri())]),
        sms: Some(twilio_at(&twilio.uri(), "AC0123")),
        ..Options::default()
    })
    .await;
    let shop = server.tenant("sms-shop").await;
    allergies_field(&server, &shop).await;
    person(&server, &shop, "Sunil Phone", "98450 44444", "sunil@phone.example", "dust").await;

    let mut visitor = server.browser();
    let csrf = visitor.get("/p/sms-shop").await.csrf();
    let asked = visitor
        .post("/p/sms-shop/requests", &[("csrf", &csrf), ("kind", "erasure"), ("contact", "098450-44444")])
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let confirm = asked.body.split("action=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let mut code = None;
    for _ in 0..100 {
        let received = twilio.received_requests().await.unwrap_or_default();
        code = received.iter().find_map(|r| {
            let body = String::from_utf8_lossy(&r.body).to_string();
            body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_string)
        });
        if code.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    if code.is_none() {
        let records = steward_app::egress::recent(&server.app, &shop.owner).await.unwrap();
        panic!("no SMS reached Twilio; egress records: {records:?}");
    }
    let right = visitor.post(&confirm, &[("csrf", &csrf), ("code", &code.unwrap_or_default())]).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
    let records = steward_app::egress::recent(&server.app, &shop.owner).await.unwrap();
    let sms = records.iter().find(|r| r.processor == "twilio").expect("the SMS is recorded");
    assert_eq!(sms.outcome, "answered 201");
    assert!(sms.fields.contains(&"customer.phone".to_string()) && sms.fields.contains(&"one_time_code".to_string()));

    let refused = twilio_at(&twilio.uri(), "AC0999")
        .send(
            &server.app,
            steward_app::messaging::Sms {
                tenant: shop.tenant,
                to: "+910000",
                body: "x",
                purpose: "test",
                fields: &["customer.phone"],
                idempotency_key: None,
                status_callback: None,
            },
        )
        .await;
    match refused {
        Err(steward_app::messaging::SendError::Refused { status: 400, code: 21211, message }) => {
            assert!(message.contains("not a valid phone number"))
        }
        other => panic!("Twilio's refusal was not understood: {other:?}"),
    }
}

/// Where the business's search terms are stored: a database URL and a table name. On
/// Citus that is the business's shard, on the worker that holds it.
async fn search_terms_of(server: &TestServer, shop: &crate::harness::Fixture) -> (String, String) {
    use sqlx::Connection;
    if !server.store.is_distributed() {
        return (server.raw_url.clone(), "customer_search_terms".into());
    }
    let mut coordinator = sqlx::PgConnection::connect(&server.raw_url).await.unwrap();
    let (shard, host, port): (String, String, i32) = sqlx::query_as(
        "SELECT shard_name::text, nodename::text, nodeport FROM citus_shards
         WHERE shardid = get_shard_id_for_distribution_column('customer_search_terms', $1)",
    )
    .bind(shop.tenant.as_uuid())
    .fetch_one(&mut coordinator)
    .await
    .unwrap();
    let (before_host, database) = server.raw_url.rsplit_once('/').unwrap();
    let user = before_host.split_once("://").unwrap().1.split('@').next().unwrap();
    (format!("postgres://{user}@{host}:{port}/{database}"), shard)
}

/// Index entries of `index` (every page but the meta page) whose key holds `text`.
async fn index_entries_holding(conn: &mut sqlx::PgConnection, index: &str, text: &str) -> i64 {
    // bt_page_items shows a key as hex bytes separated by spaces.
    let spaced: Vec<String> = text.bytes().map(|b| format!("{b:02x}")).collect();
    let pattern = format!("%{}%", spaced.join(" "));
    let sql = format!(
        "SELECT COUNT(*) FROM generate_series(1, (pg_relation_size('{index}') / 8192)::int - 1) AS page, \
         LATERAL bt_page_items('{index}', page) AS item WHERE item.data LIKE $1"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(pattern).fetch_one(conn).await.unwrap()
}

#[tokio::test]
async fn on_postgresql_an_erasure_leaves_no_index_entry_once_its_tables_are_vacuumed() {
    // promise: DSR-3
    use sqlx::Connection;
    if crate::harness::postgres_admin_url().is_none() {
        return skip_or_fail("PostgreSQL (STEWARD_TEST_POSTGRES_ADMIN_URL)");
    }
    let server = TestServer::start_with(Options { postgres: true, ..Options::default() }).await;
    let shop = server.tenant("vacuum-shop").await;
    allergies_field(&server, &shop).await;
    let wanda = person(&server, &shop, "Wanda Vacuumed", "98450 44444", "wanda@vacuum.example", "dust").await;
    let api = server.api(&shop.owner_token);
    let opened = api
        .call(Method::POST, "/api/v1/privacy/requests", Some(json!({ "customer_id": wanda.id, "kind": "erasure" })))
        .await;
    let id = opened.json()["id"].as_str().unwrap().to_string();
    let erased = api
        .call(
            Method::POST,
            &format!("/api/v1/privacy/requests/{id}/erase"),
            Some(json!({ "keep_appointments_anonymized": false })),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);

    // The business's shard of the table where Citus distributes it, else the table.
    // (Citus creates an extension on the coordinator, which carries it to the workers.)
    let mut coordinator = sqlx::PgConnection::connect(&server.raw_url).await.unwrap();
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pageinspect").execute(&mut coordinator).await.unwrap();
    let (url, table) = search_terms_of(&server, &shop).await;
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    if server.store.is_distributed() {
        // Citus hides shards from the catalog of other sessions.
        sqlx::raw_sql("SET citus.show_shards_for_app_name_prefixes = '*'").execute(&mut admin).await.unwrap();
    }
    let index: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = '{table}'::regclass AND indisprimary"
    )))
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(
        index_entries_holding(&mut admin, &index, "wanda@vacuum").await > 0,
        "the deleted search terms are still in the index until a vacuum"
    );
    // Autovacuum takes the person tables at their first dead row (migration 16).
    let options: Option<Vec<String>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT reloptions FROM pg_class WHERE oid = '{table}'::regclass"
    )))
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let options = options.unwrap_or_default();
    for wanted in ["autovacuum_vacuum_threshold=0", "autovacuum_vacuum_scale_factor=0", "vacuum_index_cleanup=on"] {
        assert!(options.iter().any(|o| o == wanted), "{wanted} in {options:?}");
    }
    // The runtime role owns no table, so it says what it left to autovacuum ...
    let left = server.store.scrub_after_erasure().await.unwrap();
    assert!(left.iter().any(|t| t == "customer_search_terms"), "{left:?}");
    // ... and a role that may vacuum (the owner, as autovacuum does) removes the entries.
    let owner = steward_store::Store::open(&server.raw_url, 2).await.unwrap();
    assert_eq!(owner.scrub_after_erasure().await.unwrap(), Vec::<String>::new());
    owner.close().await;
    assert_eq!(index_entries_holding(&mut admin, &index, "wanda@vacuum").await, 0);

    // The notice says what remains where, for this database.
    let notice = server.browser().get("/p/vacuum-shop").await;
    assert!(notice.body.contains("What an erasure leaves behind"), "{}", notice.body);
    assert!(notice.body.contains("autovacuum") && notice.body.contains("after at most 14 days"));
}
