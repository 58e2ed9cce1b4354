//! The privacy notices, generated, never written by hand: the data classes come from the
//! data-class registry (and a business's own declared fields), how long each is kept from
//! the retention rules in force, and who else receives what from the declared
//! sub-processors and the hosts egress lets through. So the notice and the code cannot
//! disagree.

use crate::retention::rules::{self, RuleView};
use crate::{App, AppError};
use serde::Serialize;
use std::collections::BTreeMap;
use steward_domain::classification::{COLUMNS, DataClass};
use steward_domain::processors;
use steward_store::customers::fields as field_rows;

/// One kind of data and where it is held.
#[derive(Debug, Clone, Serialize)]
pub struct ClassView {
    pub class: &'static str,
    pub about: &'static str,
    /// `table: column, column, …` for each table holding it.
    pub held_in: Vec<String>,
}

/// A sub-processor as the notice lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessorView {
    pub name: &'static str,
    pub purpose: &'static str,
    pub fields: Vec<&'static str>,
    pub location: &'static str,
    /// Where this deployment reaches it; empty: not configured, so nothing is sent.
    pub hosts: Vec<String>,
}

/// A notice: the operator's (no business) or a business's.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub business: Option<String>,
    pub slug: Option<String>,
    pub classes: Vec<ClassView>,
    /// A business's own fields, with their class (`personal` or `sensitive`).
    pub custom_fields: Vec<(String, &'static str)>,
    pub rules: Vec<RuleView>,
    pub processors: Vec<ProcessorView>,
    pub cancellation_grace_days: i64,
    pub purge_delay_days: i64,
    /// What an erasure leaves, where, and for how long, on this deployment's database.
    pub after_erasure: Vec<String>,
}

/// What remains of a person after their erasure, said exactly for the database this
/// deployment runs on (DSR-3, RET-5); docs/operations.md explains each part.
fn after_erasure(app: &App) -> Vec<String> {
    let settings = &app.settings;
    let files = match app.store.kind() {
        steward_store::StoreKind::Sqlite => {
            "Erased records are overwritten with zeros in the database file, and the database's change log is emptied as the erasure completes, so nothing of them stays in the files on the server's disk.".to_string()
        }
        steward_store::StoreKind::Postgres => {
            "Erased records can no longer be read through the service at once. Their old copies and index entries stay in the database's files until its maintenance (autovacuum) removes them, normally within minutes of the erasure; fragments can stay in the freed space until new records reuse it. The database's change log (its write-ahead log) keeps a copy until its files are reused for new changes, which takes as long as the server needs to write about a gigabyte. Until then they can be read only with direct access to the database server's disk.".to_string()
        }
    };
    vec![
        files,
        "The key that protected the person's sensitive details is destroyed in the same step, so no copy anywhere, backups included, can open those details again.".to_string(),
        format!(
            "Backups made before the erasure keep the person's other details until they expire and are overwritten, after at most {} days; backups of keys expire after {} days.",
            settings.backup_keep_days, settings.key_backup_keep_days
        ),
    ]
}

fn about(class: DataClass) -> &'static str {
    match class {
        DataClass::Account => "about the business and its members: names, work emails, roles",
        DataClass::Personal => "about the business's customers: contact details, visits, notes, consents",
        DataClass::Sensitive => "customer details the business marks sensitive, stored encrypted with a key per person",
        DataClass::Billing => "tax numbers and payment records",
        DataClass::Usage => "which features were used and pages viewed, with address and browser",
        DataClass::SecurityLog => "sign-ins, sessions, the audit log and the record of outbound calls",
        _ => "",
    }
}

fn classes() -> Vec<ClassView> {
    DataClass::ABOUT_PEOPLE
        .into_iter()
        .map(|class| {
            let mut tables: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for column in COLUMNS.iter().filter(|c| c.class == class) {
                tables.entry(column.table).or_default().push(column.column);
            }
            let held_in =
                tables.into_iter().map(|(table, columns)| format!("{table}: {}", columns.join(", "))).collect();
            ClassView { class: class.name(), about: about(class), held_in }
        })
        .collect()
}

fn processor_views(app: &App) -> Vec<ProcessorView> {
    processors::ALL
        .iter()
        .map(|p| ProcessorView {
            name: p.name,
            purpose: p.purpose,
            fields: p.fields.to_vec(),
            location: p.location,
            hosts: app.egress.hosts_of(p.id).to_vec(),
        })
        .collect()
}

/// The operator's notice for this deployment, with the default rules.
pub fn operator(app: &App) -> Notice {
    let limits = &app.settings.retention;
    Notice {
        business: None,
        slug: None,
        classes: classes(),
        custom_fields: Vec::new(),
        rules: steward_domain::retention::rules_in_force(limits, &[]).into_iter().map(RuleView::from).collect(),
        processors: processor_views(app),
        cancellation_grace_days: limits.cancellation_grace_days,
        purge_delay_days: limits.purge_delay_days,
        after_erasure: after_erasure(app),
    }
}

/// A business's notice at `/p/{slug}`, with its own rules and fields.
pub async fn of_business(app: &App, slug: &str) -> Result<Notice, AppError> {
    let tenant =
        crate::tenancy::find_by_slug(app, slug).await?.filter(|t| t.status.is_open()).ok_or(AppError::NotFound)?;
    let mut tx = app.store.begin_tenant_read(tenant.id).await?;
    let fields = field_rows::list(&mut tx).await?;
    tx.commit().await?;
    let custom_fields = fields.into_iter().map(|f| (f.label, f.data_class.name())).collect();
    let mut notice = operator(app);
    notice.business = Some(tenant.name);
    notice.slug = Some(tenant.slug);
    notice.custom_fields = custom_fields;
    notice.rules = rules::rules_of(app, tenant.id).await?;
    Ok(notice)
}
