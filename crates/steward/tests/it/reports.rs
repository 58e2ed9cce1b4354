//! Today: the figures a business owner lands on, counted from real bookings across two
//! weeks with a clock the test moves, and checking a customer in from today's list.

use crate::booking::{JUNE_FIRST, open_salon, server_at};
use crate::harness::PASSWORD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use steward_app::clock::MICROS_PER_DAY;

async fn customer(api: &crate::harness::Api, name: &str, phone: &str) -> String {
    let page = api.call(Method::POST, "/api/v1/customers", Some(json!({ "name": name, "phone": phone }))).await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    page.json()["id"].as_str().unwrap().to_string()
}

async fn book(api: &crate::harness::Api, body: Value) -> String {
    let page = api.call(Method::POST, "/api/v1/appointments", Some(body)).await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    page.json()["appointments"][0]["id"].as_str().unwrap().to_string()
}

async fn set_status(api: &crate::harness::Api, id: &str, status: &str) {
    let path = format!("/api/v1/appointments/{id}/status");
    let page = api.call(Method::POST, &path, Some(json!({ "status": status, "reason": "Asked to move it" }))).await;
    assert_eq!(page.status, StatusCode::OK, "{status}: {}", page.body);
}

async fn status_of(api: &crate::harness::Api, id: &str) -> String {
    api.get(&format!("/api/v1/appointments/{id}")).await.json()["status"].as_str().unwrap().to_string()
}

async fn last_visit(api: &crate::harness::Api, customer: &str) -> Value {
    api.get(&format!("/api/v1/customers/{customer}")).await.json()["last_visit_at"].clone()
}

