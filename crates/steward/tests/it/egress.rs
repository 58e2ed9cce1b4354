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
        // Other mail (the owner's sign-in alert) may settle first: wait for the invitation's.
        if recorded.iter().any(|r| r.purpose == "invitation" && r.outcome == "accepted by the relay") {
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

#[tokio::test]
async fn whatsapp_template_messages_are_what_the_cloud_api_accepts_and_its_refusals_are_understood() {
    // promise: EGR-1
    use steward_app::messaging::whatsapp::{Purpose, Template, WhatsApp};
    use wiremock::matchers::{body_json, header};
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/1055/messages"))
        .and(header("authorization", "Bearer wa-test-token"))
        .and(body_json(serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "919845011111",
            "type": "template",
            "template": {
                "name": "appointment_reminder",
                "language": { "code": "hi" },
                "components": [{ "type": "body", "parameters": [
                    { "type": "text", "text": "Priya" }, { "type": "text", "text": "कल 10:00" }
                ] }]
            }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": "919845011111", "wa_id": "919845011111" }],
            "messages": [{ "id": "wamid.HBgLOTE5ODQ1MDExMTExFQIAERgSMEE=" }]
        })))
        .expect(1)
        .mount(&meta)
        .await;
    Mock::given(method("POST"))
        .and(path("/v21.0/2066/messages"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({ "error": {
            "message": "(#132001) Template name does not exist in the translation",
            "type": "OAuthException", "code": 132001,
            "error_data": { "messaging_product": "whatsapp", "details": "template name (x) does not exist in hi" },
            "fbtrace_id": "AbCdEf"
        } })))
        .mount(&meta)
        .await;
    Mock::given(method("POST"))
        .and(path("/v21.0/3077/messages"))
        .respond_with(ResponseTemplate::new(429).set_body_json(serde_json::json!({ "error": {
            "message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429, "fbtrace_id": "AbCdEg"
        } })))
        .mount(&meta)
        .await;
    let server = TestServer::start_with(Options {
        processor_endpoints: Some(vec![("whatsapp".into(), meta.uri())]),
        ..Options::default()
    })
    .await;
    let shop = server.tenant("wa-shop").await;
    let sender = |id: &str| WhatsApp {
        base_url: meta.uri(),
        phone_number_id: id.to_string(),
        access_token: "wa-test-token".to_string().into(),
    };
    let template = Template { name: "appointment_reminder", language: "hi", body: &["Priya", "कल 10:00"] };
    let why = Purpose {
        tenant: shop.tenant,
        purpose: "appointment reminder",
        fields: &["customer.phone", "customer.first_name", "appointment.time"],
    };
    let sent = sender("1055").send_template(&server.app, "+919845011111", template, why).await.expect("accepted");
    assert!(sent.provider_id.starts_with("wamid."));

    let missing = sender("2066").send_template(&server.app, "+919845011111", template, why).await.unwrap_err();
    assert!(matches!(missing, steward_app::messaging::SendError::Refused { code: 132001, .. }), "{missing:?}");
    assert!(!missing.retry_helps(), "a template that does not exist will not exist on retry");
    let limited = sender("3077").send_template(&server.app, "+919845011111", template, why).await.unwrap_err();
    assert!(limited.retry_helps(), "a rate limit passes: {limited:?}");
    let records = steward_app::egress::recent(&server.app, &shop.owner).await.unwrap();
    assert_eq!(records.iter().filter(|r| r.processor == "whatsapp").count(), 3, "every call is recorded");
}
