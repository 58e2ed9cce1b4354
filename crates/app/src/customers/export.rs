//! Exporting customers as CSV, vCard 4.0 or JSON lines, page by page so any size streams.
//!
//! Bulk exports carry personal values only: sensitive values never leave in a bulk file
//! (a person's own access request carries theirs). CSV cells that a spreadsheet would run
//! as a formula (`=`, `+`, `-`, `@`, tab, carriage return) are prefixed with `'`; the
//! importer removes that prefix again, so an export imports back unchanged.

use crate::access::principal::Principal;
use crate::audit;
use crate::clock::format_instant;
use crate::{App, AppError};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use steward_domain::classification::DataClass;
use steward_domain::csv_out::CsvLine;
use steward_domain::ids::CustomerId;
use steward_domain::permissions::Permission;
use steward_store::customers::fields as field_rows;
use steward_store::customers::records::{self as rows, After, ListQuery, SortOrder};

/// The formats an export can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Vcard,
    JsonLines,
}

impl ExportFormat {
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        match raw.map(str::trim).unwrap_or("csv") {
            "csv" => Ok(ExportFormat::Csv),
            "vcard" | "vcf" => Ok(ExportFormat::Vcard),
            "json" | "jsonl" => Ok(ExportFormat::JsonLines),
            _ => Err(AppError::invalid("format", "must be csv, vcard or json")),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Vcard => "text/vcard; charset=utf-8",
            ExportFormat::JsonLines => "application/jsonl",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "customers.csv",
            ExportFormat::Vcard => "customers.vcf",
            ExportFormat::JsonLines => "customers.jsonl",
        }
    }
}

/// One customer as exported.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRecord {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub date_of_birth: Option<String>,
    pub source: String,
    pub preferred_channel: Option<String>,
    pub tags: Vec<String>,
    pub fields: BTreeMap<String, String>,
    pub created_at: String,
}

/// The labels of the personal fields, in order: the extra CSV columns.
pub async fn start(app: &App, who: &Principal, format: ExportFormat) -> Result<Vec<String>, AppError> {
    who.require(Permission::CustomersRead)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let labels = field_rows::list(&mut tx)
                .await?
                .into_iter()
                .filter(|f| f.data_class == DataClass::Personal)
                .map(|f| f.label)
                .collect();
            let name = match format {
                ExportFormat::Csv => "csv",
                ExportFormat::Vcard => "vcard",
                ExportFormat::JsonLines => "jsonl",
            };
            audit::record(app, &mut tx, audit::by(who, "customers.exported", None, json!({ "format": name }))).await?;
            tx.commit().await?;
            Ok(labels)
        })
        .await
}

