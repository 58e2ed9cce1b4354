//! What wraps every response: a request id, the client's address (client_address.rs), one
//! structured log line (request id, tenant, method, route, status, latency, and the
//! internal error if any; never the path itself, a query string, a body, an address or a
//! personal value), and the security headers with a strict Content-Security-Policy (SEC-2).

use crate::client_address::ClientAddress;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
];

/// A request id: a random prefix chosen at start-up and a counter, unique per process
/// and cheap (no system call per request).
fn next_request_id() -> String {
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u128() as u32);
    format!("{prefix:08x}{:012x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Put on a response by the guard: the tenant the request acted in, for the log line.
#[derive(Clone, Copy)]
pub struct RequestTenant(pub steward_domain::ids::TenantId);

/// Put on a response by the error mapping: what went wrong inside, for the log line only.
#[derive(Clone)]
pub struct InternalError(pub String);

/// The route a response came from, as declared (`/reset/{token}`), put on the response by
/// its guard: logs name the route, never the path, which can carry a secret (a reset or
/// invitation token, a calendar feed's address).
#[derive(Clone, Copy)]
pub struct Route(pub &'static str);

/// The request's id, for handlers and the audit log.
#[derive(Clone)]
pub struct RequestId(pub String);

pub async fn request_context(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = next_request_id();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // Decided once here, so every rate limit and record sees the same address.
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let address = state.web.trusted_proxies.client_address(peer, req.headers());
        req.extensions_mut().insert(ClientAddress(address));
    }
    let method = req.method().clone();
    let started = Instant::now();
    // One event per request, written when it ends, rather than a span entered on every
    // poll: the same fields for a fraction of the cost (docs/benchmarks.md).
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    if !headers.contains_key("cache-control") {
        headers.insert("cache-control", HeaderValue::from_static("no-store"));
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", value);
    }
    let status = response.status().as_u16();
    let latency_us = started.elapsed().as_micros() as u64;
    let tenant_id = response.extensions().get::<RequestTenant>().map(|t| t.0);
    let tenant = tenant_id.map(|t| t.to_string()).unwrap_or_default();
    let route = response.extensions().get::<Route>().map(|r| r.0).unwrap_or("(no route)");
    if let Some(tenant_id) = tenant_id {
        let app = &state.app;
        let slow = app.settings.slow_request_ms;
        let observed = steward_app::diagnostics::Observed {
            tenant: tenant_id,
            at: app.now(),
            request_id: &request_id,
            method: method.as_str(),
            route,
            status,
            latency_us,
        };
        app.problems.observe(&observed, slow);
    }
    if let Some(telemetry) = &state.app.telemetry {
        let end = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let duration = u128::from(latency_us) * 1_000;
        telemetry.record(steward_app::telemetry::RequestSpan {
            method: method.to_string(),
            route,
            status,
            request_id: request_id.clone(),
            tenant_id: tenant_id.map(|t| t.as_uuid()),
            start_unix_nanos: end.saturating_sub(duration),
            end_unix_nanos: end,
        });
    }
    match response.extensions().get::<InternalError>() {
        Some(InternalError(error)) => {
            tracing::error!(%request_id, %tenant, %method, route, status, latency_us, %error, "request failed")
        }
        None => tracing::info!(%request_id, %tenant, %method, route, status, latency_us, "request"),
    }
    response
}
