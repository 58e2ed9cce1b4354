//! Customers: the list with search as you type, a customer's page (profile, fields,
//! timeline, consents, possible duplicates), the form to add or change one, merges, the
//! business's own fields, import and export.
//!
//! Search works as a plain GET form; htmx swaps just the results while typing.

use crate::AppState;
use crate::extract::{Auth, parse_id};
use crate::pages::{Chrome, FormData, NoticeQuery, PageResult, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::customers::consents::{self, ConsentInput};
use steward_app::customers::fields::{self, FieldInput, FieldView};
use steward_app::customers::merge::{self, MergeReport};
use steward_app::customers::notes::{self, NoteInput};
use steward_app::customers::overview::{self, CustomerOverview};
use steward_app::customers::records::{self, CustomerDetail, CustomerInput, CustomerPage, ListRequest};
use steward_domain::classification::DataClass;
use steward_domain::customers::fields::FieldKind;
use steward_domain::customers::{Channel, Purpose, Source};
use steward_domain::ids::CustomerId;
use steward_domain::permissions::Permission;

#[derive(Template)]
#[template(path = "customers/customers.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub q: String,
    pub tag: String,
    pub sort: String,
    pub page: CustomerPage,
    /// The business's zone and the time now, for "3 days ago".
    pub zone: jiff::tz::TimeZone,
    pub now: i64,
    pub more_link: Option<String>,
    pub can_write: bool,
    pub can_configure: bool,
    /// The whole list's size, on its first unfiltered page: `1,234 customers`.
    pub total: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    q: Option<String>,
    tag: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k, v);
    }
    out.finish()
}

pub async fn list(State(state): State<AppState>, Auth(who): Auth, Query(params): Query<ListParams>) -> PageResult {
    let request = ListRequest {
        q: params.q.clone(),
        tag: params.tag.clone(),
        sort: params.sort.clone(),
        cursor: params.cursor.clone(),
        limit: Some(50),
        ..Default::default()
    };
    let heading = steward_app::tenancy::heading(&state.app, &who).await?;
    let chrome =
        Chrome::member_of(heading.name, &who, "Customers", "/app/customers").with_notice(params.notice.as_deref());
    let (page, chrome) = match records::list(&state.app, &who, &request).await {
        Ok(page) => (page, chrome),
        Err(error @ AppError::Invalid(_)) => {
            (CustomerPage { customers: vec![], next_cursor: None }, chrome.with_error(&error))
        }
        Err(error) => return Err(error.into()),
    };
    let q = params.q.unwrap_or_default();
    let tag = params.tag.unwrap_or_default();
    let sort = params.sort.unwrap_or_default();
    let more_link = page.next_cursor.as_ref().map(|cursor| {
        format!("/app/customers?{}", query_string(&[("q", &q), ("tag", &tag), ("sort", &sort), ("cursor", cursor)]))
    });
    let status = if chrome.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let unfiltered = q.trim().is_empty() && tag.is_empty() && params.cursor.as_deref().unwrap_or_default().is_empty();
    let total = match unfiltered && chrome.error.is_none() {
        true => {
            let n = records::total(&state.app, &who).await?;
            Some(format!(
                "{} customer{}",
                steward_domain::human::group_indian(n.max(0) as u64),
                if n == 1 { "" } else { "s" }
            ))
        }
        false => None,
    };
    let page = ListPage {
        total,
        chrome,
        q,
        tag,
        sort,
        page,
        zone: heading.time_zone,
        now: state.app.now(),
        more_link,
        can_write: who.has(Permission::CustomersWrite),
        can_configure: who.has(Permission::TenantManage),
    };
    Ok(render(status, &page))
}

/// One of the business's fields as a form shows it.
pub struct FormField {
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub sensitive: bool,
    pub value: String,
    pub options: Vec<(String, bool)>,
}

