//! Importing customers from CSV or vCard, streamed: rows are checked and written in
//! batches inside one transaction, so memory stays flat and an import never half-applies.
//!
//! - `reject_all` (the default): any rejected row and nothing is written; the report lists
//!   every rejected row with its line number and reason.
//! - `skip`: rejected rows are left out and exactly the rows the report counts are written.
//! - A dry run does everything but commit.
//!
//! Duplicates (same phone or email as an existing customer or an earlier row) are skipped
//! or update the existing record, as chosen. Values of sensitive fields are not taken from
//! files: a spreadsheet of health data is itself a risk, so they are entered on the
//! customer's page, where the write is sealed and audited.

pub mod csv_source;
#[cfg(test)]
mod fuzz;
pub mod jobs;
pub mod vcard;

use super::country_code;
use super::records::{CustomerInput, check, today};
use crate::access::principal::Principal;
use crate::audit;
use crate::{App, AppError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use steward_domain::classification::DataClass;
use steward_domain::customers::Source;
use steward_domain::ids::{CustomerId, NoteId, TenantId};
use steward_domain::permissions::Permission;
use steward_store::TenantTx;
use steward_store::customers::fields::{self as field_rows, FieldRow};
use steward_store::customers::notes::{self as note_rows, NoteRow};
use steward_store::customers::records::{self as rows, NewCustomer};

/// Where a column's values go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Name,
    FirstName,
    LastName,
    Phone,
    Email,
    Address,
    DateOfBirth,
    Tags,
    Note,
    Source,
    PreferredChannel,
    /// One of the tenant's own fields, by label.
    Field(String),
}

impl Target {
    /// Parses a mapping target: a standard name, or `field:LABEL`.
    pub fn parse(text: &str) -> Option<Target> {
        Some(match text.trim() {
            "name" => Target::Name,
            "first_name" => Target::FirstName,
            "last_name" => Target::LastName,
            "phone" => Target::Phone,
            "email" => Target::Email,
            "address" => Target::Address,
            "date_of_birth" => Target::DateOfBirth,
            "tags" => Target::Tags,
            "note" => Target::Note,
            "source" => Target::Source,
            "preferred_channel" => Target::PreferredChannel,
            other => Target::Field(other.strip_prefix("field:")?.trim().to_string()),
        })
    }

    pub fn name(&self) -> String {
        match self {
            Target::Field(label) => format!("field:{label}"),
            other => serde_json::to_value(other).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        }
    }
}

/// Which source column feeds which target.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub columns: Vec<(usize, Target)>,
}

