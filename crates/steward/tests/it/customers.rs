//! Customers: records, search, sensitive fields and who may see them, sealing at rest,
//! import and export, duplicates and merges.

use crate::harness::{Fixture, PASSWORD, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use steward_app::access::members;
use steward_store::StoreKind;

/// Makes a sensitive field and a customer with a sensitive value, a private note, a tag and
/// a consent in the fixture's tenant; returns the customer id.
pub async fn seed_sensitive_customer(server: &TestServer, fixture: &Fixture, secret: &str) -> String {
    let api = server.api(&fixture.owner_token);
    let field = api
        .call(
            Method::POST,
            "/api/v1/customer-fields",
            Some(json!({ "label": "Allergies", "kind": "text", "data_class": "sensitive" })),
        )
        .await;
    assert!(field.status == StatusCode::CREATED || field.status == StatusCode::CONFLICT, "{}", field.body);
    let created = api
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(json!({
                "name": "Kavya Rao", "phone": "+91 98450 12345", "tags": ["regular"],
                "fields": { "Allergies": secret },
                "consents": [{ "channel": "whatsapp", "purpose": "reminders", "granted": true, "source": "verbal" }]
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let note = api
        .call(
            Method::POST,
            &format!("/api/v1/customers/{id}/notes"),
            Some(json!({ "body": format!("private {secret}"), "private": true })),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    id
}

async fn staff_token(server: &TestServer, fixture: &Fixture) -> String {
    let email = format!("staff@{}.example", fixture.slug);
    members::add_member(&server.app, fixture.tenant, &email, "Sunil Staff", "staff", PASSWORD).await.unwrap();
    let staff = server.principal(&fixture.slug, &email).await;
    steward_app::access::tokens::create(
        &server.app,
        &staff,
        "staff",
        &["customers.read".into(), "customers.write".into()],
        None,
    )
    .await
    .unwrap()
    .token
}

#[tokio::test]
async fn customers_are_created_found_changed_paged_and_deleted() {
    // promise: CRM-1
    let server = TestServer::start().await;
    let a = server.tenant("crm-a").await;
    let api = server.api(&a.owner_token);
    let people = [
        ("Zoë Fernandes", "098450 11111", "zoe@crm.example", vec!["vip"]),
        ("Arjun Mehta", "+91-98450-22222", "arjun@crm.example", vec![]),
        ("Priya Sharma", "91 98450 33333", "priya@crm.example", vec!["bridal"]),
        ("Priyanka Iyer", "9845044444", "priyanka@crm.example", vec![]),
    ];
    let mut ids = Vec::new();
    for (name, phone, email, tags) in &people {
        let page = api
            .call(
                Method::POST,
                "/api/v1/customers",
                Some(json!({ "name": name, "phone": phone, "email": email, "tags": tags })),
            )
            .await;
        assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
        ids.push(page.json()["id"].as_str().unwrap().to_string());
    }
    let zoe = api.get(&format!("/api/v1/customers/{}", ids[0])).await.json();
    assert_eq!(zoe["phone"], "+919845011111", "a local number gets the business's country code");
    assert_eq!(zoe["tags"], json!(["vip"]));

    let names = |page: &crate::harness::Page| -> Vec<String> {
        page.json()["customers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
    };
    for (query, expected) in [
        ("zoe", vec!["Zoë Fernandes"]),
        ("PRIY", vec!["Priya Sharma", "Priyanka Iyer"]),
        ("priya sh", vec!["Priya Sharma"]),
        ("98450 333", vec!["Priya Sharma"]),
        ("44444", vec!["Priyanka Iyer"]),
        ("arjun@crm", vec!["Arjun Mehta"]),
        ("%23bridal", vec!["Priya Sharma"]),
    ] {
        let page = api.get(&format!("/api/v1/customers?q={}", query.replace(' ', "+"))).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(names(&page), expected, "search {query}");
    }
    let tagged = api.get("/api/v1/customers?tag=VIP").await;
    assert_eq!(names(&tagged), vec!["Zoë Fernandes"]);

    // Keyset pagination walks everything once, in name order.
    let mut seen = Vec::new();
    let mut url = "/api/v1/customers?limit=3".to_string();
    loop {
        let page = api.get(&url).await;
        seen.extend(names(&page));
        match page.json()["next_cursor"].as_str() {
            Some(cursor) => url = format!("/api/v1/customers?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["Arjun Mehta", "Priya Sharma", "Priyanka Iyer", "Zoë Fernandes"]);
    let newest = api.get("/api/v1/customers?sort=created&limit=1").await;
    assert_eq!(names(&newest), vec!["Priyanka Iyer"]);

    let changed = api
        .call(
            Method::PATCH,
            &format!("/api/v1/customers/{}", ids[1]),
            Some(json!({ "name": "Arjun K Mehta", "email": "" })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.json()["email"], Value::Null);
    assert_eq!(changed.json()["phone"], "+919845022222", "what the change does not name stays");

    let bad = api.call(Method::POST, "/api/v1/customers", Some(json!({ "name": "X", "phone": "12ab" }))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "phone");
    let bad =
        api.call(Method::POST, "/api/v1/customers", Some(json!({ "name": "X", "date_of_birth": "2999-01-01" }))).await;
    assert_eq!(bad.json()["error"]["field"], "date_of_birth");
    let bad = api.get("/api/v1/customers?cursor=garbage").await;
    assert_eq!(bad.json()["error"]["field"], "cursor");

    let note = api
        .call(Method::POST, &format!("/api/v1/customers/{}/notes", ids[0]), Some(json!({ "body": "Prefers mornings" })))
        .await;
    assert_eq!(note.status, StatusCode::CREATED);
    let deleted = api.call(Method::DELETE, &format!("/api/v1/customers/{}", ids[0]), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&format!("/api/v1/customers/{}", ids[0])).await.status, StatusCode::NOT_FOUND);
    assert!(names(&api.get("/api/v1/customers?q=zoe").await).is_empty(), "search terms go with the record");
    assert_eq!(names(&api.get("/api/v1/customers?q=arjun+k").await), vec!["Arjun K Mehta"]);

    // The term rows are exactly those the remaining customers list on their rows: a change
    // and a delete leave none behind (term rows have no foreign key since migration 13).
    let mut tx = server.store.begin_tenant_read(a.tenant).await.unwrap();
    let mut stored: Vec<(uuid::Uuid, String)> = tx
        .fetch_all("SELECT customer_id, term FROM customer_search_terms WHERE tenant_id = $1", steward_store::args![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("customer_id").unwrap(), r.get("term").unwrap()))
        .collect();
    let mut listed = Vec::new();
    for row in tx
        .fetch_all("SELECT id, search_terms FROM customers WHERE tenant_id = $1", steward_store::args![])
        .await
        .unwrap()
    {
        let id: uuid::Uuid = row.get("id").unwrap();
        let list: String = row.get("search_terms").unwrap();
        listed.extend(list.split('\n').filter(|t| !t.is_empty()).map(|t| (id, t.to_string())));
    }
    tx.commit().await.unwrap();
    stored.sort();
    listed.sort();
    assert_eq!(stored, listed);
    assert_eq!(stored.iter().filter(|(_, t)| t.starts_with("n:")).count(), 7, "three names left, seven words");
    assert!(!stored.iter().any(|(_, t)| t == "e:arjun@crm.example"), "a cleared email is no longer a term");
}

#[tokio::test]
async fn the_answer_to_a_create_is_the_record_a_later_read_shows() {
    // promise: CRM-2
    // A create answers from what it wrote instead of reading the record back; a read by a
    // member without the sensitive permission must show exactly the same record.
    let server = TestServer::start().await;
    let a = server.tenant("crm-answer").await;
    let api = server.api(&a.owner_token);
    crate::harness::allergies_field(&server, &a).await;
    let field = api
        .call(
            Method::POST,
            "/api/v1/customer-fields",
            Some(json!({ "label": "Referred by", "kind": "text", "data_class": "personal" })),
        )
        .await;
    assert_eq!(field.status, StatusCode::CREATED, "{}", field.body);
    let first = api
        .call(Method::POST, "/api/v1/customers", Some(json!({ "name": "Meera Iyer", "phone": "98450 55555" })))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let created = api
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(json!({
                "name": "Meera  Iyer", "phone": "+91 98450 55555", "email": "meera@answer.example",
                "tags": ["vip", "bridal"], "fields": { "Referred by": "Anika", "Allergies": "latex" },
                "consents": [
                    { "channel": "sms", "purpose": "reminders", "granted": true, "source": "form" },
                    { "channel": "whatsapp", "purpose": "marketing", "granted": false, "source": "verbal" }
                ]
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let answer = created.json();
    assert_eq!(answer["possible_duplicates"][0]["id"], first.json()["id"], "the same phone is a possible duplicate");
    assert!(!answer.to_string().contains("latex"), "a create answers without the sensitive value");
    let staff = server.api(&staff_token(&server, &a).await);
    let read = staff.get(&format!("/api/v1/customers/{}", answer["id"].as_str().unwrap())).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.json(), answer);
}

#[tokio::test]
async fn a_search_pages_in_name_order_each_customer_once_and_follows_a_rename() {
    // promise: CRM-1
    let server = TestServer::start().await;
    let a = server.tenant("crm-pages").await;
    let api = server.api(&a.owner_token);
    let mut ids = Vec::new();
    // "Sara Sarin" matches "sar" by both words; "Kabir Sarkar" only by his surname; the
    // others not at all.
    for name in ["Zara Sarkar", "Sara Sarin", "Kabir Sarkar", "Sarah Khan", "Meera Rao", "Sarita Nair"] {
        let page = api.call(Method::POST, "/api/v1/customers", Some(json!({ "name": name }))).await;
        assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
        ids.push(page.json()["id"].as_str().unwrap().to_string());
    }
    let pages = |query: &'static str| {
        let api = &api;
        async move {
            let mut seen = Vec::new();
            let mut url = format!("/api/v1/customers?q={query}&limit=2");
            loop {
                let page = api.get(&url).await;
                assert_eq!(page.status, StatusCode::OK, "{}", page.body);
                let json = page.json();
                seen.extend(
                    json["customers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()),
                );
                match json["next_cursor"].as_str() {
                    Some(cursor) => url = format!("/api/v1/customers?q={query}&limit=2&cursor={cursor}"),
                    None => break seen,
                }
            }
        }
    };
    assert_eq!(pages("sar").await, ["Kabir Sarkar", "Sara Sarin", "Sarah Khan", "Sarita Nair", "Zara Sarkar"]);
    // Several words: every one must match one of the customer's words.
    assert_eq!(pages("k+sar").await, ["Kabir Sarkar", "Sarah Khan"]);
    assert_eq!(pages("sarah+k").await, ["Sarah Khan"]);
    let renamed = api
        .call(Method::PATCH, &format!("/api/v1/customers/{}", ids[2]), Some(json!({ "name": "Aarav Sarkar" })))
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(pages("sar").await, ["Aarav Sarkar", "Sara Sarin", "Sarah Khan", "Sarita Nair", "Zara Sarkar"]);
    assert_eq!(pages("kab").await, Vec::<String>::new(), "the old name is no longer found");
}

#[tokio::test]
async fn only_members_with_the_sensitive_permission_see_sensitive_values_and_each_read_is_audited() {
    // promise: CRM-2
    // promise: ACC-3
    let server = TestServer::start().await;
    let a = server.tenant("sens-a").await;
    let id = seed_sensitive_customer(&server, &a, "penicillin-7731").await;
    let staff = server.api(&staff_token(&server, &a).await);

    let seen_by_staff = staff.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(seen_by_staff.status, StatusCode::OK);
    assert!(!seen_by_staff.body.contains("penicillin-7731"), "staff must not see the value");
    let field = &seen_by_staff.json()["fields"][0];
    assert_eq!(
        (field["present"].as_bool(), field["hidden"].as_bool(), field["value"].clone()),
        (Some(true), Some(true), Value::Null)
    );
    assert_eq!(seen_by_staff.json()["notes"][0]["hidden"], true);

    let write = staff
        .call(Method::PATCH, &format!("/api/v1/customers/{id}"), Some(json!({ "fields": { "Allergies": "none" } })))
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "writing a sensitive value needs the permission too");
    let private = staff
        .call(Method::POST, &format!("/api/v1/customers/{id}/notes"), Some(json!({ "body": "x", "private": true })))
        .await;
    assert_eq!(private.status, StatusCode::FORBIDDEN);
    let filter = staff.get("/api/v1/customers?field_id=Allergies&field_value=x").await;
    assert_eq!(filter.status, StatusCode::UNPROCESSABLE_ENTITY, "sensitive fields cannot be filtered on");
    let export = staff.get("/api/v1/customers/export?format=json").await;
    assert!(export.body.contains("Kavya Rao") && !export.body.contains("penicillin-7731"));

    let owner = server.api(&a.owner_token);
    let seen_by_owner = owner.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(seen_by_owner.json()["fields"][0]["value"], "penicillin-7731");
    assert_eq!(seen_by_owner.json()["notes"][0]["body"], "private penicillin-7731");

    let audit = owner.get("/api/v1/audit/events?limit=200").await;
    let events = audit.json();
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"customer.sensitive.written"));
    let read = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "customer.sensitive.read")
        .expect("the read is audited");
    assert_eq!(read["target_id"], id.as_str());
    assert!(read["details"]["fields"].as_array().unwrap().contains(&json!("Allergies")));
    assert!(!audit.body.contains("penicillin-7731"), "the audit names the field, never the value");
}

/// Every file a database of this server writes: the data file, its WAL, the key store.
fn sqlite_files(server: &TestServer) -> Vec<std::path::PathBuf> {
    let path = server.raw_url.trim_start_matches("sqlite://");
    let dir = std::path::Path::new(path).parent().unwrap();
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect()
}

#[tokio::test]
async fn a_sensitive_value_is_never_stored_in_the_clear() {
    // promise: CRM-2
    let server = TestServer::start().await;
    let a = server.tenant("clear-a").await;
    seed_sensitive_customer(&server, &a, "latex-allergy-90210").await;
    match server.kind() {
        StoreKind::Sqlite => {
            let files = sqlite_files(&server);
            assert!(
                files.iter().any(|f| f.to_string_lossy().ends_with(".keys.db")),
                "the key store is a file of its own"
            );
            for file in files {
                let bytes = std::fs::read(&file).unwrap();
                assert!(
                    !bytes.windows(19).any(|w| w == b"latex-allergy-90210"),
                    "{} holds the sensitive value in the clear",
                    file.display()
                );
            }
        }
        StoreKind::Postgres => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&server.raw_url).await.unwrap();
            for table in
                ["customer_field_values", "customer_notes", "audit_events", "customers", "customer_search_terms"]
            {
                let sql = format!(
                    "SELECT COUNT(*) FROM {table} t WHERE t::text LIKE '%latex-allergy%' OR encode(convert_to(t::text, 'UTF8'), 'escape') LIKE '%latex-allergy%'"
                );
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.unwrap();
                assert_eq!(n, 0, "{table} holds the sensitive value in the clear");
            }
        }
    }
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_customer_does_not_open() {
    // promise: CRM-2
    let server = TestServer::start().await;
    let a = server.tenant("move-a").await;
    let first = seed_sensitive_customer(&server, &a, "secret-of-first").await;
    let api = server.api(&a.owner_token);
    let second = api
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(json!({ "name": "Second Person", "fields": { "Allergies": "secret-of-second" } })),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (first_hex, second_hex) = (first.replace('-', ""), second.replace('-', ""));
    let sql = match server.kind() {
        StoreKind::Sqlite => format!(
            "UPDATE customer_field_values SET value_sealed = (SELECT value_sealed FROM customer_field_values WHERE customer_id = x'{first_hex}')
             WHERE customer_id = x'{second_hex}'"
        ),
        // Joined on the business as well, which Citus needs to run it on the shards.
        StoreKind::Postgres => format!(
            "UPDATE customer_field_values AS target SET value_sealed = source.value_sealed
             FROM customer_field_values AS source
             WHERE source.tenant_id = target.tenant_id AND source.customer_id = '{first}' AND target.customer_id = '{second}'"
        ),
    };
    server.tamper(&sql).await;
    let seen = api.get(&format!("/api/v1/customers/{second}")).await;
    assert_eq!(seen.status, StatusCode::OK, "a value that does not open is withheld, not a failure: {}", seen.body);
    assert!(!seen.body.contains("secret-of-first"));
    assert_eq!(seen.json()["fields"][0]["hidden"], true);
    assert_eq!(api.get(&format!("/api/v1/customers/{first}")).await.json()["fields"][0]["value"], "secret-of-first");
}

#[tokio::test]
async fn imports_report_every_bad_row_and_never_half_apply() {
    // promise: CRM-1
    let server = TestServer::start().await;
    let a = server.tenant("imp-a").await;
    let api = server.api(&a.owner_token);
    api.call(
        Method::POST,
        "/api/v1/customer-fields",
        Some(json!({ "label": "Referred by", "kind": "text", "data_class": "personal" })),
    )
    .await;
    let csv = "\u{feff}Full Name,Mobile,Email,Referred by,Notes\r\n\
               Asha Kulkarni,98450 55555,asha@imp.example,Meera,\"likes\nmornings\"\r\n\
               Bad Phone,12ab,bad@imp.example,,\r\n\
               ,98450 66666,noname@imp.example,,\r\n\
               Dev Patel,+91 98450 77777,dev@imp.example,,\r\n";
    let strict = api.raw(Method::POST, "/api/v1/customers/import", "text/csv", csv.as_bytes().to_vec()).await;
    assert_eq!(strict.status, StatusCode::OK, "{}", strict.body);
    let report = strict.json();
    assert_eq!(report["applied"], false);
    let lines: Vec<u64> = report["rejected"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![4, 5], "line numbers count the quoted newline: {report}");
    assert_eq!(report["rejected"][0]["field"], "phone");
    assert_eq!(api.get("/api/v1/customers").await.json()["customers"].as_array().unwrap().len(), 0, "nothing applied");

    let skip =
        api.raw(Method::POST, "/api/v1/customers/import?bad_rows=skip", "text/csv", csv.as_bytes().to_vec()).await;
    let report = skip.json();
    assert_eq!((report["applied"].as_bool(), report["created"].as_u64()), (Some(true), Some(2)), "{report}");
    let listed = api.get("/api/v1/customers").await.json();
    assert_eq!(listed["customers"].as_array().unwrap().len(), 2, "exactly the rows the report counts");
    let asha = listed["customers"][0]["id"].as_str().unwrap().to_string();
    let detail = api.get(&format!("/api/v1/customers/{asha}")).await.json();
    assert_eq!(detail["fields"][0]["value"], "Meera");
    assert_eq!(detail["notes"][0]["body"], "likes\nmornings");
    assert_eq!(detail["source"], "import");

    // Again, updating duplicates by phone: nothing new is created.
    let again = "name,phone,address\nAsha K,9845055555,\"12 MG Road, Pune\"\n";
    let report =
        api.raw(Method::POST, "/api/v1/customers/import?on_duplicate=update", "text/csv", again.into()).await.json();
    assert_eq!((report["created"].as_u64(), report["updated"].as_u64()), (Some(0), Some(1)), "{report}");
    assert_eq!(api.get(&format!("/api/v1/customers/{asha}")).await.json()["address"], "12 MG Road, Pune");

    // Hostile files: a clear message each, never a crash.
    let wide = (0..10_000).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
    let refused = api.raw(Method::POST, "/api/v1/customers/import", "text/csv", wide.into()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("10000 columns"), "{}", refused.body);
    let latin1 = b"name,phone\nJos\xe9 Garc\xeda,9845088888\n".to_vec();
    let report = api.raw(Method::POST, "/api/v1/customers/import", "text/csv", latin1).await.json();
    assert!(report["rejected"][0]["reason"].as_str().unwrap().contains("UTF-8"), "{report}");
    let utf16 = api.raw(Method::POST, "/api/v1/customers/import", "text/csv", vec![0xFF, 0xFE, b'n', 0]).await;
    assert!(utf16.body.contains("UTF-16"), "{}", utf16.body);
    // A claimed 4 GB body is refused from its headers, before any of it is read.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /api/v1/customers/import HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nContent-Length: 4294967296\r\n\r\nname\n",
        a.owner_token
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut head))
        .await
        .expect("an answer, not a wait");
    let head = String::from_utf8_lossy(&head[..read.unwrap()]).to_string();
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[tokio::test]
async fn vcards_import_and_exports_neutralise_formulas() {
    // promise: CRM-1
    let server = TestServer::start().await;
    let a = server.tenant("vcf-a").await;
    let api = server.api(&a.owner_token);
    let cards = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nair;Lakshmi;;;\r\nTEL;TYPE=CELL:+91 98450 12121\r\nEMAIL:lakshmi@vcf.example\r\n\
                 NOTE:Long note that is folded \r\n across two lines\r\nEND:VCARD\r\n\
                 BEGIN:VCARD\r\nVERSION:4.0\r\nFN:=cmd|' /C calc'!A0\r\nTEL:9845013131\r\nEND:VCARD\r\n\
                 BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Broken Card\r\n";
    let report = api
        .raw(Method::POST, "/api/v1/customers/import?format=vcard&bad_rows=skip", "text/vcard", cards.into())
        .await
        .json();
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["rejected"][0]["line"], 14, "the broken card's BEGIN line: {report}");
    let found = api.get("/api/v1/customers?q=lakshmi").await.json();
    let id = found["customers"][0]["id"].as_str().unwrap();
    let lakshmi = api.get(&format!("/api/v1/customers/{id}")).await.json();
    assert_eq!(lakshmi["notes"][0]["body"], "Long note that is folded across two lines");

    let csv = api.get("/api/v1/customers/export?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("'=cmd|"), "a formula is neutralised: {}", csv.body);
    assert!(!csv.body.lines().any(|l| l.split(',').any(|cell| cell.starts_with('='))));
    let vcf = api.get("/api/v1/customers/export?format=vcard").await;
    assert!(vcf.body.contains("FN:Lakshmi Nair") && vcf.body.contains("TEL;VALUE=uri;TYPE=cell:tel:+919845012121"));

    // An export imports back unchanged: the neutralising prefix is undone.
    let other = server.tenant("vcf-b").await;
    let report = server
        .api(&other.owner_token)
        .raw(Method::POST, "/api/v1/customers/import", "text/csv", csv.body.clone().into_bytes())
        .await
        .json();
    assert_eq!(report["created"], 2, "{report}");
    let names = server.api(&other.owner_token).get("/api/v1/customers").await.body;
    assert!(names.contains("=cmd|"), "{names}");
}

#[tokio::test]
async fn duplicates_are_found_and_merged_keeping_everything() {
    // promise: CRM-1
    let server = TestServer::start().await;
    let a = server.tenant("dup-a").await;
    let keep = seed_sensitive_customer(&server, &a, "dust-mites").await;
    let api = server.api(&a.owner_token);
    let other = api
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(json!({ "name": "Kavya R", "phone": "9845012345", "email": "kavya@dup.example", "tags": ["vip"],
                         "consents": [{ "channel": "sms", "purpose": "marketing", "granted": true }] })),
        )
        .await
        .json();
    let remove = other["id"].as_str().unwrap().to_string();
    assert_eq!(other["possible_duplicates"][0]["id"], keep.as_str(), "same phone: flagged on creation");
    api.call(Method::POST, &format!("/api/v1/customers/{remove}/notes"), Some(json!({ "body": "walked in twice" })))
        .await;
    let groups = api.get("/api/v1/customers/duplicates").await.json();
    assert!(groups.as_array().unwrap().iter().any(|g| g["reason"] == "phone"), "{groups}");

    let preview = api
        .call(
            Method::POST,
            &format!("/api/v1/customers/{keep}/merge"),
            Some(json!({ "remove": remove, "preview": true })),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.json()["applied"], false);
    assert_eq!(preview.json()["details_filled"], json!(["email"]));
    assert_eq!(
        api.get(&format!("/api/v1/customers/{remove}")).await.status,
        StatusCode::OK,
        "a preview changes nothing"
    );

    let merged =
        api.call(Method::POST, &format!("/api/v1/customers/{keep}/merge"), Some(json!({ "remove": remove }))).await;
    assert_eq!(merged.json()["applied"], true, "{}", merged.body);
    assert_eq!(api.get(&format!("/api/v1/customers/{remove}")).await.status, StatusCode::NOT_FOUND);
    let kept = api.get(&format!("/api/v1/customers/{keep}")).await.json();
    assert_eq!(kept["email"], "kavya@dup.example");
    assert_eq!(kept["tags"], json!(["regular", "vip"]));
    assert_eq!(kept["notes"].as_array().unwrap().len(), 2);
    assert_eq!(kept["consents"].as_array().unwrap().len(), 2);
    assert_eq!(kept["fields"][0]["value"], "dust-mites");
    let audit = api.get("/api/v1/audit/events?action=customer.merged").await.json();
    assert_eq!(audit[0]["details"]["removed"], remove.as_str());
}

#[tokio::test]
async fn the_import_page_checks_a_file_shows_progress_and_imports_with_a_chosen_mapping() {
    // promise: CRM-1
    let server = TestServer::start().await;
    server.tenant("page-imp").await;
    let mut browser = server.browser();
    browser.log_in("page-imp", "owner@page-imp.example", PASSWORD).await;
    let csrf = browser.get("/app/customers/import").await.csrf();
    let file = b"Client,Cell,Where\nMeena Joshi,98450 40404,Pune\nBad Row,12ab,Nashik\n";
    let without_csrf = browser.post_file("/app/customers/import", &[], "clients.csv", file).await;
    assert_eq!(without_csrf.status, StatusCode::FORBIDDEN, "an upload needs the form's token too");
    let started =
        browser.post_file("/app/customers/import", &[("csrf", &csrf), ("bad_rows", "skip")], "clients.csv", file).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let job = started.location().unwrap().to_string();
    let mut report = String::new();
    for _ in 0..100 {
        let page = browser.get(&job).await;
        if page.body.contains("Checked (dry run") {
            report = page.body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(report.contains("1 would be created"), "{report}");
    assert!(report.contains("<td>3</td>"), "the bad row is reported by its line: {report}");
    assert!(report.contains("name=\"map:Where\""), "each column can be mapped: {report}");
    assert_eq!(browser.get("/app/customers").await.body.matches("Meena Joshi").count(), 0, "a check writes nothing");

    // Run again for real, mapping "Where" to the address.
    let again = browser
        .post(
            &job,
            &[
                ("csrf", &csrf),
                ("map:Client", "name"),
                ("map:Cell", "phone"),
                ("map:Where", "address"),
                ("bad_rows", "skip"),
                ("apply", "yes"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let next = again.location().unwrap().to_string();
    for _ in 0..100 {
        if browser.get(&next).await.body.contains("Imported") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let list = browser.get("/app/customers?q=meena").await;
    assert!(list.body.contains("Meena Joshi"), "{}", list.body);
    let owner = server.principal("page-imp", "owner@page-imp.example").await;
    let page = steward_app::customers::records::list(&server.app, &owner, &Default::default()).await.unwrap();
    let meena = steward_app::customers::records::get(&server.app, &owner, page.customers[0].id).await.unwrap();
    assert_eq!(meena.address.as_deref(), Some("Pune"));

    // Another member cannot look at this job.
    steward_app::access::members::add_member(
        &server.app,
        owner.tenant,
        "second@page-imp.example",
        "Second",
        "admin",
        PASSWORD,
    )
    .await
    .unwrap();
    let mut second = server.browser();
    second.log_in("page-imp", "second@page-imp.example", PASSWORD).await;
    assert_eq!(second.get(&job).await.status, StatusCode::NOT_FOUND);
}
