//! Reminders and notices: queued with each booking change, sent once on the first channel
//! the business connected and the customer agreed to, carrying only the declared fields;
//! provider refusals, delivery reports and opt-outs; member alerts; a worker killed
//! mid-send that sends nothing twice.

use crate::booking::{JUNE_FIRST, open_salon};
use crate::harness::{Options, SmtpServer, TestServer, skip_or_fail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use steward_app::clock::Clock;
use steward_app::messaging::worker;
use steward_crypto::webhook;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "twilio-auth-token-for-tests-0001";
const HOUR: i64 = 3_600_000_000;

/// What the fake Twilio took: each idempotency key once, with the number and the text.
#[derive(Default)]
pub struct Taken {
    /// Key → (sid, To, Body), in the order first taken.
    pub first: Vec<(String, String, String, String)>,
    pub sids: HashMap<String, String>,
    /// How many requests repeated a key already taken.
    pub repeats: usize,
    /// Answers to give before the normal one, by the number they are for.
    pub refusals: HashMap<String, Vec<(u16, Value)>>,
}

/// Twilio's Messages API as far as Steward relies on it: basic authentication with the
/// account SID and auth token, a form body with `To` (E.164), `From` or
/// `MessagingServiceSid`, and `Body`; `201` with a `sid`, or Twilio's error object.
#[derive(Clone)]
pub struct FakeTwilio {
    pub taken: Arc<Mutex<Taken>>,
    pub delay: std::time::Duration,
}

impl FakeTwilio {
    pub fn new() -> Self {
        FakeTwilio { taken: Arc::default(), delay: std::time::Duration::ZERO }
    }

    pub async fn start(self) -> (MockServer, Self) {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::method("POST")).respond_with(self.clone()).mount(&server).await;
        (server, self)
    }

    pub fn bodies(&self) -> Vec<String> {
        self.taken.lock().unwrap().first.iter().map(|(_, _, _, body)| body.clone()).collect()
    }
}

/// `application/x-www-form-urlencoded`, decoded.
fn decode_form(body: &[u8]) -> HashMap<String, String> {
    let decode = |text: &str| {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).to_string()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn twilio_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status
    }))
}

impl Respond for FakeTwilio {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let expected_path = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
        if request.url.path() != expected_path {
            return twilio_error(404, 20404, "The requested resource was not found");
        }
        let expected_auth = format!("Basic {}", webhook::base64(format!("{ACCOUNT}:{AUTH_TOKEN}").as_bytes()));
        let auth = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if auth != expected_auth {
            return twilio_error(401, 20003, "Authentication Error - invalid username");
        }
        let form = decode_form(&request.body);
        let to = form.get("To").cloned().unwrap_or_default();
        let body = form.get("Body").cloned().unwrap_or_default();
        if !form.contains_key("From") && !form.contains_key("MessagingServiceSid") {
            return twilio_error(400, 21603, "A 'From' phone number is required.");
        }
        if body.is_empty() {
            return twilio_error(400, 21602, "Message body is required.");
        }
        // +999 is no country's calling code: a number Steward's format check lets through and Twilio refuses.
        if !to.starts_with('+')
            || to.len() < 9
            || !to[1..].chars().all(|c| c.is_ascii_digit())
            || to.starts_with("+999")
        {
            return twilio_error(400, 21211, &format!("The 'To' number {to} is not a valid phone number."));
        }
        let key = request.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let mut taken = self.taken.lock().unwrap();
        if let Some(queue) = taken.refusals.get_mut(&to)
            && !queue.is_empty()
        {
            let (status, error) = queue.remove(0);
            return ResponseTemplate::new(status).set_body_json(error);
        }
        let sid = match taken.sids.get(&key).cloned() {
            Some(sid) if !key.is_empty() => {
                taken.repeats += 1;
                sid
            }
            _ => {
                let sid = format!("SM{:032x}", taken.first.len() + 1);
                taken.sids.insert(key.clone(), sid.clone());
                taken.first.push((key, sid.clone(), to.clone(), body.clone()));
                sid
            }
        };
        ResponseTemplate::new(201)
            .set_body_json(json!({ "sid": sid, "status": "queued", "to": to, "account_sid": ACCOUNT }))
            .set_delay(self.delay)
    }
}

/// A fake Twilio and Steward on 1 June 2026, its SMS going to that fake.
async fn on_june_first_with_twilio() -> (MockServer, FakeTwilio, TestServer) {
    let (twilio, fake) = FakeTwilio::new().start().await;
    let server = TestServer::start_with(Options {
        clock: Some(Clock::fixed(JUNE_FIRST)),
        processor_endpoints: Some(vec![("twilio".into(), twilio.uri())]),
        ..Options::default()
    })
    .await;
    (twilio, fake, server)
}

/// Steward on 1 June 2026, its SMS going to `twilio` and its WhatsApp messages to `meta`.
async fn on_june_first_with_twilio_and(twilio: &MockServer, meta: &MockServer) -> TestServer {
    TestServer::start_with(Options {
        clock: Some(Clock::fixed(JUNE_FIRST)),
        processor_endpoints: Some(vec![("twilio".into(), twilio.uri()), ("whatsapp".into(), meta.uri())]),
        ..Options::default()
    })
    .await
}

/// A new customer who agreed to reminders on `channels`; answers their id. `details`
/// holds the rest of the record (name, phone, email, ...).
async fn customer_agreeing(api: &crate::harness::Api, mut details: Value, channels: &[&str]) -> String {
    details["consents"] =
        channels.iter().map(|channel| json!({ "channel": channel, "purpose": "reminders", "granted": true })).collect();
    let customer = created(api, "/api/v1/customers", details).await;
    customer["id"].as_str().unwrap().to_string()
}

async fn created(api: &crate::harness::Api, path: &str, body: Value) -> Value {
    let page = api.call(Method::POST, path, Some(body)).await;
    assert_eq!(page.status, StatusCode::CREATED, "POST {path}: {}", page.body);
    page.json()
}

