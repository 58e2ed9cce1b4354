//! Booking: setup through the API, availability across daylight-saving changes, booking,
//! moving, statuses, recurring series, no double booking under concurrency on either
//! backend, bad input, the public booking page and calendar feeds.

use crate::harness::{Api, Fixture, Options, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use steward_app::clock::Clock;

/// 2026-06-01T00:00:00Z, a Monday (05:30 in Kolkata).
pub const JUNE_FIRST: i64 = 1_780_272_000_000_000;

pub async fn server_at(micros: i64) -> TestServer {
    TestServer::start_with(Options { clock: Some(Clock::fixed(micros)), ..Default::default() }).await
}

/// A location in `zone`, a 60-minute service with a 15-minute buffer after it, and two
/// staff members who perform it, working every day 09:00-13:00 and 14:00-18:00.
pub struct Salon {
    pub location: String,
    pub service: String,
    pub staff: Vec<String>,
}

async fn created(api: &Api, path: &str, body: Value) -> Value {
    let page = api.call(Method::POST, path, Some(body)).await;
    assert_eq!(page.status, StatusCode::CREATED, "POST {path}: {}", page.body);
    page.json()
}

pub async fn open_salon(server: &TestServer, fixture: &Fixture, zone: &str) -> Salon {
    let api = server.api(&fixture.owner_token);
    let location = created(&api, "/api/v1/locations", json!({ "name": "Main Road", "time_zone": zone })).await;
    let location = location["id"].as_str().unwrap().to_string();
    let service = created(
        &api,
        "/api/v1/services",
        json!({ "name": "Haircut", "duration_minutes": 60, "buffer_after_minutes": 15, "slot_interval_minutes": 15,
                "min_notice_minutes": 60, "horizon_days": 60, "price": "600", "gst_rate": 5, "sac_code": "999721" }),
    )
    .await;
    assert_eq!(service["price"], "600.00");
    assert_eq!(service["location_ids"][0], location.as_str(), "offered at every location by default");
    let service = service["id"].as_str().unwrap().to_string();
    let mut staff = Vec::new();
    for name in ["Meera", "Kabir"] {
        let person = created(&api, "/api/v1/staff", json!({ "name": name, "service_ids": [service] })).await;
        let id = person["id"].as_str().unwrap().to_string();
        let hours: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            .iter()
            .flat_map(|day| {
                [("09:00", "13:00"), ("14:00", "18:00")]
                    .map(|(start, end)| json!({ "weekday": day, "start": start, "end": end, "location_id": location }))
            })
            .collect();
        let set = api.call(Method::PUT, &format!("/api/v1/staff/{id}/hours"), Some(json!({ "hours": hours }))).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        assert_eq!(set.json()["hours"].as_array().unwrap().len(), 14);
        staff.push(id);
    }
    Salon { location, service, staff }
}

fn starts(availability: &Value) -> Vec<String> {
    availability["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn a_business_sets_up_booking_and_manages_appointments() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-a").await;
    let salon = open_salon(&server, &a, "Asia/Kolkata").await;
    let api = server.api(&a.owner_token);
    let customer = created(&api, "/api/v1/customers", json!({ "name": "Nisha Test", "phone": "98450 11111" })).await;
    let customer = customer["id"].as_str().unwrap().to_string();

    // Availability for one staff member on Tuesday: 09:00 .. 11:45 and 14:00 .. 16:45 by
    // the quarter hour (a 60-minute service that must end by 13:00 and 18:00).
    let free = api
        .get(&format!(
            "/api/v1/availability?service_id={}&staff_id={}&from=2026-06-02&days=1",
            salon.service, salon.staff[0]
        ))
        .await;
    assert_eq!(free.status, StatusCode::OK, "{}", free.body);
    let times = starts(&free.json());
    assert_eq!(times.first().unwrap(), "2026-06-02T09:00:00+05:30");
    assert_eq!(times.last().unwrap(), "2026-06-02T17:00:00+05:30");
    assert_eq!(times.len(), 13 + 13);

    let booked = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0],
                         "start": "2026-06-02T10:00", "notes": "Prefers a short fringe" })),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let appointment = booked.json()["appointments"][0].clone();
    let id = appointment["id"].as_str().unwrap().to_string();
    assert_eq!(appointment["status"], "booked");
    assert_eq!(appointment["price"], "600.00", "the price is captured at booking");
    assert_eq!(appointment["end"], "2026-06-02T11:00:00+05:30");

    // The booked hour and its buffer are gone from availability, and so is every start
    // whose own buffer would run into it: the morning is free again from 11:15.
    let after = starts(
        &api.get(&format!(
            "/api/v1/availability?service_id={}&staff_id={}&from=2026-06-02&days=1",
            salon.service, salon.staff[0]
        ))
        .await
        .json(),
    );
    assert!(!after.contains(&"2026-06-02T09:00:00+05:30".to_string()), "09:00 with its buffer would run into 10:00");
    assert!(!after.contains(&"2026-06-02T11:00:00+05:30".to_string()));
    assert!(after.contains(&"2026-06-02T11:15:00+05:30".to_string()));

    // The same time again with the same person: 409 with the next free starts.
    let again = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0], "start": "2026-06-02T10:30" })),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.json()["error"]["code"], "slot_taken");
    assert_eq!(again.json()["error"]["next_free"][0], "2026-06-02T11:15:00+05:30");
    // Anyone: the other staff member takes it.
    let anyone = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer": { "name": "Walk In", "phone": "98450 22222" }, "service_id": salon.service, "staff_id": "anyone", "start": "2026-06-02T10:30" })),
        )
        .await;
    assert_eq!(anyone.status, StatusCode::CREATED, "{}", anyone.body);
    assert_eq!(anyone.json()["appointments"][0]["staff_id"], salon.staff[1].as_str());

    // Move it; the old time frees up, the new one is checked like a booking.
    let moved = api
        .call(Method::PATCH, &format!("/api/v1/appointments/{id}"), Some(json!({ "start": "2026-06-03T15:00" })))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.json()["start"], "2026-06-03T15:00:00+05:30");
    let into_break = api
        .call(Method::PATCH, &format!("/api/v1/appointments/{id}"), Some(json!({ "start": "2026-06-03T12:30" })))
        .await;
    assert_eq!(into_break.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", into_break.body);
    assert!(into_break.body.contains("working hours"));

    // Statuses: a cancellation needs a reason; a finished appointment cannot come back.
    let no_reason = api
        .call(Method::POST, &format!("/api/v1/appointments/{id}/status"), Some(json!({ "status": "cancelled" })))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.json()["error"]["field"], "reason");
    let confirmed = api
        .call(Method::POST, &format!("/api/v1/appointments/{id}/status"), Some(json!({ "status": "confirmed" })))
        .await;
    assert_eq!(confirmed.json()["status"], "confirmed");
    let cancelled = api
        .call(
            Method::POST,
            &format!("/api/v1/appointments/{id}/status"),
            Some(json!({ "status": "cancelled", "reason": "Customer is travelling" })),
        )
        .await;
    assert_eq!(cancelled.json()["cancel_reason"], "Customer is travelling");
    let revived =
        api.call(Method::POST, &format!("/api/v1/appointments/{id}/status"), Some(json!({ "status": "booked" }))).await;
    assert_eq!(revived.status, StatusCode::CONFLICT);

    // A weekly series of four where the third collides: three booked, one reported.
    let blocker = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[1], "start": "2026-06-18T11:00" })),
        )
        .await;
    assert_eq!(blocker.status, StatusCode::CREATED, "{}", blocker.body);
    let series = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[1],
                         "start": "2026-06-04T11:00", "repeat": { "every_weeks": 1, "count": 4 } })),
        )
        .await;
    assert_eq!(series.status, StatusCode::CREATED, "{}", series.body);
    let result = series.json();
    let booked: Vec<&str> =
        result["appointments"].as_array().unwrap().iter().map(|a| a["start"].as_str().unwrap()).collect();
    assert_eq!(booked, ["2026-06-04T11:00:00+05:30", "2026-06-11T11:00:00+05:30", "2026-06-25T11:00:00+05:30"]);
    assert_eq!(result["conflicts"][0]["start"], "2026-06-18T11:00:00+05:30");
    assert!(!result["conflicts"][0]["next_free"].as_array().unwrap().is_empty());

    // The customer's history and the calendar list.
    let history = api.get(&format!("/api/v1/customers/{customer}/appointments")).await.json();
    assert_eq!(history.as_array().unwrap().len(), 5);
    let day = api.get("/api/v1/appointments?from=2026-06-04&days=1").await.json();
    assert_eq!(day.as_array().unwrap().len(), 1);

    // Every change is in the audit log.
    let audit = api.get("/api/v1/audit/events?limit=200").await.json();
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in [
        "location.created",
        "service.created",
        "staff.hours_changed",
        "appointment.booked",
        "appointment.changed",
        "appointment.cancelled",
    ] {
        assert!(actions.contains(&action), "{action} is audited");
    }
}

