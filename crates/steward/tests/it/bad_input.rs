//! Bad input gets a 4xx naming what is wrong; never a 500, never a panic, and nothing
//! stored changes.

use crate::harness::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn malformed_oversized_and_unknown_json_is_refused_with_the_field() {
    let server = TestServer::start().await;
    let fixture = server.tenant("bad-json").await;
    let api = server.api(&fixture.owner_token);

    let malformed = api.raw(Method::POST, "/api/v1/roles", "application/json", b"{\"name\": ".to_vec()).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["error"]["code"], "malformed_json");

    let huge = api.raw(Method::POST, "/api/v1/roles", "application/json", vec![b' '; 200 * 1024]).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);

    let wrong_type = api.raw(Method::POST, "/api/v1/roles", "text/plain", b"{}".to_vec()).await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let unknown = api
        .call(Method::POST, "/api/v1/roles", Some(json!({ "name": "x-role", "permissions": [], "colour": "red" })))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["error"]["field"], "colour");

    let missing = api.call(Method::POST, "/api/v1/invitations", Some(json!({ "email": "a@b.example" }))).await;
    assert_eq!(missing.json()["error"]["field"], "role");

    let wrong = api.call(Method::POST, "/api/v1/tokens", Some(json!({ "name": "t", "scopes": "all" }))).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["error"]["field"], "scopes");

    let unknown_permission = api
        .call(Method::POST, "/api/v1/roles", Some(json!({ "name": "x-role", "permissions": ["customers.everything"] })))
        .await;
    assert_eq!(unknown_permission.json()["error"]["field"], "permissions");

    let bad_id = api.get("/api/v1/members/not-an-id").await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_id.json()["error"]["field"], "member_id");
}

#[tokio::test]
async fn invalid_profile_values_name_their_field_and_change_nothing() {
    let server = TestServer::start().await;
    let fixture = server.tenant("bad-profile").await;
    server.tenant("taken-slug").await;
    let api = server.api(&fixture.owner_token);
    for (body, field, status) in [
        (json!({ "gstin": "27AAPFU0939F1ZW" }), "gstin", StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "time_zone": "Mars/Olympus" }), "time_zone", StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "slug": "Not A Slug" }), "slug", StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "slug": "taken-slug" }), "slug", StatusCode::CONFLICT),
        (json!({ "country": "India" }), "country", StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "name": "" }), "name", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let page = api.call(Method::PATCH, "/api/v1/tenant", Some(body.clone())).await;
        assert_eq!(page.status, status, "{body}: {}", page.body);
        assert_eq!(page.json()["error"]["field"], field, "{body}");
    }
    let ok = api
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(json!({ "gstin": "27aapfu0939f1zv", "time_zone": "Europe/London" })),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["gstin"], "27AAPFU0939F1ZV");
    let profile = api.get("/api/v1/tenant").await.json();
    assert_eq!(profile["slug"], "bad-profile");
    assert_eq!(profile["name"], "Business bad-profile");
}

#[tokio::test]
async fn invalid_invitations_and_duplicates_are_refused() {
    let server = TestServer::start().await;
    let fixture = server.tenant("bad-invite").await;
    let api = server.api(&fixture.owner_token);
    let bad_email =
        api.call(Method::POST, "/api/v1/invitations", Some(json!({ "email": "not-an-email", "role": "staff" }))).await;
    assert_eq!(bad_email.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_email.json()["error"]["field"], "email");
    let bad_role = api
        .call(Method::POST, "/api/v1/invitations", Some(json!({ "email": "new@bad-invite.example", "role": "wizard" })))
        .await;
    assert_eq!(bad_role.json()["error"]["field"], "role");
    let existing = api
        .call(
            Method::POST,
            "/api/v1/invitations",
            Some(json!({ "email": "OWNER@bad-invite.example", "role": "staff" })),
        )
        .await;
    assert_eq!(existing.status, StatusCode::CONFLICT);
    assert_eq!(existing.json()["error"]["field"], "email");
}

#[tokio::test]
async fn sign_up_errors_keep_what_was_typed_and_name_the_field() {
    let server = TestServer::start().await;
    server.tenant("already-here").await;
    let mut browser = server.browser();
    let base = [
        ("business_name", "Kiran Fitness"),
        ("country", "IN"),
        ("time_zone", "Asia/Kolkata"),
        ("name", "Kiran"),
        ("accept_policy", "yes"),
    ];
    for (slug, email, password, field, status) in [
        ("already-here", "k@kiran.example", PASSWORD, "slug", StatusCode::CONFLICT),
        ("kiran-fit", "k@kiran", PASSWORD, "email", StatusCode::UNPROCESSABLE_ENTITY),
        ("kiran-fit", "k@kiran.example", "short", "password", StatusCode::UNPROCESSABLE_ENTITY),
        ("api", "k@kiran.example", PASSWORD, "slug", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let mut fields = base.to_vec();
        fields.extend([("slug", slug), ("email", email), ("password", password)]);
        let page = browser.submit("/signup", "/signup", &fields).await;
        assert_eq!(page.status, status, "{field}");
        assert!(page.body.contains(&format!("id=\"{field}\"")), "{field}");
        assert!(page.body.contains("aria-invalid=\"true\""), "{field} is marked");
        assert!(page.body.contains("Kiran Fitness"), "typed values are kept");
        assert!(!page.body.contains(PASSWORD), "the password is never echoed");
    }
    assert!(steward_app::tenancy::find_by_slug(&server.app, "kiran-fit").await.unwrap().is_none());
}

#[tokio::test]
async fn a_wrong_password_is_a_401_that_does_not_say_which_part_was_wrong() {
    let server = TestServer::start().await;
    server.tenant("wrong-pw").await;
    let mut browser = server.browser();
    let wrong_password = browser.log_in("wrong-pw", "owner@wrong-pw.example", "not the password").await;
    let wrong_email = browser.log_in("wrong-pw", "nobody@wrong-pw.example", PASSWORD).await;
    let wrong_business = browser.log_in("no-such-business", "owner@wrong-pw.example", PASSWORD).await;
    for page in [&wrong_password, &wrong_email, &wrong_business] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("The workspace, email or password is not right."));
    }
}

#[tokio::test]
async fn invalid_phone_on_the_account_page_names_the_field() {
    let server = TestServer::start().await;
    server.tenant("phone-test").await;
    let mut browser = server.browser();
    browser.log_in("phone-test", "owner@phone-test.example", PASSWORD).await;
    let page = browser.submit("/app/account", "/app/account", &[("name", "Owner"), ("phone", "call me maybe")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Phone may contain only digits"));
    let ok = browser.submit("/app/account", "/app/account", &[("name", "Owner"), ("phone", "098123 45678")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(browser.get("/app/account").await.body.contains("+919812345678"));
}

#[tokio::test]
async fn bad_query_parameters_are_a_422_naming_the_parameter() {
    let server = TestServer::start().await;
    let fixture = server.tenant("bad-query").await;
    let api = server.api(&fixture.owner_token);
    let wrong_type = api.get("/api/v1/audit/events?before=yesterday").await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_type.json()["error"]["field"], "before");
    let unknown = api.get("/api/v1/audit/events?colour=red").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["error"]["field"], "colour");
    assert_eq!(api.get("/api/v1/audit/events?limit=5").await.status, StatusCode::OK);
}
