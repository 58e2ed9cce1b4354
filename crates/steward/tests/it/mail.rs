//! Member mail through a real SMTP server: email verification, invitations, password
//! reset; each link works once.

use crate::harness::{Options, PASSWORD, SmtpServer, TestServer, path_of};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn sign_up_mails_a_verification_link_that_works_once() {
    // promise: ACC-4
    // promise: MSG-2
    let Some(smtp) = SmtpServer::start().await else { return };
    let server = TestServer::start_with(Options { smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let mut browser = server.browser();
    let page = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("business_name", "Neem Clinic"),
                ("slug", "neem-clinic"),
                ("country", "IN"),
                ("time_zone", "Asia/Kolkata"),
                ("name", "Dr Neem"),
                ("email", "dr@neem.example"),
                ("password", PASSWORD),
                ("accept_policy", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let link = smtp.wait_for_link("dr@neem.example", "/verify/").await;
    let verified = browser.get(&path_of(&link)).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert!(verified.body.contains("email address is confirmed"));
    let again = browser.get(&path_of(&link)).await;
    assert_eq!(again.status, StatusCode::GONE);
    let owner = server.principal("neem-clinic", "dr@neem.example").await;
    assert!(owner.email_verified);
}

#[tokio::test]
async fn an_invitation_is_mailed_accepted_once_and_signs_the_member_in() {
    // promise: ACC-1
    // promise: ACC-3
    let Some(smtp) = SmtpServer::start().await else { return };
    let server = TestServer::start_with(Options { smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let fixture = server.tenant("invite-co").await;
    let api = server.api(&fixture.owner_token);
    let invited = api
        .call(
            Method::POST,
            "/api/v1/invitations",
            Some(json!({ "email": "new.stylist@invite-co.example", "role": "staff" })),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let link = smtp.wait_for_link("new.stylist@invite-co.example", "/invite/").await;
    let mut browser = server.browser();
    let form = browser.get(&path_of(&link)).await;
    assert!(form.body.contains("Business invite-co") && form.body.contains("staff"));
    let weak =
        browser.submit(&path_of(&link), &path_of(&link), &[("name", "Nia Stylist"), ("password", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let accepted =
        browser.submit(&path_of(&link), &path_of(&link), &[("name", "Nia Stylist"), ("password", PASSWORD)]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert_eq!(browser.get("/app").await.status, StatusCode::OK);
    let reused = server.browser().get(&path_of(&link)).await;
    assert_eq!(reused.status, StatusCode::GONE);
    let mut other = server.browser();
    other.get("/login").await;
    let csrf = other.cookies["steward_csrf"].clone();
    let replay =
        other.post(&path_of(&link), &[("csrf", &csrf), ("name", "Someone Else"), ("password", PASSWORD)]).await;
    assert_eq!(replay.status, StatusCode::GONE);
    let listed = api.get("/api/v1/members").await.json();
    let member = listed
        .as_array()
        .and_then(|m| m.iter().find(|m| m["email"] == "new.stylist@invite-co.example"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(member["role"], "staff");
    assert_eq!(member["email_verified"], true);
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_other_sessions() {
    // promise: ACC-2
    // promise: ACC-4
    let Some(smtp) = SmtpServer::start().await else { return };
    let server = TestServer::start_with(Options { smtp_url: Some(smtp.url()), ..Default::default() }).await;
    server.tenant("reset-co").await;
    let mut old_device = server.browser();
    old_device.log_in("reset-co", "owner@reset-co.example", PASSWORD).await;
    assert_eq!(old_device.get("/app").await.status, StatusCode::OK);

    let mut browser = server.browser();
    let unknown = browser
        .submit("/forgot", "/forgot", &[("workspace", "reset-co"), ("email", "stranger@reset-co.example")])
        .await;
    let known =
        browser.submit("/forgot", "/forgot", &[("workspace", "reset-co"), ("email", "owner@reset-co.example")]).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.body, known.body, "the answer does not reveal who is a member");
    let link = smtp.wait_for_link("owner@reset-co.example", "/reset/").await;
    let new_password = "a brand new passphrase";
    let done = browser.submit(&path_of(&link), &path_of(&link), &[("password", new_password)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(old_device.get("/app").await.status, StatusCode::SEE_OTHER, "old sessions ended");
    let reused = browser.submit(&path_of(&link), &path_of(&link), &[("password", "yet another passphrase")]).await;
    assert_eq!(reused.status, StatusCode::GONE);
    assert_eq!(browser.log_in("reset-co", "owner@reset-co.example", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(browser.log_in("reset-co", "owner@reset-co.example", new_password).await.status, StatusCode::SEE_OTHER);
    assert_eq!(smtp.messages().iter().filter(|m| m.contains("stranger@reset-co.example")).count(), 0);
}
