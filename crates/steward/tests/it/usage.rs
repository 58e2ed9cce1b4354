//! Usage: features used and pages viewed, counted per day.

use crate::harness::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn features_and_page_views_are_counted_per_day() {
    let server = TestServer::start().await;
    let fixture = server.tenant("usage-co").await;
    let api = server.api(&fixture.owner_token);
    api.call(Method::POST, "/api/v1/invitations", Some(json!({ "email": "new@usage-co.example", "role": "staff" })))
        .await;
    let mut browser = server.browser();
    browser.log_in("usage-co", "owner@usage-co.example", PASSWORD).await;
    assert_eq!(browser.get("/app/members").await.status, StatusCode::OK);
    assert_eq!(browser.get("/app/members").await.status, StatusCode::OK);

    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let mut counts = serde_json::Value::Null;
    for _ in 0..50 {
        counts = api.get(&format!("/api/v1/usage/daily?from={today}&to={today}")).await.json();
        let pages = counts
            .as_array()
            .and_then(|c| c.iter().find(|c| c["feature"] == "page:/app/members"))
            .map(|c| c["count"].clone());
        if pages == Some(json!(2)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let find = |feature: &str| {
        counts.as_array().and_then(|c| c.iter().find(|c| c["feature"] == feature)).map(|c| c["count"].clone())
    };
    assert_eq!(find("page:/app/members"), Some(json!(2)), "{counts}");
    assert_eq!(find("invitation.created"), Some(json!(1)), "{counts}");
    assert!(counts.as_array().is_some_and(|c| c.iter().all(|c| c["date"] == json!(today))));

    let bad = api.get("/api/v1/usage/daily?from=soon").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "from");
}

#[tokio::test]
async fn the_usage_page_shows_features_and_pages_to_admins_only() {
    let server = TestServer::start().await;
    let fixture = server.tenant("usage-page").await;
    let api = server.api(&fixture.owner_token);
    let invited = api
        .call(Method::POST, "/api/v1/invitations", Some(json!({ "email": "new@usage-page.example", "role": "staff" })))
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let mut browser = server.browser();
    browser.log_in("usage-page", "owner@usage-page.example", PASSWORD).await;
    browser.get("/app/members").await;
    let mut page = browser.get("/app/usage").await;
    // Page views and features are counted after the response; on a loaded machine that
    // takes a moment.
    for _ in 0..100 {
        if page.body.contains("<code>/app/members</code>") && page.body.contains("<code>invitation.created</code>") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = browser.get("/app/usage").await;
    }
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<code>invitation.created</code>"), "{}", page.body);
    assert!(page.body.contains("<code>/app/members</code>"), "{}", page.body);
    let bad = browser.get("/app/usage?from=soon").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("From must be a date"), "{}", bad.body);

    steward_app::access::members::add_member(
        &server.app,
        fixture.tenant,
        "staff@usage-page.example",
        "Usha Staff",
        "staff",
        PASSWORD,
    )
    .await
    .unwrap();
    let mut staff = server.browser();
    staff.log_in("usage-page", "staff@usage-page.example", PASSWORD).await;
    assert_eq!(staff.get("/app/usage").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn each_business_sees_its_own_slow_and_failed_requests_by_request_id() {
    // promise: ISO-2
    let server = crate::harness::TestServer::start_with(crate::harness::Options {
        slow_request_ms: Some(0),
        ..Default::default()
    })
    .await;
    let a = server.tenant("problems-a").await;
    let b = server.tenant("problems-b").await;
    let api_a = server.api(&a.owner_token);
    let seen = api_a.get("/api/v1/customers?q=secret-search-words").await;
    let request_id = seen.headers["x-request-id"].to_str().unwrap().to_string();
    let problems = api_a.get("/api/v1/problems").await;
    assert_eq!(problems.status, StatusCode::OK);
    let list = problems.json();
    let found = list.as_array().unwrap().iter().find(|p| p["request_id"] == request_id.as_str()).cloned();
    let found = found.expect("the slow request is listed by its id");
    assert_eq!(found["route"], "/api/v1/customers");
    assert_eq!(found["kind"], "slow");
    assert!(!problems.body.contains("secret-search-words"), "no query string is kept");
    let other = server.api(&b.owner_token).get("/api/v1/problems").await;
    assert!(!other.body.contains(&request_id), "another business does not see it");
    let mut browser = server.browser();
    browser.log_in("problems-a", "owner@problems-a.example", PASSWORD).await;
    let page = browser.get("/app/problems").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&request_id), "{}", page.body);
}

#[tokio::test]
async fn requests_are_exported_as_otlp_spans_with_routes_and_no_personal_values() {
    // promise: ISO-2
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let collector = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/traces"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&collector)
        .await;
    let server =
        TestServer::start_with(crate::harness::Options { otlp_endpoint: Some(collector.uri()), ..Default::default() })
            .await;
    let shop = server.tenant("traced-shop").await;
    let api = server.api(&shop.owner_token);
    api.get("/api/v1/me").await;
    let customer = api
        .call(
            reqwest::Method::POST,
            "/api/v1/customers",
            Some(serde_json::json!({ "name": "Traced Person", "email": "traced@person.example" })),
        )
        .await;
    let id = customer.json()["id"].as_str().unwrap().to_string();
    api.get(&format!("/api/v1/customers/{id}")).await;
    let mut exported = String::new();
    for _ in 0..100 {
        exported = collector
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).to_string())
            .collect();
        if exported.contains("/api/v1/customers/{customer_id}") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(exported.contains("resourceSpans") && exported.contains("GET /api/v1/me"), "{exported}");
    assert!(exported.contains("GET /api/v1/customers/{customer_id}"), "routes, not paths: {exported}");
    assert!(exported.contains(&shop.tenant.to_string()), "spans carry the tenant id");
    for personal in ["Traced Person", "traced@person.example", "owner@traced-shop.example", id.as_str()] {
        assert!(!exported.contains(personal), "a span carries {personal}");
    }
}