#[tokio::test]
async fn two_hundred_concurrent_requests_for_one_slot_book_exactly_one() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-rush").await;
    let salon = open_salon(&server, &a, "Asia/Kolkata").await;
    let customer = created(&server.api(&a.owner_token), "/api/v1/customers", json!({ "name": "Rush Test" })).await;
    let customer = customer["id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let api = server.api(&a.owner_token);
        // Overlapping starts between 10:00 and 10:45 for one staff member.
        let start = format!("2026-06-02T10:{:02}", (i % 4) * 15);
        let body =
            json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0], "start": start });
        tasks.push(tokio::spawn(async move { api.call(Method::POST, "/api/v1/appointments", Some(body)).await }));
    }
    let mut won = 0;
    let mut refused = 0;
    for task in tasks {
        let page = task.await.unwrap();
        match page.status {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => {
                refused += 1;
                let next = page.json()["error"]["next_free"].clone();
                assert!(!next.as_array().unwrap().is_empty(), "a refusal offers the next free slots: {}", page.body);
            }
            other => panic!("unexpected {other}: {}", page.body),
        }
    }
    assert_eq!((won, refused), (1, 199), "on {}", server.kind().name());
    let day = server
        .api(&a.owner_token)
        .get(&format!("/api/v1/appointments?from=2026-06-02&staff_id={}", salon.staff[0]))
        .await;
    assert_eq!(day.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_database_itself_refuses_an_overlapping_appointment() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-raw").await;
    let salon = open_salon(&server, &a, "Asia/Kolkata").await;
    let api = server.api(&a.owner_token);
    let customer = created(&api, "/api/v1/customers", json!({ "name": "Raw Test" })).await;
    let customer = customer["id"].as_str().unwrap().to_string();
    let booked = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0], "start": "2026-06-02T10:00" })),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED);
    // Straight into the table, around every check in code: refused.
    use steward_domain::time::Timestamp;
    let mut tx = server.store.begin_tenant(a.tenant).await.unwrap();
    let row = steward_store::booking::appointments::NewAppointment {
        id: steward_domain::ids::AppointmentId::generate(),
        customer_id: customer.parse().unwrap(),
        service_id: salon.service.parse().unwrap(),
        staff_id: salon.staff[0].parse().unwrap(),
        location_id: salon.location.parse().unwrap(),
        starts_at: Timestamp::from_micros(JUNE_FIRST + 86_400_000_000 + 5 * 3_600_000_000),
        ends_at: Timestamp::from_micros(JUNE_FIRST + 86_400_000_000 + 6 * 3_600_000_000),
        blocked_from: Timestamp::from_micros(JUNE_FIRST + 86_400_000_000 + 5 * 3_600_000_000),
        blocked_until: Timestamp::from_micros(JUNE_FIRST + 86_400_000_000 + 6 * 3_600_000_000),
        price_paise: 0,
        gst_rate_bp: 0,
        notes: None,
        series_id: None,
        booked_via: "api",
        created_by: None,
    };
    let refused = steward_store::booking::appointments::insert(&mut tx, &row, Timestamp::from_micros(JUNE_FIRST)).await;
    assert!(matches!(refused, Err(steward_store::StoreError::Overlap)), "{refused:?}");
}

