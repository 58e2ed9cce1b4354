//! Customer records: create, read (with the audit of sensitive reads), change, delete,
//! and list with search, filters and keyset pagination.

use super::fields::{FieldView, field_views};
use super::{country_code, note_place, value_place};
use crate::access::principal::Principal;
use crate::audit;
use crate::clock::format_instant;
use crate::keys::{self, Key};
use crate::{App, AppError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use steward_domain::classification::DataClass;
use steward_domain::contact::{Email, Phone, parse_name};
use steward_domain::customers::fields::{FieldKind, normalize_value};
use steward_domain::customers::search::{SearchQuery, name_key, terms};
use steward_domain::customers::{Channel, MAX_ADDRESS, MAX_NAME, Source, parse_date_of_birth, parse_tags, parse_text};
use steward_domain::ids::{CustomerId, FieldId};
use steward_domain::permissions::Permission;
use steward_store::TenantTx;
use steward_store::customers::consents::ConsentRow;
use steward_store::customers::fields::{self as field_rows, FieldRow};
use steward_store::customers::records::{
    self as rows, After, CustomerRow, CustomerValues, FieldMatch, ListQuery, NewCustomer, SortOrder,
};
use steward_store::customers::{consents as consent_rows, notes as note_rows};
use steward_store::keystore;

/// What a form or an API call says about a customer. On a change, a missing value leaves
/// the stored one alone and an empty string clears it.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CustomerNew")]
pub struct CustomerInput {
    pub name: Option<String>,
    /// Any format; stored as E.164, in the business's country by default.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// `YYYY-MM-DD` (also `DD/MM/YYYY` and `DD-MM-YYYY`).
    pub date_of_birth: Option<String>,
    #[schemars(extend("enum" = ["walk_in", "phone", "online_booking", "import", "referral", "api", "other", null]))]
    pub source: Option<String>,
    #[schemars(extend("enum" = ["sms", "whatsapp", "email", null]))]
    pub preferred_channel: Option<String>,
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    /// Field id or label to value; an empty value clears it.
    pub fields: BTreeMap<String, Value>,
    /// Consents given when the record is made (or changed).
    #[serde(default)]
    pub consents: Vec<super::consents::ConsentInput>,
}

/// A customer in a list.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CustomerSummary {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub last_visit_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// The last visit as an instant (microseconds), for pages to read in the business's
    /// zone; the API has `last_visit_at`.
    #[serde(skip)]
    #[schemars(skip)]
    pub last_visit: Option<i64>,
}

impl From<&CustomerRow> for CustomerSummary {
    fn from(c: &CustomerRow) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            last_visit_at: c.last_visit_at.map(format_instant),
            created_at: format_instant(c.created_at),
            last_visit: c.last_visit_at,
        }
    }
}

/// A field's value on one customer, as the reader may see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "CustomerFieldValue")]
pub struct FieldValueView {
    pub field_id: FieldId,
    pub label: String,
    pub kind: FieldKind,
    pub data_class: DataClass,
    /// The value, unless it is sensitive and the reader may not see it.
    pub value: Option<String>,
    /// Whether a value is stored (shown to those who may not read it).
    pub present: bool,
    /// True when a value exists but is withheld from this reader.
    pub hidden: bool,
}

/// A note on the timeline.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Note")]
pub struct NoteView {
    pub id: steward_domain::ids::NoteId,
    pub author: Option<String>,
    pub private: bool,
    pub body: Option<String>,
    pub hidden: bool,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
}

/// One customer, whole.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Customer")]
pub struct CustomerDetail {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub date_of_birth: Option<String>,
    pub source: String,
    pub preferred_channel: Option<String>,
    pub tags: Vec<String>,
    #[schemars(extend("format" = "date-time"))]
    pub last_visit_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    pub fields: Vec<FieldValueView>,
    pub notes: Vec<NoteView>,
    pub consents: Vec<super::consents::ConsentView>,
    pub possible_duplicates: Vec<CustomerSummary>,
}

/// One page of a list, and where the next starts.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CustomerPage {
    pub customers: Vec<CustomerSummary>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// A checked customer, ready to store.
