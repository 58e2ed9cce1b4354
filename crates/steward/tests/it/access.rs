//! Accounts and access: sign-up, log-in, sessions, lockout, CSRF, API tokens, roles.

use crate::harness::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use steward_app::access::{auth, members};
use steward_app::clock::{Clock, MICROS_PER_DAY, MICROS_PER_MINUTE};
use steward_store::access::members as member_rows;
use steward_store::tenancy::policy;

#[tokio::test]
async fn sign_up_creates_tenant_owner_session_and_policy_record() {
    // promise: ACC-1
    // promise: POL-1
    let server = TestServer::start().await;
    let mut browser = server.browser();
    let page = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("business_name", "Lotus Yoga Studio"),
                ("slug", "lotus-yoga"),
                ("country", "IN"),
                ("time_zone", "Asia/Kolkata"),
                ("name", "Priya Owner"),
                ("email", "Priya@Lotus.example"),
                ("password", PASSWORD),
                ("accept_policy", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), Some("/app?notice=welcome"));
    let dashboard = browser.get("/app?notice=welcome").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("Lotus Yoga Studio"));
    assert!(dashboard.body.contains("Please confirm your email address"));

    let owner = server.principal("lotus-yoga", "priya@lotus.example").await;
    assert_eq!(owner.role, "owner");
    let mut tx = server.store.begin_tenant_read(owner.tenant).await.unwrap();
    let accepted = policy::acceptances_of(&mut tx, owner.member).await.unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].policy_version, steward_domain::policy::current_policy().version);
}

