//! The route table: every route declares its access, and the OpenAPI document lists every
//! API route with its permission.

use crate::harness::TestServer;
use std::collections::BTreeSet;
use steward_domain::permissions::Access;
use steward_store::StoreKind;

#[tokio::test]
async fn every_api_route_is_documented_with_its_permission() {
    // promise: ACC-3
    let server = TestServer::start().await;
    let document = server.browser().get("/api/v1/openapi.json").await.json();
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let permission = operation["x-steward-permission"].as_str().unwrap_or_default();
            assert!(!permission.is_empty(), "{method} {path} declares no permission");
            assert_ne!(permission, "public", "{method} {path}: API data routes are never public");
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = steward_web::routes::all()
        .into_iter()
        .filter(|spec| spec.api.is_some())
        .map(|spec| (spec.method.to_string(), spec.path.to_string()))
        .collect();
    assert_eq!(documented, served);
}

#[test]
fn only_sign_in_booking_pages_assets_and_health_are_public() {
    // promise: ACC-3
    let allowed_public = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/assets/",
        "/api/v1/openapi.json",
        "/api/docs",
        "/",
        "/signup",
        "/login",
        "/forgot",
        "/reset/",
        "/verify/",
        "/invite/",
        // The public pages' language switch (a cookie with the choice, then back).
        "/language",
        // A business's public booking page, and staff calendar feeds behind a secret.
        "/b/",
        "/calendar/",
        // The privacy notices, the deployment's and each business's, where people ask
        // for their data (proving who they are with a code) and fetch it by a signed link.
        "/privacy",
        "/privacy/requests",
        "/p/",
        // Provider callbacks (delivery reports, replies), accepted only with the
        // provider's signature made with the business's own secret.
        "/hooks/",
    ];
    for spec in steward_web::routes::all() {
        if spec.access == Access::Public {
            assert!(
                allowed_public
                    .iter()
                    .any(|p| spec.path == *p || (p.ends_with('/') && p.len() > 1 && spec.path.starts_with(p))),
                "{} {} is public; declare the permission it needs",
                spec.method,
                spec.path
            );
        }
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let server = TestServer::start().await;
    let mut browser = server.browser();
    assert_eq!(browser.get("/healthz").await.json()["status"], "ok");
    let ready = browser.get("/readyz").await.json();
    assert_eq!(ready["status"], "ready");
    // The readiness answer says when the database leaves its own upkeep undone: on
    // PostgreSQL, whether autovacuum runs (this machine's server may have it off).
    let warnings: Vec<&str> =
        ready["warnings"].as_array().unwrap().iter().map(|w| w["warning"].as_str().unwrap()).collect();
    let autovacuum_off = match crate::harness::postgres_admin_url().filter(|_| server.kind() == StoreKind::Postgres) {
        Some(admin) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            let setting: String =
                sqlx::query_scalar("SELECT current_setting('autovacuum')").fetch_one(&mut conn).await.unwrap();
            setting != "on"
        }
        None => false,
    };
    assert_eq!(warnings, if autovacuum_off { vec!["autovacuum_off"] } else { Vec::<&str>::new() });
    let docs = browser.get("/api/docs").await;
    assert!(docs.body.contains("/assets/api-docs.js"));
}

#[tokio::test]
async fn metrics_count_requests_per_declared_route_and_name_no_one() {
    // promise: ISO-2
    let server = TestServer::start().await;
    let fixture = server.tenant("metrics-co").await;
    let api = server.api(&fixture.owner_token);
    api.get("/api/v1/me").await;
    api.get(&format!("/api/v1/members/{}", fixture.owner.member)).await;
    let text = server.browser().get("/metrics").await.body;
    assert!(text.contains("steward_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"}"), "{text}");
    assert!(text.contains("route=\"/api/v1/members/{member_id}\""), "ids are never labels");
    for private in [
        fixture.owner.member.to_string(),
        fixture.tenant.to_string(),
        "owner@metrics-co.example".to_string(),
        "metrics-co".to_string(),
    ] {
        assert!(!text.contains(&private), "/metrics shows {private}");
    }
    assert!(text.contains("steward_http_request_duration_seconds_bucket"));
}