pub(crate) struct Checked {
    pub values: CustomerValues,
    pub tags: Vec<String>,
    pub field_writes: Vec<(FieldRow, Option<String>)>,
}

impl Checked {
    pub fn terms(&self, country_code: &str) -> Vec<String> {
        terms(&self.values.name, self.values.email.as_deref(), self.values.phone.as_deref(), country_code, &self.tags)
    }

    pub fn writes_sensitive(&self) -> bool {
        self.field_writes.iter().any(|(f, _)| f.data_class == DataClass::Sensitive)
    }

    /// Names of what this input sets, for the audit record: column names and field labels,
    /// never values.
    pub fn changed_names(&self, input: &CustomerInput) -> Vec<String> {
        let mut names: Vec<String> = [
            ("name", input.name.is_some()),
            ("phone", input.phone.is_some()),
            ("email", input.email.is_some()),
            ("address", input.address.is_some()),
            ("date_of_birth", input.date_of_birth.is_some()),
            ("source", input.source.is_some()),
            ("preferred_channel", input.preferred_channel.is_some()),
            ("tags", input.tags.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name.to_string())
        .collect();
        names.extend(self.field_writes.iter().map(|(f, _)| format!("field:{}", f.label)));
        names
    }
}

/// A changed optional value: missing keeps `current`, empty clears, anything else is parsed.
pub(crate) fn optional(
    raw: &Option<String>,
    current: Option<&String>,
    parse: impl Fn(&str) -> Result<Option<String>, AppError>,
) -> Result<Option<String>, AppError> {
    match raw {
        None => Ok(current.cloned()),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => parse(text),
    }
}

/// Checks input against the rules and the tenant's fields; `existing` is the stored record
/// on a change.
pub(crate) fn check(
    input: &CustomerInput,
    existing: Option<(&CustomerRow, &[String])>,
    fields: &[FieldRow],
    country_code: &str,
    today: jiff::civil::Date,
    default_source: Source,
) -> Result<Checked, AppError> {
    let current = existing.map(|(c, _)| c);
    let name = match (&input.name, current) {
        (Some(name), _) => parse_name("name", name, MAX_NAME)?,
        (None, Some(c)) => c.name.clone(),
        (None, None) => return Err(AppError::invalid("name", "is required")),
    };
    let phone = optional(&input.phone, current.and_then(|c| c.phone.as_ref()), |t| {
        Ok(Some(Phone::parse("phone", t, country_code)?.into_string()))
    })?;
    let email = optional(&input.email, current.and_then(|c| c.email.as_ref()), |t| {
        Ok(Some(Email::parse("email", t)?.into_string()))
    })?;
    let address = optional(&input.address, current.and_then(|c| c.address.as_ref()), |t| {
        Ok(parse_text("address", t, MAX_ADDRESS)?)
    })?;
    let date_of_birth = optional(&input.date_of_birth, current.and_then(|c| c.date_of_birth.as_ref()), |t| {
        Ok(Some(parse_date_of_birth("date_of_birth", t, today)?.to_string()))
    })?;
    let source = match (&input.source, current) {
        (Some(s), _) if !s.trim().is_empty() => Source::parse("source", s)?.name().to_string(),
        (_, Some(c)) => c.source.clone(),
        _ => default_source.name().to_string(),
    };
    let preferred_channel =
        optional(&input.preferred_channel, current.and_then(|c| c.preferred_channel.as_ref()), |t| {
            Ok(Some(Channel::parse("preferred_channel", t)?.name().to_string()))
        })?;
    let tags = match (&input.tags, existing) {
        (Some(tags), _) => parse_tags("tags", tags)?,
        (None, Some((_, tags))) => tags.to_vec(),
        (None, None) => Vec::new(),
    };
    let mut field_writes = Vec::new();
    for (key, raw) in &input.fields {
        let field =
            fields.iter().find(|f| f.id.to_string() == *key || f.label.eq_ignore_ascii_case(key.trim())).ok_or_else(
                || AppError::invalid(&format!("fields.{}", short_key(key)), "is not a field of this business"),
            )?;
        let label = format!("fields.{}", field.label);
        let text = match raw {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(b) => {
                if *b {
                    "yes".into()
                } else {
                    "no".into()
                }
            }
            Value::Number(n) => n.to_string(),
            Value::Array(_) => raw.to_string(),
            Value::Object(_) => return Err(AppError::invalid(&label, "must be text, a number, yes/no or a list")),
        };
        let kind = field.kind;
        field_writes.push((field.clone(), normalize_value(&label, kind, &field.options, &text)?));
    }
    let values = CustomerValues {
        name_key: name_key(&name),
        name,
        phone,
        email,
        address,
        date_of_birth,
        source,
        preferred_channel,
    };
    Ok(Checked { values, tags, field_writes })
}

fn short_key(key: &str) -> String {
    steward_domain::customers::short(key)
}

pub(crate) fn today(app: &App) -> jiff::civil::Date {
    jiff::Timestamp::from_microsecond(app.now()).map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date()).unwrap_or_default()
}