#[tokio::test]
async fn availability_follows_the_wall_clock_across_daylight_saving_changes() {
    // promise: BKG-1
    let server = server_at(1_772_323_200_000_000).await; // 2026-03-01T00:00:00Z
    let a = server.tenant("salon-ny").await;
    let salon = open_salon(&server, &a, "America/New_York").await;
    let api = server.api(&a.owner_token);
    let day = |date: &str| {
        format!("/api/v1/availability?service_id={}&staff_id={}&from={date}&days=1", salon.service, salon.staff[0])
    };
    // The Saturday before and the Monday after clocks go forward on 2026-03-08.
    let before = starts(&api.get(&day("2026-03-07")).await.json());
    let after = starts(&api.get(&day("2026-03-09")).await.json());
    assert_eq!(before[0], "2026-03-07T09:00:00-05:00");
    assert_eq!(after[0], "2026-03-09T09:00:00-04:00");
    // Shown in the customer's zone, the same instants move by the zone's own rules.
    let in_kolkata = starts(&api.get(&format!("{}&time_zone=Asia/Kolkata", day("2026-03-09"))).await.json());
    assert!(in_kolkata.contains(&"2026-03-09T18:30:00+05:30".to_string()), "{in_kolkata:?}");
    let customer = created(&api, "/api/v1/customers", json!({ "name": "Dst Test", "email": "dst@example.test" })).await;
    let customer = customer["id"].as_str().unwrap();
    // A time the clocks skip, and one they show twice, are refused with the reason.
    let book = |start: &str| json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0], "start": start });
    let skipped = api.call(Method::POST, "/api/v1/appointments", Some(book("2026-03-08T02:30"))).await;
    assert_eq!(skipped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(skipped.body.contains("does not exist"), "{}", skipped.body);
    let twice = api.call(Method::POST, "/api/v1/appointments", Some(book("2026-11-01T01:30"))).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("happens twice"), "{}", twice.body);
    // London: 09:00 is BST (+01:00) the Saturday before clocks go back on 2026-10-25
    // and GMT the Monday after.
    let server = server_at(1_792_454_400_000_000).await; // 2026-10-20T00:00:00Z
    let b = server.tenant("salon-ldn").await;
    let london = open_salon(&server, &b, "Europe/London").await;
    let api = server.api(&b.owner_token);
    let first = |date: &str| {
        let path = format!(
            "/api/v1/availability?service_id={}&staff_id={}&from={date}&days=1",
            london.service, london.staff[0]
        );
        let api = &api;
        async move { starts(&api.get(&path).await.json())[0].clone() }
    };
    assert_eq!(first("2026-10-24").await, "2026-10-24T09:00:00+01:00");
    assert_eq!(first("2026-10-26").await, "2026-10-26T09:00:00+00:00");
}