/// The text of the figure tile labelled `label`: its value and the line under it.
fn figure(body: &str, label: &str) -> String {
    let start = body.find(&format!("<span class=\"figure-label\">{label}</span>")).unwrap_or_else(|| panic!("{label}"));
    let tile = &body[start..];
    let end = tile.find("</div>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in tile[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn today_counts_the_week_against_the_last_and_checks_customers_in() {
    // Monday 1 June 2026, 05:30 in Kolkata: last week, as the test sees it.
    let server = server_at(JUNE_FIRST).await;
    let fixture = server.tenant("figures-salon").await;
    let salon = open_salon(&server, &fixture, "Asia/Kolkata").await;
    let api = server.api(&fixture.owner_token);
    let asha = customer(&api, "Asha Figures", "+919800000101").await;
    let bela = customer(&api, "Bela Figures", "+919800000102").await;
    let chitra = customer(&api, "Chitra Figures", "+919800000103").await;
    let booking = |customer: &str, staff: usize, start: &str| json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[staff], "start": start });
    let came = book(&api, booking(&asha, 0, "2026-06-02T10:00")).await;
    let missed = book(&api, booking(&bela, 1, "2026-06-03T11:00")).await;
    let called_off = book(&api, booking(&asha, 0, "2026-06-04T10:00")).await;
    set_status(&api, &called_off, "cancelled").await;

    // A week on: Monday 8 June.
    server.app.clock.advance(7 * MICROS_PER_DAY);
    set_status(&api, &came, "completed").await;
    set_status(&api, &missed, "no_show").await;
    let today = book(&api, booking(&asha, 0, "2026-06-08T10:00")).await;
    book(&api, booking(&chitra, 1, "2026-06-09T10:00")).await;

    let mut browser = server.browser();
    browser.log_in("figures-salon", "owner@figures-salon.example", PASSWORD).await;
    let page = browser.get("/app").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("Today, Mon 8 Jun"), "{body}");
    assert!(body.contains("Week of Mon 8 Jun"));
    // Two staff, 8 working hours each, one hour booked.
    assert!(body.contains("<strong>15 h</strong> of staff time still free today"), "{body}");
    assert!(body.contains("Asha Figures"));
    // The set-up checklist: services, hours and customers are in; no channel can send and
    // no one has booked on the public page yet.
    assert!(body.contains("Getting set up: 3 of 5 done"), "{body}");
    assert!(body.contains(r#"<a href="/b/figures-salon">Share your booking page"#));
    assert_eq!(figure(body, "Bookings"), "Bookings 2 last week 2 · same");
    assert_eq!(figure(body, "New customers"), "New customers 1 last week 2 · \u{2212}1");
    assert_eq!(figure(body, "Returning customers"), "Returning customers 1 last week 0 · +1");
    assert_eq!(figure(body, "No-show rate"), "No-show rate — last week 50%");
    // 2 staff × 8 h × 7 days = 6,720 minutes; this week 120 booked, last week 60 (the
    // no-show's hour does not count as booked time).
    assert_eq!(figure(body, "Staff time booked"), "Staff time booked 2% last week 1% · +1 pts");
    assert_eq!(figure(body, "Cancelled"), "Cancelled 0 last week 1 · \u{2212}1");
    assert!(body.contains("<title id=\"chart-title\">Bookings per day: 2 this week, 2 last week</title>"));
    assert!(body.contains("Mon this week: 1") && body.contains("Tue last week: 1"));

    // Checked in from the list, and back to it.
    let checked_in = browser
        .post(
            &format!("/app/appointments/{today}/status"),
            &[("csrf", &page.csrf()), ("status", "arrived"), ("was", "booked"), ("back", "today")],
        )
        .await;
    assert_eq!(checked_in.status, StatusCode::SEE_OTHER);
    let back = format!("/app?notice=status_saved&undo=booked&appointment={today}");
    assert_eq!(checked_in.location(), Some(back.as_str()));
    let after = browser.get(&back).await;
    assert!(after.body.contains(">Done</button>"), "an arrived customer is finished from the list");
    assert!(after.body.contains("Undo: back to booked"));
    assert_eq!(status_of(&api, &today).await, "arrived");

    // Pressed by mistake: taken back, and then done properly.
    let undo = format!("/app/appointments/{today}/undo");
    let undone = browser.post(&undo, &[("csrf", &page.csrf()), ("previous", "booked"), ("back", "today")]).await;
    assert_eq!(undone.location(), Some("/app?notice=status_undone"));
    assert_eq!(status_of(&api, &today).await, "booked");
    for status in ["arrived", "completed"] {
        set_status(&api, &today, status).await;
    }
    assert_eq!(last_visit(&api, &asha).await, "2026-06-08T04:30:00Z", "completing counts the visit");
    let undone = browser.post(&undo, &[("csrf", &page.csrf()), ("previous", "arrived")]).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.body);
    assert_eq!(status_of(&api, &today).await, "arrived");
    assert_eq!(last_visit(&api, &asha).await, "2026-06-02T04:30:00Z", "the visit before is the last one again");
    // Not to where it never was, and not after a quarter of an hour.
    let wrong = browser.post(&undo, &[("csrf", &page.csrf()), ("previous", "no_show")]).await;
    assert_ne!(wrong.status, StatusCode::SEE_OTHER);
    set_status(&api, &today, "completed").await;
    server.app.clock.advance(16 * 60_000_000);
    let late = browser.post(&undo, &[("csrf", &page.csrf()), ("previous", "arrived")]).await;
    assert_ne!(late.status, StatusCode::SEE_OTHER);
    assert!(late.body.contains("can be undone for 15 minutes"), "{}", late.body);
    assert_eq!(status_of(&api, &today).await, "completed");
}

#[tokio::test]
async fn settings_gather_every_set_up_page_under_its_heading() {
    let server = server_at(JUNE_FIRST).await;
    server.tenant("quiet-salon").await;
    let mut browser = server.browser();
    browser.log_in("quiet-salon", "owner@quiet-salon.example", PASSWORD).await;
    let settings = browser.get("/app/settings").await;
    assert_eq!(settings.status, StatusCode::OK);
    for heading in
        ["Your business", "Team and roles", "Reminders and channels", "Data and privacy", "Developers", "You"]
    {
        assert!(settings.body.contains(&format!(">{heading}</h2>")), "{heading}");
    }
    for page in ["/app/booking", "/app/members", "/app/audit", "/app/tokens", "/app/account"] {
        assert!(settings.body.contains(&format!("href=\"{page}\"")), "{page}");
    }
    // The main menu keeps to the day's work, with Settings marked while it is open.
    let menu = &settings.body[settings.body.find("aria-label=\"Main\"").unwrap()..];
    let menu = &menu[..menu.find("</nav>").unwrap()];
    assert!(!menu.contains("/app/audit"));
    assert!(menu.contains("href=\"/app/settings\" aria-current=\"page\""));
    // A new business is walked through its set-up.
    let today = browser.get("/app").await.body;
    assert!(today.contains("Getting set up: 0 of 5 done"), "{today}");
    assert!(today.contains(r#"<a href="/app/booking">Add the services you offer"#));
}
