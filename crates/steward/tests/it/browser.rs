//! The main flow in a real browser (Debian's Chromium through chromedriver): sign up,
//! confirm the email, invite a member, filter and verify the audit log, log out, log in,
//! log out.

use crate::harness::{Options, PASSWORD, ScratchDir, SmtpServer, TestServer, free_port, path_of, skip_or_fail};
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver, in a process group of its own with the Chromium it starts: dropped
/// (also when a test fails before it ends its session), the whole group is killed, so no
/// browser is left behind to slow the tests that follow.
pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn chromedriver_binary() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

pub(crate) async fn fill(client: &fantoccini::Client, id: &str, value: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("field #{id}: {e}"));
    field.clear().await.ok();
    field.send_keys(value).await.unwrap_or_else(|e| panic!("type into #{id}: {e}"));
}

pub(crate) async fn wait_for_text(client: &fantoccini::Client, text: &str) {
    for _ in 0..100 {
        if client.source().await.is_ok_and(|s| s.contains(text)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let source = client.source().await.unwrap_or_default();
    panic!("the page never showed '{text}'; it shows:\n{source}");
}

/// Chromium under chromedriver, headless with a fresh profile; `None` (skipped, or failed
/// under CI) when chromedriver is missing.
pub(crate) async fn start_browser() -> Option<(Driver, ScratchDir, fantoccini::Client)> {
    start_browser_with(&[]).await
}

/// [`start_browser`] with more of Chromium's switches (a dark colour scheme, say).
pub(crate) async fn start_browser_with(extra: &[&str]) -> Option<(Driver, ScratchDir, fantoccini::Client)> {
    let Some(driver_path) = chromedriver_binary() else {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = free_port();
    let driver = Driver(
        Command::new(driver_path)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = ScratchDir::new("chromium");
    let mut capabilities = serde_json::Map::new();
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=1200,900",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.0.display()));
    args.extend(extra.iter().map(|a| a.to_string()));
    capabilities.insert("goog:chromeOptions".into(), serde_json::json!({ "args": args }));
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect to chromedriver");

    Some((driver, profile, client))
}

#[tokio::test]
async fn sign_up_invite_log_out_and_in_again_in_a_real_browser() {
    // promise: ACC-1
    // promise: ACC-4
    // promise: SEC-2
    // promise: SEC-3
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    let Some(smtp) = SmtpServer::start().await else { return };
    let server =
        TestServer::start_with(Options { smtp_url: Some(smtp.url()), host: Some("localhost"), ..Default::default() })
            .await;
    let Some((_driver, _profile, client)) = start_browser().await else { return };

    client.goto(&format!("{}/signup", server.base)).await.unwrap();
    fill(&client, "business_name", "Tulsi Wellness").await;
    fill(&client, "slug", "tulsi-wellness").await;
    fill(&client, "name", "Tara Owner").await;
    fill(&client, "email", "tara@tulsi.example").await;
    fill(&client, "password", PASSWORD).await;
    client.find(Locator::Id("accept_policy")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("form[action='/signup'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Please confirm your email address").await;

    let verify = smtp.wait_for_link("tara@tulsi.example", "/verify/").await;
    client.goto(&format!("{}{}", server.base, path_of(&verify))).await.unwrap();
    wait_for_text(&client, "Email confirmed").await;

    client.goto(&format!("{}/app/members", server.base)).await.unwrap();
    wait_for_text(&client, "Invite someone").await;
    fill(&client, "invite-email", "new.member@tulsi.example").await;
    client
        .find(Locator::Css("form[action='/app/members/invite'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Invitation sent.").await;
    wait_for_text(&client, "new.member@tulsi.example").await;
    smtp.wait_for_link("new.member@tulsi.example", "/invite/").await;

    let screenshot = client.screenshot().await.unwrap_or_default();
    let _ = std::fs::write(std::env::temp_dir().join("steward-members-page.png"), screenshot);

    // The owner filters the audit log and verifies the chain.
    client.goto(&format!("{}/app/audit", server.base)).await.unwrap();
    wait_for_text(&client, "invitation.created").await;
    // "What happened" is chosen by its words; only the filtered page has it selected.
    client.find(Locator::Css("select#action option[value='invitation.created']")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("form[action='/app/audit'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "<option value=\"invitation.created\" selected").await;
    let filtered = client.source().await.unwrap_or_default();
    assert!(!filtered.contains("<code>member.login</code>"), "the filter shows only invitations");
    client.find(Locator::Css("form[action='/app/audit/verify'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "The log is intact").await;

    client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "You have logged out.").await;
    fill(&client, "workspace", "tulsi-wellness").await;
    fill(&client, "email", "tara@tulsi.example").await;
    fill(&client, "password", PASSWORD).await;
    client.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Welcome, Tara Owner").await;
    client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "You have logged out.").await;
    client.close().await.ok();
}

#[tokio::test]
async fn a_customer_is_found_by_part_of_a_phone_and_sensitive_values_stay_hidden_from_staff() {
    // promise: CRM-1
    // promise: CRM-2
    // promise: ACC-3
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    let server = TestServer::start_with(Options { host: Some("localhost"), ..Default::default() }).await;
    let fixture = server.tenant("lotus-spa").await;
    steward_app::access::members::add_member(
        &server.app,
        fixture.tenant,
        "staff@lotus-spa.example",
        "Sam Staff",
        "staff",
        PASSWORD,
    )
    .await
    .unwrap();
    let other: steward_app::customers::records::CustomerInput =
        serde_json::from_value(serde_json::json!({ "name": "Other Person", "phone": "98450 70000" })).unwrap();
    steward_app::customers::records::create(&server.app, &fixture.owner, &other).await.unwrap();
    let Some((_driver, _profile, client)) = start_browser().await else { return };
    let log_in = |email: &'static str| {
        let client = client.clone();
        let base = server.base.clone();
        async move {
            client.goto(&format!("{base}/login")).await.unwrap();
            fill(&client, "workspace", "lotus-spa").await;
            fill(&client, "email", email).await;
            fill(&client, "password", PASSWORD).await;
            client
                .find(Locator::Css("form[action='/login'] button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            wait_for_text(&client, "Welcome,").await;
        }
    };
    log_in("owner@lotus-spa.example").await;

    // The owner declares a sensitive field.
    client.goto(&format!("{}/app/customers/fields", server.base)).await.unwrap();
    fill(&client, "label", "Allergies").await;
    client.find(Locator::Css("input[name=data_class][value=sensitive]")).await.unwrap().click().await.unwrap();
    client
        .find(Locator::Css("form[action='/app/customers/fields'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Created.").await;

    // A new customer, with a value for it.
    client.goto(&format!("{}/app/customers/new", server.base)).await.unwrap();
    fill(&client, "name", "Nisha Browser").await;
    // Typing a phone already on record warns before saving, with a link to that customer.
    fill(&client, "phone", "98450 70000").await;
    wait_for_text(&client, "Already a customer?").await;
    client.find(Locator::LinkText("Other Person")).await.unwrap();
    fill(&client, "phone", "098450 31337").await;
    let allergy = client.find(Locator::Css("input[name^='field:']")).await.unwrap();
    allergy.send_keys("walnut-oil-4242").await.unwrap();
    client
        .find(Locator::Css("form[action='/app/customers'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Created.").await;
    wait_for_text(&client, "walnut-oil-4242").await;

    // Typing part of the number finds her, and only her, without a page load.
    client.goto(&format!("{}/app/customers", server.base)).await.unwrap();
    wait_for_text(&client, "Other Person").await;
    client.find(Locator::Id("q")).await.unwrap().send_keys("1337").await.unwrap();
    let mut found = false;
    for _ in 0..100 {
        let results = client.find(Locator::Id("results")).await.unwrap().html(false).await.unwrap_or_default();
        if results.contains("Nisha Browser") && !results.contains("Other Person") {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "typing 1337 narrows the list to the customer whose number ends so");
    client.find(Locator::LinkText("Nisha Browser")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "walnut-oil-4242").await;
    client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "You have logged out.").await;

    // Staff see that a value exists, never the value.
    log_in("staff@lotus-spa.example").await;
    client.goto(&format!("{}/app/customers?q=nisha", server.base)).await.unwrap();
    client.find(Locator::LinkText("Nisha Browser")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "recorded, hidden from your role").await;
    let page = client.source().await.unwrap_or_default();
    assert!(!page.contains("walnut-oil-4242"), "staff must not see the sensitive value");
    client.close().await.ok();
}

#[tokio::test]
async fn a_customer_books_on_a_phone_and_the_appointment_is_on_the_staff_calendar() {
    // promise: BKG-1
    let Some((server, _driver, _profile, client)) = salon_and_browser("jasmine-salon", &[]).await else { return };
    client.set_window_size(390, 844).await.unwrap();

    client.goto(&format!("{}/b/jasmine-salon", server.base)).await.unwrap();
    wait_for_text(&client, "Choose a service").await;
    client.find(Locator::LinkText("Haircut")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Times are in Asia/Kolkata").await;
    client.find(Locator::Css("ul.slots button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "We hold this time for you").await;
    fill(&client, "name", "Devika Browser").await;
    fill(&client, "phone", "98450 44444").await;
    client.find(Locator::Css("input[name=reminders][value=whatsapp]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("form.stack button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Your appointment is booked").await;
    let fits =
        client.execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![]).await.unwrap();
    assert_eq!(fits, serde_json::Value::Bool(true), "the booking pages fit a phone screen");
    let screenshot = client.screenshot().await.unwrap_or_default();
    let _ = std::fs::write(std::env::temp_dir().join("steward-booked-on-phone.png"), screenshot);

    client.set_window_size(1200, 900).await.unwrap();
    sign_in(&client, &server.base, "jasmine-salon", "owner@jasmine-salon.example").await;
    wait_for_text(&client, "Devika Browser").await;
    client.goto(&format!("{}/app/calendar?date=2026-06-01", server.base)).await.unwrap();
    wait_for_text(&client, "Devika Browser").await;
    client.find(Locator::Css("a.cal-block")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Booked").await;
    wait_for_text(&client, "online").await;
    let booked_at = start_field(&client).await;

    // Dragged two hours later on the calendar, it moves there.
    client.goto(&format!("{}/app/calendar?date=2026-06-01", server.base)).await.unwrap();
    wait_for_text(&client, "Devika Browser").await;
    let block = client.find(Locator::Css("a.cal-block[data-move]")).await.unwrap();
    let two_hours = client
        .execute(
            "const grid = document.querySelector('.cal-col[data-date] .cal-grid');
             return grid.getBoundingClientRect().height / Number(document.querySelector('.cal').dataset.rows) * 8;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    let drag = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: block.clone(), duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveBy { duration: Some(Duration::from_millis(300)), x: 0.0, y: two_hours })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    client.perform_actions(drag).await.unwrap();
    wait_for_text(&client, "Moved. Its reminders follow the new time.").await;
    client.find(Locator::Css("a.cal-block")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "New start").await;
    let moved_to = start_field(&client).await;
    let hour = |start: &str| start[11..13].parse::<u32>().unwrap();
    assert_eq!(
        (&moved_to[..11], hour(&moved_to)),
        (&booked_at[..11], hour(&booked_at) + 2),
        "{booked_at} -> {moved_to}"
    );

    // Without dragging (no JavaScript, a touch screen, a keyboard): the appointment's own
    // form moves it back.
    client
        .execute("document.getElementById('start').value = arguments[0];", vec![booked_at.clone().into()])
        .await
        .unwrap();
    client
        .execute(
            "document.getElementById('start').form.querySelector('button[type=submit]:not([name])').click();",
            vec![],
        )
        .await
        .unwrap();
    wait_for_text(&client, "Saved.").await;
    assert_eq!(start_field(&client).await, booked_at);

    // Its bottom edge dragged down an hour: it lasts two hours.
    client.goto(&format!("{}/app/calendar?date=2026-06-01", server.base)).await.unwrap();
    wait_for_text(&client, "Devika Browser").await;
    let handle = client.find(Locator::Css("a.cal-block[data-move] .cal-resize")).await.unwrap();
    let resize = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: handle, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveBy { duration: Some(Duration::from_millis(300)), x: 0.0, y: two_hours / 2.0 })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    client.perform_actions(resize).await.unwrap();
    wait_for_text(&client, "Its length is changed").await;
    client.find(Locator::Css("a.cal-block")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Length in minutes").await;
    let length = client.find(Locator::Id("duration_minutes")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(length.as_deref(), Some("120"));
    assert_eq!(start_field(&client).await, booked_at, "the start stays where it was");
    // Chromium outlives a killed chromedriver unless the session is ended.
    client.close().await.ok();
}

/// The start an appointment's move form shows (`2026-06-01T10:00`).
async fn start_field(client: &fantoccini::Client) -> String {
    let field = client.find(Locator::Id("start")).await.unwrap();
    field.prop("value").await.unwrap().unwrap_or_default()
}

#[tokio::test]
async fn an_owner_cancels_the_business_and_sees_the_dates_that_apply() {
    // promise: RET-3
    // promise: RET-4
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    let server = TestServer::start_with(Options { host: Some("localhost"), ..Default::default() }).await;
    server.tenant("lotus-gym").await;
    let Some((_driver, _profile, client)) = start_browser().await else { return };
    sign_in(&client, &server.base, "lotus-gym", "owner@lotus-gym.example").await;

    open_setting(&client, "Data & retention").await;
    wait_for_text(&client, "How long data is kept").await;
    client.find(Locator::Css("details summary")).await.unwrap().click().await.unwrap();
    // Without the confirmation box, nothing happens but a clear message.
    client.find(Locator::Id("cancel-business")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "tick the box to confirm").await;
    client.find(Locator::Css("details summary")).await.unwrap().click().await.unwrap();
    fill(&client, "reason", "moving abroad").await;
    client.find(Locator::Css("input[name=confirm]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("cancel-business")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Your business is cancelled").await;
    let terminates = client.find(Locator::Id("terminates-at")).await.unwrap().text().await.unwrap();
    let purge = client.find(Locator::Id("purge-at")).await.unwrap().text().await.unwrap();
    let day = |text: &str| text.parse::<jiff::Timestamp>().unwrap_or_else(|e| panic!("'{text}' is not a date: {e}"));
    let now = jiff::Timestamp::now();
    let days_ahead = |text: &str| (day(text) - now).get_seconds() as f64 / 86_400.0;
    assert!((days_ahead(&terminates) - 90.0).abs() < 0.01, "terminated 90 days after cancelling: {terminates}");
    assert!((days_ahead(&purge) - 120.0).abs() < 0.01, "purged 30 days after that: {purge}");
    // The owner can still come back.
    client
        .find(Locator::Css("form[action='/app/settings/data/reactivate'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Welcome back").await;
    let _ = client.close().await;
}

#[tokio::test]
async fn a_customer_asks_for_erasure_on_the_privacy_page_and_the_admin_carries_it_out() {
    // promise: DSR-1
    // promise: DSR-2
    // promise: DSR-3
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    let Some(smtp) = SmtpServer::start().await else {
        skip_or_fail("aiosmtpd (pip install aiosmtpd)");
        return;
    };
    let server =
        TestServer::start_with(Options { host: Some("localhost"), smtp_url: Some(smtp.url()), ..Default::default() })
            .await;
    let clinic = server.tenant("lotus-clinic").await;
    crate::harness::allergies_field(&server, &clinic).await;
    let input: steward_app::customers::records::CustomerInput = serde_json::from_value(serde_json::json!({
        "name": "Ravi Leaving", "email": "ravi@leaving.example", "fields": { "Allergies": "aspirin" }
    }))
    .unwrap();
    let ravi = steward_app::customers::records::create(&server.app, &clinic.owner, &input).await.unwrap();
    let Some((_driver, _profile, client)) = start_browser().await else { return };

    // The customer, on the clinic's privacy page.
    client.goto(&format!("{}/p/lotus-clinic", server.base)).await.unwrap();
    client.find(Locator::Css("#kind option[value=erasure]")).await.unwrap().click().await.unwrap();
    fill(&client, "contact", "ravi@leaving.example").await;
    client.find(Locator::Css("#privacy-request button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Type it here").await;
    let mut code = None;
    for _ in 0..200 {
        code = smtp.messages().iter().filter(|m| m.contains("ravi@leaving.example")).find_map(|m| {
            m.lines().map(str::trim).find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit())).map(str::to_string)
        });
        if code.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    fill(&client, "code", &code.expect("the code arrives by mail")).await;
    client.find(Locator::Css("form[action$='/confirm'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Your request for erasure is with").await;

    // The clinic's owner, from the inbox.
    sign_in(&client, &server.base, "lotus-clinic", "owner@lotus-clinic.example").await;
    open_setting(&client, "Privacy requests").await;
    wait_for_text(&client, "Ravi Leaving").await;
    client.find(Locator::LinkText("erasure")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Erasure will find").await;
    client.find(Locator::Id("erase")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "The customer's key was destroyed").await;
    assert!(
        steward_app::customers::records::get(&server.app, &clinic.owner, ravi.id).await.is_err(),
        "the customer is gone"
    );
    let _ = client.close().await;
}

#[tokio::test]
async fn an_owner_connects_sms_edits_a_template_with_preview_and_sees_the_delivered_message_on_the_timeline() {
    // promise: MSG-1
    use crate::messaging::{ACCOUNT, AUTH_TOKEN, FakeTwilio};
    use serde_json::json;
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    let (twilio, fake) = FakeTwilio::new().start().await;
    let server = TestServer::start_with(Options {
        host: Some("localhost"),
        clock: Some(steward_app::clock::Clock::fixed(crate::booking::JUNE_FIRST)),
        processor_endpoints: Some(vec![("twilio".into(), twilio.uri())]),
        ..Default::default()
    })
    .await;
    let fixture = server.tenant("rose-studio").await;
    let salon = crate::booking::open_salon(&server, &fixture, "Asia/Kolkata").await;
    let api = server.api(&fixture.owner_token);
    let customer = api
        .call(
            reqwest::Method::POST,
            "/api/v1/customers",
            Some(json!({ "name": "Asha Timeline", "phone": "9845077777",
                         "consents": [{ "channel": "sms", "purpose": "reminders", "granted": true }] })),
        )
        .await
        .json();
    let customer = customer["id"].as_str().unwrap().to_string();
    let Some((_driver, _profile, client)) = start_browser().await else { return };
    sign_in(&client, &server.base, "rose-studio", "owner@rose-studio.example").await;

    open_setting(&client, "Reminders & channels").await;
    wait_for_text(&client, "No channel can send yet").await;
    // Each provider has its own card; SMS is Twilio's.
    wait_for_text(&client, "Not connected: nothing is sent this way.").await;
    fill(&client, "sms-account", ACCOUNT).await;
    fill(&client, "sms-sender", "+15005550006").await;
    fill(&client, "sms-secret", AUTH_TOKEN).await;
    client.find(Locator::Id("connect-sms-button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "The secret is sealed").await;
    wait_for_text(&client, "••••0001").await;
    wait_for_text(&client, "Ready: sends from +15005550006 with your own account.").await;
    assert!(!client.source().await.unwrap().contains(AUTH_TOKEN), "the token is never shown again");
    // SMS first and nothing after it, chosen as a person chooses: from lists.
    for (place, channel) in [("channel-1", "sms"), ("channel-2", ""), ("channel-3", "")] {
        client.find(Locator::Id(place)).await.unwrap().select_by_value(channel).await.unwrap();
    }
    // Reminders a day and two hours before: the first row's amount and unit.
    fill(&client, "reminder-1", "1").await;
    client.find(Locator::Id("reminder-1-unit")).await.unwrap().select_by_value("d").await.unwrap();
    fill(&client, "quiet_from", "00:00").await;
    fill(&client, "quiet_until", "00:00").await;
    client.find(Locator::Id("save-rules")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Reminder settings saved").await;
    let shown = |id: &'static str| {
        let client = client.clone();
        async move { client.find(Locator::Id(id)).await.unwrap().prop("value").await.unwrap().unwrap_or_default() }
    };
    assert_eq!((shown("channel-1").await, shown("channel-2").await), ("sms".to_string(), String::new()));
    assert_eq!((shown("reminder-1").await, shown("reminder-1-unit").await), ("1".to_string(), "d".to_string()));

    // The confirmation's words, with the preview following the typing.
    client.find(Locator::Css("#template-confirmation-en summary")).await.unwrap().click().await.unwrap();
    fill(&client, "body-confirmation-en", "Hello {first_name}, see you at {business} on {time}.").await;
    wait_for_text(&client, "Hello Asha, see you at Business rose-studio on Mon 1 Dec, 10:30 AM.").await;
    fill(&client, "body-confirmation-en", "Hello {first_name}, your {notes}").await;
    wait_for_text(&client, "{notes} is not a field a message may use").await;
    fill(&client, "body-confirmation-en", "Hello {first_name}, see you at {business} on {time}.").await;
    wait_for_text(&client, "Hello Asha, see you at Business rose-studio on Mon 1 Dec, 10:30 AM.").await;
    // Its own notice: the page before it already says the reminder settings were saved.
    client.find(Locator::Css("#template-confirmation-en button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Wording saved").await;

    let booked = api
        .call(
            reqwest::Method::POST,
            "/api/v1/appointments",
            Some(json!({ "customer_id": customer, "service_id": salon.service, "staff_id": salon.staff[0], "start": "2026-06-03T10:00" })),
        )
        .await;
    assert_eq!(booked.status, reqwest::StatusCode::CREATED, "{}", booked.body);
    steward_app::messaging::worker::dispatch_due(&server.app).await.unwrap();
    let (_, sid, _, body) = fake.taken.lock().unwrap().first[0].clone();
    assert_eq!(body, "Hello Asha, see you at Business rose-studio on Wed 3 Jun, 10:00 AM.");
    // The fake provider confirms delivery, signed as Twilio signs it.
    let path = "/hooks/twilio/rose-studio/status";
    let params = vec![("MessageSid".to_string(), sid.clone()), ("MessageStatus".to_string(), "delivered".to_string())];
    let signature = steward_crypto::webhook::twilio_signature(AUTH_TOKEN, &server.app.link(path), &params);
    let reported = crate::harness::client()
        .post(format!("{}{path}", server.base))
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), reqwest::StatusCode::NO_CONTENT);

    client.goto(&format!("{}/app/customers/{customer}", server.base)).await.unwrap();
    wait_for_text(&client, "Booking confirmation · sms").await;
    let status = client
        .find(Locator::Css("#customer-messages li[data-kind=confirmation] .message-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "delivered");
    let _ = client.close().await;
}

/// A salon open for booking (booking::open_salon) on Monday 1 June 2026, 05:30 in
/// Kolkata, and a browser with `args`; `None` when chromedriver is missing (skipped, or
/// failed under CI).
async fn salon_and_browser(slug: &str, args: &[&str]) -> Option<(TestServer, Driver, ScratchDir, fantoccini::Client)> {
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return None;
    }
    let server = TestServer::start_with(Options {
        host: Some("localhost"),
        clock: Some(steward_app::clock::Clock::fixed(crate::booking::JUNE_FIRST)),
        ..Default::default()
    })
    .await;
    let fixture = server.tenant(slug).await;
    crate::booking::open_salon(&server, &fixture, "Asia/Kolkata").await;
    let (driver, profile, client) = start_browser_with(args).await?;
    Some((server, driver, profile, client))
}

/// Signs in on the login page as a person does, and waits for the Today page.
pub(crate) async fn sign_in(client: &fantoccini::Client, base: &str, workspace: &str, email: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    fill(client, "workspace", workspace).await;
    fill(client, "email", email).await;
    fill(client, "password", PASSWORD).await;
    client.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(client, "Welcome,").await;
}

/// Opens a page of the business's set-up as a member does: Settings in the main menu,
/// then the page's link under its heading.
async fn open_setting(client: &fantoccini::Client, label: &str) {
    client.find(Locator::LinkText("Settings")).await.unwrap().click().await.unwrap();
    wait_for_text(client, "My account").await;
    client.find(Locator::LinkText(label)).await.unwrap().click().await.unwrap();
}

#[tokio::test]
async fn a_member_chooses_dark_pages_on_a_light_device_and_back() {
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    let server = TestServer::start_with(Options { host: Some("localhost"), ..Default::default() }).await;
    server.tenant("neem-studio").await;
    let Some((_driver, _profile, client)) = start_browser().await else { return };
    sign_in(&client, &server.base, "neem-studio", "owner@neem-studio.example").await;
    let background =
        || async { client.execute("return getComputedStyle(document.body).backgroundColor", vec![]).await.unwrap() };
    assert_eq!(background().await, "rgb(255, 255, 255)", "a light device gets light pages");

    open_setting(&client, "My account").await;
    wait_for_text(&client, "My pages are").await;
    client.find(Locator::Css("input[name=theme][value=dark]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("form[action='/app/account/theme'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Colours saved").await;
    assert_eq!(background().await, "rgb(18, 20, 23)", "the choice beats the device's setting");
    client.find(Locator::LinkText("Customers")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Find a customer").await;
    assert_eq!(background().await, "rgb(18, 20, 23)", "every page follows it");

    open_setting(&client, "My account").await;
    wait_for_text(&client, "My pages are").await;
    client.find(Locator::Css("input[name=theme][value=device]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("form[action='/app/account/theme'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Colours saved").await;
    assert_eq!(background().await, "rgb(255, 255, 255)", "back to what the device asks");
    let _ = client.close().await;
}

#[tokio::test]
async fn a_customer_whose_browser_asks_for_hindi_books_in_hindi_and_can_switch_to_english() {
    let Some((server, _driver, _profile, client)) =
        salon_and_browser("kamal-salon", &["--lang=hi", "--accept-lang=hi-IN,hi"]).await
    else {
        return;
    };
    client.set_window_size(390, 844).await.unwrap();

    client.goto(&format!("{}/b/kamal-salon", server.base)).await.unwrap();
    wait_for_text(&client, "एक सेवा चुनें।").await;
    let lang = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
    assert_eq!(lang, "hi");
    wait_for_text(&client, "बुकिंग: <a href=\"/\">Steward</a>").await;
    client.find(Locator::LinkText("Haircut")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "समय Asia/Kolkata के अनुसार हैं।").await;
    wait_for_text(&client, "ख़ाली").await;
    client.find(Locator::Css("ul.slots button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "हम यह समय आपके लिए").await;
    wait_for_text(&client, "सोम, 1 जून 2026").await;

    // A refusal names the field and the problem in Hindi.
    fill(&client, "name", "कविता ब्राउज़र").await;
    client.find(Locator::Css("form.stack button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "फ़ोन: फ़ोन नंबर या ईमेल दीजिए।").await;
    fill(&client, "phone", "98450 55555").await;
    client.find(Locator::Css("form.stack button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "आपकी अपॉइंटमेंट बुक हो गई है।").await;
    let fits =
        client.execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![]).await.unwrap();
    assert_eq!(fits, serde_json::Value::Bool(true), "the Hindi pages fit a phone screen too");

    // The switch in the footer: the same page in English, and the choice is kept.
    client.find(Locator::Css("a[hreflang=en]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Your appointment is booked.").await;
    client.goto(&format!("{}/b/kamal-salon", server.base)).await.unwrap();
    wait_for_text(&client, "Choose a service.").await;
    client.close().await.ok();
}

#[tokio::test]
async fn a_walk_in_served_this_morning_is_recorded_from_the_booking_form() {
    let Some((server, _driver, _profile, client)) = salon_and_browser("walkin-studio", &[]).await else { return };
    // Monday 1 June, 10:30 in Kolkata.
    server.app.clock.advance(5 * 3_600_000_000);
    sign_in(&client, &server.base, "walkin-studio", "owner@walkin-studio.example").await;

    client.goto(&format!("{}/app/appointments/new", server.base)).await.unwrap();
    wait_for_text(&client, "Walk-in").await;
    client.execute("document.getElementById('start').value = '2026-06-01T09:00';", vec![]).await.unwrap();
    let staff = client.find(Locator::Css("#staff_id option:nth-child(2)")).await.unwrap();
    staff.click().await.unwrap();
    client.find(Locator::Id("walk_in")).await.unwrap().click().await.unwrap();
    fill(&client, "name", "Walk In Browser").await;
    fill(&client, "phone", "98450 70099").await;
    client
        .execute("document.getElementById('start').form.querySelector('button[type=submit]:not([name]):not([formaction])').click();", vec![])
        .await
        .unwrap();
    wait_for_text(&client, "<dt>Status</dt><dd>Completed").await;
    wait_for_text(&client, "Walk In Browser").await;
    client.close().await.ok();
}