#[tokio::test]
async fn bad_booking_input_gets_a_clear_4xx_naming_the_problem() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-bad").await;
    let salon = open_salon(&server, &a, "Asia/Kolkata").await;
    let api = server.api(&a.owner_token);
    let other_service =
        created(&api, "/api/v1/services", json!({ "name": "Massage", "duration_minutes": 30, "price": 900 })).await;
    let customer = created(&api, "/api/v1/customers", json!({ "name": "Bad Input" })).await;
    let customer = customer["id"].as_str().unwrap().to_string();
    let book = |extra: Value| {
        let mut body = json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0], "start": "2026-06-02T10:00" });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        (
            json!({ "time_zone": "Mars/Olympus" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "time_zone",
            "not a known IANA time zone",
        ),
        (json!({ "start": "next tuesday" }), StatusCode::UNPROCESSABLE_ENTITY, "start", "date and time"),
        (json!({ "start": "2020-01-07T10:00" }), StatusCode::UNPROCESSABLE_ENTITY, "start", "too soon"),
        (json!({ "start": "2027-06-01T10:00" }), StatusCode::UNPROCESSABLE_ENTITY, "start", "further ahead"),
        (json!({ "start": "2026-06-02T20:00" }), StatusCode::UNPROCESSABLE_ENTITY, "start", "working hours"),
        (
            json!({ "service_id": other_service["id"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "staff_id",
            "does not perform",
        ),
        (json!({ "service_id": "not-an-id" }), StatusCode::UNPROCESSABLE_ENTITY, "service_id", "not a valid id"),
        (
            json!({ "customer_id": uuid::Uuid::now_v7().to_string() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "customer_id",
            "not a customer",
        ),
        (
            json!({ "repeat": { "every_weeks": 0, "count": 3 } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "repeat.every_weeks",
            "between",
        ),
    ];
    for (extra, status, field, words) in cases {
        let page = api.call(Method::POST, "/api/v1/appointments", Some(book(extra.clone()))).await;
        assert_eq!(page.status, status, "{extra}: {}", page.body);
        assert_eq!(page.json()["error"]["field"], field, "{extra}: {}", page.body);
        assert!(page.body.contains(words), "{extra}: {}", page.body);
    }
    let unknown_service = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(book(json!({ "service_id": uuid::Uuid::now_v7().to_string() }))),
        )
        .await;
    assert_eq!(unknown_service.status, StatusCode::NOT_FOUND);
    // Time off that ends before it starts; a location in a zone that does not exist.
    let backwards = api
        .call(
            Method::POST,
            &format!("/api/v1/staff/{}/time-off", salon.staff[0]),
            Some(json!({ "starts_at": "2026-06-05T12:00", "ends_at": "2026-06-05T09:00" })),
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(backwards.json()["error"]["field"], "ends_at");
    let nowhere = api
        .call(Method::POST, "/api/v1/locations", Some(json!({ "name": "Nowhere", "time_zone": "Atlantis/Lost" })))
        .await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    let overlapping = api
        .call(
            Method::PUT,
            &format!("/api/v1/staff/{}/hours", salon.staff[0]),
            Some(json!({ "hours": [
                { "weekday": "monday", "start": "09:00", "end": "13:00", "location_id": salon.location },
                { "weekday": "monday", "start": "12:00", "end": "15:00", "location_id": salon.location }] })),
        )
        .await;
    assert_eq!(overlapping.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(overlapping.body.contains("overlap"));
    // Time off removes its hours from availability and refuses bookings in it.
    let off = api
        .call(
            Method::POST,
            &format!("/api/v1/staff/{}/time-off", salon.staff[0]),
            Some(json!({ "starts_at": "2026-06-05T09:00", "ends_at": "2026-06-05T13:00", "reason": "Doctor" })),
        )
        .await;
    assert_eq!(off.status, StatusCode::CREATED, "{}", off.body);
    let in_off =
        api.call(Method::POST, "/api/v1/appointments", Some(book(json!({ "start": "2026-06-05T10:00" })))).await;
    assert_eq!(in_off.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(in_off.body.contains("time off"));
    // A slot held on the public page is taken for everyone else.
    let mut visitor = server.browser();
    let csrf = visitor.get(&format!("/b/{}/services/{}?from=2026-06-03", a.slug, salon.service)).await.csrf();
    let held = visitor
        .post(
            &format!("/b/{}/hold", a.slug),
            &[
                ("csrf", &csrf),
                ("service_id", &salon.service),
                ("staff_id", &salon.staff[1]),
                ("start", "2026-06-03T10:00:00+05:30"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let on_hold = api
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(book(json!({ "staff_id": salon.staff[1], "start": "2026-06-03T10:30" }))),
        )
        .await;
    assert_eq!(on_hold.status, StatusCode::CONFLICT, "{}", on_hold.body);
}

#[tokio::test]
async fn the_public_page_books_a_held_slot_for_an_existing_customer() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-pub").await;
    let salon = open_salon(&server, &a, "Asia/Kolkata").await;
    let api = server.api(&a.owner_token);
    let existing =
        created(&api, "/api/v1/customers", json!({ "name": "Farah Regular", "phone": "+91 98450 33333" })).await;
    let mut visitor = server.browser();
    let front = visitor.get(&format!("/b/{}", a.slug)).await;
    assert_eq!(front.status, StatusCode::OK);
    assert!(front.body.contains("Haircut"));
    // The page carries the business, not Steward, and its own privacy notice.
    let brand = format!(r#"<a class="brand" href="/b/{slug}">Business {slug}</a>"#, slug = a.slug);
    assert!(front.body.contains(&brand), "{}", front.body);
    assert!(front.body.contains(&format!(r#"<a href="/p/{}">Privacy notice</a>"#, a.slug)));
    // Where and when: each place with the hours someone works there.
    assert!(front.body.contains("<h2>Main Road</h2>"), "{}", front.body);
    assert!(front.body.contains(r#"<th scope="row">Mon</th><td>9:00 am – 6:00 pm</td>"#), "{}", front.body);
    let slots = visitor.get(&format!("/b/{}/services/{}?from=2026-06-02", a.slug, salon.service)).await;
    assert!(slots.body.contains("2026-06-02T09:00:00+05:30"), "{}", slots.body);
    // Times in people's words, by part of the day, under a strip of the week's days.
    assert!(slots.body.contains("<h3>Morning</h3>") && slots.body.contains("<h3>Afternoon</h3>"), "{}", slots.body);
    assert!(slots.body.contains(">9:00 am</button>") && slots.body.contains("<h2>Tue 2 Jun</h2>"));
    assert!(slots.body.contains(r#"aria-current="date"><span>Tue</span> <strong>2 Jun</strong>"#), "{}", slots.body);
    let wednesday =
        visitor.get(&format!("/b/{}/services/{}?from=2026-06-02&day=2026-06-03", a.slug, salon.service)).await;
    assert!(wednesday.body.contains("<h2>Wed 3 Jun</h2>") && wednesday.body.contains("2026-06-03T09:00:00+05:30"));
    assert!(wednesday.body.contains("Next available: <a"), "the week's first free time is a jump away");
    let csrf = slots.csrf();
    let held = visitor
        .post(
            &format!("/b/{}/hold", a.slug),
            &[
                ("csrf", &csrf),
                ("service_id", &salon.service),
                ("staff_id", &salon.staff[0]),
                ("start", "2026-06-02T09:00:00+05:30"),
            ],
        )
        .await;
    let form_path = held.location().unwrap().to_string();
    let form = visitor.get(&form_path).await;
    assert!(
        form.body.contains("We hold this time for you until 05:40") || form.body.contains("We hold this time"),
        "{}",
        form.body
    );
    // Someone else cannot hold the same time meanwhile.
    let mut rival = server.browser();
    let rival_csrf = rival.get(&format!("/b/{}/services/{}?from=2026-06-02", a.slug, salon.service)).await.csrf();
    let taken = rival
        .post(
            &format!("/b/{}/hold", a.slug),
            &[
                ("csrf", &rival_csrf),
                ("service_id", &salon.service),
                ("staff_id", &salon.staff[0]),
                ("start", "2026-06-02T09:30:00+05:30"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    // A form without a phone or email is refused with the field named.
    let empty = visitor.post(&form_path, &[("csrf", &form.csrf()), ("name", "Farah")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = visitor
        .post(
            &form_path,
            &[
                ("csrf", &form.csrf()),
                ("name", "Farah R"),
                ("phone", "098450 33333"),
                ("reminders", "whatsapp"),
                ("marketing", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let confirmation = visitor.get(&form_path).await;
    assert!(confirmation.body.contains("Your appointment is booked"));
    let ics = visitor.get(&format!("{form_path}/calendar.ics")).await;
    assert_eq!(ics.headers["content-type"], "text/calendar; charset=utf-8");
    assert!(ics.body.contains("DTSTART:20260602T033000Z"), "{}", ics.body);
    // Matched by phone: no second customer; the consents are recorded on the existing one.
    let customers = api.get("/api/v1/customers").await.json();
    assert_eq!(customers["customers"].as_array().unwrap().len(), 1);
    let id = existing["id"].as_str().unwrap();
    let detail = api.get(&format!("/api/v1/customers/{id}")).await.json();
    let consents = detail["consents"].as_array().unwrap();
    assert!(
        consents
            .iter()
            .any(|c| c["channel"] == "whatsapp" && c["purpose"] == "reminders" && c["source"] == "online_booking")
    );
    assert_eq!(consents.iter().filter(|c| c["purpose"] == "marketing").count(), 3);
    let history = api.get(&format!("/api/v1/customers/{id}/appointments")).await.json();
    assert_eq!(history[0]["booked_via"], "online");
    // Booking the same hold twice is refused.
    let twice = visitor.post(&form_path, &[("csrf", &form.csrf()), ("name", "Farah R"), ("phone", "9845033333")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    // An unknown business or hold is a plain 404.
    assert_eq!(visitor.get("/b/no-such-business").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        visitor.get(&format!("/b/{}/hold/{}", a.slug, uuid::Uuid::new_v4())).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_calendar_feed_lists_the_staff_members_appointments_without_customers_and_can_be_revoked() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-feed").await;
    let salon = open_salon(&server, &a, "Asia/Kolkata").await;
    let api = server.api(&a.owner_token);
    let customer =
        created(&api, "/api/v1/customers", json!({ "name": "Private Person", "email": "private@person.example" }))
            .await;
    let body = json!({ "customer_id": customer["id"], "service_id": salon.service, "staff_id": salon.staff[0], "start": "2026-06-02T10:00" });
    assert_eq!(api.call(Method::POST, "/api/v1/appointments", Some(body)).await.status, StatusCode::CREATED);
    let link = created(&api, &format!("/api/v1/staff/{}/calendar-feed", salon.staff[0]), json!(null)).await;
    let url = link["url"].as_str().unwrap();
    let path = &url[url.find("/calendar/").unwrap()..];
    let mut client = server.browser();
    let feed = client.get(path).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.body.contains("SUMMARY:Haircut") && feed.body.contains("DTSTART:20260602T043000Z"), "{}", feed.body);
    assert!(!feed.body.contains("Private Person") && !feed.body.contains("private@person.example"));
    assert_eq!(client.get(&path.replace(".ics", "x.ics")).await.status, StatusCode::NOT_FOUND);
    let revoked = api.call(Method::DELETE, &format!("/api/v1/staff/{}/calendar-feed", salon.staff[0]), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(client.get(path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn availability_sees_every_change_to_appointments_at_once() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-fresh").await;
    let salon = open_salon(&server, &a, "Asia/Kolkata").await;
    let api = server.api(&a.owner_token);
    let ten = "2026-06-02T10:00:00+05:30".to_string();
    let path =
        format!("/api/v1/availability?service_id={}&staff_id={}&from=2026-06-02&days=1", salon.service, salon.staff[0]);
    async fn free(api: &Api, path: &str) -> Vec<String> {
        starts(&api.get(path).await.json())
    }
    assert!(free(&api, &path).await.contains(&ten));
    let customer = created(&api, "/api/v1/customers", json!({ "name": "Fresh Test", "phone": "98450 55555" })).await;
    let customer = customer["id"].as_str().unwrap().to_string();
    let book = json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0], "start": "2026-06-02T10:00" });
    let booked = created(&api, "/api/v1/appointments", book.clone()).await;
    let id = booked["appointments"][0]["id"].as_str().unwrap().to_string();
    assert!(!free(&api, &path).await.contains(&ten), "booked");
    let cancel = json!({ "status": "cancelled", "reason": "Changed plans" });
    assert_eq!(
        api.call(Method::POST, &format!("/api/v1/appointments/{id}/status"), Some(cancel)).await.status,
        StatusCode::OK
    );
    assert!(free(&api, &path).await.contains(&ten), "cancelled");
    let again = created(&api, "/api/v1/appointments", book).await;
    let again = again["appointments"][0]["id"].as_str().unwrap().to_string();
    assert!(!free(&api, &path).await.contains(&ten), "booked again");
    let moved = api
        .call(Method::PATCH, &format!("/api/v1/appointments/{again}"), Some(json!({ "start": "2026-06-02T15:00" })))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert!(free(&api, &path).await.contains(&ten), "moved away");
    assert!(!free(&api, &path).await.contains(&"2026-06-02T15:00:00+05:30".to_string()), "moved there");
    assert_eq!(
        api.call(Method::DELETE, &format!("/api/v1/customers/{customer}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        free(&api, &path).await.contains(&"2026-06-02T15:00:00+05:30".to_string()),
        "the customer and their appointments are gone"
    );
}

#[tokio::test]
async fn the_pages_set_up_staff_hours_and_book_move_and_cancel() {
    // promise: BKG-1
    let server = server_at(JUNE_FIRST).await;
    let a = server.tenant("salon-pages").await;
    let mut browser = server.browser();
    browser.log_in(&a.slug, "owner@salon-pages.example", crate::harness::PASSWORD).await;
    let page = |p: &crate::harness::Page| p.location().unwrap_or_default().to_string();
    let bad_zone = browser
        .submit("/app/booking", "/app/booking/locations", &[("name", "Whitefield"), ("time_zone", "Mars/Olympus")])
        .await;
    assert_eq!(bad_zone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_zone.body.contains("not a known IANA time zone"));
    let made =
        browser.submit("/app/booking", "/app/booking/locations", &[("name", "Whitefield"), ("time_zone", "")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let service = browser
        .submit(
            "/app/booking",
            "/app/booking/services",
            &[("name", "Threading"), ("duration_minutes", "30"), ("price", "150"), ("gst_rate", "5")],
        )
        .await;
    assert_eq!(service.status, StatusCode::SEE_OTHER, "{}", service.body);
    let service_id = page(&service).split('/').nth(4).unwrap().split('?').next().unwrap().to_string();
    let staff =
        browser.submit("/app/booking", "/app/booking/staff", &[("name", "Rekha"), ("service_ids", &service_id)]).await;
    let staff_path = page(&staff).split('?').next().unwrap().to_string();
    let location = steward_app::booking::setup::locations(&server.app, &a.owner).await.unwrap()[0].id.to_string();
    assert_eq!(
        browser
            .submit(
                &staff_path,
                &format!("{staff_path}/hours"),
                &[("tuesday", "10:00-13:00, 12:00-15:00"), ("tuesday_location", &location)]
            )
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "overlapping ranges are refused"
    );
    let hours = browser
        .submit(
            &staff_path,
            &format!("{staff_path}/hours"),
            &[("tuesday", "10:00-13:00, 14:00-18:00"), ("tuesday_location", &location)],
        )
        .await;
    assert_eq!(hours.status, StatusCode::SEE_OTHER, "{}", hours.body);
    let book = [
        ("service_id", service_id.as_str()),
        ("staff_id", ""),
        ("start", "2026-06-02T10:00"),
        ("name", "Pages Person"),
        ("phone", "98450 66666"),
    ];
    let booked = browser.submit("/app/appointments/new", "/app/appointments", &book).await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    let appointment = page(&booked).split('?').next().unwrap().to_string();
    let again = browser.submit("/app/appointments/new", "/app/appointments", &book).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body.contains(r#"name="start_instead" value="2026-06-02T10:30">Tue 2 Jun, 10:30 am</button>"#),
        "the form offers the next free times as buttons: {}",
        again.body
    );
    let moved = browser.submit(&appointment, &appointment, &[("start", "2026-06-02T14:00")]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let into_break = browser.submit(&appointment, &appointment, &[("start", "2026-06-02T13:15")]).await;
    assert_eq!(into_break.status, StatusCode::UNPROCESSABLE_ENTITY);
    let calendar = browser.get("/app/calendar?date=2026-06-02").await;
    assert!(calendar.body.contains("Pages Person") && calendar.body.contains("2:00 pm"), "{}", calendar.body);
    // Free time is offered only where the staff member works and nothing is booked.
    let offered = |time: &str| calendar.body.contains(&format!("start=2026-06-02T{time}&#38;staff_id="));
    assert!(offered("10%3A00") && offered("17%3A45"), "working and free: {}", calendar.body);
    assert!(!offered("09%3A45") && !offered("13%3A15") && !offered("14%3A00") && !offered("18%3A00"));
    assert!(
        calendar.body.contains(" status-booked at-") && calendar.body.contains("class=\"cal-block svc-"),
        "drawn to its length"
    );
    // People's formats on pages: the week's days as "Tue 2 Jun", prices as rupees.
    let week = browser.get("/app/calendar?view=week&date=2026-06-02").await;
    assert!(week.body.contains("Mon 1 Jun") && week.body.contains("Tue 2 Jun"), "{}", week.body);
    assert!(browser.get(&appointment).await.body.contains("₹150 (GST 5%)"), "the price reads as rupees");
    assert!(browser.get("/app/booking").await.body.contains("<td>₹150</td>"));
    let customers = browser.get("/app/customers").await.body;
    assert!(customers.contains(r#"<a href="tel:+919845066666">+91 98450 66666</a>"#), "tap to call: {customers}");
    assert!(customers.contains("1 customer in all."), "the list says how many: {customers}");
    assert!(!browser.get("/app/customers?q=Pages").await.body.contains("in all."), "a search is not the whole list");
    let cancelled = browser
        .submit(&appointment, &format!("{appointment}/status"), &[("status", "cancelled"), ("reason", "Unwell")])
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert!(browser.get(&appointment).await.body.contains("Cancelled: Unwell"));
}

#[tokio::test]
async fn walk_ins_are_recorded_after_the_fact_without_messages() {
    let server = server_at(JUNE_FIRST).await;
    let fixture = server.tenant("walk-in-salon").await;
    let salon = open_salon(&server, &fixture, "Asia/Kolkata").await;
    let api = server.api(&fixture.owner_token);
    // Monday 1 June, 10:30 in Kolkata.
    server.app.clock.advance(5 * 3_600_000_000);
    let walk_in = |start: &str, staff: usize, phone: &str| {
        json!({ "customer": { "name": "Walk In Figures", "phone": phone }, "service_id": salon.service,
                "staff_id": salon.staff[staff], "start": start, "walk_in": true })
    };
    let served = created(&api, "/api/v1/appointments", walk_in("2026-06-01T09:00", 0, "98450 70001")).await;
    let served = &served["appointments"][0];
    assert_eq!(served["status"], "completed", "its hour is over");
    let here = created(&api, "/api/v1/appointments", walk_in("2026-06-01T10:00", 1, "98450 70002")).await;
    assert_eq!(here["appointments"][0]["status"], "arrived", "still in the chair");
    let customer = served["customer_id"].as_str().unwrap();
    let messages = api.get(&format!("/api/v1/customers/{customer}/messages")).await;
    assert_eq!(messages.status, StatusCode::OK);
    assert!(
        !messages.body.contains("confirmation") && !messages.body.contains("\"reminder\""),
        "a walk-in is neither confirmed nor reminded: {}",
        messages.body
    );
    let visited = api.get(&format!("/api/v1/customers/{customer}")).await.json();
    assert!(visited["last_visit_at"].as_str().is_some_and(|at| at.starts_with("2026-06-01T03:30")), "{visited}");

    for (start, why) in [("2026-06-01T12:00", "later"), ("2026-05-31T10:00", "twelve hours")] {
        let refused = api.call(Method::POST, "/api/v1/appointments", Some(walk_in(start, 0, "98450 70003"))).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{start}");
        assert_eq!(refused.json()["error"]["field"], "start");
        assert!(refused.body.contains(why), "{}", refused.body);
    }
    let outside =
        api.call(Method::POST, "/api/v1/appointments", Some(walk_in("2026-06-01T06:00", 0, "98450 70003"))).await;
    assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY, "a walk-in still falls in working hours");
    let taken =
        api.call(Method::POST, "/api/v1/appointments", Some(walk_in("2026-06-01T09:30", 0, "98450 70003"))).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "and clear of others' appointments: {}", taken.body);
    let mut series = walk_in("2026-06-01T09:30", 1, "98450 70003");
    series["repeat"] = json!({ "every_weeks": 1, "count": 3 });
    let repeated = api.call(Method::POST, "/api/v1/appointments", Some(series)).await;
    assert_eq!(repeated.json()["error"]["field"], "repeat");

    // The booking form finds existing customers instead of asking for an id.
    let mut browser = server.browser();
    browser.log_in("walk-in-salon", "owner@walk-in-salon.example", crate::harness::PASSWORD).await;
    let found = browser.get("/app/appointments/new?find=Walk%20In").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains(&format!("name=\"customer_id\" value=\"{customer}\"")), "{}", found.body);
    assert!(found.body.contains("+91 98450 70001"));
    let nobody = browser.get("/app/appointments/new?find=Nobody%20Here").await;
    assert!(nobody.body.contains("No customer matches"));

    // With a second place, the form asks where; the booking goes to the one chosen.
    created(&api, "/api/v1/locations", json!({ "name": "Lake View", "time_zone": "Asia/Kolkata" })).await;
    let form = browser.get("/app/appointments/new").await;
    assert!(form.body.contains(r#"<select id="location_id" name="location_id""#) && form.body.contains("Lake View"));
    let booked = browser
        .submit(
            "/app/appointments/new",
            "/app/appointments",
            &[
                ("service_id", salon.service.as_str()),
                ("staff_id", salon.staff[0].as_str()),
                ("location_id", salon.location.as_str()),
                ("start", "2026-06-02T15:00"),
                ("customer_id", customer),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    let shown = browser.get(booked.location().unwrap()).await;
    assert!(shown.body.contains("<dt>Where</dt><dd>Main Road</dd>"), "{}", shown.body);
}

/// A PNG's signature and header: what Steward reads of a picture (it never decodes one).
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[tokio::test]
async fn the_booking_page_carries_the_business_colour_phone_logo_and_cover() {
    let server = server_at(JUNE_FIRST).await;
    let fixture = server.tenant("plum-salon").await;
    let salon = open_salon(&server, &fixture, "Asia/Kolkata").await;
    let mut owner = server.browser();
    owner.log_in("plum-salon", "owner@plum-salon.example", crate::harness::PASSWORD).await;
    let look = "/app/business/look";

    // A colour too light for white text on it is refused, naming the field and why.
    let light = owner.submit(look, look, &[("own_colour", "yes"), ("accent", "#ffd400"), ("phone", "")]).await;
    assert_eq!(light.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(light.body.contains("too light for white text"), "{}", light.body);
    assert!(light.body.contains(r#"id="accent" name="accent" type="color""#));
    let saved =
        owner.submit(look, look, &[("own_colour", "yes"), ("accent", "#8E2C62"), ("phone", "98450 00100")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    // Pictures are known by their bytes: an SVG named .png is refused, a PNG is taken.
    let csrf = owner.get(look).await.csrf();
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let refused =
        owner.post_file("/app/business/look/pictures", &[("csrf", &csrf), ("picture", "logo")], "logo.png", svg).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("must be a PNG, JPEG or WebP picture"), "{}", refused.body);
    let logo = png_header(96, 96);
    let taken = owner
        .post_file("/app/business/look/pictures", &[("csrf", &csrf), ("picture", "logo")], "logo.png", &logo)
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    let without_token = owner
        .post_file("/app/business/look/pictures", &[("picture", "cover")], "cover.png", &png_header(1200, 300))
        .await;
    assert_eq!(without_token.status, StatusCode::FORBIDDEN, "an upload needs the form's token like any form");

    // The customer sees them on every public page: colours, logo, call and WhatsApp.
    let mut visitor = server.browser();
    let page = visitor.get("/b/plum-salon").await;
    assert!(page.body.contains(r#"<link rel="stylesheet" href="/b/plum-salon/look.css?v="#), "{}", page.body);
    assert!(page.body.contains(r#"<img class="logo" src="/b/plum-salon/pictures/logo?v="#));
    assert!(page.body.contains(r#"href="tel:+919845000100""#) && page.body.contains("Call +91 98450 00100"));
    assert!(page.body.contains(r#"href="https://wa.me/919845000100""#));
    assert!(!page.body.contains(r#"class="cover""#), "no cover photo was given");
    let css = visitor.get("/b/plum-salon/look.css").await;
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert!(css.body.contains("--brand: light-dark(#8e2c62, #"), "{}", css.body);
    let picture = visitor.get("/b/plum-salon/pictures/logo").await;
    assert_eq!((picture.status, &picture.headers["content-type"]), (StatusCode::OK, &"image/png".parse().unwrap()));
    assert_eq!(visitor.get("/b/plum-salon/pictures/cover").await.status, StatusCode::NOT_FOUND);
    assert_eq!(visitor.get("/b/plum-salon/pictures/menu").await.status, StatusCode::NOT_FOUND);
    let slots = visitor.get(&format!("/b/plum-salon/services/{}", salon.service)).await;
    assert!(slots.body.contains("/b/plum-salon/look.css?v="), "the other public pages carry the look too");

    // Back to Steward's own colours: the stylesheet is no longer linked.
    let plain = owner.submit(look, look, &[("accent", "#8e2c62"), ("phone", "")]).await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER);
    let page = visitor.get("/b/plum-salon").await;
    assert!(!page.body.contains("look.css") && !page.body.contains("tel:"), "{}", page.body);

    // Staff may look but not change it.
    steward_app::access::members::add_member(
        &server.app,
        fixture.tenant,
        "staff@plum-salon.example",
        "Sam Staff",
        "staff",
        crate::harness::PASSWORD,
    )
    .await
    .unwrap();
    let mut staff = server.browser();
    staff.log_in("plum-salon", "staff@plum-salon.example", crate::harness::PASSWORD).await;
    let forbidden = staff.submit(look, "/app/business/look/pictures/remove", &[("picture", "logo")]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_appointment_is_made_longer_or_shorter_and_keeps_its_length_when_moved() {
    let server = server_at(JUNE_FIRST).await;
    let fixture = server.tenant("length-salon").await;
    let salon = open_salon(&server, &fixture, "Asia/Kolkata").await;
    let api = server.api(&fixture.owner_token);
    let book = |start: &str, phone: &str| {
        json!({ "customer": { "name": "Length Figures", "phone": phone }, "service_id": salon.service,
                "staff_id": salon.staff[0], "start": start })
    };
    let first = created(&api, "/api/v1/appointments", book("2026-06-02T10:00", "98450 71001")).await;
    let id = first["appointments"][0]["id"].as_str().unwrap().to_string();
    created(&api, "/api/v1/appointments", book("2026-06-02T11:30", "98450 71002")).await;
    let path = format!("/api/v1/appointments/{id}");
    let change = |body: Value| api.call(Method::PATCH, &path, Some(body));

    // Up to the next appointment (11:30) with its 15-minute buffer: allowed.
    let longer = change(json!({ "duration_minutes": 75 })).await;
    assert_eq!(longer.status, StatusCode::OK, "{}", longer.body);
    assert_eq!(longer.json()["end"], "2026-06-02T11:15:00+05:30");
    // Moved, it keeps the length it was given, not the service's hour.
    let moved = change(json!({ "start": "2026-06-02T09:00" })).await;
    assert_eq!(moved.json()["end"], "2026-06-02T10:15:00+05:30", "{}", moved.body);
    // Into the next appointment: refused.
    let clash = change(json!({ "duration_minutes": 165 })).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
    for bad in [7, 0, 725, -30] {
        let refused = change(json!({ "duration_minutes": bad })).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(refused.json()["error"]["field"], "duration_minutes");
    }
    let shorter = change(json!({ "duration_minutes": 30 })).await;
    assert_eq!(shorter.json()["end"], "2026-06-02T09:30:00+05:30");
    let audit = api.get("/api/v1/audit/events?limit=500").await.json();
    let recorded = audit.as_array().into_iter().flatten().any(|event| {
        event["action"] == "appointment.changed"
            && event["details"]["duration_minutes"] == json!({ "old": 75, "new": 30 })
    });
    assert!(recorded, "the audit log has the old and new length: {audit}");
}
