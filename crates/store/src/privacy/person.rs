//! One person's rows, table by table, for the access export and for erasure. The tables
//! and how each finds the person come from the domain's erasure map; every statement here
//! is written for one of them, and a test checks that each table of the map has its own.

use crate::customers::records;
use crate::{Row, StoreError, TenantTx, args};
use steward_domain::ids::CustomerId;
use uuid::Uuid;

/// One table of the erasure map and how the person's rows in it are found.
#[derive(Debug, Clone, Copy)]
pub struct PersonTable {
    pub table: &'static str,
    find: Find,
}

#[derive(Debug, Clone, Copy)]
enum Find {
    /// By a column holding the person's id, with these statements.
    Column { select: &'static str, count: &'static str, delete: &'static str },
    /// The search terms: no index by customer, so their rows are found by primary key from
    /// the list on the customer's row (`customers::records`).
    ListedOnCustomer,
}

macro_rules! person_table {
    ($table:literal, listed_on_customer) => {
        PersonTable { table: $table, find: Find::ListedOnCustomer }
    };
    ($table:literal, $by:literal) => {
        PersonTable {
            table: $table,
            find: Find::Column {
                select: concat!("SELECT * FROM ", $table, " WHERE tenant_id = $1 AND ", $by, " = $2"),
                count: concat!("SELECT COUNT(*) AS n FROM ", $table, " WHERE tenant_id = $1 AND ", $by, " = $2"),
                delete: concat!("DELETE FROM ", $table, " WHERE tenant_id = $1 AND ", $by, " = $2"),
            },
        }
    };
}

/// Every table the erasure map names, with how each finds the person. The terms come
/// before the customer row, whose list finds them.
pub const PERSON_TABLES: &[PersonTable] = &[
    person_table!("customer_search_terms", listed_on_customer),
    person_table!("customer_tags", "customer_id"),
    person_table!("customer_notes", "customer_id"),
    person_table!("customer_consents", "customer_id"),
    person_table!("customer_field_values", "customer_id"),
    person_table!("appointments", "customer_id"),
    person_table!("privacy_requests", "customer_id"),
    person_table!("messages", "customer_id"),
    person_table!("customers", "id"),
];

pub fn table(name: &str) -> Option<&'static PersonTable> {
    PERSON_TABLES.iter().find(|t| t.table == name)
}

/// The person's rows in one table.
pub async fn rows(tx: &mut TenantTx, table: &PersonTable, person: Uuid) -> Result<Vec<Row>, StoreError> {
    match table.find {
        Find::Column { select, .. } => tx.fetch_all(select, args![person]).await,
        Find::ListedOnCustomer => records::term_rows(tx, CustomerId(person)).await,
    }
}

pub async fn count(tx: &mut TenantTx, table: &PersonTable, person: Uuid) -> Result<u64, StoreError> {
    match table.find {
        Find::Column { count, .. } => {
            let n: i64 = tx.fetch_one(count, args![person]).await?.get("n")?;
            Ok(n.max(0) as u64)
        }
        Find::ListedOnCustomer => Ok(records::term_rows(tx, CustomerId(person)).await?.len() as u64),
    }
}

pub async fn delete(tx: &mut TenantTx, table: &PersonTable, person: Uuid) -> Result<u64, StoreError> {
    match table.find {
        Find::Column { delete, .. } => tx.execute(delete, args![person]).await,
        Find::ListedOnCustomer => records::delete_terms(tx, CustomerId(person)).await,
    }
}

/// Keeps the person's appointments for the business's statistics: moved to the tenant's
/// "anonymized" record, their free text cleared.
pub async fn anonymize_appointments(tx: &mut TenantTx, person: Uuid, anonymous: Uuid) -> Result<u64, StoreError> {
    tx.execute(
        "UPDATE appointments SET customer_id = $3, notes = NULL, cancel_reason = NULL
         WHERE tenant_id = $1 AND customer_id = $2",
        args![person, anonymous],
    )
    .await
}

/// Clears what the person wrote in their requests; the requests stay as the record.
pub async fn clear_request_text(tx: &mut TenantTx, person: Uuid) -> Result<u64, StoreError> {
    tx.execute("UPDATE privacy_requests SET message = NULL WHERE tenant_id = $1 AND customer_id = $2", args![person])
        .await
}

/// The tenant's record that anonymized appointments belong to, made on first use.
pub async fn anonymous_customer(tx: &mut TenantTx, now: i64) -> Result<Uuid, StoreError> {
    if let Some(row) = tx
        .fetch_optional("SELECT id FROM customers WHERE tenant_id = $1 AND source = 'anonymized' LIMIT 1", args![])
        .await?
    {
        return row.get("id");
    }
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO customers (tenant_id, id, name, name_key, source, created_at, updated_at)
         VALUES ($1, $2, 'Anonymized', 'anonymized', 'anonymized', $3, $3)",
        args![id, now],
    )
    .await?;
    Ok(id)
}