/// Reminders at `reminders`, on `order`, in `language`; no quiet hours; confirmations and notices on.
async fn set_rules(api: &crate::harness::Api, reminders: &str, order: &str, language: &str) {
    let rules = json!({ "reminders": reminders, "channel_order": order, "quiet_from": "00:00", "quiet_until": "00:00",
                        "send_confirmation": true, "send_changes": true, "language": language });
    let page = api.call(Method::PUT, "/api/v1/messaging/rules", Some(rules)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
}

/// Connects a WhatsApp Cloud API sender; answers the channel as the API shows it.
async fn connect_whatsapp(api: &crate::harness::Api) -> Value {
    created(
        api,
        "/api/v1/messaging/channels",
        json!({ "channel": "whatsapp", "account": "106540352242922", "sender": "+919845000000",
                "secret": "EAAGm0PX4ZCpsBAlongtokenvalue", "callback_secret": "meta-app-secret-0001" }),
    )
    .await
}

/// Books `customer` with `staff` at a local `start` in the salon's zone.
async fn book(api: &crate::harness::Api, customer: &str, service: &str, staff: &str, start: &str) -> Value {
    created(
        api,
        "/api/v1/appointments",
        json!({ "customer_id": customer, "service_id": service, "staff_id": staff, "start": start }),
    )
    .await
}

/// Connects the business's own Twilio account and sends only by SMS, no quiet hours.
async fn sms_only(api: &crate::harness::Api) {
    let connected = created(
        api,
        "/api/v1/messaging/channels",
        json!({ "channel": "sms", "account": ACCOUNT, "sender": "+15005550006", "secret": AUTH_TOKEN }),
    )
    .await;
    assert_eq!(connected["secret_hint"], "••••0001");
    assert!(!connected.to_string().contains(AUTH_TOKEN), "the secret never comes back");
    set_rules(api, "24h, 2h", "sms", "en").await;
}

fn signed_twilio(server: &TestServer, path: &str, params: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let url = server.app.link(path);
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    (webhook::twilio_signature(AUTH_TOKEN, &url, &owned), owned)
}

async fn post_form(
    server: &TestServer,
    path: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> StatusCode {
    let mut request = crate::harness::client().post(format!("{}{path}", server.base)).form(params);
    if let Some(signature) = signature {
        request = request.header("X-Twilio-Signature", signature);
    }
    request.send().await.unwrap().status()
}

async fn messages_of(api: &crate::harness::Api, customer: &str) -> Vec<Value> {
    let page = api.call(Method::GET, &format!("/api/v1/customers/{customer}/messages"), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.json().as_array().unwrap().clone()
}

fn by_kind<'a>(messages: &'a [Value], kind: &str, status: &str) -> Vec<&'a Value> {
    messages.iter().filter(|m| m["kind"] == kind && m["status"] == status).collect()
}

#[tokio::test]
async fn reminders_carry_only_the_declared_fields_and_delivery_reports_need_the_signature() {
    // promise: MSG-1
    // promise: SEC-1
    let (twilio, fake, server) = on_june_first_with_twilio().await;
    let shop = server.tenant("reminder-shop").await;
    crate::harness::allergies_field(&server, &shop).await;
    let salon = open_salon(&server, &shop, "Asia/Kolkata").await;
    let api = server.api(&shop.owner_token);
    sms_only(&api).await;
    let customer = created(
        &api,
        "/api/v1/customers",
        json!({ "name": "Asha Surnamekar", "phone": "98450 12345", "email": "asha@customers.example",
                "address": "12 Secret Lane, Bengaluru", "date_of_birth": "1990-04-01",
                "fields": { "Allergies": "peanut-allergy-value" },
                "consents": [{ "channel": "sms", "purpose": "reminders", "granted": true, "source": "form" }] }),
    )
    .await;
    let customer = customer["id"].as_str().unwrap().to_string();
    let note = api
        .call(
            Method::POST,
            &format!("/api/v1/customers/{customer}/notes"),
            Some(json!({ "body": "private-note-words" })),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);

    // Booked on 1 June for 3 June 10:00 IST: a confirmation now, reminders on 2 June 10:00 and 3 June 08:00.
    let booked = book(&api, &customer, &salon.service, &salon.staff[0], "2026-06-03T10:00").await;
    let appointment = booked["appointments"][0]["id"].as_str().unwrap().to_string();
    let queued = messages_of(&api, &customer).await;
    assert_eq!(by_kind(&queued, "confirmation", "pending").len(), 1, "{queued:?}");
    assert_eq!(by_kind(&queued, "reminder", "pending").len(), 2, "{queued:?}");

    let report = worker::dispatch_due(&server.app).await.unwrap();
    assert_eq!((report.sent, report.failed, report.skipped), (1, 0, 0), "only the confirmation is due");
    let bodies = fake.bodies();
    assert_eq!(bodies.len(), 1);
    let confirmation = &bodies[0];
    assert!(confirmation.contains("Asha") && confirmation.contains("Haircut"), "{confirmation}");
    assert!(
        confirmation.contains("Business reminder-shop") && confirmation.contains("Wed 3 Jun, 10:00 AM"),
        "{confirmation}"
    );
    for never in ["Surnamekar", "Secret Lane", "peanut-allergy-value", "private-note-words", "1990", "asha@customers"] {
        assert!(!confirmation.contains(never), "a message carried {never}: {confirmation}");
    }
    assert_eq!(fake.taken.lock().unwrap().first[0].2, "+919845012345");
    let egress = api.call(Method::GET, "/api/v1/egress", None).await.json();
    let record = egress.as_array().unwrap().iter().find(|r| r["processor"] == "twilio").expect("recorded").clone();
    assert_eq!(record["outcome"], "answered 201");
    let fields: Vec<&str> = record["fields"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(fields.contains(&"customer.phone") && fields.contains(&"customer.first_name"), "{fields:?}");

    // A day later the 24-hour reminder is due.
    server.app.clock.advance(33 * HOUR);
    let report = worker::dispatch_due(&server.app).await.unwrap();
    assert_eq!(report.sent, 1);
    let sent = messages_of(&api, &customer).await;
    let reminder = by_kind(&sent, "reminder", "sent")[0].clone();
    let sid = reminder["provider_id"].as_str().unwrap().to_string();
    assert!(sid.starts_with("SM"));

    // Delivery reports: only with Twilio's signature made with the business's auth token.
    let path = "/hooks/twilio/reminder-shop/status";
    let (signature, params) = signed_twilio(&server, path, &[("MessageSid", &sid), ("MessageStatus", "delivered")]);
    assert_eq!(post_form(&server, path, &params, None).await, StatusCode::FORBIDDEN);
    assert_eq!(post_form(&server, path, &params, Some("d3JvbmcgZm9yZ2Vk")).await, StatusCode::FORBIDDEN);
    let forged = webhook::twilio_signature("some-other-token", &server.app.link(path), &params);
    assert_eq!(post_form(&server, path, &params, Some(&forged)).await, StatusCode::FORBIDDEN);
    assert_eq!(by_kind(&messages_of(&api, &customer).await, "reminder", "sent").len(), 1, "unchanged by forgeries");
    assert_eq!(post_form(&server, path, &params, Some(&signature)).await, StatusCode::NO_CONTENT);
    let after = messages_of(&api, &customer).await;
    assert_eq!(by_kind(&after, "reminder", "delivered").len(), 1, "{after:?}");
    // A late "sent" never moves it back.
    let (late, params) = signed_twilio(&server, path, &[("MessageSid", &sid), ("MessageStatus", "sent")]);
    assert_eq!(post_form(&server, path, &params, Some(&late)).await, StatusCode::NO_CONTENT);
    assert_eq!(by_kind(&messages_of(&api, &customer).await, "reminder", "delivered").len(), 1);

    // Moving the appointment withdraws the 2-hour reminder and plans new ones with a notice.
    let moved = api
        .call(
            Method::PATCH,
            &format!("/api/v1/appointments/{appointment}"),
            Some(json!({ "start": "2026-06-05T11:00" })),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let after_move = messages_of(&api, &customer).await;
    assert_eq!(by_kind(&after_move, "reminder", "withdrawn").len(), 1, "{after_move:?}");
    assert_eq!(by_kind(&after_move, "reminder", "pending").len(), 2, "{after_move:?}");
    assert_eq!(by_kind(&after_move, "rescheduled", "pending").len(), 1, "{after_move:?}");
    worker::dispatch_due(&server.app).await.unwrap();
    assert!(fake.bodies().last().unwrap().contains("Fri 5 Jun, 11:00 AM"), "{:?}", fake.bodies());

    // Cancelling withdraws everything pending and sends a notice.
    let cancelled = api
        .call(
            Method::POST,
            &format!("/api/v1/appointments/{appointment}/status"),
            Some(json!({ "status": "cancelled", "reason": "customer called" })),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let after_cancel = messages_of(&api, &customer).await;
    assert!(by_kind(&after_cancel, "reminder", "pending").is_empty(), "{after_cancel:?}");
    worker::dispatch_due(&server.app).await.unwrap();
    let last = fake.bodies().last().unwrap().clone();
    assert!(last.contains("cancelled"), "{last}");
    // Every message went once: the worker never repeats a key.
    assert_eq!(fake.taken.lock().unwrap().repeats, 0);
    twilio.verify().await;
}

#[tokio::test]
async fn a_refusal_a_retry_cannot_mend_falls_back_and_a_rate_limit_retries_later() {
    // promise: MSG-1
    let (twilio, fake) = FakeTwilio::new().start().await;
    let meta = MockServer::start().await;
    // WhatsApp: the template is not approved in this language (Meta's 132001).
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "error": {
            "message": "(#132001) Template name does not exist in the translation", "type": "OAuthException",
            "code": 132001, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam" } })))
        .mount(&meta)
        .await;
    let server = on_june_first_with_twilio_and(&twilio, &meta).await;
    let shop = server.tenant("fallback-shop").await;
    let salon = open_salon(&server, &shop, "Asia/Kolkata").await;
    let api = server.api(&shop.owner_token);
    sms_only(&api).await;
    connect_whatsapp(&api).await;
    set_rules(&api, "", "whatsapp, sms", "en").await;
    let customer =
        customer_agreeing(&api, json!({ "name": "Ravi Kumar", "phone": "9845011111" }), &["whatsapp", "sms"]).await;
    // Twilio first says "too many requests" for this number.
    fake.taken.lock().unwrap().refusals.insert(
        "+919845011111".into(),
        vec![(429, json!({ "code": 20429, "message": "Too Many Requests", "status": 429 }))],
    );
    book(&api, &customer, &salon.service, &salon.staff[0], "2026-06-03T10:00").await;
    // WhatsApp refuses for good: the message moves to SMS at once, where Twilio asks to slow down.
    worker::dispatch_due(&server.app).await.unwrap();
    let messages = messages_of(&api, &customer).await;
    let confirmation = &messages[0];
    assert_eq!(confirmation["status"], "pending", "{confirmation}");
    assert_eq!(confirmation["channel"], "sms");
    assert!(confirmation["error"].as_str().unwrap().contains("132001"), "{confirmation}");
    // The fallback goes out on the next pass; the rate limit sends it back with a backoff.
    worker::dispatch_due(&server.app).await.unwrap();
    let messages = messages_of(&api, &customer).await;
    assert_eq!(messages[0]["status"], "pending", "{:?}", messages[0]);
    assert!(messages[0]["error"].as_str().unwrap().contains("20429"));
    assert!(fake.bodies().is_empty());
    assert_eq!(worker::dispatch_due(&server.app).await.unwrap().total(), 0, "not before the backoff");
    server.app.clock.advance(HOUR);
    worker::dispatch_due(&server.app).await.unwrap();
    let messages = messages_of(&api, &customer).await;
    assert_eq!(messages[0]["status"], "sent", "{:?}", messages[0]);
    assert_eq!(fake.bodies().len(), 1);

    // A number Twilio calls invalid fails for good (no channel left) and can be retried by hand.
    let customer = customer_agreeing(&api, json!({ "name": "Bad Number", "phone": "+999 1234 5678" }), &["sms"]).await;
    book(&api, &customer, &salon.service, &salon.staff[1], "2026-06-03T11:00").await;
    worker::dispatch_due(&server.app).await.unwrap();
    let failed = messages_of(&api, &customer).await;
    assert_eq!(failed[0]["status"], "failed", "{:?}", failed[0]);
    assert!(failed[0]["error"].as_str().unwrap().contains("21211"));
    let id = failed[0]["id"].as_str().unwrap();
    let retried = api.call(Method::POST, &format!("/api/v1/messages/{id}/retry"), None).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.json()["status"], "pending");
    let again = api.call(Method::POST, &format!("/api/v1/messages/{id}/retry"), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "only a failed message can be retried: {}", again.body);
}

#[tokio::test]
async fn opt_outs_withdraw_consent_at_once_and_whatsapp_webhooks_need_the_token_and_signature() {
    // promise: SEC-1
    // promise: MSG-1
    let (twilio, _fake) = FakeTwilio::new().start().await;
    let meta = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "messaging_product": "whatsapp",
            "contacts": [{ "input": "919845022222", "wa_id": "919845022222" }], "messages": [{ "id": "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA" }] })))
        .mount(&meta)
        .await;
    let server = on_june_first_with_twilio_and(&twilio, &meta).await;
    let shop = server.tenant("optout-shop").await;
    let salon = open_salon(&server, &shop, "Asia/Kolkata").await;
    let api = server.api(&shop.owner_token);
    sms_only(&api).await;
    let whatsapp = connect_whatsapp(&api).await;
    let verify_token = whatsapp["verify_token"].as_str().unwrap().to_string();
    let customer =
        customer_agreeing(&api, json!({ "name": "Meena Iyer", "phone": "9845022222" }), &["whatsapp", "sms"]).await;
    set_rules(&api, "", "whatsapp, sms", "hi").await;
    book(&api, &customer, &salon.service, &salon.staff[0], "2026-06-03T10:00").await;
    worker::dispatch_due(&server.app).await.unwrap();
    let sent = messages_of(&api, &customer).await;
    assert_eq!(sent[0]["channel"], "whatsapp");
    assert_eq!(sent[0]["status"], "sent");
    let wamid = sent[0]["provider_id"].as_str().unwrap().to_string();
    let requests = meta.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["template"]["name"], "steward_confirmation");
    assert_eq!(body["template"]["language"]["code"], "hi", "the business writes in Hindi");
    assert_eq!(body["template"]["components"][0]["parameters"][0]["text"], "Meena");

    // Meta's subscription check: only the token the settings page shows.
    let http = crate::harness::client();
    let hook = format!("{}/hooks/whatsapp/optout-shop", server.base);
    let wrong = http
        .get(format!("{hook}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let right = http
        .get(format!("{hook}?hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=1158201444"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(right.text().await.unwrap(), "1158201444");

    // Statuses and an opt-out, signed with the app secret; unsigned ones change nothing.
    let notification = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "102290129340398", "changes": [{
        "field": "messages", "value": { "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "919845000000", "phone_number_id": "106540352242922" },
            "statuses": [{ "id": wamid, "status": "read", "timestamp": "1780300000", "recipient_id": "919845022222" }],
            "messages": [{ "from": "919845022222", "id": "wamid.in1", "timestamp": "1780300001", "type": "text", "text": { "body": "STOP" } }] } }] }] });
    let raw = serde_json::to_vec(&notification).unwrap();
    let unsigned = http.post(&hook).header("content-type", "application/json").body(raw.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
    let bad = http
        .post(&hook)
        .header("x-hub-signature-256", webhook::hub_signature_256("not-the-secret", &raw))
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    assert_eq!(messages_of(&api, &customer).await[0]["status"], "sent");
    let good = http
        .post(&hook)
        .header("x-hub-signature-256", webhook::hub_signature_256("meta-app-secret-0001", &raw))
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), StatusCode::OK);
    let read = messages_of(&api, &customer).await;
    assert_eq!(read[0]["status"], "read");
    assert!(read[0]["read_at"].is_string());
    let detail = api.call(Method::GET, &format!("/api/v1/customers/{customer}"), None).await.json();
    let consents = detail["consents"].as_array().unwrap();
    let whatsapp_reminders =
        consents.iter().find(|c| c["channel"] == "whatsapp" && c["purpose"] == "reminders").unwrap();
    assert_eq!(whatsapp_reminders["granted"], false, "{consents:?}");
    assert_eq!(whatsapp_reminders["source"], "whatsapp_opt_out");

    // An SMS "STOP" to the business's number withdraws SMS consent too.
    let path = "/hooks/twilio/optout-shop/inbound";
    let (signature, params) =
        signed_twilio(&server, path, &[("From", "+919845022222"), ("To", "+15005550006"), ("Body", "Stop")]);
    assert_eq!(post_form(&server, path, &params, Some(&signature)).await, StatusCode::OK);
    // With no channel the customer still agrees to, the next message is not sent, and says why.
    book(&api, &customer, &salon.service, &salon.staff[0], "2026-06-04T10:00").await;
    worker::dispatch_due(&server.app).await.unwrap();
    let skipped = messages_of(&api, &customer).await;
    assert_eq!(skipped[0]["status"], "skipped", "{:?}", skipped[0]);
    let why = skipped[0]["error"].as_str().unwrap();
    assert!(
        why.contains("no consent to reminders by whatsapp") && why.contains("no consent to reminders by sms"),
        "{why}"
    );
    assert_eq!(meta.received_requests().await.unwrap().len(), 1, "nothing more went to WhatsApp");
}