fn form_fields(fields: &[FieldView], detail: Option<&CustomerDetail>, who: &Principal) -> Vec<FormField> {
    fields
        .iter()
        .filter(|f| f.data_class != DataClass::Sensitive || who.has(Permission::CustomersSensitiveRead))
        .map(|f| {
            let value = detail
                .and_then(|d| d.fields.iter().find(|v| v.field_id == f.id))
                .and_then(|v| v.value.clone())
                .unwrap_or_default();
            let chosen: Vec<String> = if f.kind == FieldKind::MultiSelect {
                serde_json::from_str(&value).unwrap_or_default()
            } else {
                vec![value.clone()]
            };
            FormField {
                id: f.id.to_string(),
                label: f.label.clone(),
                kind: f.kind.name(),
                sensitive: f.data_class == DataClass::Sensitive,
                options: f.options.iter().map(|o| (o.clone(), chosen.contains(o))).collect(),
                value,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "customers/customer_form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub action: String,
    pub values: FormValues,
    pub fields: Vec<FormField>,
    pub sources: Vec<&'static str>,
    pub channels: Vec<&'static str>,
    pub is_new: bool,
    pub hidden_sensitive: bool,
}

/// What the form shows in its inputs.
#[derive(Default)]
pub struct FormValues {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub date_of_birth: String,
    pub source: String,
    pub preferred_channel: String,
    pub tags: String,
}

impl FormValues {
    fn from_form(form: &FormData) -> Self {
        Self {
            name: form.get("name").into(),
            phone: form.get("phone").into(),
            email: form.get("email").into(),
            address: form.get("address").into(),
            date_of_birth: form.get("date_of_birth").into(),
            source: form.get("source").into(),
            preferred_channel: form.get("preferred_channel").into(),
            tags: form.get("tags").into(),
        }
    }

    fn from_detail(d: &CustomerDetail) -> Self {
        Self {
            name: d.name.clone(),
            phone: d.phone.clone().unwrap_or_default(),
            email: d.email.clone().unwrap_or_default(),
            address: d.address.clone().unwrap_or_default(),
            date_of_birth: d.date_of_birth.clone().unwrap_or_default(),
            source: d.source.clone(),
            preferred_channel: d.preferred_channel.clone().unwrap_or_default(),
            tags: d.tags.join(", "),
        }
    }
}

async fn form_page(
    state: &AppState,
    who: &Principal,
    detail: Option<&CustomerDetail>,
    values: FormValues,
    error: Option<&AppError>,
) -> PageResult {
    let (title, action) = match detail {
        Some(d) => (format!("Change {}", d.name), format!("/app/customers/{}", d.id)),
        None => ("New customer".to_string(), "/app/customers".to_string()),
    };
    let all = fields::list(&state.app, who).await?;
    let fields = form_fields(&all, detail, who);
    let page = FormPage {
        chrome: Chrome::member(state, who, &title, "/app/customers").await?.with_error_opt(error),
        action,
        values,
        hidden_sensitive: fields.len() < all.len(),
        fields,
        sources: Source::ALL.iter().filter(|s| **s != Source::Anonymized).map(|s| s.name()).collect(),
        channels: Channel::ALL.iter().map(|c| c.name()).collect(),
        is_new: detail.is_none(),
    };
    Ok(render(crate::pages::status_for(error), &page))
}

#[derive(Template)]
#[template(path = "customers/customer_resembling.html")]
pub struct ResemblingPart {
    pub found: Vec<records::CustomerSummary>,
}

#[derive(Deserialize, Default)]
pub struct ResemblingQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

/// Part of the new-customer form, asked for while a person types: customers already on
/// record with that name, phone or email.
pub async fn resembling(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(typed): Query<ResemblingQuery>,
) -> PageResult {
    let found = records::resembling(&state.app, &who, &typed.name, &typed.phone, &typed.email).await?;
    Ok(render(StatusCode::OK, &ResemblingPart { found }))
}

pub async fn new_form(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    let values = FormValues { source: "walk_in".into(), ..Default::default() };
    form_page(&state, &who, None, values, None).await
}

/// Reads the customer form into the same input the API takes. On a change, every standard
/// input is present (an empty one clears), and only the fields the form showed are sent.
fn input_from_form(form: &FormData, all_fields: &[FieldView], who: &Principal, is_new: bool) -> CustomerInput {
    let text = |name: &str| Some(form.get(name).to_string());
    let mut input = CustomerInput {
        name: text("name"),
        phone: text("phone"),
        email: text("email"),
        address: text("address"),
        date_of_birth: text("date_of_birth"),
        source: text("source"),
        preferred_channel: text("preferred_channel"),
        tags: Some(form.get("tags").split(',').map(str::to_string).filter(|t| !t.trim().is_empty()).collect()),
        ..Default::default()
    };
    for field in all_fields {
        if field.data_class == DataClass::Sensitive && !who.has(Permission::CustomersSensitiveRead) {
            continue;
        }
        let name = format!("field:{}", field.id);
        let values = form.all(&name);
        if values.is_empty() && field.kind != FieldKind::MultiSelect {
            continue;
        }
        let value = if field.kind == FieldKind::MultiSelect {
            Value::Array(values.into_iter().map(Value::String).collect())
        } else {
            Value::String(values.into_iter().next().unwrap_or_default())
        };
        // A new record leaves empty fields out rather than "clearing" them.
        if is_new && value.as_str().is_some_and(str::is_empty) {
            continue;
        }
        if is_new && value.as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        input.fields.insert(field.id.to_string(), value);
    }
    if is_new {
        let source = form.get("consent_source");
        for pair in form.all("consent") {
            if let Some((channel, purpose)) = pair.split_once(':') {
                input.consents.push(ConsentInput {
                    channel: channel.into(),
                    purpose: purpose.into(),
                    granted: true,
                    source: Some(if source.is_empty() { "form".into() } else { source.into() }),
                });
            }
        }
    }
    input
}

pub async fn create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let all = fields::list(&state.app, &who).await?;
    let input = input_from_form(&form, &all, &who, true);
    match records::create(&state.app, &who, &input).await {
        Ok(created) => Ok(see_other(&format!("/app/customers/{}?notice=created", created.id))),
        Err(error @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            form_page(&state, &who, None, FormValues::from_form(&form), Some(&error)).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "customers/customer.html")]
pub struct CustomerPageView {
    pub chrome: Chrome,
    pub customer: CustomerDetail,
    pub can_write: bool,
    pub can_sensitive: bool,
    pub channels: Vec<&'static str>,
    pub purposes: Vec<&'static str>,
    pub can_see_bookings: bool,
    pub can_book: bool,
    pub appointments: Vec<steward_app::booking::appointments::AppointmentView>,
    pub no_shows: i64,
    /// Reminders and notices sent (or not) to this customer.
    pub messages: Vec<steward_app::messaging::log::MessageView>,
    /// Whether the reader answers privacy requests (a request can be opened from here).
    pub can_manage_privacy: bool,
}

pub async fn show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let id = parse_id::<CustomerId>("customer_id", &id)?;
    customer_page(&state, &who, id, query.notice.as_deref(), None).await
}

async fn customer_page(
    state: &AppState,
    who: &Principal,
    id: CustomerId,
    notice: Option<&str>,
    error: Option<&AppError>,
) -> PageResult {
    let CustomerOverview { business, customer, appointments, messages } =
        overview::of_customer(&state.app, who, id).await?;
    let chrome =
        Chrome::member_of(business, who, &customer.name, "/app/customers").with_notice(notice).with_error_opt(error);
    let (appointments, no_shows) = appointments.unwrap_or_default();
    let page = CustomerPageView {
        messages,
        can_see_bookings: who.has(Permission::BookingsRead),
        can_book: who.has(Permission::BookingsManage),
        can_manage_privacy: who.has(Permission::PrivacyManage),
        appointments,
        no_shows,
        chrome,
        customer,
        can_write: who.has(Permission::CustomersWrite),
        can_sensitive: who.has(Permission::CustomersSensitiveRead),
        channels: Channel::ALL.iter().map(|c| c.name()).collect(),
        purposes: Purpose::ALL.iter().map(|p| p.name()).collect(),
    };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn edit_form(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id::<CustomerId>("customer_id", &id)?;
    let detail = records::get(&state.app, &who, id).await?;
    form_page(&state, &who, Some(&detail), FormValues::from_detail(&detail), None).await
}

pub async fn update(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<CustomerId>("customer_id", &id)?;
    let all = fields::list(&state.app, &who).await?;
    let input = input_from_form(&form, &all, &who, false);
    match records::update(&state.app, &who, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/app/customers/{id}?notice=saved"))),
        Err(error @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let detail = records::get(&state.app, &who, id).await?;
            form_page(&state, &who, Some(&detail), FormValues::from_form(&form), Some(&error)).await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn add_note(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<CustomerId>("customer_id", &id)?;
    let input = NoteInput { body: form.get("body").into(), private: form.get("private") == "yes" };
    match notes::add(&state.app, &who, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/app/customers/{id}?notice=saved"))),
        Err(error @ (AppError::Invalid(_) | AppError::Forbidden(_))) => {
            customer_page(&state, &who, id, None, Some(&error)).await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn record_consent(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = parse_id::<CustomerId>("customer_id", &id)?;
    let input = ConsentInput {
        channel: form.get("channel").into(),
        purpose: form.get("purpose").into(),
        granted: form.get("granted") == "yes",
        source: Some(form.get("source").into()),
    };
    match consents::record(&state.app, &who, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/app/customers/{id}?notice=saved"))),
        Err(error @ AppError::Invalid(_)) => customer_page(&state, &who, id, None, Some(&error)).await,
        Err(error) => Err(error.into()),
    }
}

pub async fn delete(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id::<CustomerId>("customer_id", &id)?;
    records::delete(&state.app, &who, id).await?;
    Ok(see_other("/app/customers?notice=removed"))
}

#[derive(Template)]
#[template(path = "customers/customer_merge.html")]
pub struct MergePage {
    pub chrome: Chrome,
    pub report: MergeReport,
}

#[derive(Deserialize)]
pub struct MergeQuery {
    remove: Option<String>,
}

async fn merge_with(state: &AppState, who: &Principal, keep: &str, remove: &str, preview: bool) -> PageResult {
    let keep: CustomerId = parse_id("customer_id", keep)?;
    let remove: CustomerId = match parse_id("remove", remove) {
        Ok(remove) => remove,
        Err(failure) => {
            // Another tenant's id (or none) is "not found" before anything else is said.
            records::get(&state.app, who, keep).await?;
            return Err(failure.into());
        }
    };
    let report = merge::merge(&state.app, who, keep, remove, preview).await?;
    if report.applied {
        return Ok(see_other(&format!("/app/customers/{keep}?notice=merged")));
    }
    let title = format!("Merge {} into {}", report.removed.name, report.kept.name);
    let chrome = Chrome::member(state, who, &title, "/app/customers").await?;
    Ok(render(StatusCode::OK, &MergePage { chrome, report }))
}

pub async fn merge_preview(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Query(query): Query<MergeQuery>,
) -> PageResult {
    merge_with(&state, &who, &id, query.remove.as_deref().unwrap_or_default(), true).await
}

pub async fn merge_apply(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    merge_with(&state, &who, &id, form.get("remove"), false).await
}

#[derive(Template)]
#[template(path = "customers/customer_fields.html")]
pub struct FieldsPage {
    pub chrome: Chrome,
    pub fields: Vec<FieldView>,
    pub kinds: Vec<&'static str>,
    pub can_manage: bool,
    pub label: String,
}

async fn fields_page(
    state: &AppState,
    who: &Principal,
    notice: Option<&str>,
    error: Option<&AppError>,
    label: &str,
) -> PageResult {
    let chrome = Chrome::member(state, who, "Customer fields", "/app/customers")
        .await?
        .with_notice(notice)
        .with_error_opt(error);
    let page = FieldsPage {
        chrome,
        fields: fields::list(&state.app, who).await?,
        kinds: FieldKind::ALL.iter().map(|k| k.name()).collect(),
        can_manage: who.has(Permission::TenantManage),
        label: label.into(),
    };
    Ok(render(crate::pages::status_for(error), &page))
}

pub async fn fields_show(
    State(state): State<AppState>,
    Auth(who): Auth,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    fields_page(&state, &who, query.notice.as_deref(), None, "").await
}

pub async fn field_create(State(state): State<AppState>, Auth(who): Auth, form: FormData) -> PageResult {
    let input = FieldInput {
        label: form.get("label").into(),
        kind: form.get("kind").into(),
        data_class: form.get("data_class").into(),
        options: form.get("options").split([',', '\n']).map(str::to_string).collect(),
    };
    match fields::create(&state.app, &who, &input).await {
        Ok(_) => Ok(see_other("/app/customers/fields?notice=created")),
        Err(error @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::NotAllowed(_))) => {
            fields_page(&state, &who, None, Some(&error), form.get("label")).await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn field_delete(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = parse_id("field_id", &id)?;
    fields::delete(&state.app, &who, id).await?;
    Ok(see_other("/app/customers/fields?notice=removed"))
}

#[derive(Deserialize)]
pub struct ExportParams {
    format: Option<String>,
}

pub async fn export(State(state): State<AppState>, Auth(who): Auth, Query(params): Query<ExportParams>) -> PageResult {
    let format = steward_app::customers::export::ExportFormat::parse(params.format.as_deref())?;
    Ok(crate::customers::api::export_response(&state, who, format).await?)
}

#[derive(Template)]
#[template(path = "customers/customer_duplicates.html")]
pub struct DuplicatesPage {
    pub chrome: Chrome,
    pub groups: Vec<records::DuplicateGroup>,
    pub can_write: bool,
}

pub async fn duplicates(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    let page = DuplicatesPage {
        chrome: Chrome::member(&state, &who, "Possible duplicates", "/app/customers").await?,
        groups: records::duplicate_groups(&state.app, &who).await?,
        can_write: who.has(Permission::CustomersWrite),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "customers/customer_import.html")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub job: Option<steward_app::customers::import::jobs::JobView>,
    /// For each CSV header: the target chosen now, and every target it could take.
    pub mapping: Vec<(String, String)>,
    pub targets: Vec<String>,
}

async fn import_page(
    state: &AppState,
    who: &Principal,
    job: Option<steward_app::customers::import::jobs::JobView>,
    error: Option<&AppError>,
) -> PageResult {
    let all = fields::list(&state.app, who).await?;
    let mut targets: Vec<String> = [
        "name",
        "first_name",
        "last_name",
        "phone",
        "email",
        "address",
        "date_of_birth",
        "tags",
        "note",
        "source",
        "preferred_channel",
    ]
    .iter()
    .map(|t| t.to_string())
    .collect();
    targets.extend(all.iter().filter(|f| f.data_class == DataClass::Personal).map(|f| format!("field:{}", f.label)));
    let mapping = match &job {
        Some(job) => {
            let used = job.report.as_ref().map(|r| r.mapping.clone()).unwrap_or_default();
            job.headers
                .iter()
                .map(|h| {
                    (h.clone(), used.iter().find(|(header, _)| header == h).map(|(_, t)| t.clone()).unwrap_or_default())
                })
                .collect()
        }
        None => Vec::new(),
    };
    let chrome = Chrome::member(state, who, "Import customers", "/app/customers").await?.with_error_opt(error);
    Ok(render(crate::pages::status_for(error), &ImportPage { chrome, job, mapping, targets }))
}

pub async fn import_form(State(state): State<AppState>, Auth(who): Auth) -> PageResult {
    import_page(&state, &who, None, None).await
}

/// Options as the import forms send them.
fn import_options(form: &[(String, String)]) -> steward_app::customers::import::ImportOptions {
    use steward_app::customers::import::{BadRows, DedupeBy, ImportOptions, OnDuplicate};
    let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    ImportOptions {
        mapping: form
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("map:").map(|header| (header.to_string(), v.clone())))
            .collect(),
        dedupe_by: match get("dedupe_by") {
            "phone" => DedupeBy::Phone,
            "email" => DedupeBy::Email,
            "none" => DedupeBy::None,
            _ => DedupeBy::PhoneOrEmail,
        },
        on_duplicate: if get("on_duplicate") == "update" { OnDuplicate::Update } else { OnDuplicate::Skip },
        bad_rows: if get("bad_rows") == "skip" { BadRows::Skip } else { BadRows::RejectAll },
        dry_run: get("apply") != "yes",
    }
}

pub async fn import_upload(
    State(state): State<AppState>,
    Auth(who): Auth,
    mut multipart: axum::extract::Multipart,
) -> PageResult {
    use steward_app::customers::import::{Format, jobs};
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut fields_sent: Vec<(String, String)> = Vec::new();
    while let Some(field) =
        multipart.next_field().await.map_err(|_| AppError::invalid("file", "the upload could not be read"))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes =
                field.bytes().await.map_err(|_| AppError::invalid("file", "could not be read (larger than 64 MB?)"))?;
            file = Some((file_name, bytes.to_vec()));
        } else if let Ok(text) = field.text().await {
            fields_sent.push((name, text));
        }
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return import_page(&state, &who, None, Some(&AppError::invalid("file", "choose a file to import"))).await;
    };
    let vcard = file_name.to_ascii_lowercase().ends_with(".vcf") || bytes.starts_with(b"BEGIN:VCARD");
    let format = if vcard { Format::Vcard } else { Format::Csv };
    match jobs::start(&state.app, &who, bytes.into(), format, import_options(&fields_sent)) {
        Ok(id) => Ok(see_other(&format!("/app/customers/import/{id}"))),
        Err(error) => import_page(&state, &who, None, Some(&error)).await,
    }
}

fn job_id(raw: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).ok()
}

pub async fn import_status(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<String>) -> PageResult {
    let id = job_id(&id).ok_or(AppError::NotFound)?;
    let job = steward_app::customers::import::jobs::status(&state.app, &who, id)?;
    import_page(&state, &who, Some(job), None).await
}

pub async fn import_again(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let id = job_id(&id).ok_or(AppError::NotFound)?;
    let next = steward_app::customers::import::jobs::run_again(&state.app, &who, id, import_options(&form.0))?;
    Ok(see_other(&format!("/app/customers/import/{next}")))
}
