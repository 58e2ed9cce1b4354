//! Prometheus metrics at `/metrics`: requests and latency per route template, method and
//! status. Labels are the route as declared (`/api/v1/members/{member_id}`), never an id,
//! a tenant or a person, so their number is bounded by the route table.
//!
//! Who may read them (issue 23, finding 6), anyone else getting the same 404 as for any
//! unknown page:
//! - with `metrics_token` set, whoever sends it as `Authorization: Bearer`, on the main
//!   listener and on `metrics_listen`;
//! - without it, whoever reaches `metrics_listen` (an address the operator keeps private);
//! - without either, the machine itself (a loopback peer) on the main listener, but only
//!   while no proxy is trusted: behind a proxy on the same host every visitor's
//!   connection comes from loopback.

use crate::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use steward_crypto::token::constant_time_eq;

/// The bearer token that opens `/metrics`; never shown in debug output.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// A token; empty means none.
    pub fn new(token: &str) -> Option<Self> {
        let token = token.trim();
        (!token.is_empty()).then(|| Self(token.to_string()))
    }

    fn presented_in(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| constant_time_eq(sent.trim().as_bytes(), self.0.as_bytes()))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(****)")
    }
}

const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, &'static str, u16), u64>,
    latency: BTreeMap<(String, &'static str), Latency>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// Requests answered since start, every route together.
static ANSWERED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many requests to declared routes were answered since the process started: the
/// server's own upkeep watches it to tell when a load is over.
pub fn requests_answered() -> u64 {
    ANSWERED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Counts one request to a declared route.
pub fn observe(method: &str, route: &'static str, status: u16, seconds: f64) {
    ANSWERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let Ok(mut registry) = registry().lock() else { return };
    *registry.requests.entry((method.to_string(), route, status)).or_default() += 1;
    let latency = registry.latency.entry((method.to_string(), route)).or_default();
    latency.count += 1;
    latency.sum_seconds += seconds;
    for (bucket, bound) in latency.buckets.iter_mut().zip(BUCKETS) {
        if seconds <= bound {
            *bucket += 1;
        }
    }
}

/// The Prometheus text exposition of everything counted so far.
pub fn render() -> String {
    let mut out = String::new();
    let Ok(registry) = registry().lock() else { return out };
    out.push_str("# HELP steward_http_requests_total Requests by route, method and status.\n");
    out.push_str("# TYPE steward_http_requests_total counter\n");
    for ((method, route, status), count) in &registry.requests {
        let _ = writeln!(
            out,
            "steward_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
        );
    }
    out.push_str("# HELP steward_http_request_duration_seconds Time to answer, by route and method.\n");
    out.push_str("# TYPE steward_http_request_duration_seconds histogram\n");
    for ((method, route), latency) in &registry.latency {
        let labels = format!("method=\"{method}\",route=\"{route}\"");
        for (count, bound) in latency.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "steward_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "steward_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", latency.count);
        let _ = writeln!(out, "steward_http_request_duration_seconds_sum{{{labels}}} {}", latency.sum_seconds);
        let _ = writeln!(out, "steward_http_request_duration_seconds_count{{{labels}}} {}", latency.count);
    }
    out
}

fn exposition() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], render()).into_response()
}

/// `/metrics` on the main listener.
pub async fn endpoint(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let web = &state.web;
    let allowed = match &web.metrics_token {
        Some(token) => token.presented_in(req.headers()),
        None => {
            !web.metrics_elsewhere
                && web.trusted_proxies.is_empty()
                && req.extensions().get::<ConnectInfo<SocketAddr>>().is_some_and(|peer| peer.0.ip().is_loopback())
        }
    };
    if allowed { exposition() } else { crate::pages::not_found(axum::http::Uri::from_static("/metrics")).await }
}

/// The router of `metrics_listen`: `/metrics` and nothing else.
pub fn router(token: Option<MetricsToken>) -> axum::Router {
    let answer = move |headers: HeaderMap| {
        let token = token.clone();
        async move {
            match token {
                Some(token) if !token.presented_in(&headers) => StatusCode::NOT_FOUND.into_response(),
                _ => exposition(),
            }
        }
    };
    axum::Router::new().route("/metrics", axum::routing::get(answer)).fallback(|| async { StatusCode::NOT_FOUND })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_render_as_prometheus_text() {
        observe("GET", "/test/route", 200, 0.003);
        let text = render();
        assert!(text.contains("steward_http_requests_total{method=\"GET\",route=\"/test/route\",status=\"200\"}"));
        assert!(text.contains(
            "steward_http_request_duration_seconds_bucket{method=\"GET\",route=\"/test/route\",le=\"0.005\"}"
        ));
    }
}
