//! Optional OpenTelemetry export: one span per request (method and declared route, status,
//! latency, request id, tenant id) sent in batches to the operator's OTLP collector over
//! OTLP/HTTP with the JSON encoding (`POST {endpoint}/v1/traces`). Spans carry the same
//! fields as the request log and nothing else, so no personal value can leave this way; a
//! full queue or an unreachable collector drops spans (counted in the log), never slows a
//! request.

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// One finished request.
#[derive(Debug, Clone)]
pub struct RequestSpan {
    pub method: String,
    /// The declared route (`/api/v1/customers/{customer_id}`), never the raw path.
    pub route: &'static str,
    pub status: u16,
    pub request_id: String,
    pub tenant_id: Option<uuid::Uuid>,
    pub start_unix_nanos: u128,
    pub end_unix_nanos: u128,
}

/// Spans waiting for the next batch; the sending side of the exporter.
#[derive(Clone)]
pub struct Telemetry {
    queue: mpsc::Sender<RequestSpan>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Telemetry")
    }
}

const QUEUE: usize = 10_000;
const BATCH: usize = 512;
const EVERY: Duration = Duration::from_secs(2);

impl Telemetry {
    /// Starts the exporter for `endpoint` (e.g. `http://collector:4318`) on `client`.
    pub fn start(endpoint: &str, client: reqwest::Client, service: &str) -> Self {
        let (queue, spans) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        tokio::spawn(export(spans, url, client, service.to_string(), dropped.clone()));
        Telemetry { queue, dropped }
    }

    /// Queues a span; a full queue drops it.
    pub fn record(&self, span: RequestSpan) {
        if self.queue.try_send(span).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn random_hex<const N: usize>() -> String {
    steward_crypto::random_bytes::<N>().map(|b| steward_crypto::to_hex(&b)).unwrap_or_else(|_| "0".repeat(N * 2))
}

fn attribute(key: &str, value: Value) -> Value {
    json!({ "key": key, "value": value })
}

/// The OTLP/HTTP JSON body for a batch of spans.
pub fn encode(service: &str, spans: &[RequestSpan]) -> Value {
    let spans: Vec<Value> = spans
        .iter()
        .map(|span| {
            let mut attributes = vec![
                attribute("http.request.method", json!({ "stringValue": span.method })),
                attribute("http.route", json!({ "stringValue": span.route })),
                attribute("http.response.status_code", json!({ "intValue": span.status.to_string() })),
                attribute("steward.request_id", json!({ "stringValue": span.request_id })),
            ];
            if let Some(tenant) = span.tenant_id {
                attributes.push(attribute("steward.tenant_id", json!({ "stringValue": tenant.to_string() })));
            }
            json!({
                "traceId": random_hex::<16>(),
                "spanId": random_hex::<8>(),
                "name": format!("{} {}", span.method, span.route),
                // SPAN_KIND_SERVER
                "kind": 2,
                "startTimeUnixNano": span.start_unix_nanos.to_string(),
                "endTimeUnixNano": span.end_unix_nanos.to_string(),
                "attributes": attributes,
                // STATUS_CODE_ERROR for server errors, else STATUS_CODE_UNSET
                "status": { "code": if span.status >= 500 { 2 } else { 0 } },
            })
        })
        .collect();
    json!({ "resourceSpans": [{
        "resource": { "attributes": [attribute("service.name", json!({ "stringValue": service }))] },
        "scopeSpans": [{ "scope": { "name": "steward" }, "spans": spans }],
    }] })
}

async fn export(
    mut spans: mpsc::Receiver<RequestSpan>,
    url: String,
    client: reqwest::Client,
    service: String,
    dropped: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut tick = tokio::time::interval(EVERY);
    loop {
        // A batch goes when it is full, at each tick, and when the server stops.
        let (closed, ticked) = tokio::select! {
            span = spans.recv() => match span {
                Some(span) => {
                    batch.push(span);
                    (false, false)
                }
                None => (true, false),
            },
            _ = tick.tick() => (false, true),
        };
        if !batch.is_empty() && (batch.len() >= BATCH || closed || ticked) {
            let body = encode(&service, &batch);
            let sent = client.post(&url).json(&body).timeout(Duration::from_secs(5)).send().await;
            match sent {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    tracing::warn!(status = response.status().as_u16(), "the OTLP collector refused a batch of spans");
                }
                Err(_) => {
                    dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    tracing::warn!("the OTLP collector could not be reached; spans dropped");
                }
            }
            batch.clear();
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            tracing::warn!(spans = lost, "spans were dropped");
        }
        if closed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_encoded_as_otlp_json_with_routes_not_paths() {
        let span = RequestSpan {
            method: "GET".into(),
            route: "/api/v1/customers/{customer_id}",
            status: 500,
            request_id: "r-1".into(),
            tenant_id: None,
            start_unix_nanos: 1,
            end_unix_nanos: 2,
        };
        let body = encode("steward", &[span]);
        let encoded = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(encoded["name"], "GET /api/v1/customers/{customer_id}");
        assert_eq!(encoded["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(encoded["spanId"].as_str().unwrap().len(), 16);
        assert_eq!(encoded["status"]["code"], 2);
        assert_eq!(encoded["startTimeUnixNano"], "1");
    }
}
