//! The tenant's own customer fields (CRM-2). Each is declared `personal` or `sensitive`
//! when it is made, and that never changes: a value sealed as sensitive stays sealed.

use crate::access::principal::Principal;
use crate::audit;
use crate::{App, AppError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_domain::classification::DataClass;
use steward_domain::contact::parse_name;
use steward_domain::customers::fields::{FieldKind, MAX_FIELDS, MAX_LABEL, parse_field_class, parse_options};
use steward_domain::ids::FieldId;
use steward_domain::permissions::Permission;
use steward_store::customers::fields::{self as rows, FieldRow};

/// A field as forms and the API see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "CustomerField")]
pub struct FieldView {
    pub id: FieldId,
    pub label: String,
    pub kind: FieldKind,
    /// `personal` or `sensitive`: a field never holds another class.
    pub data_class: DataClass,
    pub options: Vec<String>,
    pub position: i64,
}

pub(crate) fn field_views(rows: &[FieldRow]) -> Result<Vec<FieldView>, AppError> {
    rows.iter()
        .map(|f| {
            Ok(FieldView {
                id: f.id,
                label: f.label.clone(),
                kind: f.kind,
                data_class: f.data_class,
                options: f.options.clone(),
                position: f.position,
            })
        })
        .collect()
}

/// A new field.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CustomerFieldNew")]
pub struct FieldInput {
    pub label: String,
    #[schemars(with = "steward_domain::customers::fields::FieldKind")]
    pub kind: String,
    /// `personal` or `sensitive`.
    #[schemars(extend("enum" = ["personal", "sensitive"]))]
    pub data_class: String,
    #[serde(default)]
    pub options: Vec<String>,
}

/// A change to a field: its label, options or place; never its kind or class.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CustomerFieldChange")]
pub struct FieldChange {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub position: Option<i64>,
}

pub async fn list(app: &App, who: &Principal) -> Result<Vec<FieldView>, AppError> {
    super::records::form_fields(app, who).await
}

pub async fn create(app: &App, who: &Principal, input: &FieldInput) -> Result<FieldView, AppError> {
    who.require(Permission::TenantManage)?;
    let label = parse_name("label", &input.label, MAX_LABEL)?;
    let kind = FieldKind::parse("kind", &input.kind)?;
    let class = parse_field_class("data_class", &input.data_class)?;
    let options = parse_options("options", kind, &input.options)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let existing = rows::list(&mut tx).await?;
            if existing.len() >= MAX_FIELDS {
                return Err(AppError::NotAllowed(format!("a business can define at most {MAX_FIELDS} customer fields")));
            }
            if existing.iter().any(|f| f.label.eq_ignore_ascii_case(&label)) {
                return Err(AppError::conflict("label", "is already the label of another field"));
            }
            let row = FieldRow {
                id: FieldId::generate(),
                label,
                kind,
                data_class: class,
                options,
                position: existing.iter().map(|f| f.position).max().unwrap_or(0) + 1,
            };
            rows::insert(&mut tx, &row, app.now()).await?;
            let details = json!({ "label": row.label, "kind": row.kind.name(), "data_class": row.data_class.name(), "options": row.options });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "customer_field.created", Some(("custom_field", row.id.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(field_views(std::slice::from_ref(&row))?.remove(0))
        })
        .await
}

pub async fn update(app: &App, who: &Principal, id: FieldId, change: &FieldChange) -> Result<FieldView, AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, writer_who, change) = (app.clone(), who.clone(), change.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let all = rows::list(&mut tx).await?;
            let mut row = all.iter().find(|f| f.id == id).cloned().ok_or(AppError::NotFound)?;
            let before = row.clone();
            if let Some(label) = &change.label {
                let label = parse_name("label", label, MAX_LABEL)?;
                if all.iter().any(|f| f.id != id && f.label.eq_ignore_ascii_case(&label)) {
                    return Err(AppError::conflict("label", "is already the label of another field"));
                }
                row.label = label;
            }
            if let Some(options) = &change.options {
                row.options = parse_options("options", row.kind, options)?;
            }
            if let Some(position) = change.position {
                if !(0..=10_000).contains(&position) {
                    return Err(AppError::invalid("position", "must be between 0 and 10000"));
                }
                row.position = position;
            }
            rows::update(&mut tx, &row, app.now()).await?;
            let details = json!({ "label": [before.label, row.label], "options": [before.options, row.options], "position": [before.position, row.position] });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "customer_field.updated", Some(("custom_field", id.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(field_views(std::slice::from_ref(&row))?.remove(0))
        })
        .await
}

/// Deletes a field and every customer's value of it.
pub async fn delete(app: &App, who: &Principal, id: FieldId) -> Result<(), AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let row = rows::list(&mut tx).await?.into_iter().find(|f| f.id == id).ok_or(AppError::NotFound)?;
            rows::delete(&mut tx, id).await?;
            let details = json!({ "label": row.label, "data_class": row.data_class.name() });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "customer_field.deleted", Some(("custom_field", id.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}
