//! The HTTP server under clients that misbehave, and behind a reverse proxy (issue 23):
//! slow and idle connections are closed, a stalled body gets 408, idle connections make
//! room at the connection limit, a request after an unread body is not lost, rate limits and the audit log
//! see the client behind a trusted proxy, and `/metrics` is not opened by the proxy.
//!
//! The server's clocks are set to a second or a few so the tests wait briefly; every
//! wait for something to happen is generous, for a loaded two-core machine.

use crate::harness::{Options, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use steward_web::client_address::{ProxyHeader, TrustedProxies};
use steward_web::{ServerSettings, WebSettings};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const GENEROUS: Duration = Duration::from_secs(20);

fn clocks(header: u64, body: u64, idle: u64) -> ServerSettings {
    ServerSettings {
        header_timeout: Duration::from_secs(header),
        body_timeout: Duration::from_secs(body),
        idle_timeout: Duration::from_secs(idle),
        ..ServerSettings::default()
    }
}

fn address(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

async fn connect(server: &TestServer) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(address(server)).await.expect("connect"))
}

async fn send(stream: &mut BufReader<TcpStream>, bytes: &[u8]) -> bool {
    stream.get_mut().write_all(bytes).await.is_ok()
}

#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
}

impl RawResponse {
    fn says_close(&self) -> bool {
        self.headers.iter().any(|(name, value)| name == "connection" && value.eq_ignore_ascii_case("close"))
    }
}

