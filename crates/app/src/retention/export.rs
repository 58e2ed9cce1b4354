//! The whole tenant as JSON lines, for its owner before the business is purged: every row
//! of every tenant table (found through the same table list the purge empties), secrets
//! left out by the data-class registry, sensitive values opened with their subject's key.
//!
//! Line 1 describes the export; each later line is `{"table": …, "row": {…}}`. The export
//! is produced one table at a time, so the web layer can stream it.

use crate::access::principal::Principal;
use crate::clock::format_instant;
use crate::keys::{self, Place};
use crate::{App, AppError, audit};
use serde_json::{Map, Value as Json, json};
use steward_domain::classification::{DataClass, class_of};
use steward_domain::ids::TenantId;
use steward_store::retention::purge::TABLES;
use steward_store::tenancy::tenants;
use steward_store::{TenantTx, Value};
use uuid::Uuid;

/// The sensitive columns the export can open, and the row each seal is bound to.
pub const OPENED_COLUMNS: [(&str, &str, &str); 2] =
    [("customer_notes", "body_sealed", "id"), ("customer_field_values", "value_sealed", "field_id")];

/// Only the owner downloads the whole business.
fn require_owner(who: &Principal) -> Result<(), AppError> {
    if who.role == "owner" { Ok(()) } else { Err(AppError::Forbidden("the owner role".into())) }
}

/// How many chunks [`chunk`] produces: the header with the tenant's own row, then one per table.
pub fn chunk_count() -> usize {
    TABLES.len() + 1
}

/// Records the export in the audit log; call once before streaming.
pub async fn start(app: &App, who: &Principal) -> Result<(), AppError> {
    require_owner(who)?;
    let (writer_app, writer) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let event = audit::by(&writer, "tenant.exported", None, json!({ "format": "jsonl" }));
            audit::record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// Chunk `index` of the export as JSON lines (`0`: the header and the tenant's row).
pub async fn chunk(app: &App, who: &Principal, index: usize) -> Result<String, AppError> {
    require_owner(who)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let text = chunk_in(app, &mut tx, who.tenant, index).await;
    tx.commit().await?;
    text
}

async fn chunk_in(app: &App, tx: &mut TenantTx, tenant: TenantId, index: usize) -> Result<String, AppError> {
    let mut out = String::new();
    if index == 0 {
        let row = tenants::current(tx).await?;
        let life = tenants::lifecycle(tx).await?;
        out.push_str(
            &json!({ "steward_export": 1, "tenant_id": tenant, "exported_at": format_instant(app.now()),
                     "tables": TABLES.iter().rev().map(|t| t.name).collect::<Vec<_>>() })
            .to_string(),
        );
        out.push('\n');
        let business = json!({ "table": "tenants", "row": {
            "id": row.id, "slug": row.slug, "name": row.name, "country": row.country, "time_zone": row.time_zone,
            "gstin": row.gstin, "status": row.status, "created_at": format_instant(row.created_at),
            "cancelled_at": life.dates.cancelled_at.map(format_instant), "purge_at": life.dates.purge_at.map(format_instant) } });
        out.push_str(&business.to_string());
        out.push('\n');
        return Ok(out);
    }
    // Parents before children, the reverse of the purge's order.
    let Some(table) = TABLES.iter().rev().nth(index - 1) else { return Ok(out) };
    for row in tx.fetch_all(table.select_all, steward_store::args![]).await? {
        let object = row_object(app, tx, tenant, table.name, &row.values()).await?;
        out.push_str(&json!({ "table": table.name, "row": object }).to_string());
        out.push('\n');
    }
    Ok(out)
}

/// One row as an export shows it: the tenant id and secrets left out (by the data-class
/// registry), sensitive values opened with their subject's key.
pub(crate) async fn row_object(
    app: &App,
    tx: &mut TenantTx,
    tenant: TenantId,
    table: &'static str,
    values: &[(String, Value)],
) -> Result<Map<String, Json>, AppError> {
    let mut object = Map::new();
    for (column, value) in values {
        if column == "tenant_id" {
            continue;
        }
        match class_of(table, column) {
            Some(DataClass::Secret) => {}
            Some(DataClass::Sensitive) => {
                object.insert(column.clone(), open_sensitive(app, tx, tenant, table, column, values).await?);
            }
            _ => {
                object.insert(column.clone(), to_json(value));
            }
        }
    }
    Ok(object)
}

pub(crate) fn to_json(value: &Value) -> Json {
    match value {
        Value::Text(v) => v.clone().map_or(Json::Null, Json::String),
        Value::I64(v) => v.map_or(Json::Null, Json::from),
        Value::Bool(v) => v.map_or(Json::Null, Json::Bool),
        Value::Uuid(v) => v.map_or(Json::Null, |id| Json::String(id.to_string())),
        Value::Bytes(v) => v.as_ref().map_or(Json::Null, |bytes| Json::String(steward_crypto::to_hex(bytes))),
    }
}

fn uuid_of(values: &[(String, Value)], column: &str) -> Option<Uuid> {
    values.iter().find(|(name, _)| name == column).and_then(|(_, value)| match value {
        Value::Uuid(id) => *id,
        _ => None,
    })
}

/// A sensitive value opened with its subject's key; `null` when there is none, a note when
/// the key was destroyed. A sensitive column the export does not know stops the export:
/// it never hands out ciphertext or skips a value silently.
async fn open_sensitive(
    app: &App,
    tx: &mut TenantTx,
    tenant: TenantId,
    table: &'static str,
    column: &str,
    values: &[(String, Value)],
) -> Result<Json, AppError> {
    let Some(&(_, sealed_column, row_column)) = OPENED_COLUMNS.iter().find(|(t, c, _)| *t == table && *c == column)
    else {
        return Err(AppError::Internal(format!("the export cannot open the sensitive column {table}.{column}")));
    };
    let sealed = values.iter().find(|(name, _)| name == sealed_column).and_then(|(_, value)| match value {
        Value::Bytes(bytes) => bytes.clone(),
        _ => None,
    });
    let Some(sealed) = sealed else { return Ok(Json::Null) };
    let (Some(customer), Some(row)) = (uuid_of(values, "customer_id"), uuid_of(values, row_column)) else {
        return Err(AppError::Internal(format!("{table} row without its customer or id")));
    };
    let Some(key) = keys::subject_key(app, tx, customer).await? else {
        return Ok(Json::String("(unreadable: the customer's key was destroyed)".into()));
    };
    let place = Place { table, column: sealed_column, row: format!("{customer}/{row}") };
    Ok(Json::String(keys::open_value(&key, tenant, &place, &sealed)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_domain::classification::COLUMNS;

    #[test]
    fn the_export_opens_every_sensitive_column_of_every_table_it_exports() {
        for column in COLUMNS.iter().filter(|c| c.class == DataClass::Sensitive) {
            assert!(
                OPENED_COLUMNS.iter().any(|(t, c, _)| *t == column.table && *c == column.column),
                "the tenant export does not know how to open {}.{}",
                column.table,
                column.column
            );
        }
        for table in TABLES {
            assert!(COLUMNS.iter().any(|c| c.table == table.name), "{} is not classified", table.name);
        }
    }
}
