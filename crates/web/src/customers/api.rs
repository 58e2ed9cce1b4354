//! Customers, their notes, consents and fields; search; duplicates and merges; import and
//! export.

use crate::AppState;
use crate::error::{ApiResult, Failure};
use crate::extract::{ApiQuery, Auth, JsonBody, parse_id};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::BTreeMap;
use steward_app::customers::consents::{self, ConsentInput, ConsentView};
use steward_app::customers::export::{self, ExportFormat};
use steward_app::customers::fields::{self, FieldChange, FieldInput, FieldView};
use steward_app::customers::import::{
    self, BadRows, DedupeBy, Format, ImportOptions, ImportReport, Importer, OnDuplicate,
};
use steward_app::customers::merge::{self, MergeReport};
use steward_app::customers::notes::{self, NoteInput};
use steward_app::customers::records::{self, CustomerDetail, CustomerInput, CustomerPage, ListRequest, NoteView};
use steward_domain::ids::CustomerId;

pub async fn list(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<ListRequest>,
) -> ApiResult<Json<CustomerPage>> {
    Ok(Json(records::list(&state.app, &who, &query).await?))
}

pub async fn create(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<CustomerInput>,
) -> ApiResult<(StatusCode, Json<CustomerDetail>)> {
    Ok((StatusCode::CREATED, Json(records::create(&state.app, &who, &input).await?)))
}

