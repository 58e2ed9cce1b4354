//! The audit log: recent events and chain verification.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use steward_app::audit::{self, AuditEventView, Verification};
use steward_domain::csv_out::CsvLine;

pub async fn events(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<audit::AuditQuery>,
) -> ApiResult<Json<Vec<AuditEventView>>> {
    Ok(Json(audit::recent(&state.app, &who, &query).await?))
}

pub async fn verify(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Verification>> {
    Ok(Json(audit::verify(&state.app, &who).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AuditExportQuery")]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    format: Option<String>,
}

const EXPORT_BATCH: i64 = 5_000;
const CSV_COLUMNS: [&str; 14] = [
    "seq",
    "id",
    "at",
    "actor_type",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "details",
    "request_id",
    "ip",
    "user_agent",
    "prev_hash",
    "hash",
];

fn csv_header() -> String {
    CSV_COLUMNS.iter().fold(CsvLine::new(), |line, name| line.plain(name)).finish()
}

/// One event as a CSV line. Every text cell goes through the neutralising writer: a
/// failed log-in's `User-Agent` is whatever a stranger sent.
fn csv_line(exported: &audit::ExportedEvent) -> String {
    let e = &exported.event;
    CsvLine::new()
        .plain(e.seq)
        .plain(e.id)
        .plain(e.at)
        .text(&e.actor_type)
        .plain(e.actor_id.map(|a| a.to_string()).unwrap_or_default())
        .text(&e.action)
        .optional(e.target_type.as_deref())
        .optional(e.target_id.as_deref())
        .text(&e.details)
        .optional(e.request_id.as_deref())
        .optional(e.ip.as_deref())
        .optional(e.user_agent.as_deref())
        .plain(&exported.prev_hash)
        .plain(&exported.hash)
        .finish()
}

/// The whole log, streamed in batches: JSON lines (default) or CSV, with the chain.
pub async fn export(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let csv = match query.format.as_deref().unwrap_or("jsonl") {
        "jsonl" | "json" => false,
        "csv" => true,
        _ => {
            return Err(crate::error::Failure::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "format: must be jsonl or csv",
            )
            .with_field("format")
            .into());
        }
    };
    audit::start_export(&state.app, &who, if csv { "csv" } else { "jsonl" }).await?;
    let app = state.app.clone();
    let stream = futures_util::stream::unfold((0i64, false, csv), move |(after, done, csv)| {
        let app = app.clone();
        let who = who.clone();
        async move {
            if done {
                return None;
            }
            let mut chunk = String::new();
            if after == 0 && csv {
                chunk.push_str(&csv_header());
            }
            if after == 0 && !csv {
                match audit::export_checkpoint(&app, &who).await {
                    Ok(Some(line)) => {
                        chunk.push_str(&line);
                        chunk.push('\n');
                    }
                    Ok(None) => {}
                    Err(error) => return Some((Err(std::io::Error::other(error.to_string())), (after, true, csv))),
                }
            }
            match audit::export_batch(&app, &who, after, EXPORT_BATCH).await {
                Ok(batch) => {
                    let last = batch.last().map(|e| e.event.seq).unwrap_or(after);
                    for e in &batch {
                        if csv {
                            chunk.push_str(&csv_line(e));
                        } else {
                            chunk.push_str(&serde_json::to_string(e).unwrap_or_default());
                            chunk.push('\n');
                        }
                    }
                    let finished = (batch.len() as i64) < EXPORT_BATCH;
                    Some((Ok::<_, std::io::Error>(chunk), (last, finished, csv)))
                }
                Err(error) => Some((Err(std::io::Error::other(error.to_string())), (after, true, csv))),
            }
        }
    });
    let (content_type, name) =
        if csv { ("text/csv; charset=utf-8", "audit.csv") } else { ("application/jsonl", "audit.jsonl") };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
