//! The key store: each tenant's key (wrapped by the master key) and each data subject's
//! key (wrapped by the tenant key). It lives apart from the data (a file of its own on
//! SQLite, the schema `keystore` on PostgreSQL), so a backup of the data does not carry the
//! keys, and destroying a subject's key makes their sealed values unreadable everywhere.
//! This module only stores wrapped bytes; wrapping and unwrapping belong to the services.

use crate::{Micros, StoreError, TenantTx, args};
use uuid::Uuid;

/// A wrapped key and the version of the key that wrapped it.
#[derive(Debug, Clone)]
pub struct WrappedKey {
    pub key_version: i64,
    pub wrapped: Vec<u8>,
}

fn from_row(row: &crate::Row) -> Result<WrappedKey, StoreError> {
    Ok(WrappedKey { key_version: row.get("key_version")?, wrapped: row.get("wrapped")? })
}

/// A tenant's key as stored: wrapped, with the fingerprint of the master key that wraps
/// it (`None`: wrapped before fingerprints were recorded, by the first master key).
#[derive(Debug, Clone)]
pub struct StoredTenantKey {
    pub key: WrappedKey,
    pub master_key_id: Option<String>,
}

pub async fn tenant_key(tx: &mut TenantTx) -> Result<Option<StoredTenantKey>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT key_version, wrapped, master_key_id FROM keystore.tenant_keys WHERE tenant_id = $1",
            args![],
        )
        .await?;
    row.map(|row| Ok(StoredTenantKey { key: from_row(&row)?, master_key_id: row.get("master_key_id")? })).transpose()
}

/// Stores the tenant's key unless another request stored one first; the caller reads back
/// whichever won.
pub async fn insert_tenant_key(
    tx: &mut TenantTx,
    key: &WrappedKey,
    master_key_id: &str,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO keystore.tenant_keys (tenant_id, key_version, wrapped, created_at, master_key_id)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO NOTHING",
        args![key.key_version, key.wrapped.clone(), now, master_key_id],
    )
    .await?;
    Ok(())
}

/// Replaces the wrapping of the tenant's key (a master key rotation): the key itself, and
/// so everything sealed under it, stays the same.
pub async fn rewrap_tenant_key(tx: &mut TenantTx, wrapped: &[u8], master_key_id: &str) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE keystore.tenant_keys SET wrapped = $2, master_key_id = $3 WHERE tenant_id = $1",
            args![wrapped.to_vec(), master_key_id],
        )
        .await?;
    Ok(n > 0)
}

pub async fn subject_key(tx: &mut TenantTx, subject: Uuid) -> Result<Option<WrappedKey>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT key_version, wrapped FROM keystore.subject_keys WHERE tenant_id = $1 AND subject_id = $2",
            args![subject],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn insert_subject_key(
    tx: &mut TenantTx,
    subject: Uuid,
    key: &WrappedKey,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO keystore.subject_keys (tenant_id, subject_id, key_version, wrapped, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, subject_id) DO NOTHING",
        args![subject, key.key_version, key.wrapped.clone(), now],
    )
    .await?;
    Ok(())
}

/// Destroys a subject's key: crypto-shredding. Returns whether there was one.
pub async fn delete_subject_key(tx: &mut TenantTx, subject: Uuid) -> Result<bool, StoreError> {
    let n = tx
        .execute("DELETE FROM keystore.subject_keys WHERE tenant_id = $1 AND subject_id = $2", args![subject])
        .await?;
    Ok(n > 0)
}