/// Writes the field values of a checked input; sensitive ones sealed with `key`.
pub(crate) async fn write_fields(
    tx: &mut TenantTx,
    customer: CustomerId,
    writes: &[(FieldRow, Option<String>)],
    key: Option<&Key>,
    who: Option<&Principal>,
    now: i64,
) -> Result<(), AppError> {
    let tenant = tx.tenant();
    for (field, value) in writes {
        match value {
            None => {
                field_rows::delete_value(tx, customer, field.id).await?;
            }
            Some(value) if field.data_class == DataClass::Sensitive => {
                let key = key.ok_or(AppError::Internal("no key for a sensitive value".into()))?;
                let sealed = keys::seal_value(key, tenant, &value_place(customer, field.id), value)?;
                field_rows::upsert_value(tx, customer, field.id, None, Some(sealed), who.map(|w| w.member), now)
                    .await?;
            }
            Some(value) => {
                field_rows::upsert_value(tx, customer, field.id, Some(value.clone()), None, who.map(|w| w.member), now)
                    .await?;
            }
        }
    }
    Ok(())
}

fn sensitive_labels(writes: &[(FieldRow, Option<String>)]) -> Vec<String> {
    writes.iter().filter(|(f, _)| f.data_class == DataClass::Sensitive).map(|(f, _)| f.label.clone()).collect()
}

/// Creates a customer (with its fields, tags and first consents), in one write
/// transaction.
pub async fn create(app: &App, who: &Principal, input: &CustomerInput) -> Result<CustomerDetail, AppError> {
    who.require(Permission::CustomersWrite)?;
    tenant_key_for(app, who, input).await?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store.write(who.tenant, move |tx| async move { create_in(&writer_app, tx, &who, &input).await }).await
}

/// Makes the tenant's key (once, in its own transaction) before a write that may seal a
/// field value: which fields are sensitive is read inside the write, and the person's key
/// is made there, wrapped by this one.
async fn tenant_key_for(app: &App, who: &Principal, input: &CustomerInput) -> Result<(), AppError> {
    if !input.fields.is_empty() {
        keys::tenant_key(app, who.tenant).await?;
    }
    Ok(())
}