/// The next page of the export after `after`, and where the next one starts.
pub async fn page(
    app: &App,
    who: &Principal,
    after: Option<(String, CustomerId)>,
    limit: i64,
) -> Result<(Vec<ExportRecord>, Option<(String, CustomerId)>), AppError> {
    who.require(Permission::CustomersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let query = ListQuery {
        groups: Vec::new(),
        tag: None,
        field: None,
        sort: SortOrder::Name,
        after: after.map(|(key, id)| After::Name(key, id)),
        limit,
    };
    let (customers, next) = rows::list(&mut tx, &query).await?;
    let ids: Vec<CustomerId> = customers.iter().map(|c| c.id).collect();
    let tags = rows::tags_of_many(&mut tx, &ids).await?;
    let fields = field_rows::list(&mut tx).await?;
    let values = field_rows::personal_values_of_many(&mut tx, &ids).await?;
    tx.commit().await?;
    let records = customers
        .into_iter()
        .map(|c| ExportRecord {
            id: c.id,
            tags: tags.iter().filter(|(id, _)| *id == c.id).map(|(_, t)| t.clone()).collect(),
            fields: values
                .iter()
                .filter(|(id, _, _)| *id == c.id)
                .filter_map(|(_, field, value)| {
                    let field = fields.iter().find(|f| f.id == *field && f.data_class == DataClass::Personal)?;
                    Some((field.label.clone(), value.clone()))
                })
                .collect(),
            name: c.name,
            phone: c.phone,
            email: c.email,
            address: c.address,
            date_of_birth: c.date_of_birth,
            source: c.source,
            preferred_channel: c.preferred_channel,
            created_at: format_instant(c.created_at),
        })
        .collect();
    let next = next.and_then(|after| match after {
        After::Name(key, id) => Some((key, id)),
        After::Instant(..) | After::Id(_) => None,
    });
    Ok((records, next))
}

/// The header line of a customer export: the fixed columns, then the business's fields.
pub fn csv_header(labels: &[String]) -> String {
    let fixed = [
        "id",
        "name",
        "phone",
        "email",
        "address",
        "date_of_birth",
        "source",
        "preferred_channel",
        "tags",
        "created_at",
    ];
    let line = fixed.iter().fold(CsvLine::new(), |line, name| line.plain(name));
    labels.iter().fold(line, |line, label| line.text(label)).finish()
}

/// One customer as a CSV line, in [`csv_header`]'s order.
pub fn csv_row(record: &ExportRecord, labels: &[String]) -> String {
    let line = CsvLine::new()
        .plain(record.id)
        .text(&record.name)
        .optional(record.phone.as_deref())
        .optional(record.email.as_deref())
        .optional(record.address.as_deref())
        .optional(record.date_of_birth.as_deref())
        .text(&record.source)
        .optional(record.preferred_channel.as_deref())
        .text(&record.tags.join(";"))
        .plain(&record.created_at);
    labels.iter().fold(line, |line, label| line.optional(record.fields.get(label).map(String::as_str))).finish()
}

fn vcard_text(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\n', "\\n").replace(',', "\\,").replace(';', "\\;")
}

/// One vCard 4.0 card; long lines folded at 75 octets as the format asks.
pub fn vcard(record: &ExportRecord) -> String {
    let mut lines =
        vec!["BEGIN:VCARD".to_string(), "VERSION:4.0".to_string(), format!("FN:{}", vcard_text(&record.name))];
    let words: Vec<&str> = record.name.split_whitespace().collect();
    let (given, family) = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => (rest.join(" "), last.to_string()),
        _ => (record.name.clone(), String::new()),
    };
    lines.push(format!("N:{};{};;;", vcard_text(&family), vcard_text(&given)));
    if let Some(phone) = &record.phone {
        lines.push(format!("TEL;VALUE=uri;TYPE=cell:tel:{phone}"));
    }
    if let Some(email) = &record.email {
        lines.push(format!("EMAIL:{}", vcard_text(email)));
    }
    if let Some(address) = &record.address {
        lines.push(format!("ADR:;;{};;;;", vcard_text(address)));
    }
    if let Some(dob) = &record.date_of_birth {
        lines.push(format!("BDAY:{}", dob.replace('-', "")));
    }
    if !record.tags.is_empty() {
        lines.push(format!("CATEGORIES:{}", record.tags.iter().map(|t| vcard_text(t)).collect::<Vec<_>>().join(",")));
    }
    lines.push(format!("UID:urn:uuid:{}", record.id));
    lines.push("END:VCARD".into());
    lines.iter().map(|l| fold(l)).collect::<String>()
}

fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_quotes_escaped() {
        use steward_domain::csv_out::cell as csv_cell;
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("+919812345678"), "'+919812345678");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_cell("Asha"), "Asha");
    }

    #[test]
    fn vcard_lines_are_folded_and_escaped() {
        let record = ExportRecord {
            id: CustomerId::generate(),
            name: "Meera Iyer".into(),
            phone: Some("+919812345678".into()),
            email: None,
            address: Some("12, MG Road; Bengaluru ".repeat(5)),
            date_of_birth: Some("1990-04-23".into()),
            source: "walk_in".into(),
            preferred_channel: None,
            tags: vec!["vip".into()],
            fields: BTreeMap::new(),
            created_at: String::new(),
        };
        let card = vcard(&record);
        assert!(card.lines().all(|l| l.len() <= 75));
        assert!(card.contains("N:Iyer;Meera;;;"));
        assert!(card.contains("BDAY:19900423"));
        assert!(card.contains("\\;"));
    }
}