pub async fn show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerDetail>> {
    let id = parse_id("customer_id", &id)?;
    Ok(Json(records::get(&state.app, &who, id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CustomerInput>,
) -> ApiResult<Json<CustomerDetail>> {
    let id = parse_id("customer_id", &id)?;
    Ok(Json(records::update(&state.app, &who, id, &input).await?))
}

pub async fn remove(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_id("customer_id", &id)?;
    records::delete(&state.app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_note(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<NoteInput>,
) -> ApiResult<(StatusCode, Json<NoteView>)> {
    let id = parse_id("customer_id", &id)?;
    Ok((StatusCode::CREATED, Json(notes::add(&state.app, &who, id, &input).await?)))
}

pub async fn delete_note(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path((id, note)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = parse_id("customer_id", &id)?;
    let note = parse_id("note_id", &note)?;
    notes::delete(&state.app, &who, id, note).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn record_consent(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ConsentInput>,
) -> ApiResult<(StatusCode, Json<Vec<ConsentView>>)> {
    let id = parse_id("customer_id", &id)?;
    Ok((StatusCode::CREATED, Json(consents::record(&state.app, &who, id, &input).await?)))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The record merged into this one and then deleted.
    #[schemars(with = "steward_domain::ids::CustomerId")]
    remove: String,
    #[serde(default)]
    preview: bool,
}

pub async fn merge(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<MergeRequest>,
) -> ApiResult<Json<MergeReport>> {
    let keep = parse_id("customer_id", &id)?;
    let remove: CustomerId = parse_id("remove", &request.remove)?;
    Ok(Json(merge::merge(&state.app, &who, keep, remove, request.preview).await?))
}

pub async fn duplicates(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<records::DuplicateGroup>>> {
    Ok(Json(records::duplicate_groups(&state.app, &who).await?))
}

pub async fn list_fields(State(state): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<FieldView>>> {
    Ok(Json(fields::list(&state.app, &who).await?))
}

pub async fn create_field(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<FieldInput>,
) -> ApiResult<(StatusCode, Json<FieldView>)> {
    Ok((StatusCode::CREATED, Json(fields::create(&state.app, &who, &input).await?)))
}

pub async fn update_field(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(change): JsonBody<FieldChange>,
) -> ApiResult<Json<FieldView>> {
    let id = parse_id("field_id", &id)?;
    Ok(Json(fields::update(&state.app, &who, id, &change).await?))
}

pub async fn delete_field(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id("field_id", &id)?;
    fields::delete(&state.app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CustomerExportQuery")]
pub struct ExportQuery {
    /// `csv`, `vcard` or `json`.
    format: Option<String>,
}

const EXPORT_PAGE: i64 = 500;

/// Every customer, streamed page by page.
pub async fn export(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = ExportFormat::parse(query.format.as_deref())?;
    Ok(export_response(&state, who, format).await?)
}

/// The streamed export, for the API and the customers page alike.
pub async fn export_response(
    state: &AppState,
    who: steward_app::access::principal::Principal,
    format: ExportFormat,
) -> Result<Response, steward_app::AppError> {
    let labels = export::start(&state.app, &who, format).await?;
    let app = state.app.clone();
    let first = (None::<(String, CustomerId)>, false, true);
    let stream = futures_util::stream::unfold(first, move |(after, done, first)| {
        let app = app.clone();
        let who = who.clone();
        let labels = labels.clone();
        async move {
            if done {
                return None;
            }
            let mut chunk = String::new();
            if first && format == ExportFormat::Csv {
                chunk.push_str(&export::csv_header(&labels));
            }
            match export::page(&app, &who, after, EXPORT_PAGE).await {
                Ok((records, next)) => {
                    for record in &records {
                        match format {
                            ExportFormat::Csv => chunk.push_str(&export::csv_row(record, &labels)),
                            ExportFormat::Vcard => chunk.push_str(&export::vcard(record)),
                            ExportFormat::JsonLines => {
                                chunk.push_str(&serde_json::to_string(record).unwrap_or_default());
                                chunk.push('\n');
                            }
                        }
                    }
                    let finished = next.is_none();
                    Some((Ok::<_, std::io::Error>(chunk), (next, finished, false)))
                }
                Err(error) => Some((Err(std::io::Error::other(error.to_string())), (None, true, false))),
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", format.file_name())),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `csv` (default) or `vcard`.
    format: Option<String>,
    dedupe_by: Option<DedupeBy>,
    on_duplicate: Option<OnDuplicate>,
    bad_rows: Option<BadRows>,
    dry_run: Option<bool>,
    /// A JSON object: CSV header -> target.
    mapping: Option<String>,
}

/// Imports a CSV or vCard file sent as the request body.
pub async fn import(
    State(state): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<ImportReport>> {
    let body = read_file(&headers, body).await?;
    let format = match query.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "vcard" | "vcf" => Format::Vcard,
        _ => {
            return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "format: must be csv or vcard")
                .with_field("format")
                .into());
        }
    };
    if body.is_empty() {
        return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "file: the request body is empty")
            .with_field("file")
            .into());
    }
    let mapping: BTreeMap<String, String> = match query.mapping.as_deref() {
        None | Some("") => BTreeMap::new(),
        Some(text) => serde_json::from_str(text).map_err(|_| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "mapping: must be a JSON object of header to target",
            )
            .with_field("mapping")
        })?,
    };
    let options = ImportOptions {
        mapping,
        dedupe_by: query.dedupe_by.unwrap_or_default(),
        on_duplicate: query.on_duplicate.unwrap_or_default(),
        bad_rows: query.bad_rows.unwrap_or_default(),
        dry_run: query.dry_run.unwrap_or(false),
    };
    let report =
        import::import(&state.app, Importer::Member(&who), std::io::Cursor::new(body), format, &options, |_| {})
            .await?;
    Ok(Json(report))
}

/// The header, first rows and guessed mapping of a CSV file, before importing it.
pub async fn import_preview(
    State(state): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<import::CsvPreview>> {
    let body = read_file(&headers, body).await?;
    Ok(Json(import::preview_csv(&state.app, &who, &body).await?))
}

/// Reads an uploaded file, refusing one that claims to be too large before reading any of
/// it (a client announcing 4 GB gets its answer at once).
async fn read_file(headers: &HeaderMap, body: Body) -> Result<Bytes, Failure> {
    let limit = super::IMPORT_BODY_LIMIT;
    let too_large = || {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("file: larger than {} MB", limit / (1024 * 1024)),
        )
        .with_field("file")
    };
    let claimed = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if claimed.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| too_large())
}
