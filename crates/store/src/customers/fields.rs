//! The tenant's own customer fields and their values. A sensitive field's values are in
//! `value_sealed` only; a personal field's in `value`.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::classification::DataClass;
use steward_domain::customers::fields::FieldKind;
use steward_domain::ids::{CustomerId, FieldId, MemberId};

#[derive(Debug, Clone)]
pub struct FieldRow {
    pub id: FieldId,
    pub label: String,
    pub kind: FieldKind,
    /// `Personal` or `Sensitive`: the only classes a business may declare.
    pub data_class: DataClass,
    pub options: Vec<String>,
    pub position: i64,
}

fn from_row(row: &Row) -> Result<FieldRow, StoreError> {
    let options: String = row.get("options")?;
    Ok(FieldRow {
        id: FieldId(row.get("id")?),
        label: row.get("label")?,
        kind: kind_of(&row.get::<String>("kind")?)?,
        data_class: class_of(&row.get::<String>("data_class")?)?,
        options: serde_json::from_str(&options).unwrap_or_default(),
        position: row.get("position")?,
    })
}

/// The stored kind, as the domain names it; anything else is a damaged row.
fn kind_of(stored: &str) -> Result<FieldKind, StoreError> {
    FieldKind::ALL
        .into_iter()
        .find(|k| k.name() == stored)
        .ok_or_else(|| StoreError::Corrupt(format!("custom_fields.kind '{stored}' is not a field kind")))
}

/// The stored class: a declared field is personal or sensitive, nothing else.
fn class_of(stored: &str) -> Result<DataClass, StoreError> {
    match stored {
        "personal" => Ok(DataClass::Personal),
        "sensitive" => Ok(DataClass::Sensitive),
        other => Err(StoreError::Corrupt(format!("custom_fields.data_class '{other}' is not personal or sensitive"))),
    }
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<FieldRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, label, kind, data_class, options, position FROM custom_fields WHERE tenant_id = $1
             ORDER BY position, label",
            args![],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn insert(tx: &mut TenantTx, field: &FieldRow, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO custom_fields (tenant_id, id, label, kind, data_class, options, position, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        args![
            field.id,
            field.label.clone(),
            field.kind.name(),
            field.data_class.name(),
            serde_json::to_string(&field.options).unwrap_or_else(|_| "[]".into()),
            field.position,
            now
        ],
    )
    .await?;
    Ok(())
}

/// Renames a field or changes its options; its kind and class never change.
pub async fn update(tx: &mut TenantTx, field: &FieldRow, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE custom_fields SET label = $3, options = $4, position = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
            args![
                field.id,
                field.label.clone(),
                serde_json::to_string(&field.options).unwrap_or_else(|_| "[]".into()),
                field.position,
                now
            ],
        )
        .await?;
    Ok(n > 0)
}

/// Deletes a field and every value of it.
pub async fn delete(tx: &mut TenantTx, id: FieldId) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM custom_fields WHERE tenant_id = $1 AND id = $2", args![id]).await? > 0)
}

/// One stored value of a field for a customer.
#[derive(Debug, Clone)]
pub struct ValueRow {
    pub field_id: FieldId,
    pub value: Option<String>,
    pub value_sealed: Option<Vec<u8>>,
    pub updated_at: Micros,
}

pub async fn values_of(tx: &mut TenantTx, customer: CustomerId) -> Result<Vec<ValueRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT field_id, value, value_sealed, updated_at FROM customer_field_values
             WHERE tenant_id = $1 AND customer_id = $2",
            args![customer],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ValueRow {
                field_id: FieldId(row.get("field_id")?),
                value: row.get("value")?,
                value_sealed: row.get("value_sealed")?,
                updated_at: row.get("updated_at")?,
            })
        })
        .collect()
}

/// Sets a value: exactly one of `value` (personal) and `sealed` (sensitive).
pub async fn upsert_value(
    tx: &mut TenantTx,
    customer: CustomerId,
    field: FieldId,
    value: Option<String>,
    sealed: Option<Vec<u8>>,
    by: Option<MemberId>,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO customer_field_values (tenant_id, customer_id, field_id, value, value_sealed, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, customer_id, field_id)
         DO UPDATE SET value = excluded.value, value_sealed = excluded.value_sealed, updated_by = excluded.updated_by,
                       updated_at = excluded.updated_at",
        args![customer, field, value, sealed, by, now],
    )
    .await?;
    Ok(())
}

pub async fn delete_value(tx: &mut TenantTx, customer: CustomerId, field: FieldId) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "DELETE FROM customer_field_values WHERE tenant_id = $1 AND customer_id = $2 AND field_id = $3",
            args![customer, field],
        )
        .await?;
    Ok(n > 0)
}

/// The plain (personal) field values of many customers at once; sealed values are never
/// read here.
pub async fn personal_values_of_many(
    tx: &mut TenantTx,
    ids: &[CustomerId],
) -> Result<Vec<(CustomerId, FieldId, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(400) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT customer_id, field_id, value FROM customer_field_values
             WHERE tenant_id = $1 AND value IS NOT NULL AND customer_id IN ({})",
            placeholders.join(", ")
        );
        let args: Vec<crate::Value> = chunk.iter().map(|id| crate::Value::from(*id)).collect();
        for row in tx.fetch_all_assembled(sql, args).await? {
            out.push((CustomerId(row.get("customer_id")?), FieldId(row.get("field_id")?), row.get("value")?));
        }
    }
    Ok(out)
}