/// One record read from a file.
#[derive(Debug, Clone, Default)]
pub struct SourceRow {
    pub line: u64,
    pub values: Vec<(Target, String)>,
    pub blank: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DedupeBy {
    #[default]
    PhoneOrEmail,
    Phone,
    Email,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    #[default]
    Skip,
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BadRows {
    #[default]
    RejectAll,
    Skip,
}

/// How to import.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// Source column header -> target (`name`, `phone`, ..., `field:LABEL`, or empty to
    /// ignore). Columns not named are guessed from their headers.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
    #[serde(default)]
    pub dedupe_by: DedupeBy,
    #[serde(default)]
    pub on_duplicate: OnDuplicate,
    #[serde(default)]
    pub bad_rows: BadRows,
    #[serde(default)]
    pub dry_run: bool,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct RejectedRow {
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct ImportReport {
    pub rows_read: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped_duplicates: u64,
    pub rejected: Vec<RejectedRow>,
    /// Whether anything was written (false for a dry run, or when `reject_all` met a bad row).
    pub applied: bool,
    pub dry_run: bool,
    /// The columns as read and where each went.
    pub mapping: Vec<(String, String)>,
}

/// Who runs an import: a member through the app or API, or an operator through the CLI.
pub enum Importer<'a> {
    Member(&'a Principal),
    Operator { tenant: TenantId },
}

impl Importer<'_> {
    fn tenant(&self) -> TenantId {
        match self {
            Importer::Member(who) => who.tenant,
            Importer::Operator { tenant } => *tenant,
        }
    }
}

/// What a file is.
pub enum Format {
    Csv,
    Vcard,
}

const BATCH: usize = 1000;
/// The report keeps this many rejected rows in full; more are counted, not listed.
const MAX_LISTED_REJECTIONS: usize = 10_000;

enum Reader<R: std::io::Read> {
    Csv(csv_source::CsvSource<csv_source::Rewound<R>>, Mapping),
    Vcard(vcard::VcardSource<std::io::BufReader<R>>),
}

impl<R: std::io::Read> Reader<R> {
    fn next_row(&mut self) -> Option<Result<SourceRow, (u64, String)>> {
        match self {
            Reader::Csv(source, mapping) => source.next_row(mapping),
            Reader::Vcard(source) => source.next_row(),
        }
    }
    fn position(&self) -> u64 {
        match self {
            Reader::Csv(source, _) => source.position(),
            Reader::Vcard(source) => source.position(),
        }
    }
}

/// Builds the column mapping from the header, the tenant's fields and what the caller
/// chose; refuses sensitive fields and unknown targets by name.
pub fn plan_mapping(
    headers: &[String],
    fields: &[FieldRow],
    chosen: &BTreeMap<String, String>,
) -> Result<Mapping, AppError> {
    let labels: Vec<String> = fields.iter().map(|f| f.label.clone()).collect();
    for header in chosen.keys() {
        if !headers.iter().any(|h| h == header) {
            return Err(AppError::invalid(
                "mapping",
                &format!("the file has no column '{}'", steward_domain::customers::short(header)),
            ));
        }
    }
    let mut mapping = Mapping::default();
    for (index, header) in headers.iter().enumerate() {
        let target = match chosen.get(header) {
            Some(t) if t.trim().is_empty() => None,
            Some(t) => Some(Target::parse(t).ok_or_else(|| {
                AppError::invalid(
                    "mapping",
                    &format!("'{}' is not a column Steward can import into", steward_domain::customers::short(t)),
                )
            })?),
            None => csv_source::guess_target(header, &labels),
        };
        let Some(target) = target else { continue };
        if let Target::Field(label) = &target {
            let field = fields.iter().find(|f| f.label.eq_ignore_ascii_case(label)).ok_or_else(|| {
                AppError::invalid(
                    "mapping",
                    &format!("'{}' is not a field of this business", steward_domain::customers::short(label)),
                )
            })?;
            if field.data_class == DataClass::Sensitive {
                if chosen.contains_key(header) {
                    return Err(AppError::invalid(
                        "mapping",
                        &format!(
                            "'{}' is a sensitive field; sensitive values are entered on the customer's page, not imported",
                            field.label
                        ),
                    ));
                }
                continue;
            }
        }
        if mapping.columns.iter().any(|(_, t)| *t == target) {
            return Err(AppError::invalid("mapping", &format!("two columns go to '{}'", target.name())));
        }
        mapping.columns.push((index, target));
    }
    let has_name =
        mapping.columns.iter().any(|(_, t)| matches!(t, Target::Name | Target::FirstName | Target::LastName));
    if !has_name {
        return Err(AppError::invalid(
            "mapping",
            "no column holds the customer's name (map one to name, or to first_name and last_name)",
        ));
    }
    Ok(mapping)
}

/// The header and first rows of a CSV file with the guessed mapping, for the preview.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ImportPreview")]
pub struct CsvPreview {
    pub headers: Vec<String>,
    pub guessed: Vec<Option<String>>,
    pub rows: Vec<Vec<String>>,
}

pub async fn preview_csv(app: &App, who: &Principal, bytes: &[u8]) -> Result<CsvPreview, AppError> {
    who.require(Permission::CustomersWrite)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let fields = field_rows::list(&mut tx).await?;
    tx.commit().await?;
    let labels: Vec<String> =
        fields.iter().filter(|f| f.data_class == DataClass::Personal).map(|f| f.label.clone()).collect();
    let source = csv_source::CsvSource::open(bytes).map_err(|e| AppError::invalid("file", &e.0))?;
    let guessed = source.headers.iter().map(|h| csv_source::guess_target(h, &labels).map(|t| t.name())).collect();
    let headers = source.headers.clone();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let rows = reader
        .records()
        .take(5)
        .filter_map(Result::ok)
        .map(|r| r.iter().map(steward_domain::customers::short).collect())
        .collect();
    Ok(CsvPreview { headers, guessed, rows })
}

/// Imports customers from `input`, in one write transaction; `progress` hears how many
/// bytes have been read, for a progress bar.
pub async fn import<R: std::io::Read + Send + 'static>(
    app: &App,
    importer: Importer<'_>,
    input: R,
    format: Format,
    options: &ImportOptions,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<ImportReport, AppError> {
    if let Importer::Member(who) = &importer {
        who.require(Permission::CustomersWrite)?;
    }
    let tenant = importer.tenant();
    // The write transaction outlives this borrow: it takes copies.
    let who = match importer {
        Importer::Member(who) => Some(who.clone()),
        Importer::Operator { .. } => None,
    };
    let (writer_app, options) = (app.clone(), options.clone());
    app.store
        .write(tenant, move |tx| async move {
            import_in(&writer_app, tx, who.as_ref(), input, format, &options, &progress).await
        })
        .await
}

async fn import_in<R: std::io::Read>(
    app: &App,
    mut tx: TenantTx,
    who: Option<&Principal>,
    input: R,
    format: Format,
    options: &ImportOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, AppError> {
    let now = app.now();
    let today = today(app);
    let fields = field_rows::list(&mut tx).await?;
    let code = country_code(app, &mut tx).await?;
    let mut report = ImportReport { dry_run: options.dry_run, ..ImportReport::default() };
    let mut reader = match format {
        Format::Csv => {
            let source = csv_source::CsvSource::open(input).map_err(|e| AppError::invalid("file", &e.0))?;
            let mapping = plan_mapping(&source.headers, &fields, &options.mapping)?;
            report.mapping = mapping.columns.iter().map(|(i, t)| (source.headers[*i].clone(), t.name())).collect();
            Reader::Csv(source, mapping)
        }
        Format::Vcard => Reader::Vcard(vcard::VcardSource::new(std::io::BufReader::new(input))),
    };
    let mut seen: HashMap<String, CustomerId> = HashMap::new();
    let mut batch: Vec<(SourceRow, CustomerInput, Option<String>)> = Vec::with_capacity(BATCH);
    let mut rejected_count: u64 = 0;
    let member = who.map(|w| w.member);
    let run = Run { fields: &fields, code: &code, today, options, member, now };
    loop {
        let next = reader.next_row();
        let end = next.is_none();
        match next {
            None => {}
            Some(Err((line, reason))) => {
                report.rows_read += 1;
                rejected_count += 1;
                reject(&mut report, line, None, reason);
            }
            Some(Ok(row)) if row.blank => {}
            Some(Ok(row)) => {
                report.rows_read += 1;
                match to_input(&row) {
                    Ok((input, note)) => batch.push((row, input, note)),
                    Err((field, reason)) => {
                        rejected_count += 1;
                        reject(&mut report, row.line, field, reason);
                    }
                }
            }
        }
        if batch.len() >= BATCH || (end && !batch.is_empty()) {
            let rows = std::mem::take(&mut batch);
            rejected_count += write_batch(&mut tx, &run, rows, &mut seen, &mut report).await?;
            progress(reader.position());
            // Under reject_all, keep reading (to report every bad row) but stop writing.
        }
        if end {
            break;
        }
    }
    progress(reader.position());
    report.rejected.sort_by_key(|r| r.line);
    let refuse = options.bad_rows == BadRows::RejectAll && rejected_count > 0;
    if options.dry_run || refuse {
        drop(tx);
        report.applied = false;
        return Ok(report);
    }
    let details = json!({
        "format": match format { Format::Csv => "csv", Format::Vcard => "vcard" },
        "created": report.created, "updated": report.updated, "skipped_duplicates": report.skipped_duplicates,
        "rejected": rejected_count,
    });
    let event = match who {
        Some(who) => audit::by(who, "customers.imported", None, details),
        None => audit::by_system(&Default::default(), None, "customers.imported", None, details),
    };
    audit::record(app, &mut tx, event).await?;
    tx.commit().await?;
    report.applied = true;
    Ok(report)
}

fn reject(report: &mut ImportReport, line: u64, field: Option<String>, reason: String) {
    if report.rejected.len() < MAX_LISTED_REJECTIONS {
        report.rejected.push(RejectedRow { line, field, reason });
    }
}

/// A source row as the same input a form would send, plus its note.
fn to_input(row: &SourceRow) -> Result<(CustomerInput, Option<String>), (Option<String>, String)> {
    let mut input = CustomerInput::default();
    let mut first = None;
    let mut last = None;
    let mut note = None;
    for (target, value) in &row.values {
        let value = value.clone();
        match target {
            Target::Name => input.name = Some(value),
            Target::FirstName => first = Some(value),
            Target::LastName => last = Some(value),
            Target::Phone => input.phone = Some(value),
            Target::Email => input.email = Some(value),
            Target::Address => input.address = Some(value),
            Target::DateOfBirth => input.date_of_birth = Some(value),
            Target::Tags => {
                input.tags =
                    Some(value.split([',', ';']).map(str::to_string).filter(|t| !t.trim().is_empty()).collect())
            }
            Target::Note => note = Some(value),
            Target::Source => input.source = Some(value),
            Target::PreferredChannel => input.preferred_channel = Some(value),
            Target::Field(label) => {
                input.fields.insert(label.clone(), Value::String(value));
            }
        }
    }
    if input.name.is_none() {
        let joined = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
        if !joined.trim().is_empty() {
            input.name = Some(joined);
        }
    }
    if input.name.is_none() {
        return Err((Some("name".into()), "the row has no name".into()));
    }
    if input.source.is_none() {
        input.source = Some(Source::Import.name().into());
    }
    Ok((input, note))
}

/// What every row of one import is checked and written with.
struct Run<'a> {
    /// The business's own fields.
    fields: &'a [FieldRow],
    /// The business's country calling code, for phone numbers written without one.
    code: &'a str,
    today: jiff::civil::Date,
    options: &'a ImportOptions,
    /// Who imports: a member, or nobody for an operator.
    member: Option<steward_domain::ids::MemberId>,
    now: i64,
}

async fn write_batch(
    tx: &mut TenantTx,
    run: &Run<'_>,
    batch: Vec<(SourceRow, CustomerInput, Option<String>)>,
    seen: &mut HashMap<String, CustomerId>,
    report: &mut ImportReport,
) -> Result<u64, AppError> {
    let Run { fields, code, today, options, member, now } = *run;
    let mut rejected = 0;
    let mut checked_rows = Vec::with_capacity(batch.len());
    for (row, input, note) in batch {
        match check(&input, None, fields, code, today, Source::Import) {
            Ok(checked) => checked_rows.push((row, input, checked, note)),
            Err(error) => {
                rejected += 1;
                let (field, reason) = match &error {
                    AppError::Invalid(v) => (Some(v.field.clone()), v.message.clone()),
                    other => (None, other.to_string()),
                };
                reject(report, row.line, field, reason);
            }
        }
    }
    let keys_of = |phone: &Option<String>, email: &Option<String>| -> Vec<String> {
        let mut keys = Vec::new();
        if matches!(options.dedupe_by, DedupeBy::Phone | DedupeBy::PhoneOrEmail)
            && let Some(p) = phone
        {
            keys.push(format!("p{p}"));
        }
        if matches!(options.dedupe_by, DedupeBy::Email | DedupeBy::PhoneOrEmail)
            && let Some(e) = email
        {
            keys.push(format!("e{e}"));
        }
        keys
    };
    if options.dedupe_by != DedupeBy::None {
        let phones: Vec<String> = checked_rows.iter().filter_map(|(_, _, c, _)| c.values.phone.clone()).collect();
        let emails: Vec<String> = checked_rows.iter().filter_map(|(_, _, c, _)| c.values.email.clone()).collect();
        for (id, phone, email) in rows::find_by_phones_or_emails(tx, &phones, &emails).await? {
            for key in keys_of(&phone, &email) {
                seen.entry(key).or_insert(id);
            }
        }
    }
    let mut creates = Vec::new();
    let mut notes = Vec::new();
    for (row, input, checked, note) in checked_rows {
        let keys = keys_of(&checked.values.phone, &checked.values.email);
        let existing = keys.iter().find_map(|k| seen.get(k).copied());
        match (existing, options.on_duplicate) {
            (Some(_), OnDuplicate::Skip) => report.skipped_duplicates += 1,
            (Some(id), OnDuplicate::Update) => {
                if let Err(reason) = update_existing(tx, run, id, &input).await? {
                    rejected += 1;
                    reject(report, row.line, reason.0, reason.1);
                    continue;
                }
                if let Some(body) = note {
                    notes.push(note_row(id, body, member, now));
                }
                report.updated += 1;
            }
            (None, _) => {
                let id = CustomerId::generate();
                for key in keys {
                    seen.insert(key, id);
                }
                if let Some(body) = note {
                    notes.push(note_row(id, body, member, now));
                }
                creates.push((id, checked));
                report.created += 1;
            }
        }
    }
    let new_rows: Vec<NewCustomer> = creates
        .iter()
        .map(|(id, checked)| NewCustomer {
            id: *id,
            values: checked.values.clone(),
            terms: checked.terms(code),
            tags: checked.tags.clone(),
            created_by: member,
        })
        .collect();
    rows::insert_many(tx, &new_rows, now).await?;
    for (id, checked) in &creates {
        for (field, value) in &checked.field_writes {
            if let Some(value) = value {
                field_rows::upsert_value(tx, *id, field.id, Some(value.clone()), None, member, now).await?;
            }
        }
    }
    note_rows::insert_many(tx, &notes).await?;
    Ok(rejected)
}

fn note_row(customer: CustomerId, body: String, author: Option<steward_domain::ids::MemberId>, now: i64) -> NoteRow {
    let body: String = body.chars().take(steward_domain::customers::MAX_NOTE).collect();
    NoteRow {
        id: NoteId::generate(),
        customer_id: customer,
        author_id: author,
        author_name: None,
        private: false,
        body: Some(body),
        body_sealed: None,
        created_at: now,
    }
}

/// Applies a row to an existing customer: the row's non-empty cells win.
async fn update_existing(
    tx: &mut TenantTx,
    run: &Run<'_>,
    id: CustomerId,
    input: &CustomerInput,
) -> Result<Result<(), (Option<String>, String)>, AppError> {
    let Run { fields, code, today, member, now, .. } = *run;
    let Some(existing) = rows::find(tx, id).await? else { return Ok(Ok(())) };
    let tags = rows::tags_of(tx, id).await?;
    let mut input = input.clone();
    // An import keeps how the customer first came.
    input.source = None;
    let checked = match check(&input, Some((&existing, &tags)), fields, code, today, Source::Import) {
        Ok(c) => c,
        Err(AppError::Invalid(v)) => return Ok(Err((Some(v.field), v.message))),
        Err(other) => return Err(other),
    };
    rows::update(tx, id, &checked.values, &checked.terms(code), &checked.tags, now).await?;
    for (field, value) in &checked.field_writes {
        match value {
            Some(value) => field_rows::upsert_value(tx, id, field.id, Some(value.clone()), None, member, now).await?,
            None => {
                field_rows::delete_value(tx, id, field.id).await?;
            }
        }
    }
    Ok(Ok(()))
}