#[tokio::test]
async fn templates_refuse_undeclared_fields_and_preview_with_made_up_values() {
    // promise: MSG-1
    let server = TestServer::start().await;
    let shop = server.tenant("template-shop").await;
    let api = server.api(&shop.owner_token);
    let refused = api
        .call(
            Method::PUT,
            "/api/v1/messaging/templates",
            Some(json!({ "kind": "reminder", "language": "en", "body": "Hi {first_name}, about {notes}" })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(refused.json()["error"]["field"], "body");
    let saved = api
        .call(
            Method::PUT,
            "/api/v1/messaging/templates",
            Some(json!({ "kind": "reminder", "language": "hi", "body": "नमस्ते {first_name}, {time} पर {service}", "whatsapp_template": "salon_reminder_hi" })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["preview"], "नमस्ते Asha, Mon 1 Dec, 10:30 AM पर Haircut");
    let preview = api
        .call(Method::POST, "/api/v1/messaging/templates/preview", Some(json!({ "body": "{business}: {link}" })))
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert_eq!(preview.json()["text"], format!("Business template-shop: {}", server.app.link("/b/template-shop")));
    let all = api.call(Method::GET, "/api/v1/messaging/templates", None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 10, "five kinds in English and Hindi");
    let bad_channel = api
        .call(
            Method::POST,
            "/api/v1/messaging/channels",
            Some(json!({ "channel": "sms", "account": "not-a-sid", "sender": "+15005550006", "secret": "0123456789abcdef" })),
        )
        .await;
    assert_eq!(bad_channel.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_channel.json()["error"]["field"], "account");
    let bad_rules = api
        .call(
            Method::PUT,
            "/api/v1/messaging/rules",
            Some(json!({ "reminders": "2 weeks", "channel_order": "sms", "quiet_from": "21:00", "quiet_until": "08:00", "language": "en" })),
        )
        .await;
    assert_eq!(bad_rules.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_rules.json()["error"]["field"], "reminders");
    // With nothing connected the page says so; messages are still planned and shown as skipped.
    let mut browser = server.browser();
    browser.log_in("template-shop", "owner@template-shop.example", crate::harness::PASSWORD).await;
    let page = browser.get("/app/settings/messaging").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"no-channel\""), "{}", page.body);
}

#[tokio::test]
async fn reminders_by_email_go_through_a_real_smtp_server_once() {
    // promise: MSG-1
    let Some(smtp) = SmtpServer::start().await else {
        skip_or_fail("aiosmtpd (pip install aiosmtpd)");
        return;
    };
    let server = TestServer::start_with(Options {
        clock: Some(Clock::fixed(JUNE_FIRST)),
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await;
    let shop = server.tenant("email-shop").await;
    let salon = open_salon(&server, &shop, "Asia/Kolkata").await;
    let api = server.api(&shop.owner_token);
    set_rules(&api, "", "email", "en").await;
    let customer = customer_agreeing(
        &api,
        json!({ "name": "Kiran Rao", "email": "kiran@customers.example", "address": "99 Hidden Road" }),
        &["email"],
    )
    .await;
    book(&api, &customer, &salon.service, &salon.staff[0], "2026-06-03T10:00").await;
    let report = worker::dispatch_due(&server.app).await.unwrap();
    assert_eq!(report.sent, 1);
    let text = smtp.wait_for_text("kiran@customers.example", "/b/email-shop").await;
    assert!(text.contains("Kiran") && !text.contains("Rao,") && !text.contains("Hidden Road"), "{text}");
    let messages = messages_of(&api, &customer).await;
    let message_id = messages[0]["provider_id"].as_str().unwrap();
    assert!(text.contains(message_id.trim_matches(['<', '>'])), "the outbox key is the Message-ID");
    assert_eq!(worker::dispatch_due(&server.app).await.unwrap().total(), 0);
    assert_eq!(smtp.messages().iter().filter(|m| m.contains("kiran@customers.example")).count(), 1);
}

/// A master key for the crash test: the seeding here and `serve` there must share it.
const CRASH_KEY: &str = "6a1f0c3e9b7d5a2c4e8f1b3d5c7a9e0f2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a";

/// A salon with one staff member, `n` customers who agreed to SMS reminders, one
/// appointment each (15 minutes apart from 3 June 2026), and a 1-day reminder queued for
/// each by the booking planner, so every reminder is due when `serve` starts.
async fn seed_due_reminders(data: &str, twilio: &str, n: usize) {
    use steward_app::messaging::outbox::{About, Planner};
    use steward_app::messaging::settings::{self, ChannelInput, RulesInput};
    use steward_domain::ids::{AppointmentId, ConsentId, CustomerId};
    use steward_domain::time::Timestamp;
    use steward_store::booking::appointments::NewAppointment;
    use steward_store::customers::consents::ConsentRow;
    use steward_store::customers::records::{CustomerValues, NewCustomer};
    let store = steward_store::Store::open(&format!("sqlite://{data}/steward.db"), 2).await.unwrap();
    store.migrate().await.unwrap();
    store.publish_policy_versions().await.unwrap();
    let settings = steward_app::AppSettings {
        processor_endpoints: vec![("twilio".into(), twilio.into())],
        ..steward_app::AppSettings::default()
    };
    let master = steward_crypto::master_key::MasterKey::from_hex(CRASH_KEY).unwrap();
    let mut app = steward_app::App::new(store.clone(), settings, master, steward_app::mail::Mailer::Console).unwrap();
    app.clock = Clock::fixed(JUNE_FIRST);
    let (tenant, _) = steward_app::tenancy::create_tenant(
        &app,
        steward_app::tenancy::NewTenant {
            business_name: "Crash Salon".into(),
            slug: "crash-salon".into(),
            country: "IN".into(),
            time_zone: "Asia/Kolkata".into(),
            owner_name: "Owner".into(),
            owner_email: "owner@crash-salon.example".into(),
            owner_password: crate::harness::PASSWORD.into(),
            accepted_policy: true,
            owner_email_verified: true,
            ip: None,
        },
    )
    .await
    .unwrap();
    let issued = steward_app::access::auth::log_in(
        &app,
        "crash-salon",
        "owner@crash-salon.example",
        crate::harness::PASSWORD,
        &Default::default(),
        None,
    )
    .await
    .unwrap();
    let owner = steward_app::access::auth::authenticate_session(&app, &issued.cookie_value).await.unwrap();
    let channel = ChannelInput {
        channel: "sms".into(),
        account: ACCOUNT.into(),
        sender: "+15005550006".into(),
        secret: AUTH_TOKEN.into(),
        callback_secret: None,
    };
    settings::connect(&app, &owner, &channel).await.unwrap();
    let rules = RulesInput {
        reminders: "1d".into(),
        channel_order: "sms".into(),
        quiet_from: "00:00".into(),
        quiet_until: "00:00".into(),
        language: "en".into(),
        ..RulesInput::default()
    };
    settings::save_rules(&app, &owner, &rules).await.unwrap();
    let setup = steward_app::booking::setup::create_location(
        &app,
        &owner,
        &steward_app::booking::setup::LocationInput {
            name: Some("Main Road".into()),
            address: None,
            time_zone: Some("Asia/Kolkata".into()),
        },
    )
    .await
    .unwrap();
    let service = steward_app::booking::setup::create_service(
        &app,
        &owner,
        &serde_json::from_value(json!({ "name": "Haircut", "duration_minutes": 15, "price": "300" })).unwrap(),
    )
    .await
    .unwrap();
    let staff = steward_app::booking::setup::create_staff(
        &app,
        &owner,
        &serde_json::from_value(json!({ "name": "Meera", "service_ids": [service.id.to_string()] })).unwrap(),
    )
    .await
    .unwrap();
    let mut tx = store.begin_tenant(tenant.id).await.unwrap();
    let planner = Planner::load(&mut tx).await.unwrap();
    let customers: Vec<NewCustomer> = (0..n)
        .map(|i| NewCustomer {
            id: CustomerId::generate(),
            values: CustomerValues {
                name: format!("Customer {i}"),
                name_key: format!("customer {i}"),
                phone: Some(format!("+9198450{i:05}")),
                email: None,
                address: None,
                date_of_birth: None,
                source: "import".into(),
                preferred_channel: None,
            },
            terms: Vec::new(),
            tags: Vec::new(),
            created_by: None,
        })
        .collect();
    steward_store::customers::records::insert_many(&mut tx, &customers, JUNE_FIRST).await.unwrap();
    let minute = 60_000_000;
    for (i, customer) in customers.iter().enumerate() {
        let consent = ConsentRow {
            id: ConsentId::generate(),
            customer_id: customer.id,
            channel: "sms".into(),
            purpose: "reminders".into(),
            granted: true,
            source: "form".into(),
            recorded_by: None,
            recorded_by_name: None,
            recorded_at: JUNE_FIRST,
        };
        steward_store::customers::consents::insert(&mut tx, &consent).await.unwrap();
        let starts_at = JUNE_FIRST + 48 * HOUR + i as i64 * 15 * minute;
        let appointment = NewAppointment {
            id: AppointmentId::generate(),
            customer_id: customer.id,
            service_id: service.id,
            staff_id: staff.id,
            location_id: setup.id,
            starts_at: Timestamp::from_micros(starts_at),
            ends_at: Timestamp::from_micros(starts_at + 15 * minute),
            blocked_from: Timestamp::from_micros(starts_at),
            blocked_until: Timestamp::from_micros(starts_at + 15 * minute),
            price_paise: 30_000,
            gst_rate_bp: 1_800,
            notes: None,
            series_id: None,
            booked_via: "staff",
            created_by: None,
        };
        steward_store::booking::appointments::insert(&mut tx, &appointment, Timestamp::from_micros(JUNE_FIRST))
            .await
            .unwrap();
        let about = About { appointment: appointment.id, customer: customer.id, service: service.id, starts_at };
        assert_eq!(planner.booked(&mut tx, &about, JUNE_FIRST).await.unwrap(), 1);
    }
    tx.commit().await.unwrap();
    store.close().await;
}

async fn message_statuses(data: &str) -> Vec<(String, String, Option<String>)> {
    let store = steward_store::Store::open(&format!("sqlite://{data}/steward.db"), 1).await.unwrap();
    let mut platform = store.begin_platform().await.unwrap();
    let tenant = steward_store::tenancy::tenants::find_by_slug(&mut platform, "crash-salon").await.unwrap().unwrap();
    platform.commit().await.unwrap();
    let mut tx = store.begin_tenant_read(tenant.id).await.unwrap();
    let rows = steward_store::messaging::outbox::recent(&mut tx, None, 5000).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    rows.into_iter().map(|m| (m.idempotency_key, m.status.name().to_string(), m.provider_id)).collect()
}

#[tokio::test]
async fn a_worker_killed_mid_send_delivers_each_reminder_once_after_restart() {
    // promise: MSG-1
    const REMINDERS: usize = 1000;
    let fake = FakeTwilio { delay: std::time::Duration::from_millis(200), ..FakeTwilio::new() };
    let (twilio, fake) = fake.start().await;
    let dir = crate::harness::ScratchDir::new("message-crash");
    let data = dir.0.to_string_lossy().to_string();
    seed_due_reminders(&data, &twilio.uri(), REMINDERS).await;
    let serve = || {
        let mut command = crate::cli::steward();
        command
            .args(["--data-dir", &data, "--listen", "127.0.0.1:0", "serve"])
            .env("STEWARD_MASTER_KEY", CRASH_KEY)
            .env("STEWARD_TWILIO_API_URL", twilio.uri())
            .env("STEWARD_MESSAGE_LEASE_SECONDS", "2")
            .env("STEWARD_RETENTION_SWEEP_MINUTES", "0");
        crate::cli::Running::start(command)
    };
    let first = serve();
    let taken = |fake: &FakeTwilio| fake.taken.lock().unwrap().first.len();
    for _ in 0..600 {
        if taken(&fake) >= REMINDERS / 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    first.kill_hard();
    let before_restart = taken(&fake);
    assert!((1..REMINDERS).contains(&before_restart), "killed mid-send: {before_restart} taken");

    let second = serve();
    for _ in 0..600 {
        let statuses = message_statuses(&data).await;
        if statuses.iter().all(|(_, status, _)| status == "sent") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    second.terminate();
    let statuses = message_statuses(&data).await;
    assert_eq!(statuses.len(), REMINDERS);
    let taken = fake.taken.lock().unwrap();
    assert_eq!(taken.first.len(), REMINDERS, "each reminder reached the provider under its own key");
    let mut keys: Vec<&String> = taken.first.iter().map(|(key, _, _, _)| key).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), REMINDERS, "no key was taken twice");
    for (key, status, provider_id) in &statuses {
        assert_eq!(status, "sent", "{key}");
        let sid = taken.sids.get(&format!("{key}:sms")).unwrap_or_else(|| panic!("{key} never reached the provider"));
        assert_eq!(provider_id.as_ref(), Some(sid), "{key}: the provider's id for that key is recorded");
    }
    // Only what was in flight at the kill went again, with the same key.
    assert!(taken.repeats <= worker::BATCH as usize, "{} repeats", taken.repeats);
}

#[tokio::test]
async fn members_are_alerted_to_new_devices_password_changes_and_new_tokens() {
    // promise: MSG-2
    use steward_app::access::auth::{self, ClientInfo};
    let Some(smtp) = SmtpServer::start().await else {
        skip_or_fail("aiosmtpd (pip install aiosmtpd)");
        return;
    };
    let server = TestServer::start_with(Options { smtp_url: Some(smtp.url()), ..Options::default() }).await;
    let shop = server.tenant("alert-shop").await;
    let email = "owner@alert-shop.example";
    let alerts = |subject: &'static str| {
        smtp.messages().into_iter().filter(move |m| m.contains(email) && m.contains(subject)).count()
    };
    let firefox = ClientInfo {
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into()),
        request_id: None,
    };
    // The fixture signed in once already (no browser named); a new browser is a new device.
    auth::log_in(&server.app, "alert-shop", email, crate::harness::PASSWORD, &firefox, None).await.unwrap();
    let text = smtp.wait_for_text(email, "New sign-in").await;
    assert!(text.contains("New sign-in") && text.contains("Firefox") && text.contains("203.0.113.7"), "{text}");
    // The same browser again is not new.
    auth::log_in(&server.app, "alert-shop", email, crate::harness::PASSWORD, &firefox, None).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(alerts("New sign-in"), 1);

    steward_app::access::tokens::create(&server.app, &shop.owner, "reporting script", &["customers.read".into()], None)
        .await
        .unwrap();
    let text = smtp.wait_for_text(email, "reporting script").await;
    assert!(text.contains("reporting script"), "{text}");

    auth::change_password(&server.app, &shop.owner, crate::harness::PASSWORD, "a whole new passphrase 2026")
        .await
        .unwrap();
    let text = smtp.wait_for_text(email, "was changed").await;
    assert!(text.contains("/forgot"), "{text}");
    for message in smtp.messages() {
        assert!(!message.contains(crate::harness::PASSWORD), "no alert carries a secret");
    }
}

#[tokio::test]
async fn a_test_message_shows_whether_the_connected_account_works() {
    // promise: SEC-1
    let (twilio, fake) = FakeTwilio::new().start().await;
    let server = TestServer::start_with(Options {
        processor_endpoints: Some(vec![("twilio".into(), twilio.uri())]),
        ..Options::default()
    })
    .await;
    let shop = server.tenant("test-send-shop").await;
    let api = server.api(&shop.owner_token);
    let not_connected =
        api.call(Method::POST, "/api/v1/messaging/test", Some(json!({ "channel": "sms", "to": "9845033333" }))).await;
    assert_eq!(not_connected.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_connected.body);
    created(
        &api,
        "/api/v1/messaging/channels",
        json!({ "channel": "sms", "account": ACCOUNT, "sender": "+15005550006", "secret": "a-wrong-auth-token-000" }),
    )
    .await;
    let refused =
        api.call(Method::POST, "/api/v1/messaging/test", Some(json!({ "channel": "sms", "to": "9845033333" }))).await;
    assert_eq!(refused.status, StatusCode::OK);
    let refused = refused.json();
    assert_eq!(refused["sent"], false);
    assert!(refused["error"].as_str().unwrap().contains("20003"), "Twilio's authentication error is shown: {refused}");
    created(
        &api,
        "/api/v1/messaging/channels",
        json!({ "channel": "sms", "account": ACCOUNT, "sender": "+15005550006", "secret": AUTH_TOKEN }),
    )
    .await;
    let sent = api
        .call(Method::POST, "/api/v1/messaging/test", Some(json!({ "channel": "sms", "to": "9845033333" })))
        .await
        .json();
    assert_eq!(sent["sent"], true, "{sent}");
    assert!(sent["provider_id"].as_str().unwrap().starts_with("SM"));
    let (_, _, to, body) = fake.taken.lock().unwrap().first[0].clone();
    assert_eq!(to, "+919845033333");
    assert!(body.contains("Business test-send-shop"));
    // The audit log names what changed on the channel, never the secret.
    let audit = api.call(Method::GET, "/api/v1/audit/events", None).await.body;
    assert!(
        audit.contains("messaging.channel_connected")
            && !audit.contains(AUTH_TOKEN)
            && !audit.contains("a-wrong-auth-token")
    );
}

#[tokio::test]
async fn the_link_in_a_message_lets_the_customer_see_and_cancel_their_appointment() {
    // promise: MSG-1
    let (_twilio, fake, server) = on_june_first_with_twilio().await;
    let shop = server.tenant("link-shop").await;
    let salon = open_salon(&server, &shop, "Asia/Kolkata").await;
    let api = server.api(&shop.owner_token);
    sms_only(&api).await;
    let customer = customer_agreeing(&api, json!({ "name": "Lata Link", "phone": "9845066666" }), &["sms"]).await;
    book(&api, &customer, &salon.service, &salon.staff[0], "2026-06-03T10:00").await;
    worker::dispatch_due(&server.app).await.unwrap();
    let text = fake.bodies()[0].clone();
    let link = text.split_whitespace().find(|w| w.contains("/b/link-shop/manage/")).expect("a link").to_string();
    let path = crate::harness::path_of(&link);
    // The business's message log names the customer and says when, in words.
    let mut owner = server.browser();
    owner.log_in("link-shop", "owner@link-shop.example", crate::harness::PASSWORD).await;
    let log = owner.get("/app/messages").await.body;
    assert!(log.contains(&format!(r#"<a href="/app/customers/{customer}">Lata Link</a>"#)), "{log}");
    assert!(log.contains(r#"title="Mon 1 Jun, 5:30 am">just now</time>"#), "{log}");

    let mut visitor = server.browser();
    let page = visitor.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Haircut") && page.body.contains("Wed 3 Jun 2026, 10:00 am"), "{}", page.body);
    // A link with one character changed, or for another business, opens nothing.
    let last = path.chars().last().unwrap();
    let forged = format!("{}{}", &path[..path.len() - 1], if last == '0' { '1' } else { '0' });
    assert_eq!(visitor.get(&forged).await.status, StatusCode::GONE);
    server.tenant("other-shop").await;
    assert_eq!(visitor.get(&path.replace("/b/link-shop/", "/b/other-shop/")).await.status, StatusCode::GONE);

    let csrf = page.csrf();
    let cancelled = visitor.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert!(cancelled.body.contains("Your appointment is cancelled"));
    let messages = messages_of(&api, &customer).await;
    assert!(by_kind(&messages, "reminder", "pending").is_empty(), "{messages:?}");
    assert_eq!(by_kind(&messages, "reminder", "withdrawn").len(), 2);
    assert_eq!(by_kind(&messages, "cancelled", "pending").len(), 1);
    let again = visitor.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

/// Queues messages for one customer in one transaction, each due at the given offset
/// from `base`.
async fn queue(store: &steward_store::Store, tenant: steward_domain::ids::TenantId, base: i64, due_in: &[i64]) {
    use steward_store::messaging::outbox::{self, NewMessage};
    let customer = steward_domain::ids::CustomerId(uuid::Uuid::now_v7());
    let messages: Vec<NewMessage> = due_in
        .iter()
        .map(|offset| NewMessage {
            id: uuid::Uuid::now_v7(),
            customer_id: customer,
            appointment_id: None,
            kind: "reminder",
            rule: "24h".into(),
            channel: None,
            language: "en".into(),
            idempotency_key: uuid::Uuid::now_v7().to_string(),
            due_at: base + offset,
            send_at: base + offset,
        })
        .collect();
    let mut tx = store.begin_tenant(tenant).await.expect("begin");
    outbox::insert_many(&mut tx, &messages, base).await.expect("queue");
    tx.commit().await.expect("commit");
}

async fn wakeup(server: &TestServer) -> Option<i64> {
    let mut platform = server.store.begin_platform().await.expect("begin");
    let due = steward_store::messaging::outbox::next_wakeup(&mut platform).await.expect("wakeup");
    platform.commit().await.expect("commit");
    due
}

#[tokio::test]
async fn the_wakeup_follows_the_soonest_message_however_a_transaction_queues_them() {
    let server = TestServer::start().await;
    let fixture = server.tenant("wakeup-order").await;
    let base = JUNE_FIRST;
    // Later first, then sooner, then later again: the soonest wins inside one transaction
    // (PostgreSQL moves the wakeup once per transaction unless a message is sooner).
    queue(&server.store, fixture.tenant, base, &[3 * HOUR, HOUR, 2 * HOUR]).await;
    assert_eq!(wakeup(&server).await, Some(base + HOUR));
    queue(&server.store, fixture.tenant, base, &[5 * HOUR]).await;
    assert_eq!(wakeup(&server).await, Some(base + HOUR), "a later message leaves the wakeup");
    queue(&server.store, fixture.tenant, base, &[4 * HOUR, 30 * 60_000_000]).await;
    assert_eq!(wakeup(&server).await, Some(base + 30 * 60_000_000), "a sooner message moves it");

    // The worker's rewind sets it to the soonest pending message, found by the index.
    let mut tx = server.store.begin_tenant(fixture.tenant).await.expect("begin");
    tx.execute(
        "UPDATE messages SET status = 'skipped' WHERE tenant_id = $1 AND due_at <= $2",
        steward_store::args![base + HOUR],
    )
    .await
    .expect("skip the two soonest");
    steward_store::messaging::outbox::rewind_wakeup(&mut tx).await.expect("rewind");
    tx.commit().await.expect("commit");
    assert_eq!(wakeup(&server).await, Some(base + 2 * HOUR));
}

#[tokio::test]
async fn a_message_committed_while_the_worker_rewinds_is_never_left_behind_the_wakeup() {
    let server = TestServer::start().await;
    let fixture = server.tenant("wakeup-race").await;
    let base = JUNE_FIRST;
    queue(&server.store, fixture.tenant, base, &[HOUR, 10 * HOUR]).await;
    assert_eq!(wakeup(&server).await, Some(base + HOUR));

    // The worker settles the soonest message and rewinds, and has not committed yet.
    let mut rewinding = server.store.begin_tenant(fixture.tenant).await.expect("begin");
    rewinding
        .execute(
            "UPDATE messages SET status = 'skipped' WHERE tenant_id = $1 AND due_at = $2",
            steward_store::args![base + HOUR],
        )
        .await
        .expect("settle");
    steward_store::messaging::outbox::rewind_wakeup(&mut rewinding).await.expect("rewind");

    // Meanwhile a booking queues a message due before the rewound wakeup (10 h). When it
    // commits it finds the wakeup early enough (1 h, as committed), unless it waits for the
    // rewind: on PostgreSQL its commit waits for the rewind's lock, on SQLite its begin
    // waits for the one writer.
    let store = server.store.clone();
    let tenant = fixture.tenant;
    let booking = tokio::spawn(async move { queue(&store, tenant, base, &[2 * HOUR]).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    rewinding.commit().await.expect("commit the rewind");
    booking.await.expect("the booking commits");
    assert_eq!(wakeup(&server).await, Some(base + 2 * HOUR), "the worker is woken for the booking's message");
}

#[tokio::test]
async fn a_batch_is_claimed_lapsed_first_then_soonest_and_settled_by_outcome() {
    use steward_store::messaging::outbox::{self, Settled};
    let server = TestServer::start().await;
    let fixture = server.tenant("settle-batch").await;
    let base = JUNE_FIRST;
    queue(&server.store, fixture.tenant, base, &[3 * HOUR, HOUR, 2 * HOUR, 30 * HOUR]).await;
    let now = base + 4 * HOUR;

    // The soonest two are claimed, and their claim lapses.
    let mut tx = server.store.begin_tenant(fixture.tenant).await.expect("begin");
    let first = outbox::claim(&mut tx, now, now + 60_000_000, 2).await.expect("claim");
    tx.commit().await.expect("commit");
    let mut due: Vec<i64> = first.iter().map(|m| m.due_at - base).collect();
    due.sort_unstable();
    assert_eq!(due, vec![HOUR, 2 * HOUR], "the soonest due first");

    // After the lease, a claim takes the lapsed two, then the one still due; the one due
    // in 30 hours is not due.
    let later = now + 120_000_000;
    let mut tx = server.store.begin_tenant(fixture.tenant).await.expect("begin");
    let second = outbox::claim(&mut tx, later, later + 60_000_000, 10).await.expect("claim");
    assert_eq!(second.len(), 3);
    assert_eq!(second.iter().filter(|m| m.attempts == 2).count(), 2, "the lapsed claims are taken again");
    let skipped = Settled::Skipped { reason: "no channel".into() };
    let failed = Settled::Failed { channel: Some("sms".into()), error: "refused".into() };
    let outcomes = vec![(second[0].id, skipped.clone()), (second[1].id, failed), (second[2].id, skipped)];
    outbox::settle_all(&mut tx, &outcomes, later).await.expect("settle");
    tx.commit().await.expect("commit");

    let mut tx = server.store.begin_tenant_read(fixture.tenant).await.expect("begin");
    let mut statuses = Vec::new();
    for (id, _) in &outcomes {
        let row = outbox::find(&mut tx, *id).await.expect("find").expect("stored");
        statuses.push((row.status.name().to_string(), row.error));
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        statuses,
        vec![
            ("skipped".to_string(), Some("no channel".to_string())),
            ("failed".to_string(), Some("refused".to_string())),
            ("skipped".to_string(), Some("no channel".to_string())),
        ]
    );
}