async fn create_in(
    app: &App,
    mut tx: TenantTx,
    who: &Principal,
    input: &CustomerInput,
) -> Result<CustomerDetail, AppError> {
    let id = CustomerId::generate();
    let now = app.now();
    let fields = field_rows::list(&mut tx).await?;
    let code = country_code(app, &mut tx).await?;
    let checked = check(input, None, &fields, &code, today(app), Source::WalkIn)?;
    let consents = super::consents::check_all(&input.consents)?;
    let key = if checked.writes_sensitive() {
        who.require(Permission::CustomersSensitiveRead)?;
        Some(keys::subject_key_made_in(app, &mut tx, id.as_uuid()).await?)
    } else {
        None
    };
    let terms = checked.terms(&code);
    let customer = NewCustomer {
        id,
        values: checked.values.clone(),
        terms,
        tags: checked.tags.clone(),
        created_by: Some(who.member),
    };
    rows::insert_many(&mut tx, std::slice::from_ref(&customer), now).await?;
    let written = Written { id, checked: &checked, consents: &consents, key: key.as_ref(), now };
    record_written(app, &mut tx, who, input, &written, "customer.created").await?;
    // The answer comes from what was just written: only the possible duplicates are read.
    let row = CustomerRow {
        id,
        name: customer.values.name,
        name_key: customer.values.name_key,
        phone: customer.values.phone,
        email: customer.values.email,
        address: customer.values.address,
        date_of_birth: customer.values.date_of_birth,
        source: customer.values.source,
        preferred_channel: customer.values.preferred_channel,
        last_visit_at: None,
        created_at: now,
        updated_at: now,
    };
    let duplicates = rows::duplicates_of(&mut tx, &row).await?;
    tx.commit().await?;
    let mut tags = customer.tags;
    tags.sort();
    let history: Vec<ConsentRow> = consents
        .iter()
        .map(|c| super::consents::new_row(id, c, Some(who.member), Some(who.name.clone()), now))
        .collect();
    let fields = fields
        .iter()
        .map(|field| {
            let stored =
                checked.field_writes.iter().find_map(|(f, v)| (f.id == field.id).then_some(v.as_ref())).flatten();
            // As a read without revealing shows it: a sensitive value exists, unseen.
            let hidden = field.data_class == DataClass::Sensitive && stored.is_some();
            field_value_view(field, if hidden { None } else { stored.cloned() }, stored.is_some(), hidden)
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(CustomerDetail {
        id,
        name: row.name,
        phone: row.phone,
        email: row.email,
        address: row.address,
        date_of_birth: row.date_of_birth,
        source: row.source,
        preferred_channel: row.preferred_channel,
        tags,
        last_visit_at: None,
        created_at: format_instant(now),
        updated_at: format_instant(now),
        fields,
        notes: Vec::new(),
        consents: super::consents::current(&history),
        possible_duplicates: duplicates.iter().map(CustomerSummary::from).collect(),
    })
}

/// One customer. A member who may read sensitive values gets them decrypted, and the read
/// is audited in the same transaction; anyone else sees only that they exist.
pub async fn get(app: &App, who: &Principal, id: CustomerId) -> Result<CustomerDetail, AppError> {
    who.require(Permission::CustomersRead)?;
    if who.has(Permission::CustomersSensitiveRead) {
        // The sensitive read is audited, so it is a write.
        let (writer_app, writer_who) = (app.clone(), who.clone());
        app.store
            .write(who.tenant, move |mut tx| async move {
                let detail = load_detail(&writer_app, &mut tx, &writer_who, id, true).await?;
                tx.commit().await?;
                Ok(detail)
            })
            .await
    } else {
        let mut tx = app.store.begin_tenant_read(who.tenant).await?;
        let detail = load_detail(app, &mut tx, who, id, false).await?;
        tx.commit().await?;
        Ok(detail)
    }
}

/// Reads a customer whole. With `reveal`, sensitive values are opened and the read is
/// audited (which needs a read-write transaction).
pub(crate) async fn load_detail(
    app: &App,
    tx: &mut TenantTx,
    who: &Principal,
    id: CustomerId,
    reveal: bool,
) -> Result<CustomerDetail, AppError> {
    let customer = rows::find(tx, id).await?.ok_or(AppError::NotFound)?;
    let tags = rows::tags_of(tx, id).await?;
    let fields = field_rows::list(tx).await?;
    let values = field_rows::values_of(tx, id).await?;
    let notes = note_rows::list(tx, id).await?;
    let has_sealed = values.iter().any(|v| v.value_sealed.is_some()) || notes.iter().any(|n| n.private);
    let key = if reveal && has_sealed { keys::subject_key(app, tx, id.as_uuid()).await? } else { None };
    let tenant = tx.tenant();
    let mut revealed: Vec<String> = Vec::new();
    let mut field_views_out = Vec::new();
    for field in &fields {
        let stored = values.iter().find(|v| v.field_id == field.id);
        let (value, hidden) = match stored {
            None => (None, false),
            Some(v) => {
                let shown = reveal_one(&v.value, &v.value_sealed, key.as_ref(), tenant, &value_place(id, field.id));
                if v.value.is_none() && shown.0.is_some() {
                    revealed.push(field.label.clone());
                }
                shown
            }
        };
        field_views_out.push(field_value_view(field, value, stored.is_some(), hidden)?);
    }
    let mut note_views = Vec::new();
    let mut private_read = 0;
    for note in &notes {
        let (body, hidden) = reveal_one(&note.body, &note.body_sealed, key.as_ref(), tenant, &note_place(id, note.id));
        if note.body.is_none() && body.is_some() {
            private_read += 1;
        }
        note_views.push(NoteView {
            id: note.id,
            author: note.author_name.clone(),
            private: note.private,
            body,
            hidden,
            created_at: format_instant(note.created_at),
        });
    }
    if private_read > 0 {
        revealed.push("private notes".into());
    }
    if !revealed.is_empty() {
        let details = json!({ "fields": revealed, "private_notes": private_read });
        audit::record(app, tx, audit::by(who, "customer.sensitive.read", Some(("customer", id.to_string())), details))
            .await?;
    }
    let history = consent_rows::history(tx, id).await?;
    let duplicates = rows::duplicates_of(tx, &customer).await?;
    Ok(CustomerDetail {
        id,
        name: customer.name,
        phone: customer.phone,
        email: customer.email,
        address: customer.address,
        date_of_birth: customer.date_of_birth,
        source: customer.source,
        preferred_channel: customer.preferred_channel,
        tags,
        last_visit_at: customer.last_visit_at.map(format_instant),
        created_at: format_instant(customer.created_at),
        updated_at: format_instant(customer.updated_at),
        fields: field_views_out,
        notes: note_views,
        consents: super::consents::current(&history),
        possible_duplicates: duplicates.iter().map(CustomerSummary::from).collect(),
    })
}

/// A field's value on one customer as its reader sees it.
fn field_value_view(
    field: &FieldRow,
    value: Option<String>,
    present: bool,
    hidden: bool,
) -> Result<FieldValueView, AppError> {
    Ok(FieldValueView {
        field_id: field.id,
        label: field.label.clone(),
        kind: field.kind,
        data_class: field.data_class,
        value,
        present,
        hidden,
    })
}

/// What a reader sees of a value stored plain or sealed: the value (opened with `key`
/// when sealed), or `None` and withheld. A sealed value that does not open was altered,
/// moved from elsewhere, or its key destroyed: it is withheld and the operator is told,
/// without the value.
fn reveal_one(
    plain: &Option<String>,
    sealed: &Option<Vec<u8>>,
    key: Option<&Key>,
    tenant: steward_domain::ids::TenantId,
    place: &keys::Place<'_>,
) -> (Option<String>, bool) {
    match (plain, sealed, key) {
        (Some(plain), _, _) => (Some(plain.clone()), false),
        (None, Some(sealed), Some(key)) => match keys::open_value(key, tenant, place, sealed) {
            Ok(opened) => (Some(opened), false),
            Err(_) => {
                tracing::warn!(%tenant, table = place.table, row = %place.row, "a sealed value did not open (altered, moved, or its key destroyed)");
                (None, true)
            }
        },
        _ => (None, true),
    }
}

/// Changes a customer; only what the input names changes.
pub async fn update(
    app: &App,
    who: &Principal,
    id: CustomerId,
    input: &CustomerInput,
) -> Result<CustomerDetail, AppError> {
    who.require(Permission::CustomersWrite)?;
    tenant_key_for(app, who, input).await?;
    let (writer_app, who, input) = (app.clone(), who.clone(), input.clone());
    app.store.write(who.tenant, move |tx| async move { update_in(&writer_app, tx, &who, id, &input).await }).await
}

async fn update_in(
    app: &App,
    mut tx: TenantTx,
    who: &Principal,
    id: CustomerId,
    input: &CustomerInput,
) -> Result<CustomerDetail, AppError> {
    let now = app.now();
    let existing = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let tags = rows::tags_of(&mut tx, id).await?;
    let fields = field_rows::list(&mut tx).await?;
    let code = country_code(app, &mut tx).await?;
    let checked = check(input, Some((&existing, &tags)), &fields, &code, today(app), Source::WalkIn)?;
    let consents = super::consents::check_all(&input.consents)?;
    let key = if checked.writes_sensitive() {
        who.require(Permission::CustomersSensitiveRead)?;
        Some(keys::subject_key_made_in(app, &mut tx, id.as_uuid()).await?)
    } else {
        None
    };
    let terms = checked.terms(&code);
    rows::update(&mut tx, id, &checked.values, &terms, &checked.tags, now).await?;
    let written = Written { id, checked: &checked, consents: &consents, key: key.as_ref(), now };
    record_written(app, &mut tx, who, input, &written, "customer.updated").await?;
    let detail = load_detail(app, &mut tx, who, id, false).await?;
    tx.commit().await?;
    Ok(detail)
}

/// What a create or change wrote to the customer's own row.
#[derive(Clone, Copy)]
struct Written<'a> {
    id: CustomerId,
    checked: &'a Checked,
    consents: &'a [super::consents::CheckedConsent],
    key: Option<&'a Key>,
    now: i64,
}

/// The rest of a create or change: field values (sensitive ones sealed), consents, and the
/// audit records (one more, naming the fields, when a sensitive value was written).
async fn record_written(
    app: &App,
    tx: &mut TenantTx,
    who: &Principal,
    input: &CustomerInput,
    written: &Written<'_>,
    action: &'static str,
) -> Result<(), AppError> {
    let Written { id, checked, consents, key, now } = *written;
    write_fields(tx, id, &checked.field_writes, key, Some(who), now).await?;
    for consent in consents {
        super::consents::insert(tx, id, consent, Some(who.member), now).await?;
    }
    let target = Some(("customer", id.to_string()));
    let details = json!({ "fields": checked.changed_names(input), "consents": consents.len() });
    audit::record(app, tx, audit::by(who, action, target.clone(), details)).await?;
    let sensitive = sensitive_labels(&checked.field_writes);
    if !sensitive.is_empty() {
        let details = json!({ "fields": sensitive });
        audit::record(app, tx, audit::by(who, "customer.sensitive.written", target, details)).await?;
    }
    Ok(())
}

/// Deletes a customer with their notes, consents, tags, field values and key. (Erasure
/// with its full report belongs to privacy requests.)
pub async fn delete(app: &App, who: &Principal, id: CustomerId) -> Result<(), AppError> {
    who.require(Permission::CustomersWrite)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            if steward_store::retention::holds::covers_customer(&mut tx, id.as_uuid()).await? {
                return Err(AppError::NotAllowed(
                    "a legal hold is in force on this customer's data; it cannot be deleted until the hold is lifted"
                        .into(),
                ));
            }
            if !rows::delete(&mut tx, id).await? {
                return Err(AppError::NotFound);
            }
            let key_destroyed = keystore::delete_subject_key(&mut tx, id.as_uuid()).await?;
            let details = json!({ "key_destroyed": key_destroyed });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "customer.deleted", Some(("customer", id.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// How many customers the business has, for the head of its list.
pub async fn total(app: &App, who: &Principal) -> Result<i64, AppError> {
    who.require(Permission::CustomersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let total = rows::count(&mut tx).await?;
    tx.commit().await?;
    Ok(total)
}

/// How a list is asked for.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CustomerQuery")]
pub struct ListRequest {
    /// What was typed: a name prefix, phone digits, an email, or `#tag`.
    pub q: Option<String>,
    pub tag: Option<String>,
    pub field_id: Option<String>,
    pub field_value: Option<String>,
    /// `name` (default), `last_visit` or `created`.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A page of customers.
pub async fn list(app: &App, who: &Principal, request: &ListRequest) -> Result<CustomerPage, AppError> {
    who.require(Permission::CustomersRead)?;
    let sort = match request.sort.as_deref().map(str::trim) {
        None | Some("") | Some("name") => SortOrder::Name,
        Some("last_visit") => SortOrder::LastVisit,
        Some("created") => SortOrder::Created,
        Some(_) => return Err(AppError::invalid("sort", "must be name, last_visit or created")),
    };
    let after = request.cursor.as_deref().filter(|c| !c.is_empty()).map(parse_cursor).transpose()?;
    let limit = request.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500"));
    }

    let tag = request
        .tag
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| steward_domain::customers::parse_tag("tag", t))
        .transpose()?;
    let typed = request.q.as_deref().unwrap_or("");
    let mut tx = if typed.trim().is_empty() {
        app.store.begin_tenant_read(who.tenant).await?
    } else {
        app.store.begin_tenant_search(who.tenant).await?
    };
    // Each round trip counts in a search as you type: the business's country is read only
    // when the query is a phone number.
    let code = if SearchQuery::reads_calling_code(typed) { country_code(app, &mut tx).await? } else { String::new() };
    let query = SearchQuery::parse(typed, &code);
    let field = match (&request.field_id, &request.field_value) {
        (Some(field_id), Some(value)) if !field_id.is_empty() => {
            let fields = field_rows::list(&mut tx).await?;
            let field = fields
                .iter()
                .find(|f| f.id.to_string() == *field_id || f.label.eq_ignore_ascii_case(field_id))
                .ok_or_else(|| AppError::invalid("field_id", "is not a field of this business"))?;
            if field.data_class == DataClass::Sensitive {
                return Err(AppError::invalid(
                    "field_id",
                    "is a sensitive field; sensitive values cannot be filtered on",
                ));
            }
            let kind = field.kind;
            let wanted = match kind {
                FieldKind::MultiSelect => {
                    let option = field
                        .options
                        .iter()
                        .find(|o| o.eq_ignore_ascii_case(value.trim()))
                        .ok_or_else(|| AppError::invalid("field_value", "is not one of the field's options"))?;
                    FieldMatch::Contains(option.clone())
                }
                _ => FieldMatch::Exact(
                    normalize_value("field_value", kind, &field.options, value)?
                        .ok_or_else(|| AppError::invalid("field_value", "is required with field_id"))?,
                ),
            };
            Some((field.id, wanted))
        }
        (Some(field_id), None) if !field_id.is_empty() => {
            return Err(AppError::invalid("field_value", "is required with field_id"));
        }
        _ => None,
    };
    let groups = query.groups.iter().map(|g| g.iter().map(|r| (r.start.clone(), r.end.clone())).collect()).collect();
    let (customers, after) = rows::list(&mut tx, &ListQuery { groups, tag, field, sort, after, limit }).await?;
    tx.commit().await?;
    Ok(CustomerPage {
        customers: customers.iter().map(CustomerSummary::from).collect(),
        next_cursor: after.map(cursor),
    })
}

fn cursor(after: After) -> String {
    match after {
        After::Name(key, id) => format!("n{}.{id}", steward_crypto::to_hex(key.as_bytes())),
        After::Instant(at, id) => format!("t{at}.{id}"),
        After::Id(id) => format!("i.{id}"),
    }
}

fn parse_cursor(text: &str) -> Result<After, AppError> {
    let bad = || AppError::invalid("cursor", "is not a cursor this list gave out");
    let (head, id) = text.rsplit_once('.').ok_or_else(bad)?;
    let id: CustomerId = id.parse().map_err(|_| bad())?;
    if let Some(hex) = head.strip_prefix('n') {
        let bytes = steward_crypto::from_hex(hex).ok_or_else(bad)?;
        return Ok(After::Name(String::from_utf8(bytes).map_err(|_| bad())?, id));
    }
    if head == "i" {
        return Ok(After::Id(id));
    }
    if let Some(at) = head.strip_prefix('t') {
        return Ok(After::Instant(at.parse().map_err(|_| bad())?, id));
    }
    Err(bad())
}

/// The tenant's fields, for forms.
pub async fn form_fields(app: &App, who: &Principal) -> Result<Vec<FieldView>, AppError> {
    who.require(Permission::CustomersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let fields = field_rows::list(&mut tx).await?;
    tx.commit().await?;
    field_views(&fields)
}

/// Customers that may be one person, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DuplicateGroup {
    /// `phone`, `email` or `name`.
    #[schemars(extend("enum" = ["phone", "email", "name"]))]
    pub reason: String,
    pub customers: Vec<CustomerSummary>,
}

/// Groups of customers that may be one person (same phone, email or name).
pub async fn duplicate_groups(app: &App, who: &Principal) -> Result<Vec<DuplicateGroup>, AppError> {
    who.require(Permission::CustomersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let mut groups = Vec::new();
    for (reason, ids) in rows::duplicate_groups(&mut tx, 100).await? {
        let mut customers = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = rows::find(&mut tx, id).await? {
                customers.push(CustomerSummary::from(&row));
            }
        }
        groups.push(DuplicateGroup { reason, customers });
    }
    tx.commit().await?;
    Ok(groups)
}

/// The customer a booking is for, found by phone, then email, or else created (as the
/// public booking page and the booking form need, so one person is not recorded twice).
/// Consents given with the booking are recorded either way.
pub(crate) async fn find_or_create_by_contact(
    app: &App,
    tx: &mut TenantTx,
    actor: crate::booking::Actor<'_>,
    contact: &CustomerInput,
    source: Source,
    consents: &[super::consents::CheckedConsent],
) -> Result<(CustomerId, bool), AppError> {
    let code = country_code(app, tx).await?;
    let plain = CustomerInput {
        name: contact.name.clone(),
        phone: contact.phone.clone(),
        email: contact.email.clone(),
        ..Default::default()
    };
    let checked = check(&plain, None, &[], &code, today(app), source)?;
    let phones: Vec<String> = checked.values.phone.iter().cloned().collect();
    let emails: Vec<String> = checked.values.email.iter().cloned().collect();
    let found = rows::find_by_phones_or_emails(tx, &phones, &[]).await?;
    let found = if found.is_empty() { rows::find_by_phones_or_emails(tx, &[], &emails).await? } else { found };
    let now = app.now();
    let (id, created) = match found.first() {
        Some((id, _, _)) => (*id, false),
        None => {
            let id = CustomerId::generate();
            let terms = checked.terms(&code);
            rows::insert_many(
                tx,
                &[NewCustomer {
                    id,
                    values: checked.values.clone(),
                    terms,
                    tags: Vec::new(),
                    created_by: actor.member(),
                }],
                now,
            )
            .await?;
            let details = json!({ "fields": checked.changed_names(&plain), "source": checked.values.source });
            audit::record(app, tx, actor.event("customer.created", Some(("customer", id.to_string())), details))
                .await?;
            (id, true)
        }
    };
    for consent in consents {
        super::consents::insert(tx, id, consent, actor.member(), now).await?;
    }
    Ok((id, created))
}

/// A customer's name and contact, without their fields (so without any sensitive read).
pub async fn summary(app: &App, who: &Principal, id: CustomerId) -> Result<CustomerSummary, AppError> {
    who.require(Permission::CustomersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let found = rows::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok((&found).into())
}

/// Customers already on record whom the person being typed into a new-customer form may
/// be: the same phone or email, or the same name. What is not yet a whole phone number or
/// email address is not looked for; a name needs two letters.
pub async fn resembling(
    app: &App,
    who: &Principal,
    name: &str,
    phone: &str,
    email: &str,
) -> Result<Vec<CustomerSummary>, AppError> {
    who.require(Permission::CustomersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let code = if phone.trim().is_empty() { String::new() } else { country_code(app, &mut tx).await? };
    let phone = Phone::parse("phone", phone, &code).ok().map(Phone::into_string);
    let email = Email::parse("email", email).ok().map(Email::into_string);
    let name = Some(name.trim()).filter(|n| n.chars().filter(|c| c.is_alphabetic()).count() >= 2).map(name_key);
    let found = rows::resembling(&mut tx, phone, email, name).await?;
    tx.commit().await?;
    Ok(found.iter().map(CustomerSummary::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let id = CustomerId::generate();
        let name = After::Name("zoë d'souza".into(), id);
        assert_eq!(parse_cursor(&cursor(name.clone())).unwrap(), name);
        let at = After::Instant(1_700_000_000_000_000, id);
        assert_eq!(parse_cursor(&cursor(at.clone())).unwrap(), at);
        for junk in ["", "x", "n.zz", "tabc.00000000-0000-0000-0000-000000000000", "nzz.not-an-id"] {
            assert!(parse_cursor(junk).is_err(), "{junk}");
        }
    }
}
