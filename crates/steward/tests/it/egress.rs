//! The one way out: declared sub-processors only, only the fields each may receive, every
//! call recorded; member mail through the declared relay.

use crate::harness::{Options, SmtpServer, TestServer, skip_or_fail};
use steward_app::egress::{self, Call, EgressError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn only_declared_processors_receive_personal_data_and_every_call_is_recorded() {
    // promise: EGR-1
    // promise: EGR-2
    let twilio = MockServer::start().await;
    let tracker = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/AC0/Messages.json"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&twilio)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&tracker).await;
    let server = TestServer::start_with(Options {
        processor_endpoints: Some(vec![("twilio".into(), twilio.uri())]),
        ..Options::default()
    })
    .await;
    let shop = server.tenant("egress-shop").await;
    let call =
        Call { tenant: shop.tenant, processor: "twilio", purpose: "appointment reminder", fields: &["customer.phone"] };

    let sent = egress::send(
        &server.app,
        call,
        server
            .app
            .egress
            .request(reqwest::Method::POST, &format!("{}/2010-04-01/Accounts/AC0/Messages.json", twilio.uri())),
    )
    .await
    .expect("a declared processor is reached");
    assert_eq!(sent.status().as_u16(), 201);

    // The same data to a host nobody declared never leaves.
    let refused = egress::send(
        &server.app,
        call,
        server.app.egress.request(reqwest::Method::POST, &format!("{}/collect", tracker.uri())),
    )
    .await;
    assert!(matches!(refused, Err(EgressError::UndeclaredHost { .. })), "{refused:?}");
    // Nor does a field the processor may not receive, even to its own host.
    let too_much = Call { fields: &["customer.phone", "customer.notes"], ..call };
    let refused = egress::send(
        &server.app,
        too_much,
        server
            .app
            .egress
            .request(reqwest::Method::POST, &format!("{}/2010-04-01/Accounts/AC0/Messages.json", twilio.uri())),
    )
    .await;
    assert!(matches!(refused, Err(EgressError::UndeclaredField { .. })), "{refused:?}");
    let adtech = Call { processor: "ad-network", ..call };
    assert!(matches!(
        egress::send(&server.app, adtech, server.app.egress.request(reqwest::Method::POST, &tracker.uri())).await,
        Err(EgressError::UndeclaredProcessor(_))
    ));

    let log = server.api(&shop.owner_token).get("/api/v1/egress").await;
    let records = log.json();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 4, "{records:?}");
    let outcomes: Vec<&str> = records.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert!(outcomes.contains(&"answered 201"), "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| o.starts_with("refused")).count(), 3, "{outcomes:?}");
    let sent_record = records.iter().find(|r| r["outcome"] == "answered 201").unwrap();
    assert_eq!(sent_record["processor"], "twilio");
    assert_eq!(sent_record["fields"], serde_json::json!(["customer.phone"]));
    let mut browser = server.browser();
    browser.log_in("egress-shop", "owner@egress-shop.example", crate::harness::PASSWORD).await;
    let page = browser.get("/app/settings/data").await;
    assert!(page.body.contains("id=\"outbound-calls\"") && page.body.contains("answered 201"), "{}", page.body);
    // wiremock checks on drop that the tracker saw nothing and Twilio exactly one call.
}

#[tokio::test]
async fn member_mail_leaves_only_through_the_declared_relay_and_is_recorded() {
    // promise: EGR-1
    let Some(smtp) = SmtpServer::start().await else {
        skip_or_fail("aiosmtpd (pip install aiosmtpd)");
        return;
    };
    let server = TestServer::start_with(Options { smtp_url: Some(smtp.url()), ..Options::default() }).await;
    let shop = server.tenant("mail-shop").await;
    steward_app::access::members::invite(&server.app, &shop.owner, "new@mail-shop.example", "staff").await.unwrap();
    smtp.wait_for_link("new@mail-shop.example", "/invite/").await;
    let mut recorded = Vec::new();
    for _ in 0..50 {
        recorded = steward_app::egress::recent(&server.app, &shop.owner).await.unwrap();
        if recorded.iter().any(|r| r.outcome == "accepted by the relay") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mail = recorded.iter().find(|r| r.purpose == "invitation").expect("the invitation is recorded");
    assert_eq!(mail.processor, "smtp");
    assert_eq!(mail.outcome, "accepted by the relay");
    assert!(mail.fields.contains(&"member.email".to_string()));
    assert!(
        !serde_json::to_string(&recorded).unwrap().contains("new@mail-shop.example"),
        "records name fields, never values"
    );
}
