//! A tenant's purge: first its keys (so nothing sealed can be opened again, in this
//! database or in any backup), then every row it had, table by table in batches, children
//! before parents. Each batch is its own transaction, so a purge that is stopped half-way
//! is finished by running it again.

use super::BATCH;
use crate::{StoreError, TenantTx, args};

/// Destroys the tenant's key and every subject key it wrapped. Returns the subject keys
/// removed.
pub async fn destroy_keys(tx: &mut TenantTx) -> Result<u64, StoreError> {
    let subjects = tx.execute("DELETE FROM keystore.subject_keys WHERE tenant_id = $1", args![]).await?;
    tx.execute("DELETE FROM keystore.tenant_keys WHERE tenant_id = $1", args![]).await?;
    Ok(subjects)
}

/// One tenant table and the statements a purge runs on it.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    delete: &'static str,
    count: &'static str,
    /// Every row of the tenant in this table, for the export offered before a purge.
    pub select_all: &'static str,
}

macro_rules! tables {
    ($(($table:literal, $key:literal)),* $(,)?) => {
        /// Every tenant table, children before parents, with the key columns its batches
        /// select by.
        pub const TABLES: &[Table] = &[$(Table {
            name: $table,
            delete: concat!(
                "DELETE FROM ", $table, " WHERE tenant_id = $1 AND (", $key,
                ") IN (SELECT ", $key, " FROM ", $table, " WHERE tenant_id = $1 LIMIT $2)"
            ),
            count: concat!("SELECT COUNT(*) AS n FROM ", $table, " WHERE tenant_id = $1"),
            select_all: concat!("SELECT * FROM ", $table, " WHERE tenant_id = $1"),
        }),*];
    };
}

tables![
    ("message_wakeups", "tenant_id"),
    ("messages", "id"),
    ("message_templates", "kind, language"),
    ("messaging_channels", "channel"),
    ("messaging_settings", "tenant_id"),
    ("business_looks", "tenant_id"),
    ("slot_holds", "id"),
    ("appointments", "id"),
    ("staff_time_off", "id"),
    ("staff_overrides", "staff_id, on_date, position"),
    ("staff_hours", "staff_id, weekday, start_minute"),
    ("staff_services", "staff_id, service_id"),
    ("service_locations", "service_id, location_id"),
    ("staff", "id"),
    ("services", "id"),
    ("locations", "id"),
    ("customer_field_values", "customer_id, field_id"),
    ("custom_fields", "id"),
    ("customer_consents", "id"),
    ("customer_notes", "id"),
    ("customer_tags", "customer_id, tag"),
    ("customer_search_terms", "term, customer_id"),
    ("customers", "id"),
    ("usage_events", "id"),
    ("egress_records", "id"),
    ("retention_runs", "id"),
    ("retention_rules", "data_class"),
    ("legal_holds", "id"),
    ("policy_acceptances", "id"),
    ("member_tokens", "id"),
    ("invitations", "id"),
    ("api_tokens", "id"),
    ("sessions", "id"),
    ("members", "id"),
    ("roles", "id"),
    ("audit_checkpoints", "seq"),
    ("audit_events", "seq"),
    ("audit_heads", "seq"),
];

/// Removes one batch from one table; returns how many rows went.
pub async fn delete_batch(tx: &mut TenantTx, table: &Table) -> Result<u64, StoreError> {
    tx.execute(table.delete, args![BATCH]).await
}

/// How many rows the tenant has in one table.
pub async fn count(tx: &mut TenantTx, table: &Table) -> Result<u64, StoreError> {
    let n: i64 = tx.fetch_one(table.count, args![]).await?.get("n")?;
    Ok(n.max(0) as u64)
}