#[tokio::test]
async fn sign_up_without_accepting_the_policy_is_refused_naming_the_field() {
    // promise: POL-1
    let server = TestServer::start().await;
    let mut browser = server.browser();
    let page = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("business_name", "X Salon"),
                ("slug", "x-salon"),
                ("country", "IN"),
                ("time_zone", "Asia/Kolkata"),
                ("name", "X"),
                ("email", "x@x.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("accept_policy"), "{}", page.body);
    assert!(page.body.contains(
        "id=\"accept_policy\" name=\"accept_policy\" type=\"checkbox\" value=\"yes\" required aria-invalid=\"true\""
    ));
}

#[tokio::test]
async fn session_cookie_is_secure_and_rotated_at_login_and_ended_at_logout() {
    // promise: SEC-2
    // promise: ACC-4
    let server = TestServer::start().await;
    server.tenant("rose-clinic").await;
    let mut browser = server.browser();
    let first = browser.log_in("rose-clinic", "owner@rose-clinic.example", PASSWORD).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let cookie = first.set_cookies().into_iter().find(|c| c.starts_with("steward_session=")).expect("session cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    let first_session = browser.cookies["steward_session"].clone();
    // A signed-in browser is sent past the form; post it again as a second login would.
    let csrf = browser.cookies["steward_csrf"].clone();
    let again = browser
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("workspace", "rose-clinic"),
                ("email", "owner@rose-clinic.example"),
                ("password", PASSWORD),
                ("next", "/app"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second_session = browser.cookies["steward_session"].clone();
    assert_ne!(first_session, second_session, "login rotates the session");
    assert!(auth::authenticate_session(&server.app, &first_session).await.is_err(), "the old session ended");

    let app_page = browser.get("/app").await;
    assert_eq!(app_page.status, StatusCode::OK);
    let logout = browser.post("/logout", &[("csrf", &app_page.csrf())]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert!(auth::authenticate_session(&server.app, &second_session).await.is_err());
    let after = browser.get("/app").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().unwrap_or_default().starts_with("/login"));
}

#[tokio::test]
async fn every_page_carries_security_headers_and_a_strict_csp() {
    // promise: SEC-2
    // promise: EGR-2
    let server = TestServer::start().await;
    let mut browser = server.browser();
    for path in ["/login", "/signup", "/api/v1/openapi.json", "/healthz", "/no-such-page"] {
        let page = browser.get(path).await;
        let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(page.headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
        assert!(page.headers.get("x-request-id").is_some());
        assert!(!page.body.contains("https://"), "{path} refers to another site");
    }
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_site_are_refused() {
    // promise: SEC-2
    let server = TestServer::start().await;
    let fixture = server.tenant("csrf-test").await;
    let mut browser = server.browser();
    let no_token = browser
        .post("/login", &[("workspace", "csrf-test"), ("email", "owner@csrf-test.example"), ("password", PASSWORD)])
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);

    browser.log_in("csrf-test", "owner@csrf-test.example", PASSWORD).await;
    let forged = browser.post("/app/business", &[("csrf", "0".repeat(64).as_str()), ("name", "Hijacked")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let profile = steward_app::tenancy::profile(&server.app, &fixture.owner).await.unwrap();
    assert_eq!(profile.name, "Business csrf-test");

    let http = crate::harness::client();
    let cross_site = http
        .post(format!("{}/login", server.base))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("workspace=csrf-test")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_the_lock_decays() {
    // promise: ACC-4
    let clock = Clock::fixed(1_800_000_000 * 1_000_000);
    let server =
        TestServer::start_with(crate::harness::Options { clock: Some(clock.clone()), ..Default::default() }).await;
    let fixture = server.tenant("lock-test").await;
    let client = auth::ClientInfo { ip: Some("198.51.100.7".into()), user_agent: None, request_id: None };
    for attempt in 1..=5 {
        let result =
            auth::log_in(&server.app, "lock-test", "owner@lock-test.example", "wrong password!", &client, None).await;
        assert!(matches!(result, Err(steward_app::AppError::BadCredentials)), "attempt {attempt}");
        clock.advance(7 * 1_000_000); // the per-IP bucket refills slowly
    }
    let locked = auth::log_in(&server.app, "lock-test", "owner@lock-test.example", PASSWORD, &client, None).await;
    assert!(
        matches!(locked, Err(steward_app::AppError::BadCredentials)),
        "the right password from a new browser waits out the lock, told only that it was refused"
    );
    let mut tx = server.store.begin_tenant_read(fixture.tenant).await.unwrap();
    let row = member_rows::find(&mut tx, fixture.owner.member).await.unwrap().unwrap();
    drop(tx);
    assert_eq!(row.lockout_count, 1);
    clock.advance(2 * MICROS_PER_MINUTE);
    assert!(auth::log_in(&server.app, "lock-test", "owner@lock-test.example", PASSWORD, &client, None).await.is_ok());
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_address() {
    // promise: ACC-4
    let server = TestServer::start().await;
    server.tenant("rate-test").await;
    let client = auth::ClientInfo { ip: Some("203.0.113.9".into()), user_agent: None, request_id: None };
    let mut limited = false;
    for _ in 0..12 {
        if let Err(steward_app::AppError::RateLimited(_)) =
            auth::log_in(&server.app, "rate-test", "nobody@rate-test.example", "irrelevant-password", &client, None)
                .await
        {
            limited = true;
            break;
        }
    }
    assert!(limited, "eleven quick attempts from one address are slowed down");
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_only() {
    // promise: ACC-2
    let server = TestServer::start().await;
    let fixture = server.tenant("hash-test").await;
    let mut tx = server.store.begin_tenant_read(fixture.tenant).await.unwrap();
    let row = member_rows::find(&mut tx, fixture.owner.member).await.unwrap().unwrap();
    let hash = row.password_hash.unwrap_or_default();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn api_tokens_are_shown_once_scoped_revocable_and_expire() {
    // promise: ACC-3
    let clock = Clock::fixed(1_800_000_000 * 1_000_000);
    let server =
        TestServer::start_with(crate::harness::Options { clock: Some(clock.clone()), ..Default::default() }).await;
    let fixture = server.tenant("token-test").await;
    let owner_api = server.api(&fixture.owner_token);
    let created = owner_api
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "name": "reports", "scopes": ["members.read"], "expires_in_days": 1 })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.json()["token"].as_str().unwrap_or_default().to_string();
    assert!(secret.starts_with("stw_"));
    let id = created.json()["id"].as_str().unwrap_or_default().to_string();

    let listed = owner_api.get("/api/v1/tokens").await;
    assert!(!listed.body.contains(&secret), "the secret is never shown again");

    let narrow = server.api(&secret);
    assert_eq!(narrow.get("/api/v1/members").await.status, StatusCode::OK);
    let denied = narrow.get("/api/v1/tenant").await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "outside the token's scopes");
    assert_eq!(denied.json()["error"]["code"], "forbidden");

    clock.advance(2 * MICROS_PER_DAY);
    assert_eq!(narrow.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "expired");

    let revoke = owner_api.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    let again = owner_api.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a revoked token cannot be revoked twice");
    assert_eq!(server.api("stw_garbage").get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn roles_decide_what_a_member_sees_and_changes() {
    // promise: ACC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("role-test").await;
    members::add_member(&server.app, fixture.tenant, "staff@role-test.example", "Sam Staff", "staff", PASSWORD)
        .await
        .unwrap();
    let staff = server.principal("role-test", "staff@role-test.example").await;
    assert!(!staff.has(steward_domain::permissions::Permission::CustomersSensitiveRead));
    let token = steward_app::access::tokens::create(&server.app, &staff, "t", &["members.read".to_string()], None)
        .await
        .unwrap()
        .token;
    let api = server.api(&token);
    assert_eq!(api.get("/api/v1/members").await.status, StatusCode::OK);
    let denied = api
        .call(Method::POST, "/api/v1/invitations", Some(json!({ "email": "new@role-test.example", "role": "staff" })))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    let mut browser = server.browser();
    browser.log_in("role-test", "staff@role-test.example", PASSWORD).await;
    assert_eq!(browser.get("/app/members").await.status, StatusCode::OK);
    let page = browser.get("/app").await;
    let forbidden = browser.post("/app/business", &[("csrf", &page.csrf()), ("name", "Staff Renamed It")]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn nobody_grants_more_than_they_hold_and_the_last_owner_stays() {
    // promise: ACC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("escalate").await;
    members::add_member(&server.app, fixture.tenant, "admin@escalate.example", "Ada Admin", "admin", PASSWORD)
        .await
        .unwrap();
    let admin = server.principal("escalate", "admin@escalate.example").await;
    let all: Vec<String> = steward_domain::permissions::Permission::ALL
        .iter()
        .filter(|p| admin.has(**p))
        .map(|p| p.name().to_string())
        .collect();
    let admin_token = steward_app::access::tokens::create(&server.app, &admin, "t", &all, None).await.unwrap().token;
    let admin_api = server.api(&admin_token);

    let as_owner = admin_api
        .call(Method::PATCH, &format!("/api/v1/members/{}", admin.member), Some(json!({ "role": "owner" })))
        .await;
    assert_eq!(as_owner.status, StatusCode::FORBIDDEN, "an admin cannot make anyone owner: {}", as_owner.body);
    let billing_role = admin_api
        .call(Method::POST, "/api/v1/roles", Some(json!({ "name": "cashier", "permissions": ["billing.manage"] })))
        .await;
    assert_eq!(billing_role.status, StatusCode::FORBIDDEN);
    let remove_owner = admin_api.call(Method::DELETE, &format!("/api/v1/members/{}", fixture.owner.member), None).await;
    assert_eq!(remove_owner.status, StatusCode::FORBIDDEN);

    let owner_api = server.api(&fixture.owner_token);
    let demote_self = owner_api
        .call(Method::PATCH, &format!("/api/v1/members/{}", fixture.owner.member), Some(json!({ "role": "staff" })))
        .await;
    assert_eq!(demote_self.status, StatusCode::CONFLICT, "{}", demote_self.body);
    assert_eq!(demote_self.json()["error"]["code"], "not_allowed");

    let custom = owner_api
        .call(
            Method::POST,
            "/api/v1/roles",
            Some(json!({ "name": "Front Desk", "permissions": ["customers.read", "bookings.manage"] })),
        )
        .await;
    assert_eq!(custom.status, StatusCode::CREATED, "{}", custom.body);
    assert_eq!(custom.json()["name"], "front desk");
    let role_id = custom.json()["id"].as_str().unwrap_or_default().to_string();
    let change = owner_api
        .call(Method::PATCH, &format!("/api/v1/members/{}", admin.member), Some(json!({ "role": role_id })))
        .await;
    assert_eq!(change.status, StatusCode::OK, "{}", change.body);
    assert_eq!(change.json()["role"], "front desk");
    let in_use = owner_api.call(Method::DELETE, &format!("/api/v1/roles/{role_id}"), None).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    let builtin = owner_api.get("/api/v1/roles").await.json();
    let staff_id = builtin
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "staff"))
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    let edit_builtin = owner_api
        .call(Method::PATCH, &format!("/api/v1/roles/{staff_id}"), Some(json!({ "permissions": ["audit.read"] })))
        .await;
    assert_eq!(edit_builtin.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_removed_member_loses_sessions_and_tokens_at_once() {
    // promise: ACC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("remove-test").await;
    members::add_member(&server.app, fixture.tenant, "leaver@remove-test.example", "Lee Leaver", "staff", PASSWORD)
        .await
        .unwrap();
    let leaver = server.principal("remove-test", "leaver@remove-test.example").await;
    let token = steward_app::access::tokens::create(&server.app, &leaver, "t", &["members.read".to_string()], None)
        .await
        .unwrap()
        .token;
    let mut browser = server.browser();
    browser.log_in("remove-test", "leaver@remove-test.example", PASSWORD).await;
    assert_eq!(browser.get("/app").await.status, StatusCode::OK);

    let removed = server
        .api(&fixture.owner_token)
        .call(Method::DELETE, &format!("/api/v1/members/{}", leaver.member), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(browser.get("/app").await.status, StatusCode::SEE_OTHER);
    assert_eq!(server.api(&token).get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    let again = browser.log_in("remove-test", "leaver@remove-test.example", PASSWORD).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_in_use_loses_access_the_moment_it_is_revoked_or_its_role_changes() {
    // promise: ACC-3
    let server = TestServer::start().await;
    let fixture = server.tenant("cache-test").await;
    members::add_member(&server.app, fixture.tenant, "clerk@cache-test.example", "Chitra Clerk", "admin", PASSWORD)
        .await
        .unwrap();
    let clerk = server.principal("cache-test", "clerk@cache-test.example").await;
    let scopes: Vec<String> = ["members.read", "tenant.read"].iter().map(|s| s.to_string()).collect();
    let token = steward_app::access::tokens::create(&server.app, &clerk, "t", &scopes, None).await.unwrap();
    let api = server.api(&token.token);
    assert_eq!(api.get("/api/v1/tenant").await.status, StatusCode::OK, "warm: the token is now remembered");

    let owner_api = server.api(&fixture.owner_token);
    let custom = owner_api
        .call(Method::POST, "/api/v1/roles", Some(json!({ "name": "reader", "permissions": ["members.read"] })))
        .await;
    let role_id = custom.json()["id"].as_str().unwrap_or_default().to_string();
    owner_api.call(Method::PATCH, &format!("/api/v1/members/{}", clerk.member), Some(json!({ "role": role_id }))).await;
    assert_eq!(api.get("/api/v1/tenant").await.status, StatusCode::FORBIDDEN, "the new role applies at once");
    assert_eq!(api.get("/api/v1/members").await.status, StatusCode::OK);

    owner_api
        .call(Method::PATCH, &format!("/api/v1/roles/{role_id}"), Some(json!({ "permissions": ["tenant.read"] })))
        .await;
    assert_eq!(api.get("/api/v1/members").await.status, StatusCode::FORBIDDEN, "a changed role applies at once");

    steward_app::access::tokens::revoke(&server.app, &clerk, token.view.id).await.unwrap();
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "revoked at once");
}