/// Reads one response (with a Content-Length body); `None` if the connection ended or
/// nothing came in time.
async fn read_response(stream: &mut BufReader<TcpStream>, within: Duration) -> Option<RawResponse> {
    tokio::time::timeout(within, async {
        let mut line = String::new();
        if stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let status = line.split_whitespace().nth(1)?.parse().ok()?;
        let mut headers = Vec::new();
        let mut length = 0;
        loop {
            line.clear();
            if stream.read_line(&mut line).await.ok()? == 0 {
                return None;
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':')?;
            let (name, value) = (name.to_ascii_lowercase(), value.trim().to_string());
            if name == "content-length" {
                length = value.parse().ok()?;
            }
            headers.push((name, value));
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.ok()?;
        Some(RawResponse { status, headers })
    })
    .await
    .ok()
    .flatten()
}

/// Whether the server closed the connection within the time (whatever it sent first).
async fn closed_within(stream: &mut BufReader<TcpStream>, within: Duration) -> bool {
    tokio::time::timeout(within, async {
        let mut sink = [0u8; 1024];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: steward.test\r\n\r\n";
const READYZ: &[u8] = b"GET /readyz HTTP/1.1\r\nHost: steward.test\r\n\r\n";

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    // promise: SEC-2
    let server = TestServer::start_with(Options { server: Some(clocks(1, 1, 6)), ..Default::default() }).await;

    let mut silent = connect(&server).await;
    let mut half_sent = connect(&server).await;
    assert!(send(&mut half_sent, b"GET /healthz HTTP/1.1\r\nHost: steward.test\r\n").await);
    let mut trickling = connect(&server).await;
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut stream = connect(&server).await;
        send(&mut stream, b"GET /readyz HTTP/1.1\r\nHo").await;
        stalled.push(stream);
    }
    // Beside 300 stalled connections /readyz still answers at once.
    let mut probe = connect(&server).await;
    assert!(send(&mut probe, READYZ).await);
    assert_eq!(read_response(&mut probe, GENEROUS).await.map(|r| r.status), Some(200));

    // A kept-alive connection may wait for its next request longer than a head may take.
    let mut kept = connect(&server).await;
    assert!(send(&mut kept, HEALTHZ).await);
    assert_eq!(read_response(&mut kept, GENEROUS).await.map(|r| r.status), Some(200));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(send(&mut kept, HEALTHZ).await);
    assert_eq!(
        read_response(&mut kept, GENEROUS).await.map(|r| r.status),
        Some(200),
        "an idle wait of 2.5 s is within the idle timeout (6 s), though longer than the header timeout (1 s)"
    );

    // A head sent a byte every half second never completes in time.
    let trickle = async {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: steward.test\r\n" {
            if !send(&mut trickling, &[*byte]).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    tokio::time::timeout(GENEROUS, trickle).await.ok();
    assert!(closed_within(&mut trickling, GENEROUS).await, "a head trickling in is cut off");
    assert!(closed_within(&mut silent, GENEROUS).await, "a connection that never sends is closed");
    assert!(closed_within(&mut half_sent, GENEROUS).await, "a half-sent head is closed");
    for stream in &mut stalled {
        assert!(closed_within(stream, GENEROUS).await, "every stalled connection is closed");
    }
    assert!(closed_within(&mut kept, GENEROUS).await, "an idle kept-alive connection is closed");
}

#[tokio::test]
async fn a_stalled_body_gets_408_and_the_connection_closes() {
    // promise: SEC-2
    let server = TestServer::start_with(Options { server: Some(clocks(5, 1, 5)), ..Default::default() }).await;
    let fixture = server.tenant("stalled-body").await;
    let mut stream = connect(&server).await;
    let head = format!(
        "POST /api/v1/roles HTTP/1.1\r\nHost: steward.test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"name\": \"Half",
        fixture.owner_token
    );
    assert!(send(&mut stream, head.as_bytes()).await);
    let response = read_response(&mut stream, GENEROUS).await.expect("an answer to the stalled body");
    assert_eq!(response.status, 408, "{response:?}");
    assert!(response.says_close(), "{response:?}");
    assert!(closed_within(&mut stream, GENEROUS).await);
}

#[tokio::test]
async fn at_the_connection_limit_idle_connections_make_room() {
    // promise: SEC-2
    // Timeouts far longer than the test waits: only the limit can free the slots.
    let settings = ServerSettings { max_connections: 4, ..clocks(60, 60, 60) };
    let server = TestServer::start_with(Options { server: Some(settings), ..Default::default() }).await;
    let mut held = Vec::new();
    for n in 0..4 {
        let mut stream = connect(&server).await;
        if n % 2 == 0 {
            assert!(send(&mut stream, HEALTHZ).await);
            assert_eq!(read_response(&mut stream, GENEROUS).await.map(|r| r.status), Some(200));
        } else {
            assert!(send(&mut stream, b"GET /healthz HTTP/1.1\r\nHo").await);
        }
        held.push(stream);
    }
    let mut probe = connect(&server).await;
    assert!(send(&mut probe, READYZ).await);
    let soon = Duration::from_secs(10);
    assert_eq!(read_response(&mut probe, soon).await.map(|r| r.status), Some(200), "a fifth connection is served");
    let mut closed = 0;
    for stream in &mut held {
        if closed_within(stream, Duration::from_secs(3)).await {
            closed += 1;
        }
    }
    assert!(closed >= 1, "idle or slow connections made room, though their timeouts are a minute");
}

/// Sends a request whose body the server does not read, then a second request on the
/// same connection. The second must be answered, unless the first answer said
/// `Connection: close`. `pause` sends the body's second half only after waiting a while
/// for the early answer.
async fn follow_up_survives(server: &TestServer, head: &str, body: &[u8], pause: bool) -> Result<(), String> {
    let mut stream = connect(server).await;
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut opening = head.as_bytes().to_vec();
    opening.extend_from_slice(first_half);
    send(&mut stream, &opening).await;
    if pause {
        // An early answer to a half-sent body comes now, or (once the body is read
        // and dropped) after the rest.
        let _ = tokio::time::timeout(Duration::from_millis(200), stream.fill_buf()).await;
    }
    let mut rest = second_half.to_vec();
    rest.extend_from_slice(HEALTHZ);
    send(&mut stream, &rest).await;
    let first = read_response(&mut stream, GENEROUS).await.ok_or("no answer to the first request")?;
    if first.says_close() {
        return Ok(());
    }
    match read_response(&mut stream, GENEROUS).await {
        Some(second) if second.status == 200 => Ok(()),
        other => Err(format!("first answered {} without Connection: close; the follow-up got {other:?}", first.status)),
    }
}

#[tokio::test]
async fn requests_after_an_unread_body_are_not_lost() {
    let server = TestServer::start_with(Options { server: Some(clocks(5, 2, 5)), ..Default::default() }).await;
    let fixture = server.tenant("unread-body").await;
    let body = format!("{{\"name\":\"Front desk\",\"permissions\":[],\"padding\":\"{}\"}}", "x".repeat(4000));
    let unauthenticated = format!(
        "POST /api/v1/roles HTTP/1.1\r\nHost: steward.test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let wrong_type = format!(
        "POST /api/v1/roles HTTP/1.1\r\nHost: steward.test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        fixture.owner_token,
        body.len()
    );
    let mut failures = Vec::new();
    for round in 0..20 {
        for (what, head) in [("unauthenticated", &unauthenticated), ("wrong content type", &wrong_type)] {
            for pause in [true, false] {
                if let Err(failure) = follow_up_survives(&server, head, body.as_bytes(), pause).await {
                    failures.push(format!("round {round}, {what}, pause {pause}: {failure}"));
                }
            }
        }
    }
    // A body far over the limit is not read through; the answer says the connection ends.
    let huge = "POST /api/v1/roles HTTP/1.1\r\nHost: steward.test\r\n\
         Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{\"name\":";
    for round in 0..10 {
        let mut stream = connect(&server).await;
        send(&mut stream, huge.as_bytes()).await;
        match read_response(&mut stream, GENEROUS).await {
            Some(response) if response.says_close() => {}
            other => failures.push(format!("round {round}, 10 MB body: {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{} lost follow-ups: {failures:#?}", failures.len());

    // The connection is kept when the body did arrive: a real write after a rejected one.
    let mut stream = connect(&server).await;
    let mut both = unauthenticated.as_bytes().to_vec();
    both.extend_from_slice(body.as_bytes());
    let create = json!({ "name": "Front desk", "permissions": ["customers.read"] }).to_string();
    both.extend_from_slice(
        format!(
            "POST /api/v1/roles HTTP/1.1\r\nHost: steward.test\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{create}",
            fixture.owner_token,
            create.len()
        )
        .as_bytes(),
    );
    send(&mut stream, &both).await;
    let first = read_response(&mut stream, GENEROUS).await.expect("the rejected request is answered");
    assert_eq!(first.status, 401);
    assert!(!first.says_close(), "a body that arrived whole keeps the connection");
    let second = read_response(&mut stream, GENEROUS).await.expect("the role is created on the same connection");
    assert_eq!(second.status, 201, "{second:?}");
}

fn behind_proxy(list: &str) -> WebSettings {
    WebSettings {
        trusted_proxies: TrustedProxies::parse(list, ProxyHeader::XForwardedFor).expect("ranges"),
        ..WebSettings::default()
    }
}

/// Fails to log in once from `forwarded_for`; whether the attempt was rate limited.
async fn login_limited(server: &TestServer, forwarded_for: &str) -> bool {
    let http = crate::harness::client();
    let form = http.get(format!("{}/login", server.base)).send().await.expect("login page");
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("steward_csrf="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .expect("a CSRF cookie");
    let csrf = cookie.split_once('=').map(|(_, v)| v.to_string()).unwrap_or_default();
    let body = crate::harness::form_encode(&[
        ("csrf", &csrf),
        ("workspace", "proxy-rate"),
        ("email", "nobody@proxy-rate.example"),
        ("password", "not the password"),
        ("next", "/app"),
    ]);
    let response = http
        .post(format!("{}/login", server.base))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", forwarded_for)
        .body(body)
        .send()
        .await
        .expect("log in");
    response.status() == StatusCode::TOO_MANY_REQUESTS
}

async fn exhaust_logins(server: &TestServer, forwarded_for: &str) {
    for _ in 0..15 {
        if login_limited(server, forwarded_for).await {
            return;
        }
    }
    panic!("fifteen failed log-ins from {forwarded_for} were never slowed down");
}

async fn recorded_ip(server: &TestServer, token: &str, forwarded_for: &str) -> String {
    let http = crate::harness::client();
    let changed = http
        .request(Method::PATCH, format!("{}/api/v1/tenant", server.base))
        .bearer_auth(token)
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "time_zone": "Europe/London" }))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(changed.status(), StatusCode::OK);
    let events = server.api(token).get("/api/v1/audit/events?limit=500").await.json();
    let events = events.as_array().cloned().unwrap_or_default();
    let change = events.iter().find(|e| e["action"] == "tenant.profile_changed").expect("the change is recorded");
    change["ip"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn rate_limits_and_the_audit_log_see_the_client_behind_a_trusted_proxy() {
    // promise: ACC-4
    // promise: SEC-3
    let server =
        TestServer::start_with(Options { web: Some(behind_proxy("127.0.0.1/32")), ..Default::default() }).await;
    let fixture = server.tenant("proxy-rate").await;
    exhaust_logins(&server, "203.0.113.5").await;
    assert!(!login_limited(&server, "203.0.113.6").await, "another client behind the proxy has its own limit");
    assert!(
        login_limited(&server, "203.0.113.6, 203.0.113.5").await,
        "an address the client wrote further left is not believed"
    );
    assert_eq!(recorded_ip(&server, &fixture.owner_token, "198.51.100.23").await, "198.51.100.23");

    // Without trusted proxies the header is the client's own word and is ignored.
    let direct = TestServer::start().await;
    let fixture = direct.tenant("proxy-rate").await;
    exhaust_logins(&direct, "203.0.113.5").await;
    assert!(login_limited(&direct, "203.0.113.6").await, "a header does not buy a fresh limit");
    assert_eq!(recorded_ip(&direct, &fixture.owner_token, "198.51.100.23").await, "127.0.0.1");
}

async fn metrics_status(base: &str, token: Option<&str>) -> StatusCode {
    let mut request = crate::harness::client().get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("GET /metrics").status()
}

#[tokio::test]
async fn metrics_answer_the_token_or_their_own_listener_only() {
    // promise: SEC-2
    let proxied = TestServer::start_with(Options { web: Some(behind_proxy("127.0.0.1")), ..Default::default() }).await;
    assert_eq!(
        metrics_status(&proxied.base, None).await,
        StatusCode::NOT_FOUND,
        "behind a proxy on the same host, loopback is everyone"
    );

    let token = "metrics-token-for-the-test-0123456789";
    let web =
        WebSettings { metrics_token: steward_web::metrics::MetricsToken::new(token), ..behind_proxy("127.0.0.1") };
    let guarded = TestServer::start_with(Options { web: Some(web), ..Default::default() }).await;
    assert_eq!(metrics_status(&guarded.base, None).await, StatusCode::NOT_FOUND);
    assert_eq!(metrics_status(&guarded.base, Some("wrong")).await, StatusCode::NOT_FOUND);
    assert_eq!(metrics_status(&guarded.base, Some(token)).await, StatusCode::OK);
    let text = crate::harness::client()
        .get(format!("{}/metrics", guarded.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .unwrap_or_default();
    assert!(text.contains("steward_http_requests_total"), "{text}");

    let elsewhere = WebSettings { metrics_elsewhere: true, ..WebSettings::default() };
    let main = TestServer::start_with(Options { web: Some(elsewhere), ..Default::default() }).await;
    assert_eq!(metrics_status(&main.base, None).await, StatusCode::NOT_FOUND, "the main listener no longer answers");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let metrics_base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(steward_web::serve(
        listener,
        steward_web::metrics::router(None),
        ServerSettings::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    assert_eq!(metrics_status(&metrics_base, None).await, StatusCode::OK);
    let other = crate::harness::client().get(format!("{metrics_base}/readyz")).send().await.expect("GET");
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "the metrics listener serves nothing else");
    let _ = stop.send(());
}
