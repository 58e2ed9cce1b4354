//! Customers (CRM-1, CRM-2): records, the tenant's own fields, notes, consents, search,
//! duplicates and merges, import and export.
//!
//! Sensitive values (values of sensitive fields, private notes) are sealed with the
//! customer's own key before they reach storage. Only members holding
//! `customers.sensitive.read` may read or write them (ACC-3); others see that a value
//! exists. Every read and every write of a sensitive value is audited with the field's
//! name, never the value.

pub mod consents;
pub mod export;
pub mod fields;
pub mod import;
pub mod merge;
pub mod notes;
pub mod overview;
pub mod records;

use crate::{App, AppError};
use steward_store::TenantTx;

/// The calling code a tenant's customers write their numbers without.
pub async fn country_code(app: &App, tx: &mut TenantTx) -> Result<String, AppError> {
    let tenant = steward_store::tenancy::tenants::current(tx).await?;
    Ok(steward_domain::contact::calling_code(&tenant.country)
        .map(str::to_string)
        .unwrap_or_else(|| app.settings.default_country_code.clone()))
}

/// The row name a sealed field value is bound to.
pub(crate) fn value_place(
    customer: steward_domain::ids::CustomerId,
    field: steward_domain::ids::FieldId,
) -> crate::keys::Place<'static> {
    crate::keys::Place { table: "customer_field_values", column: "value_sealed", row: format!("{customer}/{field}") }
}

/// The row name a private note's body is bound to.
pub(crate) fn note_place(
    customer: steward_domain::ids::CustomerId,
    note: steward_domain::ids::NoteId,
) -> crate::keys::Place<'static> {
    crate::keys::Place { table: "customer_notes", column: "body_sealed", row: format!("{customer}/{note}") }
}
