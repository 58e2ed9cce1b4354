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
use steward_domain::retention::Stage;
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
    let shown = [
        DataClass::Personal,
        DataClass::Sensitive,
        DataClass::Account,
        DataClass::Billing,
        DataClass::Usage,
        DataClass::SecurityLog,
    ];
    shown
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
    }
}

/// A business's notice at `/p/{slug}`, with its own rules and fields.
pub async fn of_business(app: &App, slug: &str) -> Result<Notice, AppError> {
    let tenant = crate::tenancy::find_by_slug(app, slug)
        .await?
        .filter(|t| Stage::is_open(&t.status))
        .ok_or(AppError::NotFound)?;
    let mut tx = app.store.begin_tenant_read(tenant.id).await?;
    let fields = field_rows::list(&mut tx).await?;
    tx.commit().await?;
    let custom_fields = fields
        .into_iter()
        .map(|f| {
            let class = if f.data_class == "sensitive" { "sensitive" } else { "personal" };
            (f.label, class)
        })
        .collect();
    let mut notice = operator(app);
    notice.business = Some(tenant.name);
    notice.slug = Some(tenant.slug);
    notice.custom_fields = custom_fields;
    notice.rules = rules::rules_of(app, tenant.id).await?;
    Ok(notice)
}
